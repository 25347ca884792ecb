import { describe, expect, it } from "vitest";
import { catalog } from "@millrace/processors";
import { fieldsFromZod, getAt, type Field } from "./schemaForm";
import { placeholderFor } from "./placeholder";

const specOf = (type: string) => catalog.get(type)!;
const field = (type: string, key: string): Field => fieldsFromZod(specOf(type).configSchema).find((f) => f.key === key)!;
const shown = (type: string, key: string) => placeholderFor(field(type, key), getAt(specOf(type).example, [key]));

describe("an empty field's placeholder", () => {
  it("shows the example's value as an example where the field has no hint nor default", () => {
    const bare: Field = { kind: "string", key: "table", label: "Table", required: true, nullable: false, ui: {}, widget: "text" };
    expect(placeholderFor(bare, "customers")).toBe("e.g. customers");
    expect(placeholderFor(bare, undefined)).toBe("");
    expect(placeholderFor({ ...bare, widget: "expression" }, undefined)).toMatch(/^JSONata, e\.g\. /);
  });
  it("shows a default as what an empty field means, a number's marked as the default", () => {
    expect(shown("generate", "ratePerSec")).toBe("1000 (default)");
    expect(shown("generate", "count")).toBe("10 (default)");
  });
  it("keeps a field's own hint", () => {
    expect(shown("generate", "template")).toBe('{ "id": $i, "amount": $i * 10 }');
    expect(shown("kafka-sink", "topic")).toBe("orders-enriched");
  });
});
