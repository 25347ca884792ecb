import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { DomainError, type DomainErrorCode } from "../errors.js";
import { atLeast, type Principal, type Role } from "../auth/index.js";
import { FlowAccess, flowIdOf, type FlowIdAt } from "../access/index.js";
import type { Services } from "../services.js";
import { recordCall, type AuditWhat } from "../audit/index.js";

export type { Principal, Role };

/** The session cookie of the answer being built (HTTP only: in-process callers have none). */
export interface SessionCookieJar {
  set(token: string): void;
  clear(): void;
}

export interface Context {
  services: Services;
  /** who is calling; absent when the request carried no valid session or token */
  principal?: Principal;
  /** the caller's address, for the login rate limit */
  remoteAddress?: string;
  session?: SessionCookieJar;
}

/**
 * What a procedure declares about itself: `requires` is the lowest role that may call it, or
 * "anyone" for the few that must work logged out (logging in). Every procedure declares it
 * (roleProcedure / publicProcedure); api/roles.test.ts fails for one that does not.
 */
export interface ProcedureMeta {
  requires?: Role | "anyone";
  /**
   * The audit log's name for this call (e.g. "flow.save"). Every mutation is recorded, under its
   * path when unnamed; a query or subscription only when named; `false` keeps a call out.
   */
  audit?: string | false;
  /** What the audit row keeps of the call (target id, small detail): input as sent, answer when it succeeded. Never a secret. */
  auditWhat?: (input: unknown, output: unknown) => AuditWhat;
  /** where the input names the flow acted on, when not in `flowId`: a flow hidden from the caller answers NOT_FOUND */
  flowIdAt?: FlowIdAt;
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
  UNAUTHENTICATED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
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

/** Records audited calls with their outcome; outermost, so it sees refusals as the caller gets them. */
const audited = t.middleware(async ({ ctx, next, path, type, meta, getRawInput }) => {
  const result = await next();
  const input = await getRawInput().catch(() => undefined);
  await recordCall(ctx, { path, type, meta, input, result });
  return result;
});

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === "object" && x !== null && Symbol.asyncIterator in x;
}

/** The caller of a procedure that needs at least `min`: UNAUTHENTICATED without one, FORBIDDEN below it. */
export function requirePrincipal(ctx: Context, min: Role): Principal {
  const p = ctx.principal;
  if (!p) throw new DomainError("UNAUTHENTICATED", `log in first: this needs the ${min} role, and the request carried no valid session or API token`);
  if (!atLeast(p.role, min)) throw new DomainError("FORBIDDEN", `this needs the ${min} role (you are ${p.role})`);
  return p;
}

export const router = t.router;
/** For what must work logged out (logging in) only: everything else is a roleProcedure. */
export const publicProcedure = t.procedure.use(audited).use(domainErrors).meta({ requires: "anyone" });

/**
 * A procedure callers below `min` may not call; its handlers see `ctx.principal` set. When its
 * input names a flow (meta.flowIdAt, `flowId` by default) that flow must be visible to the caller
 * (per-flow access, access/): a hidden one answers NOT_FOUND as a missing one does.
 */
export function roleProcedure(min: Role) {
  return t.procedure
    .use(audited)
    .use(domainErrors)
    .meta({ requires: min })
    .use(({ ctx, next }) => next({ ctx: { principal: requirePrincipal(ctx, min) } }))
    .use(async ({ ctx, meta, getRawInput, next }) => {
      const flowId = flowIdOf(await getRawInput(), meta?.flowIdAt);
      if (flowId !== undefined) await new FlowAccess(ctx.services.repositories.flowAccess).requireVisible(ctx.principal, flowId);
      return next();
    });
}
export const createCallerFactory = t.createCallerFactory;
