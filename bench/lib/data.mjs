// Topics, the B1 input data, end-offset polling.
import { log, sleep, sumHigh } from "./util.mjs";

export const PARTITIONS = 3; // the planner's default for edge topics; input and sink topics match

export async function createTopics(admin, names, partitions = PARTITIONS) {
  await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })), waitForLeaders: true });
}

/** The B1 input record i: amount is even for even i (the filter keeps exactly half). */
export function recordValue(i, ts) {
  const amount = (i * 7919) % 10000; // 7919 odd: parity of amount = parity of i
  const customer = `c-${String(i % 100000).padStart(5, "0")}`;
  return { id: i, ts, amount, customer, country: COUNTRIES[i % COUNTRIES.length], items: 1 + (i % 7), channel: "web", note: NOTE };
}

/** Record i as about 200 bytes of JSON. */
export function recordJson(i, ts) {
  const r = recordValue(i, ts);
  return `{"id":${r.id},"ts":${r.ts},"amount":${r.amount},"customer":"${r.customer}","country":"${r.country}","items":${r.items},"channel":"${r.channel}","note":"${r.note}"}`;
}

const COUNTRIES = ["DE", "FR", "NL", "PL", "SE", "IT", "ES", "AT"];
const NOTE = "x".repeat(80);

const jsonBytes = (i, ts) => Buffer.from(recordJson(i, ts));

export const expectedKept = (n) => Math.ceil(n / 2);

/**
 * Writes n records to `topic` with a kafkajs batch producer (several batches in flight);
 * `encode(i, ts)` gives record i's bytes (JSON unless told). With `keyOf(i)` record i has that key
 * and its partition is the key's (the Java client's hash, as Kafka Streams expects); else round robin.
 */
export async function preload(kafka, topic, n, encode = jsonBytes, keyOf = undefined) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = Date.now();
  const chunk = 6000;
  const inFlight = new Set();
  const ts = Date.now();
  try {
    for (let from = 0; from < n; from += chunk) {
      const to = Math.min(n, from + chunk);
      const byPart = Array.from({ length: PARTITIONS }, () => []);
      if (keyOf) for (let i = from; i < to; i++) byPart[0].push({ key: keyOf(i), value: encode(i, ts) });
      else for (let i = from; i < to; i++) byPart[i % PARTITIONS].push({ partition: i % PARTITIONS, value: encode(i, ts) });
      const p = producer.sendBatch({ acks: 1, topicMessages: [{ topic, messages: byPart.flat() }] });
      inFlight.add(p);
      p.finally(() => inFlight.delete(p));
      if (inFlight.size >= 4) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  const s = (Date.now() - started) / 1000;
  log(`preloaded ${n.toLocaleString()} records (~${encode(n - 1, ts).length} bytes each) into ${topic} in ${s.toFixed(1)} s`);
}

export async function endOffsetSum(admin, topic) {
  return sumHigh(await admin.fetchTopicOffsets(topic));
}

/**
 * Polls a topic's end offsets every `everyMs` until `done(sum, now)` says so. Returns
 * { sum, lastChangeAt, at } where lastChangeAt is the time the sum last moved.
 */
export async function waitForOffsets(admin, topic, { done, everyMs = 50, timeoutMs, onTick }) {
  const end = Date.now() + timeoutMs;
  let last = -1;
  let lastChangeAt = Date.now();
  for (;;) {
    const sum = await endOffsetSum(admin, topic);
    const now = Date.now();
    if (sum !== last) {
      last = sum;
      lastChangeAt = now;
    }
    if (await done(sum, now, lastChangeAt)) return { sum, lastChangeAt, at: now };
    if (onTick) await onTick(sum, now);
    if (now > end) throw new Error(`timed out waiting on ${topic}: end offsets sum ${sum}`);
    await sleep(everyMs);
  }
}

/** Counts the committed records of a topic (read_committed): for exactly-once sinks, where offsets include markers. */
export async function countRecords(kafka, topic, expected, timeoutMs = 120_000) {
  const consumer = kafka.consumer({ groupId: `bench-count-${topic}-${Date.now()}`, maxWaitTimeInMs: 200, maxBytesPerPartition: 4 << 20 });
  let n = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch: async ({ batch }) => void (n += batch.messages.length) });
    const end = Date.now() + timeoutMs;
    let lastN = -1;
    let stableSince = Date.now();
    while (Date.now() < end) {
      await sleep(250);
      if (n !== lastN) {
        lastN = n;
        stableSince = Date.now();
      } else if (n >= expected && Date.now() - stableSince > 1500) break;
      else if (n < expected && Date.now() - stableSince > 10_000) break;
    }
    return n;
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}
