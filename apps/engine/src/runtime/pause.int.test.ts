import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBrokers, waitFor } from "@millrace/testkit";
import { catalog, type BatchProcessor } from "@millrace/processors";
import { createKafka, type KafkaClient } from "../kafka/index.js";
import { planFlow, type PlannerCatalog } from "../planner/index.js";
import { Observers, type BatchEvent } from "./observer.js";
import { ConsumerStageRunner } from "./consumer-stage.js";
import { PartitionChooser } from "./producing.js";
import { StageExecutor } from "./stage.js";
import { flowDoc, uid } from "../../test-support/index.js";

/**
 * The bench crash: back pressure paused a stage whose kafkajs consumer had not reached run()
 * yet; kafkajs threw "Consumer group was not initialized, consumer#run must be called first"
 * from consumer.pause(), unhandled, and the engine died. Pausing must be safe at any time.
 */
describe("pausing a consumer stage at any time", () => {
  const brokers = testBrokers();
  let kafka: KafkaClient;
  beforeAll(() => {
    kafka = createKafka({ brokers, clientId: uid("pause-test") });
  });
  afterAll(async () => {
    await kafka?.close();
  });

  it("setPaused before the consumer runs is remembered and applied once it runs; resume then delivers", async () => {
    const input = uid("pause-in");
    await kafka.ensureTopics([{ topic: input, partitions: 1 }]);
    const doc = flowDoc(uid("pause"), [["src", "kafka-source", { topic: input, fromBeginning: true }]], []);
    const plan = planFlow(doc, { get: (t) => catalog.get(t) as unknown as ReturnType<PlannerCatalog["get"]> });
    const stage = plan.stages[0]!;
    await kafka.ensureTopics(plan.topics.filter((t) => t.role === "replay").map((t) => ({ topic: t.name, partitions: t.partitions })));
    const seen: number[] = [];
    const passThrough: BatchProcessor = {
      process(records, out) {
        for (let i = 0; i < records.length; i++) out.emit("success", records[i]!, i);
      },
    };
    const observers = new Observers();
    observers.add({ onBatch: (b: BatchEvent) => seen.push(b.nodes[0]!.inputs.length) });
    const producer = kafka.producer({});
    await producer.connect();
    const logs: string[] = [];
    const runner = new ConsumerStageRunner({
      kafka,
      flowId: plan.flowId,
      deploymentId: "d1",
      stage,
      executor: new StageExecutor(plan, stage, new Map([[stage.head, passThrough]])),
      observers,
      exactlyOnce: false,
      producer,
      deadLetterTopic: plan.deadLetterTopic,
      log: (level, msg) => logs.push(`${level}: ${msg}`),
      stopping: () => false,
      partitions: new PartitionChooser(new Map([[plan.deadLetterTopic, 1]]), new Set(), false),
    });
    try {
      const started = runner.start();
      // the consumer exists but has not run yet: this threw (and killed the engine) before
      expect(() => runner.setPaused(true)).not.toThrow();
      expect(runner.paused).toBe(true);
      await started;
      await producer.send(input, [{ value: JSON.stringify({ n: 1 }) }]);
      await new Promise((r) => setTimeout(r, 2500));
      expect(seen).toEqual([]); // paused really is paused once the consumer runs
      runner.setPaused(false);
      await waitFor(() => seen.reduce((a, b) => a + b, 0) === 1, 30_000, "the record after resume");
      // pausing and resuming a running stage still works, and stop() then pause is harmless
      runner.setPaused(true);
      runner.setPaused(false);
    } finally {
      await runner.stop();
      expect(() => runner.setPaused(true)).not.toThrow();
      await producer.disconnect();
      await kafka.deleteTopics([input, stage.replayTopic!]).catch(() => {});
    }
    expect(logs.filter((l) => l.startsWith("error"))).toEqual([]);
  });
});
