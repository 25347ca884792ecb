// `pnpm start`: local Kafka (unless KAFKA_BROKERS is set), the web app built if it is stale,
// then the engine (embedded PGlite unless DATABASE_URL is set). Ctrl+C stops what it started.
// `pnpm dev` (--dev) also runs Vite's dev server with hot reload in front of the engine.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { engineNodeFlags } from "./engine-node-flags.mjs";
import { kafkaStatus, startKafka } from "./kafka/index.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dev = process.argv.includes("--dev");
const dataDir = resolve(process.env.MILLRACE_DATA ?? join(root, ".millrace"));
const port = Number(process.env.PORT ?? 8080);
const children = [];
const stops = [];

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "dist") continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function webIsStale() {
  const index = join(root, "apps/web/dist/index.html");
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return [join(root, "apps/web"), join(root, "packages/flow/src"), join(root, "packages/processors/src")].some((d) => newestMtime(d) > built);
}

async function shutdown(code = 0) {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)));
  for (const s of stops) await s().catch((e) => console.error(`[start] ${e.message}`));
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

async function main() {
  const env = { ...process.env };
  if (!env.KAFKA_BROKERS) {
    const kport = Number(process.env.KAFKA_PORT ?? 9092);
    const kdir = join(dataDir, "kafka");
    const wasRunning = kafkaStatus(kdir).some((n) => n.running);
    console.log(wasRunning ? `[start] using the local Kafka already running from ${kdir}` : `[start] starting local Kafka on 127.0.0.1:${kport} (first run downloads it, about a minute)`);
    const k = await startKafka({ port: kport, dataDir: kdir });
    if (!wasRunning) stops.push(() => k.stop());
    env.KAFKA_BROKERS = k.brokers;
  }
  if (!dev && webIsStale()) {
    console.log("[start] building the web app");
    const b = spawnSync("pnpm", ["--filter", "@millrace/web", "build"], { stdio: "inherit", cwd: root });
    if (b.status !== 0) throw new Error("the web app failed to build (see above)");
  }
  // the embedded database not there yet: this start creates the first user, `admin`
  const firstStart = !env.DATABASE_URL && !existsSync(join(dataDir, "pgdata"));
  env.NODE_OPTIONS = [...engineNodeFlags(), env.NODE_OPTIONS ?? ""].join(" ").trim();
  const engine = spawn(join(root, "node_modules/.bin/tsx"), [join(root, "apps/engine/src/main.ts")], { stdio: "inherit", env, cwd: root });
  children.push(engine);
  engine.on("exit", (code) => void shutdown(code ?? 1));
  if (dev) {
    const vite = spawn("pnpm", ["--filter", "@millrace/web", "exec", "vite", "--port", "5173", "--strictPort"], {
      stdio: "inherit", cwd: root, env: { ...env, MILLRACE_URL: `http://127.0.0.1:${port}` },
    });
    children.push(vite);
  }
  const url = dev ? "http://127.0.0.1:5173" : `http://127.0.0.1:${port}`;
  await waitHttp(`http://127.0.0.1:${port}/healthz`);
  console.log(`\n  Millrace designer: ${url}\n  ${howToLogIn(firstStart, Boolean(env.MILLRACE_ADMIN_PASSWORD))}\n`);
  if (!process.env.CI && !process.env.MILLRACE_NO_OPEN) {
    const opener = process.platform === "darwin" ? "open" : "xdg-open";
    spawn(opener, [url], { stdio: "ignore", detached: true }).on("error", () => {}).unref();
  }
}

/** Never the password itself: MILLRACE_ADMIN_PASSWORD stays where it was set; a generated one is in the engine's log line above, once. */
function howToLogIn(firstStart, adminPasswordSet) {
  const firstAdmin = adminPasswordSet ? "the value of MILLRACE_ADMIN_PASSWORD" : "the generated one the engine printed above (shown once)";
  if (firstStart) return `Log in as user admin, password: ${firstAdmin}.`;
  return `Log in with your user (on a database's first start the engine created user admin, password: ${firstAdmin}).`;
}

async function waitHttp(url, timeoutMs = 120_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`the engine did not answer at ${url} within ${timeoutMs / 1000} s`);
}

main().catch((e) => {
  console.error(`[start] ${e.message}`);
  void shutdown(1);
});
