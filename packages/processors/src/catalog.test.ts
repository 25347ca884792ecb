import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { catalog, catalogJson, specs } from "./index.js";
import { implementations } from "./runtime.js";

const CONTRACT: Record<string, { kind: string; fields: string[]; ports: string[] }> = {
  generate: { kind: "source", fields: ["count", "ratePerSec", "template"], ports: ["success"] },
  "kafka-source": { kind: "source", fields: ["topic", "fromBeginning", "principalHeader", "principal"], ports: ["success"] },
  "http-listen": { kind: "source", fields: ["path", "auth", "header", "key", "secret", "principal"], ports: ["success"] },
  "postgres-poll": { kind: "source", fields: ["query", "intervalMs", "incrementingColumn"], ports: ["success"] },
  "postgres-cdc": { kind: "source", fields: ["tables", "snapshot", "envelope", "publication"], ports: ["success"] },
  "file-source": { kind: "source", fields: ["path", "format", "fromBeginning", "maxLineBytes"], ports: ["success", "failure"] },
  filter: { kind: "transform", fields: ["expression"], ports: ["success", "failure"] },
  map: { kind: "transform", fields: ["expression"], ports: ["success", "failure"] },
  "flat-map": { kind: "transform", fields: ["expression"], ports: ["success", "failure"] },
  route: { kind: "transform", fields: ["routes"], ports: ["big", "small", "unmatched", "failure"] },
  "set-headers": { kind: "transform", fields: ["headers"], ports: ["success", "failure"] },
  "set-key": { kind: "transform", fields: ["expression"], ports: ["success", "failure"] },
  javascript: { kind: "transform", fields: ["code"], ports: ["success", "failure"] },
  "kafka-sink": { kind: "sink", fields: ["topic", "keyExpression"], ports: ["success", "failure"] },
  "postgres-sink": { kind: "sink", fields: ["table", "mode", "columns"], ports: ["success", "failure"] },
  "http-request": { kind: "transform", fields: ["url", "method"], ports: ["success", "failure"] },
  "file-sink": { kind: "sink", fields: ["path", "format", "rollBytes", "rollEvery", "keepFiles"], ports: ["success", "failure"] },
  log: { kind: "sink", fields: [], ports: [] },
  table: { kind: "transform", fields: ["key"], ports: ["success", "failure"] },
  join: { kind: "transform", fields: ["table", "topic", "key", "type", "merge"], ports: ["success", "failure"] },
  aggregate: { kind: "transform", fields: ["groupBy", "op", "value", "initial", "reduce"], ports: ["success", "failure"] },
  "kafka-mirror": { kind: "source", fields: ["from", "to", "topics", "prefix", "syncGroupOffsets", "groups", "sourceAlias"], ports: [] },
};

describe("catalog", () => {
  it("has every contract type with its kind, key fields and ports", () => {
    expect(specs.map((s) => s.type).sort()).toEqual(Object.keys(CONTRACT).sort());
    for (const [type, c] of Object.entries(CONTRACT)) {
      const s = catalog.get(type)!;
      expect(s.kind, type).toBe(c.kind);
      expect(s.hasInput, type).toBe(c.kind !== "source");
      const json = catalogJson().find((e) => e.type === type)!;
      const props = Object.keys((json.configSchema as { properties: object }).properties);
      for (const f of c.fields) expect(props, `${type}.${f}`).toContain(f);
      expect(s.outputPorts(s.example), type).toEqual(c.ports);
    }
    expect(catalog.list()).toHaveLength(Object.keys(CONTRACT).length);
    expect(catalog.get("nope")).toBeUndefined();
  });
  it("every type has its own folder named after it, with spec.ts and impl.ts", () => {
    const here = dirname(fileURLToPath(import.meta.url));
    for (const s of specs) for (const file of ["spec.ts", "impl.ts"]) expect(existsSync(resolve(here, "catalog", s.type, file)), `${s.type}/${file}`).toBe(true);
  });
  it("every example validates and every type has an implementation and docs", () => {
    for (const s of specs) {
      expect(s.configSchema.safeParse(s.example).success, s.type).toBe(true);
      expect(implementations[s.type]?.type, s.type).toBe(s.type);
      expect(s.docs.length, s.type).toBeGreaterThan(80);
      expect(s.version).toBe(1);
    }
  });
  it("catalogJson is plain JSON with UI hints", () => {
    const j = catalogJson();
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
    const filter = j.find((e) => e.type === "filter")!;
    const expr = (filter.configSchema as any).properties.expression;
    expect(expr.ui.widget).toBe("expression");
    expect(expr.description).toMatch(/Keeps a record/);
    expect(j.find((e) => e.type === "kafka-sink")!.externalTopic).toBe(true);
    expect(catalog.get("kafka-sink")!.externalTopic!({ topic: "out" })).toBe("out");
    expect(catalog.get("kafka-source")!.externalTopic!({ topic: "in", fromBeginning: true })).toBe("in");
  });
  it("specs declare what the engine and the designer act on: dynamic ports (route), ingress (http-listen), forks (flat-map)", () => {
    const j = catalogJson();
    expect(j.filter((e) => e.dynamicPorts).map((e) => e.type)).toEqual(["route", "aggregate"]);
    expect(specs.filter((s) => s.ingress).map((s) => s.type)).toEqual(["http-listen"]);
    expect(specs.filter((s) => s.forks).map((s) => s.type)).toEqual(["flat-map"]);
    expect(catalog.get("http-listen")!.ingress!({ path: "/orders", maxPending: 10 })).toEqual({ path: "/orders" });
  });
  it("the browser entry reaches no node-only module", () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const seen = new Set<string>();
    const bad: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, "utf8");
      for (const m of src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)) {
        const spec = m[1];
        if (/^(node:|pg$|quickjs|fs$|net$|http$)/.test(spec)) bad.push(`${file}: ${spec}`);
        if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      }
    };
    visit(resolve(here, "index.ts"));
    expect(bad).toEqual([]);
    expect(seen.size).toBeGreaterThan(15);
  });
  it("rejects bad configs with useful, path-named messages", () => {
    const msg = (type: string, config: unknown) => {
      const r = catalog.get(type)!.configSchema.safeParse(config);
      expect(r.success, type).toBe(false);
      return r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n");
    };
    expect(msg("filter", {})).toMatch(/expression: an expression \(text\) is required/);
    expect(msg("filter", { expression: "value.a >" })).toMatch(/expression: invalid expression: .*position/);
    expect(msg("filter", { expression: "true", extra: 1 })).toMatch(/extra/);
    expect(msg("generate", { template: "1", count: -1 })).toMatch(/count: count must be 0/);
    expect(msg("route", { routes: [] })).toMatch(/routes: add at least one route/);
    expect(msg("route", { routes: [{ name: "a", expression: "true" }, { name: "a", expression: "true" }] })).toMatch(/routes.1.name: duplicate route name 'a'/);
    expect(msg("route", { routes: [{ name: "failure", expression: "true" }] })).toMatch(/built-in/);
    expect(msg("kafka-sink", { topic: "bad topic!" })).toMatch(/topic: a topic name/);
    expect(msg("set-headers", { headers: { "mr.id": "1" } })).toMatch(/reserved/);
    expect(msg("postgres-sink", { connectionString: "#{db}", table: "t", mode: "upsert", columns: { a: "value.a" } })).toMatch(/keyColumns: an upsert needs keyColumns/);
    expect(msg("postgres-sink", { connectionString: "#{db}", table: "t", mode: "upsert", keyColumns: ["id"], columns: { a: "value.a" } })).toMatch(/keyColumns.0: key column 'id'/);
    expect(msg("postgres-sink", { connectionString: "mysql://secret@x", table: "t", columns: { a: "1" } })).not.toMatch(/secret/);
    expect(msg("postgres-poll", { connectionString: "#{db}", query: "DELETE FROM t" })).toMatch(/query: the query must be a SELECT/);
    expect(msg("http-request", { url: "ftp://x" })).toMatch(/url: the url must start with http/);
    expect(msg("http-request", { url: "http://x", method: "GET", body: "value" })).toMatch(/body: a GET request has no body/);
    expect(msg("javascript", { code: "" })).toMatch(/code: the code is empty/);
    expect(msg("http-listen", { path: "orders" })).toMatch(/path: a path starts with/);
    expect(msg("http-listen", { path: "/o", auth: "api-key", principal: "svc" })).toMatch(/key: auth api-key needs the key/);
    expect(msg("http-listen", { path: "/o", auth: "hmac", secret: "#{s}" })).toMatch(/principal: auth hmac needs a principal/);
    expect(msg("http-listen", { path: "/o", auth: "basic" })).toMatch(/auth: auth is one of none, token, api-key, hmac/);
  });
  it("accepts #{parameter} references in topics and connection strings", () => {
    expect(catalog.get("kafka-sink")!.configSchema.safeParse({ topic: "#{env}.orders" }).success).toBe(true);
    expect(catalog.get("postgres-poll")!.configSchema.safeParse({ connectionString: "#{db.url}", query: "select 1" }).success).toBe(true);
  });
});
