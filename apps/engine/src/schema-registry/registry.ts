import { setImmediate as nextTurn } from "node:timers/promises";
import type avro from "avsc";
import type { SchemaRegistryRepository, SubjectVersionRow } from "../db/index.js";
import type { LevelsSet, VersionRef as StoredVersion } from "../db/schema-registry.js";
import { parseAvroSchema, type ParsedSchema, type SchemaBounds } from "./avro-schema.js";
import { DEFAULT_COMPATIBILITY, COMPATIBILITY_LEVELS, isCompatibilityLevel, problemsAgainst, versionsToCheck, type CompatibilityLevel } from "./compatibility.js";
import {
  badRequest,
  incompatible,
  invalidCompatibility,
  invalidSchema,
  invalidVersion,
  notPermitted,
  RegistryError,
  schemaNotFound,
  subjectConfigNotFound,
  subjectNotFound,
  subjectNotSoftDeleted,
  subjectSoftDeleted,
  versionNotFound,
  versionNotSoftDeleted,
  versionSoftDeleted,
} from "./errors.js";
import { ParsedSchemaCache } from "./parsed-cache.js";
import type { RegistrySettings } from "./settings.js";
import { KeyedQueue } from "./subject-queue.js";

/** A version as Confluent answers it (schemaType only when not AVRO, as Confluent omits it). */
export interface SubjectVersion {
  subject: string;
  id: number;
  version: number;
  schema: string;
  schemaType?: string;
}

export interface SubjectSummary {
  subject: string;
  versions: number[];
  latestId: number;
  /** the level that applies: the subject's own, else the global one */
  compatibility: CompatibilityLevel;
}

/** What a client sends to register, look up or check a schema (Confluent's request body). */
export interface SchemaRequest {
  schema?: unknown;
  schemaType?: unknown;
  references?: unknown;
}

/** `latest` (or Confluent's -1) or a version number 1…2^31-1. */
export type VersionRef = number | "latest";

const MAX_VERSION = 2 ** 31 - 1;
/** Stored schemas passed these bounds when registered (or predate them): parsing them again checks nothing. */
const STORED: SchemaBounds = {
  maxSchemaBytes: Infinity,
  maxSchemaDepth: Infinity,
  maxUnionBranches: Infinity,
  maxUnionBranchPairs: Infinity,
  maxNamedTypes: Infinity,
  maxFields: Infinity,
  maxEnumSymbols: Infinity,
};
/** Checks of one registration against a subject that other engines keep changing meanwhile, before giving up. */
const CHECK_ATTEMPTS = 5;
/** Per process, not per registry: every SchemaRegistry of this engine queues one subject's writes here. */
const subjectWrites = new KeyedQueue();

/**
 * The schema registry's rules, shared by its REST API (http.ts) and the designer's tRPC router:
 * validating subjects, versions and schemas, idempotent registration under the subject's
 * compatibility level, soft and permanent deletes, levels per subject and global. Every refusal
 * is a RegistryError with Confluent's status and error code.
 */
export class SchemaRegistry {
  /** earlier versions parsed, for compatibility checks (a transitive level looks at every version on every registration) */
  private readonly parsed: ParsedSchemaCache;

  constructor(
    private readonly store: SchemaRegistryRepository,
    readonly settings: RegistrySettings,
  ) {
    this.parsed = new ParsedSchemaCache(settings.parsedCacheBytes);
  }

  subjects(includeDeleted = false): Promise<string[]> {
    return this.store.subjects(includeDeleted);
  }

  async summaries(): Promise<SubjectSummary[]> {
    const global = await this.globalLevel();
    const rows = await this.store.summaries();
    return rows.map((r) => ({ subject: r.subject, versions: r.versions, latestId: r.latestId, compatibility: isCompatibilityLevel(r.compatibility) ? r.compatibility : global }));
  }

  async versions(subject: string, includeDeleted = false): Promise<number[]> {
    this.checkSubject(subject);
    const rows = await this.store.versions(subject, includeDeleted);
    if (!rows.length) throw subjectNotFound(subject);
    return rows.map((r) => r.version);
  }

  async version(subject: string, version: VersionRef, includeDeleted = false): Promise<SubjectVersion> {
    this.checkSubject(subject);
    const row = await this.store.version(subject, version, includeDeleted);
    if (row) return answer(row);
    if (!(await this.store.subjectExists(subject))) throw subjectNotFound(subject);
    throw versionNotFound(subject, version);
  }

  /**
   * Registers the schema under the subject (its id, new or the one it has there already), if the
   * subject's level admits it. A schema the subject holds already (what every producer sends on
   * start) is answered without a lock or a transaction. Otherwise the check runs before the
   * subject's lock is taken (it may take up to a second for the largest schemas) and the write,
   * under the lock, goes through only if the versions and levels checked against are still the
   * subject's; else it checks again.
   */
  async register(subject: string, request: SchemaRequest, createdBy: string | undefined): Promise<{ id: number; version: number; created: boolean }> {
    this.checkSubject(subject);
    const schema = this.parse(request);
    const held = await this.store.liveVersionOfSchema(subject, schema.fingerprint);
    if (held) return { id: held.id, version: held.version, created: false };
    return subjectWrites.run(subject, async () => {
      for (let attempt = 1; ; attempt++) {
        const levels = await this.store.levels(subject);
        const level = levelOf(levels);
        const live = await this.store.liveVersions(subject);
        const problems = await this.problems(schema.type, live, level);
        if (problems.length) throw incompatible(subject, problems);
        const outcome = await this.store.register(
          subject,
          { fingerprint: schema.fingerprint, schemaType: "AVRO", text: schema.text },
          createdBy,
          this.settings,
          (liveNow, levelsNow) => levelOf(levelsNow) === level && sameVersions(liveNow, live),
        );
        switch (outcome.kind) {
          case "changed":
            if (attempt < CHECK_ATTEMPTS) continue;
            // Confluent's "operation timed out": a client may retry
            throw new RegistryError(500, 50002, `subject '${subject}' changed ${CHECK_ATTEMPTS} times while the schema was checked against it (other engines are writing to it): try again`);
          case "too-many-subjects":
            throw notPermitted(`this registry holds ${outcome.limit} subjects already, its limit (MILLRACE_SCHEMA_REGISTRY_MAX_SUBJECTS); delete subjects permanently to make room`);
          case "too-many-versions":
            throw notPermitted(`subject '${subject}' has ${outcome.limit} versions already, the limit (MILLRACE_SCHEMA_REGISTRY_MAX_VERSIONS); delete versions permanently to make room`);
          default:
            return { id: outcome.id, version: outcome.version, created: outcome.kind === "registered" };
        }
      }
    });
  }

  /** Which version of the subject holds this schema. */
  async lookup(subject: string, request: SchemaRequest, includeDeleted = false): Promise<SubjectVersion> {
    this.checkSubject(subject);
    const schema = this.parse(request);
    const row = await this.store.versionOfSchema(subject, schema.fingerprint, includeDeleted);
    if (row) return answer(row);
    if (!(await this.store.subjectExists(subject))) throw subjectNotFound(subject);
    throw schemaNotFound(`Schema not found in subject '${subject}'`);
  }

  async schemaById(id: number): Promise<{ schema: string; schemaType?: string }> {
    const row = await this.store.schema(this.checkId(id));
    if (!row) throw schemaNotFound(`Schema ${id} not found`);
    return row.schemaType === "AVRO" ? { schema: row.schema } : { schema: row.schema, schemaType: row.schemaType };
  }

  async usesOfSchema(id: number, includeDeleted = false): Promise<{ subject: string; version: number }[]> {
    const uses = await this.store.usesOfSchema(this.checkId(id), includeDeleted);
    if (!uses.length && !(await this.store.schema(id))) throw schemaNotFound(`Schema ${id} not found`);
    return uses;
  }

  /** The versions deleted. */
  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    this.checkSubject(subject);
    const outcome = await subjectWrites.run(subject, () => this.store.deleteSubject(subject, permanent));
    switch (outcome.kind) {
      case "deleted":
        return outcome.versions;
      case "no-subject":
      case "no-version":
        throw subjectNotFound(subject);
      case "already-soft-deleted":
        throw subjectSoftDeleted(subject);
      case "not-soft-deleted":
        throw subjectNotSoftDeleted(subject);
    }
  }

  /** The version deleted. */
  async deleteVersion(subject: string, version: VersionRef, permanent: boolean): Promise<number> {
    this.checkSubject(subject);
    const outcome = await subjectWrites.run(subject, () => this.store.deleteVersion(subject, version, permanent));
    switch (outcome.kind) {
      case "deleted":
        return outcome.versions[0]!;
      case "no-subject":
        throw subjectNotFound(subject);
      case "no-version":
        throw versionNotFound(subject, version);
      // `latest` resolved by the store: the message names the version it is
      case "already-soft-deleted":
        throw versionSoftDeleted(subject, outcome.version ?? version);
      case "not-soft-deleted":
        throw versionNotSoftDeleted(subject, outcome.version ?? version);
    }
  }

  /**
   * Whether the schema could be registered: against one version when `version` names it, else
   * against what the subject's level looks at (`latest` and undefined). Messages say what breaks.
   */
  async checkCompatibility(subject: string, version: VersionRef | undefined, request: SchemaRequest): Promise<{ is_compatible: boolean; messages: string[] }> {
    this.checkSubject(subject);
    const schema = this.parse(request);
    const level = await this.levelOf(subject);
    let against: StoredVersion[];
    if (typeof version === "number") {
      const row = await this.store.version(subject, version, false);
      if (!row) throw (await this.store.subjectExists(subject)) ? versionNotFound(subject, version) : subjectNotFound(subject);
      against = [{ version: row.version, id: row.id }];
    } else {
      against = await this.store.liveVersions(subject);
      if (!against.length && version === "latest") throw subjectNotFound(subject);
    }
    // a named version is the only one in `against`: checked in the level's direction(s), transitive or not
    const problems = await this.problems(schema.type, against, level);
    return { is_compatible: problems.length === 0, messages: problems.length ? [...problems, `compatibility level: ${level}`] : [] };
  }

  /** The subject's own level (40408 when it has none, unless `orGlobal`), or the global level. */
  async config(subject: string | undefined, orGlobal = false): Promise<{ compatibilityLevel: CompatibilityLevel }> {
    if (subject === undefined) return { compatibilityLevel: await this.globalLevel() };
    this.checkSubject(subject);
    const own = await this.store.compatibility(subject);
    if (isCompatibilityLevel(own)) return { compatibilityLevel: own };
    if (orGlobal) return { compatibilityLevel: await this.globalLevel() };
    throw subjectConfigNotFound(subject);
  }

  async setConfig(subject: string | undefined, body: unknown): Promise<{ compatibility: CompatibilityLevel }> {
    if (subject !== undefined) this.checkSubject(subject);
    const given = typeof body === "object" && body !== null ? (body as { compatibility?: unknown; compatibilityLevel?: unknown }) : {};
    const asGiven = given.compatibility ?? given.compatibilityLevel;
    // Confluent takes a level in any case, under either key
    const level = typeof asGiven === "string" ? asGiven.toUpperCase() : asGiven;
    if (!isCompatibilityLevel(level)) throw invalidCompatibility(asGiven, COMPATIBILITY_LEVELS);
    await this.store.setCompatibility(subject, level);
    return { compatibility: level };
  }

  /** Removes the subject's own level; it follows the global one again. */
  async deleteConfig(subject: string): Promise<{ compatibilityLevel: CompatibilityLevel }> {
    this.checkSubject(subject);
    const removed = await this.store.deleteCompatibility(subject);
    if (!isCompatibilityLevel(removed)) throw subjectConfigNotFound(subject);
    return { compatibilityLevel: removed };
  }

  /** The level a registration under the subject must pass. */
  async levelOf(subject: string): Promise<CompatibilityLevel> {
    return levelOf(await this.store.levels(subject));
  }

  private async globalLevel(): Promise<CompatibilityLevel> {
    const global = await this.store.compatibility(undefined);
    return isCompatibilityLevel(global) ? global : DEFAULT_COMPATIBILITY;
  }

  private parse(request: SchemaRequest): ParsedSchema {
    if (typeof request !== "object" || request === null) throw invalidSchema('the body must be a JSON object {"schema": "<the schema as JSON text>"}');
    const { schema, schemaType, references } = request;
    if (schemaType !== undefined && schemaType !== null && schemaType !== "AVRO") {
      throw invalidSchema(`schemaType ${JSON.stringify(schemaType).slice(0, 50)} is not supported: this registry keeps AVRO schemas only`);
    }
    if (Array.isArray(references) && references.length) throw invalidSchema("schema references are not supported by this registry: send the schema with its named types inlined");
    if (typeof schema !== "string" || schema.trim() === "") throw invalidSchema('"schema" must be the schema as JSON text (a string), e.g. "{\\"type\\": \\"string\\"}"');
    return parseAvroSchema(schema, this.settings);
  }

  /**
   * What keeps `candidate` from joining at `level`, checked against the live versions the level
   * looks at only (parsed, or read and parsed, one at a time). Each version's check is bounded by
   * the schema bounds; between versions other requests get their turn.
   */
  private async problems(candidate: avro.Type, live: readonly StoredVersion[], level: CompatibilityLevel): Promise<string[]> {
    const problems: string[] = [];
    for (const old of versionsToCheck(live, level)) {
      const type = await this.earlierType(old.id);
      // gone meanwhile (deleted permanently): the write's look under the lock sees the change
      if (!type) continue;
      // parsing it and checking against it are each bounded; other requests run in between
      await nextTurn();
      problems.push(...problemsAgainst(candidate, { ...old, type }, level));
    }
    return problems;
  }

  /** A stored schema as an Avro type (stored schemas were valid when registered). */
  private async earlierType(id: number): Promise<avro.Type | undefined> {
    const cached = this.parsed.get(id);
    if (cached) return cached;
    const row = await this.store.schema(id);
    if (!row) return undefined;
    const type = parseAvroSchema(row.schema, STORED).type;
    this.parsed.set(id, type, row.schema.length);
    return type;
  }

  private checkSubject(subject: string): void {
    if (subject.length === 0 || subject.length > this.settings.maxSubjectLength) {
      throw new RegistryError(422, 42208, `Invalid subject: a subject name has 1 to ${this.settings.maxSubjectLength} characters (got ${subject.length})`);
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(subject)) throw new RegistryError(422, 42208, "Invalid subject: a subject name may not hold control characters");
  }

  private checkId(id: number): number {
    if (!Number.isInteger(id) || id < 1 || id > MAX_VERSION) throw badRequest(`a schema id is a whole number from 1 to ${MAX_VERSION} (got ${id})`);
    return id;
  }
}

/** A version given as text (a URL segment): `latest`, -1 or 1…2^31-1; 42202 otherwise. */
export function parseVersionRef(text: string): VersionRef {
  if (text === "latest" || text === "-1") return "latest";
  if (!/^[0-9]{1,10}$/.test(text)) throw invalidVersion(text);
  const n = Number(text);
  if (n < 1 || n > MAX_VERSION) throw invalidVersion(text);
  return n;
}

/** The level that applies: the subject's own, else the global one, else the default. */
function levelOf(levels: LevelsSet): CompatibilityLevel {
  if (isCompatibilityLevel(levels.subject)) return levels.subject;
  return isCompatibilityLevel(levels.global) ? levels.global : DEFAULT_COMPATIBILITY;
}

function sameVersions(a: readonly StoredVersion[], b: readonly StoredVersion[]): boolean {
  return a.length === b.length && a.every((v, i) => v.version === b[i]!.version && v.id === b[i]!.id);
}

function answer(row: SubjectVersionRow): SubjectVersion {
  const out: SubjectVersion = { subject: row.subject, version: row.version, id: row.id, schema: row.schema };
  if (row.schemaType !== "AVRO") out.schemaType = row.schemaType;
  return out;
}
