import { createServer, type AddressInfo, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createTestDatabase, freePort, testBrokers } from "@millrace/testkit";
import { appRouter } from "../api/router.js";
import { createCallerFactory } from "../api/trpc.js";
import { openDatabase, type Database } from "../db/index.js";
import { createLogger } from "../log.js";
import { generateSecretKey, SecretBox } from "../secrets/index.js";
import type { Services } from "../services.js";
import { CONNECTION_TEST_MS, Connections } from "./index.js";
import { flowDoc } from "../../test-support/index.js";

const SASL_SECRET = "sasl-Pw-7f3a9";
const TLS_KEY = "tls-KEY-q8w2";
const makeCaller = createCallerFactory(appRouter);

/** Speaks PostgreSQL's startup until the password, then refuses it as PostgreSQL does; records the passwords sent. */
async function passwordRefusingServer(): Promise<{ server: Server; port: number; passwords: string[] }> {
  const passwords: string[] = [];
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let started = false;
    let refused = false;
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!started && buffered.length >= 4 && buffered.length >= buffered.readInt32BE(0)) {
        started = true;
        buffered = buffered.subarray(buffered.readInt32BE(0));
        // AuthenticationCleartextPassword
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
      }
      if (started && !refused && buffered.length >= 5 && buffered[0] === 0x70 && buffered.length >= 1 + buffered.readInt32BE(1)) {
        refused = true;
        passwords.push(buffered.subarray(5, 1 + buffered.readInt32BE(1) - 1).toString());
        const fields = Buffer.from("SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user \"app\"\0\0");
        const header = Buffer.alloc(5);
        header[0] = 0x45;
        header.writeInt32BE(4 + fields.length, 1);
        socket.end(Buffer.concat([header, fields]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, passwords };
}

describe("connections on a real database, broker and Postgres", () => {
  let db: { url: string; drop(): Promise<void> };
  let database: Database;
  let box: SecretBox;
  let connections: Connections;
  const lines: string[] = [];
  let services: Services;
  const as = (role: "admin" | "editor") => makeCaller({ services, principal: { name: `${role}-1`, role, via: "token" } });

  beforeAll(async () => {
    db = await createTestDatabase("conn");
    box = new SecretBox([generateSecretKey()]);
    database = await openDatabase(db.url, "connections-test", box);
    const log = createLogger({ destination: { write: (s: string) => void lines.push(s) }, level: "debug" });
    connections = new Connections(database.repositories.connections, undefined, log);
    services = { repositories: database.repositories, connections } as unknown as Services;
  });
  afterAll(async () => {
    await database?.close();
    await db?.drop();
  });

  it("adds, lists redacted, refuses a taken name, replaces keeping a secret, removes; audit-free of secrets", async () => {
    const admin = as("admin");
    const doc = { name: "local", type: "kafka", description: "the test broker", brokers: testBrokers(), sasl: { mechanism: "scram-sha-256", username: "app", password: SASL_SECRET }, tls: { cert: "CERT", key: TLS_KEY } };
    expect(await admin.connections.add({ document: doc })).toEqual({ name: "local", created: true });
    await expect(admin.connections.add({ document: doc })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining('"local" exists already') });

    const listed = await as("editor").connections.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ name: "local", type: "kafka", description: "the test broker", brokers: testBrokers(), createdBy: "admin-1", sasl: { username: "app", password: { set: true } }, tls: { cert: "CERT", key: { set: true } } });
    const got = await as("editor").connections.get({ name: "local" });
    for (const answer of [listed, got]) {
      expect(JSON.stringify(answer)).not.toContain(SASL_SECRET);
      expect(JSON.stringify(answer)).not.toContain(TLS_KEY);
    }

    // stored sealed: the plaintext is nowhere in the table
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const stored = (await client.query("SELECT document::text AS d FROM connection")).rows.map((r) => r.d as string).join();
    await client.end();
    expect(stored).not.toContain(SASL_SECRET);
    expect(stored).toContain("mrsec:v1:");

    // a replace that keeps the password and drops the client certificate
    const { tls: _tls, ...withoutTls } = doc;
    expect(await admin.connections.add({ document: { ...withoutTls, sasl: { ...doc.sasl, username: "app2", password: { set: true } } }, replace: true })).toEqual({ name: "local", created: false });
    const opened = await connections.open("local");
    expect(opened).toMatchObject({ sasl: { username: "app2", password: SASL_SECRET } });
    expect(opened.type === "kafka" && opened.tls).toBeUndefined();

    // keeping a secret there is none of
    await expect(admin.connections.add({ document: { ...doc, name: "fresh", sasl: { ...doc.sasl, password: { set: true } } } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("sasl.password: has no stored value to keep"),
    });
    // a bad document names the field
    await expect(admin.connections.add({ document: { ...doc, name: "bad", sasl: { ...doc.sasl, mechanism: "md5" } } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("sasl.mechanism: must be one of plain, scram-sha-256, scram-sha-512"),
    });

    expect(await admin.connections.remove({ name: "local" })).toEqual({ ok: true });
    await expect(admin.connections.remove({ name: "local" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(admin.connections.test({ name: "local" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("re-seals connections with the key rotation's new key", async () => {
    await connections.save({ name: "rotated", type: "postgres", host: "db", password: "rotate-me" }, "admin", false);
    const fresh = generateSecretKey();
    box.useKeys([fresh, ...box.ring()]);
    expect(await database.repositories.sealedValues.resealAll((s) => box.reseal(s))).toBeGreaterThanOrEqual(1);
    box.useKeys([fresh]);
    expect(await connections.open("rotated")).toMatchObject({ password: "rotate-me" });
    await connections.remove("rotated");
  });

  it("tests a Kafka connection: ok against the test broker, unreachable on a closed port within the time", async () => {
    await connections.save({ name: "kafka-ok", type: "kafka", brokers: testBrokers() }, "admin", false);
    expect(await as("admin").connections.test({ name: "kafka-ok" })).toMatchObject({ ok: true, detail: expect.stringContaining("topic(s) visible") });

    await connections.save({ name: "kafka-closed", type: "kafka", brokers: [`127.0.0.1:${await freePort()}`] }, "admin", false);
    const started = Date.now();
    const r = await connections.test("kafka-closed");
    expect(r).toMatchObject({ ok: false, reason: "unreachable", detail: expect.stringContaining('connection "kafka-closed"') });
    expect(Date.now() - started).toBeLessThan(CONNECTION_TEST_MS + 1_000);

    // a document not saved yet; a secret kept from the stored connection of that name
    const admin = as("admin");
    expect(await admin.connections.testDocument({ document: { name: "draft", type: "kafka", brokers: testBrokers() } })).toMatchObject({ ok: true });
    await expect(admin.connections.testDocument({ document: { name: "draft", type: "kafka", brokers: testBrokers(), sasl: { mechanism: "plain", username: "u", password: { set: true } } } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("sasl.password: has no stored value to keep"),
    });
    await expect(admin.connections.testDocument({ document: { name: "draft", type: "kafka", brokers: ["nohost"] } })).rejects.toMatchObject({ message: expect.stringContaining("brokers[0]: must be host:port") });
    await connections.save({ name: "with-sasl", type: "kafka", brokers: testBrokers(), sasl: { mechanism: "plain", username: "u", password: "kept-Pw-3" } }, "admin", false);
    const kept = await admin.connections.testDocument({ document: { name: "with-sasl", type: "kafka", brokers: testBrokers(), sasl: { mechanism: "plain", username: "u", password: { set: true } } } });
    expect(kept).toMatchObject({ ok: false, reason: "invalid", detail: expect.stringContaining("does not take SASL plain") });

    // TLS to a plaintext listener
    await connections.save({ name: "kafka-tls", type: "kafka", brokers: testBrokers(), tls: {} }, "admin", false);
    expect(await connections.test("kafka-tls")).toMatchObject({ ok: false, reason: "tls-mismatch", detail: expect.stringContaining('connection "kafka-tls": TLS handshake') });
  });

  it("tests a Postgres connection: ok, and a wrong password is wrong-credentials", async () => {
    const url = new URL(db.url);
    const password = decodeURIComponent(url.password);
    url.password = "";
    await connections.save({ name: "pg-ok", type: "postgres", url: url.toString(), ...(password ? { password } : {}) }, "admin", false);
    expect(await connections.test("pg-ok")).toMatchObject({ ok: true });

    // the test cluster trusts local connections (it never asks for a password): a server that
    // refuses the password as PostgreSQL does (SQLSTATE 28P01) stands in for one that checks
    const refusing = await passwordRefusingServer();
    try {
      await connections.save({ name: "pg-wrong", type: "postgres", host: "127.0.0.1", port: refusing.port, database: "orders", user: "app", password: "wrong-Password-41" }, "admin", false);
      const r = await connections.test("pg-wrong");
      expect(r).toMatchObject({ ok: false, reason: "wrong-credentials", detail: 'connection "pg-wrong" (127.0.0.1:' + refusing.port + '/orders): password authentication failed for user "app"' });
      expect(refusing.passwords).toEqual(["wrong-Password-41"]);
      expect(JSON.stringify(r)).not.toContain("wrong-Password-41");
    } finally {
      refusing.server.close();
    }
  });

  it("tests a SCRAM-protected cluster: ok with its credentials, wrong-credentials naming the mechanism without them", async (ctx) => {
    const brokers = process.env.KAFKA_SCRAM_BROKERS;
    const user = process.env.KAFKA_SCRAM_ADMIN_USER;
    const password = process.env.KAFKA_SCRAM_ADMIN_PASSWORD;
    if (!brokers || !user || !password) {
      ctx.skip("no SCRAM broker: set KAFKA_SCRAM_BROKERS, KAFKA_SCRAM_ADMIN_USER and KAFKA_SCRAM_ADMIN_PASSWORD (pnpm test:integration starts one)");
      return;
    }
    const base = { type: "kafka", brokers: brokers.split(",") };
    await connections.save({ ...base, name: "scram-ok", sasl: { mechanism: "scram-sha-512", username: user, password } }, "admin", false);
    expect(await connections.test("scram-ok")).toMatchObject({ ok: true });
    await connections.save({ ...base, name: "scram-wrong", sasl: { mechanism: "scram-sha-256", username: user, password: "not-the-Password-9" } }, "admin", false);
    const r = await connections.test("scram-wrong");
    expect(r).toMatchObject({ ok: false, reason: "wrong-credentials", detail: expect.stringMatching(/connection "scram-wrong".*scram-sha-256/) });
    expect(JSON.stringify(r)).not.toContain("not-the-Password-9");
    expect(lines.join("")).not.toContain(password);
  });

  it("never wrote a secret to the log", () => {
    expect(lines.length).toBeGreaterThan(0);
    const all = lines.join("");
    for (const secret of [SASL_SECRET, TLS_KEY, "rotate-me", "kept-Pw-3", "wrong-Password-41", "not-the-Password-9"]) expect(all).not.toContain(secret);
  });

  it("refuses to remove a connection a flow's latest version names, saying which flow", async () => {
    const guarded = new Connections(database.repositories.connections, undefined, createLogger({ level: "silent" }), (name) => database.repositories.flows.namingConnection(name));
    await guarded.save({ name: "inuse", type: "kafka", brokers: testBrokers() }, "admin-1", false);
    const uses = flowDoc("uses-conn", [["src", "kafka-source", { topic: "in", connection: "inuse" }], ["out", "log", {}]], [["src", "success", "out"]]);
    await database.repositories.flows.save({ ...uses, name: "Orders east" });
    await expect(guarded.remove("inuse")).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining('connection "inuse" is used by 1 flow(s): "Orders east" (uses-conn)') });
    // a newer version without it frees the connection
    await database.repositories.flows.save({ ...flowDoc("uses-conn", [["src", "kafka-source", { topic: "in" }], ["out", "log", {}]], [["src", "success", "out"]]), name: "Orders east" });
    await guarded.remove("inuse");
    expect(await database.repositories.connections.find("inuse")).toBeFalsy();
  });
});
