import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { CatalogLike, ProcessorTypeInfo } from "./catalog-types.js";
import type { FlowDocument } from "./document.js";
import { describeDiff, diffFlows, formatDiff, isBehaviourEqual, isEmptyDiff, SECRET_HIDDEN } from "./diff.js";

const base: FlowDocument = {
  schemaVersion: 1,
  id: "f",
  name: "F",
  nodes: [
    { id: "gen", type: "generate", typeVersion: 1, config: { count: 1 }, position: { x: 0, y: 0 } },
    { id: "big", type: "filter", typeVersion: 1, config: { expression: "true" }, position: { x: 100, y: 0 } },
  ],
  edges: [{ id: "gen.success->big", from: { node: "gen", port: "success" }, to: { node: "big" } }],
  parameters: [{ name: "token", value: "", sensitive: true }],
};

const info = (type: string, configSchema: z.ZodType): ProcessorTypeInfo => ({
  type,
  version: 1,
  kind: "transform",
  title: type,
  description: "",
  configSchema,
  outputPorts: () => ["success", "failure"],
  hasInput: true,
});
const catalog: CatalogLike = (() => {
  const types = [
    info(
      "http",
      z.object({
        url: z.string().meta({ secret: true }),
        headers: z.record(z.string(), z.string()).meta({ secret: true }),
        method: z.string(),
      }),
    ),
    // secret-capable fields below an object and in the items of an array
    info(
      "webhook",
      z.object({
        path: z.string(),
        auth: z.object({ kind: z.string(), key: z.string().meta({ secret: true }).optional() }).optional(),
        routes: z.array(z.object({ path: z.string(), token: z.string().meta({ secret: true }) })).default([]),
      }),
    ),
  ];
  return { get: (t) => types.find((x) => x.type === t), list: () => types };
})();

describe("diffFlows", () => {
  it("is empty for the same document", () => {
    const d = diffFlows(base, structuredClone(base));
    expect(isBehaviourEqual(d)).toBe(true);
    expect(isEmptyDiff(d)).toBe(true);
    expect(describeDiff(d)).toEqual([]);
    expect(formatDiff(d)).toBe("no differences");
  });

  it("names added, removed and changed nodes and edges", () => {
    const to: FlowDocument = {
      ...base,
      nodes: [{ ...base.nodes[1]!, config: { expression: "false" } }, { id: "out", type: "log", typeVersion: 1, config: {}, position: { x: 0, y: 0 } }],
      edges: [],
    };
    const d = diffFlows(base, to);
    expect(d.nodes.map((n) => [n.id, n.status])).toEqual([
      ["big", "changed"],
      ["out", "added"],
      ["gen", "removed"],
    ]);
    expect(d.nodes[0]!.changes).toEqual([{ path: "config.expression", kind: "changed", from: "true", to: "false" }]);
    expect(d.edges).toEqual([{ id: "gen.success->big", status: "removed", from: { node: "gen", port: "success" }, to: { node: "big" }, changes: [] }]);
    expect(describeDiff(d)).toEqual(["1 node added: out", "1 node removed: gen", "1 node changed: big (config)", "connections: 1 removed"]);
    expect(isBehaviourEqual(d)).toBe(false);
    expect(formatDiff(d)).toBe(
      ["nodes", "  ~ big (filter)", '      config.expression: "true" → "false"', "  + out (log)", "  - gen (generate)", "edges", "  - gen.success → big"].join("\n"),
    );
  });

  it("gives nested config fields as paths with old and new values, added and removed ones too", () => {
    const from = { ...base, nodes: [{ ...base.nodes[0]!, config: { count: 1, window: { size: 10, unit: "s" }, keys: ["a", "b"], tags: ["x"] } }] };
    const to = { ...base, nodes: [{ ...base.nodes[0]!, name: "Gen", config: { count: 1, window: { size: 20, grace: 5 }, keys: ["a", "c"], tags: ["x", "y"] } }] };
    const changes = diffFlows(from, to).nodes[0]!.changes;
    expect(changes).toEqual([
      { path: "config.window.size", kind: "changed", from: 10, to: 20 },
      { path: "config.window.unit", kind: "removed", from: "s" },
      { path: "config.window.grace", kind: "added", to: 5 },
      { path: "config.keys[1]", kind: "changed", from: "b", to: "c" },
      { path: "config.tags", kind: "changed", from: ["x"], to: ["x", "y"] },
      { path: "name", kind: "added", to: "Gen" },
    ]);
    expect(formatDiff(diffFlows(from, to))).toContain("config.window.size: 10 → 20");
    expect(formatDiff(diffFlows(from, to))).toContain('config.window.unit: "s" → (none)');
  });

  it("never gives the values of secret-capable config fields, however deep", () => {
    const node = (config: Record<string, unknown>) => ({ id: "h", type: "http", typeVersion: 1, config, position: { x: 0, y: 0 } });
    const from = { ...base, nodes: [node({ url: "https://u:hunter2@a", headers: { Authorization: "Bearer old-token" }, method: "GET" })] };
    const to = { ...base, nodes: [node({ url: "https://u:swordfish@a", headers: { Authorization: "Bearer new-token", "X-Key": "k3y" }, method: "POST" })] };
    const d = diffFlows(from, to, { catalog });
    expect(d.nodes[0]!.changes).toEqual([
      { path: "config.url", kind: "changed", secret: true },
      { path: "config.headers", kind: "changed", secret: true },
      { path: "config.method", kind: "changed", from: "GET", to: "POST" },
    ]);
    const text = formatDiff(d) + JSON.stringify(d);
    for (const secret of ["hunter2", "swordfish", "old-token", "new-token", "k3y"]) expect(text).not.toContain(secret);
    expect(formatDiff(d)).toContain("config.url: (changed)");
  });

  it("hides the secret-capable fields inside a value shown whole: an object added or removed, an array that grew", () => {
    const node = (config: Record<string, unknown>) => ({ id: "in", type: "webhook", typeVersion: 1, config, position: { x: 0, y: 0 } });
    const open = { ...base, nodes: [node({ path: "/orders", routes: [{ path: "/a", token: "tok-a" }] })] };
    const keyed = { ...base, nodes: [node({ path: "/orders", auth: { kind: "api-key", key: "literal-k3y" }, routes: [{ path: "/a", token: "tok-a" }, { path: "/b", token: "tok-b" }] })] };
    const added = diffFlows(open, keyed, { catalog });
    expect(added.nodes[0]!.changes).toEqual([
      { path: "config.routes", kind: "changed", from: [{ path: "/a", token: SECRET_HIDDEN }], to: [{ path: "/a", token: SECRET_HIDDEN }, { path: "/b", token: SECRET_HIDDEN }] },
      { path: "config.auth", kind: "added", to: { kind: "api-key", key: SECRET_HIDDEN } },
    ]);
    const removed = diffFlows(keyed, open, { catalog });
    expect(removed.nodes[0]!.changes.find((c) => c.path === "config.auth")).toEqual({ path: "config.auth", kind: "removed", from: { kind: "api-key", key: SECRET_HIDDEN } });
    for (const d of [added, removed]) {
      const text = formatDiff(d) + JSON.stringify(d);
      for (const secret of ["literal-k3y", "tok-a", "tok-b"]) expect(text).not.toContain(secret);
    }
    expect(formatDiff(added)).toContain(`config.auth: (none) → {"kind":"api-key","key":"${SECRET_HIDDEN}"}`);
    // the documents diffed are left as they were
    expect(keyed.nodes[0]!.config.auth).toEqual({ kind: "api-key", key: "literal-k3y" });
    // no secret inside: the value as it is
    const plain = { ...base, nodes: [node({ path: "/orders", auth: { kind: "token" } })] };
    expect(diffFlows(open, plain, { catalog }).nodes[0]!.changes[1]).toEqual({ path: "config.auth", kind: "added", to: { kind: "token" } });
  });

  it("edges: a changed setting, and an edge whose id stays but whose end moves", () => {
    const to = { ...base, edges: [{ ...base.edges[0]!, settings: { mode: "fused" as const } }] };
    expect(diffFlows(base, to).edges).toEqual([{ id: "gen.success->big", status: "changed", from: base.edges[0]!.from, to: base.edges[0]!.to, changes: [{ path: "settings", kind: "added", to: { mode: "fused" } }] }]);
    const withSettings = { ...base, edges: [{ ...base.edges[0]!, settings: { mode: "durable" as const } }] };
    expect(diffFlows(withSettings, to).edges[0]!.changes).toEqual([{ path: "settings.mode", kind: "changed", from: "durable", to: "fused" }]);
    const rewired = { ...base, edges: [{ ...base.edges[0]!, from: { node: "gen", port: "failure" } }] };
    expect(diffFlows(base, rewired).edges[0]!.changes).toEqual([{ path: "from.port", kind: "changed", from: "success", to: "failure" }]);
    expect(formatDiff(diffFlows(base, rewired))).toContain("  ~ gen.failure → big (gen.success->big)");
  });

  it("calls a move a layout change, not a behaviour change", () => {
    const to = { ...base, nodes: base.nodes.map((n) => (n.id === "gen" ? { ...n, position: { x: 5, y: 5 } } : n)) };
    const d = diffFlows(base, to);
    expect(isBehaviourEqual(d)).toBe(true);
    expect(isEmptyDiff(d)).toBe(false);
    expect(d.nodes).toEqual([]);
    expect(describeDiff(d)).toEqual(["layout only (1 node moved)"]);
    expect(formatDiff(d)).toBe("layout: 1 node moved (nothing else differs)");
  });

  it("compares sensitive parameters by presence, never by value; plain ones by value", () => {
    const to = { ...base, parameters: [{ name: "token", value: "typed", sensitive: true }] };
    expect(diffFlows(base, to).parameters).toEqual([]);
    expect(diffFlows(base, { ...base, parameters: [] }).parameters).toEqual([{ name: "token", status: "removed", changes: [] }]);
    const plain = { ...base, parameters: [{ name: "region", value: "eu", sensitive: false }] };
    const d = diffFlows(plain, { ...base, parameters: [{ name: "region", value: "us", sensitive: false }] });
    expect(d.parameters).toEqual([{ name: "region", status: "changed", changes: [{ path: "value", kind: "changed", from: "eu", to: "us" }] }]);
    const nowSecret = diffFlows(plain, { ...base, parameters: [{ name: "region", value: "", sensitive: true }] }).parameters[0]!.changes;
    expect(nowSecret).toEqual([{ path: "sensitive", kind: "changed", from: false, to: true }]);
  });

  it("a changed flow default edge mode is a behaviour change; a new name is not", () => {
    const d = diffFlows(base, { ...base, settings: { defaultEdgeMode: "fused" } });
    expect(isBehaviourEqual(d)).toBe(false);
    expect(describeDiff(d)).toEqual(["flow settings"]);
    const renamed = diffFlows(base, { ...base, name: "G", description: "new" });
    expect(isBehaviourEqual(renamed)).toBe(true);
    expect(describeDiff(renamed)).toEqual(["flow name", "description"]);
    expect(formatDiff(renamed)).toBe(["flow", '  ~ name: "F" → "G"', '  ~ description: (none) → "new"'].join("\n"));
  });
});
