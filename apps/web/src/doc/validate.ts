/**
 * Problems to show on the canvas, per node and per edge, from @millrace/flow's validateFlow
 * (config problems come from each processor's own zod schema, never from rules written here),
 * plus the "needs an input connection" mark for nodes nobody feeds.
 */
import { validateFlow, type CatalogLike, type FlowDocument, type ProcessorTypeInfo } from "@millrace/flow";

export interface CanvasProblems {
  nodes: Record<string, string[]>;
  edges: Record<string, string[]>;
  /** problems of the flow as a whole (parameters, ...) */
  flow: string[];
  count: number;
}

export const NEEDS_INPUT = "needs an input connection";

export function safeOutputPorts(spec: ProcessorTypeInfo & { example?: unknown } | undefined, config: unknown): string[] {
  if (!spec) return [];
  try {
    const ports = spec.outputPorts(config);
    // while a config is being typed (route names...), show only usable, distinct names
    if (Array.isArray(ports)) return [...new Set(ports.filter((p) => typeof p === "string" && p.trim() !== ""))];
  } catch {
    /* config not valid yet */
  }
  try {
    return spec.outputPorts(spec.example) ?? [];
  } catch {
    return ["success", "failure"];
  }
}

export function validateForCanvas(doc: FlowDocument, catalog: CatalogLike): CanvasProblems {
  const nodes: Record<string, string[]> = {};
  const edges: Record<string, string[]> = {};
  const flow: string[] = [];
  const add = (bag: Record<string, string[]>, id: string, msg: string) => {
    const list = (bag[id] ??= []);
    if (!list.includes(msg)) list.push(msg);
  };

  const r = validateFlow(doc, catalog);
  if (!r.ok) {
    for (const e of r.errors) {
      const m = /^(nodes|edges)\[(\d+)\](?:\.(.*))?$/.exec(e.path);
      const rest = m?.[3];
      if (m && m[1] === "nodes" && doc.nodes[+m[2]]) add(nodes, doc.nodes[+m[2]].id, rest ? `${rest}: ${e.message}` : e.message);
      else if (m && m[1] === "edges" && doc.edges[+m[2]]) add(edges, doc.edges[+m[2]].id, e.message);
      else flow.push(e.path ? `${e.path}: ${e.message}` : e.message);
    }
  }

  const fed = new Set(doc.edges.map((e) => e.to.node));
  for (const n of doc.nodes) if (catalog.get(n.type)?.hasInput && !fed.has(n.id)) add(nodes, n.id, NEEDS_INPUT);

  const count = flow.length + Object.values(nodes).reduce((a, b) => a + b.length, 0) + Object.values(edges).reduce((a, b) => a + b.length, 0);
  return { nodes, edges, flow, count };
}
