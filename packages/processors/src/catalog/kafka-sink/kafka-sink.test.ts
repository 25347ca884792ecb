import { describe, expect, it } from "vitest";
import { runProcessor } from "../../../test-support/harness.js";
import { HEADER, type MRecord } from "../../sdk.js";
import { configSchema, spec } from "./spec.js";

const rec = (value: unknown, key?: string, headers: Record<string, string> = {}): MRecord => ({ key, value, headers });
const routed = { topic: "events", topics: ["orders.created", "billing.requests"], topicExpression: 'headers."mr.outbox.topic"' };

describe("kafka-sink topicExpression", () => {
  it("names each record's topic in HEADER.topic: the one picked, or topic when the expression has no result", async () => {
    const { ports } = await runProcessor("kafka-sink", { ...routed, keyExpression: "value.id" }, [
      rec({ id: 1 }, "k", { "mr.outbox.topic": "orders.created", trace: "t1" }),
      rec({ id: 2 }, "k", { "mr.outbox.topic": "billing.requests" }),
      rec({ id: 3 }, "k"),
    ]);
    expect(ports.success.map((r) => [r.key, r.headers[HEADER.topic]])).toEqual([
      ["1", "orders.created"],
      ["2", "billing.requests"],
      ["3", "events"],
    ]);
    expect(ports.success[0]!.headers.trace).toBe("t1");
  });

  it("sends a record picking a topic not listed to failure, naming it and those allowed; an upstream mr.topic is overwritten", async () => {
    const { ports } = await runProcessor("kafka-sink", routed, [
      rec(1, "a", { "mr.outbox.topic": "payroll" }),
      rec(2, "b", { "mr.outbox.topic": "orders.created", [HEADER.topic]: "payroll" }),
    ]);
    expect(ports.failure.map((r) => r.headers[HEADER.error])).toEqual(['topic: "payroll" is not a topic this sink may write (events, orders.created, billing.requests): add it to topics']);
    expect(ports.success.map((r) => [r.key, r.headers[HEADER.topic]])).toEqual([["b", "orders.created"]]);
  });

  it("declares its topics to the engine only with a topicExpression; the config rules say what is missing", () => {
    expect(spec.routedTopics!(configSchema.parse(routed))).toEqual(["orders.created", "billing.requests"]);
    expect(spec.routedTopics!(configSchema.parse({ topic: "events" }))).toBeUndefined();
    const message = (c: object) => configSchema.safeParse(c).error?.issues.map((i) => i.message).join("; ");
    expect(message({ topic: "events", topicExpression: "value.t" })).toMatch(/list the other topics it may write/);
    expect(message({ topic: "events", topics: ["x"] })).toMatch(/topics are written by a topicExpression/);
    expect(message({ ...routed, topics: ["events"] })).toMatch(/topics lists "events", which is the sink's topic already/);
    expect(message({ ...routed, format: "avro", valueSchema: '"string"' })).toMatch(/an avro subject is named per topic/);
  });
});

describe("kafka-sink topics it may write", () => {
  it("refuses Millrace's own topics (flows' edges and dead letters), naming the field", () => {
    for (const [config, path] of [
      [{ topic: "mr.other-flow.map.success" }, "topic"],
      [{ topic: "mr-dlq.other-flow" }, "topic"],
      [{ ...routed, topics: ["orders.created", "mr.other-flow.enrich.success"] }, "topics.1"],
    ] as const) {
      const r = configSchema.safeParse(config);
      expect(r.success).toBe(false);
      const issue = r.error!.issues.find((i) => i.path.join(".") === path)!;
      expect(issue.message).toContain("Millrace's own");
    }
    expect(configSchema.safeParse({ topic: "mr-orders" }).success).toBe(true);
  });
});
