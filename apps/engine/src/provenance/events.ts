/**
 * Provenance vocabulary (after NiFi's) and how an event type is derived from what the runner
 * observed. Codes are one character so a node-batch stores its events as one short string.
 *
 * Mapping (per output record of a node, in this order):
 *   source node, no input (generate, http-listen, postgres-poll) → CREATE   the record is born here
 *   source node with inputs (kafka-source)                      → RECEIVE  taken in from an external topic
 *   port `failure`                                              → FAILURE
 *   sink node (kafka-sink, postgres-sink, log)                  → SEND     delivered outside the flow
 *   same lineage id as its input (passed unchanged: filter kept,
 *   route's chosen port)                                        → ROUTE
 *   one of several outputs of one input, or a flat-map          → FORK
 *   any other derived record (map, set-headers, javascript...)  → MODIFY
 * Per input record that produced no output:
 *   sink node                                                   → SEND     (a sink that emits nothing, e.g. log)
 *   any other node                                              → DROP     (filtered out, or emitted nothing)
 * Written by the replay API:                                    → REPLAY   a new record re-sent from an old one
 */
export const EVENT_TYPES = ["CREATE", "RECEIVE", "ROUTE", "MODIFY", "FORK", "DROP", "SEND", "FAILURE", "REPLAY"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const CODE: Record<EventType, string> = {
  CREATE: "C",
  RECEIVE: "V",
  ROUTE: "R",
  MODIFY: "M",
  FORK: "F",
  DROP: "D",
  SEND: "S",
  FAILURE: "X",
  REPLAY: "P",
};
const BY_CODE: Record<string, EventType> = Object.fromEntries(Object.entries(CODE).map(([t, c]) => [c, t as EventType]));

/** An input that produced outputs has no event of its own: its outputs' events tell what happened. */
export const NO_EVENT = ".";

export function eventOfCode(c: string): EventType | undefined {
  return BY_CODE[c];
}

export type NodeKind = "source" | "transform" | "sink";

export interface NodeFacts {
  kind: NodeKind | undefined;
  /** the node's spec declares that every output is split off its input */
  forks?: boolean;
  inIds: readonly string[];
  outIds: readonly string[];
  /** index into inIds per output; -1 = created at a source; null: output i comes from input i */
  outParents: ArrayLike<number> | null;
  /** port per output; null: every output went to `success` */
  outPorts: readonly string[] | null;
}

const CHAR = Object.fromEntries(Object.entries(CODE).map(([t, c]) => [t, c.charCodeAt(0)])) as Record<EventType, number>;
const NO_EVENT_CHAR = ".".charCodeAt(0);

/** The event codes of a node-batch: one char per output, one char per input ('.' = it had outputs). */
export function deriveEvents(f: NodeFacts): { out: string; in: string } {
  const nIn = f.inIds.length;
  const nOut = f.outIds.length;
  const parents = f.outParents;
  const ports = f.outPorts;
  const children = new Uint32Array(nIn);
  for (let i = 0; i < nOut; i++) {
    const p = parents ? parents[i]! : i;
    if (p >= 0 && p < nIn) children[p]!++;
  }
  // one byte per event, turned into a string once (not a string concatenation per record)
  const out = Buffer.allocUnsafe(nOut);
  for (let i = 0; i < nOut; i++) {
    const p = parents ? parents[i]! : i;
    let c: number;
    if (f.kind === "source") c = p < 0 || nIn === 0 ? CHAR.CREATE : CHAR.RECEIVE;
    else if (p < 0) c = CHAR.CREATE;
    else if (ports !== null && ports[i] === "failure") c = CHAR.FAILURE;
    else if (f.kind === "sink") c = CHAR.SEND;
    else if (f.outIds[i] === f.inIds[p]) c = CHAR.ROUTE;
    else if (children[p]! > 1 || f.forks === true) c = CHAR.FORK;
    else c = CHAR.MODIFY;
    out[i] = c;
  }
  const inp = Buffer.allocUnsafe(nIn);
  const none = f.kind === "sink" ? CHAR.SEND : CHAR.DROP;
  for (let i = 0; i < nIn; i++) inp[i] = children[i] ? NO_EVENT_CHAR : none;
  return { out: out.toString("latin1", 0, nOut), in: inp.toString("latin1", 0, nIn) };
}
