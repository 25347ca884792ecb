export { EmbeddedPostgresProcess, type EmbeddedPostgresOptions, type EmbeddedPostgresStatus } from "./supervisor.js";
export { loadOrCreatePassword, PG_PASSWORD_FILE } from "./password.js";
export { reportEmbeddedPostgres } from "./report.js";
export { startEmbeddedMaintenance } from "./maintenance.js";
