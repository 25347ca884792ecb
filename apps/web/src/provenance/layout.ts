/**
 * Lays a lineage graph out in steps: step 0 holds the events nobody links to (where the walk
 * starts: the record's birth, or the oldest ancestor found), each event sits one step right of
 * its latest parent. Within a step, events keep their time order.
 */
import type { LineageGraph, ProvenanceEvent } from "../api/types";

export interface LineageLayout {
  steps: ProvenanceEvent[][];
  /** event id → ids of the events it came from */
  parents: Map<string, string[]>;
  /** time of the first event (the others are shown as +ms from it) */
  t0: number;
}

export function layoutLineage(g: LineageGraph): LineageLayout {
  const byId = new Map(g.nodes.map((e) => [e.id, e]));
  const parents = new Map<string, string[]>();
  for (const l of g.links) {
    if (!byId.has(l.from) || !byId.has(l.to) || l.from === l.to) continue;
    const list = parents.get(l.to);
    if (list) list.push(l.from);
    else parents.set(l.to, [l.from]);
  }
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const d = depth.get(id);
    if (d !== undefined) return d;
    if (visiting.has(id)) return 0; // a cycle (should not happen): cut it
    visiting.add(id);
    let best = 0;
    for (const p of parents.get(id) ?? []) best = Math.max(best, depthOf(p) + 1);
    visiting.delete(id);
    depth.set(id, best);
    return best;
  };
  const steps: ProvenanceEvent[][] = [];
  const sorted = [...g.nodes].sort((a, b) => a.at - b.at || a.id.localeCompare(b.id, "en", { numeric: true }));
  for (const e of sorted) (steps[depthOf(e.id)] ??= []).push(e);
  return { steps: steps.filter(Boolean), parents, t0: sorted[0]?.at ?? 0 };
}

/** The flow the record was seen in (its own events first), for replay. */
export function flowOfRecord(g: LineageGraph): string | undefined {
  return (g.nodes.find((e) => e.recordId === g.recordId) ?? g.nodes[0])?.flowId;
}

export const EVENT_HELP: Record<string, string> = {
  CREATE: "born here (a source made it)",
  RECEIVE: "taken in from an external topic",
  ROUTE: "passed on unchanged (kept by a filter, or routed to a port)",
  MODIFY: "changed into a new record",
  FORK: "one of several records made from one",
  DROP: "filtered out, or the step produced nothing",
  SEND: "delivered outside the flow (a sink)",
  FAILURE: "sent to the failure port",
  REPLAY: "re-sent from an earlier record",
};
