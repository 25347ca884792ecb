import { z } from "zod";
import { FlowDocumentSchema } from "./document.js";

/**
 * The published JSON Schema of flow document v1 (committed as flow-document.schema.json and
 * served by the API). It describes what an import may contain, hence zod's "input" view:
 * fields with defaults (`parameters`, `sensitive`) are optional there.
 */
export function flowDocumentJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(FlowDocumentSchema, { io: "input", target: "draft-2020-12" });
  return {
    $schema: schema.$schema,
    $id: "https://millrace.dev/schemas/flow-document-v1.schema.json",
    title: "Millrace flow document v1",
    ...schema,
  };
}

/** The committed file's exact text (2-space JSON + newline), so the drift test can compare strings. */
export function flowDocumentJsonSchemaText(): string {
  return JSON.stringify(flowDocumentJsonSchema(), null, 2) + "\n";
}
