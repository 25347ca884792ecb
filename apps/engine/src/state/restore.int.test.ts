import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBrokers } from "@millrace/testkit";
import { createKafka, type KafkaClient } from "../kafka/index.js";
import { uid } from "../../test-support/index.js";
import { changelogMessages, changelogTopicSpec } from "./changelog.js";
import { RESTORE_GROUP_PREFIX, restoreStore, type RestoreProgress } from "./restore.js";
import { PartitionStore, type StoreChange, type StoreValue } from "./store.js";

const PER_PARTITION = 5_000;
const KEYS = 700;

/** partition p's changes: 700 keys updated over and over, every 7th change a deletion */
function changesOf(p: number): StoreChange[] {
  return Array.from({ length: PER_PARTITION }, (_, i) => ({ key: `p${p}-k${i % KEYS}`, value: i % 7 === 3 ? null : { i, p } }));
}

function finalState(changes: readonly StoreChange[]): Map<string, StoreValue> {
  const m = new Map<string, StoreValue>();
  for (const c of changes) {
    if (c.value === null) m.delete(c.key);
    else m.set(c.key, c.value);
  }
  return m;
}

function contents(store: PartitionStore): Map<string, StoreValue> {
  return new Map(store.scan({ limit: 1_000_000 }).map((e) => [e.key, e.value]));
}

describe("restoring state stores from their changelog on real Kafka", () => {
  const kafka: KafkaClient = createKafka({ clientId: uid("restore"), brokers: testBrokers(), logLevel: "nothing" });
  const flow = uid("restore");
  const spec = changelogTopicSpec(flow, "count", 2);
  const topic = spec.topic;
  const written = [changesOf(0), changesOf(1)];
  const dirs: string[] = [];
  const stores: PartitionStore[] = [];

  function freshStore(): PartitionStore {
    const dir = mkdtempSync(join(tmpdir(), "mr-restore-"));
    dirs.push(dir);
    const s = PartitionStore.open({ directory: dir, maxBytes: 64 * 1024 * 1024, label: `${flow}/count` });
    stores.push(s);
    return s;
  }

  beforeAll(async () => {
    await kafka.ensureTopics([spec]);
    const producer = kafka.producer();
    await producer.connect();
    try {
      for (let p = 0; p < 2; p++) {
        const messages = changelogMessages(written[p]!, p);
        for (let i = 0; i < messages.length; i += 500) await producer.send(topic, messages.slice(i, i + 500));
      }
    } finally {
      await producer.disconnect();
    }
  });

  afterAll(async () => {
    for (const s of stores) await s.close().catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await kafka.deleteTopics([topic]).catch(() => {});
    await kafka.close();
  });

  it("restores empty stores to the exact final state of their own partition, reporting progress", async () => {
    for (let p = 0; p < 2; p++) {
      const store = freshStore();
      const progress: RestoreProgress[] = [];
      const r = await restoreStore(kafka, store, { topic, partition: p, onProgress: (x) => progress.push(x) });
      expect(r).toMatchObject({ restoredRecords: PER_PARTITION, from: 0, to: PER_PARTITION, wiped: true });
      expect(contents(store)).toEqual(finalState(written[p]!));
      expect(store.checkpoint()).toBe(PER_PARTITION);
      expect(progress.at(-1)).toEqual({ done: PER_PARTITION, total: PER_PARTITION });
      for (let i = 1; i < progress.length; i++) expect(progress[i]!.done).toBeGreaterThanOrEqual(progress[i - 1]!.done);
    }
    // nothing committed, the throwaway groups are gone
    expect((await kafka.listGroups()).filter((g) => g.startsWith(RESTORE_GROUP_PREFIX))).toEqual([]);
  });

  it("from a checkpoint in the middle reads only the rest", async () => {
    const store = freshStore();
    const half = PER_PARTITION / 2;
    store.write(written[1]!.slice(0, half), half);
    const r = await restoreStore(kafka, store, { topic, partition: 1 });
    expect(r).toMatchObject({ restoredRecords: half, from: half, to: PER_PARTITION, wiped: false });
    expect(contents(store)).toEqual(finalState(written[1]!));
    const again = await restoreStore(kafka, store, { topic, partition: 1 });
    expect(again).toMatchObject({ restoredRecords: 0, from: PER_PARTITION, wiped: false });
  });

  it("reads only up to the end it is given (a snapshot's point in time)", async () => {
    const store = freshStore();
    const r = await restoreStore(kafka, store, { topic, partition: 0, end: 1_234 });
    expect(r).toMatchObject({ restoredRecords: 1_234, from: 0, to: 1_234, wiped: true });
    expect(store.checkpoint()).toBe(1_234);
    expect(contents(store)).toEqual(finalState(written[0]!.slice(0, 1_234)));
  });

  it("wipes a store whose checkpoint is beyond the log's end and restores it whole", async () => {
    const store = freshStore();
    store.write([{ key: "stale", value: 1 }, { key: "p0-k1", value: "old" }], PER_PARTITION + 100);
    const r = await restoreStore(kafka, store, { topic, partition: 0 });
    expect(r).toMatchObject({ restoredRecords: PER_PARTITION, from: 0, wiped: true });
    expect(contents(store)).toEqual(finalState(written[0]!));
  });

  it("wipes a store without a checkpoint (it may hold changes the changelog never got)", async () => {
    const store = freshStore();
    store.write([{ key: "uncommitted", value: 1 }]);
    const r = await restoreStore(kafka, store, { topic, partition: 0 });
    expect(r.wiped).toBe(true);
    expect(contents(store)).toEqual(finalState(written[0]!));
  });

  it("restores a transactional changelog (commit markers at the end, an aborted transaction inside) and ends", async () => {
    const txSpec = changelogTopicSpec(flow, "tx", 1);
    await kafka.ensureTopics([txSpec]);
    const producer = kafka.producer({ transactionalId: uid("restore-tx") });
    await producer.connect();
    const committed: StoreChange[] = [];
    try {
      for (const [n, commit] of [[300, true], [50, false], [200, true]] as const) {
        const changes = Array.from({ length: n }, (_, i): StoreChange => ({ key: `k${i % 40}`, value: commit ? i : "aborted" }));
        const tx = await producer.transaction();
        await tx.send(txSpec.topic, changelogMessages(changes, 0));
        if (commit) {
          await tx.commit();
          committed.push(...changes);
        } else await tx.abort();
      }
    } finally {
      await producer.disconnect();
    }
    try {
      const store = freshStore();
      const r = await restoreStore(kafka, store, { topic: txSpec.topic, partition: 0, quietMs: 500 });
      expect(r.restoredRecords).toBe(500);
      expect(contents(store)).toEqual(finalState(committed));
      expect(JSON.stringify([...contents(store).values()])).not.toContain("aborted");
      expect(store.checkpoint()).toBe(r.to);

      // only the last commit marker left to read: never delivered by itself, so the reader seeks
      // back to the record before it, whose fetch carries the marker along and ends the restore at the end
      const behind = freshStore();
      behind.write(committed, r.to - 1);
      const tail = await restoreStore(kafka, behind, { topic: txSpec.topic, partition: 0, quietMs: 500 });
      expect(tail).toMatchObject({ restoredRecords: 0, from: r.to - 1, wiped: false });
      expect(behind.checkpoint()).toBe(r.to);
    } finally {
      await kafka.deleteTopics([txSpec.topic]).catch(() => {});
    }
  });

  it("refuses a partition the changelog does not have", async () => {
    await expect(restoreStore(kafka, freshStore(), { topic, partition: 5 })).rejects.toThrow(/has no partition 5/);
  });
});
