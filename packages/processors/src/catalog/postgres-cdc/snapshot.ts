import pg from "pg";
import { quoteIdent } from "../../pg-util.js";
import type { CapturedTable } from "./setup.js";
import { parserFor, SESSION_OPTIONS, type TextParser } from "./values.js";

type Row = Record<string, unknown>;

export interface SnapshotColumn {
  name: string;
  typeOid: number;
  typeName: string | undefined;
}

/**
 * Reads the tables as of a slot's exported snapshot, in chunks through a cursor, inside one
 * read-only repeatable-read transaction: every row committed before the slot's starting point,
 * none after (those come from the stream).
 */
export class SnapshotReader {
  private tableIndex = -1;
  private finished = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly tables: readonly CapturedTable[],
    private readonly chunkRows: number,
    /** names of the types outside the built-ins, by oid */
    private readonly typeNames: ReadonlyMap<number, string>,
  ) {}

  /** Imports `snapshotName` (must run while the slot's creating connection is still idle). `parse`: the column parsers (the stream's). */
  static async open(config: pg.ClientConfig, snapshotName: string, tables: readonly CapturedTable[], chunkRows: number, parse: (typeOid: number, typeName?: string) => TextParser = parserFor): Promise<SnapshotReader> {
    const typeNames = new Map<number, string>();
    const client = new pg.Client({
      ...config,
      options: SESSION_OPTIONS,
      types: { getTypeParser: (oid: number) => parse(oid, typeNames.get(oid)) },
    } as pg.ClientConfig);
    // a session dropped between chunks fails the next query; unheard, the event would be an uncaught exception
    client.on("error", () => {});
    await client.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      await client.query(`SET TRANSACTION SNAPSHOT '${snapshotName.replace(/'/g, "''")}'`);
      // enums, domains and their arrays have no built-in parser: their names say which are arrays
      const names = await client.query<{ oid: number; typname: string }>(
        `SELECT DISTINCT t.oid::int AS oid, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
          WHERE a.attrelid = ANY($1::regclass[]) AND a.attnum > 0 AND t.oid >= 16384`,
        [tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`)],
      );
      for (const r of names.rows) typeNames.set(r.oid, r.typname);
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    return new SnapshotReader(client, tables, chunkRows, typeNames);
  }

  /**
   * The next chunk: rows of one table, `last` when no row follows (the snapshot is then complete
   * and closed, so its end can be checkpointed with these rows). Undefined: complete and closed.
   * `columns`: the result's columns with their types (an overridden column is read as text).
   */
  async next(): Promise<{ table: CapturedTable; rows: Row[]; last: boolean; columns: SnapshotColumn[] } | undefined> {
    while (!this.finished) {
      if (this.tableIndex >= 0) {
        const res = await this.client.query<Row>(`FETCH ${this.chunkRows} FROM mr_snapshot`);
        const table = this.tables[this.tableIndex];
        if (table.overrides.size) applyOverrides(res.rows, table.overrides);
        const columns = res.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID, typeName: this.typeNames.get(f.dataTypeID) }));
        if (res.rows.length === this.chunkRows) return { table, rows: res.rows, last: false, columns };
        await this.client.query("CLOSE mr_snapshot");
        if (res.rows.length) {
          const last = this.tableIndex === this.tables.length - 1;
          if (last) await this.finish();
          return { table, rows: res.rows, last, columns };
        }
      }
      this.tableIndex++;
      if (this.tableIndex >= this.tables.length) {
        await this.finish();
        return undefined;
      }
      const t = this.tables[this.tableIndex];
      // a column whose mapping is overridden is read as its text, as the stream sends it
      const list = t.overrides.size ? t.columns.map((c) => (t.overrides.has(c) ? `${quoteIdent(c)}::text AS ${quoteIdent(c)}` : quoteIdent(c))).join(", ") : "*";
      await this.client.query(`DECLARE mr_snapshot NO SCROLL CURSOR FOR SELECT ${list} FROM ${quoteIdent(t.schema)}.${quoteIdent(t.table)}`);
    }
    return undefined;
  }

  private async finish(): Promise<void> {
    this.finished = true;
    await this.close();
  }

  async close(): Promise<void> {
    await this.client.query("COMMIT").catch(() => {});
    await this.client.end().catch(() => {});
  }
}

/** Parses the overridden columns (read as text) of the rows in place. */
function applyOverrides(rows: Row[], overrides: ReadonlyMap<string, TextParser>): void {
  for (const row of rows) {
    for (const [column, parse] of overrides) {
      const v = row[column];
      if (typeof v === "string") row[column] = parse(v);
    }
  }
}
