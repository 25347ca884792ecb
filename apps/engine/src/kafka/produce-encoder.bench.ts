import { originalProduceRequestV3 } from "./patches.js";
import { encodeProduceRequest } from "./produce-encoder.js";
const mk = (n: number) => Array.from({ length: n }, (_, i) => ({ value: Buffer.from(JSON.stringify({ id: i, ts: Date.now(), amount: i * 2, total: i * 2.38, customer: "customer-" + (i % 1000), country: "DE" })), headers: { "millrace-id": "r" + Math.random().toString(36).slice(2, 14), "millrace-parents": "p" + Math.random().toString(36).slice(2, 14) } }));
const args = { acks: -1, timeout: 30000, topicData: [{ topic: "edge-topic-1", partitions: [0, 1, 2].map((p) => ({ partition: p, messages: mk(1000) })) }] };
const big = { acks: -1, timeout: 30000, topicData: [{ topic: "t", partitions: [{ partition: 0, messages: Array.from({length: 20}, () => ({ value: "é".repeat(3000) + "x".repeat(2000), headers: { a: Buffer.alloc(70000, 7) } })) }] }] };
for (const [name, a] of [["engine-like 3x1000", args], ["large", big]] as const) {
  for (let r = 0; r < 3; r++) {
    let t0 = process.cpuUsage(); for (let i = 0; i < 50; i++) encodeProduceRequest(a as any); let u = process.cpuUsage(t0);
    const fast = (u.user + u.system) / 50;
    t0 = process.cpuUsage(); for (let i = 0; i < 50; i++) (await originalProduceRequestV3(a as any).encode()).buffer; u = process.cpuUsage(t0);
    const orig = (u.user + u.system) / 50;
    console.log(name, "fast", fast.toFixed(0), "us  kafkajs", orig.toFixed(0), "us");
  }
}
