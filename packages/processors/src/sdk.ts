import type { z } from "zod";
import type { ProcessorKind, ProcessorTypeInfo } from "@millrace/flow";

/** A record as processors see it. On the wire: a Kafka message with a JSON-encoded value. */
export interface MRecord {
  key?: string;
  value: unknown;
  headers: Record<string, string>;
}

/** Header names the runtime reserves. Processors may read them, never set them. */
export const HEADER = {
  /** lineage id of this record */
  id: "mr.id",
  /** comma-separated lineage ids of the parents */
  parents: "mr.parents",
  /** why a record went to `failure` */
  error: "mr.error",
  /** the node whose processing failed */
  errorNode: "mr.error.node",
} as const;

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
}

/** Given to an implementation at creation. Everything it needs, nothing of Kafka, stats or provenance. */
export interface ProcessorContext {
  flowId: string;
  nodeId: string;
  /** Stops long-running work (sources, http calls) when the deployment stops. */
  signal: AbortSignal;
  log: (level: "info" | "warn" | "error", msg: string) => void;
}

/** Output of one batch. `parent` is the index of the input record it derives from (-1: created at a source). */
export interface Output {
  emit(port: string, record: MRecord, parent: number): void;
}

/** A transform or sink: one batch in, records per port out. Must not throw for a bad record. */
export interface BatchProcessor {
  process(records: readonly MRecord[], out: Output): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** A source is polled by its runner; not polling is how back pressure pauses it. */
export interface SourceProcessor {
  /**
   * Returns up to `max` new records (may wait briefly, honouring ctx.signal) plus an opaque
   * checkpoint the runner persists; on restart `open` gets the last persisted checkpoint back.
   */
  poll(max: number): Promise<{ records: MRecord[]; checkpoint?: unknown; done?: boolean }>;
  open?(checkpoint: unknown | undefined): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface ProcessorImpl<C = any> {
  type: string;
  create(config: C, ctx: ProcessorContext): Promise<BatchProcessor | SourceProcessor> | BatchProcessor | SourceProcessor;
}

export type { ProcessorKind };
