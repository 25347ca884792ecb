import { createTestDatabase, freePort, testBrokers } from "@millrace/testkit";
import { createCallerFactory } from "../src/api/trpc.js";
import { appRouter } from "../src/api/router.js";
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
  /** flows deployed by the test: stopped by close() */
  deployed: string[];
  /** topics made by the test: deleted by close() */
  topics: string[];
  close(): Promise<void>;
}

export async function startTestEngine(name: string): Promise<TestEngine> {
  const brokers = testBrokers();
  const db = await createTestDatabase(name);
  const engine = await startEngine({ host: "127.0.0.1", port: await freePort(), databaseUrl: db.url, kafkaBrokers: brokers, engineId: uid("eng") });
  const api = createCallerFactory(appRouter)({ services: engine.services, principal: ADMIN });
  const kafka = createKafka({ brokers, clientId: uid(`${name}-test`) });
  const deployed: string[] = [];
  const topics: string[] = [];
  return {
    engine,
    api,
    kafka,
    brokers,
    deployed,
    topics,
    async close() {
      for (const id of deployed) await api.deployments.stop({ flowId: id }).catch(() => {});
      if (topics.length) await kafka.deleteTopics(topics).catch(() => {});
      await kafka.close().catch(() => {});
      await engine.close();
      await db.drop();
    },
  };
}
