// `prisma generate` asks for a native query engine download unless DATABASE_URL is set
// (the datasource url must stay for the WASM engine path); any value works here.
import { spawnSync } from "node:child_process";
const env = { ...process.env, DATABASE_URL: process.env.DATABASE_URL || "postgres://localhost/millrace" };
const r = spawnSync("prisma", ["generate"], { stdio: "inherit", env, shell: process.platform === "win32" });
process.exit(r.status ?? 1);
