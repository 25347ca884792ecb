import { describe, expect, it } from "vitest";
import { incompatible, invalidSchema, RegistryError, subjectNotFound } from "../../schema-registry/errors.js";
import { domainErrorOf } from "./schema-registry.js";

describe("registry refusals in the API's terms", () => {
  it.each([
    [subjectNotFound("s"), "NOT_FOUND", "40401"],
    [incompatible("s", ["BACKWARD: x"]), "CONFLICT", "409"],
    [invalidSchema("bad"), "INVALID", "42201"],
    [new RegistryError(403, 40301, "no"), "FORBIDDEN", "40301"],
    [new RegistryError(429, 42901, "slow down"), "TOO_MANY", "42901"],
  ] as const)("%s → %s", (e, code, errorCode) => {
    const mapped = domainErrorOf(e);
    expect(mapped.code).toBe(code);
    expect(mapped.message).toBe(`${e.message} (error ${errorCode})`);
  });
});
