import { describe, expect, it } from "vitest";
import { NodeIndex, type NodeRect } from "./nodeIndex";

const box = (id: string, x: number, y: number, w = 210, h = 44): NodeRect => ({ id, x, y, w, h });

describe("the overview's node index", () => {
  it("finds the box under a point, anywhere on it, and nothing between boxes", () => {
    const index = new NodeIndex([box("a", 0, 0), box("b", 260, 0), box("c", 0, 130)]);
    expect(index.at(5, 5)?.id).toBe("a");
    expect(index.at(210, 44)?.id).toBe("a"); // the far corner is still on the box
    expect(index.at(300, 20)?.id).toBe("b");
    expect(index.at(100, 150)?.id).toBe("c");
    expect(index.at(230, 20)).toBeUndefined();
    expect(index.at(100, 90)).toBeUndefined();
    expect(index.at(-5, 5)).toBeUndefined();
  });

  it("answers the box drawn last where boxes overlap (the one people see on top)", () => {
    const index = new NodeIndex([box("under", 0, 0), box("over", 100, 20)]);
    expect(index.at(150, 30)?.id).toBe("over");
    expect(index.at(50, 10)?.id).toBe("under");
  });

  it("finds boxes across cell borders and at negative positions", () => {
    const index = new NodeIndex([box("edge", 500, 500), box("neg", -1000, -700)]);
    expect(index.at(505, 505)?.id).toBe("edge");
    expect(index.at(700, 540)?.id).toBe("edge"); // the part in the next cell
    expect(index.at(-900, -680)?.id).toBe("neg");
  });

  it("takes a point just beside a box as that box when asked to (far out a box is a pixel high), the nearest one first", () => {
    const index = new NodeIndex([box("a", 0, 0), box("b", 0, 130)]);
    expect(index.near(100, 50, 10)?.id).toBe("a");
    expect(index.near(100, 125, 10)?.id).toBe("b");
    expect(index.near(100, 87, 10)).toBeUndefined();
    expect(index.near(100, 20, 0)?.id).toBe("a");
    expect(index.near(100, 50, 0)).toBeUndefined();
  });

  it("lists the boxes wholly inside a rectangle, corners in any order, in drawing order", () => {
    const rects = Array.from({ length: 50 }, (_, i) => box(`n${i}`, (i % 10) * 260, Math.floor(i / 10) * 130));
    const index = new NodeIndex(rects);
    // rows 0–1, columns 0–2; a box cut by the rectangle's border is left out
    const ids = index.inside(800, 200, -10, -10).map((r) => r.id);
    expect(ids).toEqual(["n0", "n1", "n2", "n10", "n11", "n12"]);
    expect(index.inside(0, 0, 100, 100)).toEqual([]);
  });

  it("is as right as a scan over all boxes, for a 5,000-node flow", () => {
    const rects: NodeRect[] = [];
    for (let c = 0; c < 25; c++) for (let r = 0; r < 200; r++) rects.push(box(`n${c}_${r}`, c * 260, r * 130));
    const index = new NodeIndex(rects);
    for (const [x, y] of [[12, 3], [2615, 13005], [6450, 25900], [259, 50], [5200, 20000], [6449, 25914]] as const) {
      const scan = [...rects].reverse().find((b) => x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h);
      expect(index.at(x, y)?.id).toBe(scan?.id);
    }
    expect(index.inside(-1, -1, 6500, 26000)).toHaveLength(5000);
  });
});
