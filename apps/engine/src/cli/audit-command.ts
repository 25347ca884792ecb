// `audit`: the engine's audit log, newest first (admin).
import { UsageError, type Parsed } from "./args.js";
import type { EngineClient } from "./client.js";
import { print, table } from "./output.js";

function text(p: Parsed, flag: string): string | undefined {
  const v = p.flags.get(flag);
  if (v === true) throw new UsageError(`${flag} needs a value`);
  return v;
}

function isoTime(p: Parsed, flag: string): string | undefined {
  const v = text(p, flag);
  if (v === undefined) return undefined;
  const t = new Date(v);
  if (Number.isNaN(t.getTime())) throw new UsageError(`${flag} must be a date and time, e.g. 2026-01-31T12:00:00Z (got "${v}")`);
  return t.toISOString();
}

function limit(p: Parsed): number {
  const v = text(p, "--limit");
  if (v === undefined) return 50;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000 (got "${v}")`);
  return n;
}

/** `audit [--json] [--user U] [--action A] [--flow F] [--since ISO] [--until ISO] [--limit N]` */
export async function auditCommand(p: Parsed, api: () => EngineClient, json: boolean): Promise<number> {
  const { rows } = await api().audit.list.query({
    user: text(p, "--user"),
    action: text(p, "--action"),
    flow: text(p, "--flow"),
    since: isoTime(p, "--since"),
    until: isoTime(p, "--until"),
    limit: limit(p),
  });
  if (json) {
    print(rows);
    return 0;
  }
  if (!rows.length) {
    print("no audit events match");
    return 0;
  }
  const when = (d: string | Date) => new Date(d).toISOString().replace(/\.\d+Z$/, "Z");
  const outcome = (r: { outcome: string; errorCode: string | null }) => (r.outcome === "ok" ? "ok" : `refused ${r.errorCode ?? ""}`.trim());
  const detail = (d: unknown) => (d && typeof d === "object" && Object.keys(d).length ? JSON.stringify(d) : "");
  print(
    table([
      ["TIME", "USER", "VIA", "FROM", "ACTION", "TARGET", "OUTCOME", "DETAIL"],
      ...rows.map((r) => [when(r.at), r.actor ?? "-", r.via ?? "-", r.remoteAddress ?? "-", r.action, r.target ?? "-", outcome(r), detail(r.detail)]),
    ]),
  );
  return 0;
}
