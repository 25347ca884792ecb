import { failed, HEADER, isTransientError, type BatchProcessor, type MRecord, type Output } from "@millrace/processors";
import type { OutMessage } from "../kafka/index.js";
import type { ExecutionPlan, PlannedStage, PortRoute } from "../planner/index.js";
import { addCallContexts, type CallContextTarget } from "./call-context.js";
import type { Emitted, NodeBatch } from "./observer.js";
import { stampCreated, stampIncoming, type PrincipalStamp } from "./principal-stamp.js";
import { Outgoing, type PartitionChooser } from "./producing.js";
import { encode, encodedBytes, withLineage } from "./records.js";
import type { RecordEncoder } from "../formats/codecs.js";
import type { BatchTable } from "./table-state.js";

export interface StageOutput {
  /** what goes to Kafka, per topic, partitions chosen */
  outgoing: Outgoing;
  nodes: NodeBatch[];
}

/** Where a batch's output goes: who chooses partitions (none: kafkajs picks), and the batch's slot (see Outgoing). */
export interface Partitioning {
  chooser: PartitionChooser | undefined;
  slot: number;
}

interface CompiledPort {
  route: PortRoute;
  /** every Kafka topic records of this port are written to */
  topics: readonly string[];
  /** a kafka-sink writing another format than JSON: how its external topic's messages are made */
  externalEncode?: RecordEncoder;
  /** a sink that picks each record's topic: per topic it may write, the port's topics with that one in place of its own */
  byTopic?: ReadonlyMap<string, PickedTopic>;
}

interface PickedTopic {
  topic: string;
  topics: readonly string[];
}

interface CompiledNode {
  id: string;
  ports: Map<string, CompiledPort>;
  processor: BatchProcessor | undefined;
  /** a source with a call-context topic: every record it emits is published there too */
  callContext: CallContextTarget | undefined;
  /** a sink whose encoder loads what its records need first (schemas they carry, registered): run before its outputs are routed */
  prepareEncode: RecordEncoder["prepare"];
}

const NOWHERE: readonly string[] = Object.freeze([]);

/** A list made at its expected size and trimmed when done, instead of growing by copies (the hot path fills one per node and batch). */
class Filling<T> {
  private readonly items: T[];
  private n = 0;
  constructor(expected: number) {
    this.items = new Array<T>(expected);
  }

  add(x: T): void {
    if (this.n < this.items.length) this.items[this.n] = x;
    else this.items.push(x);
    this.n++;
  }

  done(): T[] {
    this.items.length = this.n;
    return this.items;
  }
}

/** What a node emits for a batch, with lineage set (most nodes emit one output per input). */
class Emits implements Output {
  private readonly list: Filling<Emitted>;
  constructor(
    private readonly base: readonly MRecord[],
    expected: number,
    /** the parent index every output gets (one input run on its own), else the one emitted */
    private readonly parentIndex?: number,
  ) {
    this.list = new Filling(expected);
  }

  emit(port: string, record: MRecord, parent: number): void {
    this.list.add(emittedOf(port, withLineage(record, this.base[parent]), this.parentIndex ?? parent));
  }

  done(): Emitted[] {
    return this.list.done();
  }
}

/** An output with every field it may get set from the start (one object shape on the hot path). */
function emittedOf(port: string, record: MRecord, parent: number): Emitted {
  return { port, record, parent, topics: NOWHERE, bytes: undefined, messageIndex: undefined };
}

/**
 * Runs one batch through a stage: the head, then every fused node below it, collecting what
 * goes to Kafka per topic. Stateless between calls (safe for concurrently consumed partitions).
 */
export class StageExecutor {
  private readonly nodes = new Map<string, CompiledNode>();
  /** the stage's stateful node (at most one per stage): the one given the batch's table */
  private readonly tableNode: string | undefined;

  constructor(
    plan: ExecutionPlan,
    readonly stage: PlannedStage,
    processors: ReadonlyMap<string, BatchProcessor>,
    /** a stage whose head is a source: who sent the records it takes in (see principal-stamp.ts) */
    private readonly principal?: PrincipalStamp,
    /** per kafka-sink node writing another format, its encoder */
    encoders?: ReadonlyMap<string, RecordEncoder>,
  ) {
    this.tableNode = stage.nodes.find((id) => plan.nodes.find((n) => n.id === id)?.state !== undefined);
    for (const id of stage.nodes) {
      const pn = plan.nodes.find((n) => n.id === id);
      if (!pn) throw new Error(`plan has no node "${id}"`);
      const ports = new Map<string, CompiledPort>();
      let prepareEncode: RecordEncoder["prepare"];
      for (const route of pn.ports) {
        const topics = [route.topic, route.externalTopic, route.deadLetter].filter((t): t is string => t !== undefined);
        const port: CompiledPort = { route, topics: topics.length ? Object.freeze(topics) : NOWHERE };
        const externalEncode = route.externalTopic === undefined ? undefined : encoders?.get(id);
        if (externalEncode) port.externalEncode = externalEncode;
        if (externalEncode?.prepare) prepareEncode = externalEncode.prepare;
        if (route.routedTopics?.length && route.externalTopic !== undefined) port.byTopic = topicsByPick(topics, route.externalTopic, route.routedTopics);
        ports.set(route.port, port);
      }
      // Sources have no failure port; a record they make that Kafka cannot take still needs a place.
      if (!ports.has("failure")) {
        const route: PortRoute = { port: "failure", fused: [], durableEdges: [], deadLetter: plan.deadLetterTopic };
        ports.set("failure", { route, topics: Object.freeze([plan.deadLetterTopic]) });
      }
      const callContext = pn.callContextTopic === undefined ? undefined : { topic: pn.callContextTopic, flowId: plan.flowId, nodeId: id };
      this.nodes.set(id, { id, ports, processor: processors.get(id), callContext, prepareEncode });
    }
  }

  /** A consumer stage: `inputs` go to the head processor. `table`: the stage's stateful node's table for the batch's input partition. */
  async runConsumer(inputs: MRecord[], offsets: readonly string[], bytesIn: number, partitioning: Partitioning, table?: BatchTable): Promise<StageOutput> {
    const out: StageOutput = { outgoing: new Outgoing(partitioning.chooser, partitioning.slot), nodes: [] };
    // the inputs were just decoded by the runner: their headers objects are its own to complete
    const principal = this.principal;
    if (principal) for (let i = 0; i < inputs.length; i++) stampIncoming(inputs[i]!.headers, principal);
    await this.runNode(this.stage.head, inputs, out, bytesIn, offsets, table);
    return out;
  }

  /** A polled source: its records are the head's `success` outputs, created here (parent -1). */
  /** `failures`: records the source itself could not make (a bad line), for its `failure` port */
  async runSource(records: MRecord[], partitioning: Partitioning, failures?: readonly MRecord[]): Promise<StageOutput> {
    const out: StageOutput = { outgoing: new Outgoing(partitioning.chooser, partitioning.slot), nodes: [] };
    const emitted: Emitted[] = new Array(records.length + (failures?.length ?? 0));
    const principal = this.principal;
    for (let i = 0; i < emitted.length; i++) {
      const failure = i >= records.length;
      // withLineage made a new headers object for the created record: stamped in place
      const record = withLineage(failure ? failures![i - records.length]! : records[i]!, undefined);
      if (principal) stampCreated(record.headers, principal);
      emitted[i] = emittedOf(failure ? "failure" : "success", record, -1);
    }
    await this.route(this.nodes.get(this.stage.head)!, [], emitted, out, 0, undefined, undefined);
    return out;
  }

  private async runNode(nodeId: string, inputs: MRecord[], out: StageOutput, bytesIn: number, offsets?: readonly string[], table?: BatchTable): Promise<void> {
    const node = this.nodes.get(nodeId)!;
    const proc = node.processor;
    if (!proc) throw new Error(`node "${nodeId}" has no processor`);
    let emitted: Emitted[];
    const own = nodeId === this.tableNode ? table : undefined;
    try {
      const all = new Emits(inputs, inputs.length);
      await proc.process(inputs, all, own);
      emitted = all.done();
    } catch (e) {
      if (isTransientError(e)) throw e;
      // One bad record must not fail its batch: run the records one by one, and send those
      // that still throw to `failure` (a table's changes of the failed call never happened).
      emitted = [];
      own?.reset();
      for (let i = 0; i < inputs.length; i++) {
        const one = [inputs[i]!];
        const sub = new Emits(one, 1, i);
        try {
          await proc.process(one, sub, own);
          for (const x of sub.done()) emitted.push(x);
        } catch (err) {
          if (isTransientError(err)) throw err;
          const reason = err instanceof Error ? err.message : String(err);
          emitted.push(emittedOf("failure", withLineage(failed(inputs[i]!, reason, nodeId), inputs[i]), i));
        }
      }
    }
    await this.route(node, inputs, emitted, out, bytesIn, offsets, table);
  }

  private async route(node: CompiledNode, inputs: MRecord[], emitted: Emitted[], out: StageOutput, bytesIn: number, offsets: readonly string[] | undefined, table: BatchTable | undefined): Promise<void> {
    let bytesOut = 0;
    let errors = 0;
    let lastError: string | undefined;
    let fusedInputs: Map<string, Filling<MRecord>> | undefined;
    const outgoing = out.outgoing;
    if (node.prepareEncode) await node.prepareEncode(emitted);
    for (let i = 0; i < emitted.length; i++) {
      const e = emitted[i]!;
      let port0 = node.ports.get(e.port);
      /** a record of a sink that picks its topic: where it goes (undefined: every other record) */
      let picked: PickedTopic | undefined;
      if (port0?.byTopic) {
        picked = pickedTopic(port0.byTopic, port0.route.externalTopic!, e, node.id);
        if (!picked) port0 = node.ports.get("failure");
      }
      /** the message of the external topic in the node's format (a kafka-sink writing avro, string or bytes) */
      let external: OutMessage | undefined;
      if (port0?.externalEncode) {
        try {
          external = port0.externalEncode(e.record);
        } catch (err) {
          // the record does not fit the format (a field the Avro schema does not take): it fails, nothing is written
          e.port = "failure";
          e.record = failed(e.record, `format: ${err instanceof Error ? err.message : String(err)}`, node.id);
          port0 = node.ports.get("failure");
          picked = undefined;
        }
      }
      let msg = port0?.topics.length ? (external && port0.topics.length === 1 ? external : encode(e.record)) : undefined;
      // the message's size, counted once here: request sizes and byte counters read it from the output
      let size = msg ? encodedBytes(msg) : 0;
      if (msg && size > MAX_RECORD_BYTES) {
        // Kafka would refuse it on every retry and block the partition: it fails instead.
        msg = divertOversized(e, size, node.id, node.ports.get("failure")?.topics.length ? encode : undefined);
        size = msg ? encodedBytes(msg) : 0;
      }
      if (e.port === "failure") {
        errors++;
        lastError = e.record.headers[HEADER.error] ?? lastError;
      }
      const port = node.ports.get(e.port);
      if (!port) continue; // a port the plan does not know: dropped
      const topics = picked !== undefined && port === port0 ? picked.topics : port.topics;
      if (topics.length) {
        if (!msg) {
          msg = encode(e.record);
          size = encodedBytes(msg);
        }
        e.topics = topics;
        e.bytes = size;
        const externalTopic = external ? (picked !== undefined && port === port0 ? picked.topic : port.route.externalTopic) : undefined;
        const timestamp = e.record.timestamp;
        e.messageIndex = outgoing.add(topics[0]!, topics[0] === externalTopic ? external! : msg, e, timestamp);
        // one message object per topic: each carries its own partition
        for (let t = 1; t < topics.length; t++) outgoing.add(topics[t]!, topics[t] === externalTopic ? external! : { ...msg }, e, timestamp);
        bytesOut += size * topics.length;
      }
      const fused = port.route.fused;
      for (let f = 0; f < fused.length; f++) {
        fusedInputs ??= new Map();
        const target = fused[f]!.node;
        let list = fusedInputs.get(target);
        // sized for every output left (a fused node usually gets them all)
        if (!list) fusedInputs.set(target, (list = new Filling(emitted.length - i)));
        list.add(e.record);
      }
    }
    if (node.callContext) addCallContexts(node.callContext, emitted, outgoing);
    const nb: NodeBatch = { nodeId: node.id, inputs, bytesIn, outputs: emitted, bytesOut, errors };
    if (offsets) nb.inputOffsets = offsets;
    if (lastError !== undefined) nb.lastError = lastError;
    out.nodes.push(nb);
    if (fusedInputs) for (const [target, list] of fusedInputs) await this.runNode(target, list.done(), out, 0, undefined, table);
  }
}

/** Per topic a sink may pick, its port's topics with that one in place of the sink's own (made once per compiled port). */
function topicsByPick(topics: readonly string[], own: string, others: readonly string[]): Map<string, PickedTopic> {
  const out = new Map<string, PickedTopic>();
  for (const topic of [own, ...others]) out.set(topic, { topic, topics: Object.freeze(topics.map((t) => (t === own ? topic : t))) });
  return out;
}

/**
 * The topic a sink named for its record in HEADER.topic (taken out: it is not written), when the
 * plan lets the sink write it; else the record goes to failure, so no record reaches a topic the
 * deployment did not create and check. No header: the sink's own topic.
 */
function pickedTopic(byTopic: ReadonlyMap<string, PickedTopic>, own: string, e: Emitted, nodeId: string): PickedTopic | undefined {
  const headers = e.record.headers;
  const named = headers[HEADER.topic];
  if (named === undefined) return byTopic.get(own);
  // the sink's own headers object (it copies its input's to name the topic)
  delete headers[HEADER.topic];
  const picked = byTopic.get(named);
  if (picked) return picked;
  e.port = "failure";
  e.record = failed(e.record, `topic "${named}" is not one this node may write (${[...byTopic.keys()].join(", ")})`, nodeId);
  return undefined;
}

/** Broker default message.max.bytes is 1 MiB per batch; keep room for headers and batch overhead. */
export const MAX_RECORD_BYTES = 1_000_000;

/**
 * Turns an output too large for a Kafka message into a `failure` record whose value says so
 * (with the start of the original) — small enough to reach the failure edge or dead-letter topic.
 */
export function divertOversized(e: Emitted, bytes: number, nodeId: string, encodeFailure?: (r: MRecord) => OutMessage): OutMessage | undefined {
  const text = typeof e.record.value === "string" ? e.record.value : JSON.stringify(e.record.value);
  const reason = `the record is ${bytes} bytes, more than the ${MAX_RECORD_BYTES}-byte limit of a Kafka message`;
  e.port = "failure";
  e.record = failed({ ...e.record, value: { tooLarge: true, bytes, start: text.slice(0, 1000) } }, reason, nodeId);
  return encodeFailure?.(e.record);
}

