import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

// Prisma 6.19 with the WASM ("js") engine is the only setup whose CLI works offline.
// Migrations are plain SQL files under migrations/ applied by the engine at start
// (src/migrate.ts), so the CLI is only used for `prisma generate`.
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "schema.prisma",
  adapter: async () =>
    new PrismaPg({ connectionString: process.env.DATABASE_URL ?? "postgres://localhost/millrace" }),
});
