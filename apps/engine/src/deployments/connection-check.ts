import { formatPath, type CatalogLike, type ConnectionTestResult, type ConnectionType, type FlowDocument, type FlowError } from "@millrace/flow";
import { connectionTypeOf, type NodeConnectionType } from "@millrace/processors";

/** A node's `connection` field: the connection it names, of the type its spec declares. */
export interface ConnectionReference {
  /** `nodes[2].config.connection` */
  path: string;
  nodeId: string;
  name: string;
  type: NodeConnectionType;
}

/** What a flow's checks need of the engine's connections. */
export interface ConnectionDirectory {
  list(): Promise<{ name: string; type: ConnectionType }[]>;
  test(name: string): Promise<ConnectionTestResult>;
}

/** Every connection a flow's nodes name, found by the `connectionType` their specs' schemas declare. */
export function connectionReferences(doc: FlowDocument, catalog: CatalogLike): ConnectionReference[] {
  const out: ConnectionReference[] = [];
  doc.nodes.forEach((node, i) => {
    const spec = catalog.get(node.type);
    const type = spec ? connectionTypeOf(spec.configSchema) : undefined;
    const name = (node.config as { connection?: unknown } | undefined)?.connection;
    if (type && typeof name === "string" && name !== "") out.push({ path: formatPath(["nodes", i, "config", "connection"]), nodeId: node.id, name, type });
  });
  return out;
}

/**
 * The references to a connection that does not exist or is of another type, each with its path
 * (`nodes[2].config.connection: no kafka connection named "east"`). Without a directory (an engine
 * built without connections) every reference is one.
 */
export async function unknownConnections(refs: readonly ConnectionReference[], directory: ConnectionDirectory | undefined): Promise<FlowError[]> {
  if (refs.length === 0) return [];
  const known = new Map((await directory?.list())?.map((c) => [c.name, c.type]));
  return refs.flatMap((r) => {
    const type = known.get(r.name);
    if (type === r.type) return [];
    const why = type === undefined ? "" : ` ("${r.name}" is a ${type} connection)`;
    return [{ path: r.path, message: `no ${r.type} connection named "${r.name}"${why}` }];
  });
}

/** Tests each named connection once, all at once (each answers within the directory's time limit); the failures with their paths and reasons. */
export async function failingConnections(refs: readonly ConnectionReference[], directory: ConnectionDirectory): Promise<FlowError[]> {
  const names = [...new Set(refs.map((r) => r.name))];
  const results = new Map(await Promise.all(names.map(async (name) => [name, await directory.test(name)] as const)));
  return refs.flatMap((r) => {
    const result = results.get(r.name)!;
    return result.ok ? [] : [{ path: r.path, message: `connection "${r.name}" failed its test (${result.reason}): ${result.detail}` }];
  });
}

/**
 * Exactly-once commits a stage's input offsets and its output in one Kafka transaction, and a
 * transaction lives in one cluster: a Kafka node on another cluster cannot take part.
 */
export function crossClusterTransactions(refs: readonly ConnectionReference[]): FlowError[] {
  return refs
    .filter((r) => r.type === "kafka")
    .map((r) => ({
      path: r.path,
      message: `node "${r.nodeId}" uses the cluster of connection "${r.name}", but exactly-once needs every Kafka node on the engine's own cluster (a transaction does not span clusters): deploy at-least-once, or drop the connection`,
    }));
}
