import { HEADER, type MRecord } from "@millrace/processors";
import type { OutMessage } from "../kafka/index.js";
import type { Emitted } from "./observer.js";
import type { MessageOwner, Outgoing } from "./producing.js";

/** Where a source publishes the call context of each record it emits (its `callContextTopic` setting). */
export interface CallContextTarget {
  topic: string;
  flowId: string;
  nodeId: string;
}

/** What the call-context topic holds per record: who sent it into the flow and how, keyed by its lineage id. */
export interface CallContext {
  recordId: string;
  principal: string | null;
  auth: string | null;
  /** when the batch holding the record was routed (ISO 8601) */
  at: string;
  flowId: string;
  nodeId: string;
}

/** Call-context messages belong to no output: their size is measured when the produce requests are cut. */
const UNOWNED: MessageOwner = Object.freeze({});

/** The call-context message of one record the source emitted. */
export function callContextMessage(record: MRecord, target: CallContextTarget, at: string): OutMessage {
  const h = record.headers;
  const recordId = h[HEADER.id] ?? "";
  const context: CallContext = { recordId, principal: h[HEADER.principal] ?? null, auth: h[HEADER.auth] ?? null, at, flowId: target.flowId, nodeId: target.nodeId };
  return { key: recordId, value: Buffer.from(JSON.stringify(context), "utf8") };
}

/**
 * Adds one call-context message per emitted record to the batch, so that they are written by the
 * same produce requests (the same transaction, exactly-once) as the records themselves.
 */
export function addCallContexts(target: CallContextTarget, emitted: readonly Emitted[], outgoing: Outgoing): void {
  if (emitted.length === 0) return;
  const at = new Date().toISOString();
  for (let i = 0; i < emitted.length; i++) outgoing.add(target.topic, callContextMessage(emitted[i]!.record, target, at), UNOWNED);
}
