import { describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { caseFromTap, freeCaseName, newCase, parseCase, type TappedRecord } from "./cases";

const at = { x: 0, y: 0 };
const doc: FlowDocument = {
  schemaVersion: 1,
  id: "f",
  name: "F",
  nodes: [
    { id: "gen", type: "generate", typeVersion: 1, config: {}, position: at },
    { id: "keep", type: "filter", typeVersion: 1, config: {}, position: at },
  ],
  edges: [{ id: "e1", from: { node: "gen", port: "success" }, to: { node: "keep" } }],
  parameters: [],
  tests: [{ name: "new case", inputs: {} }],
};
const isSource = (type: string) => type === "generate";

describe("designer test cases", () => {
  it("a new case feeds the first source and expects one record from the node it feeds, under a free name", () => {
    expect(newCase(doc, isSource)).toEqual({ name: "new case (2)", inputs: { gen: [{ value: { example: 1 } }] }, expect: { keep: { count: 1 } } });
    expect(freeCaseName([], "a")).toBe("a");
  });

  it("tapped records leaving a source become inputs, oldest first, with their timestamps, without the runtime's headers", () => {
    const tapped: TappedRecord[] = [
      { key: "b", value: { n: 2 }, headers: { "mr.id": "x2", tenant: "t" }, timestamp: 20 },
      { key: null, value: { n: 1 }, headers: { "mr.id": "x1" }, timestamp: 10 },
    ];
    expect(caseFromTap(doc, { node: "gen", port: "success" }, tapped, isSource)).toEqual({
      name: "tapped at gen.success",
      inputs: { gen: [{ value: { n: 1 }, timestamp: 10 }, { key: "b", value: { n: 2 }, headers: { tenant: "t" }, timestamp: 20 }] },
      expect: {},
    });
  });

  it("tapped records leaving another node become what its port is expected to send", () => {
    const sameMs = [{ value: 3, timestamp: 1 }, { value: 2, timestamp: 1 }, { value: 1, timestamp: 1 }];
    expect(caseFromTap(doc, { node: "keep", port: "success" }, sameMs, isSource)).toEqual({
      name: "tapped at keep.success",
      inputs: {},
      expect: { "keep.success": { records: [{ value: 1, timestamp: 1 }, { value: 2, timestamp: 1 }, { value: 3, timestamp: 1 }] } },
    });
  });

  it("an edited case's JSON text is read back, or refused with path-named reasons", () => {
    expect(parseCase('{"name":"a","inputs":{}}')).toEqual({ ok: true, value: { name: "a", inputs: {} } });
    expect(parseCase('{"inputs":{}}')).toEqual({ ok: false, errors: ["name: required"] });
    expect(parseCase("{")).toMatchObject({ ok: false, errors: [expect.stringMatching(/^not JSON/)] });
  });
});
