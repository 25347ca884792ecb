import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBrokers } from "@millrace/testkit";
import { generateSecretKey } from "../secrets/index.js";
import { adminToken, TEST_ADMIN_PASSWORD } from "../../test-support/index.js";
import { runCli, type CliResult } from "../../test-support/cli-runner.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";

const SECRET = "cli-Sasl-pw-5521";

describe("millrace connection add / list / test / remove against a running engine", () => {
  let t: TestEngine;
  let dir: string;
  let cli: (...args: string[]) => Promise<CliResult>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "millrace-conn-"));
    t = await startTestEngine("conncli", { kafkaBrokers: [], identity: { adminPassword: TEST_ADMIN_PASSWORD }, secretKey: generateSecretKey().key.toString("base64") });
    // files are read relative to where the user typed (INIT_CWD, as pnpm sets it); tsx resolves from the repository
    const target = { url: t.engine.url, token: await adminToken(t.engine.services), env: { INIT_CWD: dir } };
    cli = (...args) => runCli(["connection", ...args], target);
  });
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("manages a connection from a JSON file, never printing its secret, and the audit log records who did it", async () => {
    const doc = { name: "local", type: "kafka", description: "test broker", brokers: testBrokers() };
    writeFileSync(join(dir, "local.json"), JSON.stringify(doc));
    expect(await cli("add", "local.json")).toMatchObject({ code: 0, stdout: "added connection local\n" });
    expect((await cli("add", "local.json")).stderr).toContain('a connection named "local" exists already');

    writeFileSync(join(dir, "local.json"), JSON.stringify({ ...doc, sasl: { mechanism: "plain", username: "app", password: SECRET } }));
    expect(await cli("add", "local.json", "--replace")).toMatchObject({ code: 0, stdout: "replaced connection local\n" });

    const table = await cli("list");
    expect(table.stdout).toMatch(/^NAME\s+TYPE\s+TARGET\s+DESCRIPTION\nlocal\s+kafka\s+\S+ \(plain as app\)\s+test broker\n$/);
    const listed = await cli("list", "--json");
    expect(JSON.parse(listed.stdout)).toMatchObject([{ name: "local", sasl: { password: { set: true } } }]);
    for (const out of [table, listed]) expect(out.stdout + out.stderr).not.toContain(SECRET);

    // the test broker's listener takes no SASL: a failed test exits 1 with its reason
    const failed = await cli("test", "local");
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^failed \(invalid\): connection "local": \S+ does not take SASL plain/);
    expect(failed.stdout).not.toContain(SECRET);
    writeFileSync(join(dir, "local.json"), JSON.stringify(doc));
    await cli("add", "local.json", "--replace");
    expect(await cli("test", "local")).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ok: connection "local": cluster /) });

    expect(await cli("remove", "local")).toMatchObject({ code: 0, stdout: "removed connection local\n" });
    expect((await cli("remove", "local")).stderr).toContain('no connection named "local"');

    const c = new pg.Client({ connectionString: t.databaseUrl });
    await c.connect();
    const audit = (await c.query(`SELECT actor, action, target, detail::text AS detail, outcome FROM audit_event WHERE action LIKE 'connection.%' ORDER BY id`)).rows;
    await c.end();
    expect(audit.map((r) => [r.actor, r.action, r.target, r.outcome])).toEqual([
      ["admin", "connection.add", "local", "ok"],
      ["admin", "connection.add", "local", "refused"],
      ["admin", "connection.add", "local", "ok"],
      ["admin", "connection.test", "local", "ok"],
      ["admin", "connection.add", "local", "ok"],
      ["admin", "connection.test", "local", "ok"],
      ["admin", "connection.remove", "local", "ok"],
      ["admin", "connection.remove", "local", "refused"],
    ]);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
  });

  it("shows a bad file's mistakes with their field paths before sending anything", async () => {
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ name: "bad", type: "kafka", brokers: ["nohost"], sasl: { mechanism: "md5", username: "u", password: "p" } }));
    const r = await cli("add", "bad.json");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("bad.json: brokers[0]: must be host:port (port 1 to 65535)");
    expect(r.stderr).toContain("bad.json: sasl.mechanism: must be one of plain, scram-sha-256, scram-sha-512");
    writeFileSync(join(dir, "broken.json"), '{ "name": "x",\n  "type": }');
    expect((await cli("add", "broken.json")).stderr).toContain("broken.json: invalid JSON at line 2, column 11");
    expect((await cli("add", "missing.json")).stderr).toContain("cannot read missing.json: no such file");
    expect(await cli()).toMatchObject({ code: 0, stdout: expect.stringContaining("schema-registry  url; auth {username, password}") });
  });
});
