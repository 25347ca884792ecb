import type { PrismaClient } from "@millrace/db";
import { formatPath, mapConnectionSecrets, parseConnection, redactConnection, type ConnectionDocument, type ConnectionInput, type ConnectionType, type RedactedConnection, valueAt } from "@millrace/flow";
import { DomainError } from "../errors.js";
import { isSealed, mapSealed, type SecretBox } from "../secrets/index.js";
import { queryIn, sql } from "./sql.js";

export interface ConnectionSummary {
  name: string;
  type: ConnectionType;
  /** the document with each secret that has a value as `{ set: true }` */
  connection: RedactedConnection;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  name: string;
  type: string;
  document: unknown;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

const isKept = (v: unknown) => typeof v === "object" && v !== null && (v as { set?: unknown }).set === true;

/**
 * Connections (table connection). Secret fields are sealed before they are written and opened
 * only by `open` (the engine connecting); everything else hands out the redacted document.
 */
export class ConnectionRepository {
  constructor(
    private readonly db: PrismaClient,
    private readonly secrets: SecretBox,
  ) {}

  /** Saves a new connection; CONFLICT when the name is taken, INVALID when a secret says "keep" (nothing is stored yet). */
  async add(connection: ConnectionInput, createdBy: string | undefined): Promise<void> {
    const sealed = this.seal(connection, undefined);
    const rows = await queryIn<{ name: string }>(
      this.db,
      sql`INSERT INTO connection (name, type, document, created_by) VALUES (${connection.name}, ${connection.type}, ${JSON.stringify(sealed)}::jsonb, ${createdBy ?? null})
        ON CONFLICT (name) DO NOTHING RETURNING name`,
    );
    if (!rows.length) throw new DomainError("CONFLICT", `a connection named "${connection.name}" exists already (replace it to change it)`);
  }

  /**
   * Replaces a connection's document; a secret given as `{ set: true }` keeps the stored value
   * (read under a row lock, so a concurrent replace cannot slip in between). NOT_FOUND when absent.
   */
  async replace(connection: ConnectionInput): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const rows = await queryIn<Row>(tx, sql`SELECT document FROM connection WHERE name = ${connection.name} FOR UPDATE`);
      if (!rows.length) throw new DomainError("NOT_FOUND", `no connection named "${connection.name}"`);
      const sealed = this.seal(connection, rows[0]!.document);
      await queryIn(tx, sql`UPDATE connection SET type = ${connection.type}, document = ${JSON.stringify(sealed)}::jsonb, updated_at = now() WHERE name = ${connection.name}`);
    });
  }

  /** Whether one was removed. */
  async remove(name: string): Promise<boolean> {
    const rows = await queryIn<{ name: string }>(this.db, sql`DELETE FROM connection WHERE name = ${name} RETURNING name`);
    return rows.length > 0;
  }

  async list(): Promise<ConnectionSummary[]> {
    const rows = await queryIn<Row>(this.db, sql`SELECT * FROM connection ORDER BY name`);
    return rows.map(summary);
  }

  async find(name: string): Promise<ConnectionSummary | undefined> {
    const rows = await queryIn<Row>(this.db, sql`SELECT * FROM connection WHERE name = ${name}`);
    return rows[0] && summary(rows[0]);
  }

  /** The connection with its secrets opened, for the engine to connect with; never for a client. NOT_FOUND when absent. */
  async open(name: string): Promise<ConnectionDocument> {
    const rows = await queryIn<Row>(this.db, sql`SELECT document FROM connection WHERE name = ${name}`);
    if (!rows.length) throw new DomainError("NOT_FOUND", `no connection named "${name}"`);
    const opened = mapConnectionSecrets(rows[0]!.document as ConnectionDocument, (v) => (typeof v === "string" && isSealed(v) ? this.secrets.open(v) : v));
    const r = parseConnection(opened);
    // only a row edited by hand (or by a future engine) gets here
    if (!r.ok) throw new DomainError("INVALID", `the stored connection "${name}" is not valid: ${r.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`);
    return r.value;
  }

  /** Every sealed secret through `reseal` (key rotation); how many rows changed. */
  async resealAll(reseal: (sealed: string) => string): Promise<number> {
    let changed = 0;
    for (const row of await queryIn<Row>(this.db, sql`SELECT name, document, updated_at FROM connection`)) {
      const next = mapSealed(row.document, reseal);
      if (next === undefined) continue;
      // only if unchanged since read: a concurrent replace sealed with the current key already
      const done = await queryIn(this.db, sql`UPDATE connection SET document = ${JSON.stringify(next)}::jsonb WHERE name = ${row.name} AND updated_at = ${row.updated_at} RETURNING name`);
      changed += done.length;
    }
    return changed;
  }

  /** `connection` with its plaintext secrets sealed and kept ones taken from `stored` (sealed already). */
  private seal(connection: ConnectionInput, stored: unknown): ConnectionInput {
    return mapConnectionSecrets(connection, (value, path) => {
      if (typeof value === "string") return this.secrets.seal(value);
      if (!isKept(value)) return value;
      const previous = valueAt(stored, path);
      if (typeof previous !== "string" || !isSealed(previous) || (stored as { type?: unknown }).type !== connection.type) {
        throw new DomainError("INVALID", `${formatPath(path)}: has no stored value to keep: give the ${String(path[path.length - 1])}`, {
          issues: [{ path: formatPath(path), message: "has no stored value to keep" }],
        });
      }
      return previous;
    });
  }
}

function summary(row: Row): ConnectionSummary {
  const connection = redactConnection(row.document as ConnectionDocument);
  return { name: row.name, type: row.type as ConnectionType, connection, createdBy: row.created_by, createdAt: row.created_at, updatedAt: row.updated_at };
}
