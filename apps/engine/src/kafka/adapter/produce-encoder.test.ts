// The fast Produce encoder against kafkajs's own, byte for byte, over many random requests.
import { createRequire } from "node:module";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { bytes, message, NOW, prng, str, type Rng } from "../../../test-support/random-messages.js";
import "../client.js";
import { crc32c } from "./crc32c.js";
import { installKafkajsAdaptations } from "./install.js";
import { encodeProduceRequest, type ProduceArgs, type ProduceMessage } from "./produce-encoder.js";
import { createRequest, isFastProduceRequest, originalCreateRequest, originalProduceRequestV3, produceRequestV3 } from "./produce-request.js";

const require = createRequire(import.meta.url);
const kafkajsCrc32C = require("kafkajs/src/protocol/recordBatch/crc32C/index.js") as (b: Buffer) => number;
const Long = require("kafkajs/src/utils/long.js") as { fromValue(v: unknown): unknown };

function request(r: Rng): ProduceArgs {
  const kind = r.int(4); // plain, idempotent, transactional, odd defaults
  const args: ProduceArgs = {
    acks: r.pick([-1, 0, 1]),
    timeout: r.int(60_000),
    compression: r.pick([undefined, 0]),
    topicData: Array.from({ length: 1 + r.int(3) }, () => ({
      topic: str(r, 40) || "t",
      partitions: Array.from({ length: 1 + r.int(4) }, (_, p) => {
        const tsMode = r.int(5);
        const n = r.next() < 0.05 ? 300 + r.int(300) : r.int(25);
        return {
          partition: p * 3 + r.int(3),
          ...(kind === 0 ? {} : { firstSequence: r.int(2 ** 31) }),
          messages: Array.from({ length: n }, () => message(r, tsMode)),
        };
      }),
    })),
  };
  if (kind >= 1) {
    args.producerId = r.pick([() => r.int(2 ** 31), () => String(2 ** 40 + r.int(1e6)), () => Long.fromValue(BigInt(r.int(1e9)))])();
    args.producerEpoch = r.int(32_768);
  }
  if (kind === 2) args.transactionalId = str(r, 30) || "tx";
  if (kind === 3) args.transactionalId = r.pick([null, undefined, ""]);
  return args;
}

async function kafkajsBytes(args: ProduceArgs): Promise<Buffer> {
  return (await originalProduceRequestV3(args).encode()).buffer;
}

beforeEach(() => {
  vi.spyOn(Date, "now").mockReturnValue(NOW); // kafkajs stamps each batch with Date.now()
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("CRC-32C", () => {
  it("equals kafkajs's over random buffers and ranges", () => {
    const r = prng(7);
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283); // the standard check value
    for (let i = 0; i < 2000; i++) {
      const b = bytes(r, i < 1000 ? 70 : 5000);
      const start = r.int(b.length + 1);
      const end = start + r.int(b.length - start + 1);
      expect(crc32c(b, start, end)).toBe(kafkajsCrc32C(b.subarray(start, end)));
    }
  });
});

describe("fast Produce encoder", () => {
  it("writes the same bytes as kafkajs for 300 random requests", async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const args = request(prng(seed));
      const fast = encodeProduceRequest(args);
      if (!fast) throw new Error(`seed ${seed}: the fast encoder declined a supported request`);
      const expected = await kafkajsBytes(args);
      if (!fast.equals(expected)) expect({ seed, fast: fast.toString("hex") }).toEqual({ seed, fast: expected.toString("hex") });
    }
  }, 120_000);

  it("writes the same framed request (size, api key/version, correlation id, client id) as kafkajs", async () => {
    for (let seed = 1000; seed < 1100; seed++) {
      const r = prng(seed);
      const args = request(r);
      const correlationId = r.int(2 ** 31);
      const clientId = r.pick([null, "millrace", str(r, 30)]);
      const fast = await createRequest({ correlationId, clientId, request: Object.assign(produceRequestV3(args), { apiVersion: 3 + r.int(5) }) });
      const version = fast.buf.readInt16BE(6);
      const expected = await originalCreateRequest({ correlationId, clientId, request: Object.assign(originalProduceRequestV3(args), { apiVersion: version }) });
      expect(fast.buffer.equals(expected.buffer), `seed ${seed}`).toBe(true);
    }
  });

  it("leaves compressed batches and values it does not handle to kafkajs (same bytes, same errors)", async () => {
    const base = (messages: ProduceMessage[], extra: Partial<ProduceArgs> = {}): ProduceArgs => ({
      acks: -1,
      timeout: 30_000,
      topicData: [{ topic: "t", partitions: [{ partition: 0, messages }] }],
      ...extra,
    });
    const declined: ProduceArgs[] = [
      base([{ value: "x".repeat(500) }, { value: "y" }], { compression: 1 }), // GZIP
      base([{ value: new Uint8Array([1, 2, 3]) }]), // not a Buffer: kafkajs writes String(value)
      base([{ value: "v", timestamp: 12.5 }]), // not an int64
    ];
    for (const args of declined) {
      expect(encodeProduceRequest(args)).toBeNull();
      const ours = await produceRequestV3(args)
        .encode()
        .then((e) => e.buffer, (e: Error) => e.message);
      const theirs = await kafkajsBytes(args).catch((e: Error) => e.message);
      expect(ours).toEqual(theirs);
    }
    // header values kafkajs rejects: still rejected, with kafkajs's error
    const bad = base([{ value: "v", headers: { a: null } }]);
    expect(encodeProduceRequest(bad)).toBeNull();
    const err = await kafkajsBytes(bad).catch((e: Error) => e.message);
    await expect(produceRequestV3(bad).encode()).rejects.toThrow(err as string);
  });
});

describe("kafkajs patch", () => {
  it("is installed: the producer's Produce requests (v3–v7) and their framing use the fast encoder", async () => {
    expect(installKafkajsAdaptations().find((a) => a.name === "produce-encoder")).toMatchObject({ active: true });
    expect(require("kafkajs/src/protocol/requests/produce/v3/request.js")).toBe(produceRequestV3);
    expect(require("kafkajs/src/protocol/request.js")).toBe(createRequest);
    const produce = require("kafkajs/src/protocol/requests/produce/index.js") as {
      protocol: (a: { version: number }) => (args: ProduceArgs) => { request: Parameters<typeof isFastProduceRequest>[0] & { apiVersion: number; encode(): Promise<{ buffer: Buffer }> } };
    };
    const args = request(prng(42));
    for (const version of [3, 4, 5, 6, 7]) {
      const { request: req } = produce.protocol({ version })(args);
      expect(req.apiVersion).toBe(version);
      expect(isFastProduceRequest(req)).toBe(true);
      expect((await req.encode()).buffer.equals(await kafkajsBytes(args))).toBe(true);
    }
  });
});
