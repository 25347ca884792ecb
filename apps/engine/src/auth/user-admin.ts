import type { UserRepository, UserSummary } from "../db/index.js";
import { checkNewPassword, checkUserName, hashPassword } from "./passwords.js";
import type { Role } from "./roles.js";
import { checkedGroupNames } from "../access/index.js";

/** Adding, listing, re-roling and removing users (admins only; the router says so). */
export class UserAdmin {
  constructor(private readonly users: UserRepository) {}

  list(): Promise<UserSummary[]> {
    return this.users.list();
  }

  async add(name: string, role: Role, password: string): Promise<void> {
    checkUserName(name);
    checkNewPassword(password);
    await this.users.add({ name, role, passwordHash: await hashPassword(password) });
  }

  setRole(name: string, role: Role): Promise<void> {
    return this.users.setRole(name, role);
  }

  /** Replaces its groups (names checked like user names, duplicates dropped). */
  setGroups(name: string, groups: readonly string[]): Promise<void> {
    return this.users.setGroups(name, checkedGroupNames(groups));
  }

  /** Its sessions and tokens go with it (they fail with 401 from now on). */
  remove(name: string): Promise<void> {
    return this.users.remove(name);
  }
}
