import { afterEach, describe, expect, it, vi } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { api } from "./api/client";
import { saveFlow, takePrefetchedFlow } from "./session";
import { flowActions, useFlowStore } from "./store/flowStore";
import { useUiStore } from "./store/uiStore";

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

describe("the first save of a new flow", () => {
  afterEach(() => vi.restoreAllMocks());

  it("is based on version 0, so the engine refuses it when the id is taken instead of adding a version to that flow", async () => {
    flowActions.newFlow();
    const save = vi.spyOn(api.flows, "save").mockResolvedValue({ id: useFlowStore.getState().doc.id, version: 1, created: true });
    expect(await saveFlow()).toBe(true);
    expect(save).toHaveBeenCalledWith(expect.objectContaining({ baseVersion: 0 }));
    expect(useFlowStore.getState().baseVersion).toBe(1);
    // saved once, the next save is based on the version it made
    await saveFlow();
    expect(save).toHaveBeenLastCalledWith(expect.objectContaining({ baseVersion: 1 }));
  });

  it("stays an unsaved draft with the conflict shown when the engine refuses it", async () => {
    flowActions.newFlow();
    const refusal = Object.assign(new TRPCClientError<never>('a flow with id "x" already exists'), { data: { code: "CONFLICT" } });
    vi.spyOn(api.flows, "save").mockRejectedValue(refusal);
    expect(await saveFlow()).toBe(false);
    expect(useFlowStore.getState().baseVersion).toBeUndefined();
    expect(useUiStore.getState().conflict).toMatchObject({ message: expect.stringMatching(/already exists/) });
  });
});
