import { describe, expect, it } from "vitest";
import { hasRole, roleReason } from "./roles";

describe("roles", () => {
  it("orders viewer < operator < editor < admin", () => {
    expect(hasRole("viewer", "operator")).toBe(false);
    expect(hasRole("operator", "operator")).toBe(true);
    expect(hasRole("operator", "editor")).toBe(false);
    expect(hasRole("editor", "operator")).toBe(true);
    expect(hasRole("admin", "editor")).toBe(true);
  });

  it("names the needed role when refusing, and allows everything on an engine without identities", () => {
    expect(roleReason("viewer", "deploy")).toBe("Needs the operator role (you are viewer)");
    expect(roleReason("operator", "edit")).toBe("Needs the editor role (you are operator)");
    expect(roleReason("editor", "users")).toBe("Needs the admin role (you are editor)");
    expect(roleReason("editor", "edit")).toBe("");
    expect(roleReason("viewer", "tableSnapshot")).toBe("Needs the operator role (you are viewer)");
    expect(roleReason(undefined, "users")).toBe("");
  });
});
