// kafkajs's Produce request (protocol/requests/produce/v3/request.js, which v4–v7 reuse) and its
// request framing (protocol/request.js), with the body written by ./produce-encoder.ts and the
// header put in front of it in the same Buffer. ./install.ts puts both into kafkajs.
import { kafkajsInternal } from "./kafkajs-internals.js";
import { encodeProduceRequest, type ProduceArgs } from "./produce-encoder.js";

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

const Encoder = kafkajsInternal<{ prototype: object }>("src/protocol/encoder.js");

/** a kafkajs Encoder over `buf` (what request encoders return and connection.js reads `.buffer` of) */
function asEncoder(buf: Buffer): KafkajsEncoder {
  const e = Object.create(Encoder.prototype) as KafkajsEncoder;
  e.buf = buf;
  e.offset = buf.length;
  return e;
}

export const PRODUCE_V3_REQUEST = "src/protocol/requests/produce/v3/request.js";
export const CREATE_REQUEST = "src/protocol/request.js";

/** kafkajs's own Produce v3 request builder and request framing (for tests and the fallback) */
export const originalProduceRequestV3 = kafkajsInternal<(args: ProduceArgs) => KafkajsRequest>(PRODUCE_V3_REQUEST);
export const originalCreateRequest = kafkajsInternal<CreateRequest>(CREATE_REQUEST);

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
