import { LeaseManager } from "../deployments/leases.js";
import type { Logger } from "../log.js";

/**
 * The leases of a runtime worker: it never takes one. Single-owner sources stay with the engine
 * process, which serves the HTTP ingress paths some of them are fed by and already competes for
 * them with the other engines; a worker only adds members to the consumer groups.
 */
export class SourcesStayWithTheEngine extends LeaseManager {
  constructor(log: Logger) {
    // no database: nothing is ever locked, so the lease session is never opened
    super("", log);
  }

  override start(): void {}

  override want(): () => Promise<void> {
    return async () => {};
  }

  override async close(): Promise<void> {}
}
