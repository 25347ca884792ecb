import { z } from "zod";
import { TestCasesSchema } from "./test-cases.js";

/** Flow document v1: the export/import contract (exported files must keep importing). Keep it backward compatible. */

/**
 * The one rule for flow, node and edge ids, wherever an id comes in (a document saved or
 * imported, or an id passed to get, delete, deploy, tap, replay…): ids end up in URLs, topic
 * names, metric labels and log lines. It admits every id the designer and the import-as-copy
 * make (`flow-1a2b3c4d`, UUIDs, `filter-2`, `gen.success->log#2`).
 */
export const ID_MAX_LENGTH = 256;
export const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.#>-]*$/;
export const IdSchema = z
  .string()
  .min(1, "an id must not be empty")
  .max(ID_MAX_LENGTH, `an id has at most ${ID_MAX_LENGTH} characters`)
  .regex(ID_PATTERN, "an id has only letters, digits and _ . - # > (not first: . - # >)");
export const FlowIdSchema = IdSchema.describe("Flow id. Stable across export/import unless a copy is asked for.");
export const NodeIdSchema = IdSchema.describe("Node id, unique within the flow.");
export const EdgeIdSchema = IdSchema.describe("Edge id, unique within the flow.");

export const PositionSchema = z
  .object({ x: z.number(), y: z.number() })
  .describe("Canvas position. Layout only: moving a node never changes behaviour.");

export const NodeSettingsSchema = z
  .object({
    concurrency: z.number().int().min(1).max(64).optional(),
    partitions: z.number().int().min(1).max(1024).optional(),
    retry: z
      .object({ maxAttempts: z.number().int().min(0).max(100), backoffMs: z.number().int().min(0) })
      .partial()
      .optional(),
    onError: z.enum(["failure", "drop", "stop"]).optional(),
  })
  .catchall(z.unknown());

export const NodeSchema = z.object({
  id: NodeIdSchema,
  type: z.string().min(1).describe('Processor type id from the catalogue, e.g. "filter".'),
  typeVersion: z.number().int().min(1).describe("Version of the processor type's config; older versions are migrated on import."),
  name: z.string().optional().describe("Display name."),
  config: z.record(z.string(), z.unknown()).describe("Validated by the processor's config schema; strings may reference parameters as #{name}."),
  settings: NodeSettingsSchema.optional().describe("Runtime knobs: concurrency, partitions, retry, onError."),
  position: PositionSchema,
});

export const EdgeModeSchema = z.enum(["durable", "fused"]);

export const EdgeSettingsSchema = z
  .object({
    mode: EdgeModeSchema.optional(),
    partitions: z.number().int().min(1).max(1024).optional(),
    queueThreshold: z.number().int().min(1).optional(),
    retentionMinutes: z
      .number()
      .int()
      .min(1)
      .max(525_600)
      .optional()
      .describe("How long the edge's topic keeps records (minutes; replay and taps reach this far back). Default: MILLRACE_EDGE_RETENTION_MINUTES."),
    retentionMb: z
      .number()
      .int()
      .min(1)
      .max(1_048_576)
      .optional()
      .describe("Most megabytes the edge's topic keeps over all its partitions; the oldest records go first. Default: MILLRACE_EDGE_RETENTION_MB."),
  })
  .catchall(z.unknown());

export const EdgeSchema = z.object({
  id: EdgeIdSchema,
  from: z.object({ node: IdSchema, port: z.string().min(1) }).describe("Source node id and one of its output ports."),
  to: z.object({ node: IdSchema }).describe("Target node id (a node that takes input)."),
  settings: EdgeSettingsSchema.optional(),
});

export const ParameterSchema = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "letters, digits, _ . - only"),
  value: z.string().describe('Substituted for #{name}; "" in exports when sensitive.'),
  sensitive: z.boolean().default(false).describe("A sensitive value is never exported nor sent to the browser."),
});

export const GROUP_LIMITS = { nameLength: 200 } as const;

export const TEMPLATE_PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export const GroupTemplateUseSchema = z
  .object({
    id: IdSchema.describe("Id of the group template."),
    version: z.number().int().min(1).describe("Version of the template the group's nodes come from."),
    values: z
      .record(z.string().regex(TEMPLATE_PARAMETER_NAME, "letters, digits, _ . - only"), z.string().max(10_000))
      .optional()
      .describe("Values this use gave the template's (non-sensitive) parameters; absent: the defaults."),
  })
  .describe(
    "Where a group's nodes came from. The nodes are ordinary nodes of the flow (ids <group id>.<template node id>, parameters already substituted): the planner never reads this.",
  );

export const GroupSchema = z
  .object({
    id: IdSchema.describe("Group id, unique among the flow's groups."),
    name: z.string().min(1, "a group needs a name").max(GROUP_LIMITS.nameLength).describe("Shown on the group's box and in breadcrumbs."),
    color: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, "a colour is #rrggbb")
      .optional()
      .describe("Colour of the group's frame and box, #rrggbb."),
    nodes: z.array(IdSchema).describe("Ids of the nodes directly in this group (a node is in at most one group)."),
    parent: IdSchema.optional().describe("Id of the group this one is nested in; absent: at the top level."),
    collapsed: z.boolean().optional().describe("Drawn as one box with the group's input and output ports."),
    position: PositionSchema.optional().describe("Where the collapsed box is drawn; absent: where its nodes are."),
    size: z.object({ width: z.number().positive(), height: z.number().positive() }).optional().describe("Size of the collapsed box."),
    template: GroupTemplateUseSchema.optional().describe("Set when the group was placed from a group template; absent: an ordinary group."),
  })
  .describe("A process group: layout only. The planner ignores groups: grouping never changes what the flow does.");

export const FlowSettingsSchema = z
  .object({
    defaultEdgeMode: EdgeModeSchema.optional().describe(
      'How the planner runs an edge whose settings name no mode: "durable" (a Kafka topic on every edge: isolation, the default) or "fused" (a stateless chain runs in one stage: speed). An edge\'s own settings.mode wins.',
    ),
  })
  .catchall(z.unknown());

export const FlowDocumentSchema = z.object({
  schemaVersion: z.literal(1),
  id: FlowIdSchema,
  name: z.string().min(1),
  description: z.string().optional(),
  nodes: z.array(NodeSchema),
  edges: z.array(EdgeSchema),
  parameters: z.array(ParameterSchema).default([]),
  settings: FlowSettingsSchema.optional().describe("Flow-wide runtime defaults; absent = every default as in a document without it."),
  tests: TestCasesSchema.optional(),
  groups: z.array(GroupSchema).optional().describe("Process groups of nodes (layout only); absent: no groups."),
});

export type Position = z.infer<typeof PositionSchema>;
export type FlowNode = z.infer<typeof NodeSchema>;
export type FlowEdge = z.infer<typeof EdgeSchema>;
export type FlowParameter = z.infer<typeof ParameterSchema>;
export type EdgeMode = z.infer<typeof EdgeModeSchema>;
export type FlowSettings = z.infer<typeof FlowSettingsSchema>;
export type FlowDocument = z.infer<typeof FlowDocumentSchema>;
export type FlowGroup = z.infer<typeof GroupSchema>;
export type GroupTemplateUse = z.infer<typeof GroupTemplateUseSchema>;

/** The mode an edge asks the planner for: its own setting, else the flow's default, else durable. */
export function requestedEdgeMode(doc: Pick<FlowDocument, "settings">, edge: Pick<FlowEdge, "settings">): EdgeMode {
  return edge.settings?.mode ?? doc.settings?.defaultEdgeMode ?? "durable";
}
