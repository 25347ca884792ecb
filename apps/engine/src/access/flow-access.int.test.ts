import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, freePort, testBrokers, waitFor } from "@millrace/testkit";
import { appRouter } from "../api/router.js";
import { createCallerFactory, type Principal } from "../api/trpc.js";
import { startEngine, type RunningEngine } from "../engine.js";
import { ADMIN, flowDoc, uid } from "../../test-support/index.js";

const makeCaller = createCallerFactory(appRouter);

describe("per-flow access on real Kafka and Postgres", () => {
  let engine: RunningEngine;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: ReturnType<typeof makeCaller>;
  let alice: ReturnType<typeof makeCaller>;
  let bob: ReturnType<typeof makeCaller>;
  let carol: ReturnType<typeof makeCaller>;
  const deployed: string[] = [];
  const as = (p: Principal) => makeCaller({ services: engine.services, principal: p });

  const id = uid("acc");
  const edgeId = "gen.success->keep";
  const doc = flowDoc(
    id,
    [
      ["gen", "generate", { count: 5, template: '{ "n": $i }' }],
      ["keep", "filter", { expression: "true" }],
    ],
    [["gen", "success", "keep", "durable"]],
  );

  beforeAll(async () => {
    db = await createTestDatabase("access");
    engine = await startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: testBrokers(), engineId: uid("eng") });
    admin = as(ADMIN);
    for (const [name, role] of [["alice", "editor"], ["bob", "editor"], ["carol", "operator"]] as const) {
      await admin.users.add({ name, role, password: "correct horse battery" });
    }
    alice = as({ name: "alice", role: "editor", via: "token" });
    bob = as({ name: "bob", role: "editor", via: "token" });
    carol = as({ name: "carol", role: "operator", via: "token" });
  });
  afterAll(async () => {
    for (const f of deployed) await admin.deployments.stop({ flowId: f }).catch(() => {});
    await engine?.close();
    await db?.drop();
  });

  it("makes the creator the owner; an unrestricted flow is seen by everyone", async () => {
    await alice.flows.save({ document: doc });
    expect(await bob.flows.access.get({ flowId: id })).toEqual({ flowId: id, owner: "alice", restricted: false, users: [], groups: [], canChange: false });
    expect((await bob.flows.list()).find((f) => f.id === id)).toMatchObject({ owner: "alice", restricted: false });
    expect((await alice.flows.access.get({ flowId: id })).canChange).toBe(true);
  });

  it("lets only the owner or an admin restrict it: another editor is FORBIDDEN with a clear message", async () => {
    await expect(bob.flows.access.set({ flowId: id, restricted: true, users: ["bob"], groups: [] })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: `only the flow's owner (alice) or an admin can change who may see flow ${id}`,
    });
    await alice.flows.access.set({ flowId: id, restricted: true, users: [], groups: [] });
    await alice.deployments.deploy({ flowId: id });
    deployed.push(id);
  });

  it("audits access changes, refused ones too", async () => {
    const rows = await waitFor(async () => {
      const r = (await admin.audit.list({ action: "flow.access.set", flow: id })).rows;
      return r.length >= 2 ? r : undefined;
    }, 10_000, "audit rows");
    expect(rows.map((r) => [r.actor, r.outcome])).toEqual(expect.arrayContaining([["alice", "ok"], ["bob", "refused"]]));
    expect(rows.find((r) => r.actor === "alice")?.detail).toMatchObject({ restricted: true });
  });

  it("hides a restricted flow from others: missing from flows.list and NOT_FOUND everywhere it is named", async () => {
    expect((await bob.flows.list()).map((f) => f.id)).not.toContain(id);
    expect((await alice.flows.list()).find((f) => f.id === id)).toMatchObject({ restricted: true });
    const missing = { code: "NOT_FOUND", message: `flow ${id} does not exist` };
    await expect(bob.flows.get({ id })).rejects.toMatchObject(missing);
    await expect(bob.flows.versions({ id })).rejects.toMatchObject(missing);
    await expect(bob.flows.export({ id })).rejects.toMatchObject(missing);
    await expect(bob.flows.save({ document: { ...doc, name: "taken over" } })).rejects.toMatchObject(missing);
    await expect(bob.flows.delete({ id })).rejects.toMatchObject(missing);
    await expect(bob.flows.access.get({ flowId: id })).rejects.toMatchObject(missing);
    await expect(bob.flows.access.set({ flowId: id, restricted: false, users: [], groups: [] })).rejects.toMatchObject(missing);
    await expect(bob.deployments.deploy({ flowId: id })).rejects.toMatchObject(missing);
    await expect(bob.deployments.stop({ flowId: id })).rejects.toMatchObject(missing);
    await expect(bob.deployments.status({ flowId: id })).rejects.toMatchObject(missing);
    await expect(bob.deployments.plan({ flowId: id })).rejects.toMatchObject(missing);
    await expect(bob.stats.snapshot({ flowId: id })).rejects.toMatchObject(missing);
    await expect(bob.tap.recent({ flowId: id, edgeId })).rejects.toMatchObject(missing);
    await expect(bob.provenance.events({ flowId: id })).rejects.toMatchObject(missing);
    await expect(bob.provenance.replay({ flowId: id, recordId: "r1" })).rejects.toMatchObject(missing);
    // the flow is still there and running for its owner
    expect((await alice.flows.get({ id })).flow.name).toBe(id);
  });

  it("leaves the hidden flow's events out of a lineage", async () => {
    const events = await waitFor(async () => {
      const e = await alice.provenance.events({ flowId: id, nodeId: "keep", limit: 100 });
      return e.length >= 5 ? e : undefined;
    }, 30_000, "filter events");
    const recordId = events[0]!.recordId;
    expect((await alice.provenance.lineage({ recordId })).nodes.length).toBeGreaterThan(0);
    const seenByBob = await bob.provenance.lineage({ recordId });
    expect(seenByBob).toMatchObject({ recordId, nodes: [], links: [] });
  });

  it("shows it to a listed user, and to the members of a listed group", async () => {
    await alice.flows.access.set({ flowId: id, restricted: true, users: ["bob"], groups: [] });
    expect((await bob.flows.list()).map((f) => f.id)).toContain(id);
    expect((await bob.flows.get({ id })).flow.id).toBe(id);
    expect((await bob.tap.recent({ flowId: id, edgeId, limit: 5 })).length).toBeGreaterThan(0);
    await expect(carol.flows.get({ id })).rejects.toMatchObject({ code: "NOT_FOUND" });

    await alice.flows.access.set({ flowId: id, restricted: true, users: [], groups: ["ops"] });
    await expect(bob.flows.get({ id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await admin.users.setGroups({ name: "carol", groups: ["ops", "night-shift"] });
    expect((await admin.users.list()).find((u) => u.name === "carol")?.groups).toEqual(["night-shift", "ops"]);
    expect((await carol.flows.list()).map((f) => f.id)).toContain(id);
    expect((await carol.deployments.status({ flowId: id }))).toBeTruthy();
  });

  it("keeps roles on top: a listed operator still cannot save or change the list", async () => {
    await expect(carol.flows.save({ document: doc })).rejects.toMatchObject({ code: "FORBIDDEN", message: "this needs the editor role (you are operator)" });
    await expect(carol.flows.access.set({ flowId: id, restricted: false, users: [], groups: [] })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("always shows it to an admin, who may change the list", async () => {
    expect((await admin.flows.list()).map((f) => f.id)).toContain(id);
    expect((await admin.flows.access.get({ flowId: id })).canChange).toBe(true);
    await admin.flows.access.set({ flowId: id, restricted: false, users: [], groups: [] });
    expect((await bob.flows.list()).map((f) => f.id)).toContain(id);
  });

  it("leaves flows from before per-flow access (no owner) open, and only an admin may restrict them", async () => {
    const old = flowDoc(uid("old"), [["gen", "generate", { count: 1, template: "{}" }]], []);
    // saved as before owners existed: the repository without an owner
    await engine.services.repositories.flows.save(old);
    expect(await bob.flows.access.get({ flowId: old.id })).toMatchObject({ owner: null, restricted: false, canChange: false });
    await expect(bob.flows.access.set({ flowId: old.id, restricted: true, users: [], groups: [] })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: `only an admin can change who may see flow ${old.id} (it has no owner)`,
    });
    await bob.flows.save({ document: { ...old, name: "edited by bob" } });
    expect((await alice.flows.get({ id: old.id })).flow.name).toBe("edited by bob");
  });

  it("gives a new user of a removed user's name none of its flows or shares", async () => {
    const mine = flowDoc(uid("mine"), [["gen", "generate", { count: 1, template: "{}" }]], []);
    const dave = as({ name: "dave", role: "editor", via: "token" });
    await admin.users.add({ name: "dave", role: "editor", password: "correct horse battery" });
    await dave.flows.save({ document: mine });
    await dave.flows.access.set({ flowId: mine.id, restricted: true, users: [], groups: [] });
    await alice.flows.access.set({ flowId: id, restricted: true, users: ["dave"], groups: [] });
    expect((await dave.flows.list()).map((f) => f.id)).toEqual(expect.arrayContaining([mine.id, id]));

    await admin.users.remove({ name: "dave" });
    await admin.users.add({ name: "dave", role: "editor", password: "another horse battery" });
    expect((await dave.flows.list()).map((f) => f.id)).not.toContain(mine.id);
    expect((await dave.flows.list()).map((f) => f.id)).not.toContain(id);
    expect(await admin.flows.access.get({ flowId: mine.id })).toMatchObject({ owner: null, restricted: true });
    expect((await admin.flows.access.get({ flowId: id })).users).toEqual([]);
  });

  it("refuses malformed names in an access list or a user's groups", async () => {
    await expect(alice.flows.access.set({ flowId: id, restricted: true, users: ["no spaces"], groups: [] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(admin.users.setGroups({ name: "bob", groups: ["ok", "not ok"] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(admin.users.setGroups({ name: "nobody", groups: [] })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
