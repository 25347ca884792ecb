import { z } from "zod";
import { CONNECTION_NAME, connectionFieldsOf, type NodeConnectionType } from "@millrace/flow";
import { checkExpression } from "./expr.js";
import type { UiHint } from "./sdk.js";

/** Zod building blocks for processor configs (browser-safe). UI hints go in `.meta({ ui })`. */

export function meta(description: string, ui?: UiHint) {
  return ui ? { description, ui } : { description };
}

/**
 * Metadata of a secret-capable field (a password, token or connection string): the only kind of
 * field a sensitive parameter may be used in (flow validation refuses any other). `secret: true`
 * is in the field's JSON Schema, so the designer can mark it too.
 */
export function secretMeta(description: string, ui?: UiHint) {
  return { ...meta(description, ui), secret: true as const };
}

/** A JSONata expression: must compile; the message names the position of a syntax error. */
export function expression(description: string, ui: UiHint = {}) {
  return z
    .string({ error: "an expression (text) is required" })
    .trim()
    .min(1, "the expression is empty")
    .superRefine((src, ctx) => {
      const err = checkExpression(src);
      if (err) ctx.addIssue({ code: "custom", message: err });
    })
    .meta(meta(description, { widget: "expression", ...ui }));
}

/** Names of ports / headers / columns. */
export const portName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, "a port name starts with a letter and has letters, digits, _ or - (at most 64)");

/** A Kafka topic name, possibly with #{parameter} references (substituted before deployment). */
export const topicName = z
  .string({ error: "a topic name is required" })
  // abort: an empty name should say "empty", not also break the character rule below
  .min(1, { error: "the topic name is empty", abort: true })
  .max(249, { error: "a topic name has at most 249 characters", abort: true })
  .regex(/^(?:[A-Za-z0-9._-]|#\{[A-Za-z_][A-Za-z0-9_.-]*\})+$/, "a topic name has letters, digits, '.', '_' or '-' (or #{parameter} references)");

/**
 * A topic a node writes: not one of Millrace's own (`mr.…` edges, `mr-dlq.…` dead letters), which
 * would put records into another flow's edges, restricted flows' included.
 */
export const writableTopicName = topicName.refine((t) => !t.startsWith("mr.") && !t.startsWith("mr-dlq."), {
  message: "topics starting with mr. or mr-dlq. are Millrace's own (flows' edges and dead letters): a sink may not write them",
});

/** A connection string; may be a #{parameter} reference. Never echoed in messages. Secret-capable. */
export function connectionString(description: string) {
  return z
    .string({ error: "a connection string is required" })
    .min(1, "the connection string is empty")
    .refine((s) => /^(postgres(ql)?:\/\/|#\{)/.test(s) || s.includes("#{"), {
      message: "expected postgres://… or postgresql://… (or a #{parameter} reference)",
    })
    .meta(secretMeta(description, { widget: "password", placeholder: "#{db.url}" }));
}

/** A SQL identifier (table or column); quoted when used, so any name is safe. */
export const sqlIdentifier = z
  .string()
  .min(1, "the name is empty")
  .max(63, "Postgres names have at most 63 characters")
  .refine((s) => !s.includes("\u0000"), { message: "the name contains a NUL character" });

/** A header name: not one of the runtime's reserved `mr.*` names. */
export const headerName = z
  .string()
  .min(1, "the header name is empty")
  .refine((s) => !s.startsWith("mr."), { message: "header names starting with 'mr.' are reserved for the runtime" });


/**
 * Metadata of a field naming a connection: `connectionType` says which type it must be, so the
 * designer offers the connections of that type and the engine checks the name at import and deploy.
 */
export function connectionMeta(description: string, connectionType: NodeConnectionType) {
  return { ...meta(description, { placeholder: `a ${connectionType} connection` }), connectionType };
}

const OWN_RESOURCE: Record<NodeConnectionType, string> = {
  kafka: "the engine's own cluster",
  postgres: "the node's own connection string",
  http: "the node's own url and headers",
  "schema-registry": "the engine's own schema registry",
};

/** The optional `connection` field of a node: a connection's name (absent: what OWN_RESOURCE says). */
export function connectionField(connectionType: NodeConnectionType, description = `Name of a ${connectionType} connection to use (absent: ${OWN_RESOURCE[connectionType]}).`) {
  return z
    .string({ error: "a connection name is text" })
    .regex(CONNECTION_NAME, "a connection name has 1 to 63 lowercase letters, digits, '-' or '_'")
    .optional()
    .meta(connectionMeta(description, connectionType));
}

/** Formats of a Kafka message's value or key. */
export const MESSAGE_FORMATS = ["json", "avro", "string", "bytes"] as const;

/**
 * The rule of a node that either names a connection or carries its own `field` (a connection
 * string, a URL): exactly one of the two, the error on the field a person fills in.
 */
export function ownOrNamedConnection(field: string) {
  return (c: { connection?: string }, ctx: z.RefinementCtx) => {
    const own = (c as Record<string, unknown>)[field];
    if (c.connection === undefined && own === undefined) ctx.addIssue({ code: "custom", path: [field], message: `give ${field} or connection (the name of a connection)` });
    else if (c.connection !== undefined && own !== undefined) ctx.addIssue({ code: "custom", path: [field], message: `give ${field} or connection, not both` });
  };
}

/** The connection type a config schema's `connection` field names (undefined: the type takes none). */
export function connectionTypeOf(configSchema: z.ZodType): NodeConnectionType | undefined {
  return connectionFieldsOf(configSchema).find((f) => f.field === "connection")?.type;
}

