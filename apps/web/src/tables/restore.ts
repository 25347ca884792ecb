/**
 * A stateful node's restore from its changelog, in words (pure: unit-tested): the canvas node's
 * line and the panel's, while the engine reads partitions' changelogs before processing them.
 */
import type { NodeStats } from "../api/types";
import { fmt } from "../components/figures";

export type Restoring = NonNullable<NodeStats["restoring"]>;

export interface RestoreProgress {
  /** "restoring 2 partitions" */
  what: string;
  /** "1.2k of 5.0k changes" */
  read: string;
  /** 0…100, whole; 0 when the total is not known yet */
  percent: number;
}

export function restoreProgress(r: Restoring): RestoreProgress {
  const percent = r.total > 0 ? Math.min(100, Math.floor((r.done / r.total) * 100)) : 0;
  return {
    what: `restoring ${r.partitions} partition${r.partitions === 1 ? "" : "s"}`,
    read: `${fmt(r.done)} of ${fmt(r.total)} changes`,
    percent,
  };
}

/** Equal figures count as unchanged, so a node whose restore did not move is not re-rendered. */
export function sameRestoring(a: Restoring | undefined, b: Restoring | undefined): boolean {
  if (a === b) return true;
  return !!a && !!b && a.partitions === b.partitions && a.done === b.done && a.total === b.total;
}
