import { describe, expect, it } from "vitest";
import type { Logger } from "./log.js";
import { OutageLog } from "./outage-log.js";

describe("OutageLog", () => {
  it("logs the first failure of an outage and its end, nothing in between", () => {
    const lines: string[] = [];
    const log = { error: (_: unknown, m: string) => lines.push(`error ${m}`), info: (_: unknown, m: string) => lines.push(`info ${m}`) } as unknown as Logger;
    const o = new OutageLog(log, "publishing flow stats");
    o.worked();
    o.failed(new Error("down"), "publishing failed: down");
    o.failed(new Error("down"), "publishing failed: down");
    o.failed(new Error("down"), "publishing failed: down");
    o.worked();
    o.worked();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe("error publishing failed: down (not logged again until it works)");
    expect(lines[1]).toMatch(/^info publishing flow stats works again after \d+ s \(3 failed attempts\)$/);
    o.failed(new Error("again"), "publishing failed: again");
    expect(lines).toHaveLength(3);
  });
});
