import { useQuery } from "@tanstack/react-query";
import { templatesApi, templatesKey, type TemplateSummary } from "./templateApi";

const NONE: TemplateSummary[] = [];

/** The templates at their newest versions, shared by the palette and every group's badge (one request). */
export function useTemplates() {
  const q = useQuery({ queryKey: templatesKey, queryFn: templatesApi.list, refetchInterval: 30_000, retry: false });
  return { templates: q.data ?? NONE, error: q.error, loading: q.isLoading };
}

/** The newest version of a template, when it is newer than `version`. */
export function useNewerVersion(templateId: string | undefined, version: number | undefined): TemplateSummary | undefined {
  const { templates } = useTemplates();
  if (templateId === undefined || version === undefined) return undefined;
  const t = templates.find((x) => x.id === templateId);
  return t && t.version > version ? t : undefined;
}
