import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort } from "@millrace/testkit";
import type { FlowDocument, TestCase } from "@millrace/flow";
import { startEngine, type RunningEngine } from "../engine.js";
import { appRouter } from "../api/router.js";
import { createCallerFactory } from "../api/trpc.js";
import { ADMIN } from "../../test-support/index.js";

const at = { x: 0, y: 0 };
const makeCaller = createCallerFactory(appRouter);

function doc(tests: TestCase[]): FlowDocument {
  return {
    schemaVersion: 1,
    id: "tested",
    name: "Tested",
    nodes: [
      { id: "in", type: "http-listen", typeVersion: 1, config: { path: "/orders" }, position: at },
      { id: "total", type: "map", typeVersion: 1, config: { expression: "value.price * value.qty" }, position: at },
      { id: "log", type: "log", typeVersion: 1, config: {}, position: at },
    ],
    edges: [
      { id: "e1", from: { node: "in", port: "success" }, to: { node: "total" } },
      { id: "e2", from: { node: "total", port: "success" }, to: { node: "log" } },
    ],
    parameters: [],
    tests,
  };
}

const totals: TestCase = { name: "totals", inputs: { in: [{ value: { price: 2, qty: 3 } }] }, expect: { log: { records: [{ value: 6 }] } } };

describe("flows.runTests: a flow's cases run on the engine, nothing deployed", () => {
  let engine: RunningEngine;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ReturnType<typeof makeCaller>;

  beforeAll(async () => {
    db = await createTestDatabase("flowtests");
    engine = await startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: [], engineId: "flow-tests" });
    api = makeCaller({ services: engine.services, principal: ADMIN });
  });
  afterAll(async () => {
    await engine?.close();
    await db?.drop();
  });

  it("runs the saved version's cases, or the unsaved document's, and answers expected vs actual", async () => {
    await api.flows.save({ document: doc([totals]) });
    const saved = await api.flows.runTests({ id: "tested" });
    expect(saved.cases[0]!.error).toBeUndefined();
    expect(saved).toMatchObject({ flowId: "tested", passed: 1, failed: 0, cases: [{ name: "totals", passed: true, outputs: { log: [{ value: 6 }] } }] });

    const edited = doc([{ ...totals, expect: { log: { records: [{ value: 7 }] } } }]);
    const r = await api.flows.runTests({ id: "tested", document: edited });
    expect(r.cases[0]).toMatchObject({ passed: false, mismatches: [{ path: 'expect["log"].records', expected: [{ value: 7 }], actual: [{ value: 6 }] }] });
  });

  it("refuses an invalid document with path-named errors, and a document of another flow", async () => {
    const bad = doc([totals]);
    bad.nodes[1]!.config = {};
    await expect(api.flows.runTests({ id: "tested", document: bad })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(api.flows.runTests({ id: "other", document: doc([totals]) })).rejects.toMatchObject({ message: expect.stringContaining("the document is another flow") });
  });
});
