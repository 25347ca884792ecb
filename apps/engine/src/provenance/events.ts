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
  type: string | undefined;
  inIds: readonly string[];
  outIds: readonly string[];
  /** index into inIds per output; -1 = created at a source */
  outParents: ArrayLike<number>;
  outPorts: readonly string[];
}

/** The event codes of a node-batch: one char per output, one char per input ('.' = it had outputs). */
export function deriveEvents(f: NodeFacts): { out: string; in: string } {
  const nIn = f.inIds.length;
  const nOut = f.outIds.length;
  const children = new Uint32Array(nIn);
  for (let i = 0; i < nOut; i++) {
    const p = f.outParents[i]!;
    if (p >= 0 && p < nIn) children[p]!++;
  }
  let out = "";
  for (let i = 0; i < nOut; i++) {
    const p = f.outParents[i]!;
    let c: string;
    if (f.kind === "source") c = p < 0 || nIn === 0 ? CODE.CREATE : CODE.RECEIVE;
    else if (p < 0) c = CODE.CREATE;
    else if (f.outPorts[i] === "failure") c = CODE.FAILURE;
    else if (f.kind === "sink") c = CODE.SEND;
    else if (f.outIds[i] === f.inIds[p]) c = CODE.ROUTE;
    else if (children[p]! > 1 || f.type === "flat-map") c = CODE.FORK;
    else c = CODE.MODIFY;
    out += c;
  }
  let inp = "";
  const none = f.kind === "sink" ? CODE.SEND : CODE.DROP;
  for (let i = 0; i < nIn; i++) inp += children[i] ? NO_EVENT : none;
  return { out, in: inp };
}
