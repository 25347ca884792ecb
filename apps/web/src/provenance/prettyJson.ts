/**
 * JSON for people: indented like JSON.stringify(v, null, 2), but a nested array or object that
 * fits on one short line stays on one line (`"items": [1, 2, 3]`), so a record reads at a glance.
 */
export function prettyJson(value: unknown, width = 56): string {
  return fmt(value, "", width, true);
}

/** JSON on one line with a space after each comma and colon (it wraps between values, not inside them). */
export function oneLineJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") return oneLineJson(JSON.parse(JSON.stringify(v)));
  if (Array.isArray(v)) return `[${v.map(oneLineJson).join(", ")}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  return entries.length ? `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${oneLineJson(x)}`).join(", ")} }` : "{}";
}

/** `lead`: characters before the value on its line (indent, key). */
function fmt(v: unknown, indent: string, width: number, top: boolean, lead = indent.length): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") return fmt(JSON.parse(JSON.stringify(v)), indent, width, top, lead);
  if (!top) {
    const one = oneLineJson(v);
    if (one.length + lead <= width) return one;
  }
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    if (!v.length) return "[]";
    return `[\n${v.map((x) => inner + fmt(x, inner, width, false)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  if (!entries.length) return "{}";
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${fmt(x, inner, width, false, inner.length + JSON.stringify(k).length + 2)}`).join(",\n")}\n${indent}}`;
}
