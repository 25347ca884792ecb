import { z } from "zod";
import { canonicalize, copyName, FlowIdSchema, newFlowId, parseFlowJson, redactSensitive, restoreSensitive, validateFlow, type FlowDocument } from "@millrace/flow";
import { roleProcedure, router } from "../trpc.js";
import { DomainError, invalidFlow } from "../../errors.js";
import { FlowAccess } from "../../access/index.js";
import { flowAccessRouter } from "./flow-access.js";
import { field, pick } from "../../audit/index.js";
import { connectionReferences, unknownConnections } from "../../deployments/connection-check.js";
import { runFlowTestsOnEngine } from "../../flow-tests/on-engine.js";
import type { FlowRepository, SaveResult } from "../../db/flows.js";

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
   * `baseVersion` 0 says the document is a new flow (the designer's first save of "+ New"):
   * an existing flow under its id is a CONFLICT, never a version added to that flow.
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
      if (input.baseVersion === 0 && (await ctx.services.repositories.flows.exists(doc.id))) throw idTaken(doc.id);
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
      const flows = ctx.services.repositories.flows;
      const saveOptions = { author: input.author, message: "imported", owner: ctx.principal.name };
      const taken = await flows.exists(doc.id);
      const copied = Boolean(input.asCopy) || (taken && input.onExisting !== "new-version");
      if (copied) return { ...(await saveUnderNewId({ ...doc, name: copyName(doc.name) }, flows, saveOptions)), copied };
      if (taken) {
        // a flow hidden from the caller is not theirs to add versions to
        await new FlowAccess(ctx.services.repositories.flowAccess).requireVisible(ctx.principal, doc.id);
        if (doc.parameters.some((p) => p.sensitive && p.value === "")) doc = restoreSensitive(doc, (await flows.get(doc.id)).document);
      }
      // not taken a moment ago: created meanwhile, it is a CONFLICT, not a version of that flow
      const saved = await flows.save(doc, { ...saveOptions, baseVersion: taken ? undefined : 0 });
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

function idTaken(id: string): DomainError {
  return new DomainError("CONFLICT", `a flow with id "${id}" already exists: a new flow is not saved as a version of it; save yours as a copy (a new id)`);
}

const NEW_ID_ATTEMPTS = 3;

/**
 * Saves `doc` as a new flow under a fresh id. Base version 0 makes the save refuse an id taken
 * by any flow, hidden ones included, inside its transaction; a taken id is drawn again.
 */
async function saveUnderNewId(doc: FlowDocument, flows: FlowRepository, options: { author?: string; message: string; owner: string }): Promise<SaveResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await flows.save({ ...doc, id: newFlowId() }, { ...options, baseVersion: 0 });
    } catch (e) {
      if (!(e instanceof DomainError && e.code === "CONFLICT") || attempt === NEW_ID_ATTEMPTS) throw e;
    }
  }
}
