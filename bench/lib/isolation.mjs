// B5 (isolation): a healthy flow alone, then the same flow beside a poison flow whose records
// trigger a catastrophic regular expression and a memory bomb; the healthy flow should keep
// ≥ 90 % of the throughput it had alone, and the poison records should end on failure.
import { createTopics, expectedKept, preload, waitForOffsets } from "./data.mjs";
import { pipelineDoc } from "./millrace.mjs";
import { log, round, sleep } from "./util.mjs";

/** Catastrophic backtracking: doubles its time with every "a". */
export const REGEX_BOMB = '$contains(value.s, /^(a+)+$/) ? "matched" : "no match"';
/** About 300 MB of string if nothing stops it. */
export const MEMORY_BOMB = '$length($pad("", value.n, "x") & $pad("", value.n, "y") & $pad("", value.n, "z"))';

function poisonDoc({ id, input, output }) {
  const node = (nid, type, config, x, y = 0) => ({ id: nid, type, typeVersion: 1, name: nid, config, position: { x, y } });
  return {
    schemaVersion: 1,
    id,
    name: id,
    description: "B5: records that trigger a catastrophic regex and a memory bomb",
    nodes: [
      node("src", "kafka-source", { topic: input, fromBeginning: true }, 0),
      node("regex", "map", { expression: `{ "r": ${REGEX_BOMB} }` }, 260, -80),
      node("bomb", "map", { expression: `{ "n": ${MEMORY_BOMB} }` }, 260, 80),
      node("out", "kafka-sink", { topic: output }, 520),
    ],
    edges: [
      { id: "src-regex", from: { node: "src", port: "success" }, to: { node: "regex" } },
      { id: "src-bomb", from: { node: "src", port: "success" }, to: { node: "bomb" } },
      { id: "regex-out", from: { node: "regex", port: "success" }, to: { node: "out" } },
      { id: "bomb-out", from: { node: "bomb", port: "success" }, to: { node: "out" } },
    ],
    parameters: [],
  };
}

async function preloadPoison(kafka, topic, n) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const messages = Array.from({ length: n }, (_, i) => ({
      partition: i % 3,
      // 40 "a"s then "!": minutes of backtracking; n = 1e8: three 100 MB strings
      value: JSON.stringify({ i, s: `${"a".repeat(40)}!`, n: 1e8 }),
    }));
    await producer.send({ topic, acks: 1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Deploys the healthy pipeline on `input` and returns records/s until the sink holds every kept record. */
async function timeHealthy({ api, admin, engine, input, records, flowId, output }) {
  await createTopics(admin, [output]);
  await api.mutate("flows.save", { document: pipelineDoc({ id: flowId, input, output }) });
  const t0 = Date.now();
  const status = await api.mutate("deployments.deploy", { flowId, exactlyOnce: false });
  if (status?.status !== "running") throw new Error(`B5: deploy of ${flowId} answered ${status?.status}: ${status?.error ?? ""}`);
  try {
    const expected = expectedKept(records);
    const res = await waitForOffsets(admin, output, {
      timeoutMs: Math.max(180_000, records * 2),
      done: async (sum) => {
        if (engine.child.exitCode !== null || engine.child.signalCode !== null) throw new Error(`B5: the engine died: ${engine.tail().slice(-1500)}`);
        return sum >= expected;
      },
    });
    const seconds = (res.at - t0) / 1000;
    return { rps: records / seconds, seconds };
  } finally {
    await api.mutate("deployments.stop", { flowId }).catch((e) => log(`B5 stop ${flowId}: ${e.message}`));
  }
}

/** The poison flow's figures from the engine's stats (records in and failed per node). */
async function poisonFigures(api, flowId) {
  const s = await api.query("stats.snapshot", { flowId }).catch(() => undefined);
  const node = (id) => s?.nodes?.[id];
  const pick = (n) => (n ? { in: n.in ?? 0, failed: n.failed ?? n.errors ?? 0 } : undefined);
  return { regex: pick(node("regex")), bomb: pick(node("bomb")) };
}

export async function runIsolation({ api, kafka, admin, engine, runId, records, poisonRecords = 60 }) {
  const input = `bench-b5-in-${runId}`;
  const poisonIn = `bench-b5-poison-${runId}`;
  const poisonOut = `bench-b5-poison-out-${runId}`;
  await createTopics(admin, [input, poisonIn, poisonOut]);
  await preload(kafka, input, records);
  await preloadPoison(kafka, poisonIn, poisonRecords);

  // warm-up (JIT, consumer groups), then alone, beside the poison flow, alone again: the machine's
  // load drifts, so the ratio uses the mean of both runs alone
  await timeHealthy({ api, admin, engine, input, records, flowId: `bench-b5-warm-${runId}`, output: `bench-b5-warm-out-${runId}` });
  const alone1 = await timeHealthy({ api, admin, engine, input, records, flowId: `bench-b5-alone1-${runId}`, output: `bench-b5-alone1-out-${runId}` });
  log(`B5 healthy flow alone: ${Math.round(alone1.rps).toLocaleString()} records/s`);

  const poisonId = `bench-b5-poison-${runId}`;
  await api.mutate("flows.save", { document: poisonDoc({ id: poisonId, input: poisonIn, output: poisonOut }) });
  const ps = await api.mutate("deployments.deploy", { flowId: poisonId, exactlyOnce: false });
  if (ps?.status !== "running") throw new Error(`B5: deploy of the poison flow answered ${ps?.status}: ${ps?.error ?? ""}`);
  let beside;
  let poison;
  try {
    // let the poison reach the processors before the healthy flow starts
    await sleep(2000);
    beside = await timeHealthy({ api, admin, engine, input, records, flowId: `bench-b5-beside-${runId}`, output: `bench-b5-beside-out-${runId}` });
    log(`B5 healthy flow beside the poison flow: ${Math.round(beside.rps).toLocaleString()} records/s`);
    poison = await poisonFigures(api, poisonId);
  } finally {
    await api.mutate("deployments.stop", { flowId: poisonId }).catch(() => {});
  }
  const alone2 = await timeHealthy({ api, admin, engine, input, records, flowId: `bench-b5-alone2-${runId}`, output: `bench-b5-alone2-out-${runId}` });
  const aloneRps = (alone1.rps + alone2.rps) / 2;
  const engineAlive = engine.child.exitCode === null && engine.child.signalCode === null;
  const r = {
    alone_rps: round(aloneRps),
    beside_poison_rps: round(beside.rps),
    ratio: round(beside.rps / aloneRps, 2),
    runs: { alone1: round(alone1.rps), alone2: round(alone2.rps), beside: round(beside.rps) },
    poison_records: poisonRecords,
    poison,
    engine_alive: engineAlive,
  };
  log(`B5: beside/alone = ${r.ratio} (goal ≥ 0.9); poison flow stats ${JSON.stringify(poison)}; engine ${engineAlive ? "alive" : "DIED"}`);
  return r;
}
