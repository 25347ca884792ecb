import { catalogJson } from "@millrace/processors";
import { roleProcedure, router } from "../trpc.js";

export const catalogRouter = router({
  list: roleProcedure("viewer").query(() => catalogJson()),
});
