/** Shapes of the engine API the designer relies on (see ARCHITECTURE.md and the issue). */
import type { FlowDocument } from "@millrace/flow";

export interface FlowListItem {
  id: string;
  name: string;
  latestVersion: number;
  updatedAt: string | Date;
}

export interface FlowVersionInfo {
  id?: string;
  version: number;
  hash?: string;
  author?: string | null;
  message?: string | null;
  createdAt: string | Date;
}

export interface FlowGetResult {
  flow: { id: string; name: string; latestVersion: number };
  version: FlowVersionInfo;
  document: FlowDocument;
  /** names of sensitive parameters with a stored value (the values never come); absent: an older engine */
  secretsSet?: string[];
}

export interface FlowSaveResult {
  id: string;
  version: number;
  created: boolean;
}

export interface CatalogEntry {
  type: string;
  version: number;
  kind: "source" | "transform" | "sink";
  title: string;
  description: string;
  docs: string;
  example: unknown;
  ports: string[];
  configSchema: unknown;
}

export interface DeploymentStatus {
  flowId: string;
  deployed: boolean;
  version: number | null;
  /** running | stopped | failed | not-deployed */
  status: string;
  error: string | null;
}

/** Per node, summed over engines: totals since the deployment and rates (records/s). */
export interface NodeStats {
  in: number;
  out: number;
  errors: number;
  /** records/s over the last second (in; a source: out) */
  rate1s: number;
  rate1m?: number;
  rate5m?: number;
  /** NiFi's "5 min" figures */
  in5m?: number;
  out5m?: number;
  lastError?: string;
  lastErrorAt?: number;
  /** a source paused by back pressure */
  paused?: boolean;
}

export interface EdgeStats {
  records?: number;
  rate1s: number;
  /** records waiting on the edge's topic */
  queue: number;
  mode?: "durable" | "fused";
  threshold?: number | null;
  /** queue over threshold: the sources feeding it are paused */
  backPressure?: boolean;
}

export interface LiveStats {
  status?: string;
  at: number | string;
  nodes: Record<string, NodeStats>;
  edges: Record<string, EdgeStats>;
}

export interface TapRecord {
  key?: string | null;
  /** JSON-decoded value (a value that is not JSON arrives as a string); absent = null */
  value?: unknown;
  headers: Record<string, string>;
  topic?: string;
  partition?: number;
  offset?: string | number;
  /** ms since epoch (Kafka's record timestamp) */
  timestamp?: number;
  /** the value was larger than 64 KiB and is shown cut, as a string */
  truncated?: boolean;
}

export type ProvenanceEventType = "CREATE" | "RECEIVE" | "ROUTE" | "MODIFY" | "FORK" | "DROP" | "SEND" | "FAILURE" | "REPLAY";

/** What happened to one record at one node (engine: provenance/store.ts). */
export interface ProvenanceEvent {
  id: string;
  recordId: string;
  parentIds: string[];
  flowId: string;
  nodeId: string;
  nodeType: string | null;
  type: ProvenanceEventType;
  /** ms since epoch (the start of the batch) */
  at: number;
  port: string | null;
  topic: string | null;
  partition: number | null;
  offset: string | null;
}

export interface LineageGraph {
  recordId: string;
  nodes: ProvenanceEvent[];
  links: { from: string; to: string }[];
  truncated: boolean;
}

export interface ReplayResult {
  recordId: string;
  parentId: string;
  topic: string;
  partition: number;
  offset: string;
  nodes: string[];
}

export interface ReplayRangeResult {
  count: number;
  topic: string;
  partition: number;
  records: { recordId: string; parentId: string | null; offset: string }[];
  nodes: string[];
}
