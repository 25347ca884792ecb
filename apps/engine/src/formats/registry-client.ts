import type { SchemaRegistryConnection } from "@millrace/flow";
import { credentialHeaders } from "../connections/http-test.js";
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

  constructor(c: SchemaRegistryConnection) {
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

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: body === undefined ? this.headers : { ...this.headers, "content-type": CONTENT_TYPE },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_MS),
        redirect: "error",
      });
    } catch (e) {
      throw new Error(`${this.name} did not answer ${method} ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const text = await res.text();
    if (text.length > MAX_ANSWER_BYTES) throw new Error(`${this.name} answered ${method} ${path} with more than ${MAX_ANSWER_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const message = (json as { message?: unknown } | undefined)?.message;
      throw new Error(`${this.name} refused ${method} ${path} (${res.status}${typeof message === "string" ? `: ${message}` : ""})`);
    }
    return json;
  }
}
