// table get / scan: interactive queries of a stateful node's table; table snapshot / snapshots: its snapshots.
import { UsageError, type Parsed } from "./args.js";
import type { EngineClient } from "./client.js";
import { print, table } from "./output.js";

export const TABLE_USAGE = `  table get FLOW NODE KEY [--json]  the row of KEY in NODE's table (exit 1: no such row)
  table scan FLOW NODE [--prefix P] [--limit N] [--json]
                                   rows in key order (at most 1,000)
  table snapshot FLOW NODE [--file PATH] [--json]
                                   a snapshot of NODE's table now: to Postgres, or to a
                                   JSON-lines file under the engine's snapshot directory
  table snapshots FLOW NODE [--json]  NODE's snapshots, newest first`;

function arg(p: Parsed, i: number, what: string): string {
  const v = p.positionals[i];
  if (!v) throw new UsageError(`missing ${what}\nusage:\n${TABLE_USAGE}`);
  return v;
}

/** `0:120 1:98`: each partition's offset. */
function offsetsText(offsets: Record<string, number>): string {
  return Object.entries(offsets)
    .map(([p, o]) => `${p}:${o}`)
    .join(" ");
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
  if (sub === "snapshot") {
    const file = p.flags.get("--file");
    if (file === true) throw new UsageError("--file takes a path (within the engine's snapshot directory)");
    const r = await api().tables.snapshot.mutate({ flowId: arg(p, 2, "FLOW"), nodeId: arg(p, 3, "NODE"), ...(file !== undefined ? { file } : {}) });
    if (json) print(r);
    else {
      const s = r.snapshot;
      const read = r.partitions.map((q) => `  partition ${q.partition}: ${q.fromSnapshot ? `snapshot ${q.fromSnapshot.id} (${q.fromSnapshot.rows} rows) + ` : ""}changelog ${q.from}…${q.offset} (${q.changesRead} changes)`);
      print([`snapshot ${s.id}: ${s.rowCount} rows, ${s.bytes} bytes, in ${s.target === "file" ? s.filePath : "Postgres"} (${s.ms} ms)`, ...read, ...(r.pruned.length ? [`deleted older snapshot(s) ${r.pruned.join(", ")}`] : [])].join("\n"));
    }
    return 0;
  }
  if (sub === "snapshots") {
    const list = await api().tables.snapshots.query({ flowId: arg(p, 2, "FLOW"), nodeId: arg(p, 3, "NODE") });
    if (json) print(list);
    else if (!list.length) print("no snapshots");
    else print(table([["ID", "TAKEN AT", "BY", "WHERE", "ROWS", "BYTES", "OFFSETS"], ...list.map((s) => [s.id, s.takenAt, s.takenBy, s.target === "file" ? (s.filePath ?? "file") : "postgres", String(s.rowCount), String(s.bytes), offsetsText(s.offsets)])]));
    return 0;
  }
  print(`usage:\n${TABLE_USAGE}`);
  return sub ? 2 : 0;
}
