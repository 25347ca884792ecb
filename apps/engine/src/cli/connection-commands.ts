// connection add / list / test / remove: the CLI side of named connections.
import { findJsonSyntaxError, formatError, lineColumn, parseConnectionInput, type RedactedConnection } from "@millrace/flow";
import { UsageError, type Parsed } from "./args.js";
import type { EngineClient } from "./client.js";
import { print, table } from "./output.js";

export const CONNECTION_USAGE = `  connection add FILE [--replace]  a JSON connection document (admin); --replace changes one of that name,
                                   a secret given as {"set": true} keeping its stored value
  connection list [--json]         secrets show as {"set": true}
  connection test NAME [--json]    connects as the connection says: exit 0 when it works (admin)
  connection remove NAME           (admin)`;

const HELP = `usage:\n${CONNECTION_USAGE}

types and their fields (every secret is stored sealed and never shown again):
  kafka            brokers ["host:port"], sasl {mechanism: plain | scram-sha-256 | scram-sha-512, username, password},
                   tls {ca, cert, key, rejectUnauthorized (default true)}
  postgres         url (postgres://user@host:port/db, without password) and/or host, port, database, user;
                   password; sslmode (disable | prefer | require | verify-ca | verify-full)
  http             baseUrl; auth {type: none} | {type: basic, username, password} | {type: bearer, token}
                   | {type: header, name, value}
  schema-registry  url; auth {username, password}
every type: name (lowercase letters, digits, '-', '_'; at most 63), type, description`;

/** Where a connection points, for the list: brokers, host or URL (never a credential). */
function target(c: RedactedConnection): string {
  switch (c.type) {
    case "kafka":
      return `${c.brokers.join(",")}${c.sasl ? ` (${c.sasl.mechanism} as ${c.sasl.username})` : ""}${c.tls ? " tls" : ""}`;
    case "postgres":
      return c.url ?? `${c.host}${c.port ? `:${c.port}` : ""}/${c.database ?? ""}`;
    case "http":
      return `${c.baseUrl}${c.auth.type === "none" ? "" : ` (${c.auth.type})`}`;
    case "schema-registry":
      return `${c.url}${c.auth ? " (basic)" : ""}`;
  }
}

/** The document in FILE, checked here first so a mistake is shown with its field before anything is sent. */
function readDocument(file: string, text: string): unknown {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (e) {
    const found = findJsonSyntaxError(text);
    const { line, column } = lineColumn(text, found?.offset ?? 0);
    throw new UsageError(`${file}: invalid JSON at line ${line}, column ${column}: ${found?.message ?? (e as Error).message}`);
  }
  const r = parseConnectionInput(document);
  if (!r.ok) throw new UsageError(`${file} is not a valid connection:\n${r.errors.map((e) => `${file}: ${formatError(e)}`).join("\n")}`);
  return document;
}

function name(p: Parsed, usage: string): string {
  const v = p.positionals[2];
  if (!v) throw new UsageError(`missing NAME: ${usage}`);
  return v;
}

/** Answers undefined when `cmd` is not `connection`. */
export async function runConnectionCommands(cmd: string, p: Parsed, api: () => EngineClient, json: boolean, readText: (file: string) => string): Promise<number | undefined> {
  if (cmd !== "connection" && cmd !== "connections") return undefined;
  const sub = p.positionals[1];
  if (sub === "add") {
    const file = p.positionals[2];
    if (!file) throw new UsageError("missing FILE: millrace connection add FILE [--replace]");
    const document = readDocument(file, readText(file));
    const r = await api().connections.add.mutate({ document, replace: p.flags.has("--replace") });
    print(json ? r : `${r.created ? "added" : "replaced"} connection ${r.name}`);
    return 0;
  }
  if (sub === "list") {
    const all = await api().connections.list.query();
    if (json) print(all);
    else if (!all.length) print("no connections yet");
    else print(table([["NAME", "TYPE", "TARGET", "DESCRIPTION"], ...all.map((c) => [c.name, c.type, target(c), c.description ?? ""])]));
    return 0;
  }
  if (sub === "test") {
    const r = await api().connections.test.mutate({ name: name(p, "millrace connection test NAME") });
    if (json) print(r);
    else print(r.ok ? `ok: ${r.detail ?? ""}` : `failed (${r.reason}): ${r.detail}`);
    return r.ok ? 0 : 1;
  }
  if (sub === "remove") {
    const n = name(p, "millrace connection remove NAME");
    await api().connections.remove.mutate({ name: n });
    print(`removed connection ${n}`);
    return 0;
  }
  print(HELP);
  return sub ? 2 : 0;
}
