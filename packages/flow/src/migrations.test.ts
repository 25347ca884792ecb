import { describe, expect, it } from "vitest";
import { formatError } from "./errors.js";
import {
  createMigrationRegistry,
  defaultMigrations,
  migrateFlow,
  registerDocumentMigration,
  registerNodeMigration,
} from "./migrations.js";
import { deepFreeze, fakeCatalog, sampleFlow } from "../test-support/fake-catalog.js";
import { validateFlow } from "./validate.js";

/** A fake v0 format: `processors` and `links` instead of nodes and edges, no positions. */
const v0 = () => ({
  schemaVersion: 0,
  id: "old",
  title: "Old flow",
  processors: [
    { id: "gen", kind: "generate", config: { count: 1, template: "$i" } },
    { id: "keep", kind: "filter", config: { expr: "true" } },
  ],
  links: [{ from: "gen", to: "keep" }],
});

const v0to1 = (doc: Record<string, unknown>) => ({
  id: doc.id,
  name: doc.title,
  nodes: (doc.processors as Array<{ id: string; kind: string; config: object }>).map((p, i) => ({
    id: p.id,
    type: p.kind,
    typeVersion: 1,
    config: p.config,
    position: { x: i * 200, y: 0 },
  })),
  edges: (doc.links as Array<{ from: string; to: string }>).map((l, i) => ({ id: `e${i}`, from: { node: l.from, port: "success" }, to: { node: l.to } })),
});

/** filter v1 called its field `expr`; v2 calls it `expression`. */
const filter1to2 = (config: Record<string, unknown>) => {
  const { expr, ...rest } = config;
  return { ...rest, expression: expr };
};

const registry = registerNodeMigration(registerDocumentMigration(createMigrationRegistry(), 0, v0to1), "filter", 1, filter1to2);

describe("migration registry", () => {
  it("is an immutable value", () => {
    const empty = createMigrationRegistry();
    const one = registerDocumentMigration(empty, 0, v0to1);
    expect(empty.document.size).toBe(0);
    expect(one.document.size).toBe(1);
    expect(defaultMigrations.document.size).toBe(0);
  });
  it("refuses double registrations and bad versions", () => {
    expect(() => registerDocumentMigration(registry, 0, v0to1)).toThrow(/already registered/);
    expect(() => registerNodeMigration(registry, "filter", 1, filter1to2)).toThrow(/already registered/);
    expect(() => registerNodeMigration(registry, "filter", 1.5, filter1to2)).toThrow(/integer/);
  });
});

describe("migrateFlow", () => {
  it("upgrades a v0 document, then filter v1 → v2, without touching the input", () => {
    const input = deepFreeze(v0());
    const r = migrateFlow(input, registry, fakeCatalog);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.applied).toEqual(["schemaVersion 0→1", "nodes[1] (filter) v1→v2"]);
    const doc = r.document as ReturnType<typeof sampleFlow>;
    expect(doc.schemaVersion).toBe(1);
    expect(doc.nodes[1]).toMatchObject({ type: "filter", typeVersion: 2, config: { expression: "true" } });
    expect(input.processors[1].config).toEqual({ expr: "true" });
  });
  it("is what validateFlow runs first", () => {
    const r = validateFlow(v0(), fakeCatalog, { migrations: registry });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.document.nodes.map((n) => `${n.type}@${n.typeVersion}`)).toEqual(["generate@1", "filter@2"]);
    // Without the registry a v0 document cannot be read.
    expect(validateFlow(v0(), fakeCatalog).ok).toBe(false);
  });
  it("leaves current documents alone", () => {
    const doc = sampleFlow();
    const r = migrateFlow(doc, registry, fakeCatalog);
    expect(r).toEqual({ ok: true, document: doc, applied: [] });
  });
  it("reports missing and failing migrations with paths", () => {
    const noPath = migrateFlow({ ...v0(), schemaVersion: -1 }, registry, fakeCatalog);
    expect(noPath.ok ? [] : noPath.errors.map(formatError)).toEqual(["schemaVersion: schemaVersion -1 cannot be upgraded (no migration from -1)"]);

    const boom = registerNodeMigration(createMigrationRegistry(), "filter", 1, () => {
      throw new Error("cannot read expr");
    });
    const old = sampleFlow();
    old.nodes[1].typeVersion = 1;
    const r = migrateFlow(old, boom, fakeCatalog);
    expect(r.ok ? [] : r.errors.map(formatError)).toEqual(['nodes[1].config: migration of "filter" v1→v2 failed: cannot read expr']);

    const returnsJunk = registerDocumentMigration(createMigrationRegistry(), 0, () => null as never);
    const j = migrateFlow(v0(), returnsJunk, fakeCatalog);
    expect(j.ok ? [] : j.errors.map(formatError)).toEqual(["migration from schemaVersion 0 returned no document"]);
  });
  it("validateFlow re-checks what a migration produced", () => {
    const sloppy = registerDocumentMigration(registerNodeMigration(createMigrationRegistry(), "filter", 1, filter1to2), 0, (d) => ({ ...v0to1(d), name: () => "not JSON" }));
    expect(validateFlow(v0(), fakeCatalog, { migrations: sloppy })).toMatchObject({ ok: false, errors: [{ path: "name" }] });
  });
  it("passes non-documents through for validation to report", () => {
    expect(migrateFlow(42, registry, fakeCatalog)).toEqual({ ok: true, document: 42, applied: [] });
    expect(migrateFlow({ schemaVersion: 1, nodes: "x" }, registry, fakeCatalog).ok).toBe(true);
  });
});
