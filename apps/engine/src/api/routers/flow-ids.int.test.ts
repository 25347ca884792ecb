import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort, testBrokers } from "@millrace/testkit";
import { ID_MAX_LENGTH, type FlowDocument } from "@millrace/flow";
import { startEngine, type RunningEngine } from "../../engine.js";
import { appRouter } from "../router.js";
import { createCallerFactory } from "../trpc.js";
import { ADMIN } from "../../../test-support/index.js";

function doc(id: string, nodeId = "gen", edgeId = "gen.success->log"): FlowDocument {
  return {
    schemaVersion: 1,
    id,
    name: "ids",
    nodes: [
      { id: nodeId, type: "generate", typeVersion: 1, config: { count: 1, template: "{}" }, position: { x: 0, y: 0 } },
      { id: "log", type: "log", typeVersion: 1, config: {}, position: { x: 200, y: 0 } },
    ],
    edges: [{ id: edgeId, from: { node: nodeId, port: "success" }, to: { node: "log" } }],
    parameters: [],
  };
}

const makeCaller = createCallerFactory(appRouter);

describe("one id rule and one gate for save and import", () => {
  let engine: RunningEngine;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ReturnType<typeof makeCaller>;

  beforeAll(async () => {
    db = await createTestDatabase("ids");
    engine = await startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: testBrokers(), engineId: "test" });
    api = makeCaller({ services: engine.services, principal: ADMIN });
  });
  afterAll(async () => {
    await engine?.close();
    await db?.drop();
  });

  const bad = [
    ["a flow id with a slash", doc("a/b")],
    ["a flow id too long", doc("f".repeat(ID_MAX_LENGTH + 1))],
    ["a node id with a space", doc("ok-1", "gen 1")],
    ["an edge id with a newline", doc("ok-2", "gen", "e\n1")],
  ] as const;

  it.each(bad)("refuses %s alike on save and on import", async (_, document) => {
    // both refusals are awaited together: either may settle first (each waits for its audit row)
    const [s, i] = await Promise.allSettled([api.flows.save({ document }), api.flows.import({ text: JSON.stringify(document) })]);
    expect(s).toMatchObject({ status: "rejected", reason: { code: "BAD_REQUEST" } });
    expect(i).toMatchObject({ status: "rejected", reason: { code: "BAD_REQUEST" } });
    const issues = (r: PromiseSettledResult<unknown>) => ((r as PromiseRejectedResult).reason.cause?.details?.issues ?? []).map((e: { path: string }) => e.path);
    expect(issues(s)).toEqual(issues(i));
  });

  it("takes the longest id and the designer's ids on save, import, get, versions, export and delete", async () => {
    const long = "f".repeat(ID_MAX_LENGTH);
    expect(await api.flows.save({ document: doc(long, "generate-1", "generate-1.success->log#2") })).toMatchObject({ id: long, version: 1 });
    expect((await api.flows.get({ id: long })).document.nodes[0]!.id).toBe("generate-1");
    expect(await api.flows.versions({ id: long })).toHaveLength(1);
    expect((await api.flows.export({ id: long })).id).toBe(long);
    await api.flows.delete({ id: long });
    expect(await api.flows.import({ text: JSON.stringify(doc("3f2c9a1e-8d7b-4c6a-9e5f-0a1b2c3d4e5f")) })).toMatchObject({ copied: false });
  });

  it("refuses a malformed id on every id-taking procedure before it reaches the database", async () => {
    const id = "../x";
    for (const call of [
      () => api.flows.get({ id }),
      () => api.flows.versions({ id }),
      () => api.flows.delete({ id }),
      () => api.flows.export({ id }),
      () => api.deployments.deploy({ flowId: id }),
      () => api.deployments.stop({ flowId: id }),
      () => api.deployments.status({ flowId: id }),
      () => api.stats.snapshot({ flowId: id }),
      () => api.tap.recent({ flowId: "f", edgeId: "a b" }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: "BAD_REQUEST" });
    }
  });

  it("puts a save through the import's JSON guard: too deep, __proto__ keys", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { d: deep };
    const deepDoc = { ...doc("deep"), nodes: [{ ...doc("deep").nodes[0]!, config: { count: 1, template: "{}", deep } }, doc("deep").nodes[1]!] };
    await expect(api.flows.save({ document: deepDoc })).rejects.toThrow(/nested too deeply/);
    await expect(api.flows.import({ text: JSON.stringify(deepDoc) })).rejects.toThrow(/nested too deeply/);
    const protoText = JSON.stringify(doc("proto")).replace('"config":{}', '"config":{"__proto__":{"x":1}}');
    await expect(api.flows.import({ text: protoText })).rejects.toThrow(/__proto__/);
    await expect(api.flows.save({ document: JSON.parse(protoText) })).rejects.toThrow(/__proto__/);
  });
});
