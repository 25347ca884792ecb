// A SASL/SCRAM cluster with ACLs for integration tests: the suite's KAFKA_SCRAM_* broker when
// scripts/test.mjs started one, else one started here (and stopped by `stop`).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import kafkajs, { type SASLOptions } from "kafkajs";
import { freePort } from "@millrace/testkit";
import { SMALL_HEAP, startKafka, stopKafka } from "../../../scripts/kafka/index.mjs";

const { Kafka, logLevel, AclPermissionTypes, ResourcePatternTypes } = kafkajs;
export const { AclResourceTypes, AclOperationTypes } = kafkajs;

export interface Login {
  name: string;
  password: string;
}

export interface ScramCluster {
  brokers: string;
  /** a super user (ACLs, topics) */
  admin: Login;
  /** a user with no ACL until a test grants some */
  user: Login;
  stop(): Promise<void>;
}

/** A plain single-broker cluster of its own (a second cluster when the suite gives none). */
export async function ownCluster(sasl?: { users: Login[] }): Promise<{ brokers: string; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), "millrace-cluster-test-"));
  const k = await startKafka({ port: await freePort(), dataDir, heap: SMALL_HEAP, ...(sasl ? { sasl, acls: true } : {}) });
  return {
    brokers: k.brokers as string,
    async stop() {
      await stopKafka(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function scramCluster(): Promise<ScramCluster> {
  const env = process.env;
  if (env.KAFKA_SCRAM_BROKERS) {
    const login = (user: string, password: string): Login => ({ name: env[user] ?? "", password: env[password] ?? "" });
    return { brokers: env.KAFKA_SCRAM_BROKERS, admin: login("KAFKA_SCRAM_ADMIN_USER", "KAFKA_SCRAM_ADMIN_PASSWORD"), user: login("KAFKA_SCRAM_USER", "KAFKA_SCRAM_PASSWORD"), stop: async () => {} };
  }
  const admin = { name: "admin", password: randomBytes(9).toString("base64url") };
  const user = { name: "alice", password: randomBytes(9).toString("base64url") };
  const own = await ownCluster({ users: [admin, user] });
  return { brokers: own.brokers, admin, user, stop: own.stop };
}

/** A kafkajs client of the SCRAM cluster as `login` (SCRAM-SHA-512). */
export function scramKafka(brokers: string, login: Login) {
  return new Kafka({ clientId: "scram-test", brokers: brokers.split(","), sasl: { mechanism: "scram-sha-512", username: login.name, password: login.password } as SASLOptions, logLevel: logLevel.NOTHING });
}

export function allow(resourceType: number, resourceName: string, operation: number, user: string, resourcePatternType: number = ResourcePatternTypes.LITERAL) {
  return { resourceType, resourceName, resourcePatternType, principal: `User:${user}`, host: "*", operation, permissionType: AclPermissionTypes.ALLOW };
}

export const PREFIXED = ResourcePatternTypes.PREFIXED;
