import type { SchemaRegistryConnection } from "@millrace/flow";
import type { NetworkPolicy } from "@millrace/processors";
import { credentialHeaders } from "../connections/http-test.js";
import { policyRequest } from "../connections/policy-http.js";
import type { SchemaStore } from "./schema-store.js";

/** Longest wait for one registry request: a registry down must not hold a batch for long (it is retried). */
const REQUEST_MS = 5_000;
/** A schema answer larger than this is refused (registries cap schemas near 1 MB too). */
const MAX_ANSWER_BYTES = 2_000_000;
const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/** An existing Confluent-compatible registry (Confluent, Karapace, Redpanda, Apicurio's compatibility API) behind a schema-registry connection. */
export class RegistryClient implements SchemaStore {
  readonly name: string;
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(
    c: SchemaRegistryConnection,
    /** the engine's network policy, as for every connector */
    private readonly network: NetworkPolicy | undefined,
  ) {
    this.name = `the registry of connection "${c.name}"`;
    this.base = c.url.replace(/\/+$/, "");
    this.headers = { accept: `${CONTENT_TYPE}, application/json`, ...credentialHeaders(c) };
  }

  async byId(id: number): Promise<string> {
    const r = (await this.call("GET", `/schemas/ids/${id}`)) as { schema?: unknown };
    if (typeof r.schema !== "string") throw new Error(`${this.name} answered schema id ${id} without a schema`);
    return r.schema;
  }

  async version(subject: string, version: number | "latest" = "latest"): Promise<{ id: number; version: number; schema: string }> {
    const r = (await this.call("GET", `/subjects/${encodeURIComponent(subject)}/versions/${version}`)) as { id?: unknown; version?: unknown; schema?: unknown };
    if (typeof r.id !== "number" || typeof r.version !== "number" || typeof r.schema !== "string") throw new Error(`${this.name} answered subject "${subject}" version ${version} in an unknown shape`);
    return { id: r.id, version: r.version, schema: r.schema };
  }

  async register(subject: string, schema: string): Promise<{ id: number }> {
    const r = (await this.call("POST", `/subjects/${encodeURIComponent(subject)}/versions`, { schema, schemaType: "AVRO" })) as { id?: unknown };
    if (typeof r.id !== "number") throw new Error(`${this.name} answered a registration under "${subject}" without an id`);
    return { id: r.id };
  }

  async incompatibilities(subject: string, schema: string): Promise<string[]> {
    let r: { is_compatible?: unknown; messages?: unknown };
    try {
      // against every version the subject's level looks at (transitive levels too), as registering would
      r = (await this.call("POST", `/compatibility/subjects/${encodeURIComponent(subject)}/versions?verbose=true`, { schema, schemaType: "AVRO" })) as typeof r;
    } catch (e) {
      // a subject with no version yet (40401): anything may be its first; another 404 is a wrong URL
      if (e instanceof RegistryRefusal && e.errorCode === 40401) return [];
      throw e;
    }
    if (r.is_compatible === true) return [];
    const messages = Array.isArray(r.messages) ? r.messages.filter((m): m is string => typeof m === "string") : [];
    return messages.length ? messages : ["the registry says the schema is incompatible (it gave no reason)"];
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let status: number;
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      const res = await policyRequest(
        new URL(this.base + path),
        { method, headers: body === undefined ? this.headers : { ...this.headers, "content-type": CONTENT_TYPE }, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: REQUEST_MS },
        this.network,
      );
      status = res.statusCode ?? 0;
      for await (const chunk of res) {
        const b = chunk as Buffer;
        size += b.length;
        if (size > MAX_ANSWER_BYTES) {
          res.destroy();
          throw new Error(`answered with more than ${MAX_ANSWER_BYTES} bytes`);
        }
        chunks.push(b);
      }
    } catch (e) {
      throw new Error(`${this.name} did not answer ${method} ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    // decoded once: a character split between two chunks stays whole
    const text = Buffer.concat(chunks, size).toString("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (status < 200 || status > 299) {
      const { message, error_code } = (json ?? {}) as { message?: unknown; error_code?: unknown };
      throw new RegistryRefusal(status, typeof error_code === "number" ? error_code : undefined, `${this.name} refused ${method} ${path} (${status}${typeof message === "string" ? `: ${message}` : ""})`);
    }
    if (json === null || typeof json !== "object") throw new Error(`${this.name} answered ${method} ${path} with something that is not a JSON object: is ${this.base} a schema registry?`);
    return json;
  }
}

/** A registry's answer with an error status. */
class RegistryRefusal extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number | undefined,
    message: string,
  ) {
    super(message);
  }
}
