/**
 * Which node box lies under a point, and which boxes lie inside a rectangle, for the overview
 * (a big flow zoomed far out, drawn without React Flow's nodes): a uniform grid over the boxes,
 * so a click or hover among 5,000 boxes looks at the few boxes of one cell instead of all.
 */

export interface NodeRect {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Flow units per grid cell: a few boxes wide, so a cell holds a handful of them. */
const CELL = 512;
/** Cell coordinates packed into one number key (±1,000,000 cells either way is far beyond any flow). */
const key = (cx: number, cy: number) => (cx + 1_000_000) * 2_000_001 + (cy + 1_000_000);

export class NodeIndex {
  private readonly cells = new Map<number, number[]>();

  /** `rects` in drawing order: a later box is drawn over an earlier one, and wins a hit. */
  constructor(private readonly rects: readonly NodeRect[]) {
    rects.forEach((r, i) => {
      for (let cx = Math.floor(r.x / CELL); cx <= Math.floor((r.x + r.w) / CELL); cx++)
        for (let cy = Math.floor(r.y / CELL); cy <= Math.floor((r.y + r.h) / CELL); cy++) {
          const k = key(cx, cy);
          const list = this.cells.get(k);
          if (list) list.push(i);
          else this.cells.set(k, [i]);
        }
    });
  }

  /** The topmost box containing the point (flow coordinates), if any. */
  at(x: number, y: number): NodeRect | undefined {
    const list = this.cells.get(key(Math.floor(x / CELL), Math.floor(y / CELL)));
    if (!list) return undefined;
    for (let j = list.length - 1; j >= 0; j--) {
      const r = this.rects[list[j]!]!;
      if (x >= r.x && x <= r.x + r.w && y >= r.y && y <= r.y + r.h) return r;
    }
    return undefined;
  }

  /**
   * The box nearest to the point within `slop` (flow units), the box under it first: far out a
   * box is a pixel or two high, so a click a pixel beside it still means it.
   */
  near(x: number, y: number, slop: number): NodeRect | undefined {
    const under = this.at(x, y);
    if (under || slop <= 0) return under;
    let best: NodeRect | undefined;
    let bestD = slop;
    for (let cx = Math.floor((x - slop) / CELL); cx <= Math.floor((x + slop) / CELL); cx++)
      for (let cy = Math.floor((y - slop) / CELL); cy <= Math.floor((y + slop) / CELL); cy++)
        for (const i of this.cells.get(key(cx, cy)) ?? []) {
          const r = this.rects[i]!;
          const d = Math.hypot(Math.max(r.x - x, 0, x - r.x - r.w), Math.max(r.y - y, 0, y - r.y - r.h));
          if (d <= bestD) {
            bestD = d;
            best = r;
          }
        }
    return best;
  }

  /** The boxes wholly inside the rectangle between two corners (any order), in drawing order. */
  inside(ax: number, ay: number, bx: number, by: number): NodeRect[] {
    const x0 = Math.min(ax, bx), x1 = Math.max(ax, bx), y0 = Math.min(ay, by), y1 = Math.max(ay, by);
    const seen = new Set<number>();
    for (let cx = Math.floor(x0 / CELL); cx <= Math.floor(x1 / CELL); cx++)
      for (let cy = Math.floor(y0 / CELL); cy <= Math.floor(y1 / CELL); cy++)
        for (const i of this.cells.get(key(cx, cy)) ?? []) {
          const r = this.rects[i]!;
          if (r.x >= x0 && r.y >= y0 && r.x + r.w <= x1 && r.y + r.h <= y1) seen.add(i);
        }
    return [...seen].sort((a, b) => a - b).map((i) => this.rects[i]!);
  }
}
