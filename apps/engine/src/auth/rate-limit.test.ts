import { describe, expect, it } from "vitest";
import { LoginRateLimiter } from "./rate-limit.js";

describe("login rate limit", () => {
  it("locks a name after 5 failures in a minute, naming the seconds to wait, and opens again after the minute", () => {
    let now = 0;
    const limiter = new LoginRateLimiter(5, () => now);
    for (let i = 0; i < 5; i++) {
      limiter.check("alice", `10.0.0.${i}`);
      limiter.failed("alice", `10.0.0.${i}`);
    }
    now = 20_000;
    expect(() => limiter.check("ALICE", "10.0.0.99")).toThrow(expect.objectContaining({ code: "TOO_MANY", message: expect.stringContaining("try again in 40 s") }));
    now = 60_001;
    expect(() => limiter.check("alice", "10.0.0.99")).not.toThrow();
  });

  it("locks an address whatever names it tries; a good login clears the name only", () => {
    const limiter = new LoginRateLimiter(3, () => 0);
    for (const name of ["a", "b", "c"]) limiter.failed(name, "10.0.0.1");
    expect(() => limiter.check("d", "10.0.0.1")).toThrow(/too many failed logins/);
    expect(() => limiter.check("d", "10.0.0.2")).not.toThrow();
    limiter.failed("e", "1.1.1.1");
    limiter.failed("e", "1.1.1.2");
    limiter.succeeded("e");
    limiter.failed("e", "1.1.1.3");
    expect(() => limiter.check("e", "1.1.1.4")).not.toThrow();
  });

  it("keeps at most 10,000 windows (the oldest go first)", () => {
    const limiter = new LoginRateLimiter(1, () => 0);
    for (let i = 0; i < 20_000; i++) limiter.failed(`u${i}`, "10.0.0.1");
    expect((limiter as unknown as { windows: Map<string, unknown> }).windows.size).toBeLessThanOrEqual(10_000);
    expect(() => limiter.check("u19999", "10.9.9.9")).toThrow(/too many/);
  });
});
