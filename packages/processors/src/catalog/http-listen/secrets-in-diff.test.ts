import { describe, expect, it } from "vitest";
import { diffFlows, formatDiff, type FlowDocument } from "@millrace/flow";
import { catalog } from "../../index.js";

const flow = (config: Record<string, unknown>): FlowDocument => ({
  schemaVersion: 1,
  id: "f",
  name: "F",
  nodes: [{ id: "in", type: "http-listen", typeVersion: 1, config, position: { x: 0, y: 0 } }],
  edges: [],
  parameters: [],
});

describe("http-listen in a flow diff", () => {
  it("never shows a literal key or secret, added, changed or removed with the auth that needs it", () => {
    const open = flow({ path: "/orders", auth: "none" });
    const keyed = flow({ path: "/orders", auth: "api-key", key: "literal-k3y", principal: "billing" });
    const signed = flow({ path: "/orders", auth: "hmac", secret: "hmac-s3cret", principal: "billing" });
    for (const [from, to] of [[open, keyed], [keyed, signed], [signed, open]] as const) {
      const d = diffFlows(from, to, { catalog });
      const text = formatDiff(d) + JSON.stringify(d);
      for (const secret of ["literal-k3y", "hmac-s3cret"]) expect(text).not.toContain(secret);
    }
    expect(diffFlows(open, keyed, { catalog }).nodes[0]!.changes).toContainEqual({ path: "config.key", kind: "added", secret: true });
  });
});
