import type { OutMessage, Sender, SentRecord } from "../kafka/index.js";
import { encodedBytes } from "./records.js";
import { MAX_REQUEST_BYTES, RECORD_OVERHEAD_BYTES } from "./producing.js";

type Part = { topic: string; messages: OutMessage[] };

interface Pending {
  parts: Part[];
  bytes: number;
  resolve(acks: SentRecord[]): void;
  reject(e: unknown): void;
}

/**
 * Merges the produce requests of every stage of a flow into few large ones.
 *
 * Kafka handles the requests of one connection strictly one after another, and all stages of
 * a flow share one producer. Sent one request per fetched batch, a lightly loaded flow (small
 * batches: a few records per partition and stage) makes thousands of tiny requests per second;
 * they queue on the connection and every hop's latency grows to seconds although the engine is
 * mostly idle. Here at most `maxInFlight` requests are outstanding; whatever callers send
 * meanwhile waits and goes out as one request (Nagle-like: no added delay when idle, big
 * requests when busy — what the Java producer's accumulator does).
 *
 * Each caller still gets acks for its own records only: the base offset of its first record in
 * every partition it wrote, derived from the merged request's base offset plus the records of
 * earlier callers in that partition (messages of one partition keep their order in a request).
 * A failed request fails every caller in it; callers retry (at-least-once).
 */
export class CoalescingSender implements Sender {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly target: Sender,
    private readonly maxInFlight = 1,
    private readonly maxBytes = MAX_REQUEST_BYTES,
  ) {}

  send(topic: string, messages: OutMessage[]): Promise<SentRecord[]> {
    return this.sendBatch([{ topic, messages }]);
  }

  sendBatch(parts: Part[], bytes?: number): Promise<SentRecord[]> {
    if (bytes === undefined) {
      bytes = 0;
      for (const p of parts) for (let i = 0; i < p.messages.length; i++) bytes += encodedBytes(p.messages[i]!) + RECORD_OVERHEAD_BYTES;
    }
    const size = bytes;
    return new Promise<SentRecord[]>((resolve, reject) => {
      this.queue.push({ parts, bytes: size, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length) {
      const take: Pending[] = [this.queue.shift()!];
      let bytes = take[0]!.bytes;
      while (this.queue.length && bytes + this.queue[0]!.bytes <= this.maxBytes) {
        const next = this.queue.shift()!;
        take.push(next);
        bytes += next.bytes;
      }
      this.inFlight++;
      void this.flush(take).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async flush(take: Pending[]): Promise<void> {
    if (take.length === 1) {
      const only = take[0]!;
      try {
        only.resolve(await this.target.sendBatch(only.parts));
      } catch (e) {
        only.reject(e);
      }
      return;
    }
    const merged = new Map<string, OutMessage[]>();
    /** per topic and partition: how many records the request holds so far */
    const counts = new Map<string, Map<number, number>>();
    /** per caller: (topic, partition) → records of earlier callers before its first one */
    const before: Map<string, Map<number, number>>[] = [];
    for (const e of take) {
      const mine = new Map<string, Map<number, number>>();
      before.push(mine);
      for (const part of e.parts) {
        let list = merged.get(part.topic);
        if (!list) merged.set(part.topic, (list = []));
        let c = counts.get(part.topic);
        if (!c) counts.set(part.topic, (c = new Map()));
        let m = mine.get(part.topic);
        if (!m) mine.set(part.topic, (m = new Map()));
        for (let i = 0; i < part.messages.length; i++) {
          const msg = part.messages[i]!;
          list.push(msg);
          const p = msg.partition;
          if (p === undefined) continue; // the client picks: no offset can be attributed
          const n = c.get(p) ?? 0;
          if (!m.has(p)) m.set(p, n);
          c.set(p, n + 1);
        }
      }
    }
    let acks: SentRecord[];
    try {
      acks = await this.target.sendBatch([...merged].map(([topic, messages]) => ({ topic, messages })));
    } catch (e) {
      for (const x of take) x.reject(e);
      return;
    }
    const base = new Map<string, SentRecord>();
    for (const a of acks) base.set(`${a.topic}\0${a.partition}`, a);
    for (let k = 0; k < take.length; k++) {
      const out: SentRecord[] = [];
      for (const [topic, parts] of before[k]!)
        for (const [partition, n] of parts) {
          const a = base.get(`${topic}\0${partition}`);
          out.push({ topic, partition, baseOffset: a?.baseOffset === undefined ? undefined : (BigInt(a.baseOffset) + BigInt(n)).toString() });
        }
      take[k]!.resolve(out);
    }
  }
}
