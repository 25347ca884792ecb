import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@millrace/testkit";
import { HEADER } from "@millrace/processors";
import type { OutMessage } from "../kafka/index.js";
import { bearer, flowDoc, readTopic, uid, type ReadRecord } from "../../test-support/index.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";

/** Every record entering a flow names who sent it (mr.principal) and how (mr.auth). */
describe("who sent a record, on real Kafka and Postgres", () => {
  let t: TestEngine;
  let aliceToken: string;

  beforeAll(async () => {
    t = await startTestEngine("who");
    await t.engine.services.identity.users.add("alice", "viewer", "alice-password");
    aliceToken = (await t.engine.services.identity.tokens.create({ name: "alice", role: "viewer" }, "viewer", "ingest")).token;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Deploys http-listen (with `listen` config) → kafka-sink and waits for the source; returns its path and sink topic. */
  async function listening(name: string, listen: Record<string, unknown>, parameters: { name: string; value: string; sensitive: boolean }[] = []) {
    const id = uid(name);
    const sink = uid(`${name}-sink`);
    const path = `/in-${id}`;
    await t.api.flows.save({ document: flowDoc(id, [["in", "http-listen", { path, ...listen }], ["out", "kafka-sink", { topic: sink }]], [["in", "success", "out"]], parameters) });
    t.deployed.push(id);
    await t.api.deployments.deploy({ flowId: id });
    await waitFor(async () => (await t.api.deployments.status({ flowId: id })).local.stages.find((s: any) => s.id === "in").owner, 15_000, "the source to start");
    return { id, path, sink };
  }

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(t.engine.url + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

  /** Makes `topic` (one partition) and writes `messages` to it. */
  async function produce(topic: string, messages: OutMessage[]): Promise<void> {
    await t.kafka.ensureTopics([{ topic, partitions: 1 }]);
    const producer = t.kafka.producer({});
    await producer.connect();
    try {
      await producer.send(topic, messages);
    } finally {
      await producer.disconnect().catch(() => {});
    }
  }

  /** The sink's records once `n` arrived (and nothing more within the settle time). */
  const written = (sink: string, n: number): Promise<ReadRecord[]> => readTopic(t.brokers, sink, (rs) => rs.length >= n);

  it("http-listen auth token: a Millrace API token's user is the principal; no token, a bad one or a session cookie alone get 401 and write nothing", async () => {
    const { path, sink } = await listening("tok", { auth: "token" });
    const refused = [
      await post(path, '{"n":0}'),
      await post(path, '{"n":0}', bearer("mr_not-a-token")),
      await post(path, '{"n":0}', { cookie: "millrace_session=whatever" }),
    ];
    for (const r of refused) {
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toBe("Bearer");
      expect(await r.text()).toMatch(/API token.*nothing was written/);
    }
    expect((await post(path, '{"n":1}', { ...bearer(aliceToken), cookie: "c=1", "x-trace": "t1" })).status).toBe(202);
    const records = await written(sink, 1);
    expect(records.map((r) => r.value)).toEqual([{ n: 1 }]);
    const h = records[0]!.headers;
    expect(h[HEADER.principal]).toBe("alice");
    expect(h[HEADER.auth]).toBe("token");
    expect(h["http.x-trace"]).toBe("t1");
    // credentials never become record headers
    expect(Object.keys(h).filter((k) => /authorization|cookie/i.test(k))).toEqual([]);
    expect(JSON.stringify(h)).not.toContain(aliceToken);
  });

  it("callContextTopic: one call context per accepted record, with the caller and the id the record carries (mr.id); refused requests publish none", async () => {
    const id = uid("ctx");
    const sink = uid("ctx-sink");
    const contexts = uid("ctx-who");
    const path = `/in-${id}`;
    const document = flowDoc(id, [["in", "http-listen", { path, auth: "token" }], ["out", "kafka-sink", { topic: sink }]], [["in", "success", "out"]]);
    document.nodes[0]!.settings = { callContextTopic: contexts };
    await t.api.flows.save({ document });
    t.deployed.push(id);
    await t.api.deployments.deploy({ flowId: id });
    await waitFor(async () => (await t.api.deployments.status({ flowId: id })).local.stages.find((s: any) => s.id === "in").owner, 15_000, "the source to start");
    expect((await post(path, '{"n":0}')).status).toBe(401);
    for (const n of [1, 2, 3]) expect((await post(path, `{"n":${n}}`, bearer(aliceToken))).status).toBe(202);
    const records = await written(sink, 3);
    const published = await readTopic(t.brokers, contexts, (rs) => rs.length >= 3);
    expect(published).toHaveLength(3);
    const idOf = new Map(records.map((r) => [r.headers[HEADER.id], r.value.n]));
    expect(published.map((c) => idOf.get(c.value.recordId)).sort()).toEqual([1, 2, 3]);
    for (const c of published) {
      expect(c.key).toBe(c.value.recordId);
      expect(c.value).toEqual({ recordId: c.key, principal: "alice", auth: "token", at: expect.any(String), flowId: id, nodeId: "in" });
      expect(Number.isNaN(Date.parse(c.value.at))).toBe(false);
    }
  });

  it("http-listen auth api-key: the key (a sensitive parameter) in its header; the configured principal; the key never in the record", async () => {
    const key = "k-" + uid("key");
    const { id, path, sink } = await listening("key", { auth: "api-key", header: "X-Ingest-Key", key: "#{ingest.key}", principal: "billing" }, [{ name: "ingest.key", value: key, sensitive: true }]);
    expect(JSON.stringify(await t.api.deployments.status({ flowId: id }))).not.toContain(key);
    expect((await post(path, '{"n":0}')).status).toBe(401);
    expect((await post(path, '{"n":0}', { "x-ingest-key": key + "x" })).status).toBe(401);
    expect((await post(path, '{"n":0}', { "x-api-key": key })).status).toBe(401); // not the configured header
    expect((await post(path, '{"n":2}', { "x-ingest-key": key })).status).toBe(202);
    const records = await written(sink, 1);
    expect(records.map((r) => r.value)).toEqual([{ n: 2 }]);
    expect(records[0]!.headers).toMatchObject({ [HEADER.principal]: "billing", [HEADER.auth]: "api-key" });
    expect(records[0]!.headers["http.x-ingest-key"]).toBeUndefined();
    expect(JSON.stringify(records[0]!.headers)).not.toContain(key);
  });

  it("http-listen auth hmac: the HMAC-SHA256 of the raw body in hex or base64; a wrong or missing signature or a changed body gets 401", async () => {
    const secret = "shared-" + uid("s");
    const { path, sink } = await listening("mac", { auth: "hmac", secret: "#{mac.secret}", principal: "partner-x" }, [{ name: "mac.secret", value: secret, sensitive: true }]);
    const sign = (body: string) => createHmac("sha256", secret).update(body).digest();
    const one = '{"n":3}';
    const two = '{"n":4}';
    expect((await post(path, one)).status).toBe(401);
    expect((await post(path, one, { "x-signature": sign(two).toString("hex") })).status).toBe(401); // signature of another body
    expect((await post(path, one, { "x-signature": createHmac("sha256", "other").update(one).digest("hex") })).status).toBe(401);
    expect((await post(path, one, { "x-signature": "not a signature" })).status).toBe(401);
    expect((await post(path, one, { "x-signature": sign(one).toString("hex") })).status).toBe(202);
    expect((await post(path, two, { "x-signature": "sha256=" + sign(two).toString("base64") })).status).toBe(202);
    const records = await written(sink, 2);
    expect(records.map((r) => JSON.stringify(r.value)).sort()).toEqual([one, two]);
    for (const r of records) expect(r.headers).toMatchObject({ [HEADER.principal]: "partner-x", [HEADER.auth]: "hmac" });
  });

  it("http-listen without auth: anonymous; Authorization and Cookie are still not copied", async () => {
    const { path, sink } = await listening("open", {});
    expect((await post(path, '{"n":5}', { authorization: "Basic dTpw", cookie: "a=b" })).status).toBe(202);
    const [r] = await written(sink, 1);
    expect(r!.headers).toMatchObject({ [HEADER.principal]: "anonymous", [HEADER.auth]: "none" });
    expect(Object.keys(r!.headers).filter((k) => /authorization|cookie/i.test(k))).toEqual([]);
  });

  it("generate: records carry the deploying user; a route on headers.\"mr.principal\" sends them on", async () => {
    const id = uid("gen");
    const mine = uid("gen-admin");
    const others = uid("gen-other");
    await t.api.flows.save({
      document: flowDoc(
        id,
        [
          ["gen", "generate", { count: 5, template: '{ "i": $i }' }],
          ["who", "route", { routes: [{ name: "admin", expression: 'headers."mr.principal" = "admin" and headers."mr.auth" = "deployment"' }] }],
          ["mine", "kafka-sink", { topic: mine }],
          ["rest", "kafka-sink", { topic: others }],
        ],
        [["gen", "success", "who"], ["who", "admin", "mine"], ["who", "unmatched", "rest"]],
      ),
    });
    t.deployed.push(id);
    const status = await t.api.deployments.deploy({ flowId: id });
    expect(status.deployedBy).toBe("admin");
    const records = await written(mine, 5);
    expect(records.map((r) => r.value.i).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const r of records) expect(r.headers).toMatchObject({ [HEADER.principal]: "admin", [HEADER.auth]: "deployment" });
    const stats = await waitFor(async () => {
      const s = await t.api.stats.snapshot({ flowId: id });
      return s.nodes.who?.in === 5 ? s : undefined;
    }, 15_000, "stats");
    expect(stats.nodes.who.errors).toBe(0);
    expect((await t.engine.services.kafka!.topicEndOffsets(others)).reduce((s, p) => s + p.high, 0)).toBe(0);
  });

  it("kafka-source: the principal from principalHeader, else its configured principal; a message cannot claim mr.principal itself", async () => {
    const id = uid("ks");
    const input = uid("ks-in");
    const sink = uid("ks-sink");
    await produce(input, [
      { value: '{"n":1}', headers: { "x-user": "carol" } },
      { value: '{"n":2}', headers: { [HEADER.principal]: "mallory", [HEADER.auth]: "token" } },
      { value: '{"n":3}' },
    ]);
    await t.api.flows.save({
      document: flowDoc(id, [["src", "kafka-source", { topic: input, fromBeginning: true, principalHeader: "x-user", principal: "ingest-svc" }], ["out", "kafka-sink", { topic: sink }]], [["src", "success", "out"]]),
    });
    t.deployed.push(id);
    await t.api.deployments.deploy({ flowId: id });
    const records = await written(sink, 3);
    const by = Object.fromEntries(records.map((r) => [r.value.n, [r.headers[HEADER.principal], r.headers[HEADER.auth]]]));
    expect(by).toEqual({ 1: ["carol", "kafka-header"], 2: ["ingest-svc", "configured"], 3: ["ingest-svc", "configured"] });
  });

  it("kafka-source defaults: mr.principal of the message (kafka-header), else the deploying user", async () => {
    const id = uid("ksd");
    const input = uid("ksd-in");
    const sink = uid("ksd-sink");
    await produce(input, [{ value: '{"n":1}', headers: { [HEADER.principal]: "dave" } }, { value: '{"n":2}' }]);
    await t.api.flows.save({ document: flowDoc(id, [["src", "kafka-source", { topic: input, fromBeginning: true }], ["out", "kafka-sink", { topic: sink }]], [["src", "success", "out"]]) });
    t.deployed.push(id);
    await t.api.deployments.deploy({ flowId: id });
    const records = await written(sink, 2);
    const by = Object.fromEntries(records.map((r) => [r.value.n, [r.headers[HEADER.principal], r.headers[HEADER.auth]]]));
    expect(by).toEqual({ 1: ["dave", "kafka-header"], 2: ["admin", "deployment"] });
  });
});
