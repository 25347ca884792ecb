import { describe, expect, it } from "vitest";
import { takePrefetchedFlow } from "./session";

describe("flow prefetched by index.html", () => {
  const answer = { flow: { id: "f1" }, document: { id: "f1" } };

  it("is taken once, for its own id", async () => {
    const w = { __mrFlowPrefetch: { id: "f1", res: Promise.resolve([{ result: { data: answer } }]) } };
    expect(await takePrefetchedFlow("other", w)).toBeUndefined();
    expect(await takePrefetchedFlow("f1", w)).toEqual(answer);
    expect(await takePrefetchedFlow("f1", w)).toBeUndefined();
  });

  it("gives nothing for an error answer or a failed fetch (the caller asks the API)", async () => {
    expect(await takePrefetchedFlow("f1", { __mrFlowPrefetch: { id: "f1", res: Promise.resolve([{ error: { message: "flow f1 does not exist" } }]) } })).toBeUndefined();
    expect(await takePrefetchedFlow("f1", { __mrFlowPrefetch: { id: "f1", res: Promise.reject(new Error("offline")) } })).toBeUndefined();
    expect(await takePrefetchedFlow("f1", {})).toBeUndefined();
  });
});
