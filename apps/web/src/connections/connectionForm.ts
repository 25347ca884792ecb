/**
 * The Connections page's form, without React: which inputs each connection type has, the
 * document they make, a stored connection read back into inputs (its secrets never prefilled),
 * and errors placed at the input they concern. The checks themselves are @millrace/flow's
 * `parseConnectionInput`, the same the engine runs, so no rule is written twice.
 */
import { CONNECTION_TYPES, parseConnectionInput, POSTGRES_SSL_MODES, SASL_MECHANISMS, valueAt, type ConnectionTestFailure, type ConnectionType, type FlowError } from "@millrace/flow";

export { CONNECTION_TYPES, type ConnectionType };

/** One input of the form. `path` is the dotted field of the document it fills. */
export interface InputSpec {
  path: string;
  label: string;
  kind: "text" | "list" | "number" | "select" | "secret" | "pem" | "checkbox" | "section";
  options?: readonly string[];
  placeholder?: string;
  help?: string;
  /** shown (and part of the document) only while this holds */
  when?: (draft: Draft) => boolean;
}

/** What is typed, by input path: text as typed, checkboxes as booleans. */
export type Draft = Record<string, string | boolean>;

/** Inputs that shape the form but are no field of the document (e.g. "use TLS"). */
const SECTION_TLS = "tls";

const common: InputSpec[] = [
  { path: "name", label: "Name", kind: "text", placeholder: "e.g. prod-cluster", help: "Lowercase letters, digits, '-' or '_'; flows name the connection by it" },
  { path: "description", label: "Description", kind: "text" },
];

const saslOn = (d: Draft) => d["sasl.mechanism"] !== undefined && d["sasl.mechanism"] !== "";
const tlsOn = (d: Draft) => d[SECTION_TLS] === true;
const authIs = (kind: string) => (d: Draft) => d["auth.type"] === kind;
const registryAuthOn = (d: Draft) => d["auth.username"] !== undefined && d["auth.username"] !== "";

export const INPUTS: Record<ConnectionType, InputSpec[]> = {
  kafka: [
    ...common,
    { path: "brokers", label: "Brokers", kind: "list", placeholder: "host:9092, host2:9092", help: "host:port, separated by commas or spaces" },
    { path: "sasl.mechanism", label: "SASL mechanism", kind: "select", options: ["", ...SASL_MECHANISMS], help: "Empty: no authentication" },
    { path: "sasl.username", label: "SASL username", kind: "text", when: saslOn },
    { path: "sasl.password", label: "SASL password", kind: "secret", when: saslOn },
    { path: SECTION_TLS, label: "Use TLS", kind: "section" },
    { path: "tls.ca", label: "CA certificate (PEM)", kind: "pem", when: tlsOn, help: "Empty: the system's trusted CAs" },
    { path: "tls.cert", label: "Client certificate (PEM)", kind: "pem", when: tlsOn },
    { path: "tls.key", label: "Client key (PEM)", kind: "secret", when: tlsOn },
    { path: "tls.rejectUnauthorized", label: "Verify the broker's certificate", kind: "checkbox", when: tlsOn },
  ],
  postgres: [
    ...common,
    { path: "url", label: "URL", kind: "text", placeholder: "postgres://user@host:5432/db", help: "The URL or the parts below (parts override the URL); the password goes in its own field" },
    { path: "host", label: "Host", kind: "text" },
    { path: "port", label: "Port", kind: "number", placeholder: "5432" },
    { path: "database", label: "Database", kind: "text" },
    { path: "user", label: "User", kind: "text" },
    { path: "password", label: "Password", kind: "secret" },
    { path: "sslmode", label: "SSL mode", kind: "select", options: ["", ...POSTGRES_SSL_MODES] },
  ],
  http: [
    ...common,
    { path: "baseUrl", label: "Base URL", kind: "text", placeholder: "https://api.example.com/" },
    { path: "auth.type", label: "Authentication", kind: "select", options: ["none", "basic", "bearer", "header"] },
    { path: "auth.username", label: "Username", kind: "text", when: authIs("basic") },
    { path: "auth.password", label: "Password", kind: "secret", when: authIs("basic") },
    { path: "auth.token", label: "Bearer token", kind: "secret", when: authIs("bearer") },
    { path: "auth.name", label: "Header name", kind: "text", placeholder: "X-Api-Key", when: authIs("header") },
    { path: "auth.value", label: "Header value", kind: "secret", when: authIs("header") },
  ],
  "schema-registry": [
    ...common,
    { path: "url", label: "URL", kind: "text", placeholder: "http://localhost:8081" },
    { path: "auth.username", label: "Username", kind: "text", help: "Empty: no authentication" },
    { path: "auth.password", label: "Password", kind: "secret", when: registryAuthOn },
  ],
};

/** The inputs of `type` shown for `draft`. */
export function shownInputs(type: ConnectionType, draft: Draft): InputSpec[] {
  return INPUTS[type].filter((i) => !i.when || i.when(draft));
}

/** A blank form of `type`. */
export function emptyDraft(type: ConnectionType): Draft {
  if (type === "kafka") return { "tls.rejectUnauthorized": true };
  if (type === "http") return { "auth.type": "none" };
  return {};
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let at = target;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    at = (typeof next === "object" && next !== null ? next : (at[key] = {})) as Record<string, unknown>;
  }
  at[keys[keys.length - 1]!] = value;
}

/**
 * The document the form makes. An empty input is left out; an empty secret input of a field
 * that has a stored value says `{ set: true }` (keep it). A number that does not parse stays text,
 * so the check names it rather than it vanishing.
 */
export function toDocument(type: ConnectionType, draft: Draft, storedSecrets: ReadonlySet<string>): Record<string, unknown> {
  const doc: Record<string, unknown> = { type };
  for (const input of shownInputs(type, draft)) {
    if (input.kind === "section") continue;
    const raw = draft[input.path];
    if (input.kind === "checkbox") {
      setPath(doc, input.path, raw === true);
      continue;
    }
    const text = typeof raw === "string" ? raw : "";
    if (input.kind === "secret") {
      if (text !== "") setPath(doc, input.path, text);
      else if (storedSecrets.has(input.path)) setPath(doc, input.path, { set: true });
      continue;
    }
    // a PEM keeps its line breaks; everything else loses stray spaces around it
    const value = input.kind === "pem" ? text : text.trim();
    if (value === "") continue;
    if (input.kind === "list") setPath(doc, input.path, value.split(/[\s,]+/).filter(Boolean));
    else if (input.kind === "number") setPath(doc, input.path, Number.isFinite(Number(value)) ? Number(value) : value);
    else setPath(doc, input.path, value);
  }
  return doc;
}

/** A stored connection (as the engine answers: secrets as `{ set: true }`) back into inputs. */
export function fromDocument(doc: { type: ConnectionType }): { draft: Draft; storedSecrets: Set<string> } {
  const draft: Draft = emptyDraft(doc.type);
  const storedSecrets = new Set<string>();
  for (const input of INPUTS[doc.type]) {
    const value = valueAt(doc, input.path.split("."));
    if (input.kind === "section") {
      if (value !== undefined) draft[input.path] = true;
    } else if (input.kind === "secret") {
      // a secret is never sent to the browser, and never put back into an input
      if (value !== undefined) storedSecrets.add(input.path);
    } else if (input.kind === "checkbox") {
      if (typeof value === "boolean") draft[input.path] = value;
    } else if (Array.isArray(value)) draft[input.path] = value.join(", ");
    else if (value !== undefined && value !== null) draft[input.path] = String(value);
  }
  return { draft, storedSecrets };
}

/** The document's errors by path, as the engine would give them (`[]` when it would be accepted). */
export function localErrors(doc: Record<string, unknown>): FlowError[] {
  const r = parseConnectionInput(doc);
  if (r.ok) return [];
  // the check stops at a bad name; the form shows the other fields' errors at the same time
  if (!r.errors.every((e) => e.path === "name")) return r.errors;
  const rest = parseConnectionInput({ ...doc, name: "placeholder" });
  return rest.ok ? r.errors : [...r.errors, ...rest.errors];
}

/** `{ path, message }` pairs of a refusal's `data.errors` (what the engine's BAD_REQUEST carries). */
export function errorsOfRefusal(data: unknown): FlowError[] {
  const list = typeof data === "object" && data !== null ? (data as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(list)) return [];
  return list.flatMap((e): FlowError[] => {
    if (typeof e !== "object" || e === null) return [];
    const { path, message } = e as { path?: unknown; message?: unknown };
    return typeof message === "string" ? [{ path: typeof path === "string" ? path : "", message }] : [];
  });
}

/**
 * Errors placed at the shown input they concern (`brokers[1]` at Brokers, `tls` at "Use TLS");
 * the rest, and those of the document as a whole, under `""` for the top of the form.
 */
export function errorsByInput(type: ConnectionType, draft: Draft, errors: readonly FlowError[]): Record<string, string[]> {
  const shown = shownInputs(type, draft).map((i) => i.path);
  const out: Record<string, string[]> = {};
  for (const e of errors) {
    const at = shown.find((p) => e.path === p || e.path.startsWith(`${p}.`) || e.path.startsWith(`${p}[`));
    const key = at ?? "";
    (out[key] ??= []).push(at || !e.path ? e.message : `${e.path}: ${e.message}`);
  }
  return out;
}

const FAILURE_WORDS: Record<ConnectionTestFailure, string> = {
  unreachable: "Unreachable: nothing answered at that address",
  "wrong-credentials": "Wrong credentials: the username or password was refused",
  "not-authorized": "Not authorized: the credentials work but lack the rights needed",
  "tls-mismatch": "TLS mismatch: the two sides do not agree on TLS or its certificates",
  timeout: "No answer within 5 seconds",
  invalid: "The connection's settings are not valid",
};

/** A test's answer in words a person understands. */
export function testOutcome(result: { ok: true; detail?: string } | { ok: false; reason: ConnectionTestFailure; detail?: string }): string {
  if (result.ok) return result.detail ? `Connected: ${result.detail}` : "Connected";
  const words = FAILURE_WORDS[result.reason] ?? result.reason;
  return result.detail ? `${words} (${result.detail})` : words;
}

/** Where a connection points, for the list: brokers, URL or host. */
export function connectionTarget(c: Record<string, unknown> & { type: ConnectionType }): string {
  switch (c.type) {
    case "kafka":
      return Array.isArray(c.brokers) ? c.brokers.join(", ") : "";
    case "postgres": {
      if (typeof c.url === "string") return c.url;
      const port = c.port !== undefined ? `:${String(c.port)}` : "";
      const db = typeof c.database === "string" ? `/${c.database}` : "";
      return `${String(c.host ?? "")}${port}${db}`;
    }
    case "http":
      return String(c.baseUrl ?? "");
    case "schema-registry":
      return String(c.url ?? "");
  }
}

/** The choice of a node's connection field that names none: what the node uses then. */
export function ownChoiceLabel(type: string): string {
  if (type === "kafka") return "engine's own cluster";
  if (type === "postgres") return "none (the node's own database settings)";
  if (type === "http") return "none (the node's own URL and headers)";
  return "none";
}

/** The choices of a node's connection field: connections of its type, and the one it names even when missing. */
export function connectionChoices(all: readonly { name: string; type: string; description?: string }[], type: string, current: string | undefined): { name: string; label: string; missing: boolean }[] {
  const out = all.filter((c) => c.type === type).map((c) => ({ name: c.name, label: c.description ? `${c.name} — ${c.description}` : c.name, missing: false }));
  if (current && !out.some((c) => c.name === current)) out.push({ name: current, label: `${current} (not found)`, missing: true });
  return out;
}
