import type avro from "avsc";
import type { SchemaRegistryRepository, SubjectVersionRow } from "../db/index.js";
import { parseAvroSchema, type ParsedSchema } from "./avro-schema.js";
import { compatibilityProblems, DEFAULT_COMPATIBILITY, COMPATIBILITY_LEVELS, isCompatibilityLevel, type CompatibilityLevel, type EarlierSchema } from "./compatibility.js";
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
import type { RegistrySettings } from "./settings.js";

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
/** Parsed earlier versions kept for compatibility checks; a transitive subject would parse them all on every registration. */
const PARSED_CACHE_SIZE = 512;

/**
 * The schema registry's rules, shared by its REST API (http.ts) and the designer's tRPC router:
 * validating subjects, versions and schemas, idempotent registration under the subject's
 * compatibility level, soft and permanent deletes, levels per subject and global. Every refusal
 * is a RegistryError with Confluent's status and error code.
 */
export class SchemaRegistry {
  private readonly parsed = new Map<number, avro.Type>();

  constructor(
    private readonly store: SchemaRegistryRepository,
    readonly settings: RegistrySettings,
  ) {}

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

  /** Registers the schema under the subject (its id, new or the one it has there already), if the subject's level admits it. */
  async register(subject: string, request: SchemaRequest, createdBy: string | undefined): Promise<{ id: number; version: number; created: boolean }> {
    this.checkSubject(subject);
    const schema = this.parse(request);
    const level = await this.levelOf(subject);
    const outcome = await this.store.register(
      subject,
      { fingerprint: schema.fingerprint, schemaType: "AVRO", text: schema.text },
      createdBy,
      this.settings,
      (live) => {
        const problems = compatibilityProblems(schema.type, this.earlier(live), level);
        if (problems.length) throw incompatible(subject, problems);
      },
    );
    switch (outcome.kind) {
      case "too-many-subjects":
        throw notPermitted(`this registry holds ${outcome.limit} subjects already, its limit (MILLRACE_SCHEMA_REGISTRY_MAX_SUBJECTS); delete subjects permanently to make room`);
      case "too-many-versions":
        throw notPermitted(`subject '${subject}' has ${outcome.limit} versions already, the limit (MILLRACE_SCHEMA_REGISTRY_MAX_VERSIONS); delete versions permanently to make room`);
      default:
        return { id: outcome.id, version: outcome.version, created: outcome.kind === "registered" };
    }
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
    const outcome = await this.store.deleteSubject(subject, permanent);
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
    const outcome = await this.store.deleteVersion(subject, version, permanent);
    switch (outcome.kind) {
      case "deleted":
        return outcome.versions[0]!;
      case "no-subject":
        throw subjectNotFound(subject);
      case "no-version":
        throw versionNotFound(subject, version);
      case "already-soft-deleted":
        throw versionSoftDeleted(subject, version as number);
      case "not-soft-deleted":
        throw versionNotSoftDeleted(subject, version as number);
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
    let against: SubjectVersionRow[];
    if (typeof version === "number") {
      const row = await this.store.version(subject, version, false);
      if (!row) throw (await this.store.subjectExists(subject)) ? versionNotFound(subject, version) : subjectNotFound(subject);
      against = [row];
    } else {
      against = await this.store.versions(subject, false);
      if (!against.length && version === "latest") throw subjectNotFound(subject);
    }
    // a named version is the only one in `against`: checked in the level's direction(s), transitive or not
    const problems = compatibilityProblems(schema.type, this.earlier(against), level);
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
    const level = typeof given.compatibility === "string" ? given.compatibility.toUpperCase() : given.compatibilityLevel;
    if (!isCompatibilityLevel(level)) throw invalidCompatibility(given.compatibility ?? given.compatibilityLevel, COMPATIBILITY_LEVELS);
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
    const own = await this.store.compatibility(subject);
    return isCompatibilityLevel(own) ? own : this.globalLevel();
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

  /** Earlier versions as Avro types (stored schemas were valid when registered; parsed once per id). */
  private earlier(rows: readonly SubjectVersionRow[]): EarlierSchema[] {
    return rows.map((r) => {
      let type = this.parsed.get(r.id);
      if (!type) {
        type = parseAvroSchema(r.schema, { maxSchemaBytes: Number.MAX_SAFE_INTEGER, maxSchemaDepth: Number.MAX_SAFE_INTEGER }).type;
        if (this.parsed.size >= PARSED_CACHE_SIZE) this.parsed.delete(this.parsed.keys().next().value!);
        this.parsed.set(r.id, type);
      }
      return { version: r.version, id: r.id, type };
    });
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

function answer(row: SubjectVersionRow): SubjectVersion {
  const out: SubjectVersion = { subject: row.subject, version: row.version, id: row.id, schema: row.schema };
  if (row.schemaType !== "AVRO") out.schemaType = row.schemaType;
  return out;
}
