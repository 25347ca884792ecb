import { describe, expect, it } from "vitest";
import { HEADER } from "@millrace/processors";
import type { ProvenanceRepository } from "../db/provenance.js";
import type { Logger } from "../log.js";
import type { BatchEvent } from "../runtime/observer.js";
import { ProvenanceRecorder } from "./recorder.js";

function batch(i: number): BatchEvent {
  const record = { key: null, value: i, headers: { [HEADER.id]: `id-${i}` } } as unknown as BatchEvent["nodes"][number]["outputs"][number]["record"];
  return {
    flowId: "f",
    deploymentId: "d",
    stageId: "gen",
    input: null,
    startedAt: Date.now(),
    durationMs: 1,
    transactional: false,
    nodes: [{ nodeId: "gen", inputs: [], bytesIn: 0, outputs: [{ port: "success", record, parent: -1, topics: [] }] } as unknown as BatchEvent["nodes"][number]],
  };
}

function recordingLog(lines: string[]): Logger {
  const note = (level: string) => (a: unknown, b?: string) => lines.push(`${level} ${typeof a === "string" ? a : (b ?? "")}`);
  const log = { warn: note("warn"), info: note("info"), error: note("error"), debug: () => {}, child: () => log };
  return log as unknown as Logger;
}

describe("ProvenanceRecorder while Postgres is unreachable", () => {
  it("logs the outage once, backs off, drops beyond its bound and says how many it dropped when writes work again", async () => {
    let down = true;
    let attempts = 0;
    const written: unknown[] = [];
    const repository = {
      insertBatches: async (cols: unknown[][]) => {
        attempts++;
        if (down) throw new Error("connect ECONNREFUSED");
        // the output ids of each row (a flush writes a stage's consecutive batches as one row)
        for (const ids of cols[18] as string[]) written.push(...ids.split("\x1f"));
      },
    } as unknown as ProvenanceRepository;
    const lines: string[] = [];
    const recorder = new ProvenanceRecorder({ repository, engineId: "e", maxQueued: 5, log: recordingLog(lines) });
    for (let i = 0; i < 3; i++) recorder.onBatch(batch(i));
    for (let t = 0; t < 10; t++) await recorder.flush(); // within the first backoff: one attempt
    expect(attempts).toBe(1);
    for (let i = 3; i < 8; i++) recorder.onBatch(batch(i));
    expect(recorder.snapshot().droppedRecords).toBe(3);
    expect(lines.filter((l) => l.includes("provenance write to Postgres failed"))).toHaveLength(1);

    down = false;
    await recorder.drain(3000);
    expect(written).toHaveLength(5);
    expect(lines.some((l) => l.includes("dropped 3 records' lineage during the outage"))).toBe(true);
    await recorder.close();
  });
});
