import { router } from "./trpc.js";
import { flowsRouter } from "./routers/flows.js";
import { catalogRouter } from "./routers/catalog.js";
import { deploymentsRouter } from "./routers/deployments.js";
import { statsRouter } from "./routers/stats.js";

export const appRouter = router({
  flows: flowsRouter,
  catalog: catalogRouter,
  deployments: deploymentsRouter,
  stats: statsRouter,
});

export type AppRouter = typeof appRouter;
