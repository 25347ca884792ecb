import { z } from "zod";
import type { FlowError, PathSegment } from "./errors.js";
import { secretFields, type SecretFieldPattern } from "./secret-fields.js";
import { checkSchema } from "./zod-issues.js";

/**
 * Connections: a named, typed description of a Kafka cluster, a database or an endpoint with its
 * credentials, saved once and named by flows. Read by the engine (which seals the secret fields
 * at rest and opens them only to connect) and by the designer (which shows them redacted).
 */

export const CONNECTION_TYPES = ["kafka", "postgres", "http", "schema-registry"] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

export const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export const POSTGRES_SSL_MODES = ["disable", "prefer", "require", "verify-ca", "verify-full"] as const;

export const CONNECTION_NAME = /^[a-z0-9_-]{1,63}$/;
const NAME_RULE = "must be 1 to 63 lowercase letters, digits, '-' or '_'";

/** How a secret field reads in an answer to a client, and how an update says "keep the stored value". */
export interface SecretSet {
  set: true;
}

const oneOf = (values: readonly string[]) => `must be one of ${values.join(", ")}`;
const text = (max: number) => z.string().min(1).max(max);
const PEM_MAX = 65_536;
const plainSecret = (max: number) => text(max).meta({ secret: true });
const keptOrPlainSecret = (max: number) => z.union([text(max), z.object({ set: z.literal(true) }).strict()]).meta({ secret: true });

/** host:port, the host a name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$/;
const hostPort = text(300).refine((v) => {
  const m = HOST_PORT.exec(v);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65_535;
}, "must be host:port (port 1 to 65535)");

/** An absolute URL of one of `protocols`, without credentials in it (they belong in sealed fields). */
function url(protocols: readonly string[], credentialsGoIn: string) {
  return text(2048).superRefine((v, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      ctx.addIssue({ code: "custom", message: `must be an absolute URL (${protocols.map((p) => `${p}//`).join(" or ")}…)` });
      return;
    }
    if (!protocols.includes(parsed.protocol)) ctx.addIssue({ code: "custom", message: `must start with ${protocols.map((p) => `${p}//`).join(" or ")}` });
    else if (parsed.password !== "") ctx.addIssue({ code: "custom", message: `must not hold a password: give it in ${credentialsGoIn}, which is stored sealed` });
  });
}

function schemas<S extends z.ZodType<string | SecretSet>>(secret: (max: number) => S) {
  const common = {
    name: z.string().regex(CONNECTION_NAME, NAME_RULE),
    description: z.string().max(1000).optional(),
  };
  const kafka = z
    .object({
      ...common,
      type: z.literal("kafka"),
      brokers: z.array(hostPort).min(1).max(100),
      sasl: z
        .object({
          mechanism: z.enum(SASL_MECHANISMS, { error: oneOf(SASL_MECHANISMS) }),
          username: text(255),
          password: secret(1024),
        })
        .strict()
        .optional(),
      tls: z
        .object({
          ca: text(PEM_MAX).optional(),
          cert: text(PEM_MAX).optional(),
          key: secret(PEM_MAX).optional(),
          rejectUnauthorized: z.boolean().default(true),
        })
        .strict()
        .refine((t) => (t.cert === undefined) === (t.key === undefined), "cert and key go together (a client certificate needs its key)")
        .optional(),
    })
    .strict();
  const postgres = z
    .object({
      ...common,
      type: z.literal("postgres"),
      url: url(["postgres:", "postgresql:"], "password").optional(),
      host: text(255).optional(),
      port: z.number().int().min(1).max(65_535).optional(),
      database: text(255).optional(),
      user: text(255).optional(),
      password: secret(1024).optional(),
      sslmode: z.enum(POSTGRES_SSL_MODES, { error: oneOf(POSTGRES_SSL_MODES) }).optional(),
    })
    .strict()
    .refine((c) => c.url !== undefined || c.host !== undefined, { message: "give url or host", path: ["url"] });
  const httpAuth = z.discriminatedUnion(
    "type",
    [
      z.object({ type: z.literal("none") }).strict(),
      z.object({ type: z.literal("basic"), username: text(255), password: secret(1024) }).strict(),
      z.object({ type: z.literal("bearer"), token: secret(8192) }).strict(),
      z
        .object({ type: z.literal("header"), name: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "must be an HTTP header name"), value: secret(8192) })
        .strict(),
    ],
    { error: (issue) => (issue.code === "invalid_union" ? oneOf(["none", "basic", "bearer", "header"]) : undefined) },
  );
  const http = z
    .object({ ...common, type: z.literal("http"), baseUrl: url(["http:", "https:"], "auth"), auth: httpAuth.default({ type: "none" }) })
    .strict();
  const schemaRegistry = z
    .object({
      ...common,
      type: z.literal("schema-registry"),
      url: url(["http:", "https:"], "auth"),
      auth: z.object({ username: text(255), password: secret(1024) }).strict().optional(),
    })
    .strict();
  return { kafka, postgres, http, "schema-registry": schemaRegistry } as const;
}

/** What the engine connects with: secret fields hold their plaintext. */
const CONNECTION_SCHEMAS = schemas(plainSecret);
/** What a client sends: a secret field may say `{ "set": true }` to keep the value already stored. */
const CONNECTION_INPUT_SCHEMAS = schemas(keptOrPlainSecret);

type Schemas<S extends Record<ConnectionType, z.ZodType>> = { [K in ConnectionType]: z.output<S[K]> }[ConnectionType];
export type ConnectionDocument = Schemas<typeof CONNECTION_SCHEMAS>;
export type ConnectionInput = Schemas<typeof CONNECTION_INPUT_SCHEMAS>;
export type KafkaConnection = Extract<ConnectionDocument, { type: "kafka" }>;
export type PostgresConnection = Extract<ConnectionDocument, { type: "postgres" }>;
export type HttpConnection = Extract<ConnectionDocument, { type: "http" }>;
export type SchemaRegistryConnection = Extract<ConnectionDocument, { type: "schema-registry" }>;
/** A connection as clients see it: every secret field that has a value reads `{ set: true }`. */
export type RedactedConnection = ConnectionInput;

// checked first, so an unknown type is said as such rather than as a mismatch with every type's fields
const header = z.object({ name: z.string().regex(CONNECTION_NAME, NAME_RULE), type: z.enum(CONNECTION_TYPES, { error: oneOf(CONNECTION_TYPES) }) }).loose();

function check<S extends Record<ConnectionType, z.ZodType>>(all: S, input: unknown): { ok: true; value: Schemas<S> } | { ok: false; errors: FlowError[] } {
  const head = checkSchema(header, input);
  if (!head.ok) return head;
  const r = checkSchema(all[head.value.type], input);
  return r.ok ? { ok: true, value: r.value as Schemas<S> } : r;
}

/** A connection document as a client sends it; every error names its field (`sasl.mechanism: must be one of …`). */
export function parseConnectionInput(input: unknown): { ok: true; value: ConnectionInput } | { ok: false; errors: FlowError[] } {
  return check(CONNECTION_INPUT_SCHEMAS, input);
}

/** A complete connection (secrets in plaintext, none kept by reference). */
export function parseConnection(input: unknown): { ok: true; value: ConnectionDocument } | { ok: false; errors: FlowError[] } {
  return check(CONNECTION_SCHEMAS, input);
}

/** The secret fields of a type, e.g. `sasl.password`, `tls.key` for kafka. */
export function connectionSecretFields(type: ConnectionType): SecretFieldPattern[] {
  return secretFields(CONNECTION_SCHEMAS[type]);
}

/**
 * A copy of `connection` with every present secret field replaced by `f(value, path)`; the rest
 * is shared, not copied. Used to seal, open and redact, so the list of secret fields is the
 * schemas' `secret` marks and nothing else.
 */
export function mapConnectionSecrets<T extends { type: ConnectionType }>(connection: T, f: (value: unknown, path: readonly PathSegment[]) => unknown): T {
  let out: Record<string, unknown> = connection as unknown as Record<string, unknown>;
  for (const path of connectionSecretFields(connection.type)) {
    out = replaceAt(out, path, 0, f) as Record<string, unknown>;
  }
  return out as unknown as T;
}

function replaceAt(node: unknown, path: readonly string[], i: number, f: (value: unknown, path: readonly PathSegment[]) => unknown): unknown {
  if (typeof node !== "object" || node === null || Array.isArray(node)) return node;
  const key = path[i]!;
  const record = node as Record<string, unknown>;
  if (!(key in record) || record[key] === undefined) return node;
  const next = i === path.length - 1 ? f(record[key], path) : replaceAt(record[key], path, i + 1, f);
  return next === record[key] ? node : { ...record, [key]: next };
}

/** The value at `path` in a JSON value (undefined where the path leaves it). */
export function valueAt(node: unknown, path: readonly PathSegment[]): unknown {
  let at = node;
  for (const key of path) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** What a client may see: each secret that has a value reads `{ set: true }`. */
export function redactConnection(connection: { type: ConnectionType }): RedactedConnection {
  return mapConnectionSecrets(connection, () => ({ set: true }) satisfies SecretSet) as RedactedConnection;
}

export const CONNECTION_TEST_FAILURES = ["unreachable", "wrong-credentials", "not-authorized", "tls-mismatch", "timeout", "invalid"] as const;
export type ConnectionTestFailure = (typeof CONNECTION_TEST_FAILURES)[number];

/** What "test connection" answers: `detail` is a sentence for a person, never holding a secret. */
export type ConnectionTestResult = { ok: true; detail?: string } | { ok: false; reason: ConnectionTestFailure; detail: string };

/** The connection types a processor's config field can name. */
export type NodeConnectionType = Extract<ConnectionType, "kafka" | "postgres" | "http" | "schema-registry">;

/**
 * Every top-level field of a processor's config schema that names a connection (`connection`, a
 * mirror's `from` and `to`), found by the `connectionType` in the field's metadata, with that type.
 */
export function connectionFieldsOf(configSchema: z.ZodType): { field: string; type: NodeConnectionType }[] {
  if (!(configSchema instanceof z.ZodObject)) return [];
  const out: { field: string; type: NodeConnectionType }[] = [];
  for (const [field, schema] of Object.entries(configSchema.shape as Record<string, z.ZodType>)) {
    const declared = (schema.meta() as { connectionType?: unknown } | undefined)?.connectionType;
    if (declared === "kafka" || declared === "postgres" || declared === "http" || declared === "schema-registry") out.push({ field, type: declared });
  }
  return out;
}
