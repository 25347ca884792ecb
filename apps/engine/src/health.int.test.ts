import { describe, expect, it } from "vitest";
import { freePort, requireEnv, testBrokers } from "@millrace/testkit";
import { checkHealth } from "./health.js";

describe("health checks", () => {
  it("name a dead Kafka and a dead Postgres with the address and the reason", async () => {
    const [kport, pport] = [await freePort(), await freePort()];
    const h = await checkHealth(`postgres://postgres:pw@127.0.0.1:${pport}/x`, [`127.0.0.1:${kport}`]);
    expect(h.ok).toBe(false);
    expect(h.kafka.ok).toBe(false);
    expect(h.kafka.error).toContain(`Kafka unreachable at 127.0.0.1:${kport}`);
    expect(h.postgres.ok).toBe(false);
    expect(h.postgres.error).toMatch(new RegExp(`Postgres unreachable at postgres://postgres:\\*\\*\\*@127.0.0.1:${pport}`));
    expect(h.postgres.error).not.toContain("pw@");
  });

  it("report both as reachable when they are", async () => {
    const h = await checkHealth(requireEnv("TEST_DATABASE_URL"), testBrokers());
    expect(h).toMatchObject({ ok: true, kafka: { ok: true }, postgres: { ok: true } });
    // the Kafka check names the client library and what the engine's adapter changed in it
    expect(h.kafka.client).toMatchObject({ name: "kafkajs", version: expect.any(String) });
    expect(h.kafka.client.adaptations.map((a) => a.name)).toContain("produce-encoder");
    expect(h.kafka.client.adaptations.every((a) => a.active)).toBe(true);
  });
});
