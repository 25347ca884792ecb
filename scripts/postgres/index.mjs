// A private Postgres cluster (Debian's `postgresql` binaries) for tests and CI: its own data
// directory and port, never the system cluster. Plain ESM: runs before anything is compiled.
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The directory holding initdb and pg_ctl, or undefined. */
export function findPgBin() {
  if (process.env.PG_BIN && existsSync(join(process.env.PG_BIN, "initdb"))) return process.env.PG_BIN;
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => existsSync(join(base, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(base, versions[0], "bin");
  }
  const which = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  if (which.status === 0 && which.stdout.trim()) return join(which.stdout.trim(), "..");
  return undefined;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

// Postgres refuses to run as root: as root, run its tools as the `postgres` user.
function run(bin, args) {
  const cmd = isRoot() ? "runuser" : bin;
  const full = isRoot() ? ["-u", "postgres", "--", bin, ...args] : args;
  const r = spawnSync(cmd, full, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(" ")} failed: ${r.error?.message ?? ""}${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Creates (once) and starts a cluster in `dir` on 127.0.0.1:`port`, trust auth, user postgres.
 * Returns { url, stop() }.
 */
export async function startPostgres({ dir, port }) {
  const bin = findPgBin();
  if (!bin) {
    throw new Error(
      "Postgres server binaries (initdb, pg_ctl) not found. Install them (Debian: `apt-get install -y postgresql`) " +
        "or set TEST_DATABASE_URL to a Postgres server where the tests may create databases.",
    );
  }
  mkdirSync(dir, { recursive: true });
  if (isRoot()) {
    const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
    const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
    if (!Number.isInteger(uid)) throw new Error("running as root but there is no `postgres` user to run Postgres as");
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  if (!existsSync(join(data, "PG_VERSION"))) run(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  run(join(bin, "pg_ctl"), [
    "-D", data, "-l", join(dir, "postgres.log"), "-w", "-t", "60",
    "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300` +
      // logical decoding for the change data capture source (postgres-cdc): a slot and a sender per capturing node
      " -c wal_level=logical -c max_replication_slots=64 -c max_wal_senders=64",
    "start",
  ]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    async stop() {
      try {
        run(join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]);
      } catch (e) {
        if (!String(e).includes("not running") && existsSync(join(data, "postmaster.pid"))) throw e;
      }
    },
    log: () => (existsSync(join(dir, "postgres.log")) ? readFileSync(join(dir, "postgres.log"), "utf8") : ""),
  };
}

export { sleep };
