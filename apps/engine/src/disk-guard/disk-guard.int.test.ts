import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@millrace/testkit";
import { adminToken, bearer, flowDoc, range, readTopic, sortNum, uid } from "../../test-support/index.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";
import type { DiskSpace } from "./guard.js";

const MB = 1024 * 1024;
const WATCHED = "/millrace-test/data";

describe("disk guard", () => {
  let t: TestEngine;
  // what the injected probe reports for the watched path
  let space: DiskSpace = { freeBytes: 50_000 * MB, totalBytes: 100_000 * MB };

  beforeAll(async () => {
    t = await startTestEngine("diskguard", {
      diskGuard: { paths: [WATCHED], minFreeBytes: 1024 * MB, minFreePercent: 0, resumeMarginBytes: 256 * MB, intervalMs: 100, probe: async () => space },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const stats = (flowId: string) => t.api.stats.snapshot({ flowId });
  const metrics = async () => (await fetch(`${t.engine.url}/metrics`, { headers: bearer(await adminToken(t.engine.services)) })).text();

  it("pauses the sources while free space is below the floor, raises the alarm, resumes by itself, and loses nothing", async () => {
    const id = uid("disk");
    const sink = uid("disk-sink");
    const total = 3000;
    await t.api.flows.save({
      document: flowDoc(
        id,
        [
          ["gen", "generate", { count: total, ratePerSec: 400, template: '{ "i": $i }' }],
          ["out", "kafka-sink", { topic: sink }],
        ],
        [["gen", "success", "out"]],
      ),
    });
    await t.api.deployments.deploy({ flowId: id });
    try {
      await waitFor(async () => (await stats(id)).nodes.gen.out > 100, 20_000, "records to flow");
      expect((await t.engine.services.health()).status).toBe("ok");

      space = { freeBytes: 900 * MB, totalBytes: 100_000 * MB };
      const paused = await waitFor(async () => {
        const s = await stats(id);
        return s.nodes.gen.paused ? s : undefined;
      }, 10_000, "the source to pause for disk");
      expect(paused.nodes.gen.pausedFor).toBe("disk");
      expect(paused.engineLoad.map((e: any) => e.diskLow)).toEqual([true]);
      const status = await t.api.deployments.status({ flowId: id });
      expect(status.local.stages.find((s: any) => s.id === "gen")).toMatchObject({ paused: true, pausedFor: "disk" });
      const health = await t.engine.services.health();
      expect(health).toMatchObject({ ok: true, status: "degraded", disk: { ok: false, low: true, paths: [{ path: WATCHED, freeBytes: 900 * MB, low: true }] } });
      const text = await metrics();
      expect(text).toContain(`millrace_disk_free_bytes{path="${WATCHED}"} ${900 * MB}`);
      expect(text).toMatch(/^millrace_disk_guard_paused 1$/m);

      // paused means no new records, and space back inside the resume margin keeps it paused
      await new Promise((r) => setTimeout(r, 400));
      const before = (await stats(id)).nodes.gen.out;
      expect(before).toBeLessThan(total);
      space = { freeBytes: 1100 * MB, totalBytes: 100_000 * MB };
      await new Promise((r) => setTimeout(r, 1500));
      const still = await stats(id);
      expect(still.nodes.gen.out).toBe(before);
      expect(still.nodes.gen.paused).toBe(true);

      space = { freeBytes: 2000 * MB, totalBytes: 100_000 * MB };
      await waitFor(async () => !(await stats(id)).nodes.gen.paused, 10_000, "the source to resume");
      expect((await t.engine.services.health()).status).toBe("ok");
      expect(await metrics()).toMatch(/^millrace_disk_guard_paused 0$/m);
      await waitFor(async () => (await stats(id)).nodes.gen.out === total, 30_000, "the rest of the records");

      const records = await readTopic(t.brokers, sink, (rs) => rs.length >= total, { settleMs: 500 });
      expect(records.map((r) => r.value.i).sort(sortNum)).toEqual(range(0, total));
    } finally {
      await t.api.deployments.stop({ flowId: id });
    }
  });

  it("a source that starts while space is low waits before its first batch", async () => {
    const id = uid("disk-start");
    const sink = uid("disk-start-sink");
    space = { freeBytes: 10 * MB, totalBytes: 100_000 * MB };
    await waitFor(async () => (await t.engine.services.health()).status === "degraded", 5000, "the guard to see low space");
    await t.api.flows.save({ document: flowDoc(id, [["gen", "generate", { count: 50, template: '{ "i": $i }' }], ["out", "kafka-sink", { topic: sink }]], [["gen", "success", "out"]]) });
    await t.api.deployments.deploy({ flowId: id });
    try {
      const held = await waitFor(async () => {
        const s = await stats(id);
        return s.nodes.gen?.paused ? s : undefined;
      }, 20_000, "the new source to be held");
      expect(held.nodes.gen.pausedFor).toBe("disk");
      await new Promise((r) => setTimeout(r, 1000));
      expect((await stats(id)).nodes.gen.out).toBe(0);
      space = { freeBytes: 50_000 * MB, totalBytes: 100_000 * MB };
      const records = await readTopic(t.brokers, sink, (rs) => rs.length >= 50, { settleMs: 500 });
      expect(records.map((r) => r.value.i).sort(sortNum)).toEqual(range(0, 50));
    } finally {
      await t.api.deployments.stop({ flowId: id });
    }
  });
});
