// A broker replaced under a running engine (same address, fresh storage, so a new cluster id):
// the engine notices the new cluster id and a redeploy recreates the flow's topics.
// Runs its own broker on a free port and temp dir; the shared broker is not touched.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, waitFor } from "@millrace/testkit";
import { startKafka, stopKafka } from "../../../../scripts/kafka/index.mjs";
import { createKafka } from "./index.js";
import { flowDoc, readTopic, uid } from "../../test-support/index.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";

const dataDir = mkdtempSync(join(tmpdir(), "millrace-changed-cluster-"));
let t: TestEngine | undefined;

afterAll(async () => {
  await t?.close().catch(() => {});
  await stopKafka(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

describe("an engine whose broker was replaced under it", () => {
  it("notices the new cluster id and a redeploy recreates the flow's topics", async () => {
    const port = await freePort();
    const first = await startKafka({ port, dataDir });
    t = await startTestEngine("cluster", { kafkaBrokers: [first.brokers] });
    const { engine, api } = t;
    const id = uid("moved");
    const sink = uid("moved-sink");
    await api.flows.save({ document: flowDoc(id, [["in", "http-listen", { path: `/in-${id}` }], ["out", "kafka-sink", { topic: sink }]], [["in", "success", "out"]]) });
    await api.deployments.deploy({ flowId: id });
    const before = await engine.services.kafka!.describeCluster();
    expect(engine.services.kafka!.clusterId?.()).toBe(before.clusterId);

    // the same address, wiped storage: a different cluster that has none of the flow's topics
    await first.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await startKafka({ port, dataDir });

    // the redeploy refreshes metadata, sees the new cluster and recreates the flow's topics
    await api.deployments.deploy({ flowId: id });
    const check = createKafka({ brokers: [first.brokers], clientId: "changed-cluster-check", logLevel: "nothing" });
    try {
      const after = await check.describeCluster();
      expect(after.clusterId).not.toBe(before.clusterId);
      expect(engine.services.kafka!.clusterId?.()).toBe(after.clusterId);
      const topics = await check.listTopics();
      expect(topics).toContain(sink);
      expect(topics).toContain(`mr-dlq.${id}`);
      // and the flow runs again on the new cluster
      await waitFor(async () => (await fetch(`${engine.url}/in-${id}`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"n":1}' })).status === 202, 20_000, "the source to accept a record");
      const records = await readTopic([first.brokers], sink, (rs) => rs.length >= 1, { timeoutMs: 20_000 });
      expect(records[0]!.value).toEqual({ n: 1 });
      // a topic that is gone for good is named in the error, with what to do
      await expect(engine.services.kafka!.topicEndOffsets(`mr.${id}.never-created`)).rejects.toThrow(
        new RegExp(`topic mr\\.${id}\\.never-created missing on the cluster at ${first.brokers} \\(cluster id changed from ${before.clusterId} to ${after.clusterId}\\): redeploy the flow`),
      );
    } finally {
      await check.close();
    }
  }, 90_000);
});
