// cdc slots: the replication slots postgres-cdc nodes keep on a database server, orphaned ones marked.
import { UsageError, type Parsed } from "./args.js";
import type { EngineClient } from "./client.js";
import { print, table } from "./output.js";

export const CDC_USAGE = `  cdc slots [--connection NAME] [--json]
                                   the mr_… replication slots on a postgres connection's server
                                   (default: the engine's database) with their flow node and the
                                   WAL each keeps; ORPHANED ones nothing reads again (operator)`;

/** 1536 → "1.5 KiB" */
function bytesText(n: number | null): string {
  if (n === null) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Answers undefined when `cmd` is not `cdc`. */
export async function runCdcCommands(cmd: string, p: Parsed, api: () => EngineClient, json: boolean): Promise<number | undefined> {
  if (cmd !== "cdc") return undefined;
  if (p.positionals[1] !== "slots") throw new UsageError(`usage:\n${CDC_USAGE}`);
  const connection = p.flags.get("--connection");
  if (connection === true) throw new UsageError("--connection takes the name of a postgres connection");
  const slots = await api().cdc.slots.query(connection === undefined ? {} : { connection });
  if (json) print(slots);
  else if (!slots.length) print("no Millrace replication slots (mr_…) on this server");
  else {
    print(
      table([
        ["SLOT", "DATABASE", "FLOW", "NODE", "DEPLOYED", "ACTIVE", "WAL KEPT", "STATE"],
        ...slots.map((s) => [s.slot, s.database ?? "-", s.flowId ?? (s.flowExists ? "" : "(gone)"), s.nodeId ?? "-", s.deployed ? "yes" : "no", s.active ? "yes" : "no", bytesText(s.retainedBytes), s.orphaned ? "ORPHANED" : "ok"]),
      ]),
    );
    const orphaned = slots.filter((s) => s.orphaned);
    if (orphaned.length) print(`\n${orphaned.length} orphaned slot(s) keep WAL on the database's disk: drop each with SELECT pg_drop_replication_slot('<slot>')`);
  }
  return 0;
}
