import { sensitiveValuesOf, type CatalogLike, type FlowDocument } from "@millrace/flow";
import { implementations } from "@millrace/processors/runtime";
import { runFlowTests, type FlowTestsResult } from "./run-tests.js";

/** On the engine a run shares the process with deployed flows: bounded per case and in all. */
export const ENGINE_CASE_MS = 10_000;
export const ENGINE_RUN_MS = 30_000;

/**
 * Runs a document's cases for the API. The document may carry sensitive parameter values (the
 * stored ones), and a record can echo them: none of them leaves in the answer.
 */
export async function runFlowTestsOnEngine(doc: FlowDocument, catalog: CatalogLike, only?: string): Promise<FlowTestsResult> {
  const result = await runFlowTests(doc, { specs: catalog, implementations, maxCaseMs: ENGINE_CASE_MS, totalMs: ENGINE_RUN_MS, ...(only === undefined ? {} : { only }) });
  const secrets = sensitiveValuesOf(doc).filter((s) => s !== "");
  if (!secrets.length) return result;
  // replaced inside the JSON text, as JSON spells them, so the answer stays valid JSON
  let text = JSON.stringify(result);
  for (const s of secrets) text = text.split(JSON.stringify(s).slice(1, -1)).join("***");
  return JSON.parse(text) as FlowTestsResult;
}
