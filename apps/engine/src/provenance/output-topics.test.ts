import { describe, expect, it } from "vitest";
import { HEADER } from "@millrace/processors";
import type { BatchRow, ProvenanceRepository } from "../db/provenance.js";
import type { BatchEvent } from "../runtime/observer.js";
import { coalesceBatches, OUTPUT_TOPICS_KEY, type Captured, type CapturedNode } from "./coalesce.js";
import { ProvenanceRecorder } from "./recorder.js";
import { outputTopic } from "./store.js";

type Output = BatchEvent["nodes"][number]["outputs"][number];

/** A sink's batch whose records went to the topics given (one output per topic, in order). */
function sinkBatch(first: number, topics: string[][]): BatchEvent {
  const frozen = new Map<string, readonly string[]>();
  const outputs = topics.map((t, i): Output => {
    const key = t.join();
    if (!frozen.has(key)) frozen.set(key, Object.freeze([...t]));
    const record = { value: i, headers: { [HEADER.id]: `o${first + i}` } } as unknown as Output["record"];
    return { port: "success", record, parent: i, topics: frozen.get(key)!, bytes: 1, messageIndex: undefined };
  });
  const inputs = topics.map((_, i) => ({ value: i, headers: { [HEADER.id]: `i${first + i}` } })) as unknown as BatchEvent["nodes"][number]["inputs"];
  return {
    flowId: "f",
    deploymentId: "d",
    stageId: "out",
    input: { topic: "in", partition: 0, firstOffset: String(first), lastOffset: String(first + topics.length - 1) },
    startedAt: Date.now(),
    durationMs: 1,
    transactional: false,
    nodes: [{ nodeId: "out", inputs, bytesIn: 0, outputs, bytesOut: 0, errors: 0 }],
  } as unknown as BatchEvent;
}

/** The port_topics of the rows a recorder writes for `batches` (the column holding JSON objects of topic lists). */
async function portTopicsWritten(batches: BatchEvent[]): Promise<Record<string, string[]>[]> {
  const rows: Record<string, string[]>[] = [];
  const repository = {
    insertBatches: async (cols: unknown[][]) => {
      for (const col of cols) for (const v of col) if (typeof v === "string" && v.startsWith("{") && v.includes('"success"')) rows.push(JSON.parse(v));
    },
  } as unknown as ProvenanceRepository;
  const recorder = new ProvenanceRecorder({ repository, engineId: "e" });
  for (const b of batches) recorder.onBatch(b);
  await recorder.drain(3000);
  await recorder.close();
  return rows;
}

describe("a sink writing each record to the topic it picks: lineage names each record's topic", () => {
  it("the recorder keeps each output's topic when a port's outputs went to several, and the store reads it back", async () => {
    const rows = await portTopicsWritten([sinkBatch(0, [["orders"], ["payments"], ["payments"], ["orders"]]), sinkBatch(4, [["payments"], ["payments"]])]);
    expect(rows).toHaveLength(1); // the two batches coalesced into one row
    const row = { port_topics: rows[0], out_ports: null } as unknown as BatchRow;
    expect([0, 1, 2, 3, 4, 5].map((j) => outputTopic(row, j))).toEqual(["orders", "payments", "payments", "orders", "payments", "payments"]);
    expect(rows[0]![OUTPUT_TOPICS_KEY]).toEqual(["0", "1", "orders", "1", "2", "payments", "3", "1", "orders", "4", "2", "payments"]);
  });

  it("a sink whose records all went to one topic keeps the row as it was (no per-output topics)", async () => {
    expect(await portTopicsWritten([sinkBatch(0, [["orders"], ["orders"]])])).toEqual([{ success: ["orders"] }]);
  });

  it("coalescing batches that wrote one port to different topics spells out each output's", () => {
    const node = (n: Partial<CapturedNode>): CapturedNode => ({ nodeId: "out", seq: 0, inIds: [], inOffsets: null, outIds: [], outParents: null, outPorts: null, portTopics: null, outLocs: null, ...n });
    const part = (first: number, n: CapturedNode): Captured => ({ flowId: "f", deploymentId: "d", stageId: "out", at: 0, durationMs: 1, input: { topic: "in", partition: 0, firstOffset: String(first), lastOffset: String(first + n.inIds.length - 1) }, nodes: [n], size: 1 });
    const [m] = coalesceBatches([
      part(0, node({ inIds: ["a", "b"], outIds: ["a", "b"], portTopics: { success: ["orders"] } })),
      part(2, node({ inIds: ["c"], outIds: ["c"], portTopics: { success: ["payments"] } })),
      part(3, node({ inIds: ["d", "e"], outIds: ["d", "e"], portTopics: { success: ["orders"] }, outTopics: ["orders", "payments"] })),
    ]);
    expect(m!.nodes[0]!.outTopics).toEqual(["orders", "orders", "payments", "orders", "payments"]);
    const [same] = coalesceBatches([part(0, node({ inIds: ["a"], outIds: ["a"], portTopics: { success: ["orders"] } })), part(1, node({ inIds: ["b"], outIds: ["b"], portTopics: { success: ["orders"] } }))]);
    expect(same!.nodes[0]!.outTopics).toBeNull();
  });
});
