import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { adminToken, TEST_ADMIN_PASSWORD } from "../../test-support/index.js";
import { runCli, type CliResult } from "../../test-support/cli-runner.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";

const doc = (name: string): FlowDocument => ({
  schemaVersion: 1,
  id: "imports",
  name,
  nodes: [{ id: "gen", type: "generate", typeVersion: 1, config: { count: 1, template: "{ \"n\": $i }" }, position: { x: 0, y: 0 } }],
  edges: [],
  parameters: [],
});

describe("millrace flow import: says what it did, and --new-version adds a version when the id exists", () => {
  let t: TestEngine;
  let dir: string;
  let cli: (...args: string[]) => Promise<CliResult>;

  beforeAll(async () => {
    t = await startTestEngine("flowimport", { kafkaBrokers: [], identity: { adminPassword: TEST_ADMIN_PASSWORD } });
    dir = mkdtempSync(join(tmpdir(), "mr-import-"));
    const target = { url: t.engine.url, token: await adminToken(t.engine.services) };
    cli = (...args) => runCli(["flow", "import", ...args], target);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  it("a new id, a taken id (a copy, saying how to add a version instead), --new-version, and both flags refused", async () => {
    const file = join(dir, "imports.json");
    writeFileSync(file, JSON.stringify(doc("Imports")));
    const first = await cli(file);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("imports\n");
    expect(first.stderr).toBe("imported as imports v1\n");

    const copy = await cli(file);
    expect(copy.code).toBe(0);
    const copyId = copy.stdout.trimEnd();
    expect(copyId).not.toBe("imports");
    expect(copy.stderr.trimEnd()).toBe(`imported as a new flow (a copy) ${copyId} v1: the file's flow id exists (--new-version saves it as that flow's next version)`);

    writeFileSync(file, JSON.stringify(doc("Imports, renamed")));
    const next = await cli(file, "--new-version");
    expect(next.stdout).toBe("imports\n");
    expect(next.stderr).toBe("imported as imports v2\n");
    const stored = await t.engine.services.repositories.flows.get("imports");
    expect(stored.document.name).toBe("Imports, renamed");

    const both = await cli(file, "--copy", "--new-version");
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain("--copy and --new-version ask for opposite things");
  });
});
