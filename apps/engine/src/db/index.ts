// The engine's persistence layer: the only code that talks to Postgres. Repositories use the
// Prisma client's model API where it can say the statement, and the `sql` helper (sql.ts) on a
// pg connection where it cannot; nothing outside this folder imports @millrace/db or pg.
import pg from "pg";
import { createDb, migrate } from "@millrace/db";
import { logger } from "../log.js";
import type { SecretBox } from "../secrets/index.js";
import { CheckpointRepository } from "./checkpoints.js";
import { DeploymentRepository } from "./deployments.js";
import { EngineStatsRepository } from "./engine-stats.js";
import { FlowRepository } from "./flows.js";
import { FlowAccessRepository } from "./flow-access.js";
import { ProvenanceRepository } from "./provenance.js";
import { SealedValueRepository } from "./sealed-values.js";
import { SessionRepository } from "./sessions.js";
import { UserRepository } from "./users.js";
import { ExternalUserRepository } from "./external-users.js";
import { ApiTokenRepository } from "./api-tokens.js";
import { AuditRepository } from "./audit.js";
import { ConnectionRepository } from "./connections.js";
import { MaintenanceRepository } from "./maintenance.js";
import { SchemaRegistryRepository } from "./schema-registry.js";
import { TableSnapshotRepository } from "./table-snapshots.js";
import { ReplicationSlotRepository } from "./replication-slots.js";
import { TemplateRepository } from "./templates.js";

export { AdvisoryLockSession } from "./advisory-locks.js";
export { CheckpointRepository } from "./checkpoints.js";
export { DeploymentRepository, type DeploymentRecord } from "./deployments.js";
export { EngineStatsRepository, type EngineStatsRow } from "./engine-stats.js";
export { FlowRepository, type FlowSummary, type SaveResult } from "./flows.js";
export { FlowAccessRepository, type FlowAccessList, type FlowStanding } from "./flow-access.js";
export { postgresServerVersion } from "./health.js";
export { SealedValueRepository } from "./sealed-values.js";
export { UserRepository, type UserRecord, type UserSummary } from "./users.js";
export { ExternalUserRepository, type ExternalSignIn, type ExternalSignedIn } from "./external-users.js";
export { SessionRepository, type SessionLimits, type LiveSession } from "./sessions.js";
export { ApiTokenRepository, type ApiTokenSummary, type ApiTokenOwner } from "./api-tokens.js";
export { AuditRepository, type AuditEventInput, type AuditEventRow, type AuditFilter, type AuditBounds, type AuditOutcome } from "./audit.js";
export { ConnectionRepository, type ConnectionSummary } from "./connections.js";
export { MaintenanceRepository } from "./maintenance.js";
export { SchemaRegistryRepository, type SubjectVersionRow, type SubjectSummaryRow, type RegisterOutcome, type DeleteOutcome } from "./schema-registry.js";
export { TableSnapshotRepository, type TableSnapshotRecord, type SnapshotOffsets, type SnapshotPartitionRows, type SnapshotRow, type SnapshotTotals, type SnapshotTarget, type InsertSnapshotRows } from "./table-snapshots.js";
export { TemplateRepository, TEMPLATE_DOCUMENT_MAX_BYTES, type TemplateSummary, type TemplateRecord, type TemplateUseRow } from "./templates.js";
export { ReplicationSlotRepository, replicationSlotsAt } from "./replication-slots.js";
export { ProvenanceRepository, REPLAY_STAGE, type BatchRow, type BatchColumns } from "./provenance.js";

export interface Repositories {
  /** flow, flow_version */
  flows: FlowRepository;
  /** flow.owner_name, flow_access, app_user.groups */
  flowAccess: FlowAccessRepository;
  /** deployment */
  deployments: DeploymentRepository;
  /** source_checkpoint */
  checkpoints: CheckpointRepository;
  /** engine_stats */
  engineStats: EngineStatsRepository;
  /** provenance_batch */
  provenance: ProvenanceRepository;
  /** the sealed secrets in flow_version and deployment, as a whole (key rotation) */
  sealedValues: SealedValueRepository;
  /** app_user */
  users: UserRepository;
  /** app_user rows of single sign-on users (by issuer and subject) */
  externalUsers: ExternalUserRepository;
  /** user_session */
  sessions: SessionRepository;
  /** api_token */
  apiTokens: ApiTokenRepository;
  /** audit_event */
  audit: AuditRepository;
  /** connection (its secrets sealed) */
  connections: ConnectionRepository;
  /** VACUUM where no autovacuum runs (the embedded database) */
  maintenance: MaintenanceRepository;
  /** registry_schema, registry_subject_version, registry_config */
  schemaRegistry: SchemaRegistryRepository;
  /** table_snapshot, table_snapshot_row */
  tableSnapshots: TableSnapshotRepository;
  /** the server's replication slots (pg_replication_slots) and the flow_version nodes that may own them */
  replicationSlots: ReplicationSlotRepository;
  /** group_template (reads flow_version for a template's uses) */
  templates: TemplateRepository;
}

export interface Database {
  repositories: Repositories;
  /** Ends every connection (after everything that writes has stopped). */
  close(): Promise<void>;
}

/**
 * Brings the schema up to date and opens the engine's connections: the Prisma client (its own
 * pool of 10) for flows, deployments, checkpoints and stats; a pool of 3 for provenance, so its
 * batch INSERTs never queue behind (or ahead of) the API's queries. Leases open their own session
 * (AdvisoryLockSession).
 */
export async function openDatabase(url: string, engineId: string, secrets: SecretBox): Promise<Database> {
  await migrate(url);
  const prisma = createDb(url);
  const connections = new ConnectionRepository(prisma, secrets);
  const sealedValues = new SealedValueRepository(prisma, secrets, [connections]);
  const upgraded = await sealedValues.sealPlaintext();
  if (upgraded.versions || upgraded.plans) {
    logger.child({ module: "secrets", engineId }).info(upgraded, `sealed the secrets an older engine stored in plaintext: ${upgraded.versions} flow version(s), ${upgraded.plans} deployment plan(s) (planned again when started)`);
  }
  const provenancePool = new pg.Pool({ connectionString: url, max: 3, idleTimeoutMillis: 30_000 });
  // a snapshot holds a connection for its lock and one for its transaction while it reads the changelog
  const snapshotPool = new pg.Pool({ connectionString: url, max: 4, idleTimeoutMillis: 30_000 });
  snapshotPool.on("error", (e) => logger.child({ module: "tables", engineId }).warn({ err: e }, `table snapshot database connection failed while idle (${e.message}); the next snapshot opens a new one`));
  const log = logger.child({ module: "provenance", engineId });
  provenancePool.on("error", (e) =>
    log.warn({ err: e }, `provenance database connection failed while idle (${e.message}); it is dropped and the next lineage write opens a new one (failed writes are retried)`),
  );
  return {
    repositories: {
      flows: new FlowRepository(prisma, secrets),
      flowAccess: new FlowAccessRepository(prisma),
      deployments: new DeploymentRepository(prisma, secrets),
      checkpoints: new CheckpointRepository(prisma),
      engineStats: new EngineStatsRepository(prisma),
      provenance: new ProvenanceRepository(provenancePool),
      sealedValues,
      users: new UserRepository(prisma),
      externalUsers: new ExternalUserRepository(prisma),
      sessions: new SessionRepository(prisma),
      apiTokens: new ApiTokenRepository(prisma),
      audit: new AuditRepository(prisma),
      connections,
      // on the background pool: a VACUUM never takes one of the API's connections
      maintenance: new MaintenanceRepository(provenancePool),
      schemaRegistry: new SchemaRegistryRepository(prisma),
      tableSnapshots: new TableSnapshotRepository(snapshotPool),
      replicationSlots: new ReplicationSlotRepository(provenancePool),
      templates: new TemplateRepository(prisma),
    },
    async close() {
      await provenancePool.end().catch(() => {});
      await snapshotPool.end().catch(() => {});
      await prisma.$disconnect();
    },
  };
}
