import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { createKafka, type KafkaClient } from "../kafka/index.js";
import { bearer, flowDoc, spawnEngine, uid, type EngineProcess } from "../../test-support/index.js";
import { startTcpProxy, type TcpProxy } from "../../test-support/tcp-proxy.js";

const RATE = 2000;
const CUT_MS = 8000;

describe("Postgres unreachable for a while: flows keep moving, provenance catches up or counts what it dropped", () => {
  const brokers = testBrokers();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let kafka: KafkaClient;
  let engine: EngineProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase("pgoutage");
    const direct = new URL(db.url);
    proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
    kafka = createKafka({ brokers, clientId: uid("pgoutage-test") });
  });
  afterAll(async () => {
    await engine?.kill9();
    await proxy?.close();
    await kafka?.close();
    await db?.drop();
  });

  async function produced(topic: string): Promise<number> {
    return (await kafka.topicEndOffsets(topic)).reduce((s, p) => s + p.high, 0);
  }

  async function metric(e: EngineProcess, name: string): Promise<number> {
    const text = await (await fetch(`${e.url}/metrics`, { headers: bearer(e.token) })).text();
    const line = text.split("\n").find((l) => l.startsWith(name + " "));
    if (line === undefined) throw new Error(`${name} not at /metrics`);
    return Number(line.slice(name.length + 1));
  }

  it("a generate → kafka-sink flow keeps producing through an 8 s cut; the engine stays up; lineage resumes", { timeout: 60_000 }, async () => {
    const proxied = new URL(db.url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    engine = await spawnEngine({ port: await freePort(), databaseUrl: proxied.toString(), brokers });
    const e = engine;
    const id = uid("pgoutage");
    const sink = uid("pgoutage-sink");
    await e.api.flows.save.mutate({ document: flowDoc(id, [["gen", "generate", { count: 0, ratePerSec: RATE, template: '{ "i": $i }' }], ["out", "kafka-sink", { topic: sink }]], [["gen", "success", "out"]]) });
    await e.api.deployments.deploy.mutate({ flowId: id });
    await waitFor(async () => (await produced(sink).catch(() => 0)) >= RATE, 20_000, "the flow running");

    const cutAt = new Date();
    const before = await produced(sink);
    proxy.cut();
    await new Promise((r) => setTimeout(r, CUT_MS));
    const during = (await produced(sink)) - before;
    proxy.restore();
    const restoredAt = new Date();
    console.info(`[postgres outage] ${during} records produced during the ${CUT_MS / 1000} s cut at ${RATE}/s`);

    expect(e.child.exitCode).toBeNull();
    expect(during).toBeGreaterThanOrEqual((RATE * CUT_MS) / 1000 / 2);

    // still running after the outage, and the status reads from Postgres again
    const after = await produced(sink);
    await waitFor(async () => (await produced(sink)) >= after + RATE, 20_000, "records after the outage");
    await waitFor(async () => (await e.api.deployments.status.query({ flowId: id })).status === "running", 15_000, "status after the outage");

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      // the flow's figures are published again
      await waitFor(
        async () => {
          const r = await client.query<{ at: Date | null }>("SELECT max(updated_at) AS at FROM engine_stats WHERE flow_id = $1", [id]);
          return r.rows[0]?.at && r.rows[0].at > restoredAt;
        },
        15_000,
        "stats published after the outage",
      );
      // lineage of the cut: in provenance_batch once the queue drained, or counted as dropped
      await waitFor(async () => (await metric(e, "millrace_provenance_queued_records").catch(() => Infinity)) < RATE * 4, 20_000, "the provenance queue drained");
      const dropped = await metric(e, "millrace_provenance_dropped_records");
      const r = await client.query<{ n: string }>("SELECT count(*) AS n FROM provenance_batch WHERE flow_id = $1 AND node_id = 'gen' AND at >= $2 AND at < $3", [id, cutAt, restoredAt]);
      const rows = Number(r.rows[0]!.n);
      console.info(`[postgres outage] lineage of the cut: ${rows} gen batches recorded, ${dropped} record ids dropped`);
      expect(rows > 0 || dropped > 0).toBe(true);
    } finally {
      await client.end();
    }
    expect(e.output()).not.toMatch(/unhandled|uncaught/i);
    await e.api.deployments.stop.mutate({ flowId: id });
  });
});
