import { describe, expect, it } from "vitest";
import { connectionSecretFields, mapConnectionSecrets, parseConnection, parseConnectionInput, redactConnection } from "./connections.js";
import { formatError } from "./errors.js";

const errorsOf = (input: unknown) => {
  const r = parseConnectionInput(input);
  return r.ok ? [] : r.errors.map(formatError);
};

const scram = {
  name: "prod-east",
  type: "kafka",
  brokers: ["kafka-1.example.com:9093", "[::1]:9092"],
  sasl: { mechanism: "scram-sha-512", username: "app", password: "s3cret-pw" },
  tls: { ca: "-----BEGIN CERTIFICATE-----\n…", cert: "CERT", key: "KEY-PEM" },
};

describe("connection documents", () => {
  it("accepts one of each type, with defaults filled in", () => {
    const kafka = parseConnection(scram);
    expect(kafka.ok && kafka.value.type === "kafka" && kafka.value.tls?.rejectUnauthorized).toBe(true);
    expect(parseConnection({ name: "db", type: "postgres", url: "postgres://app@db:5432/orders", password: "pw", sslmode: "verify-full" }).ok).toBe(true);
    expect(parseConnection({ name: "db2", type: "postgres", host: "db", port: 5432, database: "orders", user: "app" }).ok).toBe(true);
    const http = parseConnection({ name: "api", type: "http", baseUrl: "https://api.example.com/v1" });
    expect(http.ok && http.value.type === "http" && http.value.auth).toEqual({ type: "none" });
    expect(parseConnection({ name: "sr", type: "schema-registry", url: "http://sr:8081", auth: { username: "u", password: "p" } }).ok).toBe(true);
  });

  it.each([
    [{ ...scram, sasl: { ...scram.sasl, mechanism: "gssapi" } }, "sasl.mechanism: must be one of plain, scram-sha-256, scram-sha-512"],
    [{ ...scram, sasl: { mechanism: "plain", username: "u" } }, "sasl.password: required"],
    [{ ...scram, brokers: ["kafka-1"] }, "brokers[0]: must be host:port (port 1 to 65535)"],
    [{ ...scram, brokers: ["kafka-1:70000"] }, "brokers[0]: must be host:port (port 1 to 65535)"],
    [{ ...scram, brokers: [] }, "brokers: must have at least 1 items"],
    [{ ...scram, tls: { cert: "CERT" } }, "tls: cert and key go together (a client certificate needs its key)"],
    [{ ...scram, tls: { rejectUnauthorized: "no" } }, "tls.rejectUnauthorized: expected boolean, got string"],
    [{ ...scram, extra: 1 }, "extra: unknown field"],
    [{ ...scram, name: "Prod East" }, "name: must be 1 to 63 lowercase letters, digits, '-' or '_'"],
    [{ ...scram, name: "x".repeat(64) }, "name: must be 1 to 63 lowercase letters, digits, '-' or '_'"],
    [{ ...scram, type: "mysql" }, "type: must be one of kafka, postgres, http, schema-registry"],
    [{ ...scram, description: "d".repeat(1001) }, "description: must have at most 1000 characters"],
    [{ ...scram, sasl: { ...scram.sasl, password: "p".repeat(1025) } }, "sasl.password: must have at most 1024 characters"],
    [{ name: "db", type: "postgres" }, "url: give url or host"],
    [{ name: "db", type: "postgres", url: "postgres://app:pw@db/orders" }, "url: must not hold a password: give it in password, which is stored sealed"],
    [{ name: "db", type: "postgres", url: "mysql://db/orders" }, "url: must start with postgres:// or postgresql://"],
    [{ name: "db", type: "postgres", host: "db", sslmode: "on" }, "sslmode: must be one of disable, prefer, require, verify-ca, verify-full"],
    [{ name: "db", type: "postgres", host: "db", port: 0 }, "port: must be >= 1"],
    [{ name: "api", type: "http", baseUrl: "not a url" }, "baseUrl: must be an absolute URL (http:// or https://…)"],
    [{ name: "api", type: "http", baseUrl: "http://x", auth: { type: "digest" } }, "auth.type: must be one of none, basic, bearer, header"],
    [{ name: "api", type: "http", baseUrl: "http://x", auth: { type: "bearer" } }, "auth.token: required"],
    [{ name: "api", type: "http", baseUrl: "http://x", auth: { type: "header", name: "bad header", value: "v" } }, "auth.name: must be an HTTP header name"],
    [{ name: "sr", type: "schema-registry", url: "http://sr", auth: { username: "u" } }, "auth.password: required"],
  ])("names the field of a bad document %#", (input, message) => {
    expect(errorsOf(input)).toContain(message);
  });

  it("refuses what is not an object", () => {
    expect(errorsOf("kafka").length).toBeGreaterThan(0);
    expect(errorsOf(null).length).toBeGreaterThan(0);
  });

  it("knows each type's secret fields from the schemas", () => {
    expect(connectionSecretFields("kafka")).toEqual([["sasl", "password"], ["tls", "key"]]);
    expect(connectionSecretFields("postgres")).toEqual([["password"]]);
    expect(connectionSecretFields("http")).toEqual(expect.arrayContaining([["auth", "password"], ["auth", "token"], ["auth", "value"]]));
    expect(connectionSecretFields("schema-registry")).toEqual([["auth", "password"]]);
  });

  it("redacts every secret to { set: true } and leaves the rest as it was", () => {
    const r = parseConnection(scram);
    if (!r.ok) throw new Error("valid");
    const redacted = redactConnection(r.value);
    expect(JSON.stringify(redacted)).not.toContain("s3cret-pw");
    expect(JSON.stringify(redacted)).not.toContain("KEY-PEM");
    expect(redacted).toMatchObject({ sasl: { username: "app", password: { set: true } }, tls: { cert: "CERT", key: { set: true } } });
    expect(r.value.type === "kafka" && r.value.sasl?.password).toBe("s3cret-pw");
    const header = parseConnection({ name: "api", type: "http", baseUrl: "http://x", auth: { type: "header", name: "X-Api-Key", value: "k-123" } });
    if (!header.ok) throw new Error("valid");
    expect(redactConnection(header.value)).toEqual({ name: "api", type: "http", baseUrl: "http://x", auth: { type: "header", name: "X-Api-Key", value: { set: true } } });
  });

  it("maps only the secrets that are present, sharing what it does not change", () => {
    const plain = { name: "c", type: "kafka" as const, brokers: ["h:1"] };
    expect(mapConnectionSecrets(plain, () => "x")).toBe(plain);
  });

  it("takes { set: true } for a secret only as input (keep the stored value)", () => {
    const kept = { ...scram, sasl: { ...scram.sasl, password: { set: true } } };
    expect(parseConnectionInput(kept).ok).toBe(true);
    expect(parseConnection(kept).ok).toBe(false);
  });
});
