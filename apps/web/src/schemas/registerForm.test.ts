import { describe, expect, it } from "vitest";
import { checkBlockedReason, checkHeadline, registerBlockedReason } from "./registerForm";

const schema = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}';
const compatible = { compatible: true, messages: [] };

describe("checkBlockedReason", () => {
  it("needs a subject name and text that parses", () => {
    expect(checkBlockedReason("orders-value", schema)).toBe("");
    expect(checkBlockedReason("", schema)).toMatch(/Name the subject/);
    expect(checkBlockedReason("orders-value", "")).toMatch(/Avro schema/);
    expect(checkBlockedReason("orders-value", "{")).toMatch(/^Not valid JSON/);
  });
});

describe("registerBlockedReason", () => {
  it("waits for a check of exactly this text and subject, and a compatible answer", () => {
    expect(registerBlockedReason("orders-value", schema, undefined)).toMatch(/Check compatibility first/);
    expect(registerBlockedReason("orders-value", schema, { subject: "orders-value", text: schema, result: compatible })).toBe("");
    // edited after the check: checked again first
    expect(registerBlockedReason("orders-value", `${schema} `, { subject: "orders-value", text: schema, result: compatible })).toMatch(/Check compatibility first/);
    expect(registerBlockedReason("payments-value", schema, { subject: "orders-value", text: schema, result: compatible })).toMatch(/Check compatibility first/);
    const refused = { subject: "orders-value", text: schema, result: { compatible: false, messages: ["reader field 'email' has no default"] } };
    expect(registerBlockedReason("orders-value", schema, refused)).toMatch(/refuses this version/);
  });

  it("says what is wrong with the input before anything about checking", () => {
    expect(registerBlockedReason("", schema, undefined)).toMatch(/Name the subject/);
    expect(registerBlockedReason("orders-value", "nope", undefined)).toMatch(/^Not valid JSON/);
  });
});

describe("checkHeadline", () => {
  it("says the outcome with the subject's level", () => {
    expect(checkHeadline({ ...compatible, compatibility: "BACKWARD" }, false)).toBe("✓ Compatible (BACKWARD): it can be registered");
    expect(checkHeadline({ compatible: false, messages: ["x"], compatibility: "FULL" }, false)).toBe("✕ Not compatible (FULL)");
    expect(checkHeadline(compatible, false)).toBe("✓ Compatible: it can be registered");
    expect(checkHeadline(compatible, true)).toMatch(/new subject/);
  });
});
