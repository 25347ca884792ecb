// kafkajs 2.2.4's consumer Batch (consumer/batch.js) drops the messages below the fetched offset by
// parsing every message's offset string into a BigInt (`Long.fromValue(offset).gte(fetched)`), once
// per message of every fetch. This one compares Numbers when the offsets are plain decimal strings
// below 2^53 (always, in practice) and keeps kafkajs's comparison for anything else; the object it
// builds has the same fields and kafkajs's Batch prototype (so every method and instanceof work).
import { kafkajsInternal } from "./kafkajs-internals.js";

interface KafkajsLong {
  gte(other: KafkajsLong): boolean;
}
const Long = kafkajsInternal<{ fromValue(v: unknown): KafkajsLong }>("src/utils/long.js");
const filterAbortedMessages = kafkajsInternal<(a: { messages: unknown[]; abortedTransactions: unknown }) => Message[]>("src/consumer/filterAbortedMessages.js");

interface Message {
  offset: unknown;
  isControlRecord?: boolean;
}

interface PartitionData {
  partition: number;
  highWatermark: string;
  abortedTransactions: unknown;
  messages: Message[];
}

type BatchClass = new (topic: string, fetchedOffset: unknown, partitionData: PartitionData) => object;

/** a decimal integer string of at most 15 digits: Number() gives it exactly, as BigInt() would */
const PLAIN = /^-?\d{1,15}$/;

function asNumber(v: unknown): number {
  if (typeof v === "string") return PLAIN.test(v) ? Number(v) : NaN;
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  return NaN;
}

/** kafkajs's `messages.filter(m => Long.fromValue(m.offset).gte(Long.fromValue(fetchedOffset)))` */
export function messagesFrom(messages: Message[], fetchedOffset: unknown): Message[] {
  const from = asNumber(fetchedOffset);
  // a partition's messages come in offset order: when the first is not below the fetched offset,
  // none is, and the list is kept as it is (no copy, no parse per message)
  if (messages.length === 0 || (from === from && asNumber(messages[0]!.offset) >= from)) return messages;
  let longFrom: KafkajsLong | undefined;
  const out: Message[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const o = from === from ? asNumber(m.offset) : NaN;
    if (o === o) {
      if (o >= from) out.push(m);
    } else {
      longFrom ??= Long.fromValue(fetchedOffset);
      if (Long.fromValue(m.offset).gte(longFrom)) out.push(m);
    }
  }
  return out;
}

/** kafkajs's `.filter((message) => !message.isControlRecord)`, the same array when there is none (most batches) */
function withoutControlRecords(messages: Message[]): Message[] {
  for (let i = 0; i < messages.length; i++) if (messages[i]!.isControlRecord) return messages.filter((message) => !message.isControlRecord);
  return messages;
}

export function fastBatchClass(Original: BatchClass): BatchClass {
  function Batch(this: Record<string, unknown>, topic: string, fetchedOffset: unknown, partitionData: PartitionData) {
    if (asNumber(fetchedOffset) !== asNumber(fetchedOffset)) return new Original(topic, fetchedOffset, partitionData); // kafkajs's own (or its error)
    this.fetchedOffset = fetchedOffset;
    const { abortedTransactions, messages } = partitionData;
    this.topic = topic;
    this.partition = partitionData.partition;
    this.highWatermark = partitionData.highWatermark;
    this.rawMessages = messages;
    const within = messagesFrom(messages, fetchedOffset);
    this.messagesWithinOffset = within;
    this.messages = withoutControlRecords(filterAbortedMessages({ messages: within, abortedTransactions }));
  }
  Batch.prototype = Original.prototype;
  return Batch as unknown as BatchClass;
}
