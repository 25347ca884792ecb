import pg from "pg";
import { errorMessage } from "../../expr.js";
import { Expressions } from "../../user-code/expressions.js";
import { parseConfig, redact } from "../../config.js";
import { isTransientPgError, pgMessage, pgTarget, quoteIdent, quoteTable } from "../../pg-util.js";
import { failed, TransientError, type BatchProcessor, type MRecord, type ProcessorImpl } from "../../sdk.js";
import { spec, type PostgresSinkConfig } from "./spec.js";

/** Postgres allows 65535 bind parameters per statement. */
const MAX_PARAMS = 65_000;

function toParam(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === "object") return JSON.stringify(v);
  if (typeof v === "function") throw new Error("expression returned a function, not a value");
  return v;
}

/** A pg error for a statement is retried row by row; infrastructure errors propagate. */
export class PostgresUnavailableError extends TransientError {
  constructor(message: string) {
    super(message);
    this.name = "PostgresUnavailableError";
  }
}

export const impl: ProcessorImpl<PostgresSinkConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const cols = Object.keys(c.columns);
    const exprs = new Expressions(
      cols.map((k) => c.columns[k]!),
      "value",
    );
    const ncols = cols.length;
    const head = `INSERT INTO ${quoteTable(c.table)} (${cols.map(quoteIdent).join(", ")}) VALUES `;
    let tail = "";
    if (c.mode === "upsert") {
      const keys = c.keyColumns ?? [];
      const rest = cols.filter((k) => !keys.includes(k));
      tail =
        ` ON CONFLICT (${keys.map(quoteIdent).join(", ")}) ` +
        (rest.length ? `DO UPDATE SET ${rest.map((k) => `${quoteIdent(k)} = EXCLUDED.${quoteIdent(k)}`).join(", ")}` : "DO NOTHING");
    }
    const rowsPerStatement = Math.max(1, Math.floor(MAX_PARAMS / ncols));
    const sqlCache = new Map<number, string>();
    const sqlFor = (rows: number): string => {
      let s = sqlCache.get(rows);
      if (s) return s;
      const parts: string[] = new Array(rows);
      let p = 1;
      for (let r = 0; r < rows; r++) {
        const ph: string[] = new Array(ncols);
        for (let k = 0; k < ncols; k++) ph[k] = "$" + p++;
        parts[r] = "(" + ph.join(", ") + ")";
      }
      s = head + parts.join(", ") + tail;
      if (sqlCache.size < 64) sqlCache.set(rows, s);
      return s;
    };
    const { config: clientConfig, secrets } = pgTarget(c.connectionString, ctx);
    const pool = new pg.Pool({ ...clientConfig, max: 2 });
    pool.on("error", (e) => ctx.log("warn", `postgres-sink: idle connection error: ${redact(pgMessage(e), secrets)}`));
    const unavailable = (e: unknown) => new PostgresUnavailableError(`postgres-sink: database unavailable: ${redact(pgMessage(e), secrets)}`);

    return {
      async process(records, out) {
        // 1. evaluate the columns; expression failures go to failure now
        const idx: number[] = [];
        const params: unknown[] = [];
        const { results, failures } = await exprs.evaluate(records);
        next: for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          const failure = failures.size ? failures.get(i) : undefined;
          if (failure) {
            out.emit("failure", failed(r, `column '${cols[failure[0]]}': ${failure[1]}`, ctx.nodeId), i);
            continue;
          }
          const base = params.length;
          for (let k = 0; k < ncols; k++) {
            try {
              params.push(toParam(results[i * ncols + k]));
            } catch (e) {
              params.length = base;
              out.emit("failure", failed(r, `column '${cols[k]}': ${errorMessage(e)}`, ctx.nodeId), i);
              continue next;
            }
          }
          idx.push(i);
        }
        if (idx.length === 0) return;
        // 2. one multi-row statement per chunk; on a data error, row by row
        for (let start = 0; start < idx.length; start += rowsPerStatement) {
          const end = Math.min(idx.length, start + rowsPerStatement);
          const n = end - start;
          const values = n === idx.length ? params : params.slice(start * ncols, end * ncols);
          try {
            await pool.query(sqlFor(n), values);
          } catch (e) {
            if (isTransientPgError(e)) throw unavailable(e);
            await rowByRow(records, idx, params, start, end, out);
            continue;
          }
          for (let j = start; j < end; j++) out.emit("success", records[idx[j]], idx[j]);
        }
      },
      async close() {
        await pool.end().catch(() => {});
      },
    };

    async function rowByRow(records: readonly MRecord[], idx: number[], params: unknown[], start: number, end: number, out: { emit(port: string, r: MRecord, p: number): void }) {
      const sql = sqlFor(1);
      for (let j = start; j < end; j++) {
        const i = idx[j];
        try {
          await pool.query(sql, params.slice(j * ncols, (j + 1) * ncols));
        } catch (e) {
          if (isTransientPgError(e)) throw unavailable(e);
          out.emit("failure", failed(records[i], redact(pgMessage(e), secrets), ctx.nodeId), i);
          continue;
        }
        out.emit("success", records[i], i);
      }
    }
  },
};
