import { z } from "zod";
import type { CatalogLike, ProcessorTypeInfo } from "../src/catalog-types.js";
import type { FlowDocument } from "../src/document.js";

/**
 * A small stand-in for packages/processors' catalogue (built in parallel, and flow must not
 * depend on it): one source, two transforms (one with config-dependent ports), one sink.
 */
const types: ProcessorTypeInfo[] = [
  {
    type: "generate", version: 1, kind: "source", title: "Generate", description: "", hasInput: false,
    configSchema: z.object({ count: z.number().int().min(0), ratePerSec: z.number().min(0).optional(), template: z.string() }).strict(),
    outputPorts: () => ["success"],
  },
  {
    type: "filter", version: 2, kind: "transform", title: "Filter", description: "", hasInput: true,
    configSchema: z.object({ expression: z.string().min(1) }).strict(),
    outputPorts: () => ["success", "failure"],
  },
  {
    type: "route", version: 1, kind: "transform", title: "Route", description: "", hasInput: true,
    configSchema: z.object({ routes: z.array(z.object({ name: z.string().min(1), expression: z.string() })) }),
    outputPorts: (c: { routes: { name: string }[] }) => [...c.routes.map((r) => r.name), "unmatched", "failure"],
  },
  {
    type: "kafka-sink", version: 1, kind: "sink", title: "Kafka sink", description: "", hasInput: true,
    configSchema: z.object({ topic: z.string().min(1, "required"), keyExpression: z.string().optional(), acks: z.union([z.literal("all"), z.number().int()]).optional() }),
    outputPorts: () => ["success", "failure"],
  },
];

export const fakeCatalog: CatalogLike = {
  get: (type) => types.find((t) => t.type === type),
  list: () => [...types],
};

/** generate → filter → kafka-sink, with one plain and one sensitive parameter. */
export function sampleFlow(): FlowDocument {
  return {
    schemaVersion: 1,
    id: "flow-1",
    name: "Orders",
    description: "big orders to a topic",
    nodes: [
      { id: "gen", type: "generate", typeVersion: 1, config: { count: 10, template: "{ 'amount': $i }" }, position: { x: 0, y: 0 } },
      { id: "big", type: "filter", typeVersion: 2, name: "Big ones", config: { expression: "value.amount > 5" }, position: { x: 200, y: 0 } },
      { id: "out", type: "kafka-sink", typeVersion: 1, config: { topic: "#{prefix}.orders", keyExpression: "key" }, settings: { concurrency: 2 }, position: { x: 400, y: 0 } },
    ],
    edges: [
      { id: "e1", from: { node: "gen", port: "success" }, to: { node: "big" } },
      { id: "e2", from: { node: "big", port: "success" }, to: { node: "out" }, settings: { mode: "durable" } },
    ],
    parameters: [
      { name: "prefix", value: "prod", sensitive: false },
      { name: "password", value: "hunter2-secret", sensitive: true },
    ],
  };
}

/** Freezes a value deeply: an operation that mutates it then throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
