import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDatabase, freePort, testBrokers } from "@millrace/testkit";
import type { FlowDocument } from "@millrace/flow";
import { startEngine, type RunningEngine } from "../../engine.js";
import { appRouter } from "../router.js";
import { createCallerFactory } from "../trpc.js";
import { ADMIN } from "../../../test-support/index.js";

// The ids newFlowId hands out next (then random ones again): to make a new id meet an existing one.
const forcedIds = vi.hoisted(() => [] as string[]);
vi.mock("@millrace/flow", async (importOriginal) => {
  const real = await importOriginal<typeof import("@millrace/flow")>();
  return { ...real, newFlowId: () => forcedIds.shift() ?? real.newFlowId() };
});

function doc(id: string, name = "Orders"): FlowDocument {
  return {
    schemaVersion: 1,
    id,
    name,
    nodes: [
      { id: "gen", type: "generate", typeVersion: 1, config: { count: 5, template: "{ 'n': $i }" }, position: { x: 0, y: 0 } },
      { id: "log", type: "log", typeVersion: 1, config: {}, position: { x: 200, y: 0 } },
    ],
    edges: [{ id: "e1", from: { node: "gen", port: "success" }, to: { node: "log" } }],
    parameters: [{ name: "secret", value: "hunter2", sensitive: true }],
  };
}

const makeCaller = createCallerFactory(appRouter);

describe("flows API on a real Postgres", () => {
  let engine: RunningEngine;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ReturnType<typeof makeCaller>;

  beforeAll(async () => {
    db = await createTestDatabase("flows");
    engine = await startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: testBrokers(), engineId: "test" });
    api = makeCaller({ services: engine.services, principal: ADMIN });
  });
  afterAll(async () => {
    await engine?.close();
    await db?.drop();
  });

  it("creates a version per changed save and none for an unchanged one; both versions stay readable", async () => {
    const first = await api.flows.save({ document: doc("f1") });
    expect(first).toEqual({ id: "f1", version: 1, created: true });
    expect(await api.flows.save({ document: doc("f1") })).toEqual({ id: "f1", version: 1, created: false });
    const moved = doc("f1");
    moved.nodes[1]!.position = { x: 400, y: 50 };
    moved.name = "Orders v2";
    expect(await api.flows.save({ document: moved, baseVersion: 1 })).toEqual({ id: "f1", version: 2, created: true });

    const v1 = await api.flows.get({ id: "f1", version: 1 });
    const v2 = await api.flows.get({ id: "f1" });
    expect(v1.document.name).toBe("Orders");
    expect(v2.document.name).toBe("Orders v2");
    expect(v2.document.nodes[1]!.position).toEqual({ x: 400, y: 50 });
    expect((await api.flows.versions({ id: "f1" })).map((v) => v.version)).toEqual([2, 1]);
    expect((await api.flows.list()).find((f) => f.id === "f1")).toMatchObject({ name: "Orders v2", latestVersion: 2 });
  });

  it("never sends a sensitive value out, and keeps it when the editor saves it back blank", async () => {
    await api.flows.save({ document: doc("f2") });
    const got = await api.flows.get({ id: "f2" });
    expect(got.document.parameters[0]).toMatchObject({ name: "secret", value: "", sensitive: true });
    expect(got.secretsSet).toEqual(["secret"]);
    const exported = await api.flows.export({ id: "f2" });
    expect(JSON.stringify(exported)).not.toContain("hunter2");
    // canonical spelling, whatever order jsonb stored the keys in
    expect(Object.keys(exported)).toEqual(["schemaVersion", "id", "name", "nodes", "edges", "parameters"]);
    expect(Object.keys(exported.edges[0]!)).toEqual(["id", "from", "to"]);
    await api.flows.save({ document: { ...got.document, name: "renamed" }, baseVersion: 1 });
    // kept, and stored sealed: only the planner's read opens it
    const stored = await engine.services.repositories.flows.get("f2", 2);
    expect(JSON.stringify(stored.document)).not.toContain("hunter2");
    expect(stored.document.parameters[0]!.value).toMatch(/^mrsec:v1:/);
    expect((await engine.services.repositories.flows.getOpened("f2", 2)).document.parameters[0]!.value).toBe("hunter2");
    // a new secret value alone is a change worth a version (the public hash leaves values out)
    const rotated = { ...got.document, name: "renamed", parameters: [{ name: "secret", value: "correct horse", sensitive: true }] };
    expect(await api.flows.save({ document: rotated, baseVersion: 2 })).toMatchObject({ version: 3, created: true });
    expect(await api.flows.save({ document: { ...rotated, parameters: [{ name: "secret", value: "", sensitive: true }] }, baseVersion: 3 })).toMatchObject({ version: 3, created: false });
  });

  it("refuses a save based on an older version with CONFLICT instead of overwriting", async () => {
    await api.flows.save({ document: doc("f3") });
    await api.flows.save({ document: doc("f3", "changed elsewhere"), baseVersion: 1 });
    await expect(api.flows.save({ document: doc("f3", "my change"), baseVersion: 1 })).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await api.flows.get({ id: "f3" })).document.name).toBe("changed elsewhere");
  });

  it("serialises concurrent saves from the same base version under the flow's row lock: one wins, the others get CONFLICT", async () => {
    await api.flows.save({ document: doc("f-concurrent") });
    const saves = await Promise.allSettled([1, 2, 3, 4].map((i) => api.flows.save({ document: doc("f-concurrent", `edit ${i}`), baseVersion: 1 })));
    expect(saves.filter((s) => s.status === "fulfilled").map((s) => s.value)).toEqual([{ id: "f-concurrent", version: 2, created: true }]);
    expect(saves.filter((s) => s.status === "rejected").map((s) => (s.reason as { code?: string }).code)).toEqual(["CONFLICT", "CONFLICT", "CONFLICT"]);
  });

  it("rejects a broken document with path-named errors and writes nothing", async () => {
    const bad = { ...doc("f4"), nodes: [{ id: "x", type: "generate", typeVersion: 1, config: {} }] };
    await expect(api.flows.save({ document: bad })).rejects.toThrow(/nodes\[0\]\.position/);
    await expect(api.flows.import({ text: '{"schemaVersion":1,' })).rejects.toThrow(/line 1/);
    const noTopic = doc("f5");
    noTopic.nodes.push({ id: "sink", type: "kafka-sink", typeVersion: 1, config: {}, position: { x: 0, y: 0 } });
    await expect(api.flows.import({ text: JSON.stringify(noTopic) })).rejects.toThrow(/nodes\[2\]\.config\.topic/);
    expect(await engine.services.repositories.flows.exists("f4")).toBe(false);
    expect(await engine.services.repositories.flows.exists("f5")).toBe(false);
  });

  it("imports a flow, and as a copy with a new id when the id already exists", async () => {
    const text = JSON.stringify(doc("f6", "Imported"));
    expect(await api.flows.import({ text })).toMatchObject({ id: "f6", version: 1, copied: false });
    const again = await api.flows.import({ text });
    expect(again.copied).toBe(true);
    expect(again.id).not.toBe("f6");
    expect((await api.flows.get({ id: again.id })).document.name).toBe("Imported (copy)");
    // a copy's id is as short as any other new flow's
    expect(again.id).toMatch(/^flow-[0-9a-z]{13}$/);
  });

  it("never adds an imported copy as a version of a flow whose id the new id meets, hidden or not", async () => {
    await api.users.add({ name: "alice", role: "editor", password: "correct horse battery" });
    await api.users.add({ name: "bob", role: "editor", password: "correct horse battery" });
    const alice = makeCaller({ services: engine.services, principal: { name: "alice", role: "editor", via: "token" } });
    const bob = makeCaller({ services: engine.services, principal: { name: "bob", role: "editor", via: "token" } });
    await alice.flows.save({ document: doc("flow-aliceshidden", "Alice's") });
    await alice.flows.access.set({ flowId: "flow-aliceshidden", restricted: true, users: [], groups: [] });
    await api.flows.save({ document: doc("flow-visible00000", "Visible") });

    forcedIds.push("flow-aliceshidden", "flow-visible00000");
    const copy = await bob.flows.import({ text: JSON.stringify(doc("f8", "Bob's")), asCopy: true });
    expect(forcedIds).toEqual([]);
    expect(copy).toMatchObject({ copied: true, version: 1 });
    expect(copy.id).not.toMatch(/^flow-(aliceshidden|visible00000)$/);
    expect((await bob.flows.get({ id: copy.id })).document.name).toBe("Bob's (copy)");
    expect(await api.flows.get({ id: "flow-aliceshidden" })).toMatchObject({ flow: { name: "Alice's", latestVersion: 1 } });
    expect(await api.flows.get({ id: "flow-visible00000" })).toMatchObject({ flow: { name: "Visible", latestVersion: 1 } });
  });

  it("refuses a new flow's first save (base version 0) under an id that exists with CONFLICT and adds no version", async () => {
    await api.flows.save({ document: doc("f9", "Someone else's") });
    await expect(api.flows.save({ document: doc("f9", "Untitled flow"), baseVersion: 0 })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/already exists/) });
    expect(await api.flows.get({ id: "f9" })).toMatchObject({ flow: { name: "Someone else's", latestVersion: 1 } });
    expect(await api.flows.save({ document: doc("f10", "Untitled flow"), baseVersion: 0 })).toEqual({ id: "f10", version: 1, created: true });
  });

  it("imports a file whose id exists as that flow's next version when asked, and as a copy asked or not", async () => {
    const text = JSON.stringify(doc("f7", "Replace me"));
    expect(await api.flows.import({ text })).toMatchObject({ id: "f7", version: 1, copied: false });
    const changed = JSON.stringify({ ...doc("f7", "Replaced"), description: "second" });
    expect(await api.flows.import({ text: changed, onExisting: "new-version" })).toMatchObject({ id: "f7", version: 2, copied: false });
    expect((await api.flows.get({ id: "f7" })).document.name).toBe("Replaced");
    const copy = await api.flows.import({ text: changed, asCopy: true, onExisting: "new-version" });
    expect(copy).toMatchObject({ copied: true, version: 1 });
    expect((await api.flows.get({ id: copy.id })).document.name).toBe("Replaced (copy)");
    expect((await api.flows.get({ id: "f7" })).flow.latestVersion).toBe(2);
  });

  it("serves /healthz with Kafka and Postgres reachable", async () => {
    const res = await fetch(`${engine.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, kafka: { ok: true }, postgres: { ok: true } });
  });
});
