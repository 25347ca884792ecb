import { createHash } from "node:crypto";
import { connectionFieldsOf, DEFAULT_QUEUE_THRESHOLD, findParameterReferences, requestedEdgeMode, substituteParameters, type FlowDocument, type FlowEdge, type FlowNode, type Ingress, type ProcessorKind, type ProcessorTypeInfo } from "@millrace/flow";

/**
 * The planner: a pure function from a validated flow document to an execution plan. No Kafka,
 * no Postgres: the deployment layer creates the topics the plan names and the runtime starts
 * one runner per stage.
 *
 * The plan is self-sufficient: every planned node carries its type, its config with the
 * document's parameters substituted, its settings and what the engine serves for it, so the
 * runtime never goes back to the document. Because those configs may hold sensitive parameter
 * values, a plan leaves the engine only as `publicPlan(plan)`.
 *
 * Rules
 * - Every edge is durable unless marked `fused` (its settings.mode, else the flow's
 *   settings.defaultEdgeMode). A durable edge's records go through a Kafka
 *   topic, one topic per (node, output port) however many durable edges leave that port;
 *   each downstream stage reads it with its own consumer group.
 * - A `fused` edge puts its target in the stage of its source node (no topic between), when
 *   the target is not a source and has exactly this one incoming edge. Otherwise the edge runs
 *   durable and the plan carries a warning saying why.
 * - A stage is a head node plus everything reachable from it over honoured fused edges (a tree).
 *   Heads: every source, and every node with a durable incoming edge (or none).
 * - Stage kinds: `poll-source` (generate, http-listen, postgres-poll...: runs on exactly one
 *   engine), `kafka-source` (consumes its external topic in a consumer group), `consumer`
 *   (consumes the topics of its durable incoming edges).
 * - No copy hops: a durable edge is `direct` (no edge topic of its own) when its records are in
 *   an external topic anyway. `external-in`: the only edge leaving a kafka-source is read straight
 *   from the source's topic. `external-out`: the only durable edge leaving a port, into a
 *   kafka-sink, is written straight to the sink's topic. Either way the edge's target has no
 *   other input and runs in its source node's stage, as a fused edge's would, and the edge keeps
 *   `topic` = that external topic, so taps read it there, and `consumerGroup` (external-in) = the
 *   stage's group, so its queue is that group's lag on the topic. A direct edge is not watched for
 *   back pressure: it is the stage's own input (or has no queue at all). A kafka-source with
 *   several edges, a sink with several inputs, a sink that picks each record's topic
 *   (`routedTopics`), or a node whose config names another cluster (`connection`) keeps its own
 *   stage and edge topic. `directEdges: false` plans as before.
 * - A `failure` port with no edge goes to the flow's dead-letter topic; other unconnected ports drop.
 * - A node with an external topic that is not a source (kafka-sink) writes its `success`
 *   records to that topic, in addition to any edges leaving `success`.
 * - A source whose settings name a `callContextTopic` also writes, for every record it emits,
 *   who sent it to that (external) topic, with the records' own produce (PlannedNode.callContextTopic).
 * - Names are derived from flow id + node id (+ port), so a redeploy that keeps an edge keeps
 *   its topic, its data and the downstream consumer group's offsets.
 */

/** What the planner reads of a processor spec: declared facts only, never the type id. */
export type PlannerSpec = Pick<ProcessorTypeInfo, "kind" | "outputPorts" | "externalTopic" | "routedTopics" | "ingress" | "forks" | "runner" | "stateful" | "lookup" | "inputValues"> & Partial<Pick<ProcessorTypeInfo, "configSchema">>;

export interface PlannerCatalog {
  get(type: string): PlannerSpec | undefined;
}

export interface PlanOptions {
  /** Partitions of an edge topic when neither the edge nor its source node says (default 3). */
  defaultPartitions?: number;
  /**
   * Back-pressure threshold (records waiting on an edge) when the edge does not say (default
   * 1,000,000). NiFi's 10,000 objects bound an in-memory/disk queue; ours is a Kafka topic, so a
   * deep queue costs disk, not engine memory, and a low threshold stalled the sources of any flow
   * that was briefly slower downstream.
   */
  defaultQueueThreshold?: number;
  /** Partitions of external topics the deployment has to create (default 3). */
  externalPartitions?: number;
  exactlyOnce?: boolean;
  /** plan direct edges (default true); false: a topic on every durable edge, the shape of plans made before direct edges */
  directEdges?: boolean;
  /**
   * The plan this one replaces (a redeploy). An edge topic it wrote that this plan no longer
   * does (the edge became direct) may still hold records its reader had not read: this plan
   * keeps draining it (see PlannedStage.drain).
   */
  previous?: ExecutionPlan;
  /** edge topics of `previous`'s drain stages that the caller found read to their end by the drain's group: not drained any more */
  drained?: ReadonlySet<string>;
  /** How long and how much the flow's own topics keep; absent: the plan names no bound (the brokers' defaults apply). */
  retention?: { edge: TopicRetention; deadLetter: TopicRetention };
}

/** What a topic keeps before Kafka deletes its oldest records: whichever bound is reached first; 0 = no bound. */
export interface TopicRetention {
  minutes: number;
  /** over all the topic's partitions */
  mb: number;
}

export type TopicRole = "edge" | "dead-letter" | "external-in" | "external-out" | "replay" | "changelog";

export interface PlannedTopic {
  name: string;
  partitions: number;
  role: TopicRole;
  /** the port writing it (edge topics) */
  from?: { node: string; port: string };
  /** durable edges carried by this topic */
  edges: string[];
  /** the flow's own topics (edge, replay, dead-letter) when the plan was made with `retention` */
  retention?: TopicRetention;
  /** an external topic on the cluster of this Kafka connection (absent: the engine's own cluster) */
  connection?: string;
  /** an edge topic feeding a stateful node: records go to the partition of their key, whatever the delivery mode */
  keyed?: true;
}

export interface PortRoute {
  port: string;
  /** nodes in the same stage fed by this port (fused and direct edges) */
  fused: { edge: string; node: string }[];
  /** internal topic of the durable edges leaving this port */
  topic?: string;
  durableEdges: string[];
  /** kafka-sink: the external topic the `success` records are written to */
  externalTopic?: string;
  /** a sink that picks each record's topic: the others it may write (the record names its own in HEADER.topic) */
  routedTopics?: string[];
  /** unconnected `failure`: the dead-letter topic */
  deadLetter?: string;
}

export interface PlannedNode {
  id: string;
  type: string;
  typeVersion: number;
  kind: ProcessorKind;
  /** parameters substituted: what the implementation is created with; may hold secrets */
  config: Record<string, unknown>;
  /**
   * Paths in `config` of the strings that hold a sensitive parameter's value (only secret-capable
   * fields can), so the stored plan can seal exactly those; empty when none.
   */
  secretPaths: (string | number)[][];
  settings: NonNullable<FlowNode["settings"]>;
  stage: string;
  ports: PortRoute[];
  /** the HTTP path the engine serves for this node, as its spec declares */
  ingress?: Ingress;
  /** its spec declares that every output is split off its input (provenance: FORK) */
  forks?: boolean;
  /** a source: the external topic that gets one call context (who sent it, how) per record it emits */
  callContextTopic?: string;
  /** the connection its config names: opened by the runtime when the stage starts (secrets never enter the plan) */
  connection?: string;
  /** every connection its config names, by field (`connection`, a mirror's `from` and `to`); absent in plans stored before */
  connections?: Record<string, string>;
  /** its spec's own runner (a kafka-mirror: `mirror`) runs it instead of the record path */
  runner?: "mirror";
  /** a stateful node: its table's changelog topic (partition n holds the table of input partition n) */
  state?: {
    changelogTopic: string;
    partitions: number;
    /** it reads this external topic directly (its stage is the kafka-source's): the table has that topic's partitions, see inputPartitionsOf */
    inputTopic?: string;
  };
  /** a node looking rows up (a join): the topic holding its table, a changelog of this flow or a compacted external topic */
  lookup?: { topic: string; changelog: boolean };
}

export interface PlannedEdge {
  id: string;
  from: { node: string; port: string };
  to: string;
  mode: "durable" | "fused";
  /** what the document asked for (absent = durable) */
  requested: "durable" | "fused";
  topic?: string;
  /**
   * A durable edge with no edge topic of its own (see "No copy hops"): `topic` is the external
   * topic its records are read from (external-in) or written to (external-out), and its target
   * runs in the stage of its source node.
   */
  direct?: DirectKind;
  /** consumer group reading this edge's topic (the target's stage); none for an external-out edge */
  consumerGroup?: string;
  partitions?: number;
  queueThreshold?: number;
  fromStage: string;
  toStage: string;
}

export type DirectKind = "external-in" | "external-out";

/** `mirror`: a kafka-mirror node copying topics between clusters in a runner of its own (it reads what it finds, writes no edge) */
export type StageKind = "poll-source" | "kafka-source" | "consumer" | "mirror";

export interface PlannedStage {
  id: string;
  kind: StageKind;
  head: string;
  /** head first, then every fused node in an order where a node follows its upstream */
  nodes: string[];
  /** topics the stage consumes (consumer and kafka-source stages) */
  inputs: string[];
  /** consumer group (consumer/kafka-source); for poll-source stages the group that holds exactly-once checkpoints */
  groupId: string;
  /** where a new consumer group starts: internal topics from the beginning; kafka-source as configured */
  fromBeginning: boolean;
  /** poll-source stages run on exactly one engine at a time */
  singleOwner: boolean;
  /** prefix of the stable transactional ids (exactly-once): `<prefix>.<topic>.<partition>` or `<prefix>.source` */
  transactionalIdPrefix: string;
  /** concurrency hint: partitions consumed concurrently */
  concurrency: number;
  /** durable edges this stage writes to (directly) */
  outputEdges: string[];
  /** the stage has nothing to read (a transform/sink with no incoming edge): it does not run */
  idle: boolean;
  /**
   * consumer and kafka-source stages: a 1-partition topic only the replay API writes, also in
   * `inputs`, so a replayed record reaches this stage alone (not every reader of an edge topic)
   */
  replayTopic?: string;
  /** no node of the stage reads the values of the records it consumes: they are not parsed (see ProcessorTypeInfo.inputValues) */
  valuesUnread?: true;
  /**
   * A stage kept for the upgrade to direct edges: it reads, with the group and transactional ids
   * of the stage that read it before, an edge topic an earlier plan wrote and this one no longer
   * does, into the node that read it (and what runs in that node's stage below it), so the
   * records left in it are not lost. Nothing writes that topic any more; it is planned again on
   * each redeploy until its group has read it to the end.
   */
  drain?: true;
}

export interface ExecutionPlan {
  flowId: string;
  exactlyOnce: boolean;
  deadLetterTopic: string;
  topics: PlannedTopic[];
  stages: PlannedStage[];
  nodes: PlannedNode[];
  edges: PlannedEdge[];
  /** per source stage: the durable edges downstream of it (transitively), checked for back pressure */
  backPressure: { stage: string; edges: string[] }[];
  warnings: string[];
}

/** A planned node as a client may see it: without the config, which may hold sensitive parameter values (nor where they are). */
export type PublicPlannedNode = Omit<PlannedNode, "config" | "secretPaths">;

export interface PublicPlan extends Omit<ExecutionPlan, "nodes"> {
  nodes: PublicPlannedNode[];
}

/** The plan without the node configs: the only form of a plan the API returns. */
export function publicPlan(plan: ExecutionPlan): PublicPlan {
  return { ...plan, nodes: plan.nodes.map(publicNode) };
}

// field by field, so a field added to PlannedNode stays server-side until it is listed here
function publicNode(n: PlannedNode): PublicPlannedNode {
  const node: PublicPlannedNode = { id: n.id, type: n.type, typeVersion: n.typeVersion, kind: n.kind, settings: n.settings, stage: n.stage, ports: n.ports };
  if (n.ingress) node.ingress = n.ingress;
  if (n.forks) node.forks = true;
  if (n.callContextTopic !== undefined) node.callContextTopic = n.callContextTopic;
  return node;
}

/** The strings at every node's secretPaths: what must never appear in a message about this plan. */
export function planSecretValues(plan: ExecutionPlan): string[] {
  const out: string[] = [];
  for (const n of plan.nodes) {
    for (const path of n.secretPaths ?? []) {
      let v: unknown = n.config;
      for (const seg of path) v = typeof v === "object" && v !== null ? (v as Record<string | number, unknown>)[seg] : undefined;
      if (typeof v === "string" && v !== "") out.push(v);
    }
  }
  return out;
}

export class PlanError extends Error {}

const LEGAL = /^[A-Za-z0-9_-]+$/;
const MAX_TOPIC = 249;

function shortHash(s: string): string {
  return createHash("sha256").update(s).digest("hex").slice(0, 8);
}

/** A Kafka-safe name component: unchanged when legal, else illegal characters replaced and a hash of the original appended. */
export function nameComponent(s: string): string {
  if (LEGAL.test(s) && s.length <= 80) return s;
  const clean = s.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 60);
  return `${clean}-${shortHash(s)}`;
}

function joinName(parts: string[]): string {
  const name = parts.map(nameComponent).join(".");
  if (name.length <= MAX_TOPIC) return name;
  return `${name.slice(0, MAX_TOPIC - 9)}-${shortHash(name)}`;
}

export function edgeTopicName(flowId: string, nodeId: string, port: string): string {
  return joinName(["mr", flowId, nodeId, port]);
}
export function deadLetterTopicName(flowId: string): string {
  return joinName(["mr-dlq", flowId]);
}
/** `mr.<flow>.<head>.replay`; when that is also a port's edge topic (a port named "replay"), `….replay.in`. */
export function replayTopicName(flowId: string, headNodeId: string, taken: (name: string) => boolean = () => false): string {
  const name = joinName(["mr", flowId, headNodeId, "replay"]);
  return taken(name) ? joinName(["mr", flowId, headNodeId, "replay", "in"]) : name;
}
/** `mr.<flow>.<node>.changelog`: a stateful node's table, compacted. */
export function changelogTopicName(flowId: string, nodeId: string): string {
  return joinName(["mr", flowId, nodeId, "changelog"]);
}
/** The set-key step the planner puts before a stateful node that groups by an expression. */
export const REKEY_SUFFIX = "__key";

/**
 * A stateful node whose rows are keyed by an expression gets a set-key step before it (its own
 * node `<id>__key`, fed by the node's inputs), so its records reach it re-keyed through a keyed
 * topic: every record of one key in one partition, where that key's row lives.
 */
function withRekeySteps(doc: FlowDocument, catalog: PlannerCatalog): FlowDocument {
  const rekeyed = new Map<string, string>();
  for (const n of doc.nodes) {
    const by = catalog.get(n.type)?.stateful?.rekeyBy?.(n.config);
    if (by !== undefined && by !== "") rekeyed.set(n.id, by);
  }
  if (!rekeyed.size) return doc;
  const nodes = [...doc.nodes];
  const edges = doc.edges.map((e) => (rekeyed.has(e.to.node) ? { ...e, to: { ...e.to, node: e.to.node + REKEY_SUFFIX } } : e));
  for (const [id, expression] of rekeyed) {
    const step = id + REKEY_SUFFIX;
    if (doc.nodes.some((n) => n.id === step)) throw new PlanError(`node "${step}" clashes with the re-keying step the planner adds before "${id}": rename it`);
    const at = doc.nodes.find((n) => n.id === id)!;
    nodes.push({ id: step, type: "set-key", typeVersion: 1, name: `${at.name ?? id} (key)`, config: { expression }, position: at.position } as FlowNode);
    edges.push({ id: `${id}${REKEY_SUFFIX}`, from: { node: step, port: "success" }, to: { node: id }, settings: { mode: "durable" } } as FlowEdge);
  }
  return { ...doc, nodes, edges };
}

export function stageGroupId(flowId: string, headNodeId: string): string {
  return joinName(["mr", flowId, headNodeId]);
}

/** The call-context topic a node's settings name (validateFlow checks it is a legal topic name on a source). */
function callContextTopicOf(n: FlowNode): string | undefined {
  const t = n.settings?.callContextTopic;
  return typeof t === "string" && t !== "" ? t : undefined;
}

export function planFlow(written: FlowDocument, catalog: PlannerCatalog, options: PlanOptions = {}): ExecutionPlan {
  const doc = withRekeySteps(written, catalog);
  const defaultPartitions = options.defaultPartitions ?? 3;
  const defaultThreshold = options.defaultQueueThreshold ?? DEFAULT_QUEUE_THRESHOLD;
  const warnings: string[] = [];
  const nodeById = new Map<string, FlowNode>();
  const specOf = new Map<string, PlannerSpec>();
  const sensitive = new Set(doc.parameters.filter((p) => p.sensitive).map((p) => p.name));
  const secretPathsOf = new Map<string, (string | number)[][]>();
  for (const written of doc.nodes) {
    if (nodeById.has(written.id)) throw new PlanError(`duplicate node id "${written.id}"`);
    const spec = catalog.get(written.type);
    if (!spec) throw new PlanError(`node "${written.id}": unknown processor type "${written.type}"`);
    // every config the planner reads (topics, ingress paths) and the plan carries is substituted
    const n = doc.parameters.length ? { ...written, config: substituteParameters(written.config, doc.parameters) } : written;
    nodeById.set(n.id, n);
    specOf.set(n.id, spec);
    const paths = new Map<string, (string | number)[]>();
    if (sensitive.size) for (const ref of findParameterReferences(written.config)) if (sensitive.has(ref.name)) paths.set(JSON.stringify(ref.path), ref.path);
    secretPathsOf.set(n.id, [...paths.values()]);
  }
  const incoming = new Map<string, FlowEdge[]>();
  const outgoing = new Map<string, FlowEdge[]>();
  for (const n of doc.nodes) {
    incoming.set(n.id, []);
    outgoing.set(n.id, []);
  }
  for (const e of doc.edges) {
    if (!nodeById.has(e.from.node)) throw new PlanError(`edge "${e.id}": no node "${e.from.node}"`);
    if (!nodeById.has(e.to.node)) throw new PlanError(`edge "${e.id}": no node "${e.to.node}"`);
    incoming.get(e.to.node)!.push(e);
    outgoing.get(e.from.node)!.push(e);
  }

  // 1. Which fused edges are honoured.
  const fused = new Set<string>();
  for (const e of doc.edges) {
    if (requestedEdgeMode(doc, e) !== "fused") continue;
    const target = specOf.get(e.to.node)!;
    const why =
      target.kind === "source" ? "a source cannot be fused" :
      target.stateful ? `node "${e.to.node}" keeps a table per input partition, so it reads a topic of its own` :
      incoming.get(e.to.node)!.length !== 1 ? `node "${e.to.node}" has several inputs, so it cannot be fused into one upstream` :
      e.from.node === e.to.node ? "a self-loop cannot be fused" : undefined;
    if (why === undefined) fused.add(e.id);
    // the flow's default fuses what it can and leaves the rest durable quietly; an edge that asked is told
    else if (e.settings?.mode === "fused") warnings.push(`edge "${e.id}": ${why}; runs durable`);
  }

  // 1b. Which durable edges are direct (no copy hop through an edge topic of their own).
  // A table that read an edge topic in the running deployment keeps reading one: its rows are
  // partitioned like that topic, and a second stage draining the old topic into it would be a
  // second writer of the same table.
  const keepsTopic = new Set((options.previous?.edges ?? []).filter((e) => e.direct === undefined && e.topic !== undefined && specOf.get(e.to)?.stateful).map((e) => e.id));
  const direct = options.directEdges === false ? new Map<string, DirectKind>() : directEdges(doc.edges, nodeById, specOf, incoming, outgoing, fused, keepsTopic);
  const joined = (e: FlowEdge) => fused.has(e.id) || direct.has(e.id);

  // 2. Stages: heads and the trees of fused and direct edges below them.
  const stageOf = new Map<string, string>();
  const stages: PlannedStage[] = [];
  const isHead = (id: string) => !incoming.get(id)!.some(joined);
  for (const n of nodeById.values()) {
    if (!isHead(n.id)) continue;
    const spec = specOf.get(n.id)!;
    const stageId = n.id;
    const members: string[] = [];
    const queue = [n.id];
    while (queue.length) {
      const cur = queue.shift()!;
      if (stageOf.has(cur)) throw new PlanError(`node "${cur}" would be in two stages (a cycle of fused edges?)`);
      stageOf.set(cur, stageId);
      members.push(cur);
      for (const e of outgoing.get(cur)!) if (joined(e)) queue.push(e.to.node);
    }
    const kind: StageKind = spec.runner === "mirror" ? "mirror" : spec.kind === "source" ? (spec.externalTopic ? "kafka-source" : "poll-source") : "consumer";
    if (kind === "mirror" && options.exactlyOnce) warnings.push(`node "${n.id}": kafka-mirror copies at least once, also in an exactly-once flow (a transaction does not span two clusters)`);
    const groupId = stageGroupId(doc.id, n.id);
    let fromBeginning = true;
    let inputs: string[] = [];
    if (kind === "kafka-source") {
      const t = spec.externalTopic!(n.config);
      if (!t) throw new PlanError(`node "${n.id}": no topic to consume`);
      inputs = [t];
      fromBeginning = (n.config as { fromBeginning?: unknown }).fromBeginning === true;
    }
    const concurrency = Math.max(1, Math.min(64, n.settings?.concurrency ?? defaultPartitions));
    stages.push({
      id: stageId,
      kind,
      head: n.id,
      nodes: members,
      inputs,
      groupId,
      fromBeginning,
      singleOwner: kind === "poll-source",
      transactionalIdPrefix: `${groupId}.tx`,
      concurrency,
      outputEdges: [],
      idle: false,
    });
  }
  // Nodes never reached from a head sit on a cycle of fused edges (every node has a fused input).
  for (const n of doc.nodes) if (!stageOf.has(n.id)) throw new PlanError(`node "${n.id}" sits on a cycle of fused edges`);
  const stageById = new Map(stages.map((s) => [s.id, s]));

  // 3. Topics: one per (node, port) with at least one durable edge.
  const deadLetterTopic = deadLetterTopicName(doc.id);
  const topics = new Map<string, PlannedTopic>();
  const edges: PlannedEdge[] = [];
  for (const e of doc.edges) {
    const from = nodeById.get(e.from.node)!;
    const requested = requestedEdgeMode(doc, e);
    const base = {
      id: e.id,
      from: { node: e.from.node, port: e.from.port },
      to: e.to.node,
      requested,
      fromStage: stageOf.get(e.from.node)!,
      toStage: stageOf.get(e.to.node)!,
    } as const;
    if (fused.has(e.id)) {
      edges.push({ ...base, mode: "fused" });
      continue;
    }
    const directKind = direct.get(e.id);
    if (directKind !== undefined) {
      const via = directKind === "external-in" ? e.from.node : e.to.node;
      const topic = specOf.get(via)!.externalTopic!(nodeById.get(via)!.config)!;
      const edge: PlannedEdge = { ...base, mode: "durable", direct: directKind, topic };
      if (directKind === "external-in") edge.consumerGroup = stageById.get(base.fromStage)!.groupId;
      edges.push(edge);
      continue;
    }
    const name = edgeTopicName(doc.id, e.from.node, e.from.port);
    const partitions = e.settings?.partitions ?? from.settings?.partitions ?? defaultPartitions;
    const t = topics.get(name);
    if (t) {
      if (t.from && (t.from.node !== e.from.node || t.from.port !== e.from.port)) {
        throw new PlanError(`topic name clash: "${name}" for ${e.from.node}.${e.from.port} and ${t.from.node}.${t.from.port}`);
      }
      t.partitions = Math.max(t.partitions, partitions);
      t.edges.push(e.id);
    } else {
      topics.set(name, { name, partitions, role: "edge", from: { node: e.from.node, port: e.from.port }, edges: [e.id] });
    }
    if (specOf.get(e.to.node)!.stateful) topics.get(name)!.keyed = true;
    const target = stageById.get(stageOf.get(e.to.node)!)!;
    if (!target.inputs.includes(name)) target.inputs.push(name);
    stageById.get(base.fromStage)!.outputEdges.push(e.id);
    edges.push({
      ...base,
      mode: "durable",
      topic: name,
      consumerGroup: target.groupId,
      queueThreshold: e.settings?.queueThreshold ?? defaultThreshold,
    });
  }
  if (topics.has(deadLetterTopic)) throw new PlanError(`topic name clash: "${deadLetterTopic}"`);
  topics.set(deadLetterTopic, { name: deadLetterTopic, partitions: 1, role: "dead-letter", edges: [] });

  // 4. Ports of every node: where its records go.
  const nodes: PlannedNode[] = [];
  for (const n of nodeById.values()) {
    const spec = specOf.get(n.id)!;
    let declared: string[] = [];
    try {
      declared = spec.outputPorts(n.config) ?? [];
    } catch {
      declared = [];
    }
    const portNames = [...new Set([...declared, ...outgoing.get(n.id)!.map((e) => e.from.port)])];
    const external = spec.kind !== "source" && spec.externalTopic ? spec.externalTopic(n.config) : undefined;
    const routed = external !== undefined ? spec.routedTopics?.(n.config) : undefined;
    const ports: PortRoute[] = portNames.map((port) => {
      const out = outgoing.get(n.id)!.filter((e) => e.from.port === port);
      const route: PortRoute = {
        port,
        fused: out.filter(joined).map((e) => ({ edge: e.id, node: e.to.node })),
        durableEdges: out.filter((e) => !joined(e)).map((e) => e.id),
      };
      if (route.durableEdges.length) route.topic = edgeTopicName(doc.id, n.id, port);
      if (external && port === "success") route.externalTopic = external;
      if (routed?.length && port === "success") route.routedTopics = routed;
      if (port === "failure" && out.length === 0) route.deadLetter = deadLetterTopic;
      return route;
    });
    if (external && !ports.some((p) => p.port === "success")) ports.push({ port: "success", fused: [], durableEdges: [], externalTopic: external, ...(routed?.length ? { routedTopics: routed } : {}) });
    if (!ports.some((p) => p.port === "failure") && spec.kind !== "source") ports.push({ port: "failure", fused: [], durableEdges: [], deadLetter: deadLetterTopic });
    const planned: PlannedNode = { id: n.id, type: n.type, typeVersion: n.typeVersion, kind: spec.kind, config: n.config, secretPaths: secretPathsOf.get(n.id)!, settings: n.settings ?? {}, stage: stageOf.get(n.id)!, ports };
    const ingress = spec.ingress?.(n.config);
    if (ingress) planned.ingress = { path: ingress.path };
    if (spec.forks) planned.forks = true;
    const callContextTopic = spec.kind === "source" ? callContextTopicOf(n) : undefined;
    if (callContextTopic !== undefined) planned.callContextTopic = callContextTopic;
    const connection = namesConnection(n) ? String((n.config as { connection: unknown }).connection) : undefined;
    if (connection !== undefined) planned.connection = connection;
    const named = namedConnections(n, spec);
    if (named) planned.connections = named;
    if (spec.runner) planned.runner = spec.runner;
    const looksUp = spec.lookup?.(n.config);
    if (looksUp?.node !== undefined) {
      if (!specOf.get(looksUp.node)?.stateful) throw new PlanError(`node "${n.id}": "${looksUp.node}" is not a table or aggregate node of this flow`);
      planned.lookup = { topic: changelogTopicName(doc.id, looksUp.node), changelog: true };
    } else if (looksUp?.topic !== undefined) planned.lookup = { topic: looksUp.topic, changelog: false };
    if (spec.stateful) {
      const stage = stageById.get(stageOf.get(n.id)!)!;
      const changelogTopic = changelogTopicName(doc.id, n.id);
      if (topics.has(changelogTopic)) throw new PlanError(`topic name clash: "${changelogTopic}" (a port named "changelog"?)`);
      if (stage.kind === "kafka-source") {
        // reads the source's topic directly: partitioned like it, which only the deployment can ask Kafka (inputPartitionsOf)
        const partitions = options.externalPartitions ?? defaultPartitions;
        topics.set(changelogTopic, { name: changelogTopic, partitions, role: "changelog", edges: [] });
        planned.state = { changelogTopic, partitions, inputTopic: stage.inputs[0]! };
      } else {
        const inputs = stage.inputs.map((t) => topics.get(t)).filter((t): t is PlannedTopic => t !== undefined);
        if (inputs.length > 1) throw new PlanError(`node "${n.id}" keeps a table per input partition: it reads one port's records (wire its inputs through one node first)`);
        const partitions = inputs[0]?.partitions ?? defaultPartitions;
        topics.set(changelogTopic, { name: changelogTopic, partitions, role: "changelog", edges: [] });
        planned.state = { changelogTopic, partitions };
      }
    }
    nodes.push(planned);
    // a topic of another cluster is another topic, whatever its name
    const onCluster = (name: string) => (connection === undefined ? name : `${name}@${connection}`);
    const externalTopic = (name: string, role: TopicRole): PlannedTopic => {
      const t: PlannedTopic = { name, partitions: options.externalPartitions ?? defaultPartitions, role, edges: [] };
      if (connection !== undefined) t.connection = connection;
      return t;
    };
    if (external) {
      const role: TopicRole = spec.kind === "source" ? "external-in" : "external-out";
      if (!topics.has(onCluster(external))) topics.set(onCluster(external), externalTopic(external, role));
      // each topic the sink may pick is created and checked up front like its own
      for (const t of routed ?? []) if (!topics.has(onCluster(t))) topics.set(onCluster(t), externalTopic(t, "external-out"));
    }
    if (spec.kind === "source" && spec.externalTopic) {
      const t = spec.externalTopic(n.config);
      if (t && !topics.has(onCluster(t))) topics.set(onCluster(t), externalTopic(t, "external-in"));
    }
    if (callContextTopic !== undefined) {
      const taken = topics.get(callContextTopic);
      if (taken && (taken.role === "edge" || taken.role === "dead-letter")) throw new PlanError(`node "${n.id}": callContextTopic "${callContextTopic}" is one of the flow's own topics`);
      if (!taken) topics.set(callContextTopic, { name: callContextTopic, partitions: options.externalPartitions ?? defaultPartitions, role: "external-out", edges: [] });
    }
  }
  for (const e of edges) {
    if (!e.topic) continue;
    const t = topics.get(e.topic)!;
    e.partitions = t.partitions;
    if (e.direct) t.edges.push(e.id);
  }
  for (const t of topics.values()) {
    if (t.role === "edge" || t.role === "dead-letter") continue;
    if (t.name.startsWith("mr.") || t.name.startsWith("mr-dlq.")) warnings.push(`external topic "${t.name}" uses Millrace's internal prefix`);
  }

  // 5. Idle stages and their warnings; replay topics of the stages that read Kafka.
  for (const s of stages) {
    if (s.kind === "consumer" && s.inputs.length === 0) {
      s.idle = true;
      warnings.push(`node "${s.head}" has no incoming edge: it never receives a record`);
      continue;
    }
    if (s.kind === "poll-source" || s.kind === "mirror") continue;
    // a replayed record would reach the table of the replay topic's one partition, not its key's
    if (s.nodes.some((id) => specOf.get(id)!.stateful)) continue;
    // its consumer is on the other cluster, where the flow's own topics are not
    if (s.kind === "kafka-source" && namesConnection(nodeById.get(s.head)!)) continue;
    const name = replayTopicName(doc.id, s.head, (t) => topics.has(t));
    if (topics.has(name)) throw new PlanError(`topic name clash: "${name}"`);
    topics.set(name, { name, partitions: 1, role: "replay", edges: [] });
    s.replayTopic = name;
    s.inputs.push(name);
  }

  for (const s of stages) if ((s.kind === "consumer" || s.kind === "kafka-source") && valuesUnread(s, nodeById, specOf, outgoing, joined)) s.valuesUnread = true;

  // 6. Back pressure: per source stage, the durable edges downstream of it.
  const backPressure: { stage: string; edges: string[] }[] = [];
  const edgeById = new Map(edges.map((e) => [e.id, e]));
  for (const s of stages) {
    if (s.kind === "consumer") continue;
    const seen = new Set<string>();
    const seenStages = new Set<string>([s.id]);
    const todo = [s.id];
    while (todo.length) {
      const st = stageById.get(todo.pop()!)!;
      for (const eid of st.outputEdges) {
        seen.add(eid);
        const next = edgeById.get(eid)!.toStage;
        if (!seenStages.has(next)) {
          seenStages.add(next);
          todo.push(next);
        }
      }
    }
    backPressure.push({ stage: s.id, edges: [...seen].sort() });
  }

  // 7. Drains of the edge topics an earlier plan wrote and this one does not.
  if (options.previous) {
    const nodesOf = (head: string): string[] => {
      const out = [head];
      for (let i = 0; i < out.length; i++) for (const e of outgoing.get(out[i]!)!) if (joined(e)) out.push(e.to.node);
      return out;
    };
    for (const d of drainsOf(options.previous, edges, options.drained)) {
      if (!nodeById.has(d.head) || topics.has(d.topic)) continue;
      const id = stageById.has(d.stage) ? `${d.stage}.drain` : d.stage;
      if (stageById.has(id)) continue;
      topics.set(d.topic, { name: d.topic, partitions: d.partitions, role: "edge", from: d.from, edges: [] });
      const stage: PlannedStage = { id, kind: "consumer", head: d.head, nodes: nodesOf(d.head), inputs: [d.topic], groupId: d.groupId, fromBeginning: true, singleOwner: false, transactionalIdPrefix: d.transactionalIdPrefix, concurrency: d.concurrency, outputEdges: [], idle: false, drain: true };
      stages.push(stage);
      stageById.set(id, stage);
      warnings.push(`node "${d.head}" also reads ${d.topic}, the edge topic of an earlier deployment, until its records are processed`);
    }
  }

  if (options.retention) boundTopics(topics.values(), options.retention, new Map(doc.edges.map((e) => [e.id, e])));

  return {
    flowId: doc.id,
    exactlyOnce: options.exactlyOnce ?? false,
    deadLetterTopic,
    topics: [...topics.values()].sort((a, b) => a.name.localeCompare(b.name)),
    stages,
    nodes,
    edges,
    backPressure,
    warnings,
  };
}

/**
 * Sets what each of the flow's own topics keeps. An edge's settings may ask for more or less than
 * the default; edges sharing a port's topic get the largest each asks for, so no reader loses the
 * window it was promised. External topics are the user's: left as they are.
 */
function boundTopics(topics: Iterable<PlannedTopic>, defaults: { edge: TopicRetention; deadLetter: TopicRetention }, docEdges: ReadonlyMap<string, FlowEdge>): void {
  for (const t of topics) {
    if (t.role === "dead-letter") t.retention = { ...defaults.deadLetter };
    else if (t.role === "replay") t.retention = { ...defaults.edge };
    else if (t.role === "edge") {
      const asked = t.edges.map((id) => docEdges.get(id)?.settings);
      const largest = (key: "retentionMinutes" | "retentionMb", fallback: number) => {
        const values = asked.flatMap((a) => (typeof a?.[key] === "number" ? [a[key]] : []));
        return values.length ? Math.max(...values) : fallback;
      };
      // A keyed topic carries its records' event time (windows read it), which may be old: a time
      // bound would delete unread records. Like Kafka Streams' repartition topics it is bounded by
      // the purge of what its reader committed (edge-purge.ts) and by its size bound, if any.
      const minutes = t.keyed ? 0 : largest("retentionMinutes", defaults.edge.minutes);
      t.retention = { minutes, mb: largest("retentionMb", defaults.edge.mb) };
    }
  }
}

/**
 * Whether no node of the stage reads the values of the records it consumes: they reach the head,
 * a "pass" node hands them on through every port, a "none" node only through `failure`; a node
 * that may read them ("read", the default) and gets them answers no.
 */
function valuesUnread(stage: PlannedStage, nodeById: ReadonlyMap<string, FlowNode>, specOf: ReadonlyMap<string, PlannerSpec>, outgoing: ReadonlyMap<string, FlowEdge[]>, joined: (e: FlowEdge) => boolean): boolean {
  const seen = new Set<string>();
  const queue = [stage.head];
  while (queue.length) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    let use: "read" | "pass" | "none";
    try {
      use = specOf.get(id)!.inputValues?.(nodeById.get(id)!.config) ?? "read";
    } catch {
      use = "read";
    }
    if (use === "read") return false;
    for (const e of outgoing.get(id)!) if (joined(e) && (use === "pass" || e.from.port === "failure")) queue.push(e.to.node);
  }
  return true;
}

/** The connections a node's config names, by field (undefined: none). */
function namedConnections(n: FlowNode, spec: PlannerSpec): Record<string, string> | undefined {
  const config = n.config as Record<string, unknown>;
  const out: Record<string, string> = {};
  if (!spec.configSchema) return undefined;
  for (const { field } of connectionFieldsOf(spec.configSchema)) {
    const name = config[field];
    if (typeof name === "string" && name !== "") out[field] = name;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Another cluster cannot be written in the stage's transaction, nor read by its consumer. */
function namesConnection(n: FlowNode): boolean {
  const c = (n.config as { connection?: unknown }).connection;
  return c !== undefined && c !== null && c !== "";
}

/** The durable edges planned without a topic of their own (see "No copy hops" above). */
function directEdges(
  all: readonly FlowEdge[],
  nodeById: ReadonlyMap<string, FlowNode>,
  specOf: ReadonlyMap<string, PlannerSpec>,
  incoming: ReadonlyMap<string, FlowEdge[]>,
  outgoing: ReadonlyMap<string, FlowEdge[]>,
  fused: ReadonlySet<string>,
  keepsTopic: ReadonlySet<string>,
): Map<string, DirectKind> {
  const direct = new Map<string, DirectKind>();
  for (const e of all) {
    if (fused.has(e.id) || e.from.node === e.to.node) continue;
    const from = nodeById.get(e.from.node)!;
    const to = nodeById.get(e.to.node)!;
    const fromSpec = specOf.get(from.id)!;
    const toSpec = specOf.get(to.id)!;
    // its target joins the source node's stage: like a fused edge, only a non-source with this one input
    if (toSpec.kind === "source" || incoming.get(to.id)!.length !== 1) continue;
    if (toSpec.stateful && keepsTopic.has(e.id)) continue;
    // A stateful node keyed by the record key reads a Kafka topic as Kafka Streams' groupByKey
    // does: as it is partitioned (by key, Kafka's default partitioner), its table per partition.
    // One keyed by an expression already reads its set-key step's keyed topic here.
    if (fromSpec.kind === "source" && fromSpec.externalTopic?.(from.config) && outgoing.get(from.id)!.length === 1 && !namesConnection(from)) {
      direct.set(e.id, "external-in");
    } else if (toSpec.stateful) {
      continue;
    } else if (toSpec.externalTopic?.(to.config) && !namesConnection(to) && !toSpec.routedTopics?.(to.config)?.length) {
      // (a sink picking each record's topic writes several: the edge keeps a topic of its own, where taps see every record)
      const portDurable = outgoing.get(from.id)!.filter((x) => x.from.port === e.from.port && !fused.has(x.id));
      if (portDurable.length === 1) direct.set(e.id, "external-out");
    }
  }
  return direct;
}

interface Drain {
  topic: string;
  partitions: number;
  from: { node: string; port: string };
  head: string;
  stage: string;
  groupId: string;
  transactionalIdPrefix: string;
  concurrency: number;
}

/**
 * The edge topics `previous` wrote (or drained) that now sit unwritten because their edge became
 * direct, each with the stage that read it. An edge deleted or still planned with a topic has no drain.
 */
function drainsOf(previous: ExecutionPlan, edges: readonly PlannedEdge[], drained: ReadonlySet<string> | undefined): Drain[] {
  const nowDirect = new Set(edges.filter((e) => e.direct !== undefined).map((e) => e.id));
  const out: Drain[] = [];
  const seen = new Set<string>();
  const prevStage = new Map(previous.stages.map((s) => [s.id, s]));
  const prevTopic = new Map(previous.topics.map((t) => [t.name, t]));
  for (const s of previous.stages) {
    if (!s.drain || drained?.has(s.inputs[0]!)) continue;
    const t = prevTopic.get(s.inputs[0]!);
    if (!t?.from) continue;
    seen.add(t.name);
    out.push({ topic: t.name, partitions: t.partitions, from: t.from, head: s.head, stage: s.id, groupId: s.groupId, transactionalIdPrefix: s.transactionalIdPrefix, concurrency: s.concurrency });
  }
  for (const e of previous.edges) {
    if (!nowDirect.has(e.id) || e.direct !== undefined || !e.topic || seen.has(e.topic)) continue;
    const reader = prevStage.get(e.toStage);
    const t = prevTopic.get(e.topic);
    if (!reader || reader.head !== e.to || !t?.from || t.role !== "edge") continue;
    seen.add(e.topic);
    out.push({ topic: e.topic, partitions: t.partitions, from: t.from, head: e.to, stage: reader.id, groupId: reader.groupId, transactionalIdPrefix: reader.transactionalIdPrefix, concurrency: reader.concurrency });
  }
  return out;
}
