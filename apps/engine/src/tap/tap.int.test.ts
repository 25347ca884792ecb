import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { HEADER } from "@millrace/processors";
import { createCallerFactory } from "../api/trpc.js";
import { appRouter } from "../api/router.js";
import { startEngine, type RunningEngine } from "../engine.js";
import { createKafka } from "../kafka/index.js";
import { flowDoc, uid, ADMIN } from "../../test-support/index.js";
import { TAP_GROUP_PREFIX, startTapConsumer } from "./reader.js";
import type { TappedRecord } from "./tap.js";

const makeCaller = createCallerFactory(appRouter);

describe("edge taps on real Kafka", () => {
  let engine: RunningEngine;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ReturnType<typeof makeCaller>;
  const brokers = testBrokers();
  const admin = createKafka({ clientId: uid("tap-admin"), brokers, logLevel: "nothing" });
  const deployed: string[] = [];

  // an endless flow: generate (200/s) → set-headers (adds a secret and a harmless header) → kafka-sink;
  // the sink also takes set-headers' failures (none), so it keeps its stage and the edge its topic
  const id = uid("tap");
  const sink = uid("tap-sink");
  const doc = flowDoc(
    id,
    [
      ["gen", "generate", { count: 0, ratePerSec: 200, template: '{ "i": $i }' }],
      ["hdr", "set-headers", { headers: { "x-api-token": '"s3cret"', Authorization: '"Bearer abc"', trace: '"t-" & $string(value.i)' } }],
      ["out", "kafka-sink", { topic: sink }],
    ],
    [["gen", "success", "hdr"], ["hdr", "success", "out"], ["hdr", "failure", "out"]],
  );
  const edge = "hdr.success->out";
  const topic = `mr.${id}.hdr.success`;

  beforeAll(async () => {
    db = await createTestDatabase("tap");
    engine = await startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: brokers, engineId: uid("eng") });
    api = makeCaller({ services: engine.services, principal: ADMIN });
    await api.flows.save({ document: doc });
    deployed.push(id);
    await api.deployments.deploy({ flowId: id });
    await waitFor(async () => (await engine.services.kafka!.topicEndOffsets(topic)).reduce((s, p) => s + p.high, 0) >= 100, 30_000, "records on the edge");
  });
  afterAll(async () => {
    for (const f of deployed) await api.deployments.stop({ flowId: f }).catch(() => {});
    await admin.close().catch(() => {});
    await engine?.close();
    await db?.drop();
  });

  const tapGroups = async () => (await admin.listGroups()).filter((g) => g.startsWith(TAP_GROUP_PREFIX));

  it("tap.recent: the last N records of the edge, decoded, with sensitive headers masked", async () => {
    const ends = await engine.services.kafka!.topicEndOffsets(topic);
    const recs = await api.tap.recent({ flowId: id, edgeId: edge, limit: 10 });
    expect(recs).toHaveLength(10);
    for (let i = 1; i < recs.length; i++) expect(recs[i]!.timestamp).toBeGreaterThanOrEqual(recs[i - 1]!.timestamp); // oldest first
    for (const r of recs) {
      expect(r.topic).toBe(topic);
      expect(r.value).toEqual({ i: expect.any(Number) });
      expect(r.headers["x-api-token"]).toBe("***");
      expect(r.headers.Authorization).toBe("***");
      expect(r.headers.trace).toBe(`t-${(r.value as { i: number }).i}`);
      expect(r.headers[HEADER.id]).toBeTruthy();
      // who sent it into the flow (the deploying user, for a generate source): not masked
      expect(r.headers[HEADER.principal]).toBe("admin");
      expect(r.headers[HEADER.auth]).toBe("deployment");
      // from the last 10 of its partition as they were when asked
      const high = ends.find((p) => p.partition === r.partition)!.high;
      expect(Number(r.offset)).toBeGreaterThanOrEqual(high - 10);
    }
    expect(await tapGroups()).toEqual([]); // the throwaway group is gone
  });

  it("tap.edge: new records only, at most 50/s, masked; the tap commits nothing and leaves no group behind", async () => {
    const before = await engine.services.kafka!.topicEndOffsets(topic);
    const started = Date.now();
    const got: TappedRecord[] = [];
    const sub = await api.tap.edge({ flowId: id, edgeId: edge, max: 60 });
    for await (const r of sub) got.push(r);
    const took = Date.now() - started;
    expect(got).toHaveLength(60);
    expect(new Set(got.map((r) => `${r.partition}@${r.offset}`)).size).toBe(60); // each record once
    expect(new Set(got.map((r) => r.headers[HEADER.id])).size).toBe(60);
    expect(took).toBeGreaterThanOrEqual(59 * 20 - 50); // 50/s: 60 records take at least ~1.2 s
    for (const r of got) {
      expect(r.headers["x-api-token"]).toBe("***");
      expect(r.headers.trace).toMatch(/^t-\d+$/);
      expect(Number(r.offset)).toBeGreaterThanOrEqual(before.find((p) => p.partition === r.partition)!.high); // new records only
    }
    await waitFor(async () => (await tapGroups()).length === 0, 10_000, "tap group deleted");
    // the flow's own consumer group was not touched: it keeps consuming
    const lag = await engine.services.kafka!.groupLag(`mr.${id}.out`, [topic]);
    expect(lag.partitions.every((p) => p.committed !== null)).toBe(true);
  });

  it("a tap consumer never commits an offset", async () => {
    let seen = 0;
    const tap = await startTapConsumer(engine.services.kafka!, topic, (b) => {
      seen += b.messages.length;
    });
    try {
      await waitFor(() => seen >= 20, 15_000, "tap sees records");
      const lag = await engine.services.kafka!.groupLag(tap.groupId, [topic]);
      expect(lag.partitions.map((p) => p.committed)).toEqual(lag.partitions.map(() => null));
    } finally {
      await tap.close();
    }
    expect(await tapGroups()).not.toContain(tap.groupId);
  });

  it("errors name the problem: unknown edge, undeployed flow", async () => {
    await expect(api.tap.recent({ flowId: id, edgeId: "nope", limit: 1 })).rejects.toThrow(/no edge "nope"/);
    await expect(api.tap.recent({ flowId: "never-deployed", edgeId: edge, limit: 1 })).rejects.toThrow(/never been deployed/);
  });
});
