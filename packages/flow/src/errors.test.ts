import { describe, expect, it } from "vitest";
import { formatError, formatPath, truncate } from "./errors.js";

describe("formatPath", () => {
  it("writes JSON paths the way users read them", () => {
    expect(formatPath(["nodes", 3, "config", "topic"])).toBe("nodes[3].config.topic");
    expect(formatPath([])).toBe("");
    expect(formatPath([0, "a"])).toBe("[0].a");
    expect(formatPath(["config", "a b", "x-y"])).toBe('config["a b"]["x-y"]');
    expect(formatPath(["__proto__"])).toBe("__proto__");
  });
  it("cuts absurdly long keys", () => {
    const p = formatPath(["config", "k".repeat(1_000_000)]);
    expect(p.length).toBeLessThan(200);
    expect(p).toContain("1000000 chars");
  });
});

describe("formatError", () => {
  it("prefixes the path, leaves root errors bare, marks warnings", () => {
    expect(formatError({ path: "nodes[3].config.topic", message: "required" })).toBe("nodes[3].config.topic: required");
    expect(formatError({ path: "", message: "expected a flow document" })).toBe("expected a flow document");
    expect(formatError({ path: "nodes[1]", message: "no input", severity: "warning" })).toBe("warning: nodes[1]: no input");
  });
  it("truncate keeps short text", () => {
    expect(truncate("abc")).toBe("abc");
  });
});
