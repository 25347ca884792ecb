import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { InternalNode } from "@xyflow/react";
import { drawnPosition, LowDrag, wrapperTransform } from "./lowDrag";

const internal = (id: string, x: number, y: number, extra: Partial<InternalNode> = {}) =>
  ({ id, type: "processor", position: { x, y }, data: {}, measured: { width: 210, height: 44 }, internals: { positionAbsolute: { x, y }, z: 0, userNode: {} }, ...extra }) as unknown as InternalNode;

/** A canvas element with one wrapper per id (what React Flow renders), found by data-id. */
function fakeCanvas(ids: string[]) {
  const wrappers = new Map(ids.map((id) => [id, { style: { transform: "" } }]));
  const queries: string[] = [];
  const dom = {
    querySelector: (sel: string) => {
      queries.push(sel);
      const id = /data-id="([^"]+)"/.exec(sel)?.[1];
      return (id && wrappers.get(id)) ?? null;
    },
  } as unknown as Element;
  return { dom, wrappers, queries };
}

describe("a drag drawn by the low-detail layers", () => {
  let frames: FrameRequestCallback[];
  beforeEach(() => {
    frames = [];
    vi.stubGlobal("CSS", { escape: (s: string) => s });
    vi.stubGlobal("requestAnimationFrame", (f: FrameRequestCallback) => frames.push(f));
  });
  afterEach(() => vi.unstubAllGlobals());

  it("moves the dragged wrappers and tells the layers, without touching other nodes", () => {
    const lookup = new Map([["a", internal("a", 0, 0)], ["b", internal("b", 300, 0)]]);
    const { dom, wrappers, queries } = fakeCanvas(["a", "b"]);
    const drag = new LowDrag();
    const told = vi.fn();
    drag.subscribe(told);
    expect(drag.move({ a: { x: 10, y: 20 } }, lookup, dom)).toBe(true);
    expect(wrappers.get("a")!.style.transform).toBe("translate(10px,20px)");
    expect(wrappers.get("b")!.style.transform).toBe("");
    expect(told).toHaveBeenCalledTimes(1);
    expect(drawnPosition(drag, "a", lookup.get("a"))).toEqual({ x: 10, y: 20 });
    expect(drawnPosition(drag, "b", lookup.get("b"))).toEqual({ x: 300, y: 0 });
    // the wrapper is looked up once per drag, not per frame
    drag.move({ a: { x: 11, y: 21 } }, lookup, dom);
    expect(queries).toHaveLength(1);
    expect(wrappers.get("a")!.style.transform).toBe(wrapperTransform({ x: 11, y: 21 }));
  });

  it("leaves nodes inside a parent, or that are not processors, to React Flow's store", () => {
    const { dom } = fakeCanvas(["c", "g"]);
    const drag = new LowDrag();
    expect(drag.move({ c: { x: 1, y: 1 } }, new Map([["c", internal("c", 0, 0, { parentId: "g" })]]), dom)).toBe(false);
    expect(drag.move({ g: { x: 1, y: 1 } }, new Map([["g", internal("g", 0, 0, { type: "groupBox" })]]), dom)).toBe(false);
    expect(drag.move({ x: { x: 1, y: 1 } }, new Map(), dom)).toBe(false);
    expect(drag.move({ c: { x: 1, y: 1 } }, new Map([["c", internal("c", 0, 0)]]), null)).toBe(false);
    expect(drag.positions).toBeNull();
  });

  it("goes back to React Flow's positions a frame after the drop, unless a new drag has started", () => {
    const lookup = new Map([["a", internal("a", 0, 0)]]);
    const { dom } = fakeCanvas(["a"]);
    const drag = new LowDrag();
    const told = vi.fn();
    drag.subscribe(told);
    drag.move({ a: { x: 5, y: 5 } }, lookup, dom);
    drag.end();
    expect(drag.positions).toEqual({ a: { x: 5, y: 5 } });
    frames.shift()!(0);
    expect(drag.positions).toBeNull();
    expect(told).toHaveBeenCalledTimes(2);
    expect(drawnPosition(drag, "a", lookup.get("a"))).toEqual({ x: 0, y: 0 });

    drag.move({ a: { x: 6, y: 6 } }, lookup, dom);
    drag.end();
    drag.move({ a: { x: 7, y: 7 } }, lookup, dom);
    frames.shift()!(0);
    expect(drag.positions).toEqual({ a: { x: 7, y: 7 } });
  });

  it("draws nothing for a hidden node", () => {
    const drag = new LowDrag();
    expect(drawnPosition(drag, "h", internal("h", 1, 2, { hidden: true }))).toBeUndefined();
    expect(drawnPosition(drag, "h", undefined)).toBeUndefined();
  });
});
