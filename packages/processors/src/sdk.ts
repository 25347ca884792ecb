import type { z } from "zod";
import type { Ingress, ProcessorKind, ProcessorTypeInfo } from "@millrace/flow";
import type { NetworkPolicy } from "./net-policy.js";

/**
 * A record as processors see it. On the wire: a Kafka message with a JSON-encoded value.
 * Records are immutable: a processor never mutates an input record nor its headers object;
 * an output may share `value`/`headers` objects with its input (no defensive copies on the
 * hot path). The runner copies `headers` when it adds lineage headers.
 */
export interface MRecord {
  key?: string;
  value: unknown;
  headers: Record<string, string>;
  /**
   * Epoch milliseconds: the Kafka timestamp of the message the record was read from, or of the
   * record it derives from (the runner carries it over), written back as its message's timestamp
   * so event time survives internal topics. Absent on a record created at a source.
   */
  timestamp?: number;
}

/**
 * Header names the runtime reserves. Processors may read them, never set them — except that a
 * source fed from outside (http-listen, through the engine) names each record's caller itself.
 */
export const HEADER = {
  /** lineage id of this record */
  id: "mr.id",
  /** comma-separated lineage ids of the parents */
  parents: "mr.parents",
  /** why a record went to `failure` */
  error: "mr.error",
  /** the node whose processing failed */
  errorNode: "mr.error.node",
  /** who sent the record into the flow: a user, an API key's or a signer's configured name, the deploying user */
  principal: "mr.principal",
  /** how that principal was established: none | token | api-key | hmac | deployment | kafka-header | configured */
  auth: "mr.auth",
  /** set by the runner on a message a kafka-source could not read in its format (the reason): it goes to failure */
  formatError: "mr.format.error",
  /** a windowed result's window: its start (ISO-8601 UTC with milliseconds) */
  windowStart: "mr.window.start",
  /** a windowed result's window: its end (exclusive; a session's: its last record's time) */
  windowEnd: "mr.window.end",
  /**
   * on the success records of a sink whose spec declares `routedTopics`: the topic it chose for
   * the record, which the runner writes it to (one of those declared) and removes
   */
  topic: "mr.topic",
  /**
   * the Avro schema (JSON text) a kafka-sink with schemaFromRecord writes the record's value
   * with; set by postgres-cdc with avroSchema, removed by the runner when it writes the record
   */
  avroSchema: "mr.avro.schema",
} as const;

/**
 * Keys a stateful processor keeps its own bookkeeping under in its table, beside the rows:
 * restored from the changelog like any key, hidden from table get and scan. The leading control
 * character keeps them apart from real keys; a windowed aggregate fails a record whose group is one.
 */
export const TABLE_KEY = {
  /** a windowed aggregate's stream time: the latest event time seen in the partition (epoch ms) */
  streamTime: "\u0001mr.stream-time",
} as const;

const RESERVED_TABLE_KEYS: ReadonlySet<string> = new Set(Object.values(TABLE_KEY));

export function isReservedTableKey(key: string): boolean {
  return RESERVED_TABLE_KEYS.has(key);
}

/**
 * How a source that the runner feeds from Kafka (kafka-source) names who sent its records: the
 * value of `header` on the incoming message when present, else `principal` (unset: the user who
 * deployed the flow). The runner applies it to every message it takes in.
 */
export interface PrincipalRule {
  header?: string;
  principal?: string;
}

/** UI hints carried in a field's zod `.meta({ ui: ... })`, read by the config form. */
export interface UiHint {
  widget?: "expression" | "code" | "textarea" | "password" | "keyvalue";
  placeholder?: string;
  order?: number;
}

/** Browser-safe description of a processor type: drives validation, the palette, the form, the docs. */
export interface ProcessorSpec<C = any> extends ProcessorTypeInfo {
  configSchema: z.ZodType<C>;
  /** Markdown docs shown in the config panel. */
  docs: string;
  /** A config that validates, shown as the example and used when a node is dropped on the canvas. */
  example: C;
  outputPorts(config: C): string[];
  /** Kafka topic a `kafka-sink`/`kafka-source` reads or writes; the runner does the Kafka part. */
  externalTopic?(config: C): string | undefined;
  routedTopics?(config: C): string[] | undefined;
  ingress?(config: C): Ingress | undefined;
}

/** Given to an implementation at creation. Everything it needs, nothing of Kafka, stats or provenance. */
export interface ProcessorContext {
  flowId: string;
  nodeId: string;
  /** Stops long-running work (sources, http calls) when the deployment stops. */
  signal: AbortSignal;
  log: (level: "info" | "warn" | "error", msg: string) => void;
  /** The engine admin's limit on where connectors may connect (absent: none); a node's own lists only narrow it. */
  network?: NetworkPolicy;
  /** The connection the node's `connection` field names, opened by the runtime (absent: the node names none). */
  connection?: NodeConnection;
  /** A node whose spec declares `lookup`: the row of a key in its table as it is now (undefined: none). */
  lookup?: (key: string) => unknown;
  /** The only directory file nodes may read and write under (MILLRACE_FILES_DIR; absent: they cannot start). */
  filesDir?: string;
}

/** pg client settings of a postgres connection (a subset of pg's ClientConfig; holds the password). */
export interface PostgresClientSettings {
  connectionString?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  ssl?: boolean | { rejectUnauthorized: boolean };
}

/**
 * A connection as a processor uses it, secrets in plaintext: what it connects with and the
 * strings it must keep out of every message (`secrets`). Kafka connections never reach a
 * processor: the runner does the Kafka part.
 */
export type NodeConnection =
  | { type: "postgres"; name: string; client: PostgresClientSettings; secrets: string[] }
  | { type: "http"; name: string; baseUrl: string; headers: Record<string, string>; secrets: string[] };

/** Output of one batch. `parent` is the index of the input record it derives from (-1: created at a source). */
export interface Output {
  emit(port: string, record: MRecord, parent: number): void;
}

/**
 * A stateful node's table for the input partition of the batch (spec `stateful`): reads see the
 * batch's own writes; the runner writes them to the partition's store and changelog after the
 * batch's outputs are acknowledged (in its transaction, exactly-once). Values are JSON.
 */
export interface KeyValueState {
  get(key: string): unknown;
  put(key: string, value: unknown): void;
  delete(key: string): void;
}

/** A transform or sink: one batch in, records per port out. Must not throw for a bad record. */
export interface BatchProcessor {
  /** `state`: the input partition's table, for a node whose spec is `stateful` */
  process(records: readonly MRecord[], out: Output, state?: KeyValueState): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** A source is polled by its runner; not polling is how back pressure pauses it. */
export interface SourceProcessor {
  /**
   * Returns up to `max` new records (may wait briefly, honouring ctx.signal) plus an opaque
   * checkpoint the runner persists; on restart `open` gets the last persisted checkpoint back.
   * `failures` (made with `failed()`, counted in `max`) go to the source's `failure` port.
   */
  poll(max: number): Promise<{ records: MRecord[]; failures?: MRecord[]; checkpoint?: unknown; done?: boolean }>;
  open?(checkpoint: unknown | undefined): void | Promise<void>;
  /**
   * Called by the runner once the records of every poll up to the one that returned `checkpoint`
   * are acknowledged by Kafka (at-least-once) or committed with it (exactly-once): a source whose
   * upstream keeps data until told (a replication slot) releases it here, never earlier.
   */
  acknowledged?(checkpoint: unknown): void;
  /** `forGood`: the deployment stopped (not a restart or a redeploy): drop what it keeps outside (a replication slot). */
  close?(opts?: { forGood?: boolean }): void | Promise<void>;
}

/**
 * A source fed from outside (the engine's HTTP server for `http-listen`): `offer` hands it one
 * record and returns false when its bounded buffer is full or it is closed (answer 503).
 */
export interface OfferableSource extends SourceProcessor {
  offer(record: MRecord): boolean;
}

export function isOfferableSource(p: BatchProcessor | SourceProcessor): p is OfferableSource {
  return typeof (p as Partial<OfferableSource>).offer === "function" && typeof (p as Partial<SourceProcessor>).poll === "function";
}

export function isSourceProcessor(p: BatchProcessor | SourceProcessor): p is SourceProcessor {
  return typeof (p as Partial<SourceProcessor>).poll === "function";
}

/**
 * The record routed to `failure`: same key and value, headers plus the reason (HEADER.error)
 * and the failing node (HEADER.errorNode). Allocates only on the failure path.
 */
export function failed(record: MRecord, reason: string, nodeId: string): MRecord {
  return {
    key: record.key,
    value: record.value,
    headers: { ...record.headers, [HEADER.error]: reason, [HEADER.errorNode]: nodeId },
  };
}

/**
 * Thrown by a processor when something outside the record is down (a database, an endpoint):
 * the runner retries the whole batch later instead of sending its records to `failure`.
 */
export class TransientError extends Error {
  readonly transient = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransientError";
  }
}

/** True for a TransientError, or any error that says `transient: true` of itself. */
export function isTransientError(e: unknown): boolean {
  return (e as { transient?: unknown } | null)?.transient === true;
}

export interface ProcessorImpl<C = any> {
  type: string;
  create(config: C, ctx: ProcessorContext): Promise<BatchProcessor | SourceProcessor> | BatchProcessor | SourceProcessor;
  /** A source the runner feeds from Kafka: how its records' principal is found (see PrincipalRule). */
  principalRule?(config: C): PrincipalRule;
}

export type { Ingress, ProcessorKind };
