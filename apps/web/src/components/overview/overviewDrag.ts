/**
 * What a press on an overview box does (pure: no DOM, no React): which nodes a drag moves,
 * where they are at each pointer position, and what a click selects. Mirrors React Flow's own
 * rules for its nodes, so the far-out view behaves as the zoomed-in one.
 */
import type { Position } from "@millrace/flow";

/** Screen pixels the pointer must travel before a press becomes a drag (React Flow's default). */
export const DRAG_THRESHOLD_PX = 1;

export interface DragStart {
  /** where each dragged node was when the drag started */
  from: Readonly<Record<string, Position>>;
  /** the pointer at the press, in screen pixels */
  pointer: { x: number; y: number };
  /** the canvas zoom during the drag */
  zoom: number;
}

/** The nodes a drag from `hit` moves: the whole selection when `hit` is in it, else `hit` alone. */
export function dragTargets(hit: string, selected: readonly string[], movable: (id: string) => boolean): string[] {
  if (!selected.includes(hit)) return [hit];
  return selected.filter(movable);
}

export function pastThreshold(start: { x: number; y: number }, pointer: { x: number; y: number }): boolean {
  return Math.abs(pointer.x - start.x) > DRAG_THRESHOLD_PX || Math.abs(pointer.y - start.y) > DRAG_THRESHOLD_PX;
}

/** Where the dragged nodes are with the pointer at `pointer` (snapped to `grid` when given). */
export function draggedPositions(start: DragStart, pointer: { x: number; y: number }, grid: readonly [number, number] | null): Record<string, Position> {
  const dx = (pointer.x - start.pointer.x) / start.zoom;
  const dy = (pointer.y - start.pointer.y) / start.zoom;
  const out: Record<string, Position> = {};
  for (const id in start.from) {
    const p = start.from[id]!;
    const x = p.x + dx;
    const y = p.y + dy;
    out[id] = grid ? { x: Math.round(x / grid[0]) * grid[0], y: Math.round(y / grid[1]) * grid[1] } : { x, y };
  }
  return out;
}

/** True when a drag ends where it started (nothing to commit, no undo step). */
export function unmoved(start: DragStart, positions: Readonly<Record<string, Position>>): boolean {
  for (const id in positions) {
    const a = positions[id]!;
    const b = start.from[id];
    if (!b || a.x !== b.x || a.y !== b.y) return false;
  }
  return true;
}

/** The node selection after a click on `hit`: `toggle` (Ctrl/Cmd) adds or removes it, else it alone. */
export function clickSelection(hit: string, selected: readonly string[], toggle: boolean): string[] {
  if (!toggle) return [hit];
  return selected.includes(hit) ? selected.filter((id) => id !== hit) : [...selected, hit];
}
