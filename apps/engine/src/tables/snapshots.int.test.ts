// Table snapshots on the real broker and Postgres: folded from a changelog to Postgres and to a
// file (exact rows and offsets, each one continuing from the previous), the newest N kept, a path
// outside the snapshot directory and a table over the size bound refused, one snapshot per node
// at a time, and a table partition with an empty store starting from the newest snapshot and
// reading only the changelog after its offsets; and through running engines: a scheduled snapshot,
// `millrace table snapshot|snapshots`, and a new engine with an empty state directory starting
// from the newest snapshot.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TABLE_KEY } from "@millrace/processors";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { openDatabase, type Database } from "../db/index.js";
import { createKafka, type KafkaClient } from "../kafka/index.js";
import { logger } from "../log.js";
import type { ExecutionPlan } from "../planner/index.js";
import { StageTables } from "../runtime/table-state.js";
import { generateSecretKey, SecretBox } from "../secrets/index.js";
import { changelogMessages, changelogTopicName, changelogTopicSpec, TOMBSTONE_RETENTION_MS } from "../state/changelog.js";
import type { StoreChange, StoreValue } from "../state/store.js";
import { flowDoc, range, spawnEngine, uid, type EngineProcess } from "../../test-support/index.js";
import { runCli, runCliOk } from "../../test-support/cli-runner.js";
import { startFromStoredSnapshot } from "./snapshot-start.js";
import { TableSnapshots } from "./snapshots.js";

/** partition p's changes n…n+count: 30 keys per partition updated over and over, every 5th change a deletion */
function changes(p: number, from: number, to: number): StoreChange[] {
  const out: StoreChange[] = [];
  for (let n = from; n < to; n++) out.push({ key: `p${p}-k${n % 30}`, value: n % 5 === 4 ? null : { n, p } });
  return out;
}

function fold(into: Map<string, StoreValue>, list: readonly StoreChange[]): Map<string, StoreValue> {
  for (const c of list) {
    if (c.value === null) into.delete(c.key);
    else into.set(c.key, c.value);
  }
  return into;
}

describe("table snapshots", () => {
  const kafka: KafkaClient = createKafka({ clientId: uid("snapshots"), brokers: testBrokers(), logLevel: "nothing" });
  const flowId = uid("snap");
  const nodeId = "t";
  const spec = changelogTopicSpec(flowId, nodeId, 2);
  const topic = spec.topic;
  const plan = { flowId, nodes: [{ id: nodeId, type: "table", config: {}, state: { changelogTopic: topic, partitions: 2 } }] } as unknown as ExecutionPlan;
  const work = mkdtempSync(join(tmpdir(), "mr-snapshots-"));
  const snapshotDir = join(work, "snapshots");
  const settings = { directory: snapshotDir, keep: 2, maxBytes: 16 * 1024 * 1024, maxMs: 120_000, checkMs: 60_000 };
  /** what each partition's changelog holds so far */
  const written: StoreChange[][] = [[], []];
  let database: { url: string; drop(): Promise<void> };
  let db: Database;
  let snapshots: TableSnapshots;

  async function produce(from: number, to: number): Promise<void> {
    await produceChanges([changes(0, from, to), changes(1, from, to)]);
  }

  async function produceChanges(byPartition: StoreChange[][]): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    try {
      for (let p = 0; p < byPartition.length; p++) {
        const list = byPartition[p]!;
        if (!list.length) continue;
        written[p]!.push(...list);
        await producer.send(topic, changelogMessages(list, p));
      }
    } finally {
      await producer.disconnect();
    }
  }

  const table = (p: number, upTo = written[p]!.length) => fold(new Map(), written[p]!.slice(0, upTo));
  const deployments = { ofFlow: async () => ({ id: "d1", version: 3, plan }), running: async () => [] } as never;
  const servicesWith = (s: typeof settings) =>
    new TableSnapshots({ snapshots: db.repositories.tableSnapshots, deployments, kafka, dataDir: work, engineId: "e1", settings: s, log: logger.child({ module: "tables-test" }) });

  beforeAll(async () => {
    database = await createTestDatabase("snapshots");
    db = await openDatabase(database.url, "e1", new SecretBox([generateSecretKey()]));
    await kafka.ensureTopics([spec]);
    await produce(0, 400);
    snapshots = servicesWith(settings);
  }, 60_000);

  afterAll(async () => {
    await kafka.close();
    await db?.close();
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  async function rowsOf(id: string, p: number): Promise<Map<string, StoreValue>> {
    return new Map((await db.repositories.tableSnapshots.rows(id, p, (pages) => pages(undefined, 10_000))).map((r) => [r.key, r.value]));
  }

  let first: string;

  it("writes every partition's rows to Postgres at the changelog's end offsets, read from the start", async () => {
    const r = (await snapshots.take({ flowId, nodeId, takenBy: "ann" }))!;
    first = r.snapshot.id;
    expect(r.snapshot).toMatchObject({ flowId, nodeId, deploymentId: "d1", version: 3, target: "postgres", filePath: null, offsets: { "0": 400, "1": 400 }, takenBy: "ann", engineId: "e1" });
    // its age counts from when the offsets were read, before the fold and the insert
    expect(r.snapshot.offsetsAt.getTime()).toBeLessThanOrEqual(r.snapshot.takenAt.getTime());
    expect(r.snapshot.partitionRows).toEqual({ "0": table(0).size, "1": table(1).size });
    expect(r.partitions).toEqual([
      { partition: 0, from: 0, offset: 400, changesRead: 400 },
      { partition: 1, from: 0, offset: 400, changesRead: 400 },
    ]);
    expect(await rowsOf(first, 0)).toEqual(table(0));
    expect(await rowsOf(first, 1)).toEqual(table(1));
    expect(r.snapshot.rowCount).toBe(table(0).size + table(1).size);
    expect(r.snapshot.bytes).toBeGreaterThan(0);
    expect(r.pruned).toEqual([]);
  }, 60_000);

  it("writes a JSON-lines file with the offsets in its header, continuing from the previous snapshot", async () => {
    await produce(400, 460);
    const r = (await snapshots.take({ flowId, nodeId, takenBy: "ann", file: "daily/t.jsonl" }))!;
    // in the node's own folder, named relative to the snapshot directory
    const path = join(snapshotDir, flowId, nodeId, "daily", "t.jsonl");
    expect(r.snapshot).toMatchObject({ target: "file", filePath: join(flowId, nodeId, "daily", "t.jsonl"), offsets: { "0": 460, "1": 460 } });
    // the rows of the first snapshot, then only the changelog after its offsets
    expect(r.partitions).toEqual([
      { partition: 0, from: 400, offset: 460, changesRead: 60, fromSnapshot: { id: first, rows: table(0, 400).size } },
      { partition: 1, from: 400, offset: 460, changesRead: 60, fromSnapshot: { id: first, rows: table(1, 400).size } },
    ]);
    const [header, ...lines] = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(JSON.parse(header!)).toEqual({ snapshot: { flowId, nodeId, version: 3, takenAt: expect.any(String), offsets: { "0": 460, "1": 460 }, rows: table(0).size + table(1).size } });
    const rows = lines.map((l) => JSON.parse(l) as { key: string; value: StoreValue; partition: number });
    for (let p = 0; p < 2; p++) expect(new Map(rows.filter((x) => x.partition === p).map((x) => [x.key, x.value]))).toEqual(table(p));
    expect(r.snapshot.rowCount).toBe(rows.length);
    expect(r.snapshot.bytes).toBe(Buffer.byteLength(readFileSync(path)));
  }, 60_000);

  it("keeps the newest N per node and target, deleting older ones (a file snapshot's file too); an existing file is not replaced", async () => {
    const fileSnapshot = (await snapshots.list(flowId, nodeId, 1))[0]!;
    const third = (await snapshots.take({ flowId, nodeId, takenBy: "schedule" }))!;
    // files do not count against the Postgres snapshots an engine starts from
    expect(third.pruned).toEqual([]);
    const fourth = (await snapshots.take({ flowId, nodeId, takenBy: "schedule" }))!;
    expect(fourth.pruned).toEqual([first]);
    expect(await rowsOf(first, 0)).toEqual(new Map());
    await expect(snapshots.take({ flowId, nodeId, takenBy: "ann", file: "daily/t.jsonl" })).rejects.toMatchObject({ code: "CONFLICT", message: `the snapshot file ${join(flowId, nodeId, "daily", "t.jsonl")} exists already: give another name (or delete it)` });
    expect((await snapshots.take({ flowId, nodeId, takenBy: "ann", file: "t2.jsonl" }))!.pruned).toEqual([]);
    const third3 = (await snapshots.take({ flowId, nodeId, takenBy: "ann", file: "t3.jsonl" }))!;
    expect(third3.pruned).toEqual([fileSnapshot.id]);
    expect(existsSync(join(snapshotDir, flowId, nodeId, "daily", "t.jsonl"))).toBe(false);
    expect(existsSync(join(snapshotDir, flowId, nodeId, "t2.jsonl"))).toBe(true);
    expect((await db.repositories.tableSnapshots.latestInPostgres(flowId, nodeId))!.id).toBe(fourth.snapshot.id);
    expect((await snapshots.list(flowId, nodeId)).filter((s) => s.target === "postgres").map((s) => s.id)).toEqual([fourth.snapshot.id, third.snapshot.id]);
  }, 60_000);

  it("refuses a file outside the node's folder, a table over the size or time bound, and a second snapshot of a node at once", async () => {
    const before = (await snapshots.list(flowId, nodeId)).map((s) => s.id);
    await expect(snapshots.take({ flowId, nodeId, takenBy: "ann", file: "../other-node/t.jsonl" })).rejects.toMatchObject({
      code: "INVALID",
      message: `the snapshot file "../other-node/t.jsonl" is outside node ${nodeId}'s snapshot folder ${flowId}/${nodeId} (in MILLRACE_SNAPSHOT_DIR): give a name inside it`,
    });
    await expect(servicesWith({ ...settings, maxBytes: 500 }).take({ flowId, nodeId, takenBy: "ann" })).rejects.toMatchObject({
      code: "INVALID",
      message: `the snapshot of ${flowId}/${nodeId} is larger than its bound of 500 bytes (MILLRACE_SNAPSHOT_MAX_MB): not written`,
    });
    await expect(servicesWith({ ...settings, maxMs: 1 }).take({ flowId, nodeId, takenBy: "ann" })).rejects.toMatchObject({
      code: "INVALID",
      message: `the snapshot of ${flowId}/${nodeId} took longer than its bound of 0 s to read from the changelog (MILLRACE_SNAPSHOT_MAX_SECONDS): not written`,
    });
    const both = await Promise.allSettled([snapshots.take({ flowId, nodeId, takenBy: "ann" }), snapshots.take({ flowId, nodeId, takenBy: "bob" })]);
    expect(both.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    expect(both.find((o) => o.status === "rejected")).toMatchObject({ reason: { code: "CONFLICT", message: `a snapshot of ${flowId}/${nodeId} is being taken already (by this or another engine); ask again when it is done` } });
    // nothing half-written: only the one taken is new
    expect((await snapshots.list(flowId, nodeId)).filter((s) => !before.includes(s.id))).toHaveLength(1);
    expect(await snapshots.take({ flowId, nodeId, takenBy: "schedule", unlessYoungerThanMs: 60_000 })).toBeUndefined();
  }, 60_000);

  it("starts an empty store from the newest snapshot, then reads only the changelog after its offsets", async () => {
    const [newest] = await snapshots.list(flowId, nodeId, 1);
    await produce(460, 500);
    const logs: string[] = [];
    const log = (_level: string, msg: string) => logs.push(msg);
    const tables = new StageTables({
      kafka,
      flowId,
      nodeId,
      changelogTopic: topic,
      dataDir: join(work, "engine2"),
      log,
      startFromSnapshot: startFromStoredSnapshot({ snapshots: db.repositories.tableSnapshots, kafka, flowId, nodeId, changelogTopic: topic }, (m) => log("info", m)),
    });
    try {
      for (let p = 0; p < 2; p++) {
        const batch = await tables.forBatch(p, 1);
        for (const [key, value] of table(p)) expect(batch.get(key)).toEqual(value);
        batch.discard();
        expect(new Map(tables.store(p)!.scan({ limit: 1_000 }).map((e) => [e.key, e.value]))).toEqual(table(p));
        expect(tables.store(p)!.checkpoint()).toBe(500);
      }
    } finally {
      await tables.close();
    }
    expect(logs).toEqual([0, 1].map((p) => expect.stringMatching(new RegExp(`^node t: table of partition ${p} restored from snapshot ${newest!.id} \\(${table(p, 460).size} rows at changelog offset 460\\), then from ${topic.replaceAll(".", "\\.")}: 40 change\\(s\\), offsets 460…500, in \\d+ ms$`))));
  }, 60_000);

  it("reads a snapshot's rows whole while it is pruned (one transaction)", async () => {
    const [newest] = await snapshots.list(flowId, nodeId, 1);
    const other = await snapshots.take({ flowId, nodeId, takenBy: "ann" });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const read = await db.repositories.tableSnapshots.rows(other!.snapshot.id, 0, async (pages) => {
        const head = await pages(undefined, 3);
        await client.query("DELETE FROM table_snapshot WHERE id = $1", [other!.snapshot.id]);
        return [...head, ...(await pages(head[head.length - 1]!.key, 10_000))];
      });
      expect(new Map(read.map((r) => [r.key, r.value]))).toEqual(table(0));
      // deleted: none at all, never a part
      expect(await rowsOf(other!.snapshot.id, 0)).toEqual(new Map());
    } finally {
      await client.end();
    }
    expect((await snapshots.list(flowId, nodeId, 1))[0]!.id).toBe(newest!.id);
  }, 60_000);

  // (a store refuses a key with U+0000 itself: no table row has one)
  it("holds values with U+0000 and keys with other control characters (binary Kafka data), and leaves a processor's reserved key out of a file's rows (in its header)", async () => {
    await produceChanges([
      [
        { key: "bin\u0001key\u00ff", value: { s: "a\u0000b" } },
        { key: "plain", value: "\u0000" },
      ],
      [{ key: TABLE_KEY.streamTime, value: 1_765_000_000_000 }],
    ]);
    const r = (await snapshots.take({ flowId, nodeId, takenBy: "ann" }))!;
    expect(await rowsOf(r.snapshot.id, 0)).toEqual(table(0));
    expect((await rowsOf(r.snapshot.id, 0)).get("bin\u0001key\u00ff")).toEqual({ s: "a\u0000b" });
    // kept in Postgres: a windowed aggregate started from the snapshot needs its stream time
    expect((await rowsOf(r.snapshot.id, 1)).get(TABLE_KEY.streamTime)).toBe(1_765_000_000_000);
    // the next one continues from it, control characters and all
    const next = (await snapshots.take({ flowId, nodeId, takenBy: "ann", file: "binary.jsonl" }))!;
    expect(next.partitions.map((p) => p.fromSnapshot?.id)).toEqual([r.snapshot.id, r.snapshot.id]);
    const [header, ...lines] = readFileSync(join(snapshotDir, next.snapshot.filePath!), "utf8").trimEnd().split("\n");
    const rows = lines.map((l) => JSON.parse(l) as { key: string; value: StoreValue; partition: number });
    expect(rows.some((x) => x.key === TABLE_KEY.streamTime)).toBe(false);
    expect(rows.find((x) => x.key === "bin\u0001key\u00ff")).toEqual({ key: "bin\u0001key\u00ff", value: { s: "a\u0000b" }, partition: 0 });
    expect(JSON.parse(header!).snapshot).toMatchObject({ rows: rows.length, tableKeys: { "1": { [TABLE_KEY.streamTime]: 1_765_000_000_000 } } });
    expect(next.snapshot.rowCount).toBe(rows.length);
  }, 60_000);
});

describe("table snapshots on running engines", () => {
  const brokers = testBrokers();
  const dataDir = mkdtempSync(join(tmpdir(), "mr-snapshot-engine-"));
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let engine: EngineProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase("snapshot-engine");
    // the spawned engines' environment: their own data directory, snapshots looked for every second
    Object.assign(process.env, { MILLRACE_DATA: dataDir, MILLRACE_SNAPSHOT_CHECK_SECONDS: "1" });
  }, 60_000);

  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("takes one on schedule and on demand (CLI), and a new engine without the table's state starts from the newest", async () => {
    const port = await freePort();
    engine = await spawnEngine({ port, databaseUrl: db.url, brokers });
    const id = uid("snapflow");
    const input = uid("customers");
    const kafka = createKafka({ clientId: uid("snapshot-engine"), brokers, logLevel: "nothing" });
    await kafka.ensureTopics([{ topic: input, partitions: 2 }]);
    // a changelog made before tombstones had a set lifetime: the deploy gives it one
    const changelog = changelogTopicName(id, "t");
    await kafka.ensureTopics([{ topic: changelog, partitions: 2, configs: { "cleanup.policy": "compact" } }]);
    const producer = kafka.producer();
    await producer.connect();
    const send = (from: number, to: number) => producer.send(input, range(from, to).map((n) => ({ key: `c${n % 40}`, value: JSON.stringify({ n }) })));
    await send(0, 400);
    await engine.api.flows.save.mutate({ document: flowDoc(id, [["in", "kafka-source", { topic: input, fromBeginning: true }], ["t", "table", { snapshotEvery: "1h" }]], [["in", "success", "t"]]) });
    await engine.api.deployments.deploy.mutate({ flowId: id });
    expect(await kafka.topicConfigs(changelog)).toMatchObject({ "cleanup.policy": "compact", "delete.retention.ms": String(TOMBSTONE_RETENTION_MS) });
    const latest = (min: number) => async () => {
      const s = await engine!.api.tables.scan.query({ flowId: id, nodeId: "t", limit: 100 });
      return s.rows.length === 40 && s.rows.every((r) => (r.value as { n: number }).n >= min) ? s.rows : undefined;
    };
    await waitFor(latest(360), 60_000, "every customer's latest value");

    // on schedule: the node had none, so one is due at once
    const scheduled = await waitFor(async () => (await engine!.api.tables.snapshots.query({ flowId: id, nodeId: "t" })).find((s) => s.takenBy === "schedule"), 30_000, "a scheduled snapshot");
    const target = { url: engine.url, token: engine.token };
    const cli = (...args: string[]) => runCliOk(args, target);
    const asked = JSON.parse((await cli("table", "snapshot", id, "t", "--json")).stdout) as { snapshot: { id: string; rowCount: number; offsets: Record<string, number>; takenBy: string } };
    expect(asked.snapshot).toMatchObject({ rowCount: 40, takenBy: "admin" });
    const toFile = JSON.parse((await cli("table", "snapshot", id, "t", "--file", "t.jsonl", "--json")).stdout) as { snapshot: { filePath: string } };
    expect(toFile.snapshot.filePath).toBe(join(id, "t", "t.jsonl"));
    expect(readFileSync(join(dataDir, "snapshots", toFile.snapshot.filePath), "utf8").trimEnd().split("\n")).toHaveLength(41);
    const outside = await runCli(["table", "snapshot", id, "t", "--file", "/tmp/t.jsonl"], target);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toMatch(/the snapshot file "\/tmp\/t\.jsonl" is outside node t's snapshot folder/);
    const listed = JSON.parse((await cli("table", "snapshots", id, "t", "--json")).stdout) as { id: string; target: string }[];
    expect(listed.map((s) => s.id)).toEqual([String(Number(asked.snapshot.id) + 1), asked.snapshot.id, scheduled.id]);
    expect((await cli("table", "snapshots", id, "t")).stdout).toMatch(/^ID +TAKEN AT +BY +WHERE +ROWS +BYTES +OFFSETS\n/);

    // kill -9, the state directory lost, more records meanwhile: the next engine starts from the newest Postgres snapshot
    await engine.kill9();
    rmSync(join(dataDir, "state", id), { recursive: true, force: true });
    await send(400, 480);
    await producer.disconnect();
    await kafka.close();
    engine = await spawnEngine({ port, databaseUrl: db.url, brokers });
    const rows = await waitFor(latest(440), 60_000, "every customer's value after the restart");
    for (const r of rows) expect((r.value as { n: number }).n % 40).toBe(Number(r.key.slice(1)));
    const restoredFrom = (p: number) => new RegExp(`table of partition ${p} restored from snapshot ${asked.snapshot.id} \\(\\d+ rows at changelog offset ${asked.snapshot.offsets[String(p)]}\\), then from [^:]+: \\d+ change\\(s\\), offsets ${asked.snapshot.offsets[String(p)]}…`);
    await waitFor(() => restoredFrom(0).test(engine!.output()) && restoredFrom(1).test(engine!.output()), 10_000, "the restore's log lines");
    await engine.api.deployments.stop.mutate({ flowId: id });
  }, 240_000);
});
