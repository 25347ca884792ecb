import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { HEADER } from "@millrace/processors";
import { createCallerFactory } from "../api/trpc.js";
import { appRouter } from "../api/router.js";
import { startEngine, type RunningEngine } from "../engine.js";
import { flowDoc, readTopic, uid, ADMIN } from "../../test-support/index.js";
import { logger } from "../log.js";
import type { ExecutionPlan } from "../planner/index.js";
import { EdgePurger } from "./edge-purge.js";

const makeCaller = createCallerFactory(appRouter);
const MIB = 1024 * 1024;

describe("edge topics bounded by time and size, on the real broker", () => {
  let engine: RunningEngine;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ReturnType<typeof makeCaller>;
  const brokers = testBrokers();
  const id = uid("ret");
  const sink = uid("ret-sink");
  // gen → keep → shape → out (kafka-sink); the first edge asks for its own bounds
  const doc = (genEdge: Record<string, number>) =>
    flowDoc(
      id,
      [
        ["gen", "generate", { count: 20, template: '{ "n": $i }' }],
        ["keep", "filter", { expression: "value.n % 2 = 0" }],
        ["shape", "map", { expression: '{ "n": value.n }' }],
        ["out", "kafka-sink", { topic: sink }],
      ],
      [["gen", "success", "keep", undefined, genEdge], ["keep", "success", "shape"], ["shape", "success", "out"]],
    );
  const configs = (topic: string) => engine.services.kafka!.topicConfigs(topic);

  beforeAll(async () => {
    db = await createTestDatabase("ret");
    engine = await startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: brokers, engineId: uid("eng") });
    api = makeCaller({ services: engine.services, principal: ADMIN });
    await api.flows.save({ document: doc({ retentionMinutes: 5, retentionMb: 30 }) });
    await api.deployments.deploy({ flowId: id });
  });
  afterAll(async () => {
    await api?.deployments.stop({ flowId: id }).catch(() => {});
    await engine?.close();
    await db?.drop();
  });

  it("a deployed flow's topics carry their bounds: the edge's own, the default, the dead-letter topic's", async () => {
    expect(await configs(`mr.${id}.gen.success`)).toMatchObject({
      "cleanup.policy": "delete",
      "retention.ms": "300000",
      "retention.bytes": String(Math.floor((30 * MIB) / 3)),
      "segment.bytes": String(Math.floor((30 * MIB) / 3 / 8)),
      "segment.ms": "60000",
    });
    // the default: a day, no size bound (-1, so a bound set earlier is lifted)
    expect(await configs(`mr.${id}.keep.success`)).toMatchObject({ "retention.ms": String(24 * 3_600_000), "retention.bytes": "-1" });
    expect(await configs(`mr.${id}.keep.replay`)).toMatchObject({ "retention.ms": String(24 * 3_600_000), "retention.bytes": "-1" });
    expect(await configs(`mr-dlq.${id}`)).toMatchObject({ "retention.ms": String(7 * 24 * 3_600_000), "retention.bytes": String(1024 * MIB) });
  });

  it("a redeploy brings the existing topics to the new bounds", async () => {
    await api.flows.save({ document: doc({ retentionMinutes: 90 }) });
    await api.deployments.deploy({ flowId: id });
    // its size bound is gone with the setting: back to the default's none
    expect(await configs(`mr.${id}.gen.success`)).toMatchObject({ "retention.ms": String(90 * 60_000), "retention.bytes": "-1" });
    expect(await configs(`mr.${id}.keep.success`)).toMatchObject({ "retention.ms": String(24 * 3_600_000) });
  });

  it("replay of a record that aged out of its edge topic says so plainly", async () => {
    const edge = `mr.${id}.gen.success`;
    const written = await readTopic(brokers, edge, (r) => r.length >= 20, { settleMs: 100 });
    const first = written.find((r) => r.partition === written[0]!.partition && r.offset === "0") ?? written[0]!;
    const recordId = first.headers[HEADER.id]!;
    await waitFor(async () => (await api.provenance.events({ flowId: id, nodeId: "keep", limit: 100 })).some((e) => e.recordId === recordId), 20_000, "keep read the record");
    // what retention would do: the partition's oldest records are gone
    const ends = await engine.services.kafka!.topicEndOffsets(edge);
    await engine.services.kafka!.deleteRecordsBefore(edge, ends.map((p) => ({ partition: p.partition, offset: p.high })));
    const gone = new RegExp(`record ${edge}/${first.partition}@${first.offset} \\(${recordId}\\) is no longer in Kafka: records every reader has processed are kept for MILLRACE_EDGE_READ_WINDOW_MINUTES, and its topic keeps 90 minutes / no MB bound at most \\(MILLRACE_EDGE_RETENTION_MINUTES`);
    await expect(api.provenance.replay({ flowId: id, recordId, nodeId: "keep" })).rejects.toThrow(gone);
    await expect(api.provenance.replayRange({ flowId: id, edgeId: "gen.success->keep", partition: first.partition, fromOffset: first.offset, toOffset: first.offset })).rejects.toThrow(
      /is no longer in Kafka|are no longer in Kafka/,
    );
  });

  it("the records every reader has committed are deleted once older than the read window; nothing unread is", async () => {
    const plan = (await api.deployments.status({ flowId: id })).plan as unknown as ExecutionPlan;
    const edge = `mr.${id}.keep.success`;
    const kafka = engine.services.kafka!;
    // keep's 10 records reach shape, which commits them
    await waitFor(async () => (await kafka.groupLag(plan.stages.find((s) => s.inputs.includes(edge))!.groupId, [edge])).partitions.every((p) => p.high === 0 || p.committed === p.high), 20_000, "shape committed every record");
    const before = await kafka.topicEndOffsets(edge);
    expect(before.some((p) => p.high > p.low)).toBe(true);
    // a window of 10 minutes keeps them (they are seconds old)
    await new EdgePurger(kafka, () => [plan], logger, 10).purgeOnce();
    expect(await kafka.topicEndOffsets(edge)).toEqual(before);
    // a window of 0: everything read goes, up to what shape committed
    await new EdgePurger(kafka, () => [plan], logger, 0).purgeOnce(Date.now() + 1000);
    const after = await kafka.topicEndOffsets(edge);
    for (const p of after) expect(p.low).toBe(p.high);
  });
});
