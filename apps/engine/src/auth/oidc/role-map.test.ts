import { describe, expect, it } from "vitest";
import { parseRoleMap, roleForGroups } from "./role-map.js";

describe("OIDC group → role map", () => {
  const map = parseRoleMap("millrace-admins=admin, millrace-ops=operator,*=viewer");

  it("gives the highest role of the user's groups, else the * role", () => {
    expect(roleForGroups(map, ["millrace-ops"])).toBe("operator");
    expect(roleForGroups(map, ["millrace-ops", "millrace-admins"])).toBe("admin");
    expect(roleForGroups(map, ["sales"])).toBe("viewer");
    expect(roleForGroups(map, [])).toBe("viewer");
  });

  it("gives no role without a match and without *", () => {
    expect(roleForGroups(parseRoleMap("millrace-ops=operator"), ["sales"])).toBeUndefined();
  });

  it("refuses entries it cannot read, naming them", () => {
    expect(() => parseRoleMap("ops")).toThrow(/"ops" is not group=role/);
    expect(() => parseRoleMap("ops=root")).toThrow(/names the role "root"/);
    expect(() => parseRoleMap(" , ")).toThrow(/maps no group/);
  });
});
