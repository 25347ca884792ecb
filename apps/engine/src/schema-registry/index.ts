// A Confluent-compatible schema registry served by the engine at /schema-registry: Avro schemas
// with global ids, subjects and versions, compatibility levels; stored in Postgres
// (db/schema-registry.ts), so every engine on one database serves the same registry.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuditLog } from "../audit/index.js";
import type { Identity } from "../auth/index.js";
import type { UserRepository } from "../db/index.js";
import type { Logger } from "../log.js";
import { RegistryCredentials } from "./credentials.js";
import { createRegistryHttpHandler } from "./http.js";
import type { SchemaRegistry } from "./registry.js";

export { SchemaRegistry, parseVersionRef, type SubjectSummary, type SubjectVersion, type SchemaRequest, type VersionRef } from "./registry.js";
export { RegistryError } from "./errors.js";
export { COMPATIBILITY_LEVELS, DEFAULT_COMPATIBILITY, isCompatibilityLevel, type CompatibilityLevel } from "./compatibility.js";
export { prettySchema } from "./avro-schema.js";
export { DEFAULT_REGISTRY_SETTINGS, registrySettingsFromEnv, type RegistrySettings } from "./settings.js";
export { REGISTRY_PATH } from "./http.js";

/** The REST API's request handler: true when the path was the registry's (answered then), false otherwise. */
export function schemaRegistryRoutes(deps: {
  registry: SchemaRegistry;
  identity: Pick<Identity, "authenticate" | "logins">;
  users: Pick<UserRepository, "get">;
  audit: AuditLog | undefined;
  maxBodyBytes: number;
  log: Logger;
}): (req: IncomingMessage, res: ServerResponse, path: string) => boolean {
  const credentials = new RegistryCredentials(deps.identity, deps.users);
  return createRegistryHttpHandler({
    registry: deps.registry,
    caller: (req) => credentials.caller(req),
    maxBodyBytes: deps.maxBodyBytes,
    log: deps.log,
    audit: async (caller, req, write, outcome) => {
      await deps.audit?.record({
        actor: caller.name,
        via: caller.via,
        remoteAddress: req.socket.remoteAddress ?? "unknown",
        action: write.action,
        target: write.subject,
        detail: write.detail,
        outcome: outcome.ok ? "ok" : "refused",
        errorCode: outcome.ok ? undefined : String(outcome.errorCode),
      });
    },
  });
}
