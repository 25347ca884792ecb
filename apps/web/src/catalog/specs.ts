/**
 * The processor catalogue as the browser sees it: specs only (zod config schema, ports,
 * docs, example) from the browser-safe root export of @millrace/processors.
 */
import { catalog, type ProcessorSpec } from "@millrace/processors";

export type { ProcessorSpec };
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
