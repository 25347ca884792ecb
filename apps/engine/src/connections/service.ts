import {
  formatError,
  formatPath,
  mapConnectionSecrets,
  parseConnection,
  parseConnectionInput,
  valueAt,
  type ConnectionDocument,
  type ConnectionTestResult,
  type FlowError,
} from "@millrace/flow";
import type { NetworkPolicy } from "@millrace/processors";
import type { ConnectionRepository, ConnectionSummary } from "../db/index.js";
import { DomainError } from "../errors.js";
import { testKafkaConnection } from "../kafka/index.js";
import { testPostgresConnection } from "../db/connection-test.js";
import type { Logger } from "../log.js";
import { withTimeout } from "../timeout.js";
import { testHttpConnection } from "./http-test.js";

function invalidDocument(errors: FlowError[]): DomainError {
  return new DomainError("INVALID", `the connection document is not valid:\n${errors.map(formatError).join("\n")}`, { issues: errors });
}

/** A test answers within this, whatever the other side does. */
export const CONNECTION_TEST_MS = 5_000;

/**
 * Connections as the API and the CLI manage them: documents checked field by field, secrets
 * sealed by the repository and never handed out except to the engine itself (`open`).
 */
export class Connections {
  constructor(
    private readonly repository: ConnectionRepository,
    private readonly network: NetworkPolicy | undefined,
    private readonly log: Logger,
    /** the flows whose latest version names a connection: a connection in use is not removed */
    private readonly usedBy: (name: string) => Promise<{ id: string; name: string }[]> = async () => [],
  ) {}

  list(): Promise<ConnectionSummary[]> {
    return this.repository.list();
  }

  async get(name: string): Promise<ConnectionSummary> {
    const found = await this.repository.find(name);
    if (!found) throw new DomainError("NOT_FOUND", `no connection named "${name}"`);
    return found;
  }

  /**
   * Saves a connection document; with `replace` an existing one of that name is replaced (a
   * secret given as `{ "set": true }` keeps its stored value), else a taken name is CONFLICT.
   */
  async save(document: unknown, createdBy: string | undefined, replace: boolean): Promise<{ name: string; created: boolean }> {
    const r = parseConnectionInput(document);
    if (!r.ok) throw invalidDocument(r.errors);
    const { name } = r.value;
    if (replace && (await this.repository.find(name))) {
      await this.repository.replace(r.value);
      return { name, created: false };
    }
    await this.repository.add(r.value, createdBy);
    return { name, created: true };
  }

  /** Removes a connection, unless a flow's latest version names it (CONFLICT naming the flows). */
  async remove(name: string): Promise<void> {
    const users = await this.usedBy(name);
    if (users.length) {
      const listed = users.slice(0, 5).map((f) => `"${f.name}" (${f.id})`).join(", ");
      throw new DomainError("CONFLICT", `connection "${name}" is used by ${users.length} flow(s): ${listed}${users.length > 5 ? ", …" : ""}; change their nodes to another connection first`);
    }
    if (!(await this.repository.remove(name))) throw new DomainError("NOT_FOUND", `no connection named "${name}"`);
  }

  /** The connection with its secrets in plaintext, for the engine to connect with; never for a client. */
  open(name: string): Promise<ConnectionDocument> {
    return this.repository.open(name);
  }

  /** Connects as the connection says and answers within CONNECTION_TEST_MS; NOT_FOUND for an unknown name. */
  async test(name: string): Promise<ConnectionTestResult> {
    let connection: ConnectionDocument;
    try {
      connection = await this.repository.open(name);
    } catch (e) {
      if (e instanceof DomainError && e.code === "NOT_FOUND") throw e;
      // a stored secret that does not open (another key) or a row edited by hand
      return this.logged(name, { ok: false, reason: "invalid", detail: `connection "${name}": ${e instanceof Error ? e.message : String(e)}` });
    }
    return this.logged(name, await this.attemptWithin(connection));
  }

  /**
   * Tests a document before it is saved (the designer's form): a secret given as `{ set: true }`
   * is the one stored under that name. INVALID with the field paths when the document is wrong.
   */
  async testDocument(document: unknown): Promise<ConnectionTestResult> {
    const input = parseConnectionInput(document);
    if (!input.ok) throw invalidDocument(input.errors);
    const candidate = input.value;
    let stored: ConnectionDocument | undefined;
    if (mapConnectionSecrets(candidate, (v) => (typeof v === "string" ? v : undefined)) !== candidate) {
      stored = await this.repository.open(candidate.name).catch(() => undefined);
    }
    const missing: FlowError[] = [];
    const filled = mapConnectionSecrets(candidate, (v, path) => {
      if (typeof v === "string") return v;
      const previous = stored?.type === candidate.type ? valueAt(stored, path) : undefined;
      if (typeof previous === "string") return previous;
      missing.push({ path: formatPath(path), message: "has no stored value to keep" });
      return v;
    });
    if (missing.length) throw invalidDocument(missing);
    const r = parseConnection(filled);
    if (!r.ok) throw invalidDocument(r.errors);
    return this.logged(candidate.name, await this.attemptWithin(r.value));
  }

  private async attemptWithin(connection: ConnectionDocument): Promise<ConnectionTestResult> {
    return withTimeout(this.attempt(connection), CONNECTION_TEST_MS, `connection "${connection.name}"`).catch(
      (e: Error): ConnectionTestResult => ({ ok: false, reason: "timeout", detail: e.message }),
    );
  }

  private attempt(c: ConnectionDocument): Promise<ConnectionTestResult> {
    switch (c.type) {
      case "kafka":
        return testKafkaConnection(c);
      case "postgres":
        return testPostgresConnection(c);
      case "http":
      case "schema-registry":
        return testHttpConnection(c, this.network);
    }
  }

  private logged(name: string, result: ConnectionTestResult): ConnectionTestResult {
    if (result.ok) this.log.info({ connection: name }, `connection test passed: ${result.detail ?? name}`);
    else this.log.warn({ connection: name, reason: result.reason }, `connection test failed (${result.reason}): ${result.detail}`);
    return result;
  }
}
