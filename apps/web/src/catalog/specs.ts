/**
 * The processor catalogue as the browser sees it: specs only (zod config schema, ports,
 * docs, example) from the browser-safe root export of @millrace/processors.
 */
import { catalog, type ProcessorSpec } from "@millrace/processors";
import type { FlowDocument } from "@millrace/flow";
import { validateForCanvas, type CanvasProblems } from "../doc/validate";

export type { ProcessorSpec };
export { catalog };
export type Kind = ProcessorSpec["kind"];

export const KINDS: { kind: Kind; label: string }[] = [
  { kind: "source", label: "Sources" },
  { kind: "transform", label: "Transforms" },
  { kind: "sink", label: "Sinks" },
];

export const specs: ProcessorSpec[] = catalog.specs;
const byType = new Map(specs.map((s) => [s.type, s]));

export function getSpec(type: string): ProcessorSpec | undefined {
  return byType.get(type);
}

export function searchSpecs(query: string): ProcessorSpec[] {
  const q = query.trim().toLowerCase();
  if (!q) return specs;
  return specs.filter((s) => [s.type, s.title, s.description, s.kind].some((t) => t?.toLowerCase().includes(q)));
}

const problemCache = new WeakMap<FlowDocument, CanvasProblems>();
/** Canvas problems of a document, computed once per (immutable) document. */
export function problemsOf(doc: FlowDocument): CanvasProblems {
  let p = problemCache.get(doc);
  if (!p) problemCache.set(doc, (p = validateForCanvas(doc, catalog)));
  return p;
}
