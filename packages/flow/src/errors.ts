/**
 * Errors of the flow package: one shape for structural, semantic and JSON errors so the CLI,
 * the import dialog and the canvas can all show `nodes[3].config.topic: required`.
 */

export type Severity = "error" | "warning";

export interface FlowError {
  /** JSON path like `nodes[3].config.topic`; "" means the document itself (the root). */
  path: string;
  message: string;
  /** Absent on errors (keeps the `{ path, message }` contract shape); "warning" on warnings. */
  severity?: Severity;
  /** Only on JSON syntax errors: 1-based position in the text. */
  line?: number;
  column?: number;
}

export type PathSegment = string | number;

/** Keys longer than this are cut in paths/messages: an error must stay readable even for a 5 MB key. */
const MAX_SHOWN = 80;

export function truncate(text: string, max = MAX_SHOWN): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `["nodes", 3, "config", "topic"]` → `nodes[3].config.topic`; odd keys are quoted: `config["a b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && seg.length <= MAX_SHOWN && IDENTIFIER.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(truncate(String(seg)))}]`;
  }
  return out;
}

/** `nodes[3].config.topic: required`; a root error is just its message. */
export function formatError(error: FlowError): string {
  const prefix = error.severity === "warning" ? "warning: " : "";
  return error.path === "" ? `${prefix}${error.message}` : `${prefix}${error.path}: ${error.message}`;
}

/** Quote a user-supplied value for a message, cut to a readable length. */
export function quote(value: unknown): string {
  return JSON.stringify(truncate(String(value)));
}
