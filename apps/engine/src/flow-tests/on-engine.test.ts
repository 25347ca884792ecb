import { afterAll, describe, expect, it } from "vitest";
import { validateFlow, type FlowDocument } from "@millrace/flow";
import { catalog } from "@millrace/processors";
import { closeUserCodePool } from "@millrace/processors/runtime";
import { ENGINE_CONCURRENT_RUNS, runFlowTestsOnEngine, scrubbed } from "./on-engine.js";

afterAll(() => closeUserCodePool());

const at = { x: 0, y: 0 };

/** in (kafka-source) → tag (map) → log; sensitive parameters "1", "true" and "s3cret" */
function doc(): FlowDocument {
  const r = validateFlow(
    {
      schemaVersion: 1,
      id: "secretive",
      name: "Secretive",
      nodes: [
        { id: "in", type: "kafka-source", typeVersion: 1, config: { topic: "in" }, position: at },
        { id: "tag", type: "map", typeVersion: 1, config: { expression: '{ "note": "token " & value.token, "n": value.n, "ok": true }' }, position: at },
        { id: "log", type: "log", typeVersion: 1, config: {}, position: at },
      ],
      edges: [
        { id: "e1", from: { node: "in", port: "success" }, to: { node: "tag" } },
        { id: "e2", from: { node: "tag", port: "success" }, to: { node: "log" } },
      ],
      parameters: ["1", "true", "s3cret"].map((value, i) => ({ name: `p${i}`, value, sensitive: true })),
      tests: [{ name: "echoes", inputs: { in: [{ key: "s3cret-key", value: { token: "s3cret", n: 1 } }] }, expect: { log: { count: 2 } } }],
    },
    catalog,
  );
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.document;
}

describe("flow tests on the engine", () => {
  it("no sensitive value leaves in the answer, whatever it spells: only strings are scrubbed", async () => {
    const r = await runFlowTestsOnEngine(doc(), catalog);
    const c = r.cases[0]!;
    expect(c).toMatchObject({ name: "echoes", passed: false, outputs: { log: [{ key: "***-key", value: { note: "token ***", n: 1, ok: true } }] } });
    expect(c.mismatches).toEqual([{ path: 'expect["log"].count', message: "expected 2 record(s), got ***", expected: 2, actual: 1 }]);
    expect(r).toMatchObject({ flowId: "secretive", passed: 0, failed: 1 });
    expect(JSON.stringify(r)).not.toContain("s3cret");
  });

  it("scrubs a secret that contains another whole, and leaves keys alone", () => {
    expect(scrubbed({ "ab-key": ["xabcx", "ab", 12] }, ["ab", "abc"])).toEqual({ "ab-key": ["x***x", "***", 12] });
  });

  it(`at most ${ENGINE_CONCURRENT_RUNS} runs at once: another is refused with TOO_MANY until one ends`, async () => {
    const going = Array.from({ length: ENGINE_CONCURRENT_RUNS }, () => runFlowTestsOnEngine(doc(), catalog));
    await expect(runFlowTestsOnEngine(doc(), catalog)).rejects.toMatchObject({ code: "TOO_MANY", message: expect.stringContaining(`${ENGINE_CONCURRENT_RUNS} test runs are going on this engine already`) });
    await Promise.all(going);
    await expect(runFlowTestsOnEngine(doc(), catalog)).resolves.toMatchObject({ failed: 1 });
  });
});
