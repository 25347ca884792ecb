import { mapConnectionSecrets, type ConnectionDocument, type KafkaConnection, type SchemaRegistryConnection } from "@millrace/flow";
import type { NodeConnection, PostgresClientSettings } from "@millrace/processors";
import { credentialHeaders } from "../connections/http-test.js";
import { postgresClientConfig } from "../db/connection-test.js";
import { kafkaConnectionFailure, type ConnectionKafkaClient, type ConnectionKafkaClients, type KafkaClient } from "../kafka/index.js";
import type { ExecutionPlan } from "../planner/index.js";

/** Where the runtime opens the connections a plan names: with their secrets, for the engine only. */
export interface ConnectionOpener {
  open(name: string): Promise<ConnectionDocument>;
}

/** A Kafka connection's cluster as a stage uses it. */
export interface ClusterOfConnection {
  connection: KafkaConnection;
  client: KafkaClient;
}

/**
 * The connections one deployed flow names, opened when it starts on this engine (the stored
 * plan holds only their names) and released when it stops. Kafka connections share the engine's
 * client of that cluster; postgres and http ones become what their nodes' processors are given.
 */
export class FlowConnections {
  private readonly clusters = new Map<string, ClusterOfConnection>();
  private readonly held: ConnectionKafkaClient[] = [];
  private readonly forNodes = new Map<string, NodeConnection>();
  private readonly clusterOfNode = new Map<string, ClusterOfConnection>();
  private readonly registryOfNode = new Map<string, SchemaRegistryConnection>();

  private constructor(private readonly engineClients: ConnectionKafkaClients | undefined) {}

  /**
   * Opens every connection the plan's nodes name and makes sure each Kafka one lets its user in:
   * a refused password fails here, naming the connection and the SASL mechanism.
   */
  static async open(plan: ExecutionPlan, opener: ConnectionOpener | undefined, clients: ConnectionKafkaClients | undefined): Promise<FlowConnections> {
    const opened = new FlowConnections(clients);
    // plans stored before nodes listed their connections by field name only `connection`
    const named = plan.nodes.flatMap((n) => Object.entries(n.connections ?? (n.connection === undefined ? {} : { connection: n.connection })).map(([field, name]) => ({ node: n, field, name })));
    if (named.length === 0) return opened;
    if (!opener || !clients) throw new Error(`node "${named[0]!.node.id}" names connection "${named[0]!.name}", but this engine has no connections`);
    try {
      const documents = new Map<string, ConnectionDocument>();
      for (const { node, field, name } of named) {
        let c = documents.get(name);
        if (!c) {
          c = await opener.open(name).catch((e: unknown) => {
            throw new Error(`node "${node.id}": connection "${name}" cannot be opened: ${e instanceof Error ? e.message : String(e)}`);
          });
          documents.set(name, c);
        }
        if (c.type === "kafka") opened.clusterOfNode.set(fieldKey(node.id, field), await opened.cluster(c));
        else if (c.type === "schema-registry") opened.registryOfNode.set(fieldKey(node.id, field), c);
        else if (field !== "connection") throw new Error(`node "${node.id}": ${field} names connection "${name}", a ${c.type} connection, where a kafka one is needed`);
        else opened.forNodes.set(node.id, forProcessor(c));
      }
    } catch (e) {
      await opened.close();
      throw e;
    }
    return opened;
  }

  private async cluster(c: KafkaConnection): Promise<ClusterOfConnection> {
    const known = this.clusters.get(c.name);
    if (known) return known;
    const held = this.engineClients!.acquire(c);
    this.held.push(held);
    try {
      await held.client.describeCluster();
    } catch (e) {
      throw new Error(`cannot use the cluster of ${kafkaConnectionFailure(c, e)}`, { cause: e });
    }
    const cluster = { connection: c, client: held.client };
    this.clusters.set(c.name, cluster);
    return cluster;
  }

  /** The cluster a Kafka node's `connection` (or another field naming one: a mirror's `from`, `to`) names (undefined: the engine's own). */
  clusterOf(nodeId: string, field = "connection"): ClusterOfConnection | undefined {
    return this.clusterOfNode.get(fieldKey(nodeId, field));
  }

  /** The schema-registry connection a node's `schemaRegistry` field names (undefined: the engine's own registry). */
  registryOf(nodeId: string, field = "schemaRegistry"): SchemaRegistryConnection | undefined {
    return this.registryOfNode.get(fieldKey(nodeId, field));
  }

  /** What a postgres or http node's processor connects with (undefined: its own config). */
  processorConnection(nodeId: string): NodeConnection | undefined {
    return this.forNodes.get(nodeId);
  }

  async close(): Promise<void> {
    const held = this.held.splice(0);
    await Promise.all(held.map((h) => h.release().catch(() => {})));
  }
}

function fieldKey(nodeId: string, field: string): string {
  return `${nodeId}\u0000${field}`;
}

/** A connection as a processor gets it: settings with their secrets, and those secrets listed to keep them out of messages. */
function forProcessor(c: Extract<ConnectionDocument, { type: "postgres" | "http" }>): NodeConnection {
  const secrets: string[] = [];
  mapConnectionSecrets(c, (v) => {
    if (typeof v === "string") secrets.push(v);
    return v;
  });
  if (c.type === "http") {
    const headers = credentialHeaders(c);
    return { type: "http", name: c.name, baseUrl: c.baseUrl, headers, secrets: [...secrets, ...Object.values(headers)] };
  }
  // the test's short connect and query limits are not a running node's
  const { connectionString, host, port, database, user, password, ssl } = postgresClientConfig(c);
  const client: PostgresClientSettings = {};
  if (connectionString !== undefined) client.connectionString = connectionString;
  if (host !== undefined) client.host = host;
  if (port !== undefined) client.port = port;
  if (database !== undefined) client.database = database;
  if (user !== undefined) client.user = user;
  if (typeof password === "string") client.password = password;
  if (typeof ssl === "boolean" || (typeof ssl === "object" && ssl !== null)) client.ssl = typeof ssl === "boolean" ? ssl : { rejectUnauthorized: ssl.rejectUnauthorized !== false };
  return { type: "postgres", name: c.name, client, secrets };
}
