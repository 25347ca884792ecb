import { describe, expect, it } from "vitest";
import type { FlowNode } from "@millrace/flow";
import { LOW_DETAIL_ZOOM } from "./canvasDetail";
import { RECENT_ERROR_MS, type NodeLive } from "../store/statsStore";
import { bandPath, estimateFit, FIT_LIMITS, LOW_H, LOW_W, lowMarks, lowNodeClass, lowTitle } from "./lowDetail";

const node = (id: string, x: number, y: number): FlowNode => ({ id, type: "filter", typeVersion: 1, config: {}, position: { x, y } });

describe("low-detail canvas pieces", () => {
  it("classes a box by kind and marks", () => {
    expect(lowNodeClass("source", false, false, false, false)).toBe("mr-lnode kind-source");
    expect(lowNodeClass(undefined, true, true, true, true)).toBe("mr-lnode kind-unknown selected invalid lineage lineage-hover");
  });

  it("shortens long titles with an ellipsis, keeps short ones", () => {
    expect(lowTitle("Kafka source")).toBe("Kafka source");
    const t = lowTitle("A very long processor name indeed");
    expect(t.length).toBe(20);
    expect(t.endsWith("…")).toBe(true);
  });

  it("draws the band along the box's top edge", () => {
    const d = bandPath(100, 50);
    expect(d.startsWith("M100.25,56")).toBe(true);
    expect(d).toContain(`H${100 + LOW_W - 8}`);
    expect(d.endsWith(`${100 + LOW_W - 0.25},56Z`)).toBe(true);
  });

  it.each([40, 200])("fits a big flow (25 layers × %i rows) as low-detail boxes, all of it inside the canvas", (rows) => {
    const nodes: FlowNode[] = [];
    for (let c = 0; c < 25; c++) for (let r = 0; r < rows; r++) nodes.push(node(`n${c}_${r}`, c * 260, r * 130));
    const vp = estimateFit({ nodes }, {}, 676, 748)!;
    expect(vp.zoom).toBeLessThan(LOW_DETAIL_ZOOM);
    expect(vp.zoom).toBeGreaterThan(FIT_LIMITS.minZoom);
    // the farthest box (bottom-right, low-detail height) lies inside the canvas
    const right = vp.x + (24 * 260 + LOW_W) * vp.zoom;
    const bottom = vp.y + ((rows - 1) * 130 + LOW_H) * vp.zoom;
    expect(right).toBeLessThanOrEqual(676);
    expect(bottom).toBeLessThanOrEqual(748);
    expect(vp.x).toBeGreaterThanOrEqual(0);
    expect(vp.y).toBeGreaterThanOrEqual(0);
  });

  it("fits a small flow at full detail (at most zoom 1), and nothing without nodes or a canvas size", () => {
    const vp = estimateFit({ nodes: [node("a", 0, 0), node("b", 300, 0)] }, { a: { width: 210, height: 90 } }, 800, 600)!;
    expect(vp.zoom).toBe(FIT_LIMITS.maxZoom);
    expect(estimateFit({ nodes: [] }, {}, 800, 600)).toBeNull();
    expect(estimateFit({ nodes: [node("a", 0, 0)] }, {}, 0, 0)).toBeNull();
  });

  it("marks nodes failing now or paused, not the others", () => {
    const now = 1_000_000;
    const live = (p: Partial<NodeLive>) => ({ in: 0, out: 0, errors: 0, rate1s: 0, ...p }) as NodeLive;
    expect(
      lowMarks({ a: live({ lastErrorAt: now - 100 }), b: live({ paused: true }), c: live({ lastErrorAt: now - RECENT_ERROR_MS - 1 }), d: live({}) }, now),
    ).toEqual({ a: "fail", b: "paused" });
  });
});
