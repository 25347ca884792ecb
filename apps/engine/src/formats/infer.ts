/**
 * An Avro schema that the sample values fit, for a person to edit and register: records named
 * after their path, numbers `long` when every sample is whole else `double`, a field missing from
 * some samples (or null in one) optional (`["null", T]`, default null), mixed kinds a union.
 */
type Shape =
  | { kind: "null" | "boolean" | "long" | "double" | "string" }
  | { kind: "array"; items: Shape | undefined }
  | { kind: "record"; fields: Map<string, { shape: Shape; seen: number }>; samples: number }
  | { kind: "union"; of: Shape[] };

/** Samples, nesting and names looked at: enough to name every field, bounded so a huge tap cannot stall the engine. */
const MAX_SAMPLES = 1_000;
const MAX_DEPTH = 32;
const MAX_FIELDS = 2_000;

export function inferAvroSchema(values: readonly unknown[], name = "Record", namespace?: string): object {
  if (!values.length) throw new Error("no sample values to infer a schema from");
  let shape: Shape | undefined;
  for (const v of values.slice(0, MAX_SAMPLES)) shape = merge(shape, shapeOf(v, 0));
  const schema = toAvro(shape!, safeName(name), [], new Names());
  const record = isRecord(schema) ? schema : { type: "record", name: safeName(name), fields: [{ name: "value", type: schema }] };
  return namespace ? { ...record, namespace } : record;
}

function shapeOf(v: unknown, depth: number): Shape {
  if (depth > MAX_DEPTH) throw new Error(`the samples nest deeper than ${MAX_DEPTH} levels`);
  if (v === null || v === undefined) return { kind: "null" };
  if (typeof v === "boolean") return { kind: "boolean" };
  if (typeof v === "number") return { kind: Number.isInteger(v) ? "long" : "double" };
  if (typeof v === "string") return { kind: "string" };
  if (Array.isArray(v)) {
    let items: Shape | undefined;
    for (const x of v.slice(0, MAX_SAMPLES)) items = merge(items, shapeOf(x, depth + 1));
    return { kind: "array", items };
  }
  const fields = new Map<string, { shape: Shape; seen: number }>();
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_FIELDS) throw new Error(`a sample has more than ${MAX_FIELDS} fields`);
  for (const [k, x] of entries) fields.set(k, { shape: shapeOf(x, depth + 1), seen: 1 });
  return { kind: "record", fields, samples: 1 };
}

function merge(a: Shape | undefined, b: Shape): Shape {
  if (!a) return b;
  if (a.kind === "union") return addToUnion(a.of, b);
  if (b.kind === "union") return b.of.reduce<Shape>((acc, x) => merge(acc, x), a);
  if (a.kind === b.kind) {
    if (a.kind === "array" && b.kind === "array") return { kind: "array", items: b.items ? merge(a.items, b.items) : a.items };
    if (a.kind === "record" && b.kind === "record") {
      const fields = new Map(a.fields);
      for (const [k, f] of b.fields) {
        const had = fields.get(k);
        fields.set(k, had ? { shape: merge(had.shape, f.shape), seen: had.seen + f.seen } : f);
      }
      return { kind: "record", fields, samples: a.samples + b.samples };
    }
    return a;
  }
  if ((a.kind === "long" && b.kind === "double") || (a.kind === "double" && b.kind === "long")) return { kind: "double" };
  return addToUnion([a], b);
}

function addToUnion(of: Shape[], b: Shape): Shape {
  const i = of.findIndex((x) => x.kind === b.kind || (isNumber(x) && isNumber(b)));
  const next = i < 0 ? [...of, b] : of.map((x, j) => (j === i ? merge(x, b) : x));
  return next.length === 1 ? next[0]! : { kind: "union", of: next };
}

const isNumber = (s: Shape) => s.kind === "long" || s.kind === "double";

/** Unique Avro names: the next free suffix per base name, kept (no walk along taken names). */
class Names {
  private readonly next = new Map<string, number>();
  private count = 0;
  take(base: string): string {
    if (++this.count > MAX_FIELDS) throw new Error(`the samples have more than ${MAX_FIELDS} records and fields`);
    const n = this.next.get(base) ?? 0;
    this.next.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }
}

function toAvro(s: Shape, name: string, path: string[], names: Names): unknown {
  switch (s.kind) {
    case "array":
      return { type: "array", items: s.items ? toAvro(s.items, name, [...path, "item"], names) : "string" };
    case "record": {
      const recordName = names.take(path.length ? safeName(path.map(capital).join("")) : name);
      // field names cleaned to Avro's alphabet may meet (`a-b`, `a_b`): each its own name
      const fieldNames = new Names();
      const fields = [...s.fields].map(([k, f]) => {
        const optional = f.seen < s.samples;
        let type = toAvro(f.shape, name, [...path, k], names);
        const nullable = optional || (Array.isArray(type) && type.includes("null"));
        if (nullable) type = Array.isArray(type) ? ["null", ...type.filter((t) => t !== "null")] : type === "null" ? "null" : ["null", type];
        return { name: fieldNames.take(safeName(k)), type, ...(nullable ? { default: null } : {}) };
      });
      return { type: "record", name: recordName, fields };
    }
    case "union":
      return s.of.map((x) => toAvro(x, name, path, names));
    default:
      return s.kind;
  }
}

const isRecord = (x: unknown): x is object => typeof x === "object" && x !== null && !Array.isArray(x) && (x as { type?: unknown }).type === "record";

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Avro names: [A-Za-z_][A-Za-z0-9_]*. */
function safeName(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}
