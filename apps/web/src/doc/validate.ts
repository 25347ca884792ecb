/**
 * Problems to show on the canvas, per node and per edge.
 *
 * Config problems come from the processor's own zod schema (safeParse), never from rules
 * written here. TEMPORARY: when @millrace/flow's validateFlow lands, the structural checks
 * below defer to it.
 */
import type { FlowDocument } from "@millrace/flow";
import type { ProcessorSpec } from "@millrace/processors";

export interface CanvasProblems {
  nodes: Record<string, string[]>;
  edges: Record<string, string[]>;
  count: number;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

export function safeOutputPorts(spec: ProcessorSpec | undefined, config: unknown): string[] {
  if (!spec) return [];
  try {
    return spec.outputPorts(config as never) ?? [];
  } catch {
    try {
      return spec.outputPorts(spec.example) ?? [];
    } catch {
      return ["success", "failure"];
    }
  }
}

export function validateForCanvas(doc: FlowDocument, getSpec: (type: string) => ProcessorSpec | undefined): CanvasProblems {
  const nodes: Record<string, string[]> = {};
  const edges: Record<string, string[]> = {};
  const add = (bag: Record<string, string[]>, id: string, msg: string) => (bag[id] ??= []).push(msg);
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const incoming = new Set(doc.edges.map((e) => e.to.node));

  for (const n of doc.nodes) {
    const spec = getSpec(n.type);
    if (!spec) {
      add(nodes, n.id, `unknown processor type "${n.type}"`);
      continue;
    }
    const res = spec.configSchema.safeParse(n.config);
    if (!res.success) {
      for (const issue of res.error.issues) {
        const p = formatPath(issue.path);
        add(nodes, n.id, p ? `config.${p}: ${issue.message}` : `config: ${issue.message}`);
      }
    }
    if (spec.hasInput && !incoming.has(n.id)) add(nodes, n.id, "needs an input connection");
  }

  for (const e of doc.edges) {
    const from = byId.get(e.from.node);
    const to = byId.get(e.to.node);
    if (!from) add(edges, e.id, `source node ${e.from.node} does not exist`);
    if (!to) add(edges, e.id, `target node ${e.to.node} does not exist`);
    if (from) {
      const spec = getSpec(from.type);
      if (spec) {
        const ports = safeOutputPorts(spec, from.config);
        if (!ports.includes(e.from.port)) add(edges, e.id, `${from.id} has no output port "${e.from.port}"`);
      }
    }
    if (to) {
      const spec = getSpec(to.type);
      if (spec && !spec.hasInput) add(edges, e.id, `${to.id} (${spec.title}) takes no input`);
    }
  }
  const count = Object.values(nodes).reduce((a, b) => a + b.length, 0) + Object.values(edges).reduce((a, b) => a + b.length, 0);
  return { nodes, edges, count };
}
