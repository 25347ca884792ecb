import { describe, expect, it } from "vitest";
import { connectionChoices, ownChoiceLabel, connectionTarget, emptyDraft, errorsByInput, errorsOfRefusal, fromDocument, localErrors, shownInputs, testOutcome, toDocument } from "./connectionForm";

const none = new Set<string>();

describe("toDocument", () => {
  it("makes a kafka document from what is typed: brokers split, empty inputs left out, SASL only with a mechanism", () => {
    const draft = { ...emptyDraft("kafka"), name: " local ", brokers: "127.0.0.1:9092, host2:9093\nhost3:9094", "sasl.username": "ignored" };
    expect(toDocument("kafka", draft, none)).toEqual({ type: "kafka", name: "local", brokers: ["127.0.0.1:9092", "host2:9093", "host3:9094"] });
    const withSasl = { ...draft, "sasl.mechanism": "scram-sha-256", "sasl.password": "pw" };
    const doc = toDocument("kafka", withSasl, none);
    expect(doc.sasl).toEqual({ mechanism: "scram-sha-256", username: "ignored", password: "pw" });
    expect(localErrors(doc)).toEqual([]);
  });

  it("a TLS section is part of the document only while it is on", () => {
    const draft = { ...emptyDraft("kafka"), name: "c", brokers: "h:1", "tls.ca": "-----BEGIN CERTIFICATE-----\nabc\n" };
    expect(toDocument("kafka", draft, none).tls).toBeUndefined();
    expect(toDocument("kafka", { ...draft, tls: true }, none).tls).toEqual({ ca: "-----BEGIN CERTIFICATE-----\nabc\n", rejectUnauthorized: true });
  });

  it("an empty secret input keeps a stored secret ({ set: true }) and is left out when none is stored", () => {
    const draft = { ...emptyDraft("http"), name: "api", baseUrl: "https://x.example/", "auth.type": "bearer" };
    expect(toDocument("http", draft, new Set(["auth.token"])).auth).toEqual({ type: "bearer", token: { set: true } });
    const fresh = toDocument("http", draft, none);
    expect(fresh.auth).toEqual({ type: "bearer" });
    expect(localErrors(fresh).map((e) => e.path)).toEqual(["auth.token"]);
    expect(toDocument("http", { ...draft, "auth.token": "t0k" }, new Set(["auth.token"])).auth).toEqual({ type: "bearer", token: "t0k" });
  });

  it("a postgres port is a number; one that does not parse stays text so the check names it", () => {
    const draft = { name: "db", host: "h", port: "5432" };
    expect(toDocument("postgres", draft, none).port).toBe(5432);
    const bad = toDocument("postgres", { ...draft, port: "54x" }, none);
    expect(localErrors(bad).map((e) => e.path)).toEqual(["port"]);
  });
});

describe("fromDocument", () => {
  it("reads a stored connection back into inputs, secrets never prefilled but remembered as stored", () => {
    const stored = { type: "kafka" as const, name: "prod", brokers: ["a:1", "b:2"], sasl: { mechanism: "plain", username: "u", password: { set: true } }, tls: { key: { set: true }, cert: "C", rejectUnauthorized: false } };
    const { draft, storedSecrets } = fromDocument(stored);
    expect(draft).toMatchObject({ name: "prod", brokers: "a:1, b:2", "sasl.mechanism": "plain", "sasl.username": "u", tls: true, "tls.cert": "C", "tls.rejectUnauthorized": false });
    expect(Object.values(draft)).not.toContainEqual({ set: true });
    expect(draft["sasl.password"]).toBeUndefined();
    expect([...storedSecrets].sort()).toEqual(["sasl.password", "tls.key"]);
    // saved again untouched, the secrets are kept
    const again = toDocument("kafka", draft, storedSecrets);
    expect(again.sasl).toEqual({ mechanism: "plain", username: "u", password: { set: true } });
    expect(again.tls).toEqual({ cert: "C", key: { set: true }, rejectUnauthorized: false });
    expect(localErrors(again)).toEqual([]);
  });
});

describe("errors", () => {
  it("puts each error at the shown input it concerns, the rest at the top", () => {
    const draft = { ...emptyDraft("kafka"), name: "Bad Name", brokers: "ok:1, nope", tls: true, "tls.cert": "C" };
    const errors = errorsByInput("kafka", draft, localErrors(toDocument("kafka", draft, none)));
    expect(Object.keys(errors).sort()).toEqual(["brokers", "name", "tls"]);
    expect(errors.brokers![0]).toMatch(/host:port/);
    expect(errors.tls![0]).toMatch(/cert and key go together/);
    expect(errorsByInput("kafka", draft, [{ path: "", message: "whole" }, { path: "elsewhere", message: "m" }])[""]).toEqual(["whole", "elsewhere: m"]);
  });

  it("reads the engine's data.errors", () => {
    expect(errorsOfRefusal({ code: "BAD_REQUEST", errors: [{ path: "brokers[0]", message: "bad" }, "junk", { message: "root" }] })).toEqual([
      { path: "brokers[0]", message: "bad" },
      { path: "", message: "root" },
    ]);
    expect(errorsOfRefusal(undefined)).toEqual([]);
  });

  it("shows the inputs of the chosen authentication only", () => {
    const paths = (kind: string) => shownInputs("http", { "auth.type": kind }).map((i) => i.path);
    expect(paths("none")).not.toContain("auth.username");
    expect(paths("basic")).toEqual(expect.arrayContaining(["auth.username", "auth.password"]));
    expect(paths("header")).toEqual(expect.arrayContaining(["auth.name", "auth.value"]));
  });
});

describe("words", () => {
  it("says a test's outcome in plain words", () => {
    expect(testOutcome({ ok: true })).toBe("Connected");
    expect(testOutcome({ ok: false, reason: "unreachable", detail: "127.0.0.1:1 refused" })).toMatch(/^Unreachable: .*\(127\.0\.0\.1:1 refused\)$/);
    expect(testOutcome({ ok: false, reason: "wrong-credentials" })).toMatch(/^Wrong credentials/);
  });

  it("says where a connection points", () => {
    expect(connectionTarget({ type: "kafka", brokers: ["a:1", "b:2"] })).toBe("a:1, b:2");
    expect(connectionTarget({ type: "postgres", host: "db", port: 5432, database: "x" })).toBe("db:5432/x");
    expect(connectionTarget({ type: "http", baseUrl: "https://a/" })).toBe("https://a/");
  });

  it("a node's choices are the connections of its type, plus the one it names when missing", () => {
    const all = [
      { name: "a", type: "kafka", description: "Cluster A" },
      { name: "db", type: "postgres" },
    ];
    expect(ownChoiceLabel("kafka")).toBe("engine's own cluster");
    expect(connectionChoices(all, "kafka", undefined)).toEqual([{ name: "a", label: "a — Cluster A", missing: false }]);
    expect(connectionChoices(all, "kafka", "gone").map((c) => [c.name, c.missing])).toEqual([
      ["a", false],
      ["gone", true],
    ]);
  });
});
