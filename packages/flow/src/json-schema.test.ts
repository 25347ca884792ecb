import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { flowDocumentJsonSchema, flowDocumentJsonSchemaText } from "./json-schema.js";

describe("flow-document.schema.json", () => {
  it("matches the zod schema (run `pnpm --filter @millrace/flow gen:schema` after changing document.ts)", () => {
    const committed = readFileSync(new URL("../flow-document.schema.json", import.meta.url), "utf8");
    expect(committed).toBe(flowDocumentJsonSchemaText());
  });
  it("describes the contract fields", () => {
    const schema = flowDocumentJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(expect.arrayContaining(["schemaVersion", "id", "name", "nodes", "edges"]));
    // `parameters` has a default: an import may leave it out.
    expect(schema.required).not.toContain("parameters");
    expect(Object.keys(schema.properties)).toEqual(["schemaVersion", "id", "name", "description", "nodes", "edges", "parameters", "settings", "tests", "groups"]);
  });
});
