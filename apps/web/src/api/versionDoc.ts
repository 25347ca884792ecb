import type { FlowDocument } from "@millrace/flow";
import { api } from "./client";
import { queryClient } from "../queryClient";

/** A saved version's document (immutable once saved: cached for good). */
export function versionDoc(flowId: string, version: number): Promise<FlowDocument> {
  return queryClient.fetchQuery({
    queryKey: ["flows", "doc", flowId, version],
    queryFn: async () => (await api.flows.get(flowId, version)).document,
    staleTime: Infinity,
  });
}
