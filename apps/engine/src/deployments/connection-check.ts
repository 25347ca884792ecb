import { formatPath, type CatalogLike, type ConnectionTestResult, type ConnectionType, type FlowDocument, type FlowError } from "@millrace/flow";
import { connectionFieldsOf, type NodeConnectionType } from "@millrace/processors";

/** A node's field naming a connection (`connection`, a mirror's `from`/`to`): the connection it names, of the type its spec declares. */
export interface ConnectionReference {
  /** `nodes[2].config.connection` */
  path: string;
  nodeId: string;
  name: string;
  type: NodeConnectionType;
  /** the node runs in a runner of its own (a mirror), outside the flow's transactions */
  ownRunner?: boolean;
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
    if (!spec) return;
    const config = (node.config ?? {}) as Record<string, unknown>;
    for (const { field, type } of connectionFieldsOf(spec.configSchema)) {
      const name = config[field];
      if (typeof name !== "string" || name === "") continue;
      const ref: ConnectionReference = { path: formatPath(["nodes", i, "config", field]), nodeId: node.id, name, type };
      if (spec.runner) ref.ownRunner = true;
      out.push(ref);
    }
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
    .filter((r) => r.type === "kafka" && !r.ownRunner)
    .map((r) => ({
      path: r.path,
      message: `node "${r.nodeId}" uses the cluster of connection "${r.name}", but exactly-once needs every Kafka node on the engine's own cluster (a transaction does not span clusters): deploy at-least-once, or drop the connection`,
    }));
}
