/** How each edge runs: from the deployed plan where the flow is deployed, else from the document. */
import { useMemo } from "react";
import { requestedEdgeMode, type EdgeMode, type FlowDocument } from "@millrace/flow";
import type { DeploymentStatus } from "./api/types";
import { useDeploymentStatus } from "./deploy";

export type Guarantee = "at-least-once" | "exactly-once";

export interface EdgeRuntime {
  mode: EdgeMode;
  guarantee: Guarantee;
  /** "deployed": read from the running deployment's plan; "document": what a deploy would ask for (at-least-once unless chosen then) */
  from: "deployed" | "document";
}

/** Per edge id: the deployed plan's mode and guarantee for edges it has, the document's request for the others. */
export function edgeRuntimes(doc: Pick<FlowDocument, "edges" | "settings">, status: Pick<DeploymentStatus, "status" | "exactlyOnce" | "plan"> | null | undefined): Map<string, EdgeRuntime> {
  const running = status?.status === "running" ? status : null;
  const planned = new Map(running?.plan?.edges.map((e) => [e.id, e.mode]) ?? []);
  const guarantee: Guarantee = running?.exactlyOnce ? "exactly-once" : "at-least-once";
  const out = new Map<string, EdgeRuntime>();
  for (const e of doc.edges) {
    const mode = planned.get(e.id);
    out.set(e.id, mode ? { mode, guarantee, from: "deployed" } : { mode: requestedEdgeMode(doc, e), guarantee: "at-least-once", from: "document" });
  }
  return out;
}

/** From the same cached status query as the header's deploy controls: no extra request. */
export function useEdgeRuntimes(doc: FlowDocument, saved: boolean): Map<string, EdgeRuntime> {
  const status = useDeploymentStatus(doc.id, saved).data;
  return useMemo(() => edgeRuntimes(doc, status), [doc, status]);
}

export const GUARANTEE_SHORT: Record<Guarantee, string> = { "at-least-once": "≥1", "exactly-once": "=1" };
export const MODE_LABEL: Record<EdgeMode, string> = { durable: "topic", fused: "fused" };
