import { describe, expect, it } from "vitest";
import { EngineMetrics } from "./metrics.js";

describe("/metrics", () => {
  it("names the Kafka client and reports each of its adaptations as active", async () => {
    const text = await new EngineMetrics().registry.metrics();
    expect(text).toMatch(/^millrace_kafka_client_info\{client="kafkajs",version="[^"]+"\} 1$/m);
    for (const name of ["partition-grouping", "produce-encoder", "fetch-decoder", "consumer-batch", "no-nagle-socket", "aborted-transaction-filter"]) {
      expect(text).toContain(`millrace_kafka_client_adaptation{name="${name}"} 1`);
    }
  });
});
