import { z } from "zod";
import { IdSchema, newId, TEMPLATE_LIMITS, TemplateError, templateFromGroup, validateFlow } from "@millrace/flow";
import { DomainError, invalidFlow } from "../../errors.js";
import { FlowAccess } from "../../access/index.js";
import { field, pick } from "../../audit/index.js";
import { roleProcedure, router } from "../trpc.js";

const templateId = IdSchema;
const version = z.number().int().positive();

/**
 * Group templates: viewers list and read them, editors save and delete them. A template is made
 * on the engine from a group of the document the designer holds (saved or not), so the rules
 * (relative positions, parameters, no secrets) are the flow package's, not the browser's.
 */
export const templatesRouter = router({
  list: roleProcedure("viewer").query(({ ctx }) => ctx.services.repositories.templates.list()),

  get: roleProcedure("viewer")
    .input(z.object({ id: templateId, version: version.optional() }))
    .query(({ ctx, input }) => ctx.services.repositories.templates.get(input.id, input.version)),

  /**
   * Saves a group of `document` as a new template, or as the next version of `templateId` (whose
   * newest version must still be `baseVersion`, else CONFLICT). The answer names the version saved.
   */
  save: roleProcedure("editor")
    .meta({ audit: "template.save", auditWhat: (i, o) => ({ target: field(o, "id") ?? field(i, "templateId"), detail: { ...pick(o, "version"), ...pick(i, "name", "groupId") } }) })
    .input(
      z.object({
        document: z.unknown(),
        groupId: IdSchema,
        name: z.string().max(TEMPLATE_LIMITS.nameLength),
        description: z.string().max(TEMPLATE_LIMITS.descriptionLength).optional(),
        templateId: templateId.optional(),
        baseVersion: version.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const checked = validateFlow(input.document, ctx.services.catalog, { draft: true });
      if (!checked.ok) throw invalidFlow("the flow document is not valid", checked.errors);
      // every viewer reads templates: a restricted flow's contents would leak through one
      const standing = await ctx.services.repositories.flowAccess.standing(checked.document.id, ctx.principal.name);
      if (standing?.restricted) {
        throw new DomainError("INVALID", `flow ${checked.document.id} is restricted, and every viewer can read a template: it is not made from a restricted flow (copy the group into a flow that is not restricted first, or lift the restriction)`);
      }
      const repo = ctx.services.repositories.templates;
      const previous = input.templateId ? await repo.get(input.templateId) : undefined;
      let body;
      try {
        body = templateFromGroup(checked.document, input.groupId, ctx.services.catalog, { name: input.name, description: input.description, previous });
      } catch (e) {
        if (e instanceof TemplateError) throw new DomainError("INVALID", e.message);
        throw e;
      }
      return repo.save(input.templateId ?? newId("tpl"), body, ctx.principal.name, input.templateId ? (input.baseVersion ?? previous!.version) : undefined);
    }),

  delete: roleProcedure("editor")
    .meta({ audit: "template.delete" })
    .input(z.object({ id: templateId }))
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.services.repositories.templates.remove(input.id))) throw new DomainError("NOT_FOUND", `template ${input.id} does not exist`);
      return { ok: true as const };
    }),

  /** The groups placed from a template in the latest version of each flow the caller may see. */
  uses: roleProcedure("viewer")
    .input(z.object({ templateId }))
    .query(async ({ ctx, input }) => {
      const [uses, hidden] = await Promise.all([ctx.services.repositories.templates.uses(input.templateId), new FlowAccess(ctx.services.repositories.flowAccess).hiddenFrom(ctx.principal)]);
      return hidden.size ? uses.filter((u) => !hidden.has(u.flowId)) : uses;
    }),
});
