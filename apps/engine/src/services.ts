import type { PrismaClient } from "@millrace/db";
import type { CatalogLike } from "@millrace/flow";
import type { FlowStore } from "./flows/flow-store.js";
import type { Health } from "./health.js";

/** Everything the API layer reaches; built once per engine process (see engine.ts). */
export interface Services {
  db: PrismaClient;
  flows: FlowStore;
  catalog: CatalogLike;
  health(): Promise<Health>;
}
