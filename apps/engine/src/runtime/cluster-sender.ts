import { HEADER } from "@millrace/processors";
import type { KafkaConnection } from "@millrace/flow";
import { isTopicAuthorizationError, type OutMessage, type Sender, type SentRecord } from "../kafka/index.js";

/** Who a connection writes as, the way a refusal names it (undefined connection: the engine's own client). */
export function principalOf(connection: KafkaConnection | undefined): string {
  if (!connection) return "the engine's client";
  return connection.sasl ? `user "${connection.sasl.username}"` : connection.tls?.cert ? "its TLS client certificate" : "an anonymous client";
}

/** The reason given for a write a cluster refused for want of a WRITE ACL on the topic. */
export function writeRefusal(topic: string, connection: string | undefined, principal: string): string {
  const where = connection === undefined ? "the engine's cluster" : `the cluster of connection "${connection}"`;
  return `not authorized to write topic "${topic}" on ${where} as ${principal} (TOPIC_AUTHORIZATION_FAILED): an ACL must allow it WRITE on the topic`;
}

/** A topic a flow writes on a connection's cluster, and where its records go when that cluster refuses them. */
export interface ClusterTopic {
  /** this topic's own sender on that cluster (a refusal of another topic must not fail this one's records) */
  sender: Sender;
  connection: string;
  /** who writes, as the reason names it: `user "alice"` */
  principal: string;
  /** the node writing it */
  nodeId: string;
  /** on the engine's cluster: the node's failure edge topic, or the flow's dead-letter topic */
  failureTopic: string;
}

type Part = { topic: string; messages: OutMessage[] };

/**
 * The flow's sender when some of its topics live on other clusters: a request's parts for those
 * go to their cluster, the rest to the engine's own (one check per part, none per record). A
 * write the other cluster refuses for want of permission is not retried: those records go to the
 * writing node's failure route with the reason, and the flow goes on.
 */
export class ClusterSender implements Sender {
  constructor(
    private readonly own: Sender,
    private readonly elsewhere: ReadonlyMap<string, ClusterTopic>,
    private readonly refused: (topic: ClusterTopic, reason: string, records: number) => void,
  ) {}

  send(topic: string, messages: OutMessage[]): Promise<SentRecord[]> {
    return this.sendBatch([{ topic, messages }]);
  }

  async sendBatch(batch: Part[], bytes?: number): Promise<SentRecord[]> {
    if (!batch.some((p) => this.elsewhere.has(p.topic))) return this.own.sendBatch(batch, bytes);
    const own = batch.filter((p) => !this.elsewhere.has(p.topic));
    const sent = await Promise.all([own.length ? this.own.sendBatch(own) : [], ...batch.filter((p) => this.elsewhere.has(p.topic)).map((p) => this.sendElsewhere(p))]);
    return sent.flat();
  }

  private async sendElsewhere(part: Part): Promise<SentRecord[]> {
    const target = this.elsewhere.get(part.topic)!;
    try {
      return await target.sender.sendBatch([part]);
    } catch (e) {
      if (!isTopicAuthorizationError(e)) throw e;
      const reason = writeRefusal(part.topic, target.connection, target.principal);
      this.refused(target, reason, part.messages.length);
      // the partition was chosen for the other topic: the failure topic's own partitioner picks
      const failed = part.messages.map((m): OutMessage => ({ key: m.key, value: m.value, timestamp: m.timestamp, headers: { ...m.headers, [HEADER.error]: reason, [HEADER.errorNode]: target.nodeId } }));
      await this.own.sendBatch([{ topic: target.failureTopic, messages: failed }]);
      // nothing was written to part.topic: no positions to report for it
      return [];
    }
  }
}
