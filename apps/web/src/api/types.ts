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
  version?: number;
  state: string;
  [k: string]: unknown;
}

export interface NodeStats {
  in: number;
  out: number;
  errors: number;
  rateIn: number;
  rateOut: number;
  paused?: boolean;
}

export interface EdgeStats {
  rate: number;
  queue: number;
}

export interface LiveStats {
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
