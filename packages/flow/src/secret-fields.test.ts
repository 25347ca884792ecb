import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { CatalogLike, ProcessorTypeInfo } from "./catalog-types.js";
import type { FlowDocument } from "./document.js";
import { inSecretField, secretFields } from "./secret-fields.js";
import { validateFlow } from "./validate.js";

const sinkSchema = z.strictObject({
  topic: z.string().min(1),
  url: z.string().meta({ description: "connection", secret: true }),
  headers: z.record(z.string(), z.string()).default({}).meta({ description: "headers", secret: true }),
});
const types: ProcessorTypeInfo[] = [
  { type: "gen", version: 1, kind: "source", title: "", description: "", hasInput: false, configSchema: z.strictObject({ template: z.string() }), outputPorts: () => ["success"] },
  { type: "sink", version: 1, kind: "sink", title: "", description: "", hasInput: true, configSchema: sinkSchema, outputPorts: () => ["success", "failure"] },
];
const catalog: CatalogLike = { get: (t) => types.find((x) => x.type === t), list: () => types };

function flow(sinkConfig: Record<string, unknown>): FlowDocument {
  return {
    schemaVersion: 1,
    id: "f",
    name: "f",
    nodes: [
      { id: "g", type: "gen", typeVersion: 1, config: { template: "x" }, position: { x: 0, y: 0 } },
      { id: "s", type: "sink", typeVersion: 1, config: sinkConfig, position: { x: 0, y: 0 } },
    ],
    edges: [{ id: "e", from: { node: "g", port: "success" }, to: { node: "s" } }],
    parameters: [
      { name: "secret", value: "s3cr3t-XYZ", sensitive: true },
      { name: "plain", value: "orders", sensitive: false },
    ],
  };
}

describe("secret-capable fields", () => {
  it("are read from the `secret` mark of the config schema, records included", () => {
    expect(secretFields(sinkSchema)).toEqual([["url"], ["headers"]]);
    expect(inSecretField(["headers", "Authorization"], secretFields(sinkSchema))).toBe(true);
    expect(inSecretField(["topic"], secretFields(sinkSchema))).toBe(false);
  });

  it("take sensitive parameters; plain parameters go anywhere", () => {
    const r = validateFlow(flow({ topic: "#{plain}", url: "#{secret}", headers: { Authorization: "Bearer #{secret}" } }), catalog);
    expect(r.ok).toBe(true);
  });

  it("a sensitive parameter anywhere else is an error naming its path and the allowed fields, with the value never quoted", () => {
    const r = validateFlow(flow({ topic: "#{secret}", url: "x" }), catalog);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([{ path: "nodes[1].config.topic", message: 'sensitive parameter "secret" may only be used in secret fields (of "sink": url, headers)' }]);
    const g = flow({ topic: "t", url: "x" });
    g.nodes[0]!.config = { template: "#{secret}" };
    const r2 = validateFlow(g, catalog);
    expect(r2.ok ? [] : r2.errors).toEqual([{ path: "nodes[0].config.template", message: 'sensitive parameter "secret" may only be used in secret fields ("gen" has none)' }]);
    expect(JSON.stringify(r2)).not.toContain("s3cr3t-XYZ");
  });
});
