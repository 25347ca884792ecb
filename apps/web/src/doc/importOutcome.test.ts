import { describe, expect, it } from "vitest";
import { describeOutcome, fileIdentity, importOutcome } from "./importOutcome";

const file = (id: string, name = "Orders") => JSON.stringify({ schemaVersion: 1, id, name, nodes: [], edges: [] });
const stored = [{ id: "orders", name: "Orders (stored)", latestVersion: 3 }];

describe("what an import will do, said before it is confirmed", () => {
  it("an unused id: a new flow with that id", () => {
    const o = importOutcome(file("fresh"), false, stored);
    expect(o).toEqual({ kind: "new", id: "fresh", name: "Orders" });
    expect(describeOutcome(o)).toBe("Imports a new flow “Orders” with the id fresh.");
  });
  it("an id that exists: the next version of that flow, unless a copy is asked for", () => {
    const o = importOutcome(file("orders"), false, stored);
    expect(o).toMatchObject({ kind: "new-version", version: 4 });
    expect(describeOutcome(o)).toMatch(/^A flow with the id orders exists \(“Orders \(stored\)”, v3\): importing saves this file as its version 4/);
    const copy = importOutcome(file("orders"), true, stored);
    expect(copy).toMatchObject({ kind: "copy", name: "Orders (copy)" });
    expect(describeOutcome(copy)).toBe("Imports a new flow “Orders (copy)” with a new id; the flow orders stays as it is.");
    expect(describeOutcome(importOutcome(file("fresh"), true, stored))).toBe("Imports a new flow “Orders (copy)” with a new id.");
  });
  it("says nothing of text that is not a flow file yet", () => {
    expect(importOutcome("{ \"id\": ", false, stored)).toEqual({ kind: "unknown" });
    expect(fileIdentity("[]")).toBeNull();
    expect(fileIdentity('{"id": 3}')).toBeNull();
    expect(fileIdentity('{"id": "x"}')).toEqual({ id: "x", name: "x" });
  });
});
