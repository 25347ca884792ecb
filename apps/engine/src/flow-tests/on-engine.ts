import { sensitiveValuesOf, type CatalogLike, type FlowDocument } from "@millrace/flow";
import { implementations } from "@millrace/processors/runtime";
import { DomainError } from "../errors.js";
import { runFlowTests, type FlowTestsResult } from "./run-tests.js";

/** On the engine a run shares the process with deployed flows: bounded per case and in all. */
export const ENGINE_CASE_MS = 10_000;
export const ENGINE_RUN_MS = 30_000;
/** Runs at once: each keeps every record its case's nodes send in the engine's memory. */
export const ENGINE_CONCURRENT_RUNS = 2;

let runsGoing = 0;

/**
 * Runs a document's cases for the API. The document may carry sensitive parameter values (the
 * stored ones), and a record can echo them: none of them leaves in the answer.
 */
export async function runFlowTestsOnEngine(doc: FlowDocument, catalog: CatalogLike, only?: string): Promise<FlowTestsResult> {
  if (runsGoing >= ENGINE_CONCURRENT_RUNS) throw new DomainError("TOO_MANY", `${ENGINE_CONCURRENT_RUNS} test runs are going on this engine already: try again when one has finished`);
  runsGoing++;
  try {
    const result = await runFlowTests(doc, { specs: catalog, implementations, maxCaseMs: ENGINE_CASE_MS, totalMs: ENGINE_RUN_MS, ...(only === undefined ? {} : { only }) });
    return scrubbed(result, sensitiveValuesOf(doc));
  } finally {
    runsGoing--;
  }
}

/**
 * `value` with every secret replaced by *** inside its strings. Only strings: the answer's own
 * structure (its keys, numbers, booleans) stays as it is whatever a secret spells.
 */
export function scrubbed<T>(value: T, secrets: readonly string[]): T {
  // the longest first, so a secret that contains another is replaced whole
  const ordered = secrets.filter((s) => s !== "").sort((a, b) => b.length - a.length);
  if (!ordered.length) return value;
  const scrub = (v: unknown): unknown => {
    if (typeof v === "string") {
      let text = v;
      for (const s of ordered) if (text.includes(s)) text = text.split(s).join("***");
      return text;
    }
    if (Array.isArray(v)) return v.map(scrub);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
    return v;
  };
  return scrub(value) as T;
}
