// The audit log: who did what, when, from where, with what outcome. Recorded in one place, the
// tRPC middleware (api/trpc.ts → calls.ts), from each procedure's meta; `audit.record` is for the
// rest. Stored by db/audit.ts, copied to the Kafka topic mr-audit (kafka-sink.ts).
import { record } from "./record.js";

export const audit = { record };
export { field, pick, type AuditEntry, type AuditWhat } from "./record.js";
export { recordCall, auditedAction, type FinishedCall } from "./calls.js";
export { AuditLog, type AuditEvent } from "./audit-log.js";
export { scrubDetail, type AuditDetail } from "./detail.js";
export { DEFAULT_AUDIT_SETTINGS, auditSettingsFromEnv, type AuditSettings } from "./settings.js";
