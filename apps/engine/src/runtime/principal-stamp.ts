import { HEADER, type PrincipalRule } from "@millrace/processors";

/**
 * Who sent the records a source stage takes into the flow, as the runner writes it into their
 * `mr.principal` / `mr.auth` headers. Made once per stage (principalStampFor), applied per record
 * as two header writes on a headers object the runtime already owns: no allocation.
 */
export interface PrincipalStamp {
  /** records read from Kafka: this incoming header names the principal when present */
  header?: string;
  principal: string;
  auth: string;
}

/** A deployment made before the deploying user was kept: its records say so rather than carry no principal. */
const UNKNOWN_DEPLOYER = "unknown";

/**
 * The stamp of a source stage: a polled source's records carry the deploying user; a source fed
 * from Kafka follows its rule (its header, else its configured principal, else the deploying user).
 */
export function principalStampFor(deployedBy: string | null | undefined, rule: PrincipalRule | undefined): PrincipalStamp {
  const deployer = deployedBy ?? UNKNOWN_DEPLOYER;
  if (!rule) return { principal: deployer, auth: "deployment" };
  const stamp: PrincipalStamp = rule.principal === undefined ? { principal: deployer, auth: "deployment" } : { principal: rule.principal, auth: "configured" };
  if (rule.header !== undefined) stamp.header = rule.header;
  return stamp;
}

/** A record a polled source created: stamped unless the source named its caller itself (http-listen does, per request). */
export function stampCreated(headers: Record<string, string>, stamp: PrincipalStamp): void {
  if (headers[HEADER.principal] !== undefined) return;
  headers[HEADER.principal] = stamp.principal;
  headers[HEADER.auth] = stamp.auth;
}

/**
 * A message taken in from Kafka: the stamp's header names the principal, else the stamp's own
 * identity. Whatever else the message said of mr.principal / mr.auth is replaced: a producer
 * outside the flow cannot pick its principal unless that header is the one trusted.
 */
export function stampIncoming(headers: Record<string, string>, stamp: PrincipalStamp): void {
  const named = stamp.header === undefined ? undefined : headers[stamp.header];
  if (named) {
    headers[HEADER.principal] = named;
    headers[HEADER.auth] = "kafka-header";
  } else {
    headers[HEADER.principal] = stamp.principal;
    headers[HEADER.auth] = stamp.auth;
  }
}
