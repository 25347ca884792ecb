import { z } from "zod";
import { canonicalize, copyName, FlowIdSchema, newFlowId, parseFlowJson, redactSensitive, restoreSensitive, validateFlow, type FlowDocument } from "@millrace/flow";
import { roleProcedure, router } from "../trpc.js";
import { invalidFlow } from "../../errors.js";
import { FlowAccess } from "../../access/index.js";
import { flowAccessRouter } from "./flow-access.js";
import { field, pick } from "../../audit/index.js";
import { connectionReferences, unknownConnections } from "../../deployments/connection-check.js";
import { runFlowTestsOnEngine } from "../../flow-tests/on-engine.js";

const id = FlowIdSchema;

export const flowsRouter = router({
  /** The flows the caller may see (restricted ones only for their owner, admins and those listed). */
  list: roleProcedure("viewer").query(async ({ ctx }) => {
    const [flows, hidden] = await Promise.all([ctx.services.repositories.flows.list(), new FlowAccess(ctx.services.repositories.flowAccess).hiddenFrom(ctx.principal)]);
    return hidden.size ? flows.filter((f) => !hidden.has(f.id)) : flows;
  }),

  get: roleProcedure("viewer")
    .meta({ flowIdAt: "id" })
    .input(z.object({ id, version: z.number().int().positive().optional() }))
    .query(async ({ ctx, input }) => {
      const r = await ctx.services.repositories.flows.get(input.id, input.version);
      // jsonb keeps keys in its own order: hand out the canonical spelling.
      // The browser never sees secret values, only which secrets have one stored.
      const secretsSet = r.document.parameters.filter((p) => p.sensitive && p.value !== "").map((p) => p.name);
      return { ...r, document: canonicalize(redactSensitive(r.document)), secretsSet };
    }),

  versions: roleProcedure("viewer").meta({ flowIdAt: "id" }).input(z.object({ id })).query(({ ctx, input }) => ctx.services.repositories.flows.versions(input.id)),

  /**
   * Saves a draft: the document must be structurally a flow document, but a node's config may
   * still be incomplete (the canvas marks it); deploy and import demand a fully valid flow.
   */
  save: roleProcedure("editor")
    .meta({ audit: "flow.save", auditWhat: (i, o) => ({ target: field(o, "id") ?? field((i as { document?: unknown } | undefined)?.document, "id"), detail: { ...pick(o, "version", "created"), ...pick(i, "baseVersion", "message") } }) })
    .meta({ flowIdAt: "document.id" })
    .input(z.object({
      document: z.unknown(),
      baseVersion: z.number().int().min(0).optional(),
      author: z.string().max(200).optional(),
      message: z.string().max(2000).optional(),
    }))
    .mutation(async ({ ctx, input }) => {
      // the same gate as an import (plain JSON, migrations, schema with the id rule), minus the completeness checks
      const checked = validateFlow(input.document, ctx.services.catalog, { draft: true });
      if (!checked.ok) throw invalidFlow("the flow document is not valid", checked.errors);
      let doc: FlowDocument = checked.document;
      // The browser never sees sensitive values: keep the stored ones it sent back blank.
      if (doc.parameters.some((p) => p.sensitive && p.value === "") && (await ctx.services.repositories.flows.exists(doc.id))) {
        doc = restoreSensitive(doc, (await ctx.services.repositories.flows.get(doc.id)).document);
      }
      return ctx.services.repositories.flows.save(doc, { ...input, owner: ctx.principal.name });
    }),

  delete: roleProcedure("editor").meta({ audit: "flow.delete" }).meta({ flowIdAt: "id" }).input(z.object({ id })).mutation(({ ctx, input }) => ctx.services.repositories.flows.delete(input.id)),

  /**
   * Imports a document (JSON text): a copy (new short id, name ending "(copy)") when asked;
   * when the id is taken, a copy too unless `onExisting` is "new-version", which saves the file
   * as the existing flow's next version (its stored secrets kept for blank values, as a save does).
   */
  import: roleProcedure("editor")
    .meta({ audit: "flow.import", auditWhat: (i, o) => ({ target: field(o, "id"), detail: { ...pick(o, "version", "copied"), ...pick(i, "asCopy", "onExisting") } }) })
    .input(z.object({ text: z.string().max(50_000_000), asCopy: z.boolean().optional(), onExisting: z.enum(["copy", "new-version"]).optional(), author: z.string().max(200).optional() }))
    .mutation(async ({ ctx, input }) => {
      const parsed = parseFlowJson(input.text, ctx.services.catalog);
      if (!parsed.ok) throw invalidFlow("the file is not a valid Millrace flow", parsed.errors);
      let doc = parsed.document;
      const unknown = await unknownConnections(connectionReferences(doc, ctx.services.catalog), ctx.services.connections);
      if (unknown.length) throw invalidFlow("the flow names connections this engine does not have", unknown);
      const taken = await ctx.services.repositories.flows.exists(doc.id);
      const copied = Boolean(input.asCopy) || (taken && input.onExisting !== "new-version");
      if (copied) doc = { ...doc, id: newFlowId(), name: copyName(doc.name) };
      else if (taken) {
        // a flow hidden from the caller is not theirs to add versions to
        await new FlowAccess(ctx.services.repositories.flowAccess).requireVisible(ctx.principal, doc.id);
        if (doc.parameters.some((p) => p.sensitive && p.value === "")) doc = restoreSensitive(doc, (await ctx.services.repositories.flows.get(doc.id)).document);
      }
      const saved = await ctx.services.repositories.flows.save(doc, { author: input.author, message: "imported", owner: ctx.principal.name });
      return { ...saved, copied };
    }),

  export: roleProcedure("viewer")
    .meta({ audit: "flow.export", auditWhat: (i) => ({ detail: pick(i, "version") }) })
    .meta({ flowIdAt: "id" })
    .input(z.object({ id, version: z.number().int().positive().optional() }))
    .query(async ({ ctx, input }) => canonicalize(redactSensitive((await ctx.services.repositories.flows.get(input.id, input.version)).document))),

  validate: roleProcedure("viewer").meta({ audit: false }).input(z.object({ document: z.unknown() })).mutation(({ ctx, input }) => {
    const r = validateFlow(input.document, ctx.services.catalog);
    return r.ok ? { ok: true as const, errors: [] } : { ok: false as const, errors: r.errors };
  }),

  /**
   * Runs a flow's test cases headless on this engine (nothing deployed, no connection opened):
   * those of `document` (the designer's, unsaved) when given, else of the saved version.
   */
  runTests: roleProcedure("editor")
    .meta({ audit: false, flowIdAt: "id" })
    .input(z.object({ id, version: z.number().int().positive().optional(), document: z.unknown().optional(), case: z.string().max(200).optional() }))
    .mutation(async ({ ctx, input }) => {
      const flows = ctx.services.repositories.flows;
      let doc: FlowDocument;
      if (input.document === undefined) doc = (await flows.get(input.id, input.version)).document;
      else {
        const checked = validateFlow(input.document, ctx.services.catalog);
        if (!checked.ok) throw invalidFlow("the flow document is not valid", checked.errors);
        if (checked.document.id !== input.id) throw invalidFlow("the document is another flow", [{ path: "id", message: `expected "${input.id}"` }]);
        doc = checked.document;
        // blank sensitive values in the browser's copy: the stored ones run
        if (doc.parameters.some((p) => p.sensitive && p.value === "") && (await flows.exists(doc.id))) doc = restoreSensitive(doc, (await flows.get(doc.id)).document);
      }
      return runFlowTestsOnEngine(doc, ctx.services.catalog, input.case);
    }),

  /** Who may see a flow (per-flow access). */
  access: flowAccessRouter,
});
