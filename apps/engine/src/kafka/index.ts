export { createKafka, parseBrokers, keyPartition, KAFKA_DEFAULTS } from "./client.js";
export { describeKafkaClient, installKafkajsAdaptations, kafkaClientInfo } from "./adapter/install.js";
export { engineKafkaLogger, kafkaLoggerFor, quietLogCreator } from "./log.js";
export type * from "./types.js";
export { authorizationFailure, isTopicAuthorizationError, kafkaConnectionFailure, kafkaSecurity, testKafkaConnection } from "./connection-test.js";
export { ConnectionKafkaClients, type ConnectionKafkaClient } from "./connection-clients.js";
