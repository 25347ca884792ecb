// The schema registry over its REST API, driven by a client nobody here wrote
// (@kafkajs/confluent-schema-registry) and by plain fetch for what that client does not send;
// two engines on one database serve one registry.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SchemaRegistry as ConfluentClient, SchemaType } from "@kafkajs/confluent-schema-registry";
import { createTestDatabase, freePort, testBrokers } from "@millrace/testkit";
import { spawnEngine, TEST_ADMIN_PASSWORD, uid, type EngineProcess } from "../../test-support/index.js";

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

const user = (fields: { name: string; type: unknown; default?: unknown }[], name = "User") => JSON.stringify({ type: "record", name, namespace: "test.millrace", fields });
const V1 = user([{ name: "id", type: "long" }, { name: "name", type: "string" }]);
const V2_OPTIONAL_ADDED = user([{ name: "id", type: "long" }, { name: "name", type: "string" }, { name: "email", type: ["null", "string"], default: null }]);
const V2_REQUIRED_ADDED = user([{ name: "id", type: "long" }, { name: "name", type: "string" }, { name: "age", type: "int" }]);

describe("schema registry (Confluent REST API)", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: EngineProcess;
  let b: EngineProcess;
  const editor = { username: uid("editor"), password: "editor-password-1" };
  const viewer = { username: uid("viewer"), password: "viewer-password-1" };
  let viewerToken: string;

  const basic = (c: { username: string; password: string }) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
  const client = (engine: EngineProcess, auth = editor) => new ConfluentClient({ host: `${engine.url}/schema-registry`, auth }, { [SchemaType.AVRO]: {} });
  async function rest(engine: EngineProcess, method: string, path: string, body?: unknown, auth: string | null = basic(editor)) {
    const r = await fetch(`${engine.url}/schema-registry${path}`, {
      method,
      headers: { ...(auth ? { authorization: auth } : {}), ...(body === undefined ? {} : { "content-type": CONTENT_TYPE }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, type: r.headers.get("content-type"), headers: r.headers, body: (await r.json()) as Record<string, unknown> & unknown[] };
  }

  beforeAll(async () => {
    db = await createTestDatabase("schema_registry");
    const brokers = testBrokers();
    a = await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers });
    b = await spawnEngine({ port: await freePort(), databaseUrl: db.url, brokers });
    await a.api.users.add.mutate({ name: editor.username, role: "editor", password: editor.password });
    await a.api.users.add.mutate({ name: viewer.username, role: "viewer", password: viewer.password });
    const login = await fetch(`${a.url}/trpc/auth.cliLogin`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: viewer.username, password: viewer.password }) });
    viewerToken = ((await login.json()) as { result: { data: { token: string } } }).result.data.token;
  }, 180_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  }, 60_000);

  it("registers, encodes and decodes with a Confluent client; the other engine sees the same ids", async () => {
    const subject = uid("users-value");
    const registry = client(a);
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: V1 }, { subject });
    expect(await registry.getRegistryId(subject, 1)).toBe(id);
    expect(await registry.getLatestSchemaId(subject)).toBe(id);
    expect(await registry.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: V1 })).toBe(id);
    // registering again is idempotent
    expect((await registry.register({ type: SchemaType.AVRO, schema: V1 }, { subject })).id).toBe(id);
    const encoded = await registry.encode(id, { id: 7, name: "Ada" });
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    // another engine, another client (no cache): the same id and schema
    expect(await client(b).decode(encoded)).toEqual({ id: 7, name: "Ada" });
    expect(await rest(b, "GET", `/schemas/ids/${id}`)).toMatchObject({ status: 200, type: CONTENT_TYPE, body: { schema: V1 } });
    // the client set the subject's level when it registered first
    expect((await rest(a, "GET", `/config/${subject}`)).body).toEqual({ compatibilityLevel: "BACKWARD" });

    // an optional field added: backward compatible, version 2; data written with v1 still decodes
    const v2 = await registry.register({ type: SchemaType.AVRO, schema: V2_OPTIONAL_ADDED }, { subject });
    expect(v2.id).not.toBe(id);
    expect((await rest(b, "GET", `/subjects/${subject}/versions`)).body).toEqual([1, 2]);
    expect((await rest(b, "GET", `/subjects/${subject}/versions/latest`)).body).toEqual({ subject, version: 2, id: v2.id, schema: V2_OPTIONAL_ADDED });
    expect(JSON.parse(JSON.stringify((await rest(a, "GET", `/subjects/${subject}/versions/1/schema`)).body))).toEqual(JSON.parse(V1));
    expect(await registry.decode(await registry.encode(v2.id, { id: 8, name: "Bo", email: "bo@example.com" }))).toEqual({ id: 8, name: "Bo", email: "bo@example.com" });

    // a required field added: refused with 409, by the client and over REST, with the reason
    await expect(registry.register({ type: SchemaType.AVRO, schema: V2_REQUIRED_ADDED }, { subject })).rejects.toMatchObject({ status: 409 });
    const refused = await rest(a, "POST", `/subjects/${subject}/versions`, { schema: V2_REQUIRED_ADDED });
    expect(refused.status).toBe(409);
    expect(refused.body.error_code).toBe(409);
    expect(refused.body.message).toContain("age");
    const check = await rest(a, "POST", `/compatibility/subjects/${subject}/versions/latest`, { schema: V2_REQUIRED_ADDED });
    expect(check.body.is_compatible).toBe(false);
    expect((check.body.messages as string[]).join("\n")).toMatch(/BACKWARD: the new schema cannot read data written with version 2 \(id \d+\): .*age/);
    expect((await rest(a, "POST", `/compatibility/subjects/${subject}/versions/1`, { schema: V2_OPTIONAL_ADDED })).body).toEqual({ is_compatible: true, messages: [] });
    // NONE lets it in
    expect((await rest(a, "PUT", `/config/${subject}`, { compatibility: "NONE" })).body).toEqual({ compatibility: "NONE" });
    expect((await rest(b, "POST", `/subjects/${subject}/versions`, { schema: V2_REQUIRED_ADDED })).status).toBe(200);
    expect((await rest(a, "POST", `/subjects/${subject}`, { schema: V2_REQUIRED_ADDED })).body).toMatchObject({ subject, version: 3 });
  });

  it("transitive levels check every version, the others the newest only", async () => {
    const subject = uid("transitive");
    const v1 = user([{ name: "id", type: "long" }]);
    const v2 = user([{ name: "id", type: "long" }, { name: "a", type: "string", default: "" }]);
    // drops the default of a: reads v2's data, not v1's
    const v3 = user([{ name: "id", type: "long" }, { name: "a", type: "string" }]);
    await rest(a, "PUT", `/config/${subject}`, { compatibility: "BACKWARD_TRANSITIVE" });
    for (const schema of [v1, v2]) expect((await rest(a, "POST", `/subjects/${subject}/versions`, { schema })).status).toBe(200);
    const refused = await rest(a, "POST", `/subjects/${subject}/versions`, { schema: v3 });
    expect(refused).toMatchObject({ status: 409, body: { error_code: 409 } });
    expect(refused.body.message).toContain("version 1");
    await rest(a, "PUT", `/config/${subject}`, { compatibility: "BACKWARD" });
    expect((await rest(a, "POST", `/subjects/${subject}/versions`, { schema: v3 })).status).toBe(200);
  });

  it("gives one schema one id, however many register it at once through two engines", async () => {
    const subject = uid("race");
    const schema = user([{ name: "id", type: "long" }, { name: "n", type: "int" }], `Race${Date.now()}`);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => rest(i % 2 ? b : a, "POST", `/subjects/${subject}/versions`, { schema })));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
    expect((await rest(a, "GET", `/subjects/${subject}/versions`)).body).toEqual([1]);
    // the same schema under 20 new subjects at once: one id too, version 1 in each
    const spread = await Promise.all(Array.from({ length: 20 }, (_, i) => rest(i % 2 ? b : a, "POST", `/subjects/${subject}-${i}/versions`, { schema })));
    expect(new Set(spread.map((r) => r.body.id))).toEqual(new Set([answers[0]!.body.id]));
    // spacing and key order do not make another schema
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(schema) as object).reverse()), null, 2);
    expect((await rest(b, "POST", `/subjects/${subject}/versions`, { schema: reordered })).body.id).toBe(answers[0]!.body.id);
  });

  it("deletes softly, then permanently; ids are never handed out again", async () => {
    const subject = uid("gone");
    const first = await rest(a, "POST", `/subjects/${subject}/versions`, { schema: user([{ name: "x", type: "int" }], "Gone") });
    const id = first.body.id as number;
    // permanent only after soft
    expect((await rest(a, "DELETE", `/subjects/${subject}?permanent=true`)).body.error_code).toBe(40405);
    expect((await rest(a, "DELETE", `/subjects/${subject}`)).body).toEqual([1]);
    expect((await rest(a, "GET", "/subjects")).body).not.toContain(subject);
    expect((await rest(a, "GET", "/subjects?deleted=true")).body).toContain(subject);
    expect((await rest(a, "GET", `/subjects/${subject}/versions/1`)).body.error_code).toBe(40402);
    expect((await rest(a, "GET", `/subjects/${subject}/versions/1?deleted=true`)).body).toMatchObject({ id, version: 1 });
    // a soft-deleted schema still decodes: consumers may meet its records
    expect((await rest(a, "GET", `/schemas/ids/${id}`)).status).toBe(200);
    expect((await rest(a, "DELETE", `/subjects/${subject}`)).body.error_code).toBe(40404);
    expect((await rest(a, "DELETE", `/subjects/${subject}?permanent=true`)).body).toEqual([1]);
    expect((await rest(b, "GET", `/schemas/ids/${id}`)).body.error_code).toBe(40403);
    expect((await rest(b, "GET", `/subjects/${subject}/versions`)).body.error_code).toBe(40401);
    const next = await rest(b, "POST", `/subjects/${subject}/versions`, { schema: user([{ name: "y", type: "int" }], "Gone") });
    expect(next.body.id).toBeGreaterThan(id);
    const again = await rest(a, "POST", `/subjects/${subject}-again/versions`, { schema: user([{ name: "x", type: "int" }], "Gone") });
    expect(again.body.id).not.toBe(id);

    // one version: soft, then permanent; `latest` is resolved to the version it names
    expect((await rest(a, "DELETE", `/subjects/${subject}/versions/latest?permanent=true`)).body).toMatchObject({ error_code: 40407, message: expect.stringContaining("Version 1 was not deleted first") });
    expect((await rest(a, "DELETE", `/subjects/${subject}/versions/1?permanent=true`)).body.error_code).toBe(40407);
    expect((await rest(a, "DELETE", `/subjects/${subject}/versions/1`)).body).toBe(1);
    expect((await rest(a, "DELETE", `/subjects/${subject}/versions/1`)).body.error_code).toBe(40406);
    expect((await rest(a, "DELETE", `/subjects/${subject}/versions/1?permanent=true`)).body).toBe(1);
  });

  it("answers Confluent's error codes", async () => {
    const subject = uid("errors");
    expect(await rest(a, "GET", `/subjects/${subject}/versions`)).toMatchObject({ status: 404, type: CONTENT_TYPE, body: { error_code: 40401 } });
    expect((await rest(a, "POST", `/subjects/${subject}/versions`, { schema: "{not json" })).body.error_code).toBe(42201);
    expect((await rest(a, "POST", `/subjects/${subject}/versions`, { schema: JSON.stringify({ type: "record", name: "R", fields: [{ name: "x", type: "nope" }] }) })).body).toMatchObject({
      error_code: 42201,
      message: expect.stringContaining("nope"),
    });
    expect((await rest(a, "POST", `/subjects/${subject}/versions`, { schema: '"string"', schemaType: "PROTOBUF" })).body.error_code).toBe(42201);
    // a union too large to check compatibility against in bounded time
    const enums = Array.from({ length: 1000 }, (_, i) => ({ type: "enum", name: `E${i}`, symbols: ["A"] }));
    expect((await rest(a, "POST", `/subjects/${subject}/versions`, { schema: JSON.stringify(enums) })).body).toMatchObject({ error_code: 42201, message: expect.stringContaining("1000 branches") });
    await rest(a, "POST", `/subjects/${subject}/versions`, { schema: '"string"' });
    expect((await rest(a, "GET", `/subjects/${subject}/versions/abc`)).body.error_code).toBe(42202);
    expect((await rest(a, "GET", `/subjects/${subject}/versions/9`)).body.error_code).toBe(40402);
    expect((await rest(a, "POST", `/subjects/${subject}`, { schema: '"int"' })).body.error_code).toBe(40403);
    expect((await rest(a, "GET", "/schemas/ids/999999")).body.error_code).toBe(40403);
    expect((await rest(a, "PUT", `/config/${subject}`, { compatibility: "SIDEWAYS" })).body.error_code).toBe(42203);
    expect((await rest(a, "GET", `/config/${uid("unset")}`)).body.error_code).toBe(40408);
    expect((await rest(a, "GET", `/config/${uid("unset")}?defaultToGlobal=true`)).body).toEqual({ compatibilityLevel: "BACKWARD" });
    expect((await rest(a, "GET", "/config")).body).toEqual({ compatibilityLevel: "BACKWARD" });
    expect((await rest(a, "GET", "/nowhere")).status).toBe(404);
  });

  it("asks for credentials, takes passwords and tokens over Basic, and checks roles", async () => {
    const none = await rest(a, "GET", "/subjects", undefined, null);
    expect(none).toMatchObject({ status: 401, body: { error_code: 40101 } });
    expect(none.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect((await rest(a, "GET", "/subjects", undefined, basic({ username: editor.username, password: "wrong" }))).status).toBe(401);
    expect((await rest(a, "GET", "/subjects", undefined, basic(viewer))).status).toBe(200);
    expect((await rest(a, "GET", "/subjects", undefined, basic({ username: "token", password: viewerToken }))).status).toBe(200);
    expect((await rest(a, "GET", "/subjects", undefined, `Bearer ${viewerToken}`)).status).toBe(200);
    const registering = await rest(a, "POST", `/subjects/${uid("viewer")}/versions`, { schema: '"string"' }, basic(viewer));
    expect(registering).toMatchObject({ status: 403, body: { error_code: 40301 } });
    await expect(client(a, viewer).register({ type: SchemaType.AVRO, schema: V1 }, { subject: uid("viewer") })).rejects.toMatchObject({ status: 403 });
    // the global level is the admin's
    expect((await rest(a, "PUT", "/config", { compatibility: "FULL" })).status).toBe(403);
    expect((await rest(a, "PUT", "/config", { compatibility: "BACKWARD" }, basic({ username: "admin", password: TEST_ADMIN_PASSWORD }))).body).toEqual({ compatibility: "BACKWARD" });
  });

  it("records writes in the audit log, refused ones too", async () => {
    const subject = uid("audited");
    await rest(a, "POST", `/subjects/${subject}/versions`, { schema: '"long"' });
    await rest(a, "POST", `/subjects/${subject}/versions`, { schema: '"long"' }, basic(viewer));
    const { rows } = await a.api.audit.list.query({ action: "schemaRegistry.register", limit: 50 });
    const mine = rows.filter((r) => r.target === subject);
    expect(mine.map((r) => [r.actor, r.outcome, r.via, r.errorCode])).toEqual(
      expect.arrayContaining([
        [editor.username, "ok", "basic-password", null],
        [viewer.username, "refused", "basic-password", "40301"],
      ]),
    );
    expect(mine.find((r) => r.actor === editor.username)?.detail).toMatchObject({ id: expect.any(Number) });
  });

  it("serves the designer's tRPC router from the same tables", async () => {
    const subject = uid("designer");
    const registered = await a.api.schemaRegistry.register.mutate({ subject, schema: V1 });
    expect(registered).toMatchObject({ version: 1, created: true });
    expect((await rest(b, "GET", `/subjects/${subject}/versions/1`)).body.id).toBe(registered.id);
    const listed = (await b.api.schemaRegistry.subjects.query()).find((s) => s.subject === subject);
    expect(listed).toEqual({ subject, versions: [1], latestId: registered.id, compatibility: "BACKWARD" });
    expect((await a.api.schemaRegistry.schema.query({ subject, version: 1 })).schema).toBe(JSON.stringify(JSON.parse(V1), null, 2));
    expect(await a.api.schemaRegistry.checkCompatibility.mutate({ subject, schema: V2_REQUIRED_ADDED })).toMatchObject({ compatible: false, compatibility: "BACKWARD" });
    await expect(a.api.schemaRegistry.register.mutate({ subject, schema: V2_REQUIRED_ADDED })).rejects.toMatchObject({ data: { code: "CONFLICT" } });
    await a.api.schemaRegistry.setConfig.mutate({ subject, compatibility: "FORWARD" });
    expect(await a.api.schemaRegistry.config.query({ subject })).toEqual({ compatibility: "FORWARD", own: true });
    expect(await a.api.schemaRegistry.versions.query({ subject })).toEqual([1]);
  });
});
