import { hash, verify } from "@node-rs/argon2";

/** Algorithm.Argon2id: the enum is a const enum the build cannot inline across modules. */
const ARGON2ID = 2;
import { DomainError } from "../errors.js";

export const MIN_PASSWORD_LENGTH = 8;
/** Longer passwords buy nothing and cost hashing time an attacker would choose. */
const MAX_PASSWORD_LENGTH = 1024;
export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/** argon2id with the library's defaults (19 MiB, 2 passes: OWASP's minimum), salt per hash, in PHC form. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID });
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A hash to verify against when the user does not exist, so an unknown name takes as long as a wrong password. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword("not a password anyone has");
  return decoy;
}

export function checkNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new DomainError("INVALID", `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new DomainError("INVALID", `a password has at most ${MAX_PASSWORD_LENGTH} characters`);
}

export function checkUserName(name: string): void {
  if (!USER_NAME_PATTERN.test(name)) {
    throw new DomainError("INVALID", `"${name.slice(0, 80)}" is not a user name: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
}
