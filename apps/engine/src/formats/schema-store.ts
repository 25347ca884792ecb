/**
 * Where a flow's Avro schemas come from and go: the engine's own registry, or a `schema-registry`
 * connection (an existing Confluent-compatible registry). Schemas travel as JSON text.
 */
export interface SchemaStore {
  /** names the registry in errors: `the engine's registry`, `registry "corp"` */
  readonly name: string;
  /** the schema with this id (every version a producer used stays readable) */
  byId(id: number): Promise<string>;
  /** a subject's version (`latest` by default) */
  version(subject: string, version?: number | "latest"): Promise<{ id: number; version: number; schema: string }>;
  /** registers `schema` under `subject` (the subject's compatibility rule decides; the same schema again answers the same id) */
  register(subject: string, schema: string): Promise<{ id: number }>;
  /** What would break if `schema` were registered under `subject` by its compatibility rule (empty: nothing; a new subject: nothing). */
  incompatibilities(subject: string, schema: string): Promise<string[]>;
}
