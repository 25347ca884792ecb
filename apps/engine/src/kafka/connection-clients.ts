import { createHash } from "node:crypto";
import type { KafkaConnection } from "@millrace/flow";
import { createKafka } from "./client.js";
import type { KafkaClient, KafkaLogger } from "./types.js";

/** A shared client of a connection's cluster; `release` gives it back (the last one out closes it). */
export interface ConnectionKafkaClient {
  readonly client: KafkaClient;
  release(): Promise<void>;
}

interface Entry {
  client: KafkaClient;
  users: number;
}

/**
 * The engine's Kafka clients of named connections, one per connection and version of its
 * document: the flows on one cluster share its connections, and a connection replaced (another
 * password) gets a fresh client while the flows started before keep theirs until they stop.
 */
export class ConnectionKafkaClients {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clientId: string,
    private readonly logger?: KafkaLogger,
  ) {}

  acquire(connection: KafkaConnection): ConnectionKafkaClient {
    const key = `${connection.name}\0${versionOf(connection)}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { client: createKafka({ brokers: connection.brokers, clientId: `${this.clientId}-${connection.name}`, security: connection, logger: this.logger }), users: 0 };
      this.entries.set(key, entry);
    }
    entry.users++;
    const held = entry;
    let released = false;
    return {
      client: held.client,
      release: async () => {
        if (released) return;
        released = true;
        if (--held.users > 0) return;
        if (this.entries.get(key) === held) this.entries.delete(key);
        await held.client.close();
      },
    };
  }

  /** Connections with a client open now (for tests and health). */
  openConnections(): string[] {
    return [...this.entries.keys()].map((k) => k.slice(0, k.indexOf("\0")));
  }
}

/** A digest of the whole document, secrets included, kept only in memory: another document is another client. */
function versionOf(connection: KafkaConnection): string {
  return createHash("sha256").update(JSON.stringify(connection)).digest("hex");
}
