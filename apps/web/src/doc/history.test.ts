import { describe, expect, it } from "vitest";
import { commit, initHistory, redo, undo, canUndo, canRedo } from "./history";

describe("history", () => {
  it("undoes and redoes steps in order", () => {
    let h = initHistory(1);
    h = commit(h, 2, { now: 0 });
    h = commit(h, 3, { now: 10_000 });
    expect(h.present).toBe(3);
    h = undo(h);
    expect(h.present).toBe(2);
    h = undo(h);
    expect(h.present).toBe(1);
    expect(canUndo(h)).toBe(false);
    h = undo(h);
    expect(h.present).toBe(1);
    h = redo(h);
    h = redo(h);
    expect(h.present).toBe(3);
    expect(canRedo(h)).toBe(false);
  });

  it("drops the redo branch on a new commit", () => {
    let h = initHistory("a");
    h = commit(h, "b", { now: 0 });
    h = undo(h);
    h = commit(h, "c", { now: 5000 });
    expect(h.future).toEqual([]);
    expect(undo(h).present).toBe("a");
  });

  it("ignores a commit of the same value", () => {
    const h = commit(initHistory({ a: 1 }), { a: 2 });
    expect(commit(h, h.present)).toBe(h);
  });

  it("coalesces commits with the same key inside the window", () => {
    let h = initHistory("");
    h = commit(h, "v", { key: "cfg:n1:expression", now: 0 });
    h = commit(h, "va", { key: "cfg:n1:expression", now: 300 });
    h = commit(h, "val", { key: "cfg:n1:expression", now: 600 });
    expect(h.past).toEqual([""]);
    h = commit(h, "valx", { key: "cfg:n1:expression", now: 5000 });
    expect(h.past).toEqual(["", "val"]);
    h = commit(h, "other", { key: "cfg:n2:expression", now: 5100 });
    expect(h.past).toEqual(["", "val", "valx"]);
    expect(undo(undo(undo(h))).present).toBe("");
  });

  it("does not coalesce after an undo", () => {
    let h = initHistory(0);
    h = commit(h, 1, { key: "k", now: 0 });
    h = undo(h);
    h = commit(h, 2, { key: "k", now: 10 });
    expect(h.past).toEqual([0]);
  });

  it("keeps at most `limit` steps", () => {
    let h = initHistory(0);
    for (let i = 1; i <= 10; i++) h = commit(h, i, { limit: 3 });
    expect(h.past).toEqual([7, 8, 9]);
  });
});
