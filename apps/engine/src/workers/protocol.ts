import type { NetworkPolicy } from "@millrace/processors";
import type { MetricObjectWithValues, MetricValue } from "prom-client";

/** What a runtime worker needs to run its share of the deployed flows; sent once, right after the fork. */
export interface WorkerSettings {
  /** the worker's own id: its consumer-group member, its engine_stats row, its logs ("<engine>/w1") */
  engineId: string;
  /** short name in /metrics (the `worker` label) */
  name: string;
  databaseUrl: string;
  kafkaBrokers: string[];
  /** the engine's secret key ring (base64, the first seals): stored plans are sealed with it */
  keys: string[];
  network?: NetworkPolicy;
  /** the engine's data directory: the tables of stateful nodes the worker runs go under its `state/` */
  stateDir?: string;
}

export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** Engine → worker. */
export type ToWorker =
  | { type: "start"; settings: WorkerSettings }
  /** the key ring changed (rotation): plans deployed from now on are sealed with its first key */
  | { type: "keys"; keys: string[] }
  | { type: "metrics"; requestId: number };

/** Worker → engine. */
export type FromWorker =
  | { type: "ready" }
  | { type: "metrics"; requestId: number; metrics: MetricsSnapshot };
