// Runtime replacements of kafkajs internals that are hot in the engine's produce path. Must be
// evaluated before kafkajs is first loaded (main.ts and client.ts import it first): kafkajs's
// sendMessages.js captures `require("./groupMessagesPerPartition")` when it is loaded.
import { createRequire } from "node:module";
import { fastBatchClass } from "./consumer-batch.js";
import { fastRecordBatchDecoder, type KafkajsDecoder } from "./fetch-decoder.js";
import { encodeProduceRequest, type ProduceArgs } from "./produce-encoder.js";

const require = createRequire(import.meta.url);

interface GroupArgs {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;
}

/**
 * kafkajs 2.2.4's groupMessagesPerPartition copies the partition's whole list for every message
 * (`[...current, message]` inside a reduce): quadratic in the batch size, ~6 % of the engine's
 * CPU in the B2 profile. Same result (an object of partition → messages in order), linear.
 */
export function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: GroupArgs): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = result[partition];
    if (list) list.push(message);
    else result[partition] = [message];
  }
  return result;
}

const groupPath = require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js");
require(groupPath);

/** true when kafkajs's producer uses the linear grouping (false: kafkajs was loaded before this module) */
export const kafkajsPatched = replaceExport(groupPath, ["kafkajs/src/producer/sendMessages.js"], groupMessagesPerPartition);

// ---- Produce request encoding ----

interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}
interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse?: () => boolean;
  encode: () => Promise<KafkajsEncoder>;
  [FRAMED]?: (prefix: number) => Buffer | null;
}
type CreateRequest = (a: { correlationId: number; clientId: string | null; request: KafkajsRequest }) => Promise<KafkajsEncoder>;

/** A request whose body can be written after `prefix` reserved bytes of one Buffer (null: use encode()) */
const FRAMED = Symbol("millrace.kafka.encodeFramed");

const Encoder = require("kafkajs/src/protocol/encoder.js") as { prototype: object };

/** a kafkajs Encoder over `buf` (what request encoders return and connection.js reads `.buffer` of) */
function asEncoder(buf: Buffer): KafkajsEncoder {
  const e = Object.create(Encoder.prototype) as KafkajsEncoder;
  e.buf = buf;
  e.offset = buf.length;
  return e;
}

const produceV3Path = require.resolve("kafkajs/src/protocol/requests/produce/v3/request.js");
const createRequestPath = require.resolve("kafkajs/src/protocol/request.js");

/** kafkajs's own Produce v3 request builder and request framing (for tests and the fallback) */
export const originalProduceRequestV3 = require(produceV3Path) as (args: ProduceArgs) => KafkajsRequest;
export const originalCreateRequest = require(createRequestPath) as CreateRequest;

/**
 * kafkajs's Produce v3 request (v4–v7 reuse it), with the body written by ./produce-encoder.ts:
 * same bytes, a fraction of the CPU and garbage. Falls back to kafkajs's encoder for what the fast
 * encoder does not handle (compression, unusual value types).
 */
export function produceRequestV3(args: ProduceArgs): KafkajsRequest {
  const request = originalProduceRequestV3(args);
  const encode = request.encode;
  request.encode = async () => {
    const buf = encodeProduceRequest(args, 0);
    return buf ? asEncoder(buf) : encode();
  };
  request[FRAMED] = (prefix) => encodeProduceRequest(args, prefix);
  return request;
}

/** true for a request built by produceRequestV3 (its body is written by the fast encoder when it can be) */
export function isFastProduceRequest(request: object): boolean {
  return typeof (request as KafkajsRequest)[FRAMED] === "function";
}

/**
 * kafkajs's protocol/request.js (size, apiKey, apiVersion, correlationId, clientId, body): for a
 * request that can write its body behind a reserved prefix (Produce), the header goes in front of
 * it in the same Buffer; kafkajs copied the whole body twice more through growing Encoders.
 * Other requests use kafkajs's own framing.
 */
export const createRequest: CreateRequest = async (args) => {
  const { correlationId, clientId, request } = args;
  const framed = request[FRAMED];
  if (framed && (clientId === null || clientId === undefined || typeof clientId === "string")) {
    const idLen = typeof clientId === "string" ? Buffer.byteLength(clientId, "utf8") : 0;
    const head = 4 + 2 + 2 + 4 + 2 + idLen;
    const buf = framed(head);
    if (buf) {
      let off = buf.writeInt32BE(buf.length - 4, 0);
      off = buf.writeInt16BE(request.apiKey, off);
      off = buf.writeInt16BE(request.apiVersion, off);
      off = buf.writeInt32BE(correlationId, off);
      off = buf.writeInt16BE(typeof clientId === "string" ? idLen : -1, off);
      if (typeof clientId === "string") buf.write(clientId, off, idLen, "utf8");
      return asEncoder(buf);
    }
  }
  return originalCreateRequest(args);
};

/** Replaces the export of an already loaded kafkajs module, unless one of `users` (which capture it at load) is loaded. */
function replaceExport(path: string, users: string[], replacement: unknown): boolean {
  const mod = require.cache[path];
  if (!mod) return false;
  if (mod.exports === replacement) return true;
  if (users.some((u) => require.cache[require.resolve(u)])) return false; // too late
  mod.exports = replacement;
  return true;
}

/**
 * MILLRACE_KAFKA_CODEC=kafkajs leaves kafkajs's own Produce encoding in place (for A/B measurements
 * and as an escape hatch); anything else installs the fast one.
 */
const useKafkajsCodec = process.env.MILLRACE_KAFKA_CODEC === "kafkajs";

/** true when kafkajs encodes Produce requests with ./produce-encoder.ts and frames them without copies */
export const produceEncoderPatched =
  !useKafkajsCodec &&
  replaceExport(
    produceV3Path,
    [4, 5, 6, 7].map((v) => `kafkajs/src/protocol/requests/produce/v${v}/request.js`),
    produceRequestV3,
  ) && replaceExport(createRequestPath, ["kafkajs/src/network/connection.js"], createRequest);

// ---- Fetch response decoding ----

const recordBatchDecoderPath = require.resolve("kafkajs/src/protocol/recordBatch/v0/decoder.js");

/** kafkajs's own RecordBatch decoder (for tests and the fallback) */
export const originalRecordBatchDecoder = require(recordBatchDecoderPath) as (d: KafkajsDecoder) => Promise<unknown>;

/** kafkajs's RecordBatch decoder with ./fetch-decoder.ts in front (same objects, a fraction of the CPU) */
export const recordBatchDecoder = fastRecordBatchDecoder(originalRecordBatchDecoder);

/** true when kafkajs's fetch responses are decoded by ./fetch-decoder.ts (MILLRACE_KAFKA_CODEC=kafkajs: not) */
export const fetchDecoderPatched =
  !useKafkajsCodec && replaceExport(recordBatchDecoderPath, ["kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js"], recordBatchDecoder);

// ---- Consumer batches ----

const consumerBatchPath = require.resolve("kafkajs/src/consumer/batch.js");

/** kafkajs's own consumer Batch class (for tests) */
export const OriginalConsumerBatch = require(consumerBatchPath) as ReturnType<typeof fastBatchClass>;

/** kafkajs's consumer Batch without a BigInt parse per message (./consumer-batch.ts) */
export const ConsumerBatch = fastBatchClass(OriginalConsumerBatch);

/** true when kafkajs's consumer builds its batches with ConsumerBatch (MILLRACE_KAFKA_CODEC=kafkajs: not) */
export const consumerBatchPatched = !useKafkajsCodec && replaceExport(consumerBatchPath, ["kafkajs/src/consumer/consumerGroup.js"], ConsumerBatch);
