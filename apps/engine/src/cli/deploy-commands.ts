import { UsageError, type Parsed } from "./args.js";
import type { engineClient } from "./client.js";
import { print, table } from "./output.js";



const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`);

/** deploy / stop / stats. */
export async function runDeployCommands(cmd: string, p: Parsed, api: () => ReturnType<typeof engineClient>, json: boolean): Promise<number> {
  const id = p.positionals[1];
  if (cmd === "deploy" || cmd === "stop" || cmd === "stats") {
    if (!id) throw new UsageError(`missing flow ID: millrace ${cmd} ID`);
  }
  if (cmd === "deploy") {
    const v = p.flags.get("--version");
    const version = typeof v === "string" ? Number(v) : undefined;
    if (version !== undefined && (!Number.isInteger(version) || version < 1)) throw new UsageError(`--version must be a positive whole number`);
    const exactlyOnce = p.flags.has("--exactly-once") ? true : p.flags.has("--at-least-once") ? false : undefined;
    const s = await api().deployments.deploy.mutate({ flowId: id!, version, exactlyOnce });
    if (json) print(s);
    else {
      print(`deployed ${s.flowId} v${s.version} (${s.exactlyOnce ? "exactly-once" : "at-least-once"}): ${s.status}`);
      for (const w of s.plan?.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
    }
    return 0;
  }
  if (cmd === "stop") {
    const s = await api().deployments.stop.mutate({ flowId: id! });
    print(json ? s : `${s.flowId}: ${s.status}`);
    return 0;
  }
  if (cmd === "stats") {
    const s = await api().stats.snapshot.query({ flowId: id! });
    if (json) {
      print(s);
      return 0;
    }
    print(`${s.flowId} v${s.version ?? "-"} ${s.status} (${s.engines} engine${s.engines === 1 ? "" : "s"})`);
    print("");
    print(
      table([
        ["NODE", "IN", "OUT", "ERRORS", "BYTES IN", "BYTES OUT", "/s 1s", "/s 1m", "/s 5m", "STATE"],
        ...Object.entries(s.nodes).map(([n, f]) => [n, num(f.in), num(f.out), num(f.errors), bytes(f.bytesIn), bytes(f.bytesOut), num(f.rate1s), num(f.rate1m), num(f.rate5m), f.paused ? (f.pausedFor === "disk" ? "paused (disk low)" : "paused (back pressure)") : f.lastError ? `last error: ${f.lastError.slice(0, 60)}` : ""]),
      ]),
    );
    print("");
    print(
      table([
        ["EDGE", "MODE", "RECORDS", "/s 1s", "/s 1m", "/s 5m", "QUEUE", "THRESHOLD"],
        ...Object.entries(s.edges).map(([e, f]) => [e, f.mode, num(f.records), num(f.rate1s), num(f.rate1m), num(f.rate5m), num(f.queue) + (f.backPressure ? " (full)" : ""), f.threshold === null ? "-" : num(f.threshold)]),
      ]),
    );
    return 0;
  }
  throw new UsageError(`unknown command "${[cmd, ...p.positionals.slice(1, 2)].join(" ")}" (see \`millrace --help\`)`);
}
