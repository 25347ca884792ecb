import { describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { planFlow, type PlannerCatalog, type PlanOptions } from "./plan.js";

const specs: Record<string, ReturnType<PlannerCatalog["get"]>> = {
  generate: { kind: "source", outputPorts: () => ["success"] },
  "kafka-source": { kind: "source", outputPorts: () => ["success"], externalTopic: (c) => c.topic },
  map: { kind: "transform", outputPorts: () => ["success", "failure"] },
  log: { kind: "sink", outputPorts: () => [] },
};
const catalog: PlannerCatalog = { get: (t) => specs[t] };
const retention: PlanOptions["retention"] = { edge: { minutes: 60, mb: 256 }, deadLetter: { minutes: 10_080, mb: 1024 } };

// gen → a, gen → b (one topic, gen's success port), a → out; src (kafka-source) → c, its edge kept durable
function doc(settings: Record<string, Record<string, number>> = {}): FlowDocument {
  const node = (id: string, type: string, config: Record<string, unknown> = {}) => ({ id, type, typeVersion: 1, config, position: { x: 0, y: 0 } });
  const edge = (from: string, to: string) => ({ id: `${from}->${to}`, from: { node: from, port: "success" }, to: { node: to }, ...(settings[`${from}->${to}`] ? { settings: settings[`${from}->${to}`] } : {}) });
  return {
    schemaVersion: 1,
    id: "f1",
    name: "f",
    nodes: [node("gen", "generate"), node("a", "map"), node("b", "map"), node("out", "log"), node("src", "kafka-source", { topic: "in-t" }), node("c", "map")],
    edges: [edge("gen", "a"), edge("gen", "b"), edge("a", "out"), edge("src", "c")],
    parameters: [],
  };
}
const bounds = (d: FlowDocument, options: PlanOptions = { retention }) => Object.fromEntries(planFlow(d, catalog, options).topics.map((t) => [t.name, t.retention]));

describe("retention of the planned topics", () => {
  it("edge and replay topics get the edge default, the dead-letter topic its own, external topics none", () => {
    const b = bounds(doc());
    expect(b["mr.f1.gen.success"]).toEqual({ minutes: 60, mb: 256 });
    expect(b["mr.f1.a.success"]).toEqual({ minutes: 60, mb: 256 });
    expect(b["mr.f1.a.replay"]).toEqual({ minutes: 60, mb: 256 });
    expect(b["mr-dlq.f1"]).toEqual({ minutes: 10_080, mb: 1024 });
    expect(b["in-t"]).toBeUndefined();
  });

  it("an edge's settings override the default, each bound on its own", () => {
    const b = bounds(doc({ "a->out": { retentionMinutes: 5 } }));
    expect(b["mr.f1.a.success"]).toEqual({ minutes: 5, mb: 256 });
    expect(b["mr.f1.gen.success"]).toEqual({ minutes: 60, mb: 256 });
  });

  it("edges sharing a port's topic get the largest each asks for", () => {
    const b = bounds(doc({ "gen->a": { retentionMinutes: 10, retentionMb: 2048 }, "gen->b": { retentionMinutes: 600, retentionMb: 16 } }));
    expect(b["mr.f1.gen.success"]).toEqual({ minutes: 600, mb: 2048 });
  });

  it("without retention options the plan names no bound (plans made before bounds look the same)", () => {
    expect(Object.values(bounds(doc(), {})).every((r) => r === undefined)).toBe(true);
  });
});
