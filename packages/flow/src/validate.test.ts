import { describe, expect, it } from "vitest";
import type { FlowDocument } from "./document.js";
import { formatError } from "./errors.js";
import { fakeCatalog, sampleFlow } from "../test-support/fake-catalog.js";
import { validateFlow, validateForDeploy, type ValidationResult } from "./validate.js";

const messages = (r: ValidationResult) => (r.ok ? [] : r.errors.map(formatError));
const withDoc = (change: (d: FlowDocument) => void): FlowDocument => {
  const d = sampleFlow();
  change(d);
  return d;
};

describe("validateFlow: valid documents", () => {
  it("accepts the sample flow and returns the parsed document", () => {
    const r = validateFlow(sampleFlow(), fakeCatalog);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.document).toEqual(sampleFlow());
      expect(r.warnings).toEqual([]);
    }
  });
  it("fills defaults, drops unknown top-level keys and does not alias the input", () => {
    const input = { ...sampleFlow(), parameters: undefined, extra: 1 } as unknown as Record<string, unknown>;
    delete input.parameters;
    const r = validateFlow(input, fakeCatalog);
    expect(messages(r)).toEqual(['nodes[2].config.topic: parameter "prefix" is not defined']);
    const ok = validateFlow({ ...input, nodes: (input.nodes as FlowDocument["nodes"]).slice(0, 2), edges: [(input.edges as FlowDocument["edges"])[0]] }, fakeCatalog);
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      expect(ok.document.parameters).toEqual([]);
      expect("extra" in ok.document).toBe(false);
      ok.document.nodes[0].config.count = 99;
      expect((input.nodes as FlowDocument["nodes"])[0].config.count).toBe(10);
    }
  });
});

describe("validateFlow: structure", () => {
  it("reports missing and mistyped fields with friendly messages", () => {
    const r = validateFlow({ schemaVersion: 1, id: "f", nodes: [{ id: "a", type: "generate", typeVersion: "1", config: {}, position: { x: 0 } }], edges: {} }, fakeCatalog);
    expect(messages(r)).toEqual([
      "name: required",
      "nodes[0].typeVersion: expected number, got string",
      "nodes[0].position.y: required",
      "edges: expected array, got object",
    ]);
  });
  it("explains bounds, enums, integers and custom messages", () => {
    const d = withDoc((d) => {
      d.name = "";
      d.nodes[0].typeVersion = 1.5;
      d.nodes[2].settings = { concurrency: 0, onError: "explode" as "drop" };
      d.edges[1].settings = { mode: "teleport" as "fused" };
      d.parameters[0].name = "bad name";
    });
    expect(messages(validateFlow(d, fakeCatalog))).toEqual([
      "name: must not be empty",
      "nodes[0].typeVersion: expected integer, got number",
      "nodes[2].settings.concurrency: must be >= 1",
      'nodes[2].settings.onError: expected one of "failure", "drop", "stop"',
      'edges[1].settings.mode: expected one of "durable", "fused"',
      "parameters[0].name: letters, digits, _ . - only",
    ]);
  });
  it("refuses non-objects at the root", () => {
    for (const input of [null, undefined, 42, "x", [], () => 1, 1n, Symbol("s")]) {
      const r = validateFlow(input, fakeCatalog);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors[0].path).toBe("");
    }
  });
  it("refuses a newer schemaVersion plainly", () => {
    expect(messages(validateFlow({ ...sampleFlow(), schemaVersion: 2 }, fakeCatalog))).toEqual([
      "schemaVersion: unsupported schemaVersion 2 (this version reads up to 1)",
    ]);
  });
});

describe("validateFlow: catalogue and configs", () => {
  it("flags unknown types and unsupported or outdated versions", () => {
    const d = withDoc((d) => {
      d.nodes[0].type = "teleport";
      d.nodes[1].typeVersion = 3;
    });
    expect(messages(validateFlow(d, fakeCatalog))).toEqual([
      'nodes[0].type: unknown processor type "teleport"',
      'nodes[1].typeVersion: unsupported typeVersion 3 ("filter" is at v2)',
    ]);
    // filter is at v2 and the default registry has no 1→2 migration.
    const old = withDoc((d) => (d.nodes[1].typeVersion = 1));
    expect(messages(validateFlow(old, fakeCatalog))).toEqual(['nodes[1].typeVersion: "filter" v1 cannot be upgraded to v2 (no migration from v1)']);
  });
  it("checks configs with the processor's schema, paths under nodes[i].config", () => {
    const d = withDoc((d) => {
      d.nodes[0].config = { count: -1, template: 5, colour: "red" };
      d.nodes[2].config = { acks: true };
    });
    expect(messages(validateFlow(d, fakeCatalog))).toEqual([
      "nodes[0].config.count: must be >= 0",
      "nodes[0].config.template: expected string, got number",
      "nodes[0].config.colour: unknown field",
      "nodes[2].config.topic: required",
      'nodes[2].config.acks: expected "all" or number, got boolean',
    ]);
  });
});

describe("validateFlow: settings.callContextTopic", () => {
  it("a source may name a topic for its call contexts; anything else, or on another node, is an error with its path", () => {
    const ok = withDoc((d) => (d.nodes[0].settings = { callContextTopic: "ingest.who_sent-it" }));
    expect(validateFlow(ok, fakeCatalog).ok).toBe(true);
    const bad = withDoc((d) => {
      d.nodes[0].settings = { callContextTopic: "no spaces" };
      d.nodes[1].settings = { callContextTopic: "who" };
      d.nodes[2].settings = { concurrency: 2, callContextTopic: 5 };
    });
    expect(messages(validateFlow(bad, fakeCatalog))).toEqual([
      "nodes[0].settings.callContextTopic: a Kafka topic name: 1 to 249 letters, digits, . _ -",
      'nodes[1].settings.callContextTopic: only a source publishes call contexts ("filter" is a transform)',
      "nodes[2].settings.callContextTopic: a Kafka topic name: 1 to 249 letters, digits, . _ -",
    ]);
  });
});

describe("validateFlow: graph", () => {
  it("finds duplicate ids and names", () => {
    const d = withDoc((d) => {
      d.nodes[2].id = "gen";
      d.edges[1].id = "e1";
      d.parameters[1].name = "prefix";
    });
    const m = messages(validateFlow(d, fakeCatalog));
    expect(m).toContain('nodes[2].id: duplicate node id "gen" (also nodes[0].id)');
    expect(m).toContain('edges[1].id: duplicate edge id "e1" (also edges[0].id)');
    expect(m).toContain('parameters[1].name: duplicate parameter name "prefix" (also parameters[0].name)');
  });
  it("finds edges to missing nodes, missing ports, edges into sources, repeated connections", () => {
    const d = withDoc((d) => {
      d.edges.push({ id: "e3", from: { node: "ghost", port: "success" }, to: { node: "big" } });
      d.edges.push({ id: "e4", from: { node: "big", port: "matched" }, to: { node: "out" } });
      d.edges.push({ id: "e5", from: { node: "big", port: "failure" }, to: { node: "gen" } });
      d.edges.push({ id: "e6", from: { node: "gen", port: "success" }, to: { node: "big" } });
    });
    expect(messages(validateFlow(d, fakeCatalog))).toEqual([
      'edges[2].from.node: node "ghost" does not exist',
      'edges[3].from.port: node "big" has no output port "matched" (it has "success", "failure")',
      'edges[4].to.node: node "gen" ("generate") is a source and takes no input',
      "edges[5]: same connection as edges[0]",
      'edges[4]: cycle: "big" → "gen" → "big"',
    ]);
  });
  it("derives ports from the config (route names)", () => {
    const d = withDoc((d) => {
      d.nodes[1] = { id: "big", type: "route", typeVersion: 1, config: { routes: [{ name: "eu", expression: "true" }] }, position: { x: 0, y: 0 } };
      d.edges[1].from.port = "eu";
      d.edges.push({ id: "e3", from: { node: "big", port: "us" }, to: { node: "out" } });
    });
    expect(messages(validateFlow(d, fakeCatalog))).toEqual([
      'edges[2].from.port: node "big" has no output port "us" (it has "eu", "unmatched", "failure")',
    ]);
  });
  it("names the nodes of a cycle", () => {
    const d = withDoc((d) => {
      d.nodes.push({ id: "again", type: "filter", typeVersion: 2, config: { expression: "true" }, position: { x: 0, y: 0 } });
      d.edges.push({ id: "e3", from: { node: "big", port: "failure" }, to: { node: "again" } });
      d.edges.push({ id: "e4", from: { node: "again", port: "success" }, to: { node: "big" } });
    });
    const m = messages(validateFlow(d, fakeCatalog));
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/^edges\[\d\]: cycle: "(big|again)" → "(big|again)" → "(big|again)"$/);
    const self = withDoc((d) => d.edges.push({ id: "e3", from: { node: "big", port: "failure" }, to: { node: "big" } }));
    expect(messages(validateFlow(self, fakeCatalog))).toEqual(['edges[2]: cycle: "big" → "big"']);
  });
  it("reports parameters used but not defined, at the string's path", () => {
    const d = withDoc((d) => {
      d.nodes[1].config.expression = "value.x = '#{region}' and '#{prefix}' and '##{escaped}'";
      d.parameters = d.parameters.filter((p) => p.name !== "prefix");
    });
    expect(messages(validateFlow(d, fakeCatalog))).toEqual([
      'nodes[1].config.expression: parameter "region" is not defined',
      'nodes[1].config.expression: parameter "prefix" is not defined',
      'nodes[2].config.topic: parameter "prefix" is not defined',
    ]);
  });
});

describe("validateFlow: hostile input", () => {
  it("never echoes sensitive values, even when a processor message would", () => {
    const secret = "hunter2-secret";
    const d = withDoc((d) => {
      d.nodes[2].config = { topic: secret };
    });
    const catalog = {
      ...fakeCatalog,
      get: (t: string) =>
        t === "kafka-sink"
          ? { ...fakeCatalog.get(t)!, configSchema: fakeCatalog.get(t)!.configSchema.refine(() => false, { message: `bad topic ${secret}` }) }
          : fakeCatalog.get(t),
    };
    const r = validateFlow(d, catalog);
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain(secret);
  });
  it("turns a throwing catalogue or outputPorts into errors", () => {
    const throwing = { get: () => { throw new Error("catalogue down"); }, list: () => [] };
    const r = validateFlow(sampleFlow(), throwing);
    expect(r.ok).toBe(false);
    const badPorts = {
      ...fakeCatalog,
      get: (t: string) => (t === "filter" ? { ...fakeCatalog.get(t)!, outputPorts: () => { throw new Error("x"); } } : fakeCatalog.get(t)),
    };
    expect(validateFlow(sampleFlow(), badPorts).ok).toBe(true);
    const badSchema = {
      ...fakeCatalog,
      get: (t: string) => (t === "filter" ? { ...fakeCatalog.get(t)!, configSchema: fakeCatalog.get(t)!.configSchema.refine(() => { throw new Error("refine blew up"); }) } : fakeCatalog.get(t)),
    };
    expect(messages(validateFlow(sampleFlow(), badSchema))).toEqual(["nodes[1].config: could not be checked: refine blew up"]);
  });
  it("is not prototype-polluted by __proto__ keys", () => {
    const text = JSON.stringify(sampleFlow()).replace('"count":10', '"count":10,"__proto__":{"polluted":true}');
    const input = JSON.parse(`{"__proto__":{"polluted":true},${text.slice(1)}`);
    const r = validateFlow(input, fakeCatalog);
    expect(messages(r)).toEqual(["__proto__: the key __proto__ is not allowed", "nodes[0].config.__proto__: the key __proto__ is not allowed"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted")).toBe(false);
  });
  it("survives 10,000-deep nesting, 5 MB strings, huge arrays, non-JSON values", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    expect(messages(validateFlow(withDoc((d) => (d.nodes[0].config.template = deep as string)), fakeCatalog))[0]).toMatch(/nested too deeply/);
    let deepArr: unknown = 1;
    for (let i = 0; i < 10_000; i++) deepArr = [deepArr];
    expect(validateFlow(deepArr, fakeCatalog).ok).toBe(false);

    const big = "y".repeat(5 * 1024 * 1024);
    const r = validateFlow(withDoc((d) => { d.name = big; d.nodes[0].type = big; d.nodes[1].config[big] = 1; }), fakeCatalog);
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r).length).toBeLessThan(5000);

    const huge = validateFlow({ ...sampleFlow(), nodes: new Array(50_000).fill(7) }, fakeCatalog);
    expect(huge.ok).toBe(false);
    if (!huge.ok) expect(huge.errors.length).toBeLessThanOrEqual(51);

    const odd = validateFlow({ ...sampleFlow(), id: 1n, name: () => "x", description: undefined, nodes: [NaN], edges: [Symbol("e")] }, fakeCatalog);
    expect(messages(odd)).toEqual([
      "id: not a JSON value (a bigint)",
      "name: not a JSON value (a function)",
      "description: not a JSON value (undefined)",
      "nodes[0]: expected a finite number, got NaN",
      "edges[0]: not a JSON value (a symbol)",
    ]);
  });
  it("handles a throwing Proxy", () => {
    const proxy = new Proxy({}, { ownKeys() { throw new Error("trap"); }, getPrototypeOf() { throw new Error("trap"); } });
    const r = validateFlow(proxy, fakeCatalog);
    expect(r.ok).toBe(false);
  });
});

describe("validateForDeploy", () => {
  it("warns about transforms and sinks without an incoming edge, without failing", () => {
    const d = withDoc((d) => {
      d.edges = [d.edges[0]];
      d.nodes.push({ id: "lonely", type: "filter", typeVersion: 2, config: { expression: "true" }, position: { x: 0, y: 0 } });
    });
    const r = validateForDeploy(d, fakeCatalog);
    expect(r.ok).toBe(true);
    expect(r.warnings.map(formatError)).toEqual([
      'warning: nodes[2]: node "out" ("kafka-sink") has no incoming edge and will never receive a record',
      'warning: nodes[3]: node "lonely" ("filter") has no incoming edge and will never receive a record',
    ]);
    expect(r.warnings.every((w) => w.severity === "warning")).toBe(true);
    expect(validateFlow(d, fakeCatalog).warnings).toEqual([]);
  });
});
