/**
 * Test cases as the designer makes and edits them: a new case, a case from tapped records, a
 * case read back from its JSON text. The engine runs them (flows.runTests); these only shape them.
 */
import { TEST_LIMITS, TestCaseSchema, checkSchema, formatError, type FlowDocument, type TestCase, type TestRecord } from "@millrace/flow";

/** A tapped record as the tap panel holds it. */
export interface TappedRecord {
  key?: string | null;
  value?: unknown;
  headers?: Record<string, string> | null;
  timestamp?: number | null;
}

/** A name no case of `tests` has: `base`, else `base (2)`, `base (3)`… */
export function freeCaseName(tests: readonly TestCase[], base: string): string {
  const taken = new Set(tests.map((t) => t.name));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base} (${i})`)) return `${base} (${i})`;
}

/** The first source's id (records go in there), or undefined for a flow without one. */
function firstSource(doc: FlowDocument, isSource: (type: string) => boolean): string | undefined {
  return doc.nodes.find((n) => isSource(n.type))?.id;
}

/** A case to start from: one record into the first source, the first node it feeds expected to send one. */
export function newCase(doc: FlowDocument, isSource: (type: string) => boolean): TestCase {
  const source = firstSource(doc, isSource);
  const next = source ? doc.edges.find((e) => e.from.node === source)?.to.node : undefined;
  return {
    name: freeCaseName(doc.tests ?? [], "new case"),
    inputs: source ? { [source]: [{ value: { example: 1 } }] } : {},
    expect: next ? { [next]: { count: 1 } } : {},
  };
}

/** The runtime's own headers (lineage ids, who sent it) differ on every run: a case never expects them. */
function userHeaders(headers: Record<string, string> | null | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  const kept = Object.entries(headers).filter(([k]) => !k.startsWith("mr."));
  return kept.length ? Object.fromEntries(kept) : undefined;
}

function asTestRecord(r: TappedRecord): TestRecord {
  const out: TestRecord = { value: (r.value ?? null) as TestRecord["value"] };
  if (r.key !== undefined && r.key !== null) out.key = r.key;
  const headers = userHeaders(r.headers);
  if (headers) out.headers = headers;
  // the Kafka timestamp: a window reading no timestamp expression counts by it
  if (typeof r.timestamp === "number" && r.timestamp >= 0) out.timestamp = r.timestamp;
  return out;
}

/**
 * A case from records tapped on the edge leaving `from` (node, port), listed newest first: records leaving a source are
 * the case's inputs; records leaving any other node are what that port is expected to send (the
 * inputs are then the user's to add). Oldest first, at most a case's worth.
 */
export function caseFromTap(doc: FlowDocument, from: { node: string; port: string }, tapped: readonly TappedRecord[], isSource: (type: string) => boolean): TestCase {
  // the tap lists newest first; records of one millisecond keep that order, reversed
  const records = [...tapped]
    .reverse()
    .sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0))
    .slice(-Math.min(TEST_LIMITS.recordsPerCase, TEST_LIMITS.expectedPerTarget))
    .map(asTestRecord);
  const node = doc.nodes.find((n) => n.id === from.node);
  const name = freeCaseName(doc.tests ?? [], `tapped at ${from.node}.${from.port}`);
  if (node && isSource(node.type)) return { name, inputs: { [from.node]: records }, expect: {} };
  return { name, inputs: {}, expect: { [`${from.node}.${from.port}`]: { records } } };
}

/** A case read back from the JSON text the user edited: the case, or the reasons it is not one (path-named). */
export function parseCase(text: string): { ok: true; value: TestCase } | { ok: false; errors: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: [`not JSON: ${e instanceof Error ? e.message : String(e)}`] };
  }
  const r = checkSchema(TestCaseSchema, raw);
  return r.ok ? { ok: true, value: r.value } : { ok: false, errors: r.errors.map(formatError) };
}
