// file-source → Kafka → file-sink on the real broker: lines of a log that rotates mid-flow reach the
// sink's rolled files exactly once, nothing is left under a .partial name once the flow stops, and
// lines written while it was stopped follow after a restart, none repeated.
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@millrace/testkit";
import { flowDoc, range, uid } from "../../test-support/index.js";
import { startTestEngine, type TestEngine } from "../../test-support/engine-harness.js";

describe("file-source and file-sink on real Kafka", () => {
  let t: TestEngine;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "mr-files-int-"));
    // MILLRACE_FILES_DIR unset: the files directory is files/ in the data directory
    t = await startTestEngine("files", { stateDir: dataDir });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("tails a log through a rotation into rolled files: every line exactly once", async () => {
    const files = join(dataDir, "files");
    const input = join(files, "in");
    const output = join(files, "out");
    mkdirSync(input, { recursive: true });
    const lines = (from: number, to: number) => range(from, to).map((n) => `line ${n}\n`).join("");
    writeFileSync(join(input, "app.log"), lines(0, 500));

    const id = uid("files");
    const doc = flowDoc(
      id,
      [
        ["tail", "file-source", { path: "in/app.log*", fromBeginning: true, pollIntervalMs: 100 }],
        ["copy", "file-sink", { path: "out/copy.log", format: "text", rollBytes: 4000, rollEvery: "1s", keepFiles: 10_000 }],
      ],
      [["tail", "success", "copy"]],
    );
    await t.api.flows.save({ document: doc });
    const status = await t.api.deployments.deploy({ flowId: id, exactlyOnce: false });
    expect(status.status).toBe("running");
    // the lines cross Kafka: the edge is a topic between the source's stage and the sink's
    expect(status.plan.stages.map((s: any) => s.id).sort()).toEqual(["copy", "tail"]);

    const finished = () => readdirSync(output).filter((f) => !f.endsWith(".partial")).sort();
    const written = () => finished().flatMap((f) => readFileSync(join(output, f), "utf8").split("\n").slice(0, -1));
    await waitFor(() => (written().length >= 500 ? true : undefined), 30_000, "the first 500 lines in finished files");

    // rotation: the log is renamed (still matching the glob), the writer appends to it before
    // reopening, then writes a new app.log; more lines go to the renamed one after the new one exists
    appendFileSync(join(input, "app.log"), lines(500, 700));
    renameSync(join(input, "app.log"), join(input, "app.log.1"));
    appendFileSync(join(input, "app.log.1"), lines(700, 800));
    writeFileSync(join(input, "app.log"), lines(800, 900));
    appendFileSync(join(input, "app.log"), lines(900, 1000));

    const all = await waitFor(() => {
      const w = written();
      return w.length >= 1000 ? w : undefined;
    }, 30_000, "all 1000 lines in finished files");
    await new Promise((r) => setTimeout(r, 1500)); // a duplicate would show up meanwhile
    const final = written();
    expect(final.length).toBe(1000);
    expect(all.length).toBe(1000);
    expect(new Set(final).size).toBe(1000);
    expect([...final].sort()).toEqual(range(0, 1000).map((n) => `line ${n}`).sort());
    expect(finished().length).toBeGreaterThan(2); // rolled by size and time
    for (const f of finished()) expect(readFileSync(join(output, f)).length).toBeLessThanOrEqual(4000);

    const stopped = await t.api.deployments.stop({ flowId: id });
    expect(stopped.status).toBe("stopped");
    expect(readdirSync(output).filter((f) => f.endsWith(".partial"))).toEqual([]);

    // lines written while the flow is stopped are read after it starts again, from the saved positions
    appendFileSync(join(input, "app.log"), lines(1000, 1100));
    appendFileSync(join(input, "app.log.1"), lines(1100, 1150));
    expect((await t.api.deployments.deploy({ flowId: id, exactlyOnce: false })).status).toBe("running");
    await waitFor(() => (written().length >= 1150 ? true : undefined), 30_000, "the lines written while stopped");
    await new Promise((r) => setTimeout(r, 1500));
    const resumed = written();
    expect(resumed.length).toBe(1150);
    expect([...resumed].sort()).toEqual(range(0, 1150).map((n) => `line ${n}`).sort());
    await t.api.deployments.stop({ flowId: id });
  }, 120_000);
});
