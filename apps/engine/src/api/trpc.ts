import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { DomainError, type DomainErrorCode } from "../errors.js";
import type { Services } from "../services.js";

export interface Context {
  services: Services;
}

/**
 * What a procedure declares about itself. `requires` names the role a caller needs; until
 * identities exist nothing enforces it, and the access layer must refuse a caller below it.
 */
export interface ProcedureMeta {
  requires?: "viewer" | "operator" | "editor" | "admin";
}

const t = initTRPC.context<Context>().meta<ProcedureMeta>().create({
  errorFormatter({ shape, error }) {
    // a refused document's path-named issues, for clients that show them one by one
    const errors = error.cause instanceof DomainError ? error.cause.details.issues : undefined;
    return { ...shape, data: { ...shape.data, errors } };
  },
});

/** The one place where a domain error becomes a tRPC error; the message stays the domain's own. */
const TRPC_CODE: Record<DomainErrorCode, TRPC_ERROR_CODE_KEY> = {
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  INVALID: "BAD_REQUEST",
  UNAVAILABLE: "PRECONDITION_FAILED",
  TOO_MANY: "TOO_MANY_REQUESTS",
};

function toTRPCError(e: DomainError): TRPCError {
  return new TRPCError({ code: TRPC_CODE[e.code], message: e.message, cause: e });
}

/** A subscription fails while it streams, after its procedure has returned: map those errors too. */
async function* mappingErrors(source: AsyncIterable<unknown>): AsyncGenerator<unknown> {
  try {
    yield* source;
  } catch (e) {
    throw e instanceof DomainError ? toTRPCError(e) : e;
  }
}

const domainErrors = t.middleware(async ({ next, type }) => {
  const result = await next();
  // tRPC has wrapped what the procedure threw as INTERNAL_SERVER_ERROR, the thrown error as its cause
  if (!result.ok && result.error.cause instanceof DomainError) throw toTRPCError(result.error.cause);
  if (result.ok && type === "subscription" && isAsyncIterable(result.data)) return { ...result, data: mappingErrors(result.data) };
  return result;
});

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === "object" && x !== null && Symbol.asyncIterator in x;
}

export const router = t.router;
export const publicProcedure = t.procedure.use(domainErrors);
export const createCallerFactory = t.createCallerFactory;
