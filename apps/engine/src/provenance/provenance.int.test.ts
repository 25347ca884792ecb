import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { HEADER } from "@millrace/processors";
import { createCallerFactory } from "../api/trpc.js";
import { appRouter } from "../api/router.js";
import { startEngine, type RunningEngine } from "../engine.js";
import { flowDoc, readTopic, uid, type ReadRecord, ADMIN, bearer } from "../../test-support/index.js";
import type { LineageGraph, ProvenanceEvent } from "./store.js";

const makeCaller = createCallerFactory(appRouter);

describe("provenance on real Kafka and Postgres", () => {
  let engine: RunningEngine;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ReturnType<typeof makeCaller>;
  const brokers = testBrokers();
  const deployed: string[] = [];

  // one flow for the whole file: generate → filter (even n) → map → kafka-sink, all through edge topics
  // (the sink also takes the filter's failures, none here: a sink with two inputs keeps its own stage)
  const id = uid("prov");
  const sink = uid("prov-sink");
  const doc = flowDoc(
    id,
    [
      ["gen", "generate", { count: 20, template: '{ "n": $i }' }],
      ["keep", "filter", { expression: "value.n % 2 = 0" }],
      ["shape", "map", { expression: '{ "n": value.n, "sq": value.n * value.n }' }],
      ["out", "kafka-sink", { topic: sink }],
    ],
    [["gen", "success", "keep"], ["keep", "success", "shape"], ["shape", "success", "out"], ["keep", "failure", "out"]],
  );
  let sunk: ReadRecord[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("prov");
    engine = await startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: brokers, engineId: uid("eng") });
    api = makeCaller({ services: engine.services, principal: ADMIN });
    await api.flows.save({ document: doc });
    deployed.push(id);
    await api.deployments.deploy({ flowId: id });
    sunk = await readTopic(brokers, sink, (r) => r.length >= 10, { settleMs: 200 });
    // every node-batch reaches Postgres once the sink has read all 10
    await waitFor(async () => (await api.provenance.events({ flowId: id, nodeId: "out", limit: 100 })).length >= 10, 20_000, "sink events");
  });
  afterAll(async () => {
    for (const f of deployed) await api.deployments.stop({ flowId: f }).catch(() => {});
    await engine?.close();
    await db?.drop();
  });

  const byNode = (g: LineageGraph, node: string) => g.nodes.filter((n) => n.nodeId === node);
  const one = (g: LineageGraph, node: string): ProvenanceEvent => {
    const l = byNode(g, node);
    expect(l, `events at ${node}: ${JSON.stringify(g.nodes)}`).toHaveLength(1);
    return l[0]!;
  };

  /** the message of `topic` holding lineage id `rid` */
  async function whereIs(topic: string, rid: string, expected: number) {
    const rs = await readTopic(brokers, topic, (r) => r.length >= expected, { settleMs: 100 });
    const m = rs.find((r) => r.headers[HEADER.id] === rid);
    expect(m, `${rid} in ${topic}`).toBeTruthy();
    return m!;
  }

  it("(g) one record's lineage across three nodes: CREATE at gen → ROUTE at keep → MODIFY at shape → SEND at out, with the real offsets", async () => {
    const rec = sunk.find((r) => r.value.n === 4)!;
    expect(rec.value).toEqual({ n: 4, sq: 16 });
    const y = rec.headers[HEADER.id]!;
    const x = rec.headers[HEADER.parents]!; // the map made y from x; the sink passed y on unchanged
    expect(x).toBeTruthy();

    const g = await api.provenance.lineage({ recordId: y });
    expect(g.truncated).toBe(false);
    expect(g.nodes.map((n) => [n.nodeId, n.type, n.recordId])).toEqual([
      ["gen", "CREATE", x],
      ["keep", "ROUTE", x],
      ["shape", "MODIFY", y],
      ["out", "SEND", y],
    ]);
    const [gen, keep, shape, out] = [one(g, "gen"), one(g, "keep"), one(g, "shape"), one(g, "out")];
    expect(shape.parentIds).toEqual([x]);
    expect(gen.parentIds).toEqual([]);
    expect(out.port).toBe("success");
    for (const e of g.nodes) expect(e.flowId).toBe(id);
    // times: each hop after the one before
    expect(gen.at).toBeLessThanOrEqual(keep.at);
    expect(keep.at).toBeLessThanOrEqual(shape.at);
    expect(shape.at).toBeLessThanOrEqual(out.at);
    // links follow the path exactly
    expect(g.links).toEqual(
      expect.arrayContaining([
        { from: gen.id, to: keep.id },
        { from: keep.id, to: shape.id },
        { from: shape.id, to: out.id },
      ]),
    );
    expect(g.links).toHaveLength(3);

    // topic/partition/offset: where each record sits in Kafka, checked against the topics themselves
    const inGen = await whereIs(`mr.${id}.gen.success`, x, 20);
    expect([gen.topic, gen.partition, gen.offset]).toEqual([`mr.${id}.gen.success`, inGen.partition, inGen.offset]);
    const inKeep = await whereIs(`mr.${id}.keep.success`, x, 10);
    expect([keep.topic, keep.partition, keep.offset]).toEqual([`mr.${id}.keep.success`, inKeep.partition, inKeep.offset]);
    const inShape = await whereIs(`mr.${id}.shape.success`, y, 10);
    expect([shape.topic, shape.partition, shape.offset]).toEqual([`mr.${id}.shape.success`, inShape.partition, inShape.offset]);
    // the external topic, where the sink wrote it (the runtime's produced offsets, kept in out_locs)
    expect([out.topic, out.partition, out.offset]).toEqual([sink, rec.partition, rec.offset]);

    // the same lineage from the other end: the created record's descendants
    const fromX = await api.provenance.lineage({ recordId: x });
    expect(fromX.nodes.map((n) => `${n.nodeId}:${n.type}:${n.recordId}`).sort()).toEqual([`gen:CREATE:${x}`, `keep:ROUTE:${x}`, `out:SEND:${y}`, `shape:MODIFY:${y}`].sort());
  });

  it("readers of edge topics are found by Kafka position: their ids stay out of the GIN index", async () => {
    const pg = await import("pg");
    const c = new pg.default.Client({ connectionString: db.url });
    await c.connect();
    try {
      const r = await c.query<{ node_id: string; by_position: number; by_id: number; out_locs: number }>(
        `SELECT node_id, count(*) FILTER (WHERE in_ids IS NULL)::int AS by_position, count(*) FILTER (WHERE in_ids IS NOT NULL)::int AS by_id,
           count(out_locs)::int AS out_locs FROM provenance_batch WHERE flow_id = $1 AND stage_id <> '#replay' GROUP BY node_id ORDER BY node_id`,
        [id],
      );
      const of = (n: string) => r.rows.find((x) => x.node_id === n)!;
      // every writer row knows where its outputs went
      for (const n of ["gen", "keep", "shape", "out"]) expect(of(n).out_locs, n).toBeGreaterThan(0);
      // gen has no inputs (an empty in_ids); a reader batch that reached the writer before the writer's own
      // batch was observed is stored by id, so look at all three readers together
      expect(of("gen").by_position).toBe(0);
      expect(of("keep").by_position + of("shape").by_position + of("out").by_position).toBeGreaterThan(0);
    } finally {
      await c.end();
    }
  });

  it("a filtered-out record: CREATE then DROP at the filter, located where the filter read it", async () => {
    const genTopic = await readTopic(brokers, `mr.${id}.gen.success`, (r) => r.length >= 20, { settleMs: 100 });
    const odd = genTopic.find((r) => r.value.n === 7)!;
    const g = await api.provenance.lineage({ recordId: odd.headers[HEADER.id]! });
    expect(g.nodes.map((n) => [n.nodeId, n.type])).toEqual([
      ["gen", "CREATE"],
      ["keep", "DROP"],
    ]);
    const drop = g.nodes[1]!;
    expect([drop.topic, drop.partition, drop.offset]).toEqual([`mr.${id}.gen.success`, odd.partition, odd.offset]);
    expect(g.links).toEqual([{ from: g.nodes[0]!.id, to: drop.id }]);
  });

  it("events by node and time range", async () => {
    const keep = await api.provenance.events({ flowId: id, nodeId: "keep", limit: 1000 });
    expect(keep).toHaveLength(20);
    expect(keep.filter((e) => e.type === "ROUTE")).toHaveLength(10);
    expect(keep.filter((e) => e.type === "DROP")).toHaveLength(10);
    expect(new Set(keep.map((e) => e.nodeId))).toEqual(new Set(["keep"]));
    for (let i = 1; i < keep.length; i++) expect(keep[i - 1]!.at).toBeGreaterThanOrEqual(keep[i]!.at); // newest first

    const all = await api.provenance.events({ flowId: id, limit: 1000 });
    expect(all.filter((e) => e.type === "CREATE")).toHaveLength(20);
    expect(all.filter((e) => e.type === "MODIFY")).toHaveLength(10);
    expect(all.filter((e) => e.type === "SEND")).toHaveLength(10);
    expect(all).toHaveLength(60);

    const drops = await api.provenance.events({ flowId: id, types: ["DROP"], limit: 1000 });
    expect(drops).toHaveLength(10);
    expect(drops.every((d) => d.topic === `mr.${id}.gen.success` && d.offset !== null)).toBe(true);

    const t0 = Math.min(...all.map((e) => e.at));
    const t1 = Math.max(...all.map((e) => e.at));
    expect(await api.provenance.events({ flowId: id, from: t1 + 1, limit: 10 })).toEqual([]);
    expect(await api.provenance.events({ flowId: id, to: t0, limit: 10 })).toEqual([]);
    expect(await api.provenance.events({ flowId: id, from: t0, to: t1 + 1, limit: 5 })).toHaveLength(5);
    expect(await api.provenance.events({ flowId: "no-such-flow", limit: 10 })).toEqual([]);
  });

  it("replay of one record: the sink gets a copy with a new id whose parent is the original, and the lineage shows REPLAY", async () => {
    const rec = sunk.find((r) => r.value.n === 6)!;
    const y = rec.headers[HEADER.id]!;
    const res = await api.provenance.replay({ flowId: id, recordId: y });
    expect(res.parentId).toBe(y);
    expect(res.recordId).not.toBe(y);
    expect(res.topic).toBe(`mr.${id}.out.replay`); // only the reader of the original gets the copy
    expect(res.nodes).toEqual(["out"]);

    const after = await readTopic(brokers, sink, (r) => r.length >= 11, { settleMs: 200 });
    expect(after).toHaveLength(11);
    const copy = after.find((r) => r.headers[HEADER.id] === res.recordId)!;
    expect(copy.value).toEqual({ n: 6, sq: 36 });
    expect(copy.headers[HEADER.parents]).toBe(y);

    const g = await waitFor(async () => {
      const l = await api.provenance.lineage({ recordId: res.recordId });
      return l.nodes.some((n) => n.type === "SEND" && n.recordId === res.recordId) ? l : undefined;
    }, 15_000, "replayed record sent");
    const replay = g.nodes.find((n) => n.type === "REPLAY")!;
    expect(replay).toMatchObject({ recordId: res.recordId, parentIds: [y], nodeId: "out", topic: res.topic, partition: res.partition, offset: res.offset });
    const origShape = g.nodes.find((n) => n.nodeId === "shape" && n.recordId === y)!;
    const send = g.nodes.find((n) => n.type === "SEND" && n.recordId === res.recordId)!;
    expect(g.links).toEqual(expect.arrayContaining([{ from: origShape.id, to: replay.id }, { from: replay.id, to: send.id }]));
    // the ancestors are still there: CREATE at gen
    expect(g.nodes.some((n) => n.nodeId === "gen" && n.type === "CREATE")).toBe(true);

    const events = await api.provenance.events({ flowId: id, types: ["REPLAY"], limit: 10 });
    expect(events.map((e) => e.recordId)).toEqual([res.recordId]);
  });

  it("replay of an offset range of an edge: the filter processes those records again", async () => {
    const genTopic = await readTopic(brokers, `mr.${id}.gen.success`, (r) => r.length >= 20, { settleMs: 100 });
    const p = genTopic[0]!.partition;
    const inP = genTopic.filter((r) => r.partition === p).sort((a, b) => Number(a.offset) - Number(b.offset));
    const slice = inP.slice(0, Math.min(3, inP.length));
    const res = await api.provenance.replayRange({ flowId: id, edgeId: "gen.success->keep", partition: p, fromOffset: slice[0]!.offset, toOffset: slice[slice.length - 1]!.offset });
    expect(res.count).toBe(slice.length);
    expect(res.records.map((r) => r.parentId)).toEqual(slice.map((r) => r.headers[HEADER.id]));
    const evens = slice.filter((r) => r.value.n % 2 === 0).length;
    const after = await readTopic(brokers, sink, (r) => r.length >= 11 + evens, { settleMs: 500 });
    expect(after).toHaveLength(11 + evens);
    // each copy's lineage: REPLAY into keep, then ROUTE or DROP there
    for (const [k, r] of res.records.entries()) {
      const g = await waitFor(async () => {
        const l = await api.provenance.lineage({ recordId: r.recordId });
        return l.nodes.some((n) => n.nodeId === "keep" && n.type !== "REPLAY") ? l : undefined;
      }, 15_000, "replayed record at keep");
      expect(g.nodes.find((n) => n.type === "REPLAY")).toMatchObject({ nodeId: "keep", parentIds: [r.parentId], offset: r.offset, partition: 0, topic: `mr.${id}.keep.replay` });
      expect(g.nodes.find((n) => n.nodeId === "keep" && n.recordId === r.recordId && n.type !== "REPLAY")!.type).toBe(slice[k]!.value.n % 2 === 0 ? "ROUTE" : "DROP");
    }
    await expect(api.provenance.replayRange({ flowId: id, edgeId: "nope", partition: 0, fromOffset: "0", toOffset: "0" })).rejects.toThrow(/no edge "nope"/);
    await expect(api.provenance.replay({ flowId: id, recordId: "no-such-record" })).rejects.toThrow(/no provenance/);
  });

  it("/metrics: per node and per edge counters, queue depths, provenance figures; 401 without a token", async () => {
    expect((await fetch(`${engine.url}/metrics`)).status).toBe(401);
    const viewer = bearer((await engine.services.identity.tokens.create({ name: "admin", role: "admin" }, "viewer", "prometheus")).token);
    const text = await waitFor(async () => {
      const t = await (await fetch(`${engine.url}/metrics`, { headers: viewer })).text();
      return t.includes(`millrace_node_records_in_total{flow="${id}",node="out"}`) ? t : undefined;
    }, 10_000, "metrics");
    const value = (line: string) => {
      const m = text.split("\n").find((l) => l.startsWith(line + " "));
      return m === undefined ? undefined : Number(m.slice(line.length + 1));
    };
    expect(value(`millrace_node_records_out_total{flow="${id}",node="gen"}`)).toBe(20);
    expect(value(`millrace_node_records_in_total{flow="${id}",node="keep"}`)).toBeGreaterThanOrEqual(20);
    expect(value(`millrace_node_records_out_total{flow="${id}",node="keep"}`)).toBeGreaterThanOrEqual(10);
    expect(value(`millrace_edge_records_total{flow="${id}",edge="gen.success->keep"}`)).toBe(20);
    expect(value(`millrace_edge_bytes_total{flow="${id}",edge="gen.success->keep"}`)).toBeGreaterThan(0);
    expect(value(`millrace_node_bytes_in_total{flow="${id}",node="keep"}`)).toBeGreaterThan(0);
    expect(value(`millrace_node_errors_total{flow="${id}",node="keep"}`)).toBe(0);
    expect(value(`millrace_edge_queue_depth{flow="${id}",edge="shape.success->out"}`)).toBe(0);
    expect(value("millrace_provenance_rows_written")).toBeGreaterThan(0);
    expect(value("millrace_provenance_dropped_records")).toBe(0);
    expect(text).toContain("# TYPE millrace_node_records_in_total counter");
    expect(text).toContain("millrace_process_");
  });

  it("a deployment made with provenance: false records nothing; status says so; a redeploy keeps the choice", async () => {
    const off = uid("prov-off");
    const offSink = uid("prov-off-sink");
    await api.flows.save({ document: flowDoc(off, [["gen", "generate", { count: 10, template: '{ "n": $i }' }], ["out", "kafka-sink", { topic: offSink }]], [["gen", "success", "out"]]) });
    deployed.push(off);
    const st = await api.deployments.deploy({ flowId: off, provenance: false });
    expect(st.provenance).toBe(false);
    await readTopic(brokers, offSink, (r) => r.length >= 10, { settleMs: 500 });
    await engine.services.provenance!.recorder!.drain();
    expect(await api.provenance.events({ flowId: off, limit: 10 })).toEqual([]);
    expect((await api.deployments.deploy({ flowId: off })).provenance).toBe(false);
    expect((await api.deployments.deploy({ flowId: off, provenance: true })).provenance).toBe(true);
    expect((await api.deployments.status({ flowId: id })).provenance).toBe(true);
  });
});
