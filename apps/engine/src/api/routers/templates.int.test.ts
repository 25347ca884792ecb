import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGroup, placeTemplate, TEMPLATE_LIMITS, type FlowDocument } from "@millrace/flow";
import { appRouter } from "../router.js";
import { createCallerFactory } from "../trpc.js";
import { ADMIN } from "../../../test-support/index.js";
import { startTestEngine, type TestEngine } from "../../../test-support/engine-harness.js";

/** generate → filter (#{minimum}) → log, with filter and log in group "g". */
function source(id: string): FlowDocument {
  const doc: FlowDocument = {
    schemaVersion: 1,
    id,
    name: "Source",
    nodes: [
      { id: "gen", type: "generate", typeVersion: 1, config: { count: 5, template: "{ 'n': $i }" }, position: { x: 0, y: 0 } },
      { id: "big", type: "filter", typeVersion: 1, config: { expression: "value.n > #{minimum}" }, position: { x: 200, y: 0 } },
      { id: "log", type: "log", typeVersion: 1, config: {}, position: { x: 400, y: 0 } },
    ],
    edges: [
      { id: "e1", from: { node: "gen", port: "success" }, to: { node: "big" } },
      { id: "e2", from: { node: "big", port: "success" }, to: { node: "log" } },
    ],
    parameters: [{ name: "minimum", value: "2", sensitive: false }],
  };
  return createGroup(doc, { id: "g", name: "Big ones", nodes: ["big", "log"] });
}

const makeCaller = createCallerFactory(appRouter);

describe("templates API on a real Postgres", () => {
  let t: TestEngine;
  let api: ReturnType<typeof makeCaller>;

  beforeAll(async () => {
    t = await startTestEngine("templates");
    api = makeCaller({ services: t.engine.services, principal: ADMIN });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("saves a group as a template, lists and reads it, finds its uses, saves a new version and deletes it", async () => {
    const saved = await api.templates.save({ document: source("src"), groupId: "g", name: "Big ones", description: "keeps the big ones" });
    expect(saved).toMatchObject({ version: 1 });
    expect(saved.id).toMatch(/^tpl-/);
    expect(await api.templates.list()).toMatchObject([{ id: saved.id, name: "Big ones", version: 1, description: "keeps the big ones", createdBy: "admin" }]);
    const v1 = await api.templates.get({ id: saved.id });
    expect(v1.parameters).toEqual([{ name: "minimum", default: "2", sensitive: false }]);
    expect(v1.inputs).toEqual([{ node: "big" }]);

    const other = placeTemplate({ schemaVersion: 1, id: "use", name: "Use", nodes: [], edges: [], parameters: [] }, v1, { groupId: "u1", position: { x: 0, y: 0 }, values: { minimum: "4" } });
    await api.flows.save({ document: other });
    expect(await api.templates.uses({ templateId: saved.id })).toEqual([{ flowId: "use", flowName: "Use", flowVersion: 1, groupId: "u1", groupName: "Big ones", templateVersion: 1 }]);
    expect(await api.templates.uses({ templateId: "tpl-none" })).toEqual([]);

    const changed = source("src");
    changed.nodes[2]!.config = { level: "warn" };
    expect(await api.templates.save({ document: changed, groupId: "g", name: "Big ones", templateId: saved.id, baseVersion: 1 })).toEqual({ id: saved.id, version: 2 });
    // someone saved version 2 in between
    await expect(api.templates.save({ document: changed, groupId: "g", name: "Big ones", templateId: saved.id, baseVersion: 1 })).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await api.templates.get({ id: saved.id, version: 1 })).nodes[1]!.config).toEqual({});
    expect((await api.templates.list())[0]!.version).toBe(2);

    expect(await api.templates.delete({ id: saved.id })).toEqual({ ok: true });
    await expect(api.templates.get({ id: saved.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(api.templates.delete({ id: saved.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses a password field in plain text, naming the node and field, and never stores it", async () => {
    const doc = source("secret");
    doc.nodes.push({ id: "db", type: "postgres-sink", typeVersion: 1, name: "Archive", config: { connectionString: "postgres://u:pw-in-clear@h/db", table: "t" }, position: { x: 400, y: 200 } });
    doc.groups = doc.groups!.map((g) => ({ ...g, nodes: [...g.nodes, "db"] }));
    const refused = await api.templates.save({ document: doc, groupId: "g", name: "Leaky" }).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(refused).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining('"Archive" at config.connectionString') });
    expect(refused!.message).not.toContain("pw-in-clear");
    expect(await api.templates.list()).toEqual([]);
  });

  it("keeps at most TEMPLATE_LIMITS.versions versions of a template, saying what to do instead", async () => {
    const saved = await api.templates.save({ document: source("many"), groupId: "g", name: "Many" });
    const body = await api.templates.get({ id: saved.id });
    const repo = t.engine.services.repositories.templates;
    for (let v = 2; v <= TEMPLATE_LIMITS.versions; v++) await repo.save(saved.id, body, "admin");
    await expect(api.templates.save({ document: source("many"), groupId: "g", name: "Many", templateId: saved.id })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining(`has ${TEMPLATE_LIMITS.versions} versions, the most a template keeps`),
    });
    expect((await api.templates.get({ id: saved.id })).version).toBe(TEMPLATE_LIMITS.versions);
    await api.templates.delete({ id: saved.id });
  });

  it("refuses a template from a restricted flow (every viewer reads templates)", async () => {
    await api.flows.save({ document: source("secret-src") });
    await api.flows.access.set({ flowId: "secret-src", restricted: true, users: [], groups: [] });
    await expect(api.templates.save({ document: source("secret-src"), groupId: "g", name: "Leak" })).rejects.toThrow(/flow secret-src is restricted/);
    expect((await api.templates.list()).some((t) => t.name === "Leak")).toBe(false);
  });

  it("bounds its inputs and names an unknown group", async () => {
    await expect(api.templates.save({ document: source("x"), groupId: "g", name: "n".repeat(201) })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(api.templates.save({ document: source("x"), groupId: "nope", name: "T" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining('group "nope" does not exist') });
    await expect(api.templates.save({ document: { not: "a flow" }, groupId: "g", name: "T" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
