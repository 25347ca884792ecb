import { describe, expect, it, vi } from "vitest";
import { DiskGuard, type DiskGuardSettings, type DiskSpace } from "./guard.js";

const MB = 1024 * 1024;

function fakeLog() {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (a: unknown, b?: string) => lines.push({ level, msg: typeof a === "string" ? a : (b ?? "") });
  const log = { info: at("info"), warn: at("warn"), error: at("error") };
  return { log: log as never, lines };
}

/** A guard over paths whose free space the test sets; a path set to an Error fails to measure. */
function guardOver(space: Record<string, DiskSpace | Error>, settings: Partial<DiskGuardSettings> = {}) {
  const { log, lines } = fakeLog();
  const guard = new DiskGuard(
    {
      paths: Object.keys(space),
      minFreeBytes: 1024 * MB,
      minFreePercent: 0,
      resumeMarginBytes: 256 * MB,
      intervalMs: 5000,
      probe: async (path) => {
        const s = space[path]!;
        if (s instanceof Error) throw s;
        return s;
      },
      ...settings,
    },
    log,
  );
  return { guard, lines };
}

const free = (mb: number, totalMb = 100_000): DiskSpace => ({ freeBytes: mb * MB, totalBytes: totalMb * MB });

describe("DiskGuard", () => {
  it("turns low below the floor and back only above the floor plus the margin", async () => {
    const space = { "/data": free(5000) };
    const { guard } = guardOver(space);
    const changes: boolean[] = [];
    guard.onChange((low) => changes.push(low));
    await guard.check();
    expect(guard.low).toBe(false);
    space["/data"] = free(1023);
    await guard.check();
    expect(guard.low).toBe(true);
    // above the floor but inside the margin: still low (no flapping)
    space["/data"] = free(1200);
    await guard.check();
    expect(guard.low).toBe(true);
    space["/data"] = free(1024 + 256);
    await guard.check();
    expect(guard.low).toBe(false);
    // between floor and floor + margin when not low: stays running
    space["/data"] = free(1100);
    await guard.check();
    expect(guard.low).toBe(false);
    expect(changes).toEqual([true, false]);
  });

  it("holds each path to the larger of the absolute and the relative floor", async () => {
    const space = { "/data": free(4000, 100_000) };
    const { guard } = guardOver(space, { minFreePercent: 5 });
    await guard.check();
    expect(guard.low).toBe(true); // 4000 MB free of 100,000 is under 5 %
    expect(guard.status().paths[0]).toMatchObject({ path: "/data", freeBytes: 4000 * MB, minFreeBytes: 5000 * MB, low: true });
  });

  it("is low while any watched path is low", async () => {
    const space = { "/data": free(5000), "/kafka": free(500) };
    const { guard } = guardOver(space);
    await guard.check();
    expect(guard.low).toBe(true);
    expect(guard.status().paths.map((p) => p.low)).toEqual([false, true]);
    space["/kafka"] = free(5000);
    await guard.check();
    expect(guard.low).toBe(false);
  });

  it("does not count a path it cannot measure as low, and logs the failure once until it works again", async () => {
    const space: Record<string, DiskSpace | Error> = { "/data": free(5000), "/gone": new Error("ENOENT: no such file or directory") };
    const { guard, lines } = guardOver(space);
    await guard.check();
    await guard.check();
    await guard.check();
    expect(guard.low).toBe(false);
    expect(guard.status().paths[1]).toMatchObject({ path: "/gone", freeBytes: null, low: false, error: "ENOENT: no such file or directory" });
    expect(lines.filter((l) => l.msg.includes("cannot measure the free space of /gone"))).toHaveLength(1);
    space["/gone"] = free(100);
    await guard.check();
    expect(guard.low).toBe(true);
    expect(lines.some((l) => l.level === "info" && l.msg.includes("/gone can be measured again"))).toBe(true);
    space["/gone"] = new Error("EIO");
    await guard.check();
    expect(guard.low).toBe(false);
    expect(lines.filter((l) => l.msg.includes("cannot measure the free space of /gone"))).toHaveLength(2);
  });

  it("rejects a probe answer that is not a number as a failed measurement", async () => {
    const { guard } = guardOver({ "/data": { freeBytes: Number.NaN, totalBytes: 1 } });
    await guard.check();
    expect(guard.low).toBe(false);
    expect(guard.status().paths[0]!.error).toMatch(/the probe answered/);
  });

  it("measures the real file system with statfs when no probe is given", async () => {
    const { log } = fakeLog();
    const guard = new DiskGuard({ paths: [process.cwd()], minFreeBytes: 1, minFreePercent: 0, resumeMarginBytes: 0, intervalMs: 5000 }, log);
    await guard.check();
    const [p] = guard.status().paths;
    expect(p!.error).toBeUndefined();
    expect(p!.totalBytes).toBeGreaterThan(0);
    expect(p!.freeBytes).toBeGreaterThanOrEqual(0);
  });

  it("measures again on its timer until stopped, and tells every listener even when one throws", async () => {
    vi.useFakeTimers();
    try {
      const space = { "/data": free(5000) };
      const { guard, lines } = guardOver(space, { intervalMs: 1000 });
      const seen: boolean[] = [];
      guard.onChange(() => {
        throw new Error("listener broke");
      });
      guard.onChange((low) => seen.push(low));
      await guard.start();
      space["/data"] = free(10);
      await vi.advanceTimersByTimeAsync(1000);
      expect(seen).toEqual([true]);
      expect(lines.some((l) => l.level === "error" && l.msg.includes("listener broke"))).toBe(true);
      guard.stop();
      space["/data"] = free(5000);
      await vi.advanceTimersByTimeAsync(5000);
      expect(guard.low).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
