/**
 * What an empty field shows in grey. A processor's example is shown here (and in its Docs tab),
 * never written into a new node's config: a value the user did not type must not run.
 */
import type { Field } from "./schemaForm";

const EXPRESSION_HINT = "JSONata, e.g. value.amount > 10";

function plain(v: unknown): string | undefined {
  if (typeof v === "string") return v === "" ? undefined : v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

/**
 * The field's own hint first, then its default (what an empty field means: the engine applies
 * it), then the example's value at the same place, marked as an example.
 */
export function placeholderFor(field: Field, example: unknown): string {
  if (field.ui.placeholder !== undefined) return field.ui.placeholder;
  const byDefault = plain(field.default);
  if (byDefault !== undefined) return field.kind === "number" ? `${byDefault} (default)` : byDefault;
  const ex = plain(example);
  if (ex !== undefined) return `e.g. ${ex}`;
  return field.kind === "string" && field.widget === "expression" ? EXPRESSION_HINT : "";
}
