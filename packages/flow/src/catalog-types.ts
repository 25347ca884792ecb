import type { z } from "zod";

/**
 * What the flow package needs to know about a processor type to validate a document, and what
 * the engine's planner reads of it: declared facts, so no code has to branch on a type id.
 * packages/processors implements it; flow depends on this shape only (never on processors).
 */
export type ProcessorKind = "source" | "transform" | "sink";

export interface ProcessorTypeInfo {
  type: string;
  version: number;
  kind: ProcessorKind;
  title: string;
  description: string;
  configSchema: z.ZodType;
  /** Output port names for a given (valid) config; always includes "failure" unless the type has no outputs. */
  outputPorts(config: any): string[];
  /** Whether the node takes input edges (false for sources). */
  hasInput: boolean;
  /** The Kafka topic a source reads or a sink writes; the engine does the Kafka part. */
  externalTopic?(config: any): string | undefined;
  /**
   * A sink that picks each record's topic: the topics it may write besides `externalTopic`. The
   * engine creates and checks them like that one; the sink names the chosen topic of each success
   * record in the header `mr.topic`, and a record naming another goes to `failure`.
   */
  routedTopics?(config: any): string[] | undefined;
  /** The output ports depend on the config (`outputPorts` reads it), so the designer recomputes them as it changes. */
  dynamicPorts?: boolean;
  /**
   * What the engine's HTTP server routes to this source: requests on `path` are offered to its
   * implementation, which must then be an OfferableSource.
   */
  ingress?(config: any): Ingress | undefined;
  /** Every output is a new record split off its input, so provenance records a FORK even when one input yields one output. */
  forks?: boolean;
  /**
   * The engine runs this node with a runner of its own instead of the record path: `mirror`
   * copies Kafka messages between clusters as bytes (kafka-mirror). Such a node has no ports.
   */
  runner?: "mirror";
  /**
   * The node keeps a table per input partition (a store backed by a changelog topic): it reads a
   * topic partitioned by its key (its own keyed edge topic, or a kafka-source's topic read
   * directly), and `rekeyBy` (a JSONata expression from the config, absent: the record key) names
   * what records are grouped by, so the planner repartitions them by it first.
   */
  stateful?: { rekeyBy?(config: any): string | undefined };
  /**
   * The node looks rows up in a table: another stateful node of the flow (`node`, its changelog)
   * or a compacted topic (`topic`). Every engine running it keeps a copy of the whole table.
   * `nodeField`: the config field naming the node (where a wrong one is reported).
   */
  lookup?(config: any): { node?: string; topic?: string; nodeField?: string } | undefined;
  /**
   * How the node uses its input records' values (absent: "read"). "pass": never reads them and
   * emits each input record itself; "none": never reads them, and its outputs are new records
   * except `failure` ones, which carry their input's value on. A stage in which no node reads the
   * values it consumes skips parsing them (they are written on as the bytes they came as).
   */
  inputValues?(config: any): "read" | "pass" | "none";
}

/** An HTTP path the engine serves for one node. */
export interface Ingress {
  path: string;
}

export interface CatalogLike {
  get(type: string): ProcessorTypeInfo | undefined;
  list(): ProcessorTypeInfo[];
}
