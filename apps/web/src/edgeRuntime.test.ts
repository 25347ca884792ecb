import { describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { edgeRuntimes } from "./edgeRuntime";

const doc = (settings?: FlowDocument["settings"]): Pick<FlowDocument, "edges" | "settings"> => ({
  edges: [
    { id: "a", from: { node: "g", port: "success" }, to: { node: "m" } },
    { id: "b", from: { node: "m", port: "success" }, to: { node: "o" }, settings: { mode: "fused" } },
    { id: "new", from: { node: "m", port: "failure" }, to: { node: "o2" } },
  ],
  ...(settings ? { settings } : {}),
});
const plan = (modes: Record<string, "durable" | "fused">) => ({ edges: Object.entries(modes).map(([id, mode]) => ({ id, mode })) }) as never;

describe("edgeRuntimes", () => {
  it("not deployed: the document's modes (flow default included), at-least-once", () => {
    expect(Object.fromEntries(edgeRuntimes(doc({ defaultEdgeMode: "fused" }), null))).toEqual({
      a: { mode: "fused", guarantee: "at-least-once", from: "document" },
      b: { mode: "fused", guarantee: "at-least-once", from: "document" },
      new: { mode: "fused", guarantee: "at-least-once", from: "document" },
    });
  });

  it("running: the plan's mode and the deployment's guarantee; an edge the plan lacks from the document", () => {
    const r = edgeRuntimes(doc(), { status: "running", exactlyOnce: true, plan: plan({ a: "durable", b: "durable" }) });
    expect(r.get("a")).toEqual({ mode: "durable", guarantee: "exactly-once", from: "deployed" });
    expect(r.get("b")).toEqual({ mode: "durable", guarantee: "exactly-once", from: "deployed" }); // asked fused, planned durable
    expect(r.get("new")).toEqual({ mode: "durable", guarantee: "at-least-once", from: "document" });
  });

  it("stopped: the document again", () => {
    expect(edgeRuntimes(doc(), { status: "stopped", exactlyOnce: true, plan: plan({ a: "fused" }) }).get("a")!.from).toBe("document");
  });
});
