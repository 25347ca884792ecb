import { z } from "zod";
import { DomainError, type DomainErrorCode } from "../../errors.js";
import type { Services } from "../../services.js";
import { field, pick } from "../../audit/index.js";
import { COMPATIBILITY_LEVELS, prettySchema, RegistryError, type SchemaRegistry } from "../../schema-registry/index.js";
import { requirePrincipal, roleProcedure, router } from "../trpc.js";
import { inferAvroSchema } from "../../formats/infer.js";

const subject = z.string().min(1).max(255);
/** an Avro schema as JSON text */
const schema = z.string().min(1);

function registry(services: Services): SchemaRegistry {
  if (!services.schemaRegistry) throw new DomainError("UNAVAILABLE", "this engine serves no schema registry");
  return services.schemaRegistry;
}

/** A registry refusal in the API's terms; its message stays Confluent's (with the error code in front, as clients of the REST API see it). */
export function domainErrorOf(e: RegistryError): DomainError {
  const code: DomainErrorCode =
    e.status === 404 ? "NOT_FOUND"
    : e.status === 409 ? "CONFLICT"
    : e.status === 401 ? "UNAUTHENTICATED"
    : e.status === 403 ? "FORBIDDEN"
    : e.status === 429 ? "TOO_MANY"
    : "INVALID";
  return new DomainError(code, `${e.message} (error ${e.errorCode})`);
}

async function run<T>(services: Services, call: (r: SchemaRegistry) => Promise<T>): Promise<T> {
  try {
    return await call(registry(services));
  } catch (e) {
    throw e instanceof RegistryError ? domainErrorOf(e) : e;
  }
}

/**
 * The schema registry for the designer: the same registry and rules as the REST API at
 * /schema-registry, shaped for pages (subjects with their versions and levels, schemas indented).
 * Viewers read, editors register and set a subject's level, admins the global level.
 */
export const schemaRegistryRouter = router({
  /** Every live subject: its versions, the id of its newest and the level that applies to it. */
  subjects: roleProcedure("viewer").query(({ ctx }) => run(ctx.services, (r) => r.summaries())),

  versions: roleProcedure("viewer")
    .input(z.object({ subject }))
    .query(({ ctx, input }) => run(ctx.services, (r) => r.versions(input.subject))),

  /** One version (or the newest) with its schema indented for reading. */
  schema: roleProcedure("viewer")
    .input(z.object({ subject, version: z.union([z.number().int().min(1), z.literal("latest")]).default("latest") }))
    .query(({ ctx, input }) =>
      run(ctx.services, async (r) => {
        const v = await r.version(input.subject, input.version);
        return { subject: v.subject, id: v.id, version: v.version, schema: prettySchema(v.schema) };
      }),
    ),

  /** The level that applies to a subject (`own`: set on the subject itself) or the global level. */
  config: roleProcedure("viewer")
    .input(z.object({ subject: subject.optional() }).default({}))
    .query(({ ctx, input }) =>
      run(ctx.services, async (r) => {
        if (input.subject === undefined) return { compatibility: (await r.config(undefined)).compatibilityLevel, own: true };
        const own = await r.config(input.subject).catch((e: unknown) => (e instanceof RegistryError && e.errorCode === 40408 ? undefined : Promise.reject(e)));
        return { compatibility: own?.compatibilityLevel ?? (await r.config(undefined)).compatibilityLevel, own: own !== undefined };
      }),
    ),

  /** A subject's level (editor), or the global one without a subject (admin: it applies to every subject). */
  setConfig: roleProcedure("editor")
    .meta({ audit: "schemaRegistry.setConfig", auditWhat: (i, o) => ({ target: field(i, "subject"), detail: { ...pick(i, "compatibility"), ...pick(o, "compatibility") } }) })
    .input(z.object({ subject: subject.optional(), compatibility: z.enum(COMPATIBILITY_LEVELS) }))
    .mutation(({ ctx, input }) => {
      if (input.subject === undefined) requirePrincipal(ctx, "admin");
      return run(ctx.services, (r) => r.setConfig(input.subject, { compatibility: input.compatibility }));
    }),

  /** Registers the schema under the subject (idempotent): its id and version; CONFLICT when the subject's level refuses it. */
  register: roleProcedure("editor")
    .meta({ audit: "schemaRegistry.register", auditWhat: (i, o) => ({ target: field(i, "subject"), detail: pick(o, "id", "version", "created") }) })
    .input(z.object({ subject, schema }))
    .mutation(({ ctx, input }) => run(ctx.services, (r) => r.register(input.subject, { schema: input.schema }, ctx.principal?.name))),

  /**
   * Whether the schema could be registered under the subject now, and what breaks when not. A
   * mutation only so the schema travels in a POST body (a query's input rides in the URL); it changes nothing.
   */
  checkCompatibility: roleProcedure("viewer")
    .meta({ audit: false })
    .input(z.object({ subject, schema }))
    .mutation(({ ctx, input }) =>
      run(ctx.services, async (r) => {
        const answer = await r.checkCompatibility(input.subject, undefined, { schema: input.schema });
        return { compatible: answer.is_compatible, messages: answer.messages, compatibility: await r.levelOf(input.subject) };
      }),
    ),

  /** An Avro schema the sample values fit (e.g. records tapped on an edge), for a person to edit and register. */
  infer: roleProcedure("viewer")
    .meta({ audit: false })
    .input(
      z.object({
        values: z.array(z.unknown()).min(1, "give at least one sample value").max(1_000, "at most 1,000 samples"),
        name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, "a record name has letters, digits and _, and starts with a letter or _").optional(),
        namespace: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,199}$/, "a namespace is dotted names").optional(),
      }),
    )
    .mutation(({ input }) => {
      try {
        return { schema: JSON.stringify(inferAvroSchema(input.values, input.name ?? "Record", input.namespace), null, 2) };
      } catch (e) {
        throw new DomainError("INVALID", e instanceof Error ? e.message : String(e));
      }
    }),
});
