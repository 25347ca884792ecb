import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical.js";
import { FlowDocumentSchema, requestedEdgeMode, type FlowDocument } from "./document.js";
import { createFlow, setDefaultEdgeMode } from "./edit.js";

const v1: FlowDocument = FlowDocumentSchema.parse({
  schemaVersion: 1,
  id: "f",
  name: "F",
  nodes: [],
  edges: [],
});

describe("flow settings: defaultEdgeMode", () => {
  it("a v1 document without settings parses and exports exactly as before (no settings key)", () => {
    expect("settings" in v1).toBe(false);
    expect(canonicalJson(v1)).not.toContain("settings");
  });

  it("an edge's own mode wins over the flow default; absent both = durable", () => {
    const fused = setDefaultEdgeMode(v1, "fused");
    expect(requestedEdgeMode(v1, {})).toBe("durable");
    expect(requestedEdgeMode(fused, {})).toBe("fused");
    expect(requestedEdgeMode(fused, { settings: { mode: "durable" } })).toBe("durable");
    expect(requestedEdgeMode(v1, { settings: { mode: "fused" } })).toBe("fused");
  });

  it("set, exported last, parsed back; unset removes the settings object", () => {
    const fused = setDefaultEdgeMode(createFlow({ id: "f", name: "F" }), "fused");
    expect(fused.settings).toEqual({ defaultEdgeMode: "fused" });
    const json = canonicalJson(fused);
    expect(Object.keys(JSON.parse(json))).toEqual(["schemaVersion", "id", "name", "nodes", "edges", "parameters", "settings"]);
    expect(FlowDocumentSchema.parse(JSON.parse(json)).settings).toEqual({ defaultEdgeMode: "fused" });
    expect("settings" in setDefaultEdgeMode(fused, undefined)).toBe(false);
  });

  it("refuses an unknown mode, naming the path", () => {
    const r = FlowDocumentSchema.safeParse({ ...v1, settings: { defaultEdgeMode: "fast" } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["settings", "defaultEdgeMode"]);
  });
});
