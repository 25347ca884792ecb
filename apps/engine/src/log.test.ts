import { describe, expect, it } from "vitest";
import { createLogger, LOG_LEVELS, logLevelFromEnv } from "./log.js";

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(s) } };
}

describe("logLevelFromEnv", () => {
  it("defaults to info", () => {
    expect(logLevelFromEnv({})).toBe("info");
    expect(logLevelFromEnv({ MILLRACE_LOG_LEVEL: "" })).toBe("info");
  });

  it("accepts every pino level, in any case", () => {
    for (const l of LOG_LEVELS) expect(logLevelFromEnv({ MILLRACE_LOG_LEVEL: l.toUpperCase() })).toBe(l);
  });

  it("rejects an unknown level, naming the variable and the allowed levels", () => {
    expect(() => logLevelFromEnv({ MILLRACE_LOG_LEVEL: "verbose" })).toThrow(
      "MILLRACE_LOG_LEVEL=verbose is not a log level; use one of: fatal, error, warn, info, debug, trace, silent",
    );
  });
});

describe("createLogger", () => {
  it("writes one JSON object per line with the child's bindings and the error's stack", () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination }).child({ module: "runtime", flowId: "f1", stageId: "s1", engineId: "e1" });
    log.warn({ err: new Error("broker gone") }, "batch failed, retrying");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 40, module: "runtime", flowId: "f1", stageId: "s1", engineId: "e1", msg: "batch failed, retrying" });
    expect(line.err).toMatchObject({ type: "Error", message: "broker gone" });
    expect(line.err.stack).toContain("broker gone");
    expect(typeof line.time).toBe("string");
  });

  it("drops lines below its level", () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: "warn", destination });
    log.info("not shown");
    log.error("shown");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["shown"]);
  });

  it("redacts secret fields at the top level and nested", () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    log.info({ password: "hunter2", connection: { token: "t0k", user: "u" }, req: { headers: { authorization: "Bearer x" } } }, "configured");
    expect(lines[0]).not.toMatch(/hunter2|t0k|Bearer x/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ password: "[redacted]", connection: { token: "[redacted]", user: "u" }, req: { headers: { authorization: "[redacted]" } } });
  });

  it("pretty-prints one readable line with the module and ids in front", () => {
    const { lines, destination } = capture();
    createLogger({ pretty: true, destination }).child({ module: "runtime", flowId: "f1", stageId: "s1", engineId: "e1" }).info("source runs here");
    expect(lines).toHaveLength(1);
    // eslint-disable-next-line no-control-regex -- strips the ANSI colour codes pino-pretty may add
    const text = lines[0]!.replace(/\x1b\[[0-9;]*m/g, "");
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[runtime flow f1 stage s1\] source runs here\n$/);
  });
});
