// Types for scripts/kafka/index.mjs (plain JS so it runs before anything is compiled).
export const KAFKA_VERSION: string;
export const SCALA_VERSION: string;
/** JVM heap flags for a broker that only serves tests beside others. */
export const SMALL_HEAP: string[];
export function kafkaJarDir(): string;
export function checkJava(): number;
export function checkMaven(): void;
export function ensureKafkaJars(opts?: { quiet?: boolean }): Promise<string>;
export function tailFile(file: string, lines?: number): string;
export function randomClusterId(): string;
export function freePort(): Promise<number>;
export function waitForKafka(
  brokers: string | string[],
  opts?: {
    timeoutMs?: number;
    expectBrokers?: number;
    isDead?: () => string | undefined;
    /** kafkajs's sasl option, for a broker whose listener wants a login */
    sasl?: { mechanism: "scram-sha-256" | "scram-sha-512"; username: string; password: string };
  },
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
  /** this cluster's id (each dataDir is its own cluster) */
  clusterId: string;
  /** of the client listener on `port` */
  securityProtocol: "PLAINTEXT" | "SASL_PLAINTEXT";
  /** the SASL mechanisms the listener accepts; empty for PLAINTEXT */
  mechanisms: ScramMechanism[];
  /** true when the StandardAuthorizer denies what no ACL allows */
  acls: boolean;
  stop(): Promise<void>;
}
export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";
export interface KafkaSaslOptions {
  /** seeded for every mechanism when the storage is formatted */
  users: { name: string; password: string }[];
  /** default both */
  mechanisms?: ScramMechanism[];
  /** default ["admin"]; each must be one of users; the first is the broker's own login */
  superUsers?: string[];
}
export function startKafka(opts: {
  port: number;
  controllerPort?: number;
  dataDir: string;
  logFile?: string;
  readyTimeoutMs?: number;
  heap?: string[];
  /** a SASL_PLAINTEXT client listener with these SCRAM users instead of PLAINTEXT */
  sasl?: KafkaSaslOptions;
  /** StandardAuthorizer with allow.everyone.if.no.acl.found=false (needs sasl) */
  acls?: boolean;
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
