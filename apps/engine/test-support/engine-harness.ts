import { createTestDatabase, freePort, testBrokers } from "@millrace/testkit";
import { createCallerFactory } from "../src/api/trpc.js";
import { appRouter } from "../src/api/router.js";
import type { EngineConfig } from "../src/config.js";
import { startEngine, type RunningEngine } from "../src/engine.js";
import { createKafka, type KafkaClient } from "../src/kafka/index.js";
import { ADMIN, uid } from "./index.js";

/** An engine in this process on its own database, the admin's API caller, and a Kafka client. */
export interface TestEngine {
  engine: RunningEngine;
  /** the API as the admin (tRPC caller) */
  api: any;
  kafka: KafkaClient;
  brokers: string[];
  /** the engine's own database (dropped by close()) */
  databaseUrl: string;
  /** flows deployed by the test: stopped by close() */
  deployed: string[];
  /** topics made by the test: deleted by close() */
  topics: string[];
  close(): Promise<void>;
}

/** `options`: engine settings beyond the defaults (kafkaBrokers: another cluster than the shared test one). */
export async function startTestEngine(name: string, options: Partial<Omit<EngineConfig, "databaseUrl">> = {}): Promise<TestEngine> {
  const brokers = options.kafkaBrokers ?? testBrokers();
  const db = await createTestDatabase(name);
  const engine = await startEngine({ host: "127.0.0.1", port: await freePort(), engineId: uid("eng"), ...options, databaseUrl: db.url, kafkaBrokers: brokers }).catch(async (e: unknown) => {
    await db.drop();
    throw e;
  });
  const api = createCallerFactory(appRouter)({ services: engine.services, principal: ADMIN });
  // made on first use: an engine started without brokers (kafkaBrokers: []) has no cluster to talk to
  let kafka: KafkaClient | undefined;
  const kafkaClient = () => (kafka ??= createKafka({ brokers, clientId: uid(`${name}-test`) }));
  const deployed: string[] = [];
  const topics: string[] = [];
  return {
    engine,
    api,
    get kafka() {
      return kafkaClient();
    },
    brokers,
    databaseUrl: db.url,
    deployed,
    topics,
    async close() {
      for (const id of deployed) await api.deployments.stop({ flowId: id }).catch(() => {});
      if (topics.length) await kafkaClient().deleteTopics(topics).catch(() => {});
      await kafka?.close().catch(() => {});
      try {
        await engine.close();
      } finally {
        await db.drop();
      }
    },
  };
}
