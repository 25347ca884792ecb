// Summarises a .cpuprofile (V8 / Chrome DevTools format): top functions by self and by total time.
// `node bench/lib/cpuprofile.mjs FILE [N]`
import { readFileSync } from "node:fs";

export function summarize(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  const counts = new Map();
  for (let i = 0; i < profile.samples.length; i++) counts.set(profile.samples[i], (counts.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const f = n.callFrame;
    const url = (f.url || "").replace(/^.*\/(node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?)/, "").replace(/^file:\/\/\/work\/main\//, "").replace(/^https?:\/\/[^/]+\//, "");
    return `${f.functionName || "(anonymous)"} ${url}${url ? `:${f.lineNumber + 1}` : ""}`;
  };
  let totalUs = 0;
  const total = new Map();
  for (const [id, us] of counts) {
    totalUs += us;
    const n = byId.get(id);
    const l = label(n);
    self.set(l, (self.get(l) ?? 0) + us);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cl = label(byId.get(cur));
      if (seen.has(cl)) continue;
      seen.add(cl);
      total.set(cl, (total.get(cl) ?? 0) + us);
    }
  }
  const fmt = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([l, us]) => `${((us / totalUs) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${l}`);
  return { totalMs: totalUs / 1000, self: fmt(self), total: fmt(total) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summarize(JSON.parse(readFileSync(process.argv[2], "utf8")), Number(process.argv[3] ?? 25));
  console.log(`sampled ${(s.totalMs / 1000).toFixed(1)} s\n-- self --\n${s.self.join("\n")}\n-- total (inclusive) --\n${s.total.join("\n")}`);
}
