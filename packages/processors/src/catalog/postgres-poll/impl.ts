import pg from "pg";
import { parseConfig, redact, sleep } from "../../config.js";
import { pgMessage, pgTarget, queryReadOnly, quoteIdent, STATEMENT_TIMEOUT } from "../../pg-util.js";
import type { MRecord, ProcessorImpl, SourceProcessor } from "../../sdk.js";
import { spec, type PostgresPollConfig } from "./spec.js";

const MAX_WAIT_MS = 250;

export const impl: ProcessorImpl<PostgresPollConfig> = {
  type: spec.type,
  create(config, ctx): SourceProcessor {
    const c = parseConfig(spec, config);
    const inner = c.query.replace(/;\s*$/, "");
    const col = c.incrementingColumn ? "q." + quoteIdent(c.incrementingColumn) : undefined;
    const firstSql = col
      ? `SELECT row_to_json(q) AS v, (${col})::text AS c FROM (${inner}) AS q WHERE ${col} IS NOT NULL ORDER BY ${col} LIMIT $1`
      : `SELECT row_to_json(q) AS v FROM (${inner}) AS q`;
    const nextSql = col
      ? `SELECT row_to_json(q) AS v, (${col})::text AS c FROM (${inner}) AS q WHERE ${col} > $2 ORDER BY ${col} LIMIT $1`
      : firstSql;
    const { config: clientConfig, secrets } = pgTarget(c.connectionString, ctx);
    let client: pg.Client | undefined;
    let cursor: string | undefined;
    let pending: unknown[][] = [];
    let nextDue = 0;
    let failures = 0;

    const dropClient = () => {
      const cl = client;
      client = undefined;
      cl?.end().catch(() => {});
    };
    const getClient = async (): Promise<pg.Client> => {
      if (client) return client;
      const cl = new pg.Client(clientConfig);
      cl.on("error", () => {
        if (client === cl) dropClient();
      });
      await cl.connect();
      client = cl;
      return cl;
    };
    const toRecords = (rows: unknown[][]): MRecord[] => {
      const out: MRecord[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = { value: rows[i][0], headers: {} };
      return out;
    };

    return {
      open(checkpoint) {
        if (typeof checkpoint === "string") cursor = checkpoint;
      },
      async poll(max) {
        const limit = Math.max(1, Math.floor(max));
        if (pending.length > 0) {
          const rows = pending.length <= limit ? pending : pending.slice(0, limit);
          pending = pending.length <= limit ? [] : pending.slice(limit);
          return { records: toRecords(rows), checkpoint: cursor };
        }
        let now = Date.now();
        if (now < nextDue) {
          await sleep(Math.min(nextDue - now, MAX_WAIT_MS), ctx.signal);
          now = Date.now();
          if (now < nextDue || ctx.signal.aborted) return { records: [], checkpoint: cursor };
        }
        try {
          const cl = await getClient();
          const values = col ? (cursor === undefined ? [limit] : [limit, cursor]) : [];
          const res = await queryReadOnly<unknown[]>(cl, { text: cursor === undefined ? firstSql : nextSql, values }, c.statementTimeoutMs);
          failures = 0;
          const rows = res.rows;
          if (col) {
            if (rows.length > 0) cursor = rows[rows.length - 1][1] as string;
            nextDue = rows.length < limit ? now + c.intervalMs : 0;
            return { records: toRecords(rows), checkpoint: cursor };
          }
          nextDue = now + c.intervalMs;
          if (rows.length <= limit) return { records: toRecords(rows) };
          pending = rows.slice(limit);
          return { records: toRecords(rows.slice(0, limit)) };
        } catch (e) {
          failures++;
          dropClient();
          nextDue = Date.now() + Math.min(c.intervalMs * Math.min(failures, 6), 60_000);
          const timedOut = (e as { code?: unknown } | null)?.code === STATEMENT_TIMEOUT ? ` (statementTimeoutMs ${c.statementTimeoutMs} exceeded)` : "";
          ctx.log("warn", `postgres-poll: query failed (retrying): ${redact(pgMessage(e), secrets)}${timedOut}`);
          return { records: [], checkpoint: cursor };
        }
      },
      async close() {
        const cl = client;
        client = undefined;
        await cl?.end().catch(() => {});
      },
    };
  },
};
