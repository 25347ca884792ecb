#!/usr/bin/env node
// Local Apache Kafka for Millrace (see scripts/kafka/index.mjs).
//
//   node scripts/kafka.mjs fetch                                   fetch the jars once (Maven)
//   node scripts/kafka.mjs start [--port 9092] [--dir .millrace/kafka] [--controller-port N]
//                                [--sasl admin:secret,alice:pw [--acls] [--mechanisms ..] [--super-users admin]]
//   node scripts/kafka.mjs stop  [--dir .millrace/kafka]
//   node scripts/kafka.mjs status [--dir .millrace/kafka]
//   node scripts/kafka.mjs start-cluster [--base-port N] [--dir .millrace/kafka-cluster] [--nodes 3]
//
// `start` returns once the broker answers and leaves it running detached; it prints
// KAFKA_BROKERS=127.0.0.1:<port> on stdout. Another --dir and --port give a second,
// independent cluster beside the first.

import { parseArgs } from "node:util";
import { ensureKafkaJars, kafkaStatus, startKafka, startKafkaCluster, stopKafka } from "./kafka/index.mjs";
import { parseSaslUsers } from "./kafka/sasl.mjs";

const USAGE = `usage: node scripts/kafka.mjs <fetch|start|stop|status|start-cluster> [options]
  start          [--port 9092] [--dir .millrace/kafka] [--controller-port N] [--timeout 60]
                 [--sasl name:password[,name:password...]]  SASL_PLAINTEXT listener with these SCRAM users
                 [--mechanisms SCRAM-SHA-256,SCRAM-SHA-512] [--super-users admin] [--acls]
  stop           [--dir .millrace/kafka]       (also stops a cluster started in that dir)
  status         [--dir .millrace/kafka]
  start-cluster  [--base-port N] [--dir .millrace/kafka-cluster] [--nodes 3] [--timeout 90]
  fetch          download the Kafka jars into the cache (~/.cache/millrace or $MILLRACE_CACHE)`;

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      port: { type: "string" },
      "controller-port": { type: "string" },
      "base-port": { type: "string" },
      dir: { type: "string" },
      nodes: { type: "string" },
      timeout: { type: "string" },
      sasl: { type: "string" },
      mechanisms: { type: "string" },
      "super-users": { type: "string" },
      acls: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help || !cmd) {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const num = (v, name) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
    return n;
  };
  const t0 = Date.now();
  const secs = () => ((Date.now() - t0) / 1000).toFixed(1);
  switch (cmd) {
    case "fetch": {
      const dir = await ensureKafkaJars();
      console.error(`[kafka] jars ready in ${dir} (${secs()} s)`);
      return 0;
    }
    case "start": {
      const dir = values.dir ?? ".millrace/kafka";
      const list = (v) => v?.split(",").map((x) => x.trim()).filter(Boolean);
      if (values.sasl === undefined && (values.acls || values.mechanisms || values["super-users"])) {
        throw new Error("--acls, --mechanisms and --super-users need --sasl name:password[,...]");
      }
      const k = await startKafka({
        port: num(values.port, "port") ?? 9092,
        controllerPort: num(values["controller-port"], "controller-port"),
        dataDir: dir,
        readyTimeoutMs: (num(values.timeout, "timeout") ?? 60) * 1000,
        sasl: values.sasl === undefined ? undefined : {
          users: parseSaslUsers(values.sasl),
          mechanisms: list(values.mechanisms),
          superUsers: list(values["super-users"]),
        },
        acls: values.acls ?? false,
      });
      const security = k.mechanisms.length ? `, ${k.securityProtocol} ${k.mechanisms.join("/")}${k.acls ? " with ACLs" : ""}` : "";
      console.error(`[kafka] ${k.reused ? "already running" : "started"}: ${k.brokers} (pid ${k.pid}, cluster ${k.clusterId}${security}, dir ${k.dataDir}, log ${k.logFile}) in ${secs()} s`);
      console.log(`KAFKA_BROKERS=${k.brokers}`);
      if (k.mechanisms.length) console.log(`KAFKA_SASL_MECHANISMS=${k.mechanisms.join(",")}`);
      return 0;
    }
    case "start-cluster": {
      const dir = values.dir ?? ".millrace/kafka-cluster";
      const c = await startKafkaCluster({
        basePort: num(values["base-port"], "base-port"),
        dataDir: dir,
        nodes: num(values.nodes, "nodes") ?? 3,
        readyTimeoutMs: (num(values.timeout, "timeout") ?? 90) * 1000,
      });
      for (const n of c.nodes) console.error(`[kafka] node ${n.nodeId}: ${n.broker} (controller ${n.controllerPort}, pid ${n.pid})`);
      console.error(`[kafka] cluster ${c.clusterId} ready in ${secs()} s; stop with: node scripts/kafka.mjs stop --dir ${dir}`);
      console.log(`KAFKA_BROKERS=${c.brokers}`);
      return 0;
    }
    case "stop": {
      const dir = values.dir ?? ".millrace/kafka";
      const n = await stopKafka(dir);
      console.error(n ? `[kafka] stopped ${n} process(es) in ${dir} (${secs()} s)` : `[kafka] nothing running in ${dir}`);
      return 0;
    }
    case "status": {
      const dir = values.dir ?? ".millrace/kafka";
      const s = kafkaStatus(dir);
      if (!s.length) console.log(`nothing started in ${dir}`);
      for (const x of s) console.log(`${x.running ? "running" : "stopped"} pid ${x.pid} port ${x.port ?? "?"} dir ${x.dir}`);
      return s.some((x) => x.running) ? 0 : 1;
    }
    default:
      console.error(`unknown command: ${cmd}\n${USAGE}`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`[kafka] ${e?.message ?? e}`);
    process.exit(1);
  },
);
