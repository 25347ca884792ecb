import { TRPCError } from "@trpc/server";
import { formatError, type FlowError } from "@millrace/flow";
import { ConflictError, NotFoundError } from "../flows/flow-store.js";

/** A BAD_REQUEST whose message lists every path-named error, one per line; `data.errors` has them structured. */
export function invalidFlow(what: string, errors: FlowError[]): TRPCError {
  const list = errors.filter((e) => e.severity !== "warning");
  return new TRPCError({
    code: "BAD_REQUEST",
    message: `${what}:\n${list.map(formatError).join("\n")}`,
    cause: Object.assign(new Error(what), { errors: list }),
  });
}

/** Maps domain errors to tRPC codes so clients can tell a conflict from a typo. */
export async function domain<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ConflictError) throw new TRPCError({ code: "CONFLICT", message: e.message, cause: e });
    if (e instanceof NotFoundError) throw new TRPCError({ code: "NOT_FOUND", message: e.message, cause: e });
    throw e;
  }
}
