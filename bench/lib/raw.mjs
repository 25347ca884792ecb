// (a) The raw broker limit, with Kafka's own ProducerPerformance and ConsumerPerformance.
import { spawn } from "node:child_process";
import { log } from "./util.mjs";

function runJava(jars, mainClass, args, { timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn("java", ["-Xmx512m", "-Dlog4j.configuration=file:/dev/null", "-cp", `${jars}/*`, mainClass, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(t);
      if (code !== 0) reject(new Error(`${mainClass} exited ${code}:\n${out.slice(-2000)}`));
      else resolve(out);
    });
  });
}

export const RAW_PRODUCER_PROPS = ["acks=all", "linger.ms=5", "batch.size=131072"];

export async function rawProduce({ jars, brokers, topic, records, recordSize = 200 }) {
  const out = await runJava(jars, "org.apache.kafka.tools.ProducerPerformance", [
    "--topic", topic, "--num-records", String(records), "--record-size", String(recordSize), "--throughput", "-1",
    "--producer-props", `bootstrap.servers=${brokers}`, ...RAW_PRODUCER_PROPS,
  ]);
  // "1000000 records sent, 523560.2 records/sec (99.86 MB/sec), 12.3 ms avg latency, ..."
  const m = out.match(/(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency/);
  if (!m) throw new Error(`could not read ProducerPerformance's result:\n${out.slice(-1500)}`);
  const r = { records: Number(m[1]), rps: Number(m[2]), mbps: Number(m[3]), avgLatencyMs: Number(m[4]) };
  log(`raw produce: ${Math.round(r.rps).toLocaleString()} records/s (${r.mbps} MB/s)`);
  return r;
}

export async function rawConsume({ jars, brokers, topic, records }) {
  const out = await runJava(jars, "org.apache.kafka.tools.ConsumerPerformance", [
    "--bootstrap-server", brokers, "--topic", topic, "--messages", String(records), "--timeout", "60000",
  ]);
  // header line then one data line: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const lines = out.split("\n").map((l) => l.trim()).filter(Boolean);
  const hi = lines.findIndex((l) => l.startsWith("start.time"));
  if (hi < 0 || !lines[hi + 1]) throw new Error(`could not read ConsumerPerformance's result:\n${out.slice(-1500)}`);
  const keys = lines[hi].split(",").map((s) => s.trim());
  const vals = lines[hi + 1].split(",").map((s) => s.trim());
  const row = Object.fromEntries(keys.map((k, i) => [k, vals[i]]));
  const r = {
    records: Number(row["data.consumed.in.nMsg"]),
    rps: Number(row["fetch.nMsg.sec"]),
    rpsWithGroupJoin: Number(row["nMsg.sec"]),
    mbps: Number(row["fetch.MB.sec"]),
  };
  log(`raw consume: ${Math.round(r.rps).toLocaleString()} records/s fetching (${Math.round(r.rpsWithGroupJoin).toLocaleString()}/s incl. group join)`);
  return r;
}
