// The fast RecordBatch decoder against kafkajs's own: the same batches and records (field for field,
// key order included) and the same errors, over random fetch payloads, partial tails and corruption.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { bytes, headers, prng, str, type Rng } from "../../../test-support/random-messages.js";
import "../client.js";
import { fetchDecoderStats, tryDecodeRecordBatch } from "./fetch-decoder.js";
import { installKafkajsAdaptations, originalRecordBatchDecoder, recordBatchDecoder } from "./install.js";

const require = createRequire(import.meta.url);
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js") as { RecordBatch: (a: object) => Promise<{ buffer: Buffer }> };
const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as (a: object) => unknown;
const Decoder = require("kafkajs/src/protocol/decoder.js") as new (b: Buffer) => { buffer: Buffer; offset: number; canReadBytes(n: number): boolean };

type BatchDecoder = (d: InstanceType<typeof Decoder>) => Promise<unknown>;

/** header objects with the keys kafkajs's header fold treats specially */
function oddHeaders(r: Rng): object {
  const h = JSON.parse('{"__proto__": "p", "toString": "t", "constructor": "c", "null": "n"}') as Record<string, unknown>;
  h.rep = ["a", Buffer.from("b"), "c"];
  return r.next() < 0.5 ? h : { ...(headers(r) as object), ...h };
}

/** one record batch as kafkajs writes it (firstOffset + length + batch), with random attribute bits */
async function batch(r: Rng): Promise<Buffer> {
  const n = r.next() < 0.1 ? 0 : 1 + r.int(r.next() < 0.1 ? 200 : 20);
  const bigTs = r.next() < 0.05; // deltas beyond what the fast path takes as Numbers
  const records = Array.from({ length: n }, (_, i) =>
    Record({
      offsetDelta: r.next() < 0.9 ? i : r.int(2 ** 31) - 2 ** 30,
      timestampDelta: bigTs ? 2 ** 50 + r.int(1000) : r.next() < 0.5 ? 0 : r.int(2_000_000) - 1_000_000,
      key: r.next() < 0.3 ? null : r.next() < 0.5 ? str(r, 30) : bytes(r, 30),
      value: r.next() < 0.1 ? null : r.next() < 0.01 ? bytes(r, 100_000) : r.next() < 0.5 ? str(r, 300) : bytes(r, 300),
      headers: r.next() < 0.1 ? oddHeaders(r) : (headers(r) ?? {}),
    }),
  );
  const base = r.next() < 0.1 ? 2 ** 53 - 10 : r.pick([0, r.int(1e9)]); // near 2^53: offsets beyond it are BigInt-only
  const ts = r.pick([-1, 1_795_000_000_000, r.int(2 ** 40)]);
  const encoded = (
    await RecordBatch({
      compression: r.next() < 0.1 ? 1 : 0, // GZIP: kafkajs decodes it
      firstOffset: String(base),
      firstTimestamp: ts,
      maxTimestamp: ts + r.int(1000),
      partitionLeaderEpoch: r.int(100),
      lastOffsetDelta: Math.max(0, n - 1),
      transactional: r.next() < 0.3,
      producerId: r.pick([-1, r.int(1e6), "9007199254740993"]),
      producerEpoch: r.int(100),
      firstSequence: r.int(1e6),
      records,
    })
  ).buffer;
  // control batch and LOG_APPEND_TIME bits (attributes: int16 at 8 + 4 + 4 + 1 + 4 = 21)
  let attributes = encoded.readInt16BE(21);
  if (r.next() < 0.1) attributes |= 0x20;
  if (r.next() < 0.1) attributes |= 0x08;
  encoded.writeInt16BE(attributes, 21);
  return encoded;
}

/** a fetch payload: some batches, maybe a partial one at the end, maybe corrupted bytes */
async function payload(r: Rng, corrupt: boolean): Promise<Buffer> {
  const parts = await Promise.all(Array.from({ length: 1 + r.int(4) }, () => batch(r)));
  let buf = Buffer.concat(parts);
  if (r.next() < 0.3) {
    const extra = await batch(r);
    buf = Buffer.concat([buf, extra.subarray(0, 12 + r.int(extra.length - 12))]);
  }
  if (corrupt) for (let i = r.int(4); i >= 0; i--) buf[r.int(buf.length)] = r.int(256);
  return buf;
}

/** decodeMessages' loop (fetch/v4/decodeMessages.js): every batch, until a partial one */
async function decodeAll(buf: Buffer, decodeBatch: BatchDecoder) {
  const d = new Decoder(buf);
  const batches: unknown[] = [];
  try {
    while (d.canReadBytes(49)) batches.push(await decodeBatch(d));
  } catch (e) {
    const err = e as Error;
    if (err.name !== "KafkaJSPartialMessageError") return { batches, offset: d.offset, error: `${err.name}: ${err.message}` };
  }
  return { batches, offset: d.offset };
}

/** the same structure and key order, and records of a batch sharing one batchContext */
function shape(x: { batches: unknown[] }) {
  const batches = x.batches as { records: { batchContext: unknown }[] }[];
  return {
    json: JSON.stringify(x, function (this: Record<string, unknown>, k: string, v: unknown) {
      const raw = this[k];
      return Buffer.isBuffer(raw) ? `hex:${raw.toString("hex")}` : typeof v === "bigint" ? `${v}n` : v;
    }),
    shared: batches.map((b) => b.records.every((rec) => rec.batchContext === b.records[0]!.batchContext)),
  };
}

describe("fast RecordBatch decoder", () => {
  it("is installed in kafkajs's fetch path", () => {
    expect(installKafkajsAdaptations().find((a) => a.name === "fetch-decoder")).toMatchObject({ active: true });
    expect(require("kafkajs/src/protocol/recordBatch/v0/decoder.js")).toBe(recordBatchDecoder);
  });

  it("decodes 200 random fetch payloads exactly as kafkajs does", async () => {
    const before = { ...fetchDecoderStats };
    for (let seed = 1; seed <= 200; seed++) {
      const buf = await payload(prng(seed), false);
      const fast = await decodeAll(buf, recordBatchDecoder as BatchDecoder);
      const theirs = await decodeAll(buf, originalRecordBatchDecoder as BatchDecoder);
      expect(fast.error, `seed ${seed}`).toBeUndefined();
      expect(shape(fast), `seed ${seed}`).toEqual(shape(theirs));
    }
    // most batches take the fast path (the others: GZIP, partial tails, offsets/deltas beyond 2^53)
    const fast = fetchDecoderStats.fast - before.fast;
    const declined = fetchDecoderStats.declined - before.declined;
    expect(fast).toBeGreaterThan(2 * declined);
    expect(declined).toBeGreaterThan(0);
  }, 60_000);

  it("accepts from corrupted payloads only batches that kafkajs decodes to the same objects", async () => {
    // (what the fast path declines goes to kafkajs's decoder itself: on some corruptions, e.g. a
    // header count of 2^30 in a record, kafkajs loops until it runs out of memory, so those are not run here)
    let accepted = 0;
    for (let seed = 1000; seed < 1200; seed++) {
      const buf = await payload(prng(seed), true);
      const ours = new Decoder(buf);
      const theirs = new Decoder(buf);
      for (;;) {
        if (!ours.canReadBytes(49)) break;
        const batch = tryDecodeRecordBatch(ours);
        if (!batch) break;
        accepted++;
        const expected = await originalRecordBatchDecoder(theirs);
        expect(shape({ batches: [batch] }), `seed ${seed}`).toEqual(shape({ batches: [expected] }));
        expect(ours.offset).toBe(theirs.offset);
      }
    }
    expect(accepted).toBeGreaterThan(100);
  }, 60_000);
});
