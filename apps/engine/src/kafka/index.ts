export { createKafka, parseBrokers, keyPartition, KAFKA_DEFAULTS } from "./client.js";
export { quietLogCreator, stderrLogger } from "./log.js";
export type * from "./types.js";
