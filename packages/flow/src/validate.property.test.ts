import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, contentHash, documentHash } from "./canonical.js";
import { FlowDocumentSchema } from "./document.js";
import { parseFlowJson } from "./json-parse.js";
import { fakeCatalog, sampleFlow } from "../test-support/fake-catalog.js";
import { validateFlow, validateForDeploy, type ValidationResult } from "./validate.js";

/**
 * Property tests: whatever comes in, validateFlow returns (never throws), and what it returns
 * is well formed: either a document that passes the schema again, or errors each with a path
 * (possibly "" for the root) and a message.
 */

type Json = unknown;

/** FLOW_PROPERTY_RUNS=20000 for a longer hunt; the default keeps the unit suite fast. */
const scale = Math.max(1, Number(process.env.FLOW_PROPERTY_RUNS ?? 1500) / 1500);
const runs = (n: number) => Math.round(n * scale);

/** Paths to values inside `root`, root included; not below depth 8 (a 12,000-deep junk value stays one target). */
function paths(root: Json): (string | number)[][] {
  const out: (string | number)[][] = [[]];
  const walk = (v: Json, p: (string | number)[]) => {
    if (p.length >= 8) return;
    if (Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype) v.forEach((x, i) => (out.push([...p, i]), walk(x, [...p, i])));
    else if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) for (const [k, x] of Object.entries(v)) {
      out.push([...p, k]);
      walk(x, [...p, k]);
    }
  };
  walk(root, []);
  return out;
}

function deepNest(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { n: v };
  return v;
}

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 3, withBigInt: true, withNullPrototype: true, withObjectString: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withSparseArray: true, withTypedArray: true, withUnicodeString: true }),
  fc.constantFrom<unknown>(undefined, null, NaN, Infinity, -0, 1n, () => 1, Symbol("s"), "", "#{missing}", "success", "failure", "gen", "big", "out", 0, 1, 2, -1, 1.5, [], {}),
  fc.integer({ min: 0, max: 12_000 }).map((d) => deepNest(d, "x")),
  fc.constant(null).map(() => JSON.parse('{"__proto__":{"polluted":true},"x":1}')),
  fc.string({ maxLength: 20 }).map((s) => `#{${s}}`),
);

type Op =
  | { kind: "drop"; at: number }
  | { kind: "rename"; at: number; name: string }
  | { kind: "replace"; at: number; value: unknown }
  | { kind: "add"; at: number; key: string; value: unknown }
  | { kind: "duplicate"; at: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("drop" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("rename" as const), at: fc.nat(), name: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "prototype", "id", "type", "port")) }),
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), value: junk }),
  fc.record({ kind: fc.constant("add" as const), at: fc.nat(), key: fc.oneof(fc.string({ maxLength: 8 }), fc.constant("__proto__")), value: junk }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat() }),
);

/** Applies one mutation in place; keys are set with defineProperty so `__proto__` is a real own key. */
function mutate(doc: Json, m: Op): Json {
  try {
    return mutateUnsafe(doc, m);
  } catch {
    return doc; // the test's own mutation failed on an exotic value (typed array, frozen...): keep the doc
  }
}

function mutateUnsafe(doc: Json, m: Op): Json {
  const all = paths(doc);
  const path = all[m.at % all.length];
  if (path.length === 0) return m.kind === "replace" ? m.value : doc;
  const parent = path.slice(0, -1).reduce<any>((v, k) => v[k], doc);
  const key = path[path.length - 1];
  const set = (obj: any, k: string | number, v: unknown) => Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  switch (m.kind) {
    case "drop":
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case "rename":
      if (!Array.isArray(parent)) {
        const v = parent[key];
        delete parent[key];
        set(parent, m.name, v);
      }
      break;
    case "replace":
      set(parent, key, m.value);
      break;
    case "add": {
      const target = parent[key];
      if (Array.isArray(target) && Object.getPrototypeOf(target) === Array.prototype) target.push(m.value);
      else if (typeof target === "object" && target !== null && Object.getPrototypeOf(target) === Object.prototype) set(target, m.key, m.value);
      break;
    }
    case "duplicate":
      if (Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
      break;
  }
  return doc;
}

function checkResult(r: ValidationResult): void {
  expect(typeof r.ok).toBe("boolean");
  if (r.ok) {
    expect(FlowDocumentSchema.safeParse(r.document).success).toBe(true);
    // What passed once passes again, unchanged.
    const again = validateFlow(r.document, fakeCatalog);
    expect(again.ok).toBe(true);
    if (again.ok) expect(again.document).toEqual(r.document);
  } else {
    expect(r.errors.length).toBeGreaterThan(0);
    for (const e of r.errors) {
      expect(typeof e.path).toBe("string");
      expect(typeof e.message).toBe("string");
      expect(e.message.length).toBeGreaterThan(0);
      expect(e.message.length).toBeLessThan(2000);
      expect(e.message).not.toContain("hunter2-secret");
    }
  }
  for (const w of r.warnings) expect(w.severity).toBe("warning");
}

const notPolluted = () => {
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted")).toBe(false);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
};

describe("validateFlow never throws (property)", () => {
  it("on 1,500 mutated documents (1-4 mutations each)", () => {
    let valid = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 4 }), fc.boolean(), (ops, deploy) => {
        let doc: Json = structuredClone(sampleFlow());
        for (const m of ops) doc = mutate(doc, m);
        const r = deploy ? validateForDeploy(doc, fakeCatalog) : validateFlow(doc, fakeCatalog);
        checkResult(r);
        if (r.ok) valid++;
      }),
      { numRuns: runs(1500) },
    );
    notPolluted();
    // Sanity: the generator is not so destructive that nothing ever passes.
    expect(valid).toBeGreaterThan(0);
    expect(valid).toBeLessThan(runs(1500));
  });

  it("on 1,000 arbitrary values", () => {
    fc.assert(
      fc.property(junk, (input) => checkResult(validateFlow(input, fakeCatalog))),
      { numRuns: runs(1000) },
    );
    notPolluted();
  });

  it("on 500 texts made from mutated documents, cut or corrupted", () => {
    fc.assert(
      fc.property(op, fc.nat(), fc.string({ maxLength: 3 }), (m, cut, insert) => {
        const doc = mutate(structuredClone(sampleFlow()), m);
        let text: string;
        try {
          text = JSON.stringify(doc) ?? "";
        } catch {
          text = "{";
        }
        const at = cut % (text.length + 1);
        const corrupted = text.slice(0, at) + insert + text.slice(at);
        checkResult(parseFlowJson(corrupted, fakeCatalog));
      }),
      { numRuns: runs(500) },
    );
    notPolluted();
  });
});

describe("canonical form (property)", () => {
  it("hashes do not depend on array order or key order", () => {
    fc.assert(
      fc.property(fc.infiniteStream(fc.nat()), (rand) => {
        const base = sampleFlow();
        base.nodes.push({ id: "extra", type: "filter", typeVersion: 2, config: { expression: "x", b: 1, a: [2, 1] }, position: { x: 1, y: 2 } });
        const shuffle = <T,>(xs: T[]) => {
          const out = [...xs];
          for (let i = out.length - 1; i > 0; i--) {
            const j = rand.next().value % (i + 1);
            [out[i], out[j]] = [out[j], out[i]];
          }
          return out;
        };
        const other = {
          ...base,
          nodes: shuffle(base.nodes).map((n) => ({ ...n, config: Object.fromEntries(shuffle(Object.entries(n.config))) })),
          edges: shuffle(base.edges),
          parameters: shuffle(base.parameters),
        };
        expect(canonicalJson(other)).toBe(canonicalJson(base));
        expect(contentHash(other)).toBe(contentHash(base));
        expect(documentHash(other)).toBe(documentHash(base));
      }),
      { numRuns: 200 },
    );
  });
});
