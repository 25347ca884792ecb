/** Formatting of live figures and the sparkline's geometry (pure: unit-tested). */
import { SPARK_SAMPLES, type Series } from "../store/statsStore";

export function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "–";
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** A limit people set in round figures: 1M, 250k, 1.5k, 800 (no ".0"). */
export function fmtLimit(n: number): string {
  return fmt(n).replace(/\.0(?=[kM]?$)/, "");
}

/** What an edge's label says of its traffic, and its tooltip in whole words. */
export function edgeFigures(rate: string, queue: number | undefined, threshold: number | undefined): { rate: string; queue: string; text: string; title: string } {
  const q = queue === undefined ? "" : ` · queue ${fmt(queue)}${threshold ? ` of ${fmtLimit(threshold)}` : ""}`;
  const waiting = queue === undefined ? "" : `\n${queue.toLocaleString("en-US")} record${queue === 1 ? "" : "s"} waiting on the edge's topic${threshold ? `; its sources pause at ${threshold.toLocaleString("en-US")} (the queue threshold)` : ""}`;
  return { rate: `${rate} rec/s`, queue: q, text: `${rate} rec/s${q}`, title: `${rate} records a second over the last second${waiting}` };
}

/** records/s: one decimal under 10, whole numbers above, k/M beyond */
export function fmtRate(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "–";
  if (n >= 1e4) return fmt(n);
  return n < 10 ? n.toFixed(1) : String(Math.round(n));
}

/** bytes as B, KB, MB, GB (powers of 1000, one decimal above bytes) */
export function fmtBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "–";
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

export function ago(at: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

export const SPARK_W = 72;
export const SPARK_H = 16;

/** The polyline's points: newest at the right edge, the scale from 0 to the series' maximum. */
export function sparkPoints(s: Series, w = SPARK_W, h = SPARK_H, cap = SPARK_SAMPLES): string {
  if (!s.length) return "";
  let max = 0;
  for (const v of s) if (v > max) max = v;
  const step = w / (cap - 1);
  const x0 = w - (s.length - 1) * step;
  const out: string[] = [];
  for (let i = 0; i < s.length; i++) {
    const y = max > 0 ? h - 1 - (s[i]! / max) * (h - 2) : h - 1;
    out.push(`${(x0 + i * step).toFixed(1)},${y.toFixed(1)}`);
  }
  return out.join(" ");
}

