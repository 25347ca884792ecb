// What an audit row may keep of a call: small facts, never a secret. Procedures pick their detail
// explicitly (meta.auditWhat); this is the net under them, so a careless pick still cannot leak.

/** Keys whose values are never kept, whatever a procedure hands over. */
const SECRET_KEY = /pass(word|phrase)?|secret|token|cookie|authori[sz]ation|credential|api[-_]?key|private|sensitive|^value$/i;
const MAX_STRING = 200;
const MAX_KEYS = 20;
const MAX_ITEMS = 20;
const MAX_DEPTH = 3;

export type AuditDetail = Record<string, unknown>;

/** A bounded copy of `detail` without secret-named keys or long strings (a secret may hide in a long text). */
export function scrubDetail(detail: AuditDetail | undefined): AuditDetail {
  return detail ? (scrub(detail, 0) as AuditDetail) : {};
}

function scrub(v: unknown, depth: number): unknown {
  if (v === null || typeof v === "number" || typeof v === "boolean") return v;
  if (typeof v === "string") return v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}…` : v;
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (depth >= MAX_DEPTH || typeof v !== "object") return undefined;
  if (Array.isArray(v)) return v.slice(0, MAX_ITEMS).map((x) => scrub(x, depth + 1));
  const out: AuditDetail = {};
  for (const [k, x] of Object.entries(v).slice(0, MAX_KEYS)) {
    if (SECRET_KEY.test(k)) continue;
    const kept = scrub(x, depth + 1);
    if (kept !== undefined) out[k] = kept;
  }
  return out;
}
