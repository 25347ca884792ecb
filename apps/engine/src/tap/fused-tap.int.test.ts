import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { HEADER } from "@millrace/processors";
import { createCallerFactory } from "../api/trpc.js";
import { appRouter } from "../api/router.js";
import { startEngine, type RunningEngine } from "../engine.js";
import { flowDoc, uid, ADMIN } from "../../test-support/index.js";
import type { TappedRecord } from "./tap.js";
import { fusedTapsOf } from "./fused.js";

const makeCaller = createCallerFactory(appRouter);

describe("fused edges are first-class: tap, bytes, lineage (real Kafka and Postgres)", () => {
  let engine: RunningEngine;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ReturnType<typeof makeCaller>;
  const brokers = testBrokers();

  // generate (100/s) → map → kafka-sink, fused by the flow's default (no edge names a mode)
  const id = uid("fused-tap");
  const sink = uid("fused-sink");
  const doc = {
    ...flowDoc(
      id,
      [
        ["gen", "generate", { count: 0, ratePerSec: 100, template: '{ "i": $i }' }],
        ["sq", "map", { expression: '{ "i": value.i, "sq": value.i * value.i }' }],
        ["out", "kafka-sink", { topic: sink }],
      ],
      [["gen", "success", "sq"], ["sq", "success", "out"]],
    ),
    settings: { defaultEdgeMode: "fused" as const },
  };
  const edge = "sq.success->out";

  beforeAll(async () => {
    db = await createTestDatabase("fusedtap");
    engine = await startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: brokers, engineId: uid("eng") });
    api = makeCaller({ services: engine.services, principal: ADMIN });
    await api.flows.save({ document: doc });
    await api.deployments.deploy({ flowId: id });
    await waitFor(async () => (await engine.services.kafka!.topicEndOffsets(sink)).reduce((s, p) => s + p.high, 0) >= 50, 30_000, "records in the sink");
  });
  afterAll(async () => {
    await api?.deployments.stop({ flowId: id }).catch(() => {});
    await engine?.close();
    await db?.drop();
  });

  it("the flow's default fused the chain: one stage, no edge topics", async () => {
    const status = await api.deployments.status({ flowId: id });
    expect(status.plan!.stages.map((s) => s.nodes)).toEqual([["gen", "sq", "out"]]);
    expect(status.plan!.edges.map((e) => [e.id, e.mode, e.topic])).toEqual([
      ["gen.success->sq", "fused", undefined],
      ["sq.success->out", "fused", undefined],
    ]);
  });

  it("tap.edge samples a fused edge in process: records shown like Kafka ones, via fused, no topic/offset", async () => {
    const got: TappedRecord[] = [];
    for await (const r of await api.tap.edge({ flowId: id, edgeId: edge, max: 15 })) got.push(r);
    expect(got).toHaveLength(15);
    expect(new Set(got.map((r) => r.headers[HEADER.id])).size).toBe(15);
    for (const r of got) {
      expect(r).toMatchObject({ via: "fused", topic: null, partition: null, offset: null });
      const v = r.value as { i: number; sq: number };
      expect(v.sq).toBe(v.i * v.i);
      expect(r.headers[HEADER.parents]).toBeTruthy();
    }
    // the tap ended with its `max`: nothing keeps listening
    expect(fusedTapsOf(engine.services.observers!).listening).toBe(0);
  });

  it("tap.recent on a fused edge: the next records passing on this engine", async () => {
    const recs = await api.tap.recent({ flowId: id, edgeId: "gen.success->sq", limit: 5 });
    expect(recs).toHaveLength(5);
    for (const r of recs) expect(r).toMatchObject({ via: "fused", value: { i: expect.any(Number) } });
  });

  it("bytes on fused hops are counted, not 0", async () => {
    await waitFor(async () => ((await api.stats.snapshot({ flowId: id })).edges[edge]?.bytes ?? 0) > 0, 10_000, "fused edge bytes");
    const s = await api.stats.snapshot({ flowId: id });
    const e = s.edges[edge]!;
    expect(e.mode).toBe("fused");
    // {"i":N,"sq":M}: between 14 and 40 bytes per record
    expect(e.bytes / e.records).toBeGreaterThan(10);
    expect(e.bytes / e.records).toBeLessThan(40);
    expect(s.nodes.sq!.bytesIn).toBeGreaterThan(0);
  });

  it("a record crossing fused edges appears in lineage: CREATE at gen → MODIFY at sq → SEND at out", async () => {
    const [r] = await api.tap.recent({ flowId: id, edgeId: edge, limit: 1 });
    const y = r!.headers[HEADER.id]!;
    const x = r!.headers[HEADER.parents]!;
    let g = await api.provenance.lineage({ recordId: y });
    await waitFor(async () => (g = await api.provenance.lineage({ recordId: y })).nodes.length >= 3, 15_000, "lineage rows written");
    expect(g.nodes.map((n) => [n.nodeId, n.type, n.recordId])).toEqual([
      ["gen", "CREATE", x],
      ["sq", "MODIFY", y],
      ["out", "SEND", y],
    ]);
  });

  it("errors name the problem on a stopped flow's fused edge", async () => {
    const other = uid("fused-stopped");
    await api.flows.save({ document: { ...doc, id: other, nodes: doc.nodes.map((n) => (n.id === "out" ? { ...n, config: { topic: uid("s") } } : n)) } });
    await api.deployments.deploy({ flowId: other });
    await api.deployments.stop({ flowId: other });
    await expect(api.tap.recent({ flowId: other, edgeId: edge, limit: 1 })).rejects.toThrow(/fused and flow .* is not running/);
  });
});
