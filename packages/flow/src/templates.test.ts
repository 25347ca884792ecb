import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { CatalogLike } from "./catalog-types.js";
import type { FlowDocument } from "./document.js";
import { fakeCatalog, sampleFlow, deepFreeze } from "../test-support/fake-catalog.js";
import { validateFlow } from "./validate.js";
import { canonicalJson, contentHash, stripLayout } from "./canonical.js";
import { createGroup } from "./groups.js";
import { parametersOfGroup, placeTemplate, TemplateBodySchema, TemplateError, templateFromGroup, templateUses, updateTemplateUse, type GroupTemplate } from "./templates.js";

/** The fake catalogue plus a sink with a secret-capable field. */
const catalog: CatalogLike = {
  get: (type) =>
    type === "db-sink"
      ? {
          type: "db-sink", version: 1, kind: "sink", title: "DB sink", description: "", hasInput: true,
          configSchema: z.object({ table: z.string(), url: z.string().optional().meta({ secret: true }), password: z.string().meta({ secret: true, ui: { widget: "password" } }) }),
          outputPorts: () => ["success", "failure"],
        }
      : fakeCatalog.get(type),
  list: () => fakeCatalog.list(),
};

/** sampleFlow with filter and sink grouped: the generate feeds the group from outside. */
function grouped(): FlowDocument {
  const doc = createGroup(sampleFlow(), { id: "g", name: "Big orders out", nodes: ["big", "out"] });
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === "big" ? { ...n, config: { expression: "value.amount > #{minimum}" } } : n)), parameters: [...doc.parameters, { name: "minimum", value: "5", sensitive: false }] };
}

const asTemplate = (body: ReturnType<typeof templateFromGroup>, version = 1): GroupTemplate => ({ ...body, id: "tpl-1", version });

/** An empty second flow to place templates in. */
const emptyFlow = (): FlowDocument => ({ schemaVersion: 1, id: "flow-2", name: "Other", nodes: [], edges: [], parameters: [] });

describe("templateFromGroup", () => {
  it("takes the group's nodes (positions relative), internal edges, boundary ports and parameters with defaults", () => {
    const body = templateFromGroup(deepFreeze(grouped()), "g", catalog, { name: " Big orders ", description: "filter then write" });
    expect(body.name).toBe("Big orders");
    expect(body.nodes.map((n) => [n.id, n.position])).toEqual([
      ["big", { x: 0, y: 0 }],
      ["out", { x: 200, y: 0 }],
    ]);
    expect(body.edges.map((e) => e.id)).toEqual(["e2"]);
    expect(body.inputs).toEqual([{ node: "big" }]);
    expect(body.outputs).toEqual([]);
    expect(body.parameters).toEqual([
      { name: "minimum", default: "5", sensitive: false },
      { name: "prefix", default: "prod", sensitive: false },
    ]);
    expect(parametersOfGroup(grouped(), "g").map((p) => p.name)).toEqual(["minimum", "prefix"]);
  });

  it("never copies a sensitive parameter's value, and refuses a secret field written in plain text, naming node and field", () => {
    const base = grouped();
    const withDb = (password: string): FlowDocument => ({
      ...base,
      // a secret-capable field that is no password (a URL) may hold plain text
      nodes: [...base.nodes, { id: "db", type: "db-sink", typeVersion: 1, name: "Archive", config: { table: "t", url: "https://example.com", password }, position: { x: 300, y: 100 } }],
      groups: base.groups!.map((g) => ({ ...g, nodes: [...g.nodes, "db"] })),
    });
    const body = templateFromGroup(withDb("#{password}"), "g", catalog, { name: "T" });
    expect(body.parameters.find((p) => p.name === "password")).toEqual({ name: "password", default: "", sensitive: true });
    expect(JSON.stringify(body)).not.toContain("hunter2-secret");
    expect(() => templateFromGroup(withDb("s3cret"), "g", catalog, { name: "T" })).toThrow(TemplateError);
    expect(() => templateFromGroup(withDb("s3cret"), "g", catalog, { name: "T" })).toThrow(/"Archive" at config.password/);
    expect(JSON.stringify((() => { try { templateFromGroup(withDb("s3cret"), "g", catalog, { name: "T" }); } catch (e) { return String(e); } })())).not.toContain("s3cret");
  });

  it("refuses a password field fed by a parameter that is not sensitive (its value would be the template's default)", () => {
    const base = grouped();
    const doc: FlowDocument = {
      ...base,
      nodes: [...base.nodes, { id: "db", type: "db-sink", typeVersion: 1, name: "Archive", config: { table: "t", password: "#{dbPassword}" }, position: { x: 300, y: 100 } }],
      parameters: [...base.parameters, { name: "dbPassword", value: "hunter2-in-clear", sensitive: false }],
      groups: base.groups!.map((g) => ({ ...g, nodes: [...g.nodes, "db"] })),
    };
    expect(() => templateFromGroup(doc, "g", catalog, { name: "T" })).toThrow(/"Archive" at config.password \(parameter "dbPassword" is not sensitive\)/);
    const sensitive = { ...doc, parameters: doc.parameters.map((p) => (p.name === "dbPassword" ? { ...p, sensitive: true } : p)) };
    expect(JSON.stringify(templateFromGroup(sensitive, "g", catalog, { name: "T" }))).not.toContain("hunter2-in-clear");
  });

  it("refuses an unknown or empty group and a blank name", () => {
    expect(() => templateFromGroup(grouped(), "nope", catalog, { name: "T" })).toThrow(/group "nope" does not exist/);
    expect(() => templateFromGroup(grouped(), "g", catalog, { name: "  " })).toThrow(/a template needs a name/);
  });
});

describe("placeTemplate", () => {
  const template = asTemplate(templateFromGroup(grouped(), "g", catalog, { name: "Big orders" }));

  it("copies nodes with fresh ids under a group recording the use; values substituted, defaults for the rest", () => {
    const doc = placeTemplate(deepFreeze(emptyFlow()), template, { groupId: "group-x", position: { x: 100, y: 50 }, values: { minimum: "100", unknown: "ignored" } });
    expect(doc.nodes.map((n) => [n.id, n.position])).toEqual([
      ["group-x.big", { x: 100, y: 50 }],
      ["group-x.out", { x: 300, y: 50 }],
    ]);
    expect(doc.nodes[0]!.config).toEqual({ expression: "value.amount > 100" });
    expect(doc.nodes[1]!.config).toEqual({ topic: "prod.orders", keyExpression: "key" });
    expect(doc.edges).toEqual([{ id: "group-x.e2", from: { node: "group-x.big", port: "success" }, to: { node: "group-x.out" }, settings: { mode: "durable" } }]);
    expect(doc.groups).toEqual([{ id: "group-x", name: "Big orders", nodes: ["group-x.big", "group-x.out"], template: { id: "tpl-1", version: 1, values: { minimum: "100" } } }]);
    expect(templateUses(doc)).toEqual([{ groupId: "group-x", templateId: "tpl-1", version: 1 }]);
    const r = validateFlow(doc, catalog);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.document.groups).toEqual(doc.groups);
  });

  it("a value is text: a #{ inside it is escaped, not read as a reference", () => {
    const doc = placeTemplate(emptyFlow(), template, { groupId: "g2", position: { x: 0, y: 0 }, values: { minimum: "#{other}" } });
    expect(doc.nodes[0]!.config).toEqual({ expression: "value.amount > ##{other}" });
  });

  it("never changes behaviour: the same flow built by hand has the same content hash", () => {
    const placed = placeTemplate(emptyFlow(), template, { groupId: "u", position: { x: 0, y: 0 } });
    const { groups: _g, ...byHand } = placed;
    expect(contentHash(placed)).toBe(contentHash(byHand));
    expect(stripLayout(placed)).toEqual(stripLayout(byHand));
  });

  it("leaves a sensitive parameter as a reference to the flow's own sensitive parameter, added empty when missing", () => {
    const secretTemplate: GroupTemplate = { ...template, nodes: [{ id: "db", type: "db-sink", typeVersion: 1, config: { table: "t", password: "#{dbPassword}" }, position: { x: 0, y: 0 } }], edges: [], inputs: [], outputs: [], parameters: [{ name: "dbPassword", default: "", sensitive: true }] };
    const doc = placeTemplate(emptyFlow(), secretTemplate, { groupId: "u", position: { x: 0, y: 0 }, values: { dbPassword: "leak" } });
    expect(doc.nodes[0]!.config).toEqual({ table: "t", password: "#{dbPassword}" });
    expect(doc.parameters).toEqual([{ name: "dbPassword", value: "", sensitive: true }]);
    expect(JSON.stringify(doc)).not.toContain("leak");
  });

  it("refuses a taken group id", () => {
    const once = placeTemplate(emptyFlow(), template, { groupId: "u", position: { x: 0, y: 0 } });
    expect(() => placeTemplate(once, template, { groupId: "u", position: { x: 0, y: 0 } })).toThrow(/already exists/);
  });
});

describe("documents without templates", () => {
  it("export byte for byte as before, and a group's template field round-trips through canonical export", () => {
    const plain = grouped();
    expect(canonicalJson(plain)).not.toMatch(/"template": \{/);
    const placed = placeTemplate(emptyFlow(), asTemplate(templateFromGroup(plain, "g", catalog, { name: "T" })), { groupId: "u", position: { x: 0, y: 0 }, values: { prefix: "dev" } });
    const again = validateFlow(JSON.parse(canonicalJson(placed)), catalog);
    expect(again.ok && canonicalJson(again.document)).toBe(canonicalJson(placed));
    expect(JSON.parse(canonicalJson(placed)).groups[0].template).toEqual({ id: "tpl-1", values: { prefix: "dev" }, version: 1 });
  });
});

describe("updateTemplateUse", () => {
  const v1 = asTemplate(templateFromGroup(grouped(), "g", catalog, { name: "Big orders" }));
  /** A flow with the template placed and wired from a generate outside the group, and the sink's output to a log. */
  function wiredUse(): FlowDocument {
    const doc = placeTemplate(sampleFlow(), v1, { groupId: "u", position: { x: 0, y: 300 }, values: { minimum: "50" } });
    return {
      ...doc,
      nodes: doc.nodes.map((n) => (n.id === "u.big" ? { ...n, position: { x: 7, y: 307 } } : n)),
      edges: [...doc.edges, { id: "in", from: { node: "gen", port: "success" }, to: { node: "u.big" } }, { id: "after", from: { node: "u.out", port: "failure" }, to: { node: "big" } }],
    };
  }

  it("keeps ids and places of nodes the new version keeps (outside edges stay wired), adds new ones, keeps the use's values", () => {
    const source = grouped();
    const changed: FlowDocument = {
      ...source,
      nodes: [...source.nodes.map((n) => (n.id === "out" ? { ...n, config: { topic: "#{prefix}.big", keyExpression: "key" } } : n)), { id: "extra", type: "filter", typeVersion: 2, config: { expression: "true" }, position: { x: 600, y: 0 } }],
      edges: [...source.edges, { id: "e3", from: { node: "out", port: "success" }, to: { node: "extra" } }],
      groups: source.groups!.map((g) => ({ ...g, nodes: [...g.nodes, "extra"] })),
    };
    const v2 = asTemplate(templateFromGroup(changed, "g", catalog, { name: "Big orders" }), 2);
    const { doc, droppedEdges, removedNodes } = updateTemplateUse(deepFreeze(wiredUse()), "u", v2);
    expect(droppedEdges).toEqual([]);
    expect(removedNodes).toEqual([]);
    const byId = new Map(doc.nodes.map((n) => [n.id, n]));
    expect(byId.get("u.big")!.position).toEqual({ x: 7, y: 307 });
    expect(byId.get("u.big")!.config).toEqual({ expression: "value.amount > 50" });
    expect(byId.get("u.out")!.config).toEqual({ topic: "prod.big", keyExpression: "key" });
    expect(byId.get("u.extra")!.position).toEqual({ x: 407, y: 307 }); // 400 right of the filter, as in the source
    expect(doc.edges.map((e) => e.id).sort()).toEqual(["after", "e1", "e2", "in", "u.e2", "u.e3"]);
    expect(doc.groups!.find((g) => g.id === "u")).toMatchObject({ nodes: ["u.big", "u.out", "u.extra"], template: { id: "tpl-1", version: 2, values: { minimum: "50" } } });
    expect(validateFlow(doc, catalog).ok).toBe(true);
  });

  it("reports, rather than silently drops, outside edges to nodes the new version removed", () => {
    const source = grouped();
    const withoutFilter: FlowDocument = { ...source, nodes: source.nodes.filter((n) => n.id !== "big"), edges: source.edges.filter((e) => e.id === "none"), groups: source.groups!.map((g) => ({ ...g, nodes: ["out"] })) };
    const v2 = asTemplate(templateFromGroup(withoutFilter, "g", catalog, { name: "Big orders" }), 2);
    const { doc, droppedEdges, removedNodes } = updateTemplateUse(wiredUse(), "u", v2);
    expect(removedNodes.map((n) => n.id)).toEqual(["u.big"]);
    expect(droppedEdges.map((d) => [d.edge.id, d.reason])).toEqual([["in", 'its target "Big ones" is not in version 2']]);
    expect(doc.nodes.some((n) => n.id === "u.big")).toBe(false);
    expect(validateFlow(doc, catalog).ok).toBe(true);
  });

  it("with the catalogue, reports an outside edge from an output port the new config no longer has (a renamed route)", () => {
    const routeTemplate = (name: string, version: number): GroupTemplate => ({
      id: "tpl-r", version, name: "Router", edges: [], inputs: [], outputs: [{ node: "r", port: name }], parameters: [],
      nodes: [{ id: "r", type: "route", typeVersion: 1, config: { routes: [{ name, expression: "true" }] }, position: { x: 0, y: 0 } }],
    });
    const placed = placeTemplate(sampleFlow(), routeTemplate("big", 1), { groupId: "u", position: { x: 0, y: 0 } });
    const wired = { ...placed, edges: [...placed.edges, { id: "out", from: { node: "u.r", port: "big" }, to: { node: "out" } }] };
    const renamed = updateTemplateUse(wired, "u", routeTemplate("large", 2), catalog);
    expect(renamed.droppedEdges.map((d) => [d.edge.id, d.reason])).toEqual([["out", 'output port "big" of "u.r" is not in version 2']]);
    expect(validateFlow(renamed.doc, catalog).ok).toBe(true);
    // the same port in the new config keeps the edge
    expect(updateTemplateUse(wired, "u", routeTemplate("big", 2), catalog).droppedEdges).toEqual([]);
  });

  it("a new version saved from a use gets the use's values back as references", () => {
    const use = wiredUse();
    const body = templateFromGroup(use, "u", catalog, { name: "Big orders", previous: v1 });
    expect(body.nodes.map((n) => n.id)).toEqual(["big", "out"]);
    expect(body.nodes[0]!.config).toEqual({ expression: "value.amount > #{minimum}" });
    expect(body.nodes[1]!.config).toEqual({ topic: "#{prefix}.orders", keyExpression: "key" });
    expect(body.parameters.map((p) => p.name)).toEqual(["minimum", "prefix"]);
  });

  it("refuses a group that is not a use of that template", () => {
    expect(() => updateTemplateUse(grouped(), "g", v1)).toThrow(/is not a use of template/);
  });
});

describe("templates stay valid documents", () => {
  const v1 = asTemplate(templateFromGroup(grouped(), "g", catalog, { name: "Big orders" }));

  it("updating a use whose nodes were regrouped inside it keeps every node id once", () => {
    const placed = placeTemplate(sampleFlow(), v1, { groupId: "u", position: { x: 0, y: 300 } });
    const nested = createGroup(placed, { id: "inner", name: "Inner", nodes: ["u.out"] });
    const { doc, removedNodes } = updateTemplateUse(nested, "u", { ...v1, version: 2 });
    expect(removedNodes).toEqual([]);
    const ids = doc.nodes.map((n) => n.id);
    expect(ids.length).toBe(new Set(ids).size);
    expect(validateFlow(doc, catalog).ok).toBe(true);
    expect(doc.groups!.find((g) => g.id === "inner")!.nodes).toEqual(["u.out"]);
  });

  it("refuses a template whose node ids repeat (a node added by hand with a template node's id)", () => {
    const placed = placeTemplate(sampleFlow(), v1, { groupId: "u", position: { x: 0, y: 300 } });
    // the flow's own "big" (the template's source) joins the use, where "u.big" stands for it too
    const doc: FlowDocument = { ...placed, groups: placed.groups!.map((g) => (g.id === "u" ? { ...g, nodes: [...g.nodes, "big"] } : g)) };
    expect(() => templateFromGroup(doc, "u", catalog, { name: "T", previous: v1 })).toThrow(/node id "big" appears twice/);
  });

  it("a stored body whose edges name missing nodes, or whose ids repeat, is not a template", () => {
    const body = templateFromGroup(grouped(), "g", catalog, { name: "T" });
    expect(TemplateBodySchema.safeParse({ ...body, edges: [{ ...body.edges[0]!, to: { node: "gone" } }] }).success).toBe(false);
    expect(TemplateBodySchema.safeParse({ ...body, nodes: [...body.nodes, body.nodes[0]!] }).success).toBe(false);
    expect(TemplateBodySchema.safeParse({ ...body, edges: [...body.edges, body.edges[0]!] }).success).toBe(false);
    expect(TemplateBodySchema.safeParse({ ...body, inputs: [{ node: "gone" }] }).success).toBe(false);
    expect(TemplateBodySchema.safeParse(body).success).toBe(true);
  });

  it("placing refuses an edge id the flow already has", () => {
    const filter = (id: string) => ({ id, type: "filter", typeVersion: 2, config: { expression: "true" }, position: { x: 0, y: 0 } });
    const withEdge: FlowDocument = { ...emptyFlow(), nodes: [filter("a"), filter("b")], edges: [{ id: "v.e2", from: { node: "a", port: "success" }, to: { node: "b" } }] };
    expect(() => placeTemplate(withEdge, v1, { groupId: "v", position: { x: 0, y: 0 } })).toThrow(/edge id "v.e2" is taken/);
  });
});
