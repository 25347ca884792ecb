#!/usr/bin/env -S npx tsx
// `pnpm millrace <command>`: the command-line client. `catalog`, `flow validate` and `flow test`
// work offline; the rest talk to a running engine at MILLRACE_URL (default http://127.0.0.1:8080).
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { canonicalJson, formatError, parseFlowJson } from "@millrace/flow";
import { catalog, catalogJson } from "@millrace/processors";
import { parseArgs, UsageError, type Parsed } from "./args.js";
import { describeClientError, engineClient, engineUrl } from "./client.js";
import { runDeployCommands } from "./deploy-commands.js";
import { runIdentityCommands } from "./identity-commands.js";
import { rotateKeyCommand } from "./secret-commands.js";
import { auditCommand } from "./audit-command.js";
import { CONNECTION_USAGE, runConnectionCommands } from "./connection-commands.js";
import { runTableCommands, TABLE_USAGE } from "./table-commands.js";
import { CDC_USAGE, runCdcCommands } from "./cdc-commands.js";
import { FLOW_TEST_USAGE, flowTestCommand } from "./flow-test-command.js";
import { FLOW_DIFF_USAGE, flowDiffCommand } from "./flow-diff-command.js";
import { print, table } from "./output.js";

const USAGE = `usage: millrace <command>
  catalog [--json]                 processor types with their config JSON Schema
  flow validate FILE               exit 0, or exit 1 with path-named errors
  flow import FILE [--json] [--copy | --new-version]  prints the flow id (what happened on stderr)
  flow export ID [-o FILE]
  flow list [--json]
${FLOW_TEST_USAGE}
${FLOW_DIFF_USAGE}
  deploy ID [--version N] [--exactly-once]
  stop ID
  stats ID [--json]                per node and per edge figures
  secrets rotate-key [--json]      seal every stored secret again with a new key (admin)
  login --user NAME                password from MILLRACE_PASSWORD or standard input; stores an API token
  logout                           revokes and forgets the stored token
  token create --role ROLE [--name N]  prints the new token once
  token list [--json]
  token revoke ID
  user add NAME --role ROLE        password from MILLRACE_PASSWORD or standard input (admin)
  user list [--json]
  user role NAME ROLE
  user remove NAME
  audit [--json] [--user U] [--action A] [--flow F] [--since ISO] [--until ISO] [--limit N]
                                   the audit log, newest first (admin)
${CONNECTION_USAGE}
${TABLE_USAGE}
${CDC_USAGE}
engine address: MILLRACE_URL (default http://127.0.0.1:8080) or --url
credentials: MILLRACE_TOKEN, else the token \`login\` stored for that address in
  \${XDG_CONFIG_HOME:-~/.config}/millrace/credentials.json
roles: viewer < operator < editor < admin`;

// pnpm runs scripts from the repository root; resolve files against where the user typed.
const userCwd = process.env.INIT_CWD ?? process.cwd();
const userPath = (p: string) => resolve(userCwd, p);

function readText(file: string): string {
  try {
    return readFileSync(userPath(file), "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
}

function need(p: Parsed, i: number, what: string): string {
  const v = p.positionals[i];
  if (!v) throw new UsageError(`missing ${what}\n\n${USAGE}`);
  return v;
}



async function run(argv: string[]): Promise<number> {
  const p = parseArgs(argv);
  const json = p.flags.has("--json");
  const [cmd, sub] = p.positionals;
  const url = engineUrl(p.flags.get("--url"));
  const api = () => engineClient(url);

  if (!cmd || p.flags.has("--help") || p.flags.has("-h")) {
    print(USAGE);
    return cmd ? 0 : 2;
  }
  if (cmd === "catalog") {
    const types = catalogJson();
    if (json) print(types);
    else print(table([["TYPE", "KIND", "PORTS", "TITLE"], ...types.map((t) => [t.type, t.kind, t.ports.join(","), t.title])]));
    return 0;
  }
  if (cmd === "flow" && sub === "validate") {
    const file = need(p, 2, "FILE");
    const r = parseFlowJson(readText(file), catalog);
    for (const w of r.warnings) process.stderr.write(`${file}: warning: ${formatError(w)}\n`);
    if (!r.ok) {
      for (const e of r.errors) process.stderr.write(`${file}: ${formatError(e)}\n`);
      process.stderr.write(`${r.errors.length} error(s)\n`);
      return 1;
    }
    print(json ? { ok: true, id: r.document.id, nodes: r.document.nodes.length, edges: r.document.edges.length } : `${file}: valid (${r.document.nodes.length} nodes, ${r.document.edges.length} edges)`);
    return 0;
  }
  if (cmd === "flow" && sub === "import") {
    const file = need(p, 2, "FILE");
    if (p.flags.has("--copy") && p.flags.has("--new-version")) throw new UsageError("flow import: --copy and --new-version ask for opposite things; give one");
    const r = await api().flows.import.mutate({ text: readText(file), asCopy: p.flags.has("--copy"), ...(p.flags.has("--new-version") ? { onExisting: "new-version" as const } : {}) });
    // the id alone on standard output (scripts read it); what happened, in words, on standard error
    print(json ? r : r.id);
    if (!json) process.stderr.write(`${r.copied ? `imported as a new flow (a copy) ${r.id} v${r.version}${p.flags.has("--copy") ? "" : ": the file's flow id exists (--new-version saves it as that flow's next version)"}` : `imported as ${r.id} v${r.version}`}\n`);
    return 0;
  }
  if (cmd === "flow" && sub === "export") {
    const id = need(p, 2, "ID");
    const version = p.flags.get("--version");
    const doc = await api().flows.export.query({ id, version: typeof version === "string" ? Number(version) : undefined });
    const text = canonicalJson(doc);
    const out = p.flags.get("-o") ?? p.flags.get("--output");
    if (typeof out === "string") {
      writeFileSync(userPath(out), text + "\n");
      process.stderr.write(`wrote ${out}\n`);
    } else print(text);
    return 0;
  }
  if (cmd === "flow" && sub === "list") {
    const flows = await api().flows.list.query();
    if (json) print(flows);
    else if (!flows.length) print("no flows yet");
    else print(table([["ID", "NAME", "VERSION", "DEPLOYED"], ...flows.map((f) => [f.id, f.name, String(f.latestVersion), f.deployment ? `v${f.deployment.version} ${f.deployment.status}` : "-"])]));
    return 0;
  }
  if (cmd === "flow" && sub === "diff") return flowDiffCommand(p, api, json);
  if (cmd === "flow" && sub === "test") return flowTestCommand(p, readText, userPath, json);
  if (cmd === "secrets" && sub === "rotate-key") return rotateKeyCommand(api, json);
  if (cmd === "audit") return auditCommand(p, api, json);
  const connection = await runConnectionCommands(cmd, p, api, json, readText);
  if (connection !== undefined) return connection;
  const tables = await runTableCommands(cmd, p, api, json);
  if (tables !== undefined) return tables;
  const cdc = await runCdcCommands(cmd, p, api, json);
  if (cdc !== undefined) return cdc;
  const identity = await runIdentityCommands(cmd, p, url, api, json);
  if (identity !== undefined) return identity;
  return runDeployCommands(cmd, p, api, json);
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`millrace: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`millrace: ${describeClientError(e, engineUrl(parseArgs(process.argv.slice(2)).flags.get("--url")))}\n`);
    process.exit(1);
  },
);
