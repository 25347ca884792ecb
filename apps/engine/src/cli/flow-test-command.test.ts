import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../test-support/cli-runner.js";

const at = { x: 0, y: 0 };

function flowFile(expectedCount: number) {
  return JSON.stringify({
    schemaVersion: 1,
    id: "orders",
    name: "Big orders",
    nodes: [
      { id: "orders", type: "kafka-source", typeVersion: 1, config: { topic: "orders" }, position: at },
      { id: "big", type: "filter", typeVersion: 1, config: { expression: "value.amount > 10" }, position: at },
      { id: "out", type: "kafka-sink", typeVersion: 1, config: { topic: "big-orders", keyExpression: "value.customer" }, position: at },
    ],
    edges: [
      { id: "e1", from: { node: "orders", port: "success" }, to: { node: "big" } },
      { id: "e2", from: { node: "big", port: "success" }, to: { node: "out" } },
    ],
    tests: [
      {
        name: "keyed by customer",
        inputs: { orders: [{ value: { customer: "ann", amount: 5 } }, { value: { customer: "bob", amount: 20 } }] },
        expect: { out: { records: [{ key: "bob", value: { customer: "bob", amount: 20 } }] } },
      },
      { name: "counted", inputs: { orders: [{ value: { customer: "ann", amount: 50 } }] }, expect: { out: { count: expectedCount } } },
    ],
  });
}

describe("millrace flow test FILE (no engine, no Kafka, no database)", () => {
  let dir: string;
  // no MILLRACE_URL, DATABASE_URL nor KAFKA_BROKERS: the command needs none of them
  const cli = (...args: string[]) =>
    runCli(["flow", "test", ...args], { env: { DATABASE_URL: undefined, KAFKA_BROKERS: undefined, INIT_CWD: dir, MILLRACE_URL: "http://127.0.0.1:9" } });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "millrace-flow-test-"));
    writeFileSync(join(dir, "pass.json"), flowFile(1));
    writeFileSync(join(dir, "fail.json"), flowFile(2));
    writeFileSync(join(dir, "invalid.json"), JSON.stringify({ schemaVersion: 1, id: "x", name: "x", nodes: [{ id: "n" }], edges: [] }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("exit 0 when every case passes, with a JUnit file of the cases", async () => {
    const r = await cli("pass.json", "--junit", "out.xml");
    expect(r.stdout).toContain("PASS  keyed by customer");
    expect(r.stdout).toContain("2 passed, 0 failed");
    expect(r.code).toBe(0);
    const xml = readFileSync(join(dir, "out.xml"), "utf8");
    expect(xml).toContain('<testsuite name="Big orders" tests="2" failures="0"');
    expect(xml).toContain('<testcase classname="Big orders" name="counted"');
  }, 60_000);

  it("exit 1 on a failure: expected vs actual printed and in the JUnit failure", async () => {
    const r = await cli("fail.json", "--junit", "fail.xml");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("FAIL  counted");
    expect(r.stdout).toMatch(/expect\["out"\]\.count: expected 2 record\(s\), got 1\n\s+expected: 2\n\s+actual:\s+1/);
    const xml = readFileSync(join(dir, "fail.xml"), "utf8");
    expect(xml).toContain('failures="1"');
    expect(xml).toContain('<failure message="expect[&quot;out&quot;].count: expected 2 record(s), got 1"');
  }, 60_000);

  it("--case runs one case; an unknown case, or an invalid file, is said clearly", async () => {
    const one = await cli("fail.json", "--case", "keyed by customer");
    expect([one.code, one.stdout.trim().split("\n").at(-1)]).toEqual([0, "1 passed, 0 failed"]);
    const unknown = await cli("pass.json", "--case", "nope");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('has no test case "nope"');
    const invalid = await cli("invalid.json");
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("invalid.json: nodes[0].type: required");
  }, 60_000);
});
