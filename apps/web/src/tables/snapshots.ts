/**
 * The Table section's snapshots without React (pure: unit-tested): how a snapshot reads in the
 * list, and what the designer says once "Snapshot now" is done.
 */
import { ago, fmtBytes } from "../components/figures";

/** A snapshot as the engine lists it (`tables.snapshots`). */
export interface SnapshotSummary {
  id: string;
  target: "postgres" | "file";
  filePath: string | null;
  offsets: Record<string, number>;
  rowCount: number;
  bytes: number;
  takenBy: string;
  takenAt: string;
}

/** What `tables.snapshot` answers. */
export interface SnapshotOutcome {
  snapshot: SnapshotSummary;
  partitions: { partition: number; from: number; offset: number; changesRead: number; fromSnapshot?: { id: string; rows: number } }[];
  pruned: string[];
}

/** Rows shown in the section's list (the engine keeps only a few per node anyway). */
export const LISTED_SNAPSHOTS = 5;

/** `#12 · 3 min ago · 48 rows · 1.2 KB · on schedule`. */
export function snapshotLine(s: SnapshotSummary, now = Date.now()): string {
  const by = s.takenBy === "schedule" ? "on schedule" : `by ${s.takenBy}`;
  return `#${s.id} · ${ago(Date.parse(s.takenAt), now)} · ${rowsText(s.rowCount)} · ${fmtBytes(s.bytes)} · ${by}`;
}

/** Where its rows are: Postgres, or the file's name (its full path is the tooltip). */
export function snapshotPlace(s: SnapshotSummary): string {
  if (s.target === "postgres") return "Postgres";
  const path = s.filePath ?? "";
  return path.slice(path.lastIndexOf("/") + 1) || "file";
}

/** Each partition's changelog offset the snapshot reflects: `p0 @ 460, p1 @ 455`. */
export function offsetsText(offsets: Record<string, number>): string {
  return Object.entries(offsets)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([p, o]) => `p${p} @ ${o}`)
    .join(", ");
}

/** The line after "Snapshot now": what was written and how much of the changelog it read. */
export function outcomeLine(o: SnapshotOutcome): string {
  const read = o.partitions.reduce((n, p) => n + p.changesRead, 0);
  const continued = o.partitions.some((p) => p.fromSnapshot);
  const base = continued ? `continued from snapshot #${o.partitions.find((p) => p.fromSnapshot)!.fromSnapshot!.id}, ` : "";
  const pruned = o.pruned.length ? `; ${o.pruned.length} older deleted` : "";
  return `Snapshot #${o.snapshot.id} written: ${rowsText(o.snapshot.rowCount)} (${base}${read} changelog change${read === 1 ? "" : "s"} read)${pruned}`;
}

function rowsText(n: number): string {
  return `${n.toLocaleString("en-US")} row${n === 1 ? "" : "s"}`;
}
