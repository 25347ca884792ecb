import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "@millrace/flow";
import { generateSecretKey } from "../secrets/index.js";
import { adminToken, TEST_ADMIN_PASSWORD, uid } from "../../test-support/index.js";
import { runCli, type CliResult } from "../../test-support/cli-runner.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";

const OLD_TOKEN = "Bearer old-Tok3n-4411";
const NEW_TOKEN = "Bearer new-Tok3n-9902";

const v1: FlowDocument = {
  schemaVersion: 1,
  id: "orders",
  name: "Orders",
  nodes: [
    { id: "gen", type: "generate", typeVersion: 1, config: { count: 10 }, position: { x: 0, y: 0 } },
    { id: "keep", type: "filter", typeVersion: 1, config: { expression: "value.n > 1" }, position: { x: 300, y: 0 } },
    { id: "call", type: "http-request", typeVersion: 1, config: { url: "https://api.example.com/o", headers: { Authorization: OLD_TOKEN } }, position: { x: 600, y: 0 } },
    { id: "log-1", type: "log", typeVersion: 1, config: {}, position: { x: 900, y: 0 } },
  ],
  edges: [
    { id: "gen.success->keep", from: { node: "gen", port: "success" }, to: { node: "keep" } },
    { id: "keep.success->call", from: { node: "keep", port: "success" }, to: { node: "call" } },
    { id: "call.success->log-1", from: { node: "call", port: "success" }, to: { node: "log-1" } },
  ],
  parameters: [],
};

const v2: FlowDocument = {
  ...v1,
  nodes: [
    v1.nodes[0]!,
    { ...v1.nodes[1]!, config: { expression: "value.n > 5" } },
    { ...v1.nodes[2]!, config: { url: "https://api.example.com/o", headers: { Authorization: NEW_TOKEN } } },
    { id: "map-1", type: "map", typeVersion: 1, config: { expression: "value" }, position: { x: 900, y: 0 } },
  ],
  edges: [v1.edges[0]!, { ...v1.edges[1]!, settings: { mode: "fused" } }, { id: "call.success->map-1", from: { node: "call", port: "success" }, to: { node: "map-1" } }],
};

describe("millrace flow diff against a running engine", () => {
  let t: TestEngine;
  let cli: (...args: string[]) => Promise<CliResult>;

  beforeAll(async () => {
    t = await startTestEngine("flowdiff", { kafkaBrokers: [], identity: { adminPassword: TEST_ADMIN_PASSWORD }, secretKey: generateSecretKey().key.toString("base64") });
    await t.engine.services.repositories.flows.save(v1, { message: "first" });
    await t.engine.services.repositories.flows.save(v2, { message: "second" });
    const target = { url: t.engine.url, token: await adminToken(t.engine.services) };
    cli = (...args) => runCli(["flow", "diff", ...args], target);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("prints added, removed and changed nodes and edges with their fields old → new, never a secret field's value", async () => {
    const r = await cli("orders", "1", "2");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "orders: v1 → v2",
        "nodes",
        "  ~ call (http-request)",
        "      config.headers: (changed)",
        "  ~ keep (filter)",
        '      config.expression: "value.n > 1" → "value.n > 5"',
        "  + map-1 (map)",
        "  - log-1 (log)",
        "edges",
        "  + call.success → map-1",
        "  ~ keep.success → call",
        '      settings: (none) → {"mode":"fused"}',
        "  - call.success → log-1",
        "",
      ].join("\n"),
    );

    const j = await cli("orders", "v1", "v2", "--json");
    expect(j.code).toBe(0);
    const diff = JSON.parse(j.stdout);
    expect(diff).toMatchObject({ flowId: "orders", from: 1, to: 2 });
    expect(diff.nodes.map((n: { id: string; status: string }) => `${n.status} ${n.id}`)).toEqual(["changed call", "changed keep", "added map-1", "removed log-1"]);
    expect(diff.nodes[0].changes).toEqual([{ path: "config.headers", kind: "changed", secret: true }]);
    expect(diff.nodes[1].changes).toEqual([{ path: "config.expression", kind: "changed", from: "value.n > 1", to: "value.n > 5" }]);
    for (const out of [r, j]) expect(out.stdout + out.stderr).not.toMatch(/Tok3n/);

    expect(await cli("orders", "2", "2")).toMatchObject({ code: 0, stdout: "orders: v2 → v2\nno differences\n" });
  });

  it('"deployed" names the version the flow\'s deployment runs (a stored deployment: this engine has no Kafka to run it)', async () => {
    const flows = t.engine.services.repositories.flows;
    await flows.save({ ...v2, id: "shipped" }, { message: "first" });
    await flows.save({ ...v2, id: "shipped", name: "Shipped" }, { message: "renamed" });
    const v1Row = await flows.get("shipped", 1);
    await t.engine.services.repositories.deployments.putRunning({
      id: uid("dep"),
      flowId: "shipped",
      versionId: v1Row.version.id,
      version: 1,
      exactlyOnce: false,
      provenance: false,
      deployedBy: "admin",
      plan: { nodes: [] } as unknown as Parameters<typeof t.engine.services.repositories.deployments.putRunning>[0]["plan"],
    });
    await t.engine.services.repositories.deployments.stop("shipped");
    expect(await cli("shipped", "deployed", "2")).toMatchObject({ code: 0, stdout: 'shipped: v1 → v2\nflow\n  ~ name: "Orders" → "Shipped"\n' });
  });

  it("exits 1 with a clear message for a version the flow does not have, an undeployed flow or an unknown flow; 2 for a malformed one", async () => {
    const missing = await cli("orders", "1", "9");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("flow orders has no version 9");
    const undeployed = await cli("orders", "1", "deployed");
    expect(undeployed.code).toBe(1);
    expect(undeployed.stderr).toContain('flow orders is not deployed: give a version number instead of "deployed"');
    const unknown = await cli("nope", "1", "2");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("flow nope does not exist");
    const malformed = await cli("orders", "1", "latest");
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('a version is a positive whole number or "deployed", not "latest"');
    expect((await cli("orders", "1")).code).toBe(2);
  });
});
