import { z } from "zod";

/** Flow document v1: the export/import contract of ARCHITECTURE.md. Keep it backward compatible. */

export const PositionSchema = z.object({ x: z.number(), y: z.number() });

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
  id: z.string().min(1),
  type: z.string().min(1),
  typeVersion: z.number().int().min(1),
  name: z.string().optional(),
  config: z.record(z.string(), z.unknown()),
  settings: NodeSettingsSchema.optional(),
  position: PositionSchema,
});

export const EdgeSettingsSchema = z
  .object({
    mode: z.enum(["durable", "fused"]).optional(),
    partitions: z.number().int().min(1).max(1024).optional(),
    queueThreshold: z.number().int().min(1).optional(),
  })
  .catchall(z.unknown());

export const EdgeSchema = z.object({
  id: z.string().min(1),
  from: z.object({ node: z.string().min(1), port: z.string().min(1) }),
  to: z.object({ node: z.string().min(1) }),
  settings: EdgeSettingsSchema.optional(),
});

export const ParameterSchema = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "letters, digits, _ . - only"),
  value: z.string(),
  sensitive: z.boolean().default(false),
});

export const FlowDocumentSchema = z.object({
  schemaVersion: z.literal(1),
  id: z.string().min(1),
  name: z.string().min(1),
  description: z.string().optional(),
  nodes: z.array(NodeSchema),
  edges: z.array(EdgeSchema),
  parameters: z.array(ParameterSchema).default([]),
});

export type Position = z.infer<typeof PositionSchema>;
export type FlowNode = z.infer<typeof NodeSchema>;
export type FlowEdge = z.infer<typeof EdgeSchema>;
export type FlowParameter = z.infer<typeof ParameterSchema>;
export type FlowDocument = z.infer<typeof FlowDocumentSchema>;
