// The SCRAM/ACL settings of the local broker, without a broker: what is accepted, and the
// properties and format arguments it turns into. sasl.int.test.ts runs them on a real broker.
import { describe, expect, it } from "vitest";
import { formattedMismatch, parseSaslUsers, resolveSasl, saslRecord, saslServerProperties, scramFormatArgs } from "./sasl.mjs";

const users = [{ name: "admin", password: "s3cret!" }, { name: "alice", password: "pw:with:colons" }];

describe("scripts/kafka SASL settings", () => {
  it("defaults to both SCRAM mechanisms with admin as the super user, and a plain broker without sasl", () => {
    const r = resolveSasl({ users }, true)!;
    expect(r.mechanisms).toEqual(["SCRAM-SHA-256", "SCRAM-SHA-512"]);
    expect(r.superUsers).toEqual(["admin"]);
    expect(r.admin).toEqual({ name: "admin", password: "s3cret!" });
    expect(r.acls).toBe(true);
    expect(resolveSasl(undefined)).toBeUndefined();
  });

  it("rejects bad input naming the field", () => {
    expect(() => resolveSasl(undefined, true)).toThrow(/acls needs sasl/);
    expect(() => resolveSasl({ users: [] })).toThrow(/sasl.users must list/);
    expect(() => resolveSasl({ users: [{ name: "bad name", password: "x" }] })).toThrow(/sasl.users\[0\].name/);
    expect(() => resolveSasl({ users: [...users, { name: "alice", password: "x" }] })).toThrow(/sasl.users\[2\].name "alice" is listed twice/);
    expect(() => resolveSasl({ users: [{ name: "admin", password: 'a"b' }] })).toThrow(/sasl.users\[0\].password \(user "admin"\)/);
    expect(() => resolveSasl({ users: [{ name: "admin", password: "a,b" }] })).toThrow(/password/);
    expect(() => resolveSasl({ users: [{ name: "admin", password: "" }] })).toThrow(/password/);
    expect(() => resolveSasl({ users, mechanisms: ["PLAIN" as never] })).toThrow(/unknown mechanism "PLAIN"/);
    expect(() => resolveSasl({ users, superUsers: ["root"] })).toThrow(/superUsers\[0\] "root" is not one of sasl.users \(admin, alice\)/);
    expect(() => resolveSasl({ users: [{ name: "alice", password: "x" }] })).toThrow(/superUsers\[0\] "admin"/);
  });

  it("gives every enabled mechanism its own listener login, and the authorizer only with acls", () => {
    const props = saslServerProperties(resolveSasl({ users }, true)!, { port: 19092, controllerPort: 19093 });
    expect(props).toContain("listeners=SASL_PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093");
    expect(props).toContain("listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT");
    expect(props).toContain("sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512");
    const jaas = props.filter((l) => /^listener\.name\.sasl_plaintext\.scram-sha-(256|512)\.sasl\.jaas\.config=.*username="admin" password="s3cret!";$/.test(l));
    expect(jaas).toHaveLength(2);
    expect(props).toContain("authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    expect(props).toContain("allow.everyone.if.no.acl.found=false");
    expect(props).toContain("super.users=User:admin;User:ANONYMOUS");

    const only512 = saslServerProperties(resolveSasl({ users, mechanisms: ["SCRAM-SHA-512"] })!, { port: 1, controllerPort: 2 });
    expect(only512.filter((l) => l.includes("sasl.jaas.config"))).toHaveLength(1);
    expect(only512).toContain("sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512");
    expect(only512.some((l) => l.startsWith("authorizer.class.name"))).toBe(false);
  });

  it("seeds every user under every mechanism at format time", () => {
    expect(scramFormatArgs(resolveSasl({ users })!)).toEqual([
      "--add-scram", "SCRAM-SHA-256=[name=admin,password=s3cret!]",
      "--add-scram", "SCRAM-SHA-256=[name=alice,password=pw:with:colons]",
      "--add-scram", "SCRAM-SHA-512=[name=admin,password=s3cret!]",
      "--add-scram", "SCRAM-SHA-512=[name=alice,password=pw:with:colons]",
    ]);
  });

  it("parses the CLI's --sasl list, passwords keeping their colons", () => {
    expect(parseSaslUsers("admin:s3cret!,alice:pw:with:colons")).toEqual(users);
    expect(() => parseSaslUsers("admin")).toThrow(/entry 1 \("admin"\) must be name:password/);
    expect(() => parseSaslUsers("admin:x,bob:")).toThrow(/entry 2 \("bob"\)/);
    expect(() => parseSaslUsers("")).toThrow(/--sasl needs/);
  });

  it("tells when a formatted data dir lacks the users or mechanisms asked for, and keeps no passwords", () => {
    const record = saslRecord(resolveSasl({ users, mechanisms: ["SCRAM-SHA-256"] }))!;
    expect(JSON.stringify(record)).not.toContain("s3cret");
    expect(formattedMismatch(record, resolveSasl({ users: [users[0]] }, false))).toMatch(/mechanisms SCRAM-SHA-256, not SCRAM-SHA-512/);
    expect(formattedMismatch(record, resolveSasl({ users: [...users, { name: "bob", password: "x" }], mechanisms: ["SCRAM-SHA-256"] }))).toMatch(/users admin, alice, not bob/);
    expect(formattedMismatch(undefined, resolveSasl({ users }))).toMatch(/plain broker/);
    expect(formattedMismatch(record, resolveSasl({ users, mechanisms: ["SCRAM-SHA-256"] }))).toBeUndefined();
    expect(formattedMismatch(record, undefined)).toBeUndefined();
  });
});
