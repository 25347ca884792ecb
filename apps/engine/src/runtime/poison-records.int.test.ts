import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort, testBrokers } from "@millrace/testkit";
import { flowDoc, readTopic, spawnEngine, uid, type EngineProcess } from "../../test-support/index.js";

const HEALTHY = 3000;
const POISON = 6;
const REGEX = '$contains("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a+)+$/)';
const MEMORY_BOMB = '$length($join([$pad("", 1e8, "x"), $pad("", 1e8, "x"), $pad("", 1e8, "x")]))';
const RECURSION = "($f := function($n){ $f($n + 1) }; $f(0))";

/**
 * Records whose expression or code never ends, or fills the heap, beside a healthy flow on the
 * same engine: each poison record goes to `failure` with its reason, the healthy flow delivers
 * every record, and the engine lives on.
 */
describe("poison records fail alone", () => {
  const brokers = testBrokers();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let engine: EngineProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase("poison");
  });
  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  });

  it("a catastrophic regex, a memory bomb, a recursive function and an endless loop fail their records; the healthy flow delivers all", async () => {
    engine = await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers });
    const healthyId = uid("healthy");
    const healthySink = uid("healthy-out");
    const healthy = flowDoc(
      healthyId,
      [
        ["gen", "generate", { count: HEALTHY, ratePerSec: 1000, template: '{ "i": $i }' }],
        // not a simple expression: evaluated in the user-code pool, next to the poison
        ["label", "map", { expression: '{ "i": value.i, "label": $join(["n", $string(value.i)], "-") }' }],
        ["out", "kafka-sink", { topic: healthySink }],
      ],
      [["gen", "success", "label"], ["label", "success", "out"]],
    );
    const poisonId = uid("poison");
    const failures = uid("poison-failures");
    const passed = uid("poison-passed");
    const poison = flowDoc(
      poisonId,
      [
        ["gen", "generate", { count: POISON, ratePerSec: 2, template: '{ "i": $i }' }],
        ["bad", "map", { expression: `value.i % 3 = 0 ? ${REGEX} : value.i % 3 = 1 ? ${MEMORY_BOMB} : ${RECURSION}` }],
        ["code", "javascript", { code: "if (value.i % 2 === 0) { while (true) {} } if (value.i === 3) { let s = 'x'; while (true) s += s; } return value;", timeLimitMs: 500, memoryLimitMb: 32 }],
        ["failed", "kafka-sink", { topic: failures }],
        ["ok", "kafka-sink", { topic: passed }],
      ],
      [
        ["gen", "success", "bad"],
        ["gen", "success", "code"],
        ["bad", "failure", "failed"],
        ["code", "failure", "failed"],
        ["bad", "success", "ok"],
        ["code", "success", "ok"],
      ],
    );
    for (const doc of [healthy, poison]) await engine.api.flows.save.mutate({ document: doc });
    await engine.api.deployments.deploy.mutate({ flowId: poisonId, exactlyOnce: false });
    await engine.api.deployments.deploy.mutate({ flowId: healthyId, exactlyOnce: false });

    const delivered = await readTopic(brokers, healthySink, (rs) => new Set(rs.map((r) => r.value.i)).size >= HEALTHY, { timeoutMs: 90_000, settleMs: 500 }).catch((e: unknown) => {
      throw new Error(`${String(e)}\nengine output:\n${engine!.output().slice(-6000)}`);
    });
    expect(new Set(delivered.map((r) => r.value.i)).size).toBe(HEALTHY);
    expect(delivered.every((r) => r.value.label === `n-${r.value.i}`)).toBe(true);

    // map: all six fail; javascript: the three even ones loop, record 3 doubles a string
    const failed = await readTopic(brokers, failures, (rs) => rs.length >= POISON + 4, { timeoutMs: 90_000, settleMs: 1000 });
    const all = failed.map((r) => `${r.headers["mr.error.node"]} ${r.value.i}: ${r.headers["mr.error"]}`).join("; ");
    const reasonOf = (node: string, i: number) => expect(failed.find((r) => r.headers["mr.error.node"] === node && r.value.i === i)?.headers["mr.error"], all);
    // On a loaded machine the node's penalties after ended workers can use up the batch's time
    // limit before a record's turn: it then fails as not run, which is a failure of its own too.
    const NOT_RUN = "not run: the batch used its time limit";
    for (const i of [0, 3]) reasonOf("bad", i).toMatch(new RegExp(`^(expression timed out after 1000 ms|${NOT_RUN})`));
    // building 300 MB of string takes about a second: it ends on whichever limit it reaches first
    for (const i of [1, 4]) reasonOf("bad", i).toMatch(new RegExp(`^(out of memory \\(limit 64 MB\\)|expression timed out after 1000 ms|${NOT_RUN})`));
    for (const i of [2, 5]) reasonOf("bad", i).toMatch(new RegExp(`^(expression (failed|timed out)|${NOT_RUN})`));
    for (const i of [0, 2, 4]) reasonOf("code", i).toMatch(/used more than 500 ms/);
    reasonOf("code", 3).toMatch(/out of memory|string too long/);
    const ok = await readTopic(brokers, passed, (rs) => rs.length >= 2, { timeoutMs: 30_000, settleMs: 500 });
    expect(ok.map((r) => r.value.i).sort()).toEqual([1, 5]);

    // the engine lived through it all and still serves; the designer sees how late its main thread ran
    expect(engine.child.exitCode).toBeNull();
    const stats = await engine.api.stats.snapshot.query({ flowId: healthyId });
    expect(stats.engineLoad).toHaveLength(1);
    expect(stats.engineLoad[0]!.eventLoopP99Ms).toEqual(expect.any(Number));
    expect(stats.engineLoad[0]!.eventLoopMaxMs).toEqual(expect.any(Number));
    expect((await engine.api.deployments.status.query({ flowId: healthyId })).status).toBe("running");
    await engine.api.deployments.stop.mutate({ flowId: poisonId });
    await engine.api.deployments.stop.mutate({ flowId: healthyId });
  });
});
