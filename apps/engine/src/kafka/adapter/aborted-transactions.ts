// kafkajs 2.2.4 filters aborted transactional records (read_committed) assuming the broker lists
// aborted transactions by first offset, and activates at most one per record. Kafka lists them in
// abort-marker order, so when transactions of several producers interleave on a partition and are
// aborted in another order (what a crash in exactly-once mode leaves behind), whole aborted
// transactions leaked to read_committed consumers. The Java client orders them by first offset.
//
// The fix is patches/kafkajs@2.2.4.patch (pnpm `patchedDependencies`), applied to kafkajs's
// consumer/filterAbortedMessages.js at install time: kafkajs's own consumer Batch and this
// adapter's (./consumer-batch.ts) both call that module, and so does every other kafkajs user in
// the workspace (test and bench readers that verify exactly-once). This module only checks that
// the installed kafkajs carries it.
import { kafkajsInternal } from "./kafkajs-internals.js";

interface Msg {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}
interface Aborted {
  firstOffset: string;
  producerId: string;
}
export interface AbortCase {
  messages: Msg[];
  abortedTransactions: Aborted[];
  /** offsets of the data records a read_committed consumer must get */
  committed: string[];
}
type Filter = (a: { messages: Msg[]; abortedTransactions: Aborted[] }) => Msg[];

export const FILTER_ABORTED_MESSAGES = "src/consumer/filterAbortedMessages.js";

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);
const record = (offset: number, producerId: string, inTransaction = true): Msg => ({ offset: String(offset), key: null, batchContext: { producerId, inTransaction } });
const abortMarker = (offset: number, producerId: string): Msg => ({ offset: String(offset), key: ABORT_MARKER_KEY, isControlRecord: true, batchContext: { producerId, inTransaction: true } });

/** Two producers' transactions interleaved on a partition, both aborted, listed in marker order. */
export function interleavedAbortCase(): AbortCase {
  const messages = [record(10, "1"), record(11, "2"), record(12, "1"), record(13, "3"), record(14, "2"), abortMarker(15, "2"), abortMarker(16, "1")];
  // producer 2's abort marker (offset 15) came first, so the broker lists it first
  return { messages, abortedTransactions: [{ firstOffset: "11", producerId: "2" }, { firstOffset: "10", producerId: "1" }], committed: ["13"] };
}

/** The data records kafkajs's installed filter lets through (what its consumer hands to the engine). */
export function keptByKafkajs(c: AbortCase): string[] {
  const filter = kafkajsInternal<Filter>(FILTER_ABORTED_MESSAGES);
  return filter({ messages: c.messages, abortedTransactions: c.abortedTransactions })
    .filter((m) => !m.isControlRecord)
    .map((m) => m.offset);
}

/** null when the installed kafkajs hides interleaved aborted transactions, else what it lets through. */
export function abortedTransactionLeak(): string | null {
  const c = interleavedAbortCase();
  const kept = keptByKafkajs(c);
  if (kept.join() === c.committed.join()) return null;
  return `kafkajs's ${FILTER_ABORTED_MESSAGES} lets aborted records through (kept offsets ${kept.join(", ")}, expected ${c.committed.join(", ")}): patches/kafkajs@2.2.4.patch is not applied`;
}
