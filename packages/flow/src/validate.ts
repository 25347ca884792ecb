import type { CatalogLike, ProcessorTypeInfo } from "./catalog-types.js";
import { FlowDocumentSchema, type FlowDocument } from "./document.js";
import { formatPath, quote, truncate, type FlowError } from "./errors.js";
import { findCycles } from "./graph.js";
import { groupErrors } from "./groups.js";
import { checkJsonValue, JSON_LIMITS } from "./json-guard.js";
import { defaultMigrations, migrateFlow, type MigrationRegistry } from "./migrations.js";
import { findParameterReferences, sensitiveValuesOf } from "./parameters.js";
import { describeSecretFields, inSecretField, secretFields } from "./secret-fields.js";
import { checkSchema, errorText } from "./zod-issues.js";

/**
 * validateFlow: the single gate every imported, saved or deployed document goes through.
 * Phases, each only when the previous one passed (later checks rely on earlier guarantees):
 *   1. plain JSON (bounded depth/size, no `__proto__`, no functions/BigInt/NaN...)
 *   2. migrations (schemaVersion, then per-processor typeVersion)
 *   3. the structural zod schema of flow document v1
 *   4. semantics: catalogue types and versions, configs, unique ids, edges, ports, cycles, parameters
 * It never throws: anything unexpected becomes a root error.
 */

export interface ValidateOptions {
  /** Migrations applied before validation; default `defaultMigrations`. */
  migrations?: MigrationRegistry;
  /** Also warn about nodes that need input but have no incoming edge (see validateForDeploy). */
  deploy?: boolean;
  /**
   * A draft (a save): phases 1-3 exactly as an import, so ids, sizes and shapes follow one rule;
   * phase 4 is left to deploy and import, since a node being edited may not be complete yet.
   */
  draft?: boolean;
}

export type ValidationResult =
  | { ok: true; document: FlowDocument; warnings: FlowError[] }
  | { ok: false; errors: FlowError[]; warnings: FlowError[] };

export function validateFlow(input: unknown, catalog: CatalogLike, options: ValidateOptions = {}): ValidationResult {
  let result: ValidationResult;
  try {
    result = validate(input, catalog, options);
  } catch (e) {
    result = { ok: false, errors: [{ path: "", message: `could not be validated: ${truncate(errorText(e))}` }], warnings: [] };
  }
  return scrubSecrets(result, input);
}

/**
 * validateFlow plus warnings (severity "warning") for transforms/sinks with no incoming edge:
 * they would never receive a record. Warnings do not make the result fail; the designer marks
 * those nodes as disconnected.
 */
export function validateForDeploy(input: unknown, catalog: CatalogLike, options: Omit<ValidateOptions, "deploy"> = {}): ValidationResult {
  return validateFlow(input, catalog, { ...options, deploy: true });
}

function fail(errors: FlowError[]): ValidationResult {
  if (errors.length > JSON_LIMITS.maxErrors) {
    const more = errors.length - JSON_LIMITS.maxErrors;
    errors = [...errors.slice(0, JSON_LIMITS.maxErrors), { path: "", message: `and ${more} more error${more === 1 ? "" : "s"}` }];
  }
  return { ok: false, errors, warnings: [] };
}

function validate(input: unknown, catalog: CatalogLike, options: ValidateOptions): ValidationResult {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return fail([{ path: "", message: `expected a flow document (a JSON object), got ${input === null ? "null" : Array.isArray(input) ? "an array" : typeof input}` }]);
  }
  const jsonErrors = checkJsonValue(input);
  if (jsonErrors.length > 0) return fail(jsonErrors);

  const migrated = migrateFlow(input, options.migrations ?? defaultMigrations, catalog);
  if (!migrated.ok) return fail(migrated.errors);
  if (migrated.applied.length > 0) {
    // A migration is code: make sure it produced JSON as well.
    const again = checkJsonValue(migrated.document);
    if (again.length > 0) return fail(again);
  }

  const structural = checkSchema(FlowDocumentSchema, migrated.document);
  if (!structural.ok) return fail(structural.errors);
  // Detach from the caller's objects: the result may be edited or stored independently.
  const doc = structuredClone(structural.value);
  if (options.draft) {
    // even a draft never puts a secret where it could come back (a topic name, a path)
    // groups too: a draft's groups are drawn at once, and a broken nesting cannot be drawn
    const misplaced = [...misplacedSecrets(doc, catalog), ...groupErrors(doc)];
    return misplaced.length > 0 ? fail(misplaced) : { ok: true, document: doc, warnings: [] };
  }

  const errors = semanticErrors(doc, catalog);
  if (errors.length > 0) return fail(errors);
  return { ok: true, document: doc, warnings: options.deploy ? deployWarnings(doc, catalog) : [] };
}

function duplicates(names: readonly string[], where: (i: number) => string, what: string, errors: FlowError[]): void {
  const firstAt = new Map<string, number>();
  names.forEach((name, i) => {
    const first = firstAt.get(name);
    if (first === undefined) firstAt.set(name, i);
    else errors.push({ path: where(i), message: `duplicate ${what} ${quote(name)} (also ${where(first)})` });
  });
}

function safePorts(info: ProcessorTypeInfo, config: unknown): string[] | undefined {
  try {
    const ports = info.outputPorts(config);
    return Array.isArray(ports) ? ports.filter((p): p is string => typeof p === "string") : undefined;
  } catch {
    return undefined;
  }
}

function semanticErrors(doc: FlowDocument, catalog: CatalogLike): FlowError[] {
  const errors: FlowError[] = [];
  duplicates(doc.nodes.map((n) => n.id), (i) => `nodes[${i}].id`, "node id", errors);
  duplicates(doc.edges.map((e) => e.id), (i) => `edges[${i}].id`, "edge id", errors);
  duplicates(doc.parameters.map((p) => p.name), (i) => `parameters[${i}].name`, "parameter name", errors);

  // Per node: known type, supported version, valid config. Ports only for nodes that passed.
  const nodeById = new Map<string, { info?: ProcessorTypeInfo; ports?: string[] }>();
  doc.nodes.forEach((node, i) => {
    const entry: { info?: ProcessorTypeInfo; ports?: string[] } = {};
    if (!nodeById.has(node.id)) nodeById.set(node.id, entry);
    let info: ProcessorTypeInfo | undefined;
    try {
      info = catalog.get(node.type);
    } catch {
      info = undefined;
    }
    if (!info) {
      errors.push({ path: `nodes[${i}].type`, message: `unknown processor type ${quote(node.type)}` });
      return;
    }
    entry.info = info;
    const callContext = callContextTopicError(node.settings?.callContextTopic, info);
    if (callContext) errors.push({ path: `nodes[${i}].settings.callContextTopic`, message: callContext });
    if (node.typeVersion > info.version) {
      errors.push({ path: `nodes[${i}].typeVersion`, message: `unsupported typeVersion ${node.typeVersion} (${quote(node.type)} is at v${info.version})` });
      return;
    }
    if (node.typeVersion < info.version) {
      // Only reachable if the caller skipped migrations that exist for this type.
      errors.push({ path: `nodes[${i}].typeVersion`, message: `typeVersion ${node.typeVersion} is outdated (${quote(node.type)} is at v${info.version}); migrate first` });
      return;
    }
    const config = checkSchema(info.configSchema, node.config, ["nodes", i, "config"]);
    if (!config.ok) {
      errors.push(...config.errors);
      return;
    }
    // The document keeps the config as written (no defaults filled in, `#{...}` intact): export
    // must round-trip. Runtimes parse it again with the same schema after substituting parameters.
    // Ports depend on the parsed config (defaults applied), e.g. route's route names.
    entry.ports = safePorts(info, config.value);
  });

  // A node looking rows up in another node's table (a join): that node exists and keeps one.
  doc.nodes.forEach((node, i) => {
    const entry = nodeById.get(node.id);
    if (!entry?.ports) return; // its config is refused already
    let looksUp: ReturnType<NonNullable<ProcessorTypeInfo["lookup"]>>;
    try {
      looksUp = entry.info?.lookup?.(node.config);
    } catch {
      return;
    }
    if (looksUp?.node === undefined) return;
    const path = `nodes[${i}].config${looksUp.nodeField === undefined ? "" : `.${looksUp.nodeField}`}`;
    const target = nodeById.get(looksUp.node);
    if (!target) errors.push({ path, message: `no node ${quote(looksUp.node)} in this flow: name a table or aggregate node` });
    else if (target.info && !target.info.stateful) errors.push({ path, message: `node ${quote(looksUp.node)} is a ${target.info.type} and keeps no table: name a table or aggregate node` });
  });

  const defined = new Set(doc.parameters.map((p) => p.name));
  doc.nodes.forEach((node, i) => {
    for (const ref of findParameterReferences(node.config, ["nodes", i, "config"])) {
      if (!defined.has(ref.name)) errors.push({ path: formatPath(ref.path), message: `parameter ${quote(ref.name)} is not defined` });
    }
  });
  errors.push(...misplacedSecrets(doc, catalog));

  const seenLinks = new Map<string, number>();
  doc.edges.forEach((edge, i) => {
    const from = nodeById.get(edge.from.node);
    const to = nodeById.get(edge.to.node);
    if (!from) errors.push({ path: `edges[${i}].from.node`, message: `node ${quote(edge.from.node)} does not exist` });
    if (!to) errors.push({ path: `edges[${i}].to.node`, message: `node ${quote(edge.to.node)} does not exist` });
    if (from?.ports && !from.ports.includes(edge.from.port)) {
      const has = from.ports.length > 0 ? `it has ${from.ports.map((p) => quote(p)).join(", ")}` : "it has no output ports";
      errors.push({ path: `edges[${i}].from.port`, message: `node ${quote(edge.from.node)} has no output port ${quote(edge.from.port)} (${has})` });
    }
    if (to?.info && !to.info.hasInput) {
      errors.push({ path: `edges[${i}].to.node`, message: `node ${quote(edge.to.node)} (${quote(to.info.type)}) is a ${to.info.kind} and takes no input` });
    }
    const key = JSON.stringify([edge.from.node, edge.from.port, edge.to.node]);
    const first = seenLinks.get(key);
    if (first === undefined) seenLinks.set(key, i);
    else errors.push({ path: `edges[${i}]`, message: `same connection as edges[${first}]` });
  });

  const cycles = findCycles(
    [...nodeById.keys()],
    doc.edges.map((e) => ({ from: e.from.node, to: e.to.node })),
  );
  for (const cycle of cycles) {
    const at = doc.edges.findIndex((e) => e.from.node === cycle[0] && e.to.node === (cycle[1] ?? cycle[0]));
    const names = [...cycle, cycle[0]].map((n) => quote(n)).join(" → ");
    errors.push({ path: at >= 0 ? `edges[${at}]` : "edges", message: `cycle: ${names}` });
  }
  errors.push(...groupErrors(doc));
  return errors;
}

/** Kafka's rule for topic names. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * `settings.callContextTopic`: where a source also publishes who sent each record. Settings admit
 * any extra key, so this one is checked here: a topic name Kafka accepts, on a source only.
 */
function callContextTopicError(topic: unknown, info: ProcessorTypeInfo): string | undefined {
  if (topic === undefined) return undefined;
  if (typeof topic !== "string" || !TOPIC_NAME.test(topic) || topic === "." || topic === "..") return "a Kafka topic name: 1 to 249 letters, digits, . _ -";
  if (info.kind !== "source") return `only a source publishes call contexts (${quote(info.type)} is a ${info.kind})`;
  return undefined;
}

/**
 * References to a sensitive parameter outside the secret-capable fields of their node's type: a
 * secret substituted into any other field could come back as a topic name, a path or a log line.
 * Part of validateFlow; exported for draft saves, which check this much of a structurally valid
 * document too. Nodes of unknown types are skipped (validateFlow reports those).
 */
export function misplacedSecrets(doc: FlowDocument, catalog: CatalogLike): FlowError[] {
  const sensitive = new Set(doc.parameters.filter((p) => p.sensitive).map((p) => p.name));
  if (sensitive.size === 0) return [];
  const errors: FlowError[] = [];
  doc.nodes.forEach((node, i) => {
    let info: ProcessorTypeInfo | undefined;
    try {
      info = catalog.get(node.type);
    } catch {
      info = undefined;
    }
    if (!info) return;
    for (const ref of findParameterReferences(node.config)) {
      if (!sensitive.has(ref.name)) continue;
      const fields = secretFields(info.configSchema);
      if (inSecretField(ref.path, fields)) continue;
      const allowed = fields.length ? `of ${quote(node.type)}: ${describeSecretFields(fields)}` : `${quote(node.type)} has none`;
      errors.push({ path: formatPath(["nodes", i, "config", ...ref.path]), message: `sensitive parameter ${quote(ref.name)} may only be used in secret fields (${allowed})` });
    }
  });
  return errors;
}

function deployWarnings(doc: FlowDocument, catalog: CatalogLike): FlowError[] {
  const fed = new Set(doc.edges.map((e) => e.to.node));
  const warnings: FlowError[] = [];
  doc.nodes.forEach((node, i) => {
    const info = catalog.get(node.type);
    if (info?.hasInput && !fed.has(node.id)) {
      warnings.push({ path: `nodes[${i}]`, message: `node ${quote(node.id)} (${quote(node.type)}) has no incoming edge and will never receive a record`, severity: "warning" });
    }
  });
  return warnings;
}

/**
 * Defence in depth: our messages never quote parameter values, but a processor's own zod
 * message might echo input. Any sensitive value (4+ chars; shorter ones would garble every
 * message and are not secrets worth the name) is replaced by *** in errors and warnings.
 */
function scrubSecrets(result: ValidationResult, input: unknown): ValidationResult {
  const secrets = sensitiveValuesOf(input).filter((s) => s.length >= 4);
  if (secrets.length === 0) return result;
  const scrub = (text: string) => secrets.reduce((t, s) => t.split(s).join("***"), text);
  const clean = (list: FlowError[]) => list.map((e) => ({ ...e, path: scrub(e.path), message: scrub(e.message) }));
  return result.ok
    ? { ...result, warnings: clean(result.warnings) }
    : { ...result, errors: clean(result.errors), warnings: clean(result.warnings) };
}
