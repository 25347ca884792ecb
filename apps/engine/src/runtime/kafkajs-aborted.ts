import { createRequire } from "node:module";

/**
 * kafkajs 2.2.4 filters aborted transactional records (read_committed) assuming the broker
 * lists aborted transactions by first offset and activating at most one per record. Kafka
 * lists them by abort-marker order, so when transactions of several producers interleave on a
 * partition and are aborted in another order (exactly what a crash in exactly-once mode leaves
 * behind), whole aborted transactions leak to read_committed consumers. The Java client uses a
 * priority queue on first offset instead.
 *
 * This module checks whether the installed kafkajs has the bug (the engine's inter-stage
 * consumers are kafkajs consumers, so exactly-once across stages depends on it) and holds the
 * corrected algorithm (what a patch of kafkajs/src/consumer/filterAbortedMessages.js needs).
 */

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
type Filter = (a: { messages: Msg[]; abortedTransactions: Aborted[] }) => Msg[];

const ABORT = Buffer.from([0, 0, 0, 0]);

/** The corrected filter: every aborted transaction whose first offset was reached is active until its producer's abort marker. */
export const filterAbortedMessagesFixed: Filter = ({ messages, abortedTransactions }) => {
  if (!abortedTransactions?.length) return messages;
  const pending = [...abortedTransactions].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : BigInt(a.firstOffset) > BigInt(b.firstOffset) ? 1 : 0));
  const active = new Set<string>();
  return messages.filter((m) => {
    const offset = BigInt(m.offset);
    while (pending.length && offset >= BigInt(pending[0]!.firstOffset)) active.add(String(pending.shift()!.producerId));
    const pid = String(m.batchContext.producerId);
    if (m.key && Buffer.from(m.key).equals(ABORT)) {
      active.delete(pid);
      return true;
    }
    return !(active.has(pid) && m.batchContext.inTransaction);
  });
};

/** Two producers' transactions interleaved on a partition, both aborted, listed in marker order. */
export function interleavedAbortCase(): { messages: Msg[]; abortedTransactions: Aborted[]; committed: string[] } {
  const m = (offset: number, producerId: string, key: Buffer | null = null): Msg => ({ offset: String(offset), key, batchContext: { producerId, inTransaction: true }, isControlRecord: key !== null });
  const messages = [m(10, "1"), m(11, "2"), m(12, "1"), m(13, "3"), m(14, "2"), m(15, "2", ABORT), m(16, "1", ABORT)];
  // producer 2's abort marker (offset 15) came first, so the broker lists it first
  return { messages, abortedTransactions: [{ firstOffset: "11", producerId: "2" }, { firstOffset: "10", producerId: "1" }], committed: ["13"] };
}

/** true when the installed kafkajs lets aborted records through (see above). */
export function kafkajsLeaksAbortedRecords(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const kafkajsMain = require.resolve("kafkajs");
    const filter = require(kafkajsMain.replace(/index\.js$/, "src/consumer/filterAbortedMessages.js")) as Filter;
    const c = interleavedAbortCase();
    const kept = filter({ messages: c.messages, abortedTransactions: c.abortedTransactions })
      .filter((x) => !x.isControlRecord)
      .map((x) => x.offset);
    return JSON.stringify(kept) !== JSON.stringify(c.committed);
  } catch {
    return true;
  }
}
