import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testBrokers } from "@millrace/testkit";
import { createKafka, type KafkaClient } from "../kafka/index.js";
import { changelogTopicSpec } from "../state/changelog.js";
import { uid } from "../../test-support/index.js";
import { StageTables } from "./table-state.js";

describe("StageTables across consumer-group generations on real Kafka", () => {
  const kafka: KafkaClient = createKafka({ clientId: uid("tables"), brokers: testBrokers(), logLevel: "nothing" });
  const dataDir = mkdtempSync(join(tmpdir(), "mr-stage-tables-"));
  const flow = uid("gen");
  const spec = changelogTopicSpec(flow, "t", 1);
  const tables = new StageTables({ kafka, flowId: flow, nodeId: "t", changelogTopic: spec.topic, partitions: 1, dataDir, log: () => {} });

  afterAll(async () => {
    await tables.close(true);
    rmSync(dataDir, { recursive: true, force: true });
    await kafka.deleteTopics([spec.topic]).catch(() => {});
    await kafka.close();
  });

  it("a batch read in one generation reads through its predecessor, and one finishing after the next generation's restore never writes the store", async () => {
    await kafka.ensureTopics([spec]);
    const first = await tables.forBatch(0, 1);
    first.put("k", 1);
    const second = await tables.forBatch(0, 1);
    expect(second.get("k")).toBe(1); // the first is still on its way: read through
    second.put("k", 2);
    first.commit(undefined);
    second.commit(undefined);
    expect(tables.store(0)!.get("k")).toBe(2);

    // a batch of generation 1 still producing while the partition comes back in generation 2
    const late = await tables.forBatch(0, 1);
    late.put("k", 99);
    const next = await tables.forBatch(0, 2); // restored from the changelog (which never got 99)
    expect(next.get("k")).toBe(2);
    late.commit(undefined);
    expect(tables.store(0)!.get("k")).toBe(2);
    next.put("k", 3);
    next.commit(undefined);
    expect(tables.store(0)!.get("k")).toBe(3);
  }, 60_000);

  it("refuses a partition the input grew after the deployment, saying why (the changelog has none for it)", async () => {
    await expect(tables.forBatch(1, 2)).rejects.toThrow("node t keeps its table in 1 partitions and its input now has a partition 1");
  });
});
