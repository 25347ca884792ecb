// Types for scripts/kafka/index.mjs (plain JS so it runs before anything is compiled).
export const KAFKA_VERSION: string;
export const SCALA_VERSION: string;
export function kafkaJarDir(): string;
export function checkJava(): number;
export function checkMaven(): void;
export function ensureKafkaJars(opts?: { quiet?: boolean }): Promise<string>;
export function tailFile(file: string, lines?: number): string;
export function randomClusterId(): string;
export function freePort(): Promise<number>;
export function waitForKafka(
  brokers: string | string[],
  opts?: { timeoutMs?: number; expectBrokers?: number; isDead?: () => string | undefined },
): Promise<{ brokers: { nodeId: number; host: string; port: number }[]; controller: number | null; clusterId: string }>;
export function stopKafka(dataDir: string, opts?: { graceMs?: number }): Promise<number>;

export interface KafkaHandle {
  brokers: string;
  pid: number;
  port: number;
  controllerPort: number;
  dataDir: string;
  logFile: string;
  /** true when a broker of ours already ran in dataDir and was reused */
  reused: boolean;
  stop(): Promise<void>;
}
export function startKafka(opts: {
  port: number;
  controllerPort?: number;
  dataDir: string;
  logFile?: string;
  readyTimeoutMs?: number;
  heap?: string[];
}): Promise<KafkaHandle>;

export interface KafkaClusterNode {
  nodeId: number;
  port: number;
  controllerPort: number;
  broker: string;
  dataDir: string;
  logFile: string;
  pid: number;
  stop(opts?: { graceMs?: number }): Promise<void>;
  kill(): Promise<void>;
  start(opts?: { timeoutMs?: number }): Promise<void>;
}
export interface KafkaCluster {
  brokers: string;
  clusterId: string;
  dataDir: string;
  nodes: KafkaClusterNode[];
  pids: number[];
  stop(): Promise<void>;
}
export function startKafkaCluster(opts: {
  basePort?: number;
  dataDir: string;
  nodes?: number;
  readyTimeoutMs?: number;
  heap?: string[];
}): Promise<KafkaCluster>;

export function kafkaStatus(dataDir: string): { dir: string; pid: number; running: boolean; port?: number; controllerPort?: number }[];
