/** Small flow documents for tests that start from a stored flow (each test passes its own unique run id). */
import { edgeIdOf, type FlowDoc } from "./designer.js";

/** generate → filter → log (nothing leaves the engine). */
export function genFilterLog(run: string, name = `Flow ${run}`): FlowDoc {
  return {
    schemaVersion: 1,
    id: `e2e-${run}`,
    name,
    nodes: [
      { id: "gen", type: "generate", typeVersion: 1, name: "Orders", config: { count: 10, ratePerSec: 0, template: '{ "id": $i, "amount": $i * 10 }' }, position: { x: 0, y: 0 } },
      { id: "big", type: "filter", typeVersion: 1, name: "Big ones", config: { expression: "value.amount > 10" }, position: { x: 300, y: 0 } },
      { id: "out", type: "log", typeVersion: 1, name: "Show", config: {}, position: { x: 600, y: 0 } },
    ],
    edges: [
      { id: edgeIdOf("gen", "success", "big"), from: { node: "gen", port: "success" }, to: { node: "big" } },
      { id: edgeIdOf("big", "success", "out"), from: { node: "big", port: "success" }, to: { node: "out" } },
    ],
    parameters: [],
  };
}
