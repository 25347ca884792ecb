// table get / scan: interactive queries of a stateful node's table.
import { UsageError, type Parsed } from "./args.js";
import type { EngineClient } from "./client.js";
import { print, table } from "./output.js";

export const TABLE_USAGE = `  table get FLOW NODE KEY [--json]  the row of KEY in NODE's table (exit 1: no such row)
  table scan FLOW NODE [--prefix P] [--limit N] [--json]
                                   rows in key order (at most 1,000)`;

function arg(p: Parsed, i: number, what: string): string {
  const v = p.positionals[i];
  if (!v) throw new UsageError(`missing ${what}\nusage:\n${TABLE_USAGE}`);
  return v;
}

/** Answers undefined when `cmd` is not `table`. */
export async function runTableCommands(cmd: string, p: Parsed, api: () => EngineClient, json: boolean): Promise<number | undefined> {
  if (cmd !== "table" && cmd !== "tables") return undefined;
  const sub = p.positionals[1];
  if (sub === "get") {
    const r = await api().tables.get.query({ flowId: arg(p, 2, "FLOW"), nodeId: arg(p, 3, "NODE"), key: arg(p, 4, "KEY") });
    if (json) print(r);
    else print(r.value === null ? `no row ${JSON.stringify(r.key)}` : JSON.stringify(r.value));
    return r.value === null ? 1 : 0;
  }
  if (sub === "scan") {
    const limitFlag = p.flags.get("--limit");
    const limit = typeof limitFlag === "string" ? Number(limitFlag) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) throw new UsageError("--limit takes a whole number from 1 to 1000");
    const prefix = p.flags.get("--prefix");
    const r = await api().tables.scan.query({ flowId: arg(p, 2, "FLOW"), nodeId: arg(p, 3, "NODE"), ...(typeof prefix === "string" ? { prefix } : {}), ...(limit ? { limit } : {}) });
    if (json) print(r);
    else if (!r.rows.length) print("no rows");
    else print(table([["KEY", "VALUE"], ...r.rows.map((row) => [row.key, JSON.stringify(row.value)])]) + (r.truncated ? "\n…more rows: raise --limit or give a --prefix" : ""));
    return 0;
  }
  print(`usage:\n${TABLE_USAGE}`);
  return sub ? 2 : 0;
}
