import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/client.js";

export { PrismaClient };
export type { Flow, FlowVersion, Deployment, ProvenanceBatch } from "../generated/client.js";
export { Prisma } from "../generated/client.js";
export { migrate, listMigrations } from "./migrate.js";

/** A Prisma client talking to Postgres through the pg driver adapter (no native engine). */
export function createDb(url: string, opts: { max?: number } = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: url, max: opts.max ?? 10 });
  return new PrismaClient({ adapter });
}
