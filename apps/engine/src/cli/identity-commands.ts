// login / logout / token / user: the CLI side of users, roles and API tokens.
import { hostname, userInfo } from "node:os";
import { UsageError, type Parsed } from "./args.js";
import { engineClient, httpStatusOf, type EngineClient } from "./client.js";
import { removeCredential, storeCredential, storedCredential } from "./credentials.js";
import { print, table } from "./output.js";
import { readPassword } from "./password-input.js";

const ROLES = ["viewer", "operator", "editor", "admin"] as const;
type Role = (typeof ROLES)[number];

function role(value: string | true | undefined, usage: string): Role {
  if (typeof value !== "string") throw new UsageError(`missing ROLE: ${usage}`);
  if (!(ROLES as readonly string[]).includes(value)) throw new UsageError(`unknown role "${value}": one of ${ROLES.join(", ")}`);
  return value as Role;
}

function positional(p: Parsed, i: number, usage: string, what: string): string {
  const v = p.positionals[i];
  if (!v) throw new UsageError(`missing ${what}: ${usage}`);
  return v;
}

const when = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString().replace(/\.\d+Z$/, "Z") : "-");

/** Answers undefined when `cmd` is not one of these commands. */
export async function runIdentityCommands(cmd: string, p: Parsed, url: string, api: () => EngineClient, json: boolean): Promise<number | undefined> {
  const sub = p.positionals[1];
  if (cmd === "login") {
    const name = p.flags.get("--user");
    if (typeof name !== "string") throw new UsageError("missing --user: millrace login --user NAME");
    const password = await readPassword(`password for ${name} at ${url}: `);
    // logging in needs no token; an old or foreign one must not be sent along
    const r = await engineClient(url, "")
      .auth.cliLogin.mutate({ name, password, tokenName: `cli ${userInfo().username}@${hostname()}` })
      .catch((e: unknown) => {
        // a refused password is a 401 too, but "not logged in" would be no answer to it
        throw httpStatusOf(e) === 401 ? new Error((e as Error).message) : e;
      });
    const file = storeCredential({ url, token: r.token, user: r.name });
    if (json) print({ name: r.name, role: r.role, url, credentials: file });
    else print(`logged in to ${url} as ${r.name} (${r.role}); token stored in ${file}`);
    return 0;
  }
  if (cmd === "logout") {
    const stored = storedCredential(url);
    if (!stored) {
      print(`not logged in to ${url}`);
      return 0;
    }
    try {
      await engineClient(url, stored.token).auth.logout.mutate();
    } finally {
      // forget the token even when the engine cannot be told: it is the user's intent
      removeCredential(url);
    }
    print(`logged out of ${url}`);
    return 0;
  }
  if (cmd === "token") return tokenCommand(sub, p, api, json);
  if (cmd === "user") return userCommand(sub, p, api, json);
  return undefined;
}

async function tokenCommand(sub: string | undefined, p: Parsed, api: () => EngineClient, json: boolean): Promise<number> {
  if (sub === "create") {
    const usage = "millrace token create --role ROLE [--name N]";
    const name = p.flags.get("--name");
    const r = await api().tokens.create.mutate({ role: role(p.flags.get("--role"), usage), name: typeof name === "string" ? name : undefined });
    if (json) print(r);
    else {
      process.stderr.write(`created token ${r.id} "${r.name}" (${r.role}); it is shown only this once:\n`);
      print(r.token);
    }
    return 0;
  }
  if (sub === "revoke") {
    const id = positional(p, 2, "millrace token revoke ID", "token ID");
    await api().tokens.revoke.mutate({ id });
    print(json ? { ok: true, id } : `revoked token ${id}`);
    return 0;
  }
  if (sub === "list") {
    const tokens = await api().tokens.list.query();
    if (json) print(tokens);
    else if (!tokens.length) print("no tokens");
    else print(table([["ID", "NAME", "ROLE", "OWNER", "CREATED", "LAST USED"], ...tokens.map((t) => [String(t.id), t.name, t.role, t.owner, when(t.createdAt), when(t.lastUsedAt)])]));
    return 0;
  }
  throw new UsageError("usage: millrace token create --role ROLE [--name N] | token revoke ID | token list [--json]");
}

async function userCommand(sub: string | undefined, p: Parsed, api: () => EngineClient, json: boolean): Promise<number> {
  if (sub === "add") {
    const usage = "millrace user add NAME --role ROLE";
    const name = positional(p, 2, usage, "NAME");
    const r = role(p.flags.get("--role"), usage);
    const password = await readPassword(`password for the new user ${name}: `);
    await api().users.add.mutate({ name, role: r, password });
    print(json ? { ok: true, name, role: r } : `added ${name} (${r})`);
    return 0;
  }
  if (sub === "list") {
    const users = await api().users.list.query();
    if (json) print(users);
    else print(table([["NAME", "ROLE", "CREATED"], ...users.map((u) => [u.name, u.role, when(u.createdAt)])]));
    return 0;
  }
  if (sub === "role") {
    const usage = "millrace user role NAME ROLE";
    const name = positional(p, 2, usage, "NAME");
    const r = role(p.positionals[3], usage);
    await api().users.setRole.mutate({ name, role: r });
    print(json ? { ok: true, name, role: r } : `${name} is now ${r}`);
    return 0;
  }
  if (sub === "remove") {
    const name = positional(p, 2, "millrace user remove NAME", "NAME");
    await api().users.remove.mutate({ name });
    print(json ? { ok: true, name } : `removed ${name}`);
    return 0;
  }
  throw new UsageError("usage: millrace user add NAME --role ROLE | user list [--json] | user role NAME ROLE | user remove NAME");
}
