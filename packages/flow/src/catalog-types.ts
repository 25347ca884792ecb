import type { z } from "zod";

/**
 * What the flow package needs to know about a processor type to validate a document.
 * packages/processors implements it; flow depends on this shape only (never on processors).
 */
export type ProcessorKind = "source" | "transform" | "sink";

export interface ProcessorTypeInfo {
  type: string;
  version: number;
  kind: ProcessorKind;
  title: string;
  description: string;
  configSchema: z.ZodType;
  /** Output port names for a given (valid) config; always includes "failure" unless the type has no outputs. */
  outputPorts(config: any): string[];
  /** Whether the node takes input edges (false for sources). */
  hasInput: boolean;
}

export interface CatalogLike {
  get(type: string): ProcessorTypeInfo | undefined;
  list(): ProcessorTypeInfo[];
}
