import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { validateFlow, type CatalogLike, type FlowDocument, type ProcessorTypeInfo, type TestCase } from "@millrace/flow";
import { catalog, type ProcessorImpl } from "@millrace/processors";
import { closeUserCodePool, implementations } from "@millrace/processors/runtime";
import { userCodePool } from "@millrace/processors/user-code/pool";
import { runFlowTests } from "./run-tests.js";

afterAll(() => closeUserCodePool());

const at = { x: 0, y: 0 };

/** orders (kafka-source) → big (filter amount > 10) → out (kafka-sink keyed by customer); by-customer counts orders */
function flow(tests: TestCase[], extra: Partial<FlowDocument> = {}, types: CatalogLike = catalog): FlowDocument {
  const doc = {
    schemaVersion: 1,
    id: "orders-flow",
    name: "Orders",
    nodes: [
      { id: "orders", type: "kafka-source", typeVersion: 1, config: { topic: "orders" }, position: at },
      { id: "big", type: "filter", typeVersion: 1, config: { expression: "value.amount > 10" }, position: at },
      { id: "out", type: "kafka-sink", typeVersion: 1, config: { topic: "big-orders", keyExpression: "value.customer" }, position: at },
      { id: "by-customer", type: "aggregate", typeVersion: 1, config: { groupBy: "value.customer", op: "count" }, position: at },
      { id: "db", type: "postgres-sink", typeVersion: 1, config: { connectionString: "postgres://nobody@db.invalid/shop", table: "orders", columns: { id: "value.id" } }, position: at },
    ],
    edges: [
      { id: "e1", from: { node: "orders", port: "success" }, to: { node: "big" } },
      { id: "e2", from: { node: "big", port: "success" }, to: { node: "out" } },
      { id: "e3", from: { node: "orders", port: "success" }, to: { node: "by-customer" } },
      { id: "e4", from: { node: "big", port: "success" }, to: { node: "db" } },
    ],
    parameters: [],
    tests,
    ...extra,
  };
  const r = validateFlow(doc, types);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.document;
}

/** orders (kafka-source) → `id` (a `type` node of `expression`) → out (kafka-sink) */
function throughOne(tests: TestCase[], id: string, type: string, expression: string): FlowDocument {
  return flow(tests, {
    nodes: [
      { id: "orders", type: "kafka-source", typeVersion: 1, config: { topic: "orders" }, position: at },
      { id, type, typeVersion: 1, config: { expression }, position: at },
      { id: "out", type: "kafka-sink", typeVersion: 1, config: { topic: "out" }, position: at },
    ],
    edges: [
      { id: "e1", from: { node: "orders", port: "success" }, to: { node: id } },
      { id: "e2", from: { node: id, port: "success" }, to: { node: "out" } },
    ],
  });
}

const orders = [
  { value: { id: 1, customer: "ann", amount: 5 } },
  { value: { id: 2, customer: "bob", amount: 20 } },
  { value: { id: 3, customer: "ann", amount: 30 } },
];

const run = (doc: FlowDocument, extra: Partial<Parameters<typeof runFlowTests>[1]> = {}) => runFlowTests(doc, { specs: catalog, implementations, ...extra });

describe("flow tests, headless", () => {
  it("passes when the records that come out are the expected ones", async () => {
    const r = await run(
      flow([
        {
          name: "big orders reach the topic keyed by customer",
          inputs: { orders },
          expect: {
            out: { records: [{ key: "bob", value: { id: 2, customer: "bob", amount: 20 } }, { key: "ann", value: { id: 3, customer: "ann", amount: 30 } }] },
            "big.success": { count: 2 },
          },
        },
      ]),
    );
    expect(r.cases[0]).toMatchObject({ name: "big orders reach the topic keyed by customer", passed: true, mismatches: [] });
    expect(r).toMatchObject({ passed: 1, failed: 0 });
  });

  it("fails with the expected and the actual records side by side", async () => {
    const r = await run(flow([{ name: "wrong", inputs: { orders }, expect: { out: { records: [{ value: { id: 2, customer: "bob", amount: 20 } }] } } }]));
    const c = r.cases[0]!;
    expect(c.passed).toBe(false);
    expect(c.mismatches).toEqual([
      {
        path: 'expect["out"].records',
        message: "the records differ",
        expected: [{ value: { id: 2, customer: "bob", amount: 20 } }],
        actual: [
          { key: "bob", value: { id: 2, customer: "bob", amount: 20 } },
          { key: "ann", value: { id: 3, customer: "ann", amount: 30 } },
        ],
      },
    ]);
    expect(c.outputs.out).toHaveLength(2);
    expect(r.failed).toBe(1);
  });

  it("checks JSONata conditions over each record and over the list", async () => {
    const r = await run(
      flow([
        { name: "each and all hold", inputs: { orders }, expect: { out: { each: "value.amount > 10 and key = value.customer", all: "$sum(value.amount) = 50" } } },
        { name: "each fails", inputs: { orders }, expect: { "big.success": { each: "value.amount > 25" } } },
        { name: "all fails", inputs: { orders }, expect: { "big.success": { all: "$count($) = 3" } } },
      ]),
    );
    expect(r.cases.map((c) => c.passed)).toEqual([true, false, false]);
    expect(r.cases[1]!.mismatches[0]).toMatchObject({ path: 'expect["big.success"].each', actual: [{ index: 0, record: { value: { id: 2 } } }] });
    expect(r.cases[2]!.mismatches[0]!.path).toBe('expect["big.success"].all');
  });

  it("expected failures pass; a record in the dead letter that no one expected fails the case", async () => {
    const bad = [{ value: { id: 9, customer: "cy", amount: "x" } }, ...orders];
    const mapFlow = (tests: TestCase[]) => throughOne(tests, "double", "map", "$number(value.amount) * 2");
    const r = await run(
      mapFlow([
        { name: "expected", inputs: { orders: bad }, expect: { out: { records: [{ value: 10 }, { value: 40 }, { value: 60 }] } }, failures: { double: { count: 1, error: "number" } } },
        { name: "unexpected", inputs: { orders: bad }, expect: { out: { count: 3 } } },
      ]),
    );
    expect(r.cases[0]).toMatchObject({ passed: true });
    expect(r.cases[1]!.passed).toBe(false);
    expect(r.cases[1]!.mismatches).toEqual([expect.objectContaining({ path: 'failures["double"]', expected: "no failure", actual: [{ value: { id: 9, customer: "cy", amount: "x" }, headers: expect.objectContaining({ "mr.error.node": "double" }) }] })]);
  });

  it("a stateful aggregate counts per group over the case's records (the planner's re-keying included)", async () => {
    const r = await run(
      flow([
        {
          name: "counts",
          inputs: { orders },
          expect: { "by-customer": { records: [{ key: "ann", value: 1 }, { key: "bob", value: 1 }, { key: "ann", value: 2 }] } },
        },
        // each case starts with empty tables
        { name: "again", inputs: { orders: orders.slice(0, 1) }, expect: { "by-customer": { records: [{ key: "ann", value: 1 }] } } },
      ]),
    );
    expect(r.cases.map((c) => [c.name, c.passed, c.mismatches])).toEqual([
      ["counts", true, []],
      ["again", true, []],
    ]);
  });

  it("records keep their timestamps through the flow: a window on Kafka time counts by them", async () => {
    const T0 = Date.UTC(2026, 11, 6, 5);
    const windowed = (tests: TestCase[]) =>
      flow(tests, {
        nodes: [
          { id: "orders", type: "kafka-source", typeVersion: 1, config: { topic: "orders" }, position: at },
          { id: "per-minute", type: "aggregate", typeVersion: 1, config: { groupBy: "value.customer", op: "count", window: { type: "tumbling", size: "1m", grace: "1h" } }, position: at },
        ],
        edges: [{ id: "e1", from: { node: "orders", port: "success" }, to: { node: "per-minute" } }],
      });
    const r = await run(
      windowed([
        {
          name: "per minute",
          inputs: { orders: [0, 10, 70].map((s) => ({ value: { customer: "ann" }, timestamp: T0 + s * 1000 })) },
          expect: {
            "per-minute": {
              records: [
                { key: "ann", value: 1, timestamp: T0, headers: { "mr.window.start": new Date(T0).toISOString() } },
                { key: "ann", value: 2, timestamp: T0 + 10_000 },
                { key: "ann", value: 1, timestamp: T0 + 70_000, headers: { "mr.window.start": new Date(T0 + 60_000).toISOString() } },
              ],
            },
          },
        },
      ]),
    );
    expect(r.cases[0]).toMatchObject({ passed: true, mismatches: [] });
  });

  it("never opens a connection: a postgres sink passes its records through, and says so", async () => {
    const r = await run(flow([{ name: "db rows", inputs: { orders }, expect: { db: { count: 2, each: "value.amount > 10" } } }]));
    expect(r.cases[0]).toMatchObject({ passed: true, stubbed: ["db"] });
  });

  it("a runaway condition runs in the user-code pool: its worker is ended, the record fails with the reason", async () => {
    const replaced = userCodePool().replaced;
    const runaway = [{ value: { id: 1, customer: "a".repeat(27) + "!", amount: 20 } }];
    const r = await run(flow([{ name: "regex", inputs: { orders: runaway }, expect: { "big.success": { each: "$contains(value.customer, /^(a+)+$/)" } } }]));
    expect(r.cases[0]!.mismatches).toEqual([
      expect.objectContaining({ path: 'expect["big.success"].each', actual: [{ index: 0, record: runaway[0], error: "expression timed out after 1000 ms" }] }),
    ]);
    expect(userCodePool().replaced).toBeGreaterThan(replaced);
  });

  it("the case's time limit covers its conditions", async () => {
    const runaway = [{ value: { id: 1, customer: "a".repeat(27) + "!", amount: 20 } }];
    const r = await run(flow([{ name: "slow condition", inputs: { orders: runaway }, expect: { "big.success": { all: "$contains(value.customer, /^(a+)+$/)" } }, timeoutMs: 300 }]));
    expect(r.cases[0]).toMatchObject({ passed: false, error: expect.stringMatching(/ran longer than its 300 ms limit/) });
  });

  it("a condition over the list maps paths over its records as JSONata does; one that does not compile says so", async () => {
    const r = await run(
      flow([
        { name: "list paths", inputs: { orders }, expect: { "big.success": { all: "value.amount = [20, 30]" }, big: { all: "value.id" } } },
        { name: "bad each", inputs: { orders }, expect: { "big.success": { each: "value.amount >" } } },
      ]),
    );
    expect(r.cases[0]).toMatchObject({ passed: true });
    expect(r.cases[1]!.mismatches).toEqual([expect.objectContaining({ path: 'expect["big.success"].each', message: expect.stringMatching(/^value.amount > does not compile: /) })]);
  });

  it("a case whose nodes send more records than a run keeps fails naming the bound; a mismatch shows the first 100 records", async () => {
    const cases = throughOne([{ name: "many", inputs: { orders }, expect: { out: { records: [{ value: 1 }] } } }], "explode", "flat-map", "[1..100]");
    const perNode = await run(cases, { recordLimits: { perNode: 250, perRun: 1000 } });
    expect(perNode.cases[0]).toMatchObject({ passed: false, error: expect.stringMatching(/^node "explode" sent more than 250 records: a test run keeps every record, at most 250 per node and 1000 in all/) });
    const inAll = await run(cases, { recordLimits: { perNode: 1000, perRun: 400 } });
    expect(inAll.cases[0]).toMatchObject({ passed: false, error: expect.stringMatching(/^the flow's nodes sent more than 400 records in all/) });

    const shown = (await run(cases)).cases[0]!;
    expect(shown.error).toBeUndefined();
    expect(shown.mismatches).toEqual([expect.objectContaining({ path: 'expect["out"].records', message: "the records differ (the first 100 of 300 shown)" })]);
    expect(shown.mismatches[0]!.actual).toHaveLength(100);
    expect(shown.outputs.out).toHaveLength(100);
  });

  it("a node that holds a secret never runs: it passes its records through, and says so", async () => {
    const signer: ProcessorTypeInfo = {
      type: "signer",
      version: 1,
      kind: "transform",
      title: "Signer",
      description: "signs with a key",
      configSchema: z.strictObject({ key: z.string().meta({ secret: true }) }),
      outputPorts: () => ["success", "failure"],
      hasInput: true,
    };
    const types: CatalogLike = { get: (t) => (t === "signer" ? signer : catalog.get(t)), list: () => [...catalog.list(), signer] };
    const ran: ProcessorImpl = { type: "signer", create: () => ({ process: () => Promise.reject(new Error("a signer ran with its key")) }) };
    const doc = flow([{ name: "signed", inputs: { orders }, expect: { sign: { count: 3 } } }], {
      nodes: [
        { id: "orders", type: "kafka-source", typeVersion: 1, config: { topic: "orders" }, position: at },
        { id: "sign", type: "signer", typeVersion: 1, config: { key: "k" }, position: at },
      ],
      edges: [{ id: "e1", from: { node: "orders", port: "success" }, to: { node: "sign" } }],
    }, types);
    const r = await runFlowTests(doc, { specs: types, implementations: { ...implementations, signer: ran } });
    expect(r.cases[0]).toMatchObject({ passed: true, stubbed: ["sign"] });
  });

  it("a file sink never touches the engine's files: it passes its records through, and says so", async () => {
    const doc = flow([{ name: "to files", inputs: { orders }, expect: { files: { count: 3 } } }], {
      nodes: [
        { id: "orders", type: "kafka-source", typeVersion: 1, config: { topic: "orders" }, position: at },
        { id: "files", type: "file-sink", typeVersion: 1, config: { path: "out/orders-{date}.jsonl" }, position: at },
      ],
      edges: [{ id: "e1", from: { node: "orders", port: "success" }, to: { node: "files" } }],
    });
    const r = await run(doc);
    expect(r.cases[0]).toMatchObject({ passed: true, stubbed: ["files"] });
  });

  it("a table refuses the keys the engine's store refuses: those records fail, as they would deployed", async () => {
    const keys = ["a\u0000b", "x".repeat(2000), "ann"].map((customer, id) => ({ value: { id, customer, amount: 1 } }));
    const r = await run(
      flow([
        { name: "bad keys", inputs: { orders: keys }, expect: { "by-customer": { records: [{ key: "ann", value: 1 }] } }, failures: { "by-customer": { count: 2, error: 'the table of "by-customer": key' } } },
        { name: "unexpected", inputs: { orders: keys }, expect: {} },
      ]),
    );
    expect(r.cases[0]).toMatchObject({ passed: true, mismatches: [] });
    const [deadLetter] = r.cases[1]!.mismatches;
    expect(deadLetter!.message).toMatch(/^2 record\(s\) failed at "by-customer" and went to the dead letter: the table of "by-customer": key "a\\u0000b" contains \\u0000/);
    expect(deadLetter!.actual).toMatchObject([{}, { headers: { "mr.error": expect.stringMatching(/key of 2000 bytes .* is longer than 1978 bytes/) } }]);
  });

  it("a case that runs too long fails with its limit named", async () => {
    const never: ProcessorImpl = { type: "filter", create: (_c, ctx) => ({ process: () => new Promise((done) => ctx.signal.addEventListener("abort", () => done())) }) };
    const r = await run(flow([{ name: "slow", inputs: { orders }, expect: {}, timeoutMs: 50 }]), { implementations: { ...implementations, filter: never } });
    expect(r.cases[0]).toMatchObject({ passed: false, error: expect.stringMatching(/ran longer than its 50 ms limit/) });
  });

  it("bad references fail their case with a path-named reason; --case picks one", async () => {
    const r = await run(
      flow([
        { name: "not a source", inputs: { big: orders }, expect: {} },
        { name: "no node", inputs: { orders }, expect: { nope: { count: 0 } } },
        { name: "no port", inputs: { orders }, expect: { "big.nope": { count: 0 } } },
      ]),
    );
    expect(r.cases.map((c) => c.error)).toEqual([
      'inputs["big"]: "big" is a filter, not a source: records go in at sources',
      'expect["nope"]: no node "nope" in the flow (a node id, or node.port)',
      'expect["big.nope"]: "big" has no port "nope" (it has success, failure)',
    ]);
    const one = await run(flow([{ name: "a", inputs: {}, expect: {} }, { name: "b", inputs: {}, expect: {} }]), { only: "b" });
    expect(one.cases.map((c) => c.name)).toEqual(["b"]);
  });
});
