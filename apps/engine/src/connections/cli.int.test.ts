import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort, testBrokers } from "@millrace/testkit";
import { startEngine, type RunningEngine } from "../engine.js";
import { generateSecretKey } from "../secrets/index.js";
import { adminToken, TEST_ADMIN_PASSWORD, uid } from "../../test-support/index.js";

const run = promisify(execFile);
const SECRET = "cli-Sasl-pw-5521";

describe("millrace connection add / list / test / remove against a running engine", () => {
  let engine: RunningEngine;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  let cli: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

  beforeAll(async () => {
    db = await createTestDatabase("conncli");
    dir = mkdtempSync(join(tmpdir(), "millrace-conn-"));
    engine = await startEngine({
      host: "127.0.0.1",
      port: await freePort(),
      databaseUrl: db.url,
      kafkaBrokers: [],
      engineId: uid("eng"),
      identity: { adminPassword: TEST_ADMIN_PASSWORD },
      secretKey: generateSecretKey().key.toString("base64"),
    });
    const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
    // files are read relative to where the user typed (INIT_CWD, as pnpm sets it); tsx resolves from the repository
    const env = { ...process.env, MILLRACE_TOKEN: await adminToken(engine.services), INIT_CWD: dir };
    cli = (...args) =>
      run(process.execPath, ["--import", "tsx", join(root, "apps/engine/src/cli/main.ts"), "connection", ...args, "--url", engine.url], { cwd: root, env }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
  });
  afterAll(async () => {
    await engine?.close();
    await db?.drop();
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

    const c = new pg.Client({ connectionString: db.url });
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
