import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createGroup, type FlowDocument } from "@millrace/flow";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { appRouter } from "../api/router.js";
import { createCallerFactory } from "../api/trpc.js";
import { startEngine, type RunningEngine } from "../engine.js";
import { generateSecretKey } from "./index.js";
import { ADMIN } from "../../test-support/index.js";

const SECRET = "s3cr3t-XYZ";
const makeCaller = createCallerFactory(appRouter);

function flow(id: string, reqConfig: Record<string, unknown>): FlowDocument {
  return {
    schemaVersion: 1,
    id,
    name: "Secrets",
    nodes: [
      { id: "gen", type: "generate", typeVersion: 1, config: { count: 5, template: "{ 'n': $i }" }, position: { x: 0, y: 0 } },
      { id: "req", type: "http-request", typeVersion: 1, config: reqConfig, position: { x: 200, y: 0 } },
      { id: "log", type: "log", typeVersion: 1, config: {}, position: { x: 400, y: 0 } },
    ],
    edges: [
      { id: "e1", from: { node: "gen", port: "success" }, to: { node: "req" } },
      { id: "e2", from: { node: "req", port: "failure" }, to: { node: "log" } },
    ],
    parameters: [{ name: "token", value: SECRET, sensitive: true }],
  };
}

/** Every text, json and array column of every table, as text, that contains `needle`. */
async function databaseHits(url: string, needle: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const cols = await client.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND (data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea'))`,
    );
    expect(cols.rows.length).toBeGreaterThan(10);
    const hits: string[] = [];
    for (const c of cols.rows) {
      const r = await client.query(`SELECT count(*)::int AS n FROM "${c.table_name}" WHERE "${c.column_name}"::text LIKE $1`, [`%${needle}%`]);
      if (r.rows[0].n > 0) hits.push(`${c.table_name}.${c.column_name}`);
    }
    return hits;
  } finally {
    await client.end();
  }
}

async function firstOf(iterable: AsyncIterable<unknown>, ms: number): Promise<unknown[]> {
  const out: unknown[] = [];
  const it = iterable[Symbol.asyncIterator]();
  const deadline = Date.now() + ms;
  try {
    while (out.length < 3 && Date.now() < deadline) {
      const next = await Promise.race([it.next(), new Promise<undefined>((r) => setTimeout(() => r(undefined), deadline - Date.now()))]);
      if (!next || next.done) break;
      out.push(next.value);
    }
  } finally {
    void it.return?.();
  }
  return out;
}

describe("sensitive parameter values", () => {
  let engine: RunningEngine;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ReturnType<typeof makeCaller>;
  // the endpoint the flow calls: it notes the Authorization header the runtime sent, and fails the request
  let endpoint: Server;
  let endpointUrl: string;
  const received: string[] = [];

  beforeAll(async () => {
    endpoint = createServer((req, res) => {
      received.push(String(req.headers.authorization));
      res.writeHead(500).end("no");
    });
    const port = await freePort();
    await new Promise<void>((r) => endpoint.listen(port, "127.0.0.1", r));
    endpointUrl = `http://127.0.0.1:${port}/x`;
    db = await createTestDatabase("secrets");
    engine = await startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: testBrokers(), engineId: "secrets-test", secretKey: generateSecretKey().key.toString("base64") });
    api = makeCaller({ services: engine.services, principal: ADMIN });
  });
  afterAll(async () => {
    await engine?.close();
    await db?.drop();
    endpoint?.close();
  });

  it("a sensitive parameter outside a secret field is refused on save, import and deploy, with its path", async () => {
    const hole = flow("hole", { url: "http://127.0.0.1:9/x", headers: {} });
    hole.nodes[2] = { id: "out", type: "kafka-sink", typeVersion: 1, config: { topic: "#{token}" }, position: { x: 400, y: 0 } };
    hole.edges[1] = { id: "e2", from: { node: "req", port: "failure" }, to: { node: "out" } };
    const saved = api.flows.save({ document: hole });
    await expect(saved).rejects.toThrow(/nodes\[2\]\.config\.topic: sensitive parameter "token" may only be used in secret fields/);
    await expect(api.flows.import({ text: JSON.stringify(hole) })).rejects.toThrow(/nodes\[2\]\.config\.topic: sensitive parameter "token"/);
    // the read-back: the stored secret re-saved blank into a topic name
    await api.flows.save({ document: flow("hole", { url: "http://127.0.0.1:9/x", headers: { authorization: "Bearer #{token}" } }) });
    const blank = { ...hole, parameters: [{ name: "token", value: "", sensitive: true }] };
    await expect(api.flows.save({ document: blank, baseVersion: 1 })).rejects.toThrow(/nodes\[2\]\.config\.topic: sensitive parameter "token"/);
    expect(JSON.stringify(await api.deployments.plan({ flowId: "hole" }))).not.toContain(SECRET);
  });

  it("is sealed in the database, reaches the runtime, and no query nor the database ever shows it", { timeout: 120_000 }, async () => {
    const doc = flow("sec", { url: endpointUrl, method: "POST", headers: { authorization: `Bearer #{token}` }, timeoutMs: 500 });
    await api.flows.save({ document: doc });
    await api.deployments.deploy({ flowId: "sec" });
    await waitFor(async () => (await api.deployments.status({ flowId: "sec" })).local.running || undefined, 60_000, "the deployment running");
    // the runtime got the opened value
    await waitFor(() => received.length > 0 || undefined, 30_000, "a request from the flow");
    expect(received[0]).toBe(`Bearer ${SECRET}`);
    const events = await waitFor(async () => {
      const ev = await api.provenance.events({ flowId: "sec", nodeId: "req", limit: 100 });
      return ev.length >= 5 ? ev : undefined;
    }, 60_000, "the http-request node's provenance");

    const flowId = "sec";
    // a connection's secret is sealed, re-sealed and never shown like a parameter's
    await api.connections.add({ document: { name: "sec-conn", type: "http", baseUrl: "http://127.0.0.1:9/", auth: { type: "bearer", token: SECRET } } });
    // a template of the node whose header holds the secret: kept as the parameter's reference, never its value
    const template = await api.templates.save({ document: createGroup(doc, { id: "g", name: "Request", nodes: ["req"] }), groupId: "g", name: "with a secret" });
    const inputs: Record<string, unknown> = {
      "flows.list": undefined,
      "flows.get": { id: flowId },
      "flows.versions": { id: flowId },
      "flows.export": { id: flowId },
      "catalog.list": undefined,
      "deployments.plan": { flowId },
      "deployments.status": { flowId },
      "stats.snapshot": { flowId },
      "stats.live": { flowId, intervalMs: 200 },
      "provenance.lineage": { recordId: events[0]!.recordId },
      "provenance.events": { flowId, limit: 1000 },
      "tap.recent": { flowId, edgeId: "e2", limit: 50 },
      "tap.edge": { flowId, edgeId: "e2", max: 5 },
      "auth.me": undefined,
      "tokens.list": undefined,
      "users.list": undefined,
      "audit.list": { limit: 1000 },
      "flows.access.get": { flowId },
      "auth.providers": undefined,
      "connections.list": undefined,
      "connections.get": { name: "sec-conn" },
      // the registry and tables hold no flow secret: asked anyway, so a new read is never left out
      "schemaRegistry.subjects": undefined,
      "schemaRegistry.versions": { subject: "sec-value" },
      "schemaRegistry.schema": { subject: "sec-value" },
      "schemaRegistry.config": {},
      "tables.get": { flowId, nodeId: "req", key: "k" },
      "tables.scan": { flowId, nodeId: "req" },
      "tables.snapshots": { flowId, nodeId: "req" },
      "templates.list": undefined,
      "templates.get": { id: template.id },
      "templates.uses": { templateId: template.id },
      "cdc.slots": {},
    };
    const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
    const reads = Object.entries(procedures).filter(([, p]) => p._def.type !== "mutation").map(([path]) => path);
    expect(reads.filter((p) => !(p in inputs)), "a query or subscription without an input in this test").toEqual([]);
    for (const path of reads) {
      // a stream that has sent nothing cannot be ended by return() (it waits for its next value): the abort ends it, and a tap deletes its group
      const ac = new AbortController();
      const call = path.split(".").reduce<any>((o, k) => o[k], makeCaller({ services: engine.services, principal: ADMIN }, { signal: ac.signal }));
      let out: unknown;
      try {
        out = await call(inputs[path]);
        if (out && typeof out === "object" && Symbol.asyncIterator in out) out = await firstOf(out as AsyncIterable<unknown>, 2500);
      } catch (e) {
        out = { error: (e as Error).message, stack: (e as Error).stack };
      } finally {
        ac.abort();
      }
      expect(JSON.stringify(out) ?? "", path).not.toContain(SECRET);
    }

    expect(await databaseHits(db.url, SECRET)).toEqual([]);
    expect(await databaseHits(db.url, "mrsec:v1:")).toEqual(expect.arrayContaining(["flow_version.document", "deployment.plan", "connection.document"]));

    // rotation: everything sealed again under a new key, and a redeploy still opens it
    const rotated = await api.secrets.rotateKey();
    expect(rotated).toMatchObject({ source: "env" });
    expect(rotated.resealed).toBeGreaterThanOrEqual(3);
    expect(await databaseHits(db.url, `mrsec:v1:${rotated.previousKeyId}`)).toEqual([]);
    expect(await databaseHits(db.url, SECRET)).toEqual([]);
    await api.deployments.stop({ flowId });
    const again = await api.deployments.deploy({ flowId });
    expect(again.local.error).toBeUndefined();
    expect((await api.flows.get({ id: flowId })).secretsSet).toEqual(["token"]);
    // an edit that leaves the secret blank keeps it (still sealed, still one version)
    const blank = { ...doc, parameters: [{ name: "token", value: "", sensitive: true }] };
    expect(await api.flows.save({ document: blank, baseVersion: 1 })).toMatchObject({ version: 1, created: false });
  });
});
