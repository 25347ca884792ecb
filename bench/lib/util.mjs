// Small helpers shared by the benchmark parts.
import { readdirSync, readFileSync } from "node:fs";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const t0 = Date.now();
export function log(msg) {
  process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

/** p in [0,100] over a sorted array (nearest rank). */
export function percentile(sorted, p) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
}

/** { rssKb, hwmKb } of a live process from /proc, or undefined. */
export function procMem(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const num = (k) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+)`, "m"))?.[1] ?? NaN);
    return { rssKb: num("VmRSS"), hwmKb: num("VmHWM") };
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `everyMs`; `.peakKb` is the highest sample (and VmHWM). */
export function rssSampler(pid, everyMs = 200) {
  const s = { peakKb: 0, samples: 0, stop() { clearInterval(timer); sample(); return s; } };
  const sample = () => {
    const m = procMem(pid);
    if (!m) return;
    s.samples++;
    s.peakKb = Math.max(s.peakKb, m.rssKb);
    s.hwmKb = m.hwmKb;
  };
  const timer = setInterval(sample, everyMs);
  timer.unref();
  sample();
  return s;
}

export const round = (x, d = 0) => (x == null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

export function fmtNum(x, d = 0) {
  if (x == null) return "n/a";
  return x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
}

/** A sum of an admin.fetchTopicOffsets result's high watermarks. */
export function sumHigh(offsets) {
  return offsets.reduce((a, o) => a + Number(o.high), 0);
}

const TICKS = 100; // USER_HZ on Linux
/** CPU seconds (user + system) a process has used so far; with `children`, also its waited-for children's. */
export function procCpuSeconds(pid, children = false) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" "); // fields from #3 (state) on
    const t = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
    return t / TICKS;
  } catch {
    return 0;
  }
}

/** Pids of the live descendants of `pid` (children, their children, …; from /proc). */
export function descendantPids(pid) {
  const childrenOf = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]);
      childrenOf.set(ppid, [...(childrenOf.get(ppid) ?? []), Number(d)]);
    } catch {
      /* gone */
    }
  }
  const out = [];
  for (let next = childrenOf.get(pid) ?? []; next.length; next = next.flatMap((p) => childrenOf.get(p) ?? [])) out.push(...next);
  return out;
}

/** CPU seconds of a Postgres cluster: the postmaster, its exited children and its live backends. */
export function pgCpuSeconds(postmasterPid) {
  if (!postmasterPid) return null;
  return procCpuSeconds(postmasterPid, true) + descendantPids(postmasterPid).reduce((a, p) => a + procCpuSeconds(p), 0);
}

/** CPU seconds of the engine and its live child processes (runtime workers, user-code workers). */
export function engineCpuSeconds(pid) {
  return procCpuSeconds(pid) + descendantPids(pid).reduce((a, p) => a + procCpuSeconds(p), 0);
}

/** RSS (kB) of the engine and its live child processes, each and summed. */
export function engineRssKb(pid) {
  const each = [pid, ...descendantPids(pid)].map((p) => procMem(p)?.rssKb ?? 0);
  return { totalKb: each.reduce((a, x) => a + x, 0), eachKb: each };
}
