import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import { DomainError, invalidFlow } from "../errors.js";
import type { Services } from "../services.js";
import { createCallerFactory, publicProcedure, router } from "./trpc.js";

const testRouter = router({
  conflict: publicProcedure.query(() => {
    throw new DomainError("CONFLICT", "flow x was saved elsewhere", { latestVersion: 3 });
  }),
  invalid: publicProcedure.mutation(() => {
    throw invalidFlow("the file is not a valid Millrace flow", [
      { path: "nodes[0].position", message: "required" },
      { path: "name", message: "long", severity: "warning" },
    ]);
  }),
  broken: publicProcedure.query(() => {
    throw new Error("disk on fire");
  }),
  typed: publicProcedure.input(z.object({ n: z.number() })).query(({ input }) => input.n),
  stream: publicProcedure.subscription(async function* () {
    yield 1;
    throw new DomainError("TOO_MANY", "32 taps are open on this engine already");
  }),
});

const caller = createCallerFactory(testRouter)({ services: {} as Services });

describe("domain errors through tRPC", () => {
  it("maps each domain code to its tRPC code and keeps the message", async () => {
    await expect(caller.conflict()).rejects.toMatchObject({ code: "CONFLICT", message: "flow x was saved elsewhere" });
    await expect(caller.invalid()).rejects.toMatchObject({ code: "BAD_REQUEST", message: "the file is not a valid Millrace flow:\nnodes[0].position: required" });
  });

  it("leaves other errors alone: engine failures stay INTERNAL_SERVER_ERROR, bad input BAD_REQUEST", async () => {
    await expect(caller.broken()).rejects.toMatchObject({ code: "INTERNAL_SERVER_ERROR", message: "disk on fire" });
    await expect(caller.typed({ n: "1" as unknown as number })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("maps an error a subscription throws while it streams", async () => {
    const seen: unknown[] = [];
    const iterate = async () => {
      for await (const x of await caller.stream()) seen.push(x);
    };
    await expect(iterate()).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS", message: "32 taps are open on this engine already" });
    expect(seen).toEqual([1]);
  });

  describe("over HTTP", () => {
    const server = createHTTPServer({ router: testRouter, createContext: () => ({ services: {} as Services }) });
    let url = "";
    beforeAll(async () => {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("sends the code, its HTTP status and a refused document's path-named issues (warnings left out)", async () => {
      const res = await fetch(`${url}/invalid`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { message: string; data: { code: string; errors?: unknown } } };
      expect(body.error.data.code).toBe("BAD_REQUEST");
      expect(body.error.data.errors).toEqual([{ path: "nodes[0].position", message: "required" }]);
      const conflict = await fetch(`${url}/conflict`);
      expect(conflict.status).toBe(409);
      expect(((await conflict.json()) as { error: { data: { errors?: unknown } } }).error.data.errors).toBeUndefined();
    });
  });
});
