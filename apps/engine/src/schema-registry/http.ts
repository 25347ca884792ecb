import type { IncomingMessage, ServerResponse } from "node:http";
import { atLeast, type Role } from "../auth/index.js";
import { crossSiteRefusal } from "../http/cross-site.js";
import type { Logger } from "../log.js";
import type { RegistryCaller } from "./credentials.js";
import { badRequest, forbidden, RegistryError, unauthorized } from "./errors.js";
import { parseVersionRef, type SchemaRegistry } from "./registry.js";

export const REGISTRY_PATH = "/schema-registry";
const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
/** What Confluent's server takes as a request body's type (any JSON flavour); no type at all is taken too. */
const ACCEPTED_BODY = /^application\/(vnd\.schemaregistry(\.v1)?\+json|json|octet-stream)\s*(;|$)/i;

/** A write the audit log records, with what it was about. */
export interface RegistryWrite {
  action: string;
  subject?: string;
  detail?: Record<string, unknown>;
}

export interface RegistryHttpOptions {
  registry: SchemaRegistry;
  caller(req: IncomingMessage): Promise<RegistryCaller | undefined>;
  /** records a write (or a refused one, with its error code); never throws */
  audit(caller: RegistryCaller, req: IncomingMessage, write: RegistryWrite, outcome: { ok: true } | { ok: false; errorCode: number }): Promise<void>;
  maxBodyBytes: number;
  log: Logger;
}

interface Call {
  req: IncomingMessage;
  query: URLSearchParams;
  body: () => Promise<unknown>;
  caller: RegistryCaller;
}

interface Route {
  role: Role;
  /** set for writes: the audit log records them */
  write?: (params: string[]) => RegistryWrite;
  run(call: Call, params: string[]): Promise<unknown>;
}

const flag = (q: URLSearchParams, name: string) => q.get(name) === "true";

/**
 * The Confluent Schema Registry REST API under /schema-registry: Confluent's paths, bodies,
 * error codes and content type, so its clients (serializers, kafkajs's client, curl scripts)
 * work unchanged. Reading needs a viewer, registering, deleting and a subject's level an
 * editor, the global level an admin. Answers JSON; never lets an error out.
 */
export function createRegistryHttpHandler(o: RegistryHttpOptions): (req: IncomingMessage, res: ServerResponse, path: string) => boolean {
  const r = o.registry;
  const routes: Record<string, Partial<Record<string, Route>>> = {
    "": { GET: { role: "viewer", run: async () => ({}) } },
    "/subjects": { GET: { role: "viewer", run: ({ query }) => r.subjects(flag(query, "deleted")) } },
    "/subjects/*": {
      POST: { role: "viewer", run: async ({ query, body }, [s]) => r.lookup(s!, (await body()) as object, flag(query, "deleted")) },
      DELETE: {
        role: "editor",
        write: ([s]) => ({ action: "schemaRegistry.deleteSubject", subject: s }),
        run: ({ query }, [s]) => r.deleteSubject(s!, flag(query, "permanent")),
      },
    },
    "/subjects/*/versions": {
      GET: { role: "viewer", run: ({ query }, [s]) => r.versions(s!, flag(query, "deleted")) },
      POST: {
        role: "editor",
        write: ([s]) => ({ action: "schemaRegistry.register", subject: s }),
        run: async ({ body, caller }, [s]) => {
          const { id } = await r.register(s!, (await body()) as object, caller.name);
          return { id };
        },
      },
    },
    "/subjects/*/versions/*": {
      GET: { role: "viewer", run: ({ query }, [s, v]) => r.version(s!, parseVersionRef(v!), flag(query, "deleted")) },
      DELETE: {
        role: "editor",
        write: ([s, v]) => ({ action: "schemaRegistry.deleteVersion", subject: s, detail: { version: v } }),
        run: ({ query }, [s, v]) => r.deleteVersion(s!, parseVersionRef(v!), flag(query, "permanent")),
      },
    },
    "/subjects/*/versions/*/schema": {
      GET: { role: "viewer", run: async ({ query }, [s, v]) => new RawJson((await r.version(s!, parseVersionRef(v!), flag(query, "deleted"))).schema) },
    },
    "/schemas/types": { GET: { role: "viewer", run: async () => ["AVRO"] } },
    "/schemas/ids/*": { GET: { role: "viewer", run: (_c, [id]) => r.schemaById(schemaId(id!)) } },
    "/schemas/ids/*/schema": { GET: { role: "viewer", run: async (_c, [id]) => new RawJson((await r.schemaById(schemaId(id!))).schema) } },
    "/schemas/ids/*/versions": { GET: { role: "viewer", run: ({ query }, [id]) => r.usesOfSchema(schemaId(id!), flag(query, "deleted")) } },
    "/schemas/ids/*/subjects": {
      GET: { role: "viewer", run: async ({ query }, [id]) => [...new Set((await r.usesOfSchema(schemaId(id!), flag(query, "deleted"))).map((u) => u.subject))] },
    },
    "/compatibility/subjects/*/versions": {
      POST: { role: "viewer", run: async ({ body }, [s]) => r.checkCompatibility(s!, undefined, (await body()) as object) },
    },
    "/compatibility/subjects/*/versions/*": {
      POST: { role: "viewer", run: async ({ body }, [s, v]) => r.checkCompatibility(s!, parseVersionRef(v!), (await body()) as object) },
    },
    "/config": {
      GET: { role: "viewer", run: () => r.config(undefined) },
      PUT: {
        role: "admin",
        write: () => ({ action: "schemaRegistry.setConfig" }),
        run: async ({ body }) => r.setConfig(undefined, await body()),
      },
    },
    "/config/*": {
      GET: { role: "viewer", run: ({ query }, [s]) => r.config(s!, flag(query, "defaultToGlobal")) },
      PUT: {
        role: "editor",
        write: ([s]) => ({ action: "schemaRegistry.setConfig", subject: s }),
        run: async ({ body }, [s]) => r.setConfig(s!, await body()),
      },
      DELETE: {
        role: "editor",
        write: ([s]) => ({ action: "schemaRegistry.deleteConfig", subject: s }),
        run: (_c, [s]) => r.deleteConfig(s!),
      },
    },
  };
  const patterns = Object.keys(routes).map((pattern) => ({ pattern, parts: pattern.split("/") }));

  return (req, res, path) => {
    if (path !== REGISTRY_PATH && !path.startsWith(`${REGISTRY_PATH}/`)) return false;
    serve(req, res, path.slice(REGISTRY_PATH.length)).catch((e: unknown) => {
      o.log.error({ err: e, method: req.method, path }, `schema registry ${req.method} ${path} failed: ${(e as Error).message}; answered 500`);
      send(req, res, new RegistryError(500, 50001, "Error in the backend data store; the engine logged it"));
    });
    return true;
  };

  async function serve(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    const matched = match(rest.replace(/\/$/, ""), req.url ?? "");
    if (!matched) return send(req, res, new RegistryError(404, 404, `HTTP 404 Not Found: no ${REGISTRY_PATH}${rest.slice(0, 100)} in the schema registry API`));
    if (matched === "bad-segment") return send(req, res, badRequest("a path segment is not valid percent-encoding"));
    const route = routes[matched.pattern]?.[req.method ?? ""];
    if (!route) return send(req, res, new RegistryError(405, 405, `HTTP 405 Method Not Allowed: ${req.method} ${REGISTRY_PATH}${rest.slice(0, 100)}`));
    const crossSite = crossSiteRefusal(req.method, req.headers);
    if (crossSite) return send(req, res, forbidden(`refused ${crossSite}: the schema registry takes changes from programs and this engine's own pages only`));
    let caller: RegistryCaller | undefined;
    try {
      caller = await o.caller(req);
    } catch (e) {
      if (isTooMany(e)) return send(req, res, tooMany(e));
      throw e;
    }
    if (!caller) {
      return send(req, res, unauthorized("log in first: send HTTP Basic with a Millrace user and password, or an API token as the password (any user name), or Authorization: Bearer <token>"), {
        "www-authenticate": 'Basic realm="millrace schema registry"',
      });
    }
    const write = route.write?.(matched.params);
    if (!atLeast(caller.role, route.role)) {
      const refusal = forbidden(`this needs the ${route.role} role (you are ${caller.role})`);
      if (write) await o.audit(caller, req, write, { ok: false, errorCode: refusal.errorCode });
      return send(req, res, refusal);
    }
    const call: Call = { req, query: matched.query, caller, body: () => readJson(req, o.maxBodyBytes) };
    let result: unknown;
    try {
      result = await route.run(call, matched.params);
    } catch (e) {
      if (write) await o.audit(caller, req, write, { ok: false, errorCode: e instanceof RegistryError ? e.errorCode : 50001 });
      if (e instanceof RegistryError) return send(req, res, e);
      if (isTooMany(e)) return send(req, res, tooMany(e));
      throw e;
    }
    if (write) await o.audit(caller, req, { ...write, detail: { ...write.detail, ...summary(result) } }, { ok: true });
    send(req, res, result);
  }

  /** The route pattern and its `*` segments (percent-decoded: subjects hold any character). */
  function match(rest: string, url: string): { pattern: string; params: string[]; query: URLSearchParams } | "bad-segment" | undefined {
    const parts = rest.split("/");
    for (const { pattern, parts: want } of patterns) {
      if (want.length !== parts.length || !want.every((w, i) => w === "*" || w === parts[i])) continue;
      const params: string[] = [];
      for (let i = 0; i < want.length; i++) {
        if (want[i] !== "*") continue;
        try {
          params.push(decodeURIComponent(parts[i]!));
        } catch {
          return "bad-segment";
        }
      }
      return { pattern, params, query: new URL(url, "http://engine").searchParams };
    }
    return undefined;
  }
}

/** The login rate limit (a wrong Basic password counts as a failed login). */
const isTooMany = (e: unknown) => (e as { code?: unknown }).code === "TOO_MANY";
const tooMany = (e: unknown) => new RegistryError(429, 42901, (e as Error).message);

/** A schema stored as JSON text, answered as it is (the `/schema` endpoints). */
class RawJson {
  constructor(readonly text: string) {}
}

function schemaId(text: string): number {
  if (!/^[0-9]{1,10}$/.test(text)) throw badRequest(`'${text.slice(0, 50)}' is not a schema id (a whole number)`);
  return Number(text);
}

/** What the audit row keeps of a write's answer: ids and versions, never a schema's text. */
function summary(result: unknown): Record<string, unknown> {
  if (typeof result === "number") return { version: result };
  if (Array.isArray(result)) return { versions: result.slice(0, 20) };
  if (typeof result !== "object" || result === null) return {};
  const out: Record<string, unknown> = {};
  for (const k of ["id", "compatibility", "compatibilityLevel"]) {
    const v = (result as Record<string, unknown>)[k];
    if (typeof v === "string" || typeof v === "number") out[k] = v;
  }
  return out;
}

function send(req: IncomingMessage, res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = body instanceof RegistryError ? body.status : 200;
  const text = body instanceof RawJson ? body.text : JSON.stringify(body);
  // a body still unread (a refusal before reading it) is not drained: the connection goes
  const close = !req.complete ? { connection: "close" } : {};
  res.writeHead(status, { "content-type": CONTENT_TYPE, "content-length": String(Buffer.byteLength(text)), ...close, ...headers }).end(text);
}

/** The request's JSON body, at most `limit` bytes; refusals in Confluent's terms. */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers["content-type"];
  if (type && !ACCEPTED_BODY.test(type)) throw new RegistryError(415, 415, `HTTP 415 Unsupported Media Type: send ${CONTENT_TYPE} or application/json (got ${type.slice(0, 100)})`);
  if (Number(req.headers["content-length"]) > limit) throw new RegistryError(413, 413, `request body larger than ${limit} bytes (MILLRACE_MAX_BODY_MB)`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RegistryError(413, 413, `request body larger than ${limit} bytes (MILLRACE_MAX_BODY_MB)`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  // an empty body is refused by what the route needed from it (a schema, a level), in that route's terms
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RegistryError(400, 400, `the body is not JSON: ${(e as Error).message}`);
  }
}
