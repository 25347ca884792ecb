import { FlowIdSchema } from "@millrace/flow";

/** Where a procedure's input names the flow it acts on (ProcedureMeta.flowIdAt): `flowId` unless it says otherwise. */
export type FlowIdAt = "flowId" | "id" | "document.id";

/**
 * The flow id in a raw (not yet validated) input, or undefined when it names none. A malformed id
 * names no flow (the procedure's own input check refuses it), so it never reaches the database.
 */
export function flowIdOf(input: unknown, at: FlowIdAt = "flowId"): string | undefined {
  let v: unknown = input;
  for (const key of at.split(".")) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return typeof v === "string" && FlowIdSchema.safeParse(v).success ? v : undefined;
}
