import { describe, expect, it } from "vitest";
import type { ConnectionTestResult, FlowDocument } from "@millrace/flow";
import { catalog } from "@millrace/processors";
import { connectionReferences, crossClusterTransactions, failingConnections, unknownConnections, type ConnectionDirectory } from "./connection-check.js";

const doc = {
  id: "f1",
  name: "f1",
  nodes: [
    { id: "gen", type: "generate", config: {} },
    { id: "in", type: "kafka-source", config: { topic: "a", connection: "east" } },
    { id: "out", type: "kafka-sink", config: { topic: "b", connection: "west" } },
    { id: "db", type: "postgres-sink", config: { connection: "east", table: "t", columns: { a: "value" } } },
    { id: "own", type: "kafka-sink", config: { topic: "c" } },
  ],
  edges: [],
} as unknown as FlowDocument;

const directory = (known: Record<string, "kafka" | "postgres">, tests: Record<string, ConnectionTestResult> = {}): ConnectionDirectory & { tested: string[] } => {
  const tested: string[] = [];
  return {
    tested,
    list: async () => Object.entries(known).map(([name, type]) => ({ name, type })),
    test: async (name) => {
      tested.push(name);
      return tests[name] ?? { ok: true };
    },
  };
};

describe("a flow's connections", () => {
  it("are the connection fields of the nodes whose specs declare one, with the declared type", () => {
    expect(connectionReferences(doc, catalog)).toEqual([
      { path: "nodes[1].config.connection", nodeId: "in", name: "east", type: "kafka" },
      { path: "nodes[2].config.connection", nodeId: "out", name: "west", type: "kafka" },
      { path: "nodes[3].config.connection", nodeId: "db", name: "east", type: "postgres" },
    ]);
  });

  it("must exist with the type the node needs; each error names its path", async () => {
    const refs = connectionReferences(doc, catalog);
    expect(await unknownConnections(refs, directory({ east: "kafka" }))).toEqual([
      { path: "nodes[2].config.connection", message: 'no kafka connection named "west"' },
      { path: "nodes[3].config.connection", message: 'no postgres connection named "east" ("east" is a kafka connection)' },
    ]);
    expect(await unknownConnections(refs.slice(0, 2), directory({ east: "kafka", west: "kafka" }))).toEqual([]);
    expect(await unknownConnections(refs.slice(0, 1), undefined)).toEqual([{ path: "nodes[1].config.connection", message: 'no kafka connection named "east"' }]);
  });

  it("are tested once per name; a failing test is refused with its reason", async () => {
    const refs = connectionReferences(doc, catalog);
    const d = directory({}, { west: { ok: false, reason: "wrong-credentials", detail: 'connection "west": SASL scram-sha-512 authentication as "alice" was refused' } });
    expect(await failingConnections(refs, d)).toEqual([
      { path: "nodes[2].config.connection", message: 'connection "west" failed its test (wrong-credentials): connection "west": SASL scram-sha-512 authentication as "alice" was refused' },
    ]);
    expect(d.tested.sort()).toEqual(["east", "west"]);
  });

  it("refuse exactly-once for a Kafka node on another cluster", () => {
    const refused = crossClusterTransactions(connectionReferences(doc, catalog));
    expect(refused.map((e) => e.path)).toEqual(["nodes[1].config.connection", "nodes[2].config.connection"]);
    expect(refused[0]!.message).toMatch(/a transaction does not span clusters/);
  });
});
