/**
 * The processor catalogue as the browser sees it: specs only (zod config schema, ports,
 * docs, example) from the browser-safe root export of @millrace/processors.
 */
import { catalog, type ProcessorSpec } from "@millrace/processors";
import { useEffect, useReducer } from "react";
import type { FlowDocument } from "@millrace/flow";
import { validateForCanvas, type CanvasProblems } from "../doc/validate";

export type { ProcessorSpec };
export { catalog };
export type Kind = ProcessorSpec["kind"];

export const KINDS: { kind: Kind; label: string }[] = [
  { kind: "source", label: "Sources" },
  { kind: "transform", label: "Transforms" },
  { kind: "sink", label: "Sinks" },
];

export const specs: ProcessorSpec[] = catalog.specs;
const byType = new Map(specs.map((s) => [s.type, s]));

export function getSpec(type: string): ProcessorSpec | undefined {
  return byType.get(type);
}

export function searchSpecs(query: string): ProcessorSpec[] {
  const q = query.trim().toLowerCase();
  if (!q) return specs;
  return specs.filter((s) => [s.type, s.title, s.description, s.kind].some((t) => t?.toLowerCase().includes(q)));
}

const problemCache = new WeakMap<FlowDocument, CanvasProblems>();
let last: { doc: FlowDocument; problems: CanvasProblems } | undefined;

/** Same behaviour: the documents differ at most in node positions (a move is not a revalidation). */
export function onlyMoved(a: FlowDocument, b: FlowDocument): boolean {
  if (a.edges !== b.edges || a.parameters !== b.parameters || a.nodes.length !== b.nodes.length) return false;
  for (let i = 0; i < a.nodes.length; i++) {
    const x = a.nodes[i]!;
    const y = b.nodes[i]!;
    if (x === y) continue;
    if (x.id !== y.id || x.type !== y.type || x.typeVersion !== y.typeVersion || x.name !== y.name || x.config !== y.config || x.settings !== y.settings) return false;
  }
  return true;
}

/**
 * Canvas problems of a document, computed once per (immutable) document, and not again when
 * only positions changed since the last one (dragging a node of a 1,000-node flow).
 */
export function problemsOf(doc: FlowDocument): CanvasProblems {
  let p = problemCache.get(doc);
  if (!p) {
    p = last && onlyMoved(last.doc, doc) ? last.problems : validateForCanvas(doc, catalog);
    problemCache.set(doc, p);
  }
  last = { doc, problems: p };
  return p;
}

const NO_PROBLEMS: CanvasProblems = { nodes: {}, edges: {}, flow: [], count: 0 };

/** Problems already known for `doc` without validating (cache, or a move of the last one). */
function knownProblems(doc: FlowDocument): CanvasProblems | undefined {
  const p = problemCache.get(doc);
  if (p) return p;
  if (last && onlyMoved(last.doc, doc)) return problemsOf(doc);
  return undefined;
}

/**
 * Runs `fn` after the document now being rendered is drawn: two frames on (React Flow draws a
 * new flow's nodes, measures them, then shows them) and then when the browser is idle, at the
 * latest 1 s later. Returns a cancel function.
 */
function afterDrawn(fn: () => void): () => void {
  let cancel = () => {};
  const idle = () => {
    if (typeof requestIdleCallback === "function") {
      const h = requestIdleCallback(fn, { timeout: 1000 });
      cancel = () => cancelIdleCallback(h);
    } else {
      const t = setTimeout(fn, 0);
      cancel = () => clearTimeout(t);
    }
  };
  const f1 = requestAnimationFrame(() => {
    const f2 = requestAnimationFrame(idle);
    cancel = () => cancelAnimationFrame(f2);
  });
  cancel = () => cancelAnimationFrame(f1);
  return () => cancel();
}

/**
 * Problems of `doc` for components: validation (zod and JSONata, per node: ~100 ms for 1,000
 * nodes) runs once the document is drawn, not before (a timer alone ran it between the frames
 * that measure and show a big flow's nodes); meanwhile the last document's problems (same
 * flow) or none are shown. Moves never revalidate (see problemsOf).
 */
export function useProblems(doc: FlowDocument): CanvasProblems {
  const known = knownProblems(doc);
  const [, rerender] = useReducer((x: number) => x + 1, 0);
  useEffect(() => {
    if (known) return;
    return afterDrawn(() => {
      problemsOf(doc);
      rerender();
    });
  }, [doc, known]);
  if (known) return known;
  return last && last.doc.id === doc.id ? last.problems : NO_PROBLEMS;
}
