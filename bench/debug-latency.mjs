// Per-hop latency of the B2 flow (`node bench/debug-latency.mjs`; env RATE=5000 SECONDS=10, PROF=dir for a
// CPU profile, KEEP=1 keeps the temp dir with engine.log, FLAGS="..." node flags for the engine): its own
// broker, Postgres and engine; feeds at RATE/s after a 5 s trickle, then reads every topic of the flow and
// prints, per hop, percentiles of (record timestamp in the next topic − in the previous one), the worst
// end-to-end latency per second of feed, and the engine's CPU during the feed.
import { startBroker, startPg, startEngineProcess, makeTempDir, cleanup } from "./lib/env.mjs";
import { createTopics, recordJson } from "./lib/data.mjs";
import { pipelineDoc } from "./lib/millrace.mjs";
import { trpcClient } from "./lib/trpc.mjs";
import { sleep, percentile, log, procCpuSeconds } from "./lib/util.mjs";
import { mkdirSync } from "node:fs";
import { engineNodeFlags } from "../scripts/engine-node-flags.mjs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const RATE = Number(process.env.RATE ?? 5000), SECONDS = Number(process.env.SECONDS ?? 10);
const tmp = makeTempDir(!!process.env.KEEP);
try {
  const [broker, pg] = await Promise.all([startBroker(tmp), startPg(tmp)]);
  const engine = await startEngineProcess({ root, dir: tmp, brokers: broker.brokers, databaseUrl: pg.url, cpuProfDir: process.env.PROF ? (mkdirSync(process.env.PROF, { recursive: true }), process.env.PROF) : undefined, nodeFlags: process.env.FLAGS !== undefined ? process.env.FLAGS.split(" ").filter(Boolean) : engineNodeFlags() });
  const api = trpcClient(engine.url, engine.token);
  const { kafka, admin } = broker;
  const input = "lat-in", output = "lat-out", flowId = "lat";
  await createTopics(admin, [input, output]);
  await api.mutate("flows.save", { document: pipelineDoc({ id: flowId, input, output, filter: "value.ts > 0" }) });
  await api.mutate("deployments.deploy", { flowId, exactlyOnce: false });
  const producer = kafka.producer();
  await producer.connect();
  let seq = 0;
  const send = async (n) => {
    const ts = Date.now();
    const messages = [];
    for (let k = 0; k < n; k++, seq++) messages.push({ partition: seq % 3, value: recordJson(seq, ts) });
    await producer.send({ topic: input, acks: 1, messages });
  };
  for (let i = 0; i < 100; i++) { await send(10); await sleep(50); } // warm-up 5 s
  const cpu0 = procCpuSeconds(engine.pid);
  const start = performance.now();
  let sent = 0;
  for (;;) {
    const el = (performance.now() - start) / 1000;
    if (el >= SECONDS) break;
    const due = Math.floor(el * RATE) - sent;
    if (due > 0) { await send(due); sent += due; } else await sleep(1);
  }
  log(`engine CPU during the feed: ${((procCpuSeconds(engine.pid) - cpu0) / SECONDS * 100).toFixed(0)} % of one core`);
  await sleep(5000);
  const topics = [input, ...(await admin.listTopics()).filter((t) => t.startsWith(`mr.${flowId}.`) && !t.includes("replay")).sort(), output];
  log(`topics: ${topics.join(", ")}`);
  const order = ["lat-in", "mr.lat.src.success", "mr.lat.keep.success", "mr.lat.shape.success", "lat-out"].filter((t) => topics.includes(t));
  const ts = new Map(); // topic -> Map(id -> ts)
  for (const t of order) {
    const m = new Map();
    const c = kafka.consumer({ groupId: `lat-read-${t}-${Date.now()}` });
    await c.connect();
    await c.subscribe({ topics: [t], fromBeginning: true });
    let last = Date.now();
    await c.run({ eachBatch: async ({ batch }) => { last = Date.now(); for (const x of batch.messages) { const v = JSON.parse(x.value.toString()); m.set(v.id, Number(x.timestamp)); } } });
    while (Date.now() - last < 3000) await sleep(200);
    await c.disconnect();
    ts.set(t, m);
    log(`${t}: ${m.size} records`);
  }
  for (let i = 1; i < order.length; i++) {
    const a = ts.get(order[i - 1]), b = ts.get(order[i]);
    const d = [];
    for (const [id, t] of b) if (a.has(id) && id >= 1000) d.push(t - a.get(id));
    const s = Float64Array.from(d).sort();
    log(`${order[i - 1]} → ${order[i]}: n ${s.length} p50 ${percentile(s, 50)} p95 ${percentile(s, 95)} p99 ${percentile(s, 99)} max ${s[s.length - 1]}`);
  }
  // per-second profile of end-to-end
  const a = ts.get(order[0]), b = ts.get(order.at(-1));
  const e2e = [];
  for (const [id, t] of b) if (a.has(id)) e2e.push([a.get(id), t - a.get(id)]);
  e2e.sort((x, y) => x[0] - y[0]);
  const t0 = e2e[0]?.[0] ?? 0;
  const bySec = new Map();
  for (const [t, d] of e2e) { const k = Math.floor((t - t0) / 1000); bySec.set(k, Math.max(bySec.get(k) ?? 0, d)); }
  log(`max e2e per second: ${[...bySec.values()].join(" ")}`);
  await producer.disconnect();
} finally {
  await cleanup();
}
