import { z } from "zod";
import { CONNECTION_NAME } from "@millrace/flow";
import { DomainError } from "../../errors.js";
import type { Services } from "../../services.js";
import { field, pick } from "../../audit/index.js";
import { roleProcedure, router } from "../trpc.js";

const documentOf = (input: unknown) => (typeof input === "object" && input !== null ? (input as { document?: unknown }).document : undefined);
const name = z.string().regex(CONNECTION_NAME, "must be 1 to 63 lowercase letters, digits, '-' or '_'");

function connections(services: Services) {
  if (!services.connections) throw new DomainError("UNAVAILABLE", "this engine does not manage connections");
  return services.connections;
}

/**
 * Connections: editors see them (to name them in flows), admins manage and test them. No answer
 * ever holds a secret: each secret field that has a value reads `{ set: true }`.
 */
export const connectionsRouter = router({
  list: roleProcedure("editor").query(async ({ ctx }) => {
    const all = await connections(ctx.services).list();
    return all.map(({ connection, createdBy, createdAt, updatedAt }) => ({ ...connection, createdBy, createdAt, updatedAt }));
  }),

  get: roleProcedure("editor")
    .input(z.object({ name }))
    .query(async ({ ctx, input }) => {
      const { connection, createdBy, createdAt, updatedAt } = await connections(ctx.services).get(input.name);
      return { ...connection, createdBy, createdAt, updatedAt };
    }),

  /** A new connection (CONFLICT when the name is taken); `replace` replaces one of that name, a secret given as `{ set: true }` kept as stored. */
  add: roleProcedure("admin")
    .meta({ audit: "connection.add", auditWhat: (i, o) => ({ target: field(o, "name") ?? field(documentOf(i), "name"), detail: { ...pick(o, "created"), ...pick(documentOf(i), "type"), ...pick(i, "replace") } }) })
    .input(z.object({ document: z.unknown(), replace: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => connections(ctx.services).save(input.document, ctx.principal?.name, input.replace)),

  remove: roleProcedure("admin")
    .meta({ audit: "connection.remove" })
    .input(z.object({ name }))
    .mutation(async ({ ctx, input }) => {
      await connections(ctx.services).remove(input.name);
      return { ok: true as const };
    }),

  /** Connects as the connection says: `{ ok }`, or `{ ok: false, reason, detail }`, within five seconds. */
  test: roleProcedure("admin")
    .meta({ audit: "connection.test", auditWhat: (_i, o) => ({ detail: pick(o, "ok", "reason") }) })
    .input(z.object({ name }))
    .mutation(({ ctx, input }) => connections(ctx.services).test(input.name)),

  /** Tests a document before it is saved (a secret as `{ set: true }` is the stored one of that name). */
  testDocument: roleProcedure("admin")
    .meta({ audit: "connection.testDocument", auditWhat: (i, o) => ({ target: field(documentOf(i), "name"), detail: { ...pick(documentOf(i), "type"), ...pick(o, "ok", "reason") } }) })
    .input(z.object({ document: z.unknown() }))
    .mutation(({ ctx, input }) => connections(ctx.services).testDocument(input.document)),
});
