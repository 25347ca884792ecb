import { randomUUID } from "node:crypto";
import type { ApiTokenRepository, ApiTokenSummary } from "../db/index.js";
import { DomainError } from "../errors.js";
import { atLeast, type Role } from "./roles.js";
import { newApiToken, tokenHash } from "./secret-tokens.js";

const TOKEN_NAME_MAX = 100;

/** API tokens: never more rights than their creator; a user sees and revokes their own, an admin anyone's. */
export class TokenIssuer {
  constructor(private readonly apiTokens: ApiTokenRepository) {}

  /** The token itself is in the answer only: what is stored is its hash. */
  async create(creator: { name: string; role: Role }, role: Role, name: string): Promise<{ id: string; name: string; role: Role; token: string }> {
    if (!atLeast(creator.role, role)) throw new DomainError("FORBIDDEN", `a token cannot have more rights than its creator: you are ${creator.role}, the token asked for ${role}`);
    const tokenName = name.trim().slice(0, TOKEN_NAME_MAX) || "token";
    const token = newApiToken();
    const id = randomUUID();
    await this.apiTokens.create({ id, tokenHash: tokenHash(token), name: tokenName, role, owner: creator.name });
    return { id, name: tokenName, role, token };
  }

  list(caller: { name: string; role: Role }): Promise<ApiTokenSummary[]> {
    return this.apiTokens.list(caller.role === "admin" ? undefined : caller.name);
  }

  async revoke(caller: { name: string; role: Role }, id: string): Promise<void> {
    const gone = await this.apiTokens.revoke(id, caller.role === "admin" ? undefined : caller.name);
    if (!gone) throw new DomainError("NOT_FOUND", `no token ${id} of yours`);
  }
}
