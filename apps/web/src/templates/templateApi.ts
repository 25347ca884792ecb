/** The engine's group templates as the designer calls them (tRPC `templates`). */
import type { FlowDocument } from "@millrace/flow";
import { trpc } from "../api/client";

export const templatesKey = ["templates"] as const;
export const templateUsesKey = (templateId: string) => ["templates", "uses", templateId] as const;

export const templatesApi = {
  list: () => trpc.templates.list.query(),
  get: (id: string, version?: number) => trpc.templates.get.query({ id, version }),
  save: (input: { document: FlowDocument; groupId: string; name: string; description?: string; templateId?: string; baseVersion?: number }) => trpc.templates.save.mutate(input),
  uses: (templateId: string) => trpc.templates.uses.query({ templateId }),
  delete: (id: string) => trpc.templates.delete.mutate({ id }),
};

export type TemplateSummary = Awaited<ReturnType<typeof templatesApi.list>>[number];
