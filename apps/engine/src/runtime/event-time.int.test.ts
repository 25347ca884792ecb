import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flowDoc, readTopic, uid } from "../../test-support/index.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";

/**
 * Records keep their event time into a sink's topic; a topic whose timestamp bounds refuse it
 * (message.timestamp.before.max.ms) gets them stamped when written instead of holding the
 * partition on a batch the broker refuses on every retry.
 */
describe("event time into a sink's topic", () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine("eventtime");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("an old event time goes through to a lenient topic as it is, and to a topic that refuses it stamped at write time", async () => {
    const input = uid("et-in");
    const lenient = uid("et-lenient");
    const strict = uid("et-strict");
    t.topics.push(input, lenient, strict);
    const { api, kafka, brokers } = t;
    await kafka.ensureTopics([
      { topic: input, partitions: 1 },
      { topic: lenient, partitions: 1 },
      { topic: strict, partitions: 1, configs: { "message.timestamp.before.max.ms": "3600000" } },
    ]);
    const twoDaysAgo = Date.now() - 2 * 86_400_000;
    const producer = kafka.producer({});
    await producer.connect();
    await producer.send(input, [0, 1, 2].map((n) => ({ value: JSON.stringify({ n }), timestamp: String(twoDaysAgo + n) })));
    await producer.disconnect();

    // one flow per sink: each reads the input directly (a fan-out edge topic would stamp write time itself)
    const startedAt = Date.now();
    for (const [name, topic] of [["keep", lenient], ["bounded", strict]] as const) {
      const id = uid(`et-${name}`);
      await api.flows.save({
        document: flowDoc(
          id,
          [
            ["src", "kafka-source", { topic: input, fromBeginning: true }],
            [name, "kafka-sink", { topic }],
          ],
          [["src", "success", name]],
        ),
      });
      t.deployed.push(id);
      expect((await api.deployments.deploy({ flowId: id })).status).toBe("running");
    }

    const kept = await readTopic(brokers, lenient, (r) => r.length >= 3, { settleMs: 0 });
    expect(kept.map((m) => m.timestamp)).toEqual([twoDaysAgo, twoDaysAgo + 1, twoDaysAgo + 2]);
    const stamped = await readTopic(brokers, strict, (r) => r.length >= 3, { settleMs: 0 });
    expect(stamped.map((m) => m.value.n)).toEqual([0, 1, 2]);
    for (const m of stamped) expect(m.timestamp).toBeGreaterThanOrEqual(startedAt - 1000);
  });
});
