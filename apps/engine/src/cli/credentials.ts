// The CLI's stored API tokens, one per engine URL, in a file only its owner can read.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export interface StoredCredential {
  url: string;
  token: string;
  user?: string;
}

interface CredentialsFile {
  engines: StoredCredential[];
}

type Env = Record<string, string | undefined>;

export function credentialsPath(env: Env = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "millrace", "credentials.json");
}

function readFileOrEmpty(path: string): CredentialsFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { engines: [] };
    throw e;
  }
  try {
    const parsed = JSON.parse(text) as Partial<CredentialsFile>;
    return { engines: Array.isArray(parsed.engines) ? parsed.engines.filter((c) => typeof c?.url === "string" && typeof c?.token === "string") : [] };
  } catch {
    throw new Error(`${path} is not valid JSON: fix or delete it, then run \`pnpm millrace login\` again`);
  }
}

function writeFileAtomically(path: string, file: CredentialsFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // mkdir leaves an existing directory's mode alone; the token must not be readable by others either way
  chmodSync(dirname(path), 0o700);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(file, null, 2) + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

const sameEngine = (a: string, b: string) => normalizeUrl(a) === normalizeUrl(b);

export function normalizeUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

export function storedCredential(url: string, env: Env = process.env): StoredCredential | undefined {
  return readFileOrEmpty(credentialsPath(env)).engines.find((c) => sameEngine(c.url, url));
}

/** The token to send: MILLRACE_TOKEN wins over the stored one, so automation needs no file. */
export function tokenFor(url: string, env: Env = process.env): string | undefined {
  return env.MILLRACE_TOKEN || storedCredential(url, env)?.token;
}

export function storeCredential(credential: StoredCredential, env: Env = process.env): string {
  const path = credentialsPath(env);
  const file = readFileOrEmpty(path);
  const entry = { ...credential, url: normalizeUrl(credential.url) };
  writeFileAtomically(path, { engines: [...file.engines.filter((c) => !sameEngine(c.url, entry.url)), entry] });
  return path;
}

/** Forgets the token stored for `url`; answers whether there was one. */
export function removeCredential(url: string, env: Env = process.env): boolean {
  const path = credentialsPath(env);
  const file = readFileOrEmpty(path);
  const kept = file.engines.filter((c) => !sameEngine(c.url, url));
  if (kept.length === file.engines.length) return false;
  writeFileAtomically(path, { engines: kept });
  return true;
}
