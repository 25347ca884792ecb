import { describe, expect, it } from "vitest";
import { refusal } from "@millrace/processors";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_TOPIC_RETENTION, filesDirFromEnv, networkPolicyFromEnv, topicRetentionFromEnv, edgeReadWindowFromEnv, workersFromEnv } from "./config.js";

describe("networkPolicyFromEnv", () => {
  it("denies link-local networks and the engine's own address by default", () => {
    const p = networkPolicyFromEnv({}, "127.0.0.1", 8080);
    expect(refusal([p], "169.254.169.254", 80, ["169.254.169.254"])).toMatch(/denied/);
    expect(refusal([p], "x", 80, ["fe80::1"])).toMatch(/denied/);
    expect(refusal([p], "localhost", 8080, ["127.0.0.1"])).toMatch(/denied/);
    expect(refusal([p], "0.0.0.0", 8080, ["0.0.0.0"])).toMatch(/denied/);
    expect(refusal([p], "localhost", 5432, ["127.0.0.1"])).toBeUndefined();
    expect(p.allow).toBeUndefined();
  });
  it("MILLRACE_HTTP_DENY replaces the default (none: empty); MILLRACE_HTTP_ALLOW restricts; bad entries are named", () => {
    const open = networkPolicyFromEnv({ MILLRACE_HTTP_DENY: "none" }, "127.0.0.1", 8080);
    expect(refusal([open], "169.254.169.254", 80, ["169.254.169.254"])).toBeUndefined();
    const p = networkPolicyFromEnv({ MILLRACE_HTTP_DENY: "10.0.0.0/8", MILLRACE_HTTP_ALLOW: "*.example.com, 10.0.0.0/8" }, "0.0.0.0", 8080);
    expect(refusal([p], "api.example.com", 443, ["93.184.216.34"])).toBeUndefined();
    expect(refusal([p], "other.org", 443, ["1.2.3.4"])).toMatch(/not in the allow list/);
    expect(refusal([p], "svc", 80, ["10.0.0.1"])).toMatch(/denied/);
    expect(() => networkPolicyFromEnv({ MILLRACE_HTTP_ALLOW: "10.0.0.0/40" }, "127.0.0.1", 8080)).toThrow(/^MILLRACE_HTTP_ALLOW: /);
  });
  it("an ephemeral port leaves the engine's own address out", () => {
    const p = networkPolicyFromEnv({}, "127.0.0.1", 0);
    expect(refusal([p], "localhost", 8080, ["127.0.0.1"])).toBeUndefined();
  });
});

describe("filesDirFromEnv", () => {
  it("MILLRACE_FILES_DIR (resolved), else files/ in the data directory, else none", () => {
    expect(filesDirFromEnv({ MILLRACE_FILES_DIR: "/srv/in" }, "/data")).toBe("/srv/in");
    expect(filesDirFromEnv({ MILLRACE_FILES_DIR: "rel" }, "/data")).toBe(resolve("rel"));
    expect(filesDirFromEnv({}, "/data")).toBe(join("/data", "files"));
    expect(filesDirFromEnv({ MILLRACE_FILES_DIR: " " }, undefined)).toBeUndefined();
  });
});

describe("workersFromEnv", () => {
  it("is 1 (the engine process alone) when unset or empty", () => {
    expect(workersFromEnv({})).toBe(1);
    expect(workersFromEnv({ MILLRACE_WORKERS: " " })).toBe(1);
  });

  it("takes a whole number, or auto for one per core", () => {
    expect(workersFromEnv({ MILLRACE_WORKERS: "3" })).toBe(3);
    expect(workersFromEnv({ MILLRACE_WORKERS: "AUTO" })).toBe(Math.min(64, availableParallelism()));
  });

  it("refuses anything else, naming the variable and what it takes", () => {
    for (const bad of ["0", "-1", "1.5", "65", "many"]) expect(() => workersFromEnv({ MILLRACE_WORKERS: bad })).toThrow(`MILLRACE_WORKERS=${bad} is neither a whole number from 1 to 64 nor "auto"`);
  });
});

describe("topicRetentionFromEnv", () => {
  it("defaults: a day and no size bound per edge topic (a bound deletes unprocessed records too), a week and 1 GB per dead-letter topic", () => {
    expect(topicRetentionFromEnv({})).toEqual(DEFAULT_TOPIC_RETENTION);
    expect(DEFAULT_TOPIC_RETENTION).toEqual({ edge: { minutes: 1440, mb: 0 }, deadLetter: { minutes: 10_080, mb: 1024 } });
    expect(topicRetentionFromEnv({ MILLRACE_EDGE_RETENTION_MINUTES: "0" }).edge).toEqual({ minutes: 0, mb: 0 });
  });

  it("the read window: 15 minutes unless MILLRACE_EDGE_READ_WINDOW_MINUTES says otherwise", () => {
    expect(edgeReadWindowFromEnv({})).toBe(15);
    expect(edgeReadWindowFromEnv({ MILLRACE_EDGE_READ_WINDOW_MINUTES: "0" })).toBe(0);
    expect(() => edgeReadWindowFromEnv({ MILLRACE_EDGE_READ_WINDOW_MINUTES: "soon" })).toThrow("MILLRACE_EDGE_READ_WINDOW_MINUTES=soon is not a whole number of minutes");
  });

  it("reads each bound from its variable", () => {
    expect(topicRetentionFromEnv({ MILLRACE_EDGE_RETENTION_MINUTES: "15", MILLRACE_EDGE_RETENTION_MB: " 64 ", MILLRACE_DEAD_LETTER_RETENTION_MB: "100" })).toEqual({
      edge: { minutes: 15, mb: 64 },
      deadLetter: { minutes: 10_080, mb: 100 },
    });
  });

  it("refuses what is not a whole number, naming the variable", () => {
    for (const bad of ["-5", "1.5", "lots"]) {
      expect(() => topicRetentionFromEnv({ MILLRACE_EDGE_RETENTION_MB: bad })).toThrow(`MILLRACE_EDGE_RETENTION_MB=${bad} is not a whole number of megabytes (0 for no bound)`);
      expect(() => topicRetentionFromEnv({ MILLRACE_DEAD_LETTER_RETENTION_MINUTES: bad })).toThrow(`MILLRACE_DEAD_LETTER_RETENTION_MINUTES=${bad} is not a whole number of minutes`);
    }
  });
});
