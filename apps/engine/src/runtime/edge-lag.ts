import type { KafkaClient } from "../kafka/index.js";
import type { PlannedEdge } from "../planner/index.js";

interface Measurement {
  at: number;
  /** undefined: Kafka did not answer */
  queue: Promise<number | undefined>;
}

/**
 * The records waiting on durable edges: the topic's end offsets minus the committed offsets of
 * the consumer group that reads it. One per engine, shared by back pressure (which pauses
 * sources on it), the stats service and /metrics, so a queue is asked of Kafka once however
 * many of them want it; each caller says how old an answer it accepts.
 */
export class EdgeLagMonitor {
  private readonly measured = new Map<string, Measurement>();

  constructor(private readonly kafka: Pick<KafkaClient, "groupLag">) {}

  /**
   * The queue of every durable edge among `edges`, measured at most `maxAgeMs` ago (0: now). An
   * edge Kafka gave no answer for is absent: the caller keeps its last value or shows none.
   */
  async queues(edges: readonly PlannedEdge[], maxAgeMs: number): Promise<Map<string, number>> {
    const now = Date.now();
    const out = new Map<string, number>();
    await Promise.all(
      edges.map(async (e) => {
        if (e.mode !== "durable" || !e.topic || !e.consumerGroup) return;
        const key = e.consumerGroup + "\0" + e.topic;
        let m = this.measured.get(key);
        if (!m || now - m.at >= maxAgeMs) {
          const queue = this.kafka.groupLag(e.consumerGroup, [e.topic]).then(
            (lag) => lag.total,
            () => undefined,
          );
          this.measured.set(key, (m = { at: now, queue }));
        }
        const q = await m.queue;
        if (q !== undefined) out.set(e.id, q);
      }),
    );
    for (const [k, m] of this.measured) if (now - m.at > 60_000) this.measured.delete(k);
    return out;
  }
}
