import type { PrismaClient } from "@millrace/db";
import { queryIn, sql, type Sql } from "./sql.js";

/** One version of a subject with its schema. */
export interface SubjectVersionRow {
  subject: string;
  version: number;
  id: number;
  schemaType: string;
  schema: string;
  deleted: boolean;
}

export interface SubjectSummaryRow {
  subject: string;
  /** live versions, ascending */
  versions: number[];
  latestId: number;
  /** the subject's own level, null when it follows the global one */
  compatibility: string | null;
}

export interface SchemaToStore {
  fingerprint: string;
  schemaType: string;
  text: string;
}

/** A live version without its schema's text (what deciding what to check needs). */
export interface VersionRef {
  version: number;
  id: number;
}

/** The compatibility levels set for a subject and globally (undefined: none set). */
export interface LevelsSet {
  subject: string | undefined;
  global: string | undefined;
}

export type RegisterOutcome =
  | { kind: "existing" | "registered"; id: number; version: number }
  | { kind: "too-many-subjects"; limit: number }
  | { kind: "too-many-versions"; limit: number }
  /** the live versions or the levels were no longer those the schema was checked against */
  | { kind: "changed" };

export type DeleteOutcome =
  | { kind: "deleted"; versions: number[] }
  /** no such subject, or no such version in it */
  | { kind: "no-subject" | "no-version" }
  /** a soft delete of what is soft-deleted already (the version, when one version was named) */
  | { kind: "already-soft-deleted"; version?: number }
  /** a permanent delete of what was not soft-deleted first (the version, when one version was named) */
  | { kind: "not-soft-deleted"; version?: number };

/** The global compatibility level's row in registry_config (no subject has an empty name). */
const GLOBAL = "";
/** First key of the two-key advisory locks serialising one subject's writes (the leases use one-key locks: another key space). */
const SUBJECT_LOCK_SPACE = 7_316_015;
/** Waiting for a connection and for the subject's lock: registrations of one subject queue behind each other. */
const TRANSACTION = { maxWait: 10_000, timeout: 30_000 };
const FOREIGN_KEY_VIOLATION = "23503";
type Transaction = Parameters<typeof queryIn>[0];

const VERSION_COLUMNS = sql`v.subject, v.version, s.id, s.schema_type AS "schemaType", s.schema, v.deleted`;

/**
 * The schema registry's tables: registry_schema (schemas by global id, unique by fingerprint),
 * registry_subject_version (each subject's versions) and registry_config (compatibility levels).
 * Writes to one subject run in a transaction holding that subject's advisory lock, so version
 * numbers are handed out one after another and a compatibility check sees every earlier version,
 * whichever engine writes.
 */
export class SchemaRegistryRepository {
  constructor(private readonly db: PrismaClient) {}

  async subjects(includeDeleted: boolean): Promise<string[]> {
    const rows = await queryIn<{ subject: string }>(
      this.db,
      sql`SELECT DISTINCT subject FROM registry_subject_version WHERE ${includeDeleted}::boolean OR NOT deleted ORDER BY subject`,
    );
    return rows.map((r) => r.subject);
  }

  async summaries(): Promise<SubjectSummaryRow[]> {
    return queryIn<SubjectSummaryRow>(
      this.db,
      sql`SELECT v.subject, array_agg(v.version ORDER BY v.version) AS versions,
            (array_agg(v.schema_id ORDER BY v.version DESC))[1] AS "latestId", c.compatibility
          FROM registry_subject_version v LEFT JOIN registry_config c ON c.subject = v.subject
          WHERE NOT v.deleted GROUP BY v.subject, c.compatibility ORDER BY v.subject`,
    );
  }

  /** The subject's versions, ascending (soft-deleted ones too when asked). */
  async versions(subject: string, includeDeleted: boolean): Promise<SubjectVersionRow[]> {
    return queryIn<SubjectVersionRow>(
      this.db,
      sql`SELECT ${VERSION_COLUMNS} FROM registry_subject_version v JOIN registry_schema s ON s.id = v.schema_id
          WHERE v.subject = ${subject} AND (${includeDeleted}::boolean OR NOT v.deleted) ORDER BY v.version`,
    );
  }

  /** Whether the subject has any version at all, soft-deleted included. */
  async subjectExists(subject: string): Promise<boolean> {
    const rows = await queryIn<{ n: number }>(this.db, sql`SELECT 1 AS n FROM registry_subject_version WHERE subject = ${subject} LIMIT 1`);
    return rows.length > 0;
  }

  /** A version of the subject, or its newest one (`latest`). */
  async version(subject: string, version: number | "latest", includeDeleted: boolean): Promise<SubjectVersionRow | undefined> {
    const which = version === "latest" ? sql`TRUE` : sql`v.version = ${version}`;
    const rows = await queryIn<SubjectVersionRow>(
      this.db,
      sql`SELECT ${VERSION_COLUMNS} FROM registry_subject_version v JOIN registry_schema s ON s.id = v.schema_id
          WHERE v.subject = ${subject} AND ${which} AND (${includeDeleted}::boolean OR NOT v.deleted) ORDER BY v.version DESC LIMIT 1`,
    );
    return rows[0];
  }

  /** The subject's live versions, ascending, without their schemas' text. */
  async liveVersions(subject: string): Promise<VersionRef[]> {
    return queryIn<VersionRef>(this.db, sql`SELECT version, schema_id AS id FROM registry_subject_version WHERE subject = ${subject} AND NOT deleted ORDER BY version`);
  }

  /** The newest live version of the subject holding the schema with this fingerprint, without the schema's text. */
  async liveVersionOfSchema(subject: string, fingerprint: string): Promise<VersionRef | undefined> {
    const rows = await queryIn<VersionRef>(
      this.db,
      sql`SELECT v.version, v.schema_id AS id FROM registry_subject_version v JOIN registry_schema s ON s.id = v.schema_id
          WHERE v.subject = ${subject} AND s.fingerprint = ${fingerprint} AND NOT v.deleted ORDER BY v.version DESC LIMIT 1`,
    );
    return rows[0];
  }

  /** The newest version of the subject holding the schema with this fingerprint. */
  async versionOfSchema(subject: string, fingerprint: string, includeDeleted: boolean): Promise<SubjectVersionRow | undefined> {
    const rows = await queryIn<SubjectVersionRow>(
      this.db,
      sql`SELECT ${VERSION_COLUMNS} FROM registry_subject_version v JOIN registry_schema s ON s.id = v.schema_id
          WHERE v.subject = ${subject} AND s.fingerprint = ${fingerprint} AND (${includeDeleted}::boolean OR NOT v.deleted) ORDER BY v.version DESC LIMIT 1`,
    );
    return rows[0];
  }

  async schema(id: number): Promise<{ id: number; schemaType: string; schema: string } | undefined> {
    const rows = await queryIn<{ id: number; schemaType: string; schema: string }>(
      this.db,
      sql`SELECT id, schema_type AS "schemaType", schema FROM registry_schema WHERE id = ${id}`,
    );
    return rows[0];
  }

  /** Where a schema is registered: subject and version pairs. */
  async usesOfSchema(id: number, includeDeleted: boolean): Promise<{ subject: string; version: number }[]> {
    return queryIn<{ subject: string; version: number }>(
      this.db,
      sql`SELECT subject, version FROM registry_subject_version WHERE schema_id = ${id} AND (${includeDeleted}::boolean OR NOT deleted) ORDER BY subject, version`,
    );
  }

  /**
   * Adds the schema to the subject as its next version, unless a live version holds it already
   * (then that one's id and version: registering is idempotent). The schema was checked against
   * the subject outside its lock; `unchanged` sees the live versions (oldest first) and levels as
   * they are under the lock and says whether they are still the ones checked against ("changed" if not).
   */
  async register(
    subject: string,
    schema: SchemaToStore,
    createdBy: string | undefined,
    limits: { maxSubjects: number; maxVersionsPerSubject: number },
    unchanged: (live: VersionRef[], levels: LevelsSet) => boolean,
  ): Promise<RegisterOutcome> {
    const attempt = () =>
      this.db.$transaction(async (tx): Promise<RegisterOutcome> => {
        await queryIn(tx, lockSubject(subject));
        // no schema text: the check needed it and is done
        const all = await queryIn<VersionRef & { deleted: boolean; fingerprint: string }>(
          tx,
          sql`SELECT v.version, v.schema_id AS id, v.deleted, s.fingerprint FROM registry_subject_version v JOIN registry_schema s ON s.id = v.schema_id
              WHERE v.subject = ${subject} ORDER BY v.version`,
        );
        const live = all.filter((v) => !v.deleted);
        const same = live.findLast((v) => v.fingerprint === schema.fingerprint);
        if (same) return { kind: "existing", id: same.id, version: same.version };
        if (all.length >= limits.maxVersionsPerSubject) return { kind: "too-many-versions", limit: limits.maxVersionsPerSubject };
        if (!all.length) {
          // counted without the other subjects' locks: concurrent new subjects can pass the bound by a few
          const [count] = await queryIn<{ n: number }>(tx, sql`SELECT count(DISTINCT subject)::int AS n FROM registry_subject_version`);
          if (count!.n >= limits.maxSubjects) return { kind: "too-many-subjects", limit: limits.maxSubjects };
        }
        if (!unchanged(live, await levelsIn(tx, subject))) return { kind: "changed" };
        const id = await this.schemaId(tx, schema);
        const version = (all.at(-1)?.version ?? 0) + 1;
        await queryIn(tx, sql`INSERT INTO registry_subject_version (subject, version, schema_id, created_by) VALUES (${subject}, ${version}, ${id}, ${createdBy ?? null})`);
        return { kind: "registered", id, version };
      }, TRANSACTION);
    try {
      return await attempt();
    } catch (e) {
      // the schema's row was removed by a permanent delete between finding it and referring to it: once more makes a new one
      if (!isPostgresError(e, FOREIGN_KEY_VIOLATION)) throw e;
      return attempt();
    }
  }

  /** The schema's id: the existing row with its fingerprint, else a new one from the sequence (one row whoever inserts at once). */
  private async schemaId(tx: Transaction, schema: SchemaToStore): Promise<number> {
    const find = () => queryIn<{ id: number }>(tx, sql`SELECT id FROM registry_schema WHERE fingerprint = ${schema.fingerprint}`);
    const found = await find();
    if (found[0]) return found[0].id;
    const inserted = await queryIn<{ id: number }>(
      tx,
      sql`INSERT INTO registry_schema (fingerprint, schema_type, schema) VALUES (${schema.fingerprint}, ${schema.schemaType}, ${schema.text})
          ON CONFLICT (fingerprint) DO NOTHING RETURNING id`,
    );
    if (inserted[0]) return inserted[0].id;
    // another transaction inserted it and committed while this one waited on the unique index
    const again = await find();
    if (!again[0]) throw new Error(`schema with fingerprint ${schema.fingerprint} neither inserted nor found`);
    return again[0].id;
  }

  /** Soft (`permanent` false) or permanent delete of one version (number, or the newest live one). */
  deleteVersion(subject: string, version: number | "latest", permanent: boolean): Promise<DeleteOutcome> {
    return this.deleting(subject, async (tx, all) => {
      const row = version === "latest" ? all.findLast((v) => !v.deleted) : all.find((v) => v.version === version);
      if (!row) return { kind: "no-version" };
      if (!permanent) {
        if (row.deleted) return { kind: "already-soft-deleted", version: row.version };
        await queryIn(tx, sql`UPDATE registry_subject_version SET deleted = TRUE WHERE subject = ${subject} AND version = ${row.version}`);
        return { kind: "deleted", versions: [row.version] };
      }
      if (!row.deleted) return { kind: "not-soft-deleted", version: row.version };
      await queryIn(tx, sql`DELETE FROM registry_subject_version WHERE subject = ${subject} AND version = ${row.version}`);
      return { kind: "deleted", versions: [row.version], schemaIds: [row.schema_id] };
    });
  }

  /** Soft delete of every live version, or permanent delete of the subject (all of it soft-deleted first) and its level. */
  deleteSubject(subject: string, permanent: boolean): Promise<DeleteOutcome> {
    return this.deleting(subject, async (tx, all) => {
      const live = all.filter((v) => !v.deleted);
      if (!permanent) {
        if (!live.length) return { kind: "already-soft-deleted" };
        await queryIn(tx, sql`UPDATE registry_subject_version SET deleted = TRUE WHERE subject = ${subject} AND NOT deleted`);
        return { kind: "deleted", versions: live.map((v) => v.version) };
      }
      if (live.length) return { kind: "not-soft-deleted" };
      await queryIn(tx, sql`DELETE FROM registry_subject_version WHERE subject = ${subject}`);
      await queryIn(tx, sql`DELETE FROM registry_config WHERE subject = ${subject}`);
      return { kind: "deleted", versions: all.map((v) => v.version), schemaIds: all.map((v) => v.schema_id) };
    });
  }

  /** A delete under the subject's lock, seeing all its versions (no-subject when it has none); then the schemas it left unused go. */
  private async deleting(
    subject: string,
    decide: (tx: Transaction, all: { version: number; deleted: boolean; schema_id: number }[]) => Promise<DeleteOutcome & { schemaIds?: number[] }>,
  ): Promise<DeleteOutcome> {
    const outcome = await this.db.$transaction(async (tx): Promise<DeleteOutcome & { schemaIds?: number[] }> => {
      await queryIn(tx, lockSubject(subject));
      const all = await queryIn<{ version: number; deleted: boolean; schema_id: number }>(
        tx,
        sql`SELECT version, deleted, schema_id FROM registry_subject_version WHERE subject = ${subject} ORDER BY version`,
      );
      return all.length ? decide(tx, all) : { kind: "no-subject" };
    }, TRANSACTION);
    if (outcome.schemaIds) await this.dropUnusedSchemas(outcome.schemaIds);
    return outcome.kind === "deleted" ? { kind: "deleted", versions: outcome.versions } : outcome;
  }

  /**
   * Removes schemas no version names any more (the sequence never gives their ids out again).
   * One at a time, outside the subject's transaction: a registration referring to one meanwhile
   * makes its DELETE fail on the foreign key, and that schema simply stays.
   */
  private async dropUnusedSchemas(ids: number[]): Promise<void> {
    for (const id of new Set(ids)) {
      try {
        await queryIn(
          this.db,
          sql`DELETE FROM registry_schema s WHERE s.id = ${id} AND NOT EXISTS (SELECT 1 FROM registry_subject_version v WHERE v.schema_id = s.id)`,
        );
      } catch (e) {
        if (!isPostgresError(e, FOREIGN_KEY_VIOLATION)) throw e;
      }
    }
  }

  /** The subject's own level and the global one. */
  levels(subject: string): Promise<LevelsSet> {
    return levelsIn(this.db, subject);
  }

  /** The subject's own level (undefined: none set), or the global one with subject undefined. */
  async compatibility(subject: string | undefined): Promise<string | undefined> {
    const rows = await queryIn<{ compatibility: string }>(this.db, sql`SELECT compatibility FROM registry_config WHERE subject = ${subject ?? GLOBAL}`);
    return rows[0]?.compatibility;
  }

  async setCompatibility(subject: string | undefined, level: string): Promise<void> {
    await queryIn(
      this.db,
      sql`INSERT INTO registry_config (subject, compatibility) VALUES (${subject ?? GLOBAL}, ${level})
          ON CONFLICT (subject) DO UPDATE SET compatibility = EXCLUDED.compatibility, updated_at = now()`,
    );
  }

  /** Removes the subject's own level; the one it had, if any. */
  async deleteCompatibility(subject: string): Promise<string | undefined> {
    const rows = await queryIn<{ compatibility: string }>(this.db, sql`DELETE FROM registry_config WHERE subject = ${subject} RETURNING compatibility`);
    return rows[0]?.compatibility;
  }
}

async function levelsIn(db: Transaction, subject: string): Promise<LevelsSet> {
  const rows = await queryIn<{ subject: string; compatibility: string }>(db, sql`SELECT subject, compatibility FROM registry_config WHERE subject IN (${subject}, ${GLOBAL})`);
  return { subject: rows.find((r) => r.subject === subject)?.compatibility, global: rows.find((r) => r.subject === GLOBAL)?.compatibility };
}

/** Serialises the subject's writes until the transaction ends (selected from, as a void result cannot be read back). */
function lockSubject(subject: string): Sql {
  return sql`SELECT 1 AS locked FROM pg_advisory_xact_lock(${SUBJECT_LOCK_SPACE}::int, hashtext(${subject}))`;
}

/** Whether a failed statement was refused by Postgres with this SQLSTATE (as pg or Prisma's adapter report it). */
function isPostgresError(e: unknown, sqlState: string): boolean {
  for (let err: unknown = e, depth = 0; err && typeof err === "object" && depth < 5; err = (err as { cause?: unknown }).cause, depth++) {
    // pg sets `code`; Prisma's driver adapter wraps it as P2010 with the SQLSTATE in meta
    const o = err as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } };
    if (o.code === sqlState || o.meta?.driverAdapterError?.cause?.originalCode === sqlState) return true;
  }
  return false;
}
