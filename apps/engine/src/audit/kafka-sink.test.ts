import { describe, expect, it } from "vitest";
import type { KafkaClient } from "../kafka/index.js";
import type { Logger } from "../log.js";
import { AuditKafkaSink } from "./kafka-sink.js";

const settings = { topic: "mr-audit", queueCapacity: 3, retentionDays: 90, topicRetentionBytes: 1 << 20 };

function logSpy() {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (_o: unknown, msg: string) => void lines.push({ level, msg });
  return { lines, log: { warn: at("warn"), info: at("info"), error: at("error") } as unknown as Logger };
}

describe("the audit topic sink", () => {
  it("never waits for a Kafka that hangs: a full queue drops events and says so once", async () => {
    const { lines, log } = logSpy();
    const hanging = { ensureTopics: () => new Promise(() => {}), producer: () => ({}) } as unknown as KafkaClient;
    const sink = new AuditKafkaSink(hanging, settings, log);
    const started = Date.now();
    for (let i = 0; i < 10; i++) sink.offer({ actor: "a", json: `{"n":${i}}` });
    expect(Date.now() - started).toBeLessThan(50);
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/dropped from the Kafka topic mr-audit/);
    await sink.close(10);
  });

  it("creates its topic with delete retention, sends in order, and reports the drops on recovery", async () => {
    const { lines, log } = logSpy();
    const sent: string[] = [];
    let topicSpec: unknown;
    let failures = 1;
    const kafka = {
      ensureTopics: async (specs: unknown[]) => void (topicSpec = specs[0]),
      producer: () => ({
        connect: async () => {},
        disconnect: async () => {},
        send: async (_t: string, ms: { value: string }[]) => {
          if (failures-- > 0) throw new Error("broker down");
          sent.push(...ms.map((m) => m.value));
          return [];
        },
      }),
    } as unknown as KafkaClient;
    const sink = new AuditKafkaSink(kafka, settings, log);
    for (let i = 0; i < 5; i++) sink.offer({ actor: "a", json: String(i) });
    await new Promise((r) => setTimeout(r, 800));
    expect(sent).toEqual(["0", "1", "2"]);
    expect(topicSpec).toMatchObject({ topic: "mr-audit", configs: { "cleanup.policy": "delete", "retention.ms": String(90 * 86_400_000), "retention.bytes": String(1 << 20) } });
    expect(lines.map((l) => l.level)).toEqual(["warn", "warn", "info"]);
    expect(lines[2]!.msg).toMatch(/again \(2 were dropped meanwhile\)/);
    await sink.close();
  });

  it("logs a send that rejects with a non-Error and keeps retrying (no unhandled rejection)", async () => {
    const { lines, log } = logSpy();
    const kafka = {
      ensureTopics: async () => {},
      producer: () => ({ connect: async () => {}, disconnect: async () => {}, send: () => Promise.reject(null) }),
    } as unknown as KafkaClient;
    const sink = new AuditKafkaSink(kafka, settings, log);
    sink.offer({ actor: "a", json: "0" });
    await new Promise((r) => setTimeout(r, 50));
    expect(lines).toEqual([{ level: "warn", msg: expect.stringMatching(/mr-audit \(null\); retrying/) }]);
    await sink.close(10);
  });
});
