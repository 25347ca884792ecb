import { z } from "zod";
import type { PathSegment } from "./errors.js";

/**
 * Secret-capable config fields: a processor marks a field `.meta({ secret: true })` in its zod
 * config schema (passwords, tokens, connection strings). The mark is read from the schema's JSON
 * Schema (where the designer sees it too), so there is one declaration. A mark covers the field
 * and everything inside it (a record of header values).
 */

/** A path in a config; "*" stands for any key of a record or any index of an array. */
export type SecretFieldPattern = (string | "*")[];

type JsonSchemaNode = {
  secret?: unknown;
  ui?: { widget?: unknown };
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: JsonSchemaNode | boolean;
  items?: JsonSchemaNode | JsonSchemaNode[];
  prefixItems?: JsonSchemaNode[];
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  allOf?: JsonSchemaNode[];
  $ref?: string;
  $defs?: Record<string, JsonSchemaNode>;
};

/**
 * "capable": every field a sensitive parameter may be used in. "hidden": those of them shown as a
 * password (a key, a connection string), whose text is a secret itself; a URL or headers may
 * carry one but are usually plain text.
 */
export type SecretFieldKind = "capable" | "hidden";

const caches: Record<SecretFieldKind, WeakMap<z.ZodType, SecretFieldPattern[]>> = { capable: new WeakMap(), hidden: new WeakMap() };

/** The secret-capable fields of a config schema (cached per schema), or only the hidden ones. */
export function secretFields(schema: z.ZodType, kind: SecretFieldKind = "capable"): SecretFieldPattern[] {
  const cache = caches[kind];
  let found = cache.get(schema);
  if (found) return found;
  found = [];
  let root: JsonSchemaNode;
  try {
    root = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchemaNode;
  } catch {
    root = {};
  }
  const seen = new Set<JsonSchemaNode>();
  const walk = (node: JsonSchemaNode | boolean | undefined, path: SecretFieldPattern) => {
    if (typeof node !== "object" || node === null || seen.has(node)) return;
    if (node.secret === true) {
      if (kind === "capable" || node.ui?.widget === "password") found!.push(path);
      return;
    }
    seen.add(node);
    if (node.$ref?.startsWith("#/$defs/")) walk(root.$defs?.[node.$ref.slice("#/$defs/".length)], path);
    for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, [...path, k]);
    if (typeof node.additionalProperties === "object") walk(node.additionalProperties, [...path, "*"]);
    for (const item of [node.items ?? [], node.prefixItems ?? []].flat()) walk(item, [...path, "*"]);
    for (const alt of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) walk(alt, path);
    seen.delete(node);
  };
  walk(root, []);
  cache.set(schema, found);
  return found;
}

/** Whether a config path lies in (or is) one of the secret-capable fields. */
export function inSecretField(path: readonly PathSegment[], fields: readonly SecretFieldPattern[]): boolean {
  return fields.some((f) => f.length <= path.length && f.every((seg, i) => seg === "*" || seg === String(path[i])));
}

export function describeSecretFields(fields: readonly SecretFieldPattern[]): string {
  return fields.map((f) => f.join(".")).join(", ");
}
