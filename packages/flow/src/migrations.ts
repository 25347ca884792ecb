import type { CatalogLike } from "./catalog-types.js";
import { formatPath, quote, truncate, type FlowError } from "./errors.js";
import { isPlainObject } from "./json-guard.js";
import { errorText } from "./zod-issues.js";

/**
 * Upgrades of old documents, applied before validation:
 * - document migrations move a whole document from schemaVersion N to N + 1;
 * - node migrations move one processor's config from typeVersion N to N + 1 (NiFi's
 *   `migrateProperties`), up to the version the catalogue has now.
 * The registry is an immutable value passed in (no module-level state), so tests, the
 * engine and the web can each use their own; `defaultMigrations` is the one to ship.
 */

/** The schemaVersion this package writes and validates. */
export const CURRENT_SCHEMA_VERSION = 1;

/** Gets a (deep-copied, freely mutable) document of version `from`, returns one of `from + 1`. */
export type DocumentMigration = (doc: Record<string, unknown>) => Record<string, unknown>;

/** Gets a (deep-copied) config of typeVersion `from`, returns the config for `from + 1`. */
export type NodeMigration = (config: Record<string, unknown>, node: Readonly<Record<string, unknown>>) => Record<string, unknown>;

export interface MigrationRegistry {
  readonly document: ReadonlyMap<number, DocumentMigration>;
  /** type → fromVersion → migration */
  readonly nodes: ReadonlyMap<string, ReadonlyMap<number, NodeMigration>>;
}

export function createMigrationRegistry(): MigrationRegistry {
  return { document: new Map(), nodes: new Map() };
}

function checkVersion(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0) throw new Error(`${what} must be an integer >= 0, got ${v}`);
}

/** A new registry with `fn` upgrading documents from `from` to `from + 1`. Throws if already registered. */
export function registerDocumentMigration(registry: MigrationRegistry, from: number, fn: DocumentMigration): MigrationRegistry {
  checkVersion(from, "from");
  if (registry.document.has(from)) throw new Error(`a document migration from schemaVersion ${from} is already registered`);
  return { document: new Map(registry.document).set(from, fn), nodes: registry.nodes };
}

/** A new registry with `fn` upgrading `type` nodes from `fromVersion` to `fromVersion + 1`. Throws if already registered. */
export function registerNodeMigration(registry: MigrationRegistry, type: string, fromVersion: number, fn: NodeMigration): MigrationRegistry {
  checkVersion(fromVersion, "fromVersion");
  const forType = registry.nodes.get(type);
  if (forType?.has(fromVersion)) throw new Error(`a migration for ${type} from typeVersion ${fromVersion} is already registered`);
  const nodes = new Map(registry.nodes).set(type, new Map(forType ?? []).set(fromVersion, fn));
  return { document: registry.document, nodes };
}

/** v1 is the first published format: nothing to migrate yet. */
export const defaultMigrations: MigrationRegistry = createMigrationRegistry();

export type MigrationResult =
  | { ok: true; document: unknown; /** e.g. "schemaVersion 0→1", "nodes[2] (filter) v1→v2" */ applied: string[] }
  | { ok: false; errors: FlowError[] };

/**
 * Applies document migrations then node migrations. Works on unvalidated input (what it cannot
 * recognise it leaves for validation to report) and never mutates it: migrations get copies.
 * A node whose typeVersion is below the catalogue's with no migration path is an error; one
 * above the catalogue's is left for validateFlow ("unsupported typeVersion").
 */
export function migrateFlow(input: unknown, registry: MigrationRegistry, catalog: CatalogLike): MigrationResult {
  try {
    return migrate(input, registry, catalog);
  } catch (e) {
    return { ok: false, errors: [{ path: "", message: `migration failed: ${truncate(errorText(e))}` }] };
  }
}

function migrate(input: unknown, registry: MigrationRegistry, catalog: CatalogLike): MigrationResult {
  if (!isPlainObject(input)) return { ok: true, document: input, applied: [] };
  const applied: string[] = [];
  let doc: Record<string, unknown> = input;
  let copied = false;
  const own = () => {
    if (!copied) {
      doc = structuredClone(doc);
      copied = true;
    }
    return doc;
  };

  const declared = doc.schemaVersion;
  if (typeof declared === "number" && Number.isInteger(declared)) {
    let version = declared;
    if (version > CURRENT_SCHEMA_VERSION) {
      return { ok: false, errors: [{ path: "schemaVersion", message: `unsupported schemaVersion ${version} (this version reads up to ${CURRENT_SCHEMA_VERSION})` }] };
    }
    while (version < CURRENT_SCHEMA_VERSION) {
      const fn = registry.document.get(version);
      if (!fn) return { ok: false, errors: [{ path: "schemaVersion", message: `schemaVersion ${version} cannot be upgraded (no migration from ${version})` }] };
      let next: unknown;
      try {
        next = fn(own());
      } catch (e) {
        return { ok: false, errors: [{ path: "", message: `migration from schemaVersion ${version} failed: ${truncate(errorText(e))}` }] };
      }
      if (!isPlainObject(next)) return { ok: false, errors: [{ path: "", message: `migration from schemaVersion ${version} returned no document` }] };
      // The migration owns the version step: whatever it wrote, the result is `version + 1`.
      doc = { ...next, schemaVersion: version + 1 };
      applied.push(`schemaVersion ${version}→${version + 1}`);
      version = version + 1;
    }
  }

  if (!Array.isArray(doc.nodes)) return { ok: true, document: doc, applied };
  const errors: FlowError[] = [];
  const nodes = doc.nodes as unknown[];
  let newNodes: unknown[] | undefined;
  nodes.forEach((raw, i) => {
    if (!isPlainObject(raw) || typeof raw.type !== "string" || !isPlainObject(raw.config)) return;
    let tv = raw.typeVersion;
    if (typeof tv !== "number" || !Number.isInteger(tv)) return;
    const info = catalog.get(raw.type);
    if (!info || tv >= info.version) return;
    let node: Record<string, unknown> = structuredClone(raw);
    while (tv < info.version) {
      const fn = registry.nodes.get(raw.type)?.get(tv);
      if (!fn) {
        errors.push({ path: formatPath(["nodes", i, "typeVersion"]), message: `${quote(raw.type)} v${tv} cannot be upgraded to v${info.version} (no migration from v${tv})` });
        return;
      }
      let config: unknown;
      try {
        config = fn(node.config as Record<string, unknown>, node);
      } catch (e) {
        errors.push({ path: formatPath(["nodes", i, "config"]), message: `migration of ${quote(raw.type)} v${tv}→v${tv + 1} failed: ${truncate(errorText(e))}` });
        return;
      }
      if (!isPlainObject(config)) {
        errors.push({ path: formatPath(["nodes", i, "config"]), message: `migration of ${quote(raw.type)} v${tv}→v${tv + 1} returned no config` });
        return;
      }
      node = { ...node, config, typeVersion: tv + 1 };
      applied.push(`${formatPath(["nodes", i])} (${raw.type}) v${tv}→v${tv + 1}`);
      tv++;
    }
    newNodes ??= [...nodes];
    newNodes[i] = node;
  });
  if (errors.length > 0) return { ok: false, errors };
  if (newNodes) doc = { ...doc, nodes: newNodes };
  return { ok: true, document: doc, applied };
}
