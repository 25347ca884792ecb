import { router } from "./trpc.js";
import { flowsRouter } from "./routers/flows.js";
import { catalogRouter } from "./routers/catalog.js";

export const appRouter = router({
  flows: flowsRouter,
  catalog: catalogRouter,
});

export type AppRouter = typeof appRouter;
