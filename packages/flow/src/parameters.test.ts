import { describe, expect, it } from "vitest";
import { findParameterReferences, redactSensitive, referencesIn, restoreSensitive, substituteParameters } from "./parameters.js";
import { deepFreeze, sampleFlow } from "../test-support/fake-catalog.js";

const params = [
  { name: "host", value: "db.local", sensitive: false },
  { name: "pw", value: "s3cr3t", sensitive: true },
  { name: "a.b-c_1", value: "X", sensitive: false },
];

describe("references", () => {
  it("finds #{name} and skips the ##{ escape and malformed ones", () => {
    expect(referencesIn("#{host}:#{a.b-c_1} ##{host} #{ host } #{} #{1x}")).toEqual(["host", "a.b-c_1"]);
    expect(referencesIn("no refs")).toEqual([]);
  });
  it("lists paths of references in nested configs, not in keys", () => {
    expect(findParameterReferences({ "#{k}": 1, url: "http://#{host}", list: [{ q: "#{pw}" }], n: 3 })).toEqual([
      { path: ["url"], name: "host" },
      { path: ["list", 0, "q"], name: "pw" },
    ]);
  });
});

describe("substituteParameters", () => {
  it("replaces in every string, deep, without mutating", () => {
    const config = deepFreeze({ url: "postgres://u:#{pw}@#{host}/db", cols: { a: "#{a.b-c_1}", n: 1, on: true, nil: null }, list: ["#{host}", 2] });
    expect(substituteParameters(config, params)).toEqual({
      url: "postgres://u:s3cr3t@db.local/db",
      cols: { a: "X", n: 1, on: true, nil: null },
      list: ["db.local", 2],
    });
  });
  it("keeps unknown references, unescapes ##{, and keeps __proto__ a plain key", () => {
    expect(substituteParameters("#{nope} ##{host} #{host}", params)).toBe("#{nope} #{host} db.local");
    const out = substituteParameters(JSON.parse('{"__proto__":{"x":"#{host}"}}'), params) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toEqual({ x: "db.local" });
  });
  it("does not expand a value that itself looks like a reference", () => {
    expect(substituteParameters("#{a}", [{ name: "a", value: "#{b}", sensitive: false }, { name: "b", value: "no", sensitive: false }])).toBe("#{b}");
  });
});

describe("sensitive values", () => {
  it("redactSensitive blanks only sensitive values and copies", () => {
    const doc = deepFreeze(sampleFlow());
    const red = redactSensitive(doc);
    expect(red.parameters).toEqual([
      { name: "prefix", value: "prod", sensitive: false },
      { name: "password", value: "", sensitive: true },
    ]);
    expect(JSON.stringify(red)).not.toContain("hunter2");
    expect(doc.parameters[1].value).toBe("hunter2-secret");
  });
  it("restoreSensitive puts back secrets the browser never saw", () => {
    const stored = sampleFlow();
    const edited = redactSensitive(stored);
    edited.parameters.push({ name: "newpw", value: "", sensitive: true });
    const restored = restoreSensitive(edited, stored);
    expect(restored.parameters.map((p) => p.value)).toEqual(["prod", "hunter2-secret", ""]);
    // A value typed in the browser wins over the stored one.
    edited.parameters[1] = { ...edited.parameters[1], value: "rotated" };
    expect(restoreSensitive(edited, stored).parameters[1].value).toBe("rotated");
  });
});
