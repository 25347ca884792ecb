/**
 * Paints an overview scene on a 2D canvas: edges as straight lines, boxes with their kind's
 * colour, band and title (when the zoom leaves them readable), selection and lineage outlines,
 * live and compare marks. Shapes of one look go into one path and are filled or stroked at
 * once: a 5,000-node flow is a few dozen draw calls, not 11,000 elements to lay out.
 */
import type { EdgeLook, Scene, SceneNode } from "./overviewScene";

export interface ViewBox {
  /** React Flow's transform: screen = flow × zoom + (tx, ty) */
  tx: number;
  ty: number;
  zoom: number;
  /** the canvas's size in CSS pixels */
  width: number;
  height: number;
  dpr: number;
}

export interface Painted {
  /** nodes drawn (at least partly in view) */
  nodes: number;
  /** nodes wholly in view */
  inside: number;
  edges: number;
}

/** What to paint: every node and edge but `skip` (and its edges), or only the listed ones. */
export type Selection = { skip: ReadonlySet<number> | null } | { nodes: readonly number[]; edges: readonly number[] };

const KIND_FILL: Record<string, string> = { source: "#e0f2fe", transform: "#dcfce7", sink: "#ede9fe" };
const KIND_FILL_TINY: Record<string, string> = { source: "#7dd3fc", transform: "#6ee7b7", sink: "#c4b5fd" };
const KIND_BAND: Record<string, string> = { source: "#0ea5e9", transform: "#10b981", sink: "#8b5cf6" };
const DANGER = "#dc2626";
const EDGE_LOOKS: readonly { look: EdgeLook; color: string; px: number }[] = [
  { look: "plain", color: "#7c8799", px: 1.2 },
  { look: "failure", color: "#e11d48", px: 1.2 },
  { look: "invalid", color: DANGER, px: 1.6 },
  { look: "selected", color: "#2563eb", px: 2.5 },
  { look: "lineage", color: "#f59e0b", px: 3 },
];
const TITLE_FONT = '700 15px Inter, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';

/** Makes the canvas's backing store match its CSS size (a resize clears it: only when it changed). */
export function sizeCanvas(canvas: HTMLCanvasElement, view: ViewBox): void {
  const w = Math.max(1, Math.round(view.width * view.dpr));
  const h = Math.max(1, Math.round(view.height * view.dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const cw = `${view.width}px`;
  const ch = `${view.height}px`;
  if (canvas.style.width !== cw) canvas.style.width = cw;
  if (canvas.style.height !== ch) canvas.style.height = ch;
}

export function paintScene(ctx: CanvasRenderingContext2D, scene: Scene, view: ViewBox, tiny: boolean, what: Selection): Painted {
  const { tx, ty, zoom, dpr } = view;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  // draw in flow units: one screen pixel is `px` of them
  ctx.setTransform(dpr * zoom, 0, 0, dpr * zoom, dpr * tx, dpr * ty);
  const px = 1 / zoom;
  const vx0 = -tx / zoom, vy0 = -ty / zoom;
  const vx1 = vx0 + view.width / zoom, vy1 = vy0 + view.height / zoom;
  const painted: Painted = { nodes: 0, inside: 0, edges: 0 };

  const skip = "skip" in what ? what.skip : null;
  const nodeIds: Iterable<number> = "skip" in what ? scene.nodes.keys() : what.nodes;
  const edgeIds: Iterable<number> = "skip" in what ? scene.edges.keys() : what.edges;

  const edgePaths = new Map<EdgeLook, Path2D>();
  for (const i of edgeIds) {
    const e = scene.edges[i]!;
    if (skip && (skip.has(e.from) || skip.has(e.to))) continue;
    const s = scene.nodes[e.from]!;
    const t = scene.nodes[e.to]!;
    // from the middle of the source's right side to the middle of the target's left side
    const sx = s.x + s.w, sy = s.y + s.h / 2, ex = t.x, ey = t.y + t.h / 2;
    if (Math.max(sx, ex) < vx0 || Math.min(sx, ex) > vx1 || Math.max(sy, ey) < vy0 || Math.min(sy, ey) > vy1) continue;
    let p = edgePaths.get(e.look);
    if (!p) edgePaths.set(e.look, (p = new Path2D()));
    p.moveTo(sx, sy);
    p.lineTo(ex, ey);
    painted.edges++;
  }
  for (const { look, color, px: w } of EDGE_LOOKS) {
    const p = edgePaths.get(look);
    if (!p) continue;
    ctx.strokeStyle = color;
    ctx.lineWidth = w * px;
    ctx.stroke(p);
  }

  const fills = new Map<string, Path2D>();
  const bands = new Map<string, Path2D>();
  const outlines: Path2D[] = [new Path2D(), new Path2D()]; // plain, invalid
  const selected = new Path2D();
  const lineage = new Path2D();
  const marked: SceneNode[] = [];
  const diffed: SceneNode[] = [];
  const titled: SceneNode[] = [];
  for (const i of nodeIds) {
    if (skip?.has(i)) continue;
    const n = scene.nodes[i]!;
    if (n.x + n.w < vx0 || n.x > vx1 || n.y + n.h < vy0 || n.y > vy1) continue;
    painted.nodes++;
    if (n.x >= vx0 && n.y >= vy0 && n.x + n.w <= vx1 && n.y + n.h <= vy1) painted.inside++;
    const fill = n.invalid ? (tiny ? "#fca5a5" : "#fee2e2") : ((tiny ? KIND_FILL_TINY : KIND_FILL)[n.kind] ?? (tiny ? "#cbd5e1" : "#ffffff"));
    let f = fills.get(fill);
    if (!f) fills.set(fill, (f = new Path2D()));
    if (tiny) f.rect(n.x, n.y, n.w, n.h);
    else {
      f.roundRect(n.x, n.y, n.w, n.h, 8);
      outlines[n.invalid ? 1 : 0]!.roundRect(n.x, n.y, n.w, n.h, 8);
      const color = KIND_BAND[n.kind] ?? "#94a3b8";
      let b = bands.get(color);
      if (!b) bands.set(color, (b = new Path2D()));
      b.roundRect(n.x, n.y, n.w, 6, [8, 8, 0, 0]);
      titled.push(n);
    }
    if (n.selected) selected.roundRect(n.x, n.y, n.w, n.h, 8);
    if (n.lineage) lineage.roundRect(n.x, n.y, n.w, n.h, 8);
    if (n.mark) marked.push(n);
    if (n.diff) diffed.push(n);
  }
  // a removed node (compare mode) is a ghost: its tint goes under the box's outline
  for (const n of diffed) {
    if (n.diff !== "removed") continue;
    ctx.fillStyle = "rgba(254, 226, 226, 0.6)";
    ctx.fillRect(n.x, n.y, n.w, n.h);
  }
  for (const [color, p] of fills) {
    ctx.fillStyle = color;
    ctx.fill(p);
  }
  if (!tiny) {
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#d3d8e3";
    ctx.stroke(outlines[0]!);
    ctx.strokeStyle = DANGER;
    ctx.stroke(outlines[1]!);
    for (const [color, p] of bands) {
      ctx.fillStyle = color;
      ctx.fill(p);
    }
  }
  // at least a few screen pixels: far out a box is a pixel or two high, and the selection must still show
  ctx.lineWidth = Math.max(tiny ? 10 : 6, 2.5 * px);
  ctx.strokeStyle = tiny ? "rgba(37, 99, 235, 0.9)" : "rgba(37, 99, 235, 0.8)";
  ctx.stroke(selected);
  ctx.lineWidth = Math.max(tiny ? 14 : 12, 3 * px);
  ctx.strokeStyle = "rgba(245, 158, 11, 0.9)";
  ctx.stroke(lineage);
  for (const n of diffed) {
    // rings of a fixed screen width around the box, as the zoomed-in marks
    ctx.lineWidth = (n.diff === "removed" ? 3 : 4) * px;
    ctx.strokeStyle = n.diff === "added" ? "#16a34a" : n.diff === "changed" ? "#d97706" : DANGER;
    ctx.setLineDash(n.diff === "removed" ? [6 * px, 4 * px] : []);
    const out = ctx.lineWidth / 2;
    ctx.beginPath();
    ctx.roundRect(n.x - out, n.y - out, n.w + 2 * out, n.h + 2 * out, 8);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  if (titled.length) {
    ctx.font = TITLE_FONT;
    ctx.fillStyle = "#1f2937";
    for (const n of titled) ctx.fillText(n.title, n.x + 10, n.y + 29);
  }
  for (const n of marked) {
    ctx.beginPath();
    ctx.arc(n.x + n.w, n.y, 9, 0, 2 * Math.PI);
    ctx.fillStyle = n.mark === "fail" ? DANGER : "#f59e0b";
    ctx.fill();
    ctx.lineWidth = 3;
    ctx.strokeStyle = "white";
    ctx.stroke();
  }
  return painted;
}
