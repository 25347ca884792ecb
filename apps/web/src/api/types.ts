/** Shapes of the engine API the designer relies on (see ARCHITECTURE.md and the issue). */
import type { FlowDocument } from "@millrace/flow";

export interface FlowListItem {
  id: string;
  name: string;
  latestVersion: number;
  updatedAt: string | Date;
}

export interface FlowVersionInfo {
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
  value: unknown;
  headers: Record<string, string>;
  topic?: string;
  partition?: number;
  offset?: string | number;
}
