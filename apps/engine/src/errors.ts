import { formatError, type FlowError } from "@millrace/flow";

/**
 * What a request asked for that the engine cannot do, in the engine's own terms. The API turns
 * the code into a tRPC code in one place (api/trpc.ts); everything else is a failure of the
 * engine itself and reaches clients as INTERNAL_SERVER_ERROR.
 */
export type DomainErrorCode =
  /** no such flow, version, edge or record */
  | "NOT_FOUND"
  /** the request is based on a state that changed meanwhile (a version saved elsewhere) */
  | "CONFLICT"
  /** the request or the document it carries is wrong; `details.issues` say where */
  | "INVALID"
  /** the engine or the flow is not in a state to do this (no Kafka configured, not deployed, a fused edge, data gone) */
  | "UNAVAILABLE"
  /** a per-engine limit is reached; trying again later can work */
  | "TOO_MANY"
  /** no credentials, or ones that do not prove who is calling (unknown, expired, revoked, wrong password) */
  | "UNAUTHENTICATED"
  /** the caller is known, and their role is too low for this */
  | "FORBIDDEN";

export interface DomainErrorDetails {
  /** path-named problems of a refused document (warnings left out) */
  issues?: FlowError[];
  /** on CONFLICT: the version that is newer than the one the request started from */
  latestVersion?: number;
}

/** The message names what was wrong and where, written for the person who asked (clients show it as is). */
export class DomainError extends Error {
  override readonly name = "DomainError";

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
  }
}

/** A refused flow document: the message lists every path-named error, one per line, after `what`. */
export function invalidFlow(what: string, errors: FlowError[]): DomainError {
  const issues = errors.filter((e) => e.severity !== "warning");
  return new DomainError("INVALID", `${what}:\n${issues.map(formatError).join("\n")}`, { issues });
}
