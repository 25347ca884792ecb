export { createKafka, parseBrokers, keyPartition, KAFKA_DEFAULTS } from "./client.js";
export { describeKafkaClient, installKafkajsAdaptations, kafkaClientInfo } from "./adapter/install.js";
export { engineKafkaLogger, kafkaLoggerFor, quietLogCreator } from "./log.js";
export type * from "./types.js";
export { kafkaSecurity, testKafkaConnection } from "./connection-test.js";
