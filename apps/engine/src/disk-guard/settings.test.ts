import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { diskGuardSettingsFromEnv } from "./settings.js";

const MB = 1024 * 1024;

describe("diskGuardSettingsFromEnv", () => {
  it("watches the data directory with the defaults", () => {
    expect(diskGuardSettingsFromEnv({}, "/srv/millrace")).toEqual({ paths: ["/srv/millrace"], minFreeBytes: 1024 * MB, minFreePercent: 2, resumeMarginBytes: 256 * MB, intervalMs: 5000 });
  });

  it("adds MILLRACE_DISK_WATCH paths and reads every knob", () => {
    const s = diskGuardSettingsFromEnv(
      { MILLRACE_DISK_WATCH: "/var/kafka, rel/dir", MILLRACE_DISK_MIN_FREE_MB: "10", MILLRACE_DISK_MIN_FREE_PERCENT: "0.5", MILLRACE_DISK_RESUME_MARGIN_MB: "1", MILLRACE_DISK_CHECK_S: "0.5" },
      "/srv/millrace",
    );
    expect(s).toEqual({ paths: ["/srv/millrace", "/var/kafka", resolve("rel/dir")], minFreeBytes: 10 * MB, minFreePercent: 0.5, resumeMarginBytes: MB, intervalMs: 500 });
  });

  it("is off with MILLRACE_DISK_WATCH=none or both floors at 0", () => {
    expect(diskGuardSettingsFromEnv({ MILLRACE_DISK_WATCH: "none" }, "/d")).toBeUndefined();
    expect(diskGuardSettingsFromEnv({ MILLRACE_DISK_MIN_FREE_MB: "0", MILLRACE_DISK_MIN_FREE_PERCENT: "0" }, "/d")).toBeUndefined();
  });

  it("names the variable and the value it refuses", () => {
    expect(() => diskGuardSettingsFromEnv({ MILLRACE_DISK_MIN_FREE_MB: "lots" }, "/d")).toThrow(/MILLRACE_DISK_MIN_FREE_MB=lots is not a number of megabytes/);
    expect(() => diskGuardSettingsFromEnv({ MILLRACE_DISK_MIN_FREE_PERCENT: "150" }, "/d")).toThrow(/MILLRACE_DISK_MIN_FREE_PERCENT=150 .* to 100/);
    expect(() => diskGuardSettingsFromEnv({ MILLRACE_DISK_CHECK_S: "0" }, "/d")).toThrow(/MILLRACE_DISK_CHECK_S=0 must be more than 0/);
  });
});
