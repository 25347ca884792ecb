import type { InputSlice } from "../runtime/observer.js";

/** The key of port_topics (not a port name: ports are identifiers) holding each output's topic when a port's outputs went to several. */
export const OUTPUT_TOPICS_KEY = "#outputs";

/** What the hot path copies out of one node of a batch: ids and small ints, nothing else. */
export interface CapturedNode {
  nodeId: string;
  seq: number;
  inIds: string[];
  /** offsets of the inputs when they are not contiguous (head of a consumer stage only) */
  inOffsets: string[] | null;
  outIds: string[];
  /** null: output i derives from input i (map, set-headers, kafka-sink... with nothing dropped) */
  outParents: Int32Array | null;
  /** null: every output went to `success` */
  outPorts: string[] | null;
  /** port → topics its records were written to (first output of each port) */
  portTopics: Record<string, readonly string[]> | null;
  /**
   * Per output, the first topic it was written to; only when outputs of one port went to
   * different topics (a sink that picks each record's topic), else null (each port's is in portTopics).
   */
  outTopics?: (string | undefined)[] | null;
  /**
   * Where the outputs went in their port's first topic, as runs of 4 numbers: first output
   * index j, partition, first offset, count (outputs j.. j+count-1 at consecutive offsets);
   * null when no output has a produced offset (fused hops, nothing written, provenance off).
   */
  outLocs: number[] | null;
}

export interface Captured {
  flowId: string;
  deploymentId: string;
  stageId: string;
  at: number;
  durationMs: number;
  input: InputSlice | null;
  nodes: CapturedNode[];
  /** ids held, for the queue bound */
  size: number;
  /** the head's readers are found by Kafka position, not by key (decided when written, see the recorder) */
  byPosition?: boolean;
}

/** Inputs of one node in one merged row at most: rows stay a size Postgres handles in one piece. */
const MAX_MERGED_INPUTS = 16_384;

/**
 * The node-batches of one write turned into fewer rows: consecutive batches of the same stage
 * that read the same partition at contiguous offsets (or are a polled source's) become one row
 * per node. A stage at 10,000 records/s makes many small batches; a row costs ~150 bytes of
 * columns and index entries whatever it holds, so one row per node per flush instead of per batch
 * is most of what keeps provenance near a few bytes per record. Batches whose heads are found
 * differently (by position, by key) stay apart.
 */
export function coalesceBatches(batches: readonly Captured[]): Captured[] {
  const groups: Captured[][] = [];
  // per stage and input partition: the group a contiguous next batch joins, and its inputs so far per node
  const open = new Map<string, { group: Captured[]; inputs: number }>();
  for (const c of batches) {
    const key = c.deploymentId + "\0" + c.stageId + "\0" + (c.input ? c.input.topic + "\0" + c.input.partition : "");
    const g = open.get(key);
    let most = 0;
    for (const n of c.nodes) most = Math.max(most, n.inIds.length);
    if (g && g.inputs + most <= MAX_MERGED_INPUTS && mergeable(g.group.at(-1)!, c)) {
      g.group.push(c);
      g.inputs += most;
      continue;
    }
    const group = [c];
    open.set(key, { group, inputs: most });
    groups.push(group);
  }
  return groups.map((g) => (g.length === 1 ? g[0]! : merged(g)));
}

function mergeable(a: Captured, b: Captured): boolean {
  if (a.nodes.length !== b.nodes.length) return false;
  if ((a.input === null) !== (b.input === null) || a.byPosition !== b.byPosition) return false;
  if (a.input && b.input && Number(a.input.lastOffset) + 1 !== Number(b.input.firstOffset)) return false;
  for (let i = 0; i < a.nodes.length; i++) {
    const x = a.nodes[i]!;
    const y = b.nodes[i]!;
    if (x.nodeId !== y.nodeId || x.inOffsets !== null || y.inOffsets !== null) return false;
  }
  return true;
}

/** One batch made of a group of consecutive ones (new arrays: the group stays queued until written). */
function merged(group: Captured[]): Captured {
  const first = group[0]!;
  const lastInput = group.at(-1)!.input;
  let durationMs = 0;
  let size = 0;
  for (const c of group) {
    durationMs += c.durationMs;
    size += c.size;
  }
  const nodes = first.nodes.map((n, i) => mergedNode(group.map((c) => c.nodes[i]!)));
  return { ...first, durationMs, size, nodes, input: first.input && lastInput && { ...first.input, lastOffset: lastInput.lastOffset } };
}

function mergedNode(parts: CapturedNode[]): CapturedNode {
  const inIds: string[] = [];
  const outIds: string[] = [];
  // null parents say "output i comes from input i": true of the concatenation only if of every part, each as long as its inputs
  const anyParents = parts.some((p) => p.outParents !== null || p.outIds.length !== p.inIds.length);
  const anyPorts = parts.some((p) => p.outPorts !== null);
  let outPorts: string[] | null = anyPorts ? [] : null;
  let portTopics: Record<string, readonly string[]> | null = null;
  let outLocs: number[] | null = null;
  let nOut = 0;
  for (const p of parts) nOut += p.outIds.length;
  const outParents = anyParents ? new Int32Array(nOut) : null;
  const outTopics = mergedOutTopics(parts, nOut);
  for (const p of parts) {
    const inBase = inIds.length;
    const outBase = outIds.length;
    const n = p.outIds.length;
    if (outParents) {
      for (let j = 0; j < n; j++) {
        const parent = p.outParents ? p.outParents[j]! : j;
        outParents[outBase + j] = parent < 0 ? parent : parent + inBase;
      }
    }
    if (outPorts) {
      if (p.outPorts) for (const port of p.outPorts) outPorts.push(port);
      else for (let j = 0; j < n; j++) outPorts.push("success");
    }
    if (p.portTopics) for (const [port, topics] of Object.entries(p.portTopics)) if (!(port in (portTopics ??= {}))) portTopics[port] = topics;
    if (p.outLocs) {
      outLocs ??= [];
      for (let k = 0; k < p.outLocs.length; k += 4) outLocs.push(p.outLocs[k]! + outBase, p.outLocs[k + 1]!, p.outLocs[k + 2]!, p.outLocs[k + 3]!);
    }
    for (const id of p.inIds) inIds.push(id);
    for (const id of p.outIds) outIds.push(id);
  }
  outPorts = outPorts && outPorts.every((x) => x === "success") ? null : outPorts;
  return { nodeId: parts[0]!.nodeId, seq: parts[0]!.seq, inIds, inOffsets: null, outIds, outParents, outPorts, portTopics, outLocs, outTopics };
}

/** Each output's topic over the merged parts, when a part has its own per output or two parts wrote one port to different topics; else null. */
function mergedOutTopics(parts: readonly CapturedNode[], nOut: number): (string | undefined)[] | null {
  const first: Record<string, string | undefined> = {};
  let differ = false;
  for (const p of parts) {
    if (p.outTopics) differ = true;
    for (const [port, topics] of Object.entries(p.portTopics ?? {})) {
      if (!(port in first)) first[port] = topics[0];
      else if (first[port] !== topics[0]) differ = true;
    }
  }
  if (!differ) return null;
  const out = new Array<string | undefined>(nOut);
  let base = 0;
  for (const p of parts) {
    for (let j = 0; j < p.outIds.length; j++) out[base + j] = p.outTopics ? p.outTopics[j] : p.portTopics?.[p.outPorts ? p.outPorts[j]! : "success"]?.[0];
    base += p.outIds.length;
  }
  return out;
}
