// Helpers for the engine's integration tests (not used by the engine itself).
import { randomBytes } from "node:crypto";
import type { FlowDocument } from "@millrace/flow";
import { createKafka, type KafkaClient } from "../src/kafka/index.js";
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { AppRouter } from "../src/api/router.js";
import type { Principal } from "../src/auth/index.js";
import type { Services } from "../src/services.js";

/** The first admin's password in every engine a test starts (MILLRACE_ADMIN_PASSWORD for spawned ones). */
export const TEST_ADMIN_PASSWORD = "millrace-test-admin";

/** For createCaller-based tests: the caller is the first admin. */
export const ADMIN: Principal = { name: "admin", role: "admin", via: "token" };

/** An admin API token for HTTP calls to an in-process engine (its first admin exists once startEngine returns). */
export async function adminToken(services: Services): Promise<string> {
  return (await services.identity.tokens.create({ name: "admin", role: "admin" }, "admin", "test")).token;
}

/** The header that carries an API token. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Logs in to an engine over HTTP as `name` (auth.cliLogin) and returns the API token. */
export async function loginToken(url: string, name = "admin", password = TEST_ADMIN_PASSWORD): Promise<string> {
  const r = await fetch(`${url}/trpc/auth.cliLogin`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name, password, tokenName: "test" }) });
  const body = (await r.json()) as { result?: { data?: { token?: string } }; error?: { message?: string } };
  const token = body.result?.data?.token;
  if (!token) throw new Error(`login as ${name} at ${url} failed (${r.status}): ${body.error?.message ?? JSON.stringify(body)}`);
  return token;
}

export function uid(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

type NodeDef = [id: string, type: string, config: Record<string, unknown>];
type EdgeDef = [from: string, port: string, to: string, mode?: "fused" | "durable", settings?: Record<string, unknown>];

export function flowDoc(id: string, nodes: NodeDef[], edges: EdgeDef[], parameters: FlowDocument["parameters"] = []): FlowDocument {
  return {
    schemaVersion: 1,
    id,
    name: id,
    nodes: nodes.map(([nid, type, config], i) => ({ id: nid, type, typeVersion: 1, config, position: { x: i * 200, y: 0 } })),
    edges: edges.map(([from, port, to, mode, settings]) => ({
      id: `${from}.${port}->${to}`,
      from: { node: from, port },
      to: { node: to },
      ...(mode || settings ? { settings: { ...(mode ? { mode } : {}), ...(settings ?? {}) } } : {}),
    })),
    parameters,
  };
}

export interface ReadRecord {
  key: string | null;
  value: any;
  headers: Record<string, string>;
  partition: number;
  offset: string;
  /** the Kafka timestamp (ms) */
  timestamp: number;
}

/**
 * A plain Kafka consumer (own group, from the beginning, read_committed) collecting a topic
 * until `until(records)` holds, then `settleMs` longer so extra records would show up too.
 */
export async function readTopic(
  brokers: string[],
  topic: string,
  until: (records: ReadRecord[]) => boolean,
  /** decode: how values are read (default JSON), e.g. an Avro decoder */
  opts: { timeoutMs?: number; settleMs?: number; readUncommitted?: boolean; decode?: (value: Buffer) => unknown } = {},
): Promise<ReadRecord[]> {
  const kafka: KafkaClient = createKafka({ brokers, clientId: uid("reader") });
  const consumer = kafka.consumer({ groupId: uid("reader"), maxWaitTimeInMs: 100, readUncommitted: opts.readUncommitted ?? false });
  const records: ReadRecord[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : v.toString();
          const value = m.value ? (opts.decode ? await opts.decode(m.value) : JSON.parse(m.value.toString())) : null;
          records.push({ key: m.key?.toString() ?? null, value, headers, partition: batch.partition, offset: m.offset, timestamp: Number(m.timestamp) });
        }
      },
    });
    const end = Date.now() + (opts.timeoutMs ?? 60_000);
    while (!until(records)) {
      if (Date.now() > end) throw new Error(`timed out reading ${topic}: got ${records.length} records`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, opts.settleMs ?? 1500));
    return records;
  } finally {
    await consumer.disconnect().catch(() => {});
    await kafka.close().catch(() => {});
  }
}

export const sortNum = (a: number, b: number) => a - b;
export const range = (from: number, to: number, step = 1) => Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => from + i * step);

/** The repository's root: the working directory of spawned engines and CLI runs. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface EngineProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** a client logged in as the first admin */
  api: ReturnType<typeof createTRPCClient<AppRouter>>;
  /** the admin API token `api` sends */
  token: string;
  output(): string;
  /** kill -9 */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s */
  stop(): Promise<void>;
}

/** Starts `tsx apps/engine/src/main.ts` as a child process and waits until it serves. */
export async function spawnEngine(env: { port: number; databaseUrl: string; brokers: string[] }): Promise<EngineProcess> {
  // node itself with tsx's loader (not the tsx CLI, which runs the engine in a child process:
  // a SIGKILL would then hit the wrapper and leave the engine running)
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "apps/engine/src/main.ts")], {
    cwd: repoRoot,
    env: { ...process.env, PORT: String(env.port), DATABASE_URL: env.databaseUrl, KAFKA_BROKERS: env.brokers.join(","), MILLRACE_WEB_DIST: "/nonexistent", MILLRACE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = `http://127.0.0.1:${env.port}`;
  const end = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`engine exited (${child.exitCode}):\n${out}`);
    if (Date.now() > end) {
      child.kill("SIGKILL");
      throw new Error(`engine did not start:\n${out}`);
    }
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.status === 200 || r.status === 503) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const token = await loginToken(url);
  const api = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${url}/trpc`, headers: () => bearer(token) })] });
  return {
    url,
    pid: child.pid!,
    child,
    api,
    token,
    output: () => out,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
