// The local broker with SASL/SCRAM and ACLs, and a second independent cluster beside it.
// Uses the brokers `pnpm test:integration` started (KAFKA_SCRAM_BROKERS, KAFKA_SECOND_BROKERS)
// when set, else starts its own on free ports in temp dirs. The data-dir checks at the end
// always run on a broker this file starts itself, through the CLI.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import kafkajs, { type SASLOptions } from "kafkajs";
import { freePort, waitFor } from "../../packages/testkit/src/index.js";
import { SMALL_HEAP, kafkaStatus, startKafka, stopKafka } from "./index.mjs";

const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;
const run = promisify(execFile);
const cli = join(import.meta.dirname, "..", "kafka.mjs");

type Mechanism = "scram-sha-256" | "scram-sha-512";
interface Login { name: string; password: string }
interface ScramBroker { brokers: string; admin: Login; user: Login; dir?: string; port?: number }

const ownDirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "millrace-kafka-sasl-test-"));
  ownDirs.push(d);
  return d;
}

function client(brokers: string, login?: Login, mechanism: Mechanism = "scram-sha-256") {
  return new Kafka({
    clientId: "kafka-sasl-test",
    brokers: brokers.split(","),
    sasl: login ? ({ mechanism, username: login.name, password: login.password } as SASLOptions) : undefined,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

/** Names and protocol error types along an error's cause chain (kafkajs wraps the broker's answer). */
function errorChain(e: unknown): string[] {
  const out: string[] = [];
  let cur = e as { name?: string; type?: string; cause?: unknown; originalError?: unknown } | undefined;
  for (let i = 0; cur && i < 5; i++) {
    if (cur.name) out.push(cur.name);
    if (cur.type) out.push(cur.type);
    cur = (cur.cause ?? cur.originalError) as typeof cur;
  }
  return out;
}

async function caught(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    return errorChain(e);
  }
  return ["(no error)"];
}

async function clusterId(brokers: string, login?: Login): Promise<string> {
  const a = client(brokers, login).admin();
  await a.connect();
  try {
    return (await a.describeCluster()).clusterId;
  } finally {
    await a.disconnect();
  }
}

/** A SCRAM + ACL broker started through the CLI, as a person would. */
async function cliStartScram(): Promise<ScramBroker> {
  const dir = tempDir();
  const port = await freePort();
  const admin = { name: "admin", password: randomBytes(9).toString("base64url") };
  const user = { name: "alice", password: randomBytes(9).toString("base64url") };
  const { stdout } = await run(process.execPath, [
    cli, "start", "--sasl", `${admin.name}:${admin.password},${user.name}:${user.password}`, "--acls", "--port", String(port), "--dir", dir,
  ]);
  expect(stdout).toContain(`KAFKA_BROKERS=127.0.0.1:${port}`);
  expect(stdout).toContain("KAFKA_SASL_MECHANISMS=SCRAM-SHA-256,SCRAM-SHA-512");
  return { brokers: `127.0.0.1:${port}`, admin, user, dir, port };
}

let scram: ScramBroker;

beforeAll(async () => {
  const env = process.env;
  if (env.KAFKA_SCRAM_BROKERS) {
    scram = {
      brokers: env.KAFKA_SCRAM_BROKERS,
      admin: { name: env.KAFKA_SCRAM_ADMIN_USER ?? "", password: env.KAFKA_SCRAM_ADMIN_PASSWORD ?? "" },
      user: { name: env.KAFKA_SCRAM_USER ?? "", password: env.KAFKA_SCRAM_PASSWORD ?? "" },
    };
    for (const [k, v] of Object.entries({ KAFKA_SCRAM_ADMIN_USER: scram.admin.name, KAFKA_SCRAM_ADMIN_PASSWORD: scram.admin.password, KAFKA_SCRAM_USER: scram.user.name, KAFKA_SCRAM_PASSWORD: scram.user.password })) {
      if (!v) throw new Error(`KAFKA_SCRAM_BROKERS is set but ${k} is not`);
    }
  } else {
    scram = await cliStartScram();
  }
});

afterAll(async () => {
  for (const d of ownDirs) {
    await stopKafka(d);
    expect(kafkaStatus(d).filter((s) => s.running)).toEqual([]);
    if (!process.env.MILLRACE_KEEP_KAFKA_DIRS) rmSync(d, { recursive: true, force: true });
  }
});

describe("scripts/kafka with SASL/SCRAM and ACLs", () => {
  it("lets the admin super user in with either mechanism and do anything", async () => {
    for (const mechanism of ["scram-sha-256", "scram-sha-512"] as const) {
      const a = client(scram.brokers, scram.admin, mechanism).admin();
      await a.connect();
      const topic = `sasl-admin-${mechanism}-${randomBytes(4).toString("hex")}`;
      expect(await a.createTopics({ topics: [{ topic }], waitForLeaders: true })).toBe(true);
      expect(await a.listTopics()).toContain(topic);
      await a.deleteTopics({ topics: [topic] });
      await a.disconnect();
    }
  });

  it("refuses a wrong password and an unknown user", async () => {
    for (const mechanism of ["scram-sha-256", "scram-sha-512"] as const) {
      const a = client(scram.brokers, { name: scram.admin.name, password: "not-the-password" }, mechanism).admin();
      expect(await caught(a.connect())).toContain("KafkaJSSASLAuthenticationError");
      await a.disconnect();
    }
    const stranger = client(scram.brokers, { name: "nobody", password: "x" }).admin();
    expect(await caught(stranger.connect())).toContain("KafkaJSSASLAuthenticationError");
    await stranger.disconnect();
  });

  it("denies the non-super user a produce without a WRITE ACL, and allows it once the admin grants one", async () => {
    const topic = `sasl-acl-${randomBytes(4).toString("hex")}`;
    const a = client(scram.brokers, scram.admin).admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic }], waitForLeaders: true });
    const producer = client(scram.brokers, scram.user, "scram-sha-512").producer();
    await producer.connect();
    try {
      expect(await caught(producer.send({ topic, messages: [{ value: "denied" }] }))).toContain("TOPIC_AUTHORIZATION_FAILED");
      await a.createAcls({
        acl: [{
          resourceType: AclResourceTypes.TOPIC, resourceName: topic, resourcePatternType: ResourcePatternTypes.LITERAL,
          principal: `User:${scram.user.name}`, host: "*", operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW,
        }],
      });
      // The broker applies an ACL once its metadata has it: poll, no timing asserted.
      const sent = await waitFor(async () => producer.send({ topic, messages: [{ value: "allowed" }] }), 30_000, "produce after the WRITE ACL");
      expect(sent[0].errorCode).toBe(0);
      const offsets = await a.fetchTopicOffsets(topic);
      expect(offsets[0].high).toBe("1");
    } finally {
      await producer.disconnect();
      await a.deleteTopics({ topics: [topic] }).catch(() => {});
      await a.disconnect();
    }
  });

  it("runs a second independent cluster side by side", async () => {
    let second = process.env.KAFKA_SECOND_BROKERS;
    if (!second) {
      const k = await startKafka({ port: await freePort(), dataDir: tempDir(), heap: SMALL_HEAP });
      expect(k.securityProtocol).toBe("PLAINTEXT");
      expect(k.mechanisms).toEqual([]);
      second = k.brokers;
    }
    expect(second).not.toBe(scram.brokers);
    const ids = [await clusterId(scram.brokers, scram.admin), await clusterId(second)];
    if (process.env.KAFKA_BROKERS) ids.push(await clusterId(process.env.KAFKA_BROKERS));
    expect(new Set(ids).size).toBe(ids.length);

    const topic = `only-on-second-${randomBytes(4).toString("hex")}`;
    const a = client(second).admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic }], waitForLeaders: true });
    await a.deleteTopics({ topics: [topic] });
    await a.disconnect();
    const s = client(scram.brokers, scram.admin).admin();
    await s.connect();
    expect(await s.listTopics()).not.toContain(topic);
    await s.disconnect();
  });

  it("keeps a data dir's users across restarts and says so when other users are asked for", async () => {
    const own = scram.dir ? scram : await cliStartScram();
    const dir = own.dir!;
    const port = own.port!;
    const users = [own.admin, own.user];
    expect(statSync(join(dir, "server.properties")).mode & 0o077).toBe(0);
    expect(readFileSync(join(dir, "node.json"), "utf8")).not.toContain(own.admin.password);

    const again = await startKafka({ port, dataDir: dir, sasl: { users }, acls: true });
    expect(again.reused).toBe(true);
    expect(again.mechanisms).toEqual(["SCRAM-SHA-256", "SCRAM-SHA-512"]);
    await expect(startKafka({ port, dataDir: dir })).rejects.toThrow(/runs with a SASL_PLAINTEXT listener, not PLAINTEXT/);
    await expect(startKafka({ port, dataDir: dir, sasl: { users: [...users, { name: "bob", password: "pw" }] }, acls: true }))
      .rejects.toThrow(/formatted with the SCRAM users admin, alice, not bob/);

    await run(process.execPath, [cli, "stop", "--dir", dir]);
    expect(existsSync(join(dir, "kafka.pid"))).toBe(false);
    expect(kafkaStatus(dir).filter((s) => s.running)).toEqual([]);
    await expect(startKafka({ port, dataDir: dir, sasl: { users: [...users, { name: "bob", password: "pw" }] }, acls: true, heap: SMALL_HEAP }))
      .rejects.toThrow(/SCRAM users are created only when the storage is formatted/);

    // Restarted with the same users: the ones seeded at format time still log in.
    const restarted = await startKafka({ port, dataDir: dir, sasl: { users }, acls: true, heap: SMALL_HEAP });
    expect(restarted.reused).toBe(false);
    const producer = client(restarted.brokers, own.user).producer();
    await producer.connect();
    expect(await caught(producer.send({ topic: "no-acl-here", messages: [{ value: "x" }] }))).toContain("TOPIC_AUTHORIZATION_FAILED");
    await producer.disconnect();
  });
});
