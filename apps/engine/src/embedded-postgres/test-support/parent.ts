// A stand-in engine for the supervisor's test: starts the embedded Postgres process, says its pid
// and URL on one line of stdout, then idles until it is killed.
import { createLogger } from "../../log.js";
import { EmbeddedPostgresProcess } from "../supervisor.js";

const [dataDir, port] = process.argv.slice(2);
const pg = await EmbeddedPostgresProcess.start({ dataDir: dataDir!, port: Number(port), log: createLogger({ level: "silent" }) });
process.stdout.write(`READY ${JSON.stringify({ pid: pg.status().pid, url: pg.url })}\n`);
setInterval(() => {}, 60_000);
