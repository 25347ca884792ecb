import { describe, expect, it } from "vitest";
import { clickSelection, draggedPositions, dragTargets, pastThreshold, unmoved, type DragStart } from "./overviewDrag";

const start: DragStart = { from: { a: { x: 100, y: 200 }, b: { x: 360, y: 200 } }, pointer: { x: 50, y: 60 }, zoom: 0.1 };

describe("a drag on the overview", () => {
  it("moves the whole selection when the pressed node is in it, else that node alone", () => {
    const movable = (id: string) => id !== "group:g1";
    expect(dragTargets("a", ["a", "b", "group:g1"], movable)).toEqual(["a", "b"]);
    expect(dragTargets("c", ["a", "b"], movable)).toEqual(["c"]);
    expect(dragTargets("a", [], movable)).toEqual(["a"]);
  });

  it("becomes a drag only past React Flow's threshold (a click that jitters by a pixel stays a click)", () => {
    expect(pastThreshold({ x: 10, y: 10 }, { x: 11, y: 10 })).toBe(false);
    expect(pastThreshold({ x: 10, y: 10 }, { x: 12, y: 10 })).toBe(true);
    expect(pastThreshold({ x: 10, y: 10 }, { x: 10, y: 7 })).toBe(true);
  });

  it("moves every dragged node by the pointer's travel in flow units (screen pixels ÷ zoom)", () => {
    expect(draggedPositions(start, { x: 53, y: 58 }, null)).toEqual({ a: { x: 130, y: 180 }, b: { x: 390, y: 180 } });
    expect(draggedPositions(start, start.pointer, null)).toEqual(start.from);
  });

  it("snaps each node to the grid when snapping is on", () => {
    expect(draggedPositions(start, { x: 51.2, y: 60.4 }, [20, 20])).toEqual({ a: { x: 120, y: 200 }, b: { x: 380, y: 200 } });
  });

  it("knows a drag that ends where it began (no document change, no undo step)", () => {
    expect(unmoved(start, draggedPositions(start, start.pointer, null))).toBe(true);
    expect(unmoved(start, draggedPositions(start, { x: 53, y: 60 }, null))).toBe(false);
  });

  it("selects like React Flow on click: the node alone, or Ctrl/Cmd adds and removes it", () => {
    expect(clickSelection("a", ["b", "c"], false)).toEqual(["a"]);
    expect(clickSelection("a", ["b"], true)).toEqual(["b", "a"]);
    expect(clickSelection("b", ["a", "b"], true)).toEqual(["a"]);
  });
});
