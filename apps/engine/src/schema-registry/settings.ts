import { positiveIntegerFromEnv as positiveInteger } from "../config.js";

/** The registry's bounds: every one keeps a single caller from filling Postgres or the engine's memory. */
export interface RegistrySettings {
  /** a schema's text, in UTF-8 bytes (MILLRACE_SCHEMA_REGISTRY_MAX_SCHEMA_BYTES, default 1 MiB) */
  maxSchemaBytes: number;
  /** subjects that have any version, soft-deleted ones included (MILLRACE_SCHEMA_REGISTRY_MAX_SUBJECTS, default 10,000) */
  maxSubjects: number;
  /** versions one subject keeps, soft-deleted ones included (MILLRACE_SCHEMA_REGISTRY_MAX_VERSIONS, default 1,000) */
  maxVersionsPerSubject: number;
  /** nesting of a schema's JSON (arrays and objects), against stack-deep inputs */
  maxSchemaDepth: number;
  /** a subject name's length in characters */
  maxSubjectLength: number;
  /** what one schema may hold of the parts compatibility checks spend quadratic time on (see SchemaBounds) */
  maxUnionBranches: number;
  maxUnionBranchPairs: number;
  maxNamedTypes: number;
  maxFields: number;
  maxEnumSymbols: number;
  /** memory for earlier versions kept parsed, estimated from their text (MILLRACE_SCHEMA_REGISTRY_PARSED_CACHE_MB, default 64) */
  parsedCacheBytes: number;
}

export const DEFAULT_REGISTRY_SETTINGS: RegistrySettings = {
  maxSchemaBytes: 1024 * 1024,
  maxSubjects: 10_000,
  maxVersionsPerSubject: 1_000,
  maxSchemaDepth: 64,
  maxSubjectLength: 255,
  // measured on 2 cores: no schema within these takes a compatibility check (or a parse) past ~a second
  maxUnionBranches: 100,
  maxUnionBranchPairs: 100_000,
  maxNamedTypes: 1_000,
  maxFields: 10_000,
  maxEnumSymbols: 10_000,
  parsedCacheBytes: 64 * 1024 * 1024,
};

export function registrySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): RegistrySettings {
  return {
    ...DEFAULT_REGISTRY_SETTINGS,
    maxSchemaBytes: positiveInteger(env, "MILLRACE_SCHEMA_REGISTRY_MAX_SCHEMA_BYTES") ?? DEFAULT_REGISTRY_SETTINGS.maxSchemaBytes,
    maxSubjects: positiveInteger(env, "MILLRACE_SCHEMA_REGISTRY_MAX_SUBJECTS") ?? DEFAULT_REGISTRY_SETTINGS.maxSubjects,
    maxVersionsPerSubject: positiveInteger(env, "MILLRACE_SCHEMA_REGISTRY_MAX_VERSIONS") ?? DEFAULT_REGISTRY_SETTINGS.maxVersionsPerSubject,
    parsedCacheBytes: (positiveInteger(env, "MILLRACE_SCHEMA_REGISTRY_PARSED_CACHE_MB") ?? DEFAULT_REGISTRY_SETTINGS.parsedCacheBytes / 1024 / 1024) * 1024 * 1024,
  };
}
