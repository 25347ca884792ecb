import { createServer, type Server } from "node:http";
import { randomBytes } from "node:crypto";
import { Provider } from "oidc-provider";

export interface TestOidcAccount {
  /** what one types into the provider's login form (it becomes the subject) */
  login: string;
  preferredUsername?: string;
  groups: string[];
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** accounts by login; change a user's groups between logins here */
  accounts: Map<string, TestOidcAccount>;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (the oidc-provider package) on 127.0.0.1: one confidential
 * client for `redirectUri`, the accounts given, a `groups` scope and claim. Its development login
 * form (any password) and consent page are what a browser or a test fills in.
 */
export async function startTestOidcProvider(port: number, redirectUri: string, accounts: TestOidcAccount[]): Promise<TestOidcProvider> {
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = "millrace";
  const clientSecret = randomBytes(16).toString("base64url");
  const byLogin = new Map(accounts.map((a) => [a.login, a]));
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], grant_types: ["authorization_code"], response_types: ["code"] }],
    claims: { openid: ["sub"], profile: ["preferred_username"], groups: ["groups"] },
    scopes: ["openid", "profile", "groups"],
    cookies: { keys: [randomBytes(16).toString("hex")] },
    features: { devInteractions: { enabled: true } },
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600 },
    findAccount: (_ctx: unknown, id: string) => {
      const account = byLogin.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, preferred_username: account.preferredUsername ?? id, groups: account.groups }),
      };
    },
  });
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    issuer,
    clientId,
    clientSecret,
    accounts: byLogin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
