import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@millrace/testkit";
import { flowDoc, range, readTopic, sortNum, uid, adminToken, bearer } from "../../test-support/index.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";

describe("back pressure and live stats", () => {
  let t: TestEngine;
  let server: Server;
  let serverUrl = "";
  let gateOpen = true;
  const held: ServerResponse[] = [];
  let received = 0;

  beforeAll(async () => {
    t = await startTestEngine("bp");
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on("end", () => {
        received++;
        if (gateOpen) res.writeHead(200, { "content-type": "application/json" }).end("{}");
        else held.push(res);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const a = server.address();
    serverUrl = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}/in`;
  });
  afterAll(async () => {
    gateOpen = true;
    for (const r of held.splice(0)) r.end("{}");
    await t?.close();
    server?.closeAllConnections();
    await new Promise<void>((r) => server?.close(() => r()));
  });

  it("(h) a source pauses when an edge's queue passes its threshold, shows it in stats, and resumes when it drains", async () => {
    const id = uid("h");
    const doc = flowDoc(
      id,
      [
        ["gen", "generate", { count: 0, ratePerSec: 2000, template: '{ "i": $i }' }],
        ["call", "http-request", { url: serverUrl, method: "POST", timeoutMs: 120_000, concurrency: 64 }],
      ],
      [["gen", "success", "call", "durable", { queueThreshold: 300 }]],
    );
    gateOpen = false; // the downstream stage hangs on its first batch: the queue builds up
    await t.api.flows.save({ document: doc });
    await t.api.deployments.deploy({ flowId: id });
    try {
      const paused = await waitFor(async () => {
        const s = await t.api.stats.snapshot({ flowId: id });
        return s.nodes.gen.paused ? s : undefined;
      }, 20_000, "the source to pause");
      expect(paused.edges["gen.success->call"].backPressure).toBe(true);
      // queue depths are measured apart from the engines' pause decisions (cached for a second)
      await waitFor(async () => (await t.api.stats.snapshot({ flowId: id })).edges["gen.success->call"].queue > 300, 10_000, "queue over 300 in stats");
      expect(paused.edges["gen.success->call"].threshold).toBe(300);
      const status = await t.api.deployments.status({ flowId: id });
      expect(status.local.stages.find((s: any) => s.id === "gen")).toMatchObject({ paused: true, owner: true });

      // paused really means no more records
      await new Promise((r) => setTimeout(r, 500));
      const a = (await t.api.stats.snapshot({ flowId: id })).nodes.gen.out;
      await new Promise((r) => setTimeout(r, 1500));
      const b = (await t.api.stats.snapshot({ flowId: id })).nodes.gen.out;
      expect(b).toBe(a);

      // drain: answer everything from now on
      gateOpen = true;
      for (const r of held.splice(0)) r.writeHead(200, { "content-type": "application/json" }).end("{}");
      await waitFor(async () => !(await t.api.stats.snapshot({ flowId: id })).nodes.gen.paused, 20_000, "the source to resume");
      await waitFor(async () => (await t.api.stats.snapshot({ flowId: id })).nodes.gen.out > b + 500, 20_000, "records to flow again");
      expect(received).toBeGreaterThan(300);
    } finally {
      await t.api.deployments.stop({ flowId: id });
    }
  });

  it("stats.live streams the flow's stats over SSE at least once a second", async () => {
    const id = uid("live");
    const doc = flowDoc(id, [["gen", "generate", { count: 0, ratePerSec: 200, template: '{ "i": $i }' }], ["m", "map", { expression: "value" }]], [["gen", "success", "m"]]);
    await t.api.flows.save({ document: doc });
    await t.api.deployments.deploy({ flowId: id });
    const ac = new AbortController();
    try {
      const input = encodeURIComponent(JSON.stringify({ flowId: id }));
      const res = await fetch(`${t.engine.url}/trpc/stats.live?input=${input}`, { signal: ac.signal, headers: { accept: "text/event-stream", ...bearer(await adminToken(t.engine.services)) } });
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const reader = res.body!.getReader();
      const events: { at: number; receivedAt: number; nodes: any; edges: any }[] = [];
      let buf = "";
      const started = Date.now();
      while (events.length < 4 && Date.now() - started < 20_000) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += Buffer.from(value).toString();
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line.startsWith("data:")) continue;
          const data = JSON.parse(line.slice(5));
          const payload = data?.data ?? data; // tRPC wraps tracked events
          if (payload && payload.flowId === id) events.push({ ...payload, receivedAt: Date.now() });
        }
      }
      expect(events.length).toBe(4);
      for (let i = 1; i < events.length; i++) expect(events[i]!.receivedAt - events[i - 1]!.receivedAt).toBeLessThan(1500);
      const last = events[events.length - 1]!;
      expect(Object.keys(last.nodes).sort()).toEqual(["gen", "m"]);
      expect(last.nodes.gen.out).toBeGreaterThan(0);
      expect(last.nodes.gen).toHaveProperty("rate1s");
      expect(last.nodes.gen).toHaveProperty("rate1m");
      expect(last.nodes.gen).toHaveProperty("rate5m");
      expect(last.edges["gen.success->m"]).toHaveProperty("queue");
    } finally {
      ac.abort();
      await t.api.deployments.stop({ flowId: id });
    }
  });

  it("redeploying a changed version keeps the records waiting in topics whose edges still exist", async () => {
    const id = uid("redeploy");
    const sink = uid("redeploy-sink");
    gateOpen = false; // v1's downstream hangs: the 40 records wait in the gen → call topic
    const v1 = flowDoc(
      id,
      [
        ["gen", "generate", { count: 40, template: '{ "i": $i }' }],
        ["call", "http-request", { url: serverUrl, method: "POST", timeoutMs: 120_000 }],
      ],
      [["gen", "success", "call"]],
    );
    await t.api.flows.save({ document: v1 });
    const s1 = await t.api.deployments.deploy({ flowId: id });
    const topic = s1.plan.edges[0].topic;
    await waitFor(async () => (await t.api.stats.snapshot({ flowId: id })).nodes.gen.out === 40, 20_000, "v1 to generate");
    await waitFor(() => held.length > 0, 20_000, "v1's requests to hang");

    // v2: the same edge out of gen.success, now into a map and a Kafka sink
    const v2 = flowDoc(
      id,
      [
        ["gen", "generate", { count: 40, template: '{ "i": $i }' }],
        ["call", "map", { expression: '{ "i": value.i, "v": 2 }' }],
        ["out", "kafka-sink", { topic: sink }],
      ],
      [["gen", "success", "call"], ["call", "success", "out"]],
    );
    const saved = await t.api.flows.save({ document: v2 });
    expect(saved.version).toBe(2);
    const s2 = await t.api.deployments.deploy({ flowId: id });
    expect(s2.version).toBe(2);
    expect(s2.plan.edges.find((e: any) => e.from.node === "gen").topic).toBe(topic);
    gateOpen = true;
    for (const r of held.splice(0)) r.writeHead(503).end();

    // the generator had finished (its checkpoint says so): everything in the sink came from the kept topic
    const records = await readTopic(t.brokers, sink, (rs) => rs.length >= 40);
    expect(records.map((r) => r.value.i).sort(sortNum)).toEqual(range(0, 40));
    expect(records.every((r) => r.value.v === 2)).toBe(true);
    const dlq = await readTopic(t.brokers, `mr-dlq.${id}`, () => true, { settleMs: 500 });
    expect(dlq).toEqual([]); // stopping v1 mid-batch turned nothing into a failure
    await t.api.deployments.stop({ flowId: id });
  });
});
