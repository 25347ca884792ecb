// Named connections (Kafka clusters, databases, HTTP endpoints, schema registries): saving them
// with their secrets sealed (db/connections.ts), handing them to the engine opened, and testing
// them. Each type's test lives with its client library: kafka/connection-test.ts,
// db/connection-test.ts, ./http-test.ts.
export { Connections, CONNECTION_TEST_MS } from "./service.js";
