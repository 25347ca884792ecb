import { router } from "./trpc.js";
import { flowsRouter } from "./routers/flows.js";
import { catalogRouter } from "./routers/catalog.js";
import { deploymentsRouter } from "./routers/deployments.js";
import { statsRouter } from "./routers/stats.js";
import { provenanceRouter } from "./routers/provenance.js";
import { tapRouter } from "./routers/tap.js";
import { secretsRouter } from "./routers/secrets.js";
import { authRouter } from "./routers/auth.js";
import { tokensRouter } from "./routers/tokens.js";
import { usersRouter } from "./routers/users.js";
import { auditRouter } from "./routers/audit.js";
import { connectionsRouter } from "./routers/connections.js";
import { schemaRegistryRouter } from "./routers/schema-registry.js";
import { tablesRouter } from "./routers/tables.js";
import { cdcRouter } from "./routers/cdc.js";
import { templatesRouter } from "./routers/templates.js";

export const appRouter = router({
  flows: flowsRouter,
  catalog: catalogRouter,
  deployments: deploymentsRouter,
  stats: statsRouter,
  provenance: provenanceRouter,
  tap: tapRouter,
  secrets: secretsRouter,
  auth: authRouter,
  tokens: tokensRouter,
  users: usersRouter,
  audit: auditRouter,
  connections: connectionsRouter,
  schemaRegistry: schemaRegistryRouter,
  tables: tablesRouter,
  cdc: cdcRouter,
  templates: templatesRouter,
});

export type AppRouter = typeof appRouter;
