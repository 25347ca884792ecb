import { catalogJson } from "@millrace/processors";
import { publicProcedure, router } from "../trpc.js";

export const catalogRouter = router({
  list: publicProcedure.query(() => catalogJson()),
});
