import { initTRPC } from "@trpc/server";
import type { Services } from "../services.js";

export interface Context {
  services: Services;
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause as { errors?: unknown } | undefined;
    return { ...shape, data: { ...shape.data, errors: cause?.errors } };
  },
});

export const router = t.router;
export const publicProcedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;
