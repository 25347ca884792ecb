import { z } from "zod";
import { EdgeIdSchema, FlowIdSchema } from "@millrace/flow";
import { DomainError } from "../../errors.js";
import { plannedEdgeOf, recentFusedRecords, recentRecords, tapEdge, tapFusedEdge, type TapDecoder } from "../../tap/tap.js";
import type { ExecutionPlan, PlannedEdge } from "../../planner/index.js";
import { messageDecoder, schemaCacheOf, type Format } from "../../formats/codecs.js";
import { ownRegistryStore } from "../../formats/own-registry.js";
import { fusedTapsOf } from "../../tap/fused.js";
import { roleProcedure, router, type Context } from "../trpc.js";
import { pick } from "../../audit/index.js";

const flowId = FlowIdSchema;
const edgeId = EdgeIdSchema;

function kafka(ctx: Context) {
  const k = ctx.services.kafka;
  if (!k) throw new DomainError("UNAVAILABLE", "taps need Kafka, and this engine has none configured");
  return k;
}

/**
 * What a tap reads for an edge of the deployed plan: a durable edge's topic (every engine's
 * records), or a fused edge's records sampled in process on this engine (its share only).
 */
async function sourceOf(ctx: Context, flow: string, edge: string) {
  const { plan, edge: planned, deploymentId, running } = await plannedEdgeOf(ctx.services.repositories.deployments, flow, edge);
  if (planned.mode === "durable" && planned.topic) return { via: "kafka" as const, kafka: kafka(ctx), topic: planned.topic, decoder: externalTopicDecoder(ctx, plan, planned) };
  const observers = ctx.services.observers;
  if (!observers) throw new DomainError("UNAVAILABLE", `edge "${edge}" is fused: its records are sampled inside the engine that runs them, and this engine runs no flows`);
  if (!running) throw new DomainError("UNAVAILABLE", `edge "${edge}" is fused and flow ${flow} is not running: a fused edge keeps no records, there is nothing to show until it runs again`);
  return { via: "fused" as const, taps: fusedTapsOf(observers), deploymentId, edge: planned };
}

/**
 * A direct edge's topic is the external topic of its kafka-source (in) or kafka-sink (out): read it
 * in that node's format, with the engine's own registry (a node naming a registry connection is
 * shown as it is).
 */
function externalTopicDecoder(ctx: Context, plan: ExecutionPlan, edge: PlannedEdge): TapDecoder | undefined {
  if (!edge.direct) return undefined;
  const node = plan.nodes.find((n) => n.id === (edge.direct === "external-in" ? edge.from.node : edge.to));
  const c = (node?.config ?? {}) as { format?: Format; keyFormat?: Format; schemaRegistry?: string };
  const format = c.format ?? "json";
  const keyFormat = c.keyFormat ?? "string";
  const avro = format === "avro" || keyFormat === "avro";
  if (avro && (c.schemaRegistry !== undefined || !ctx.services.schemaRegistry)) return undefined;
  return messageDecoder(format, keyFormat, avro ? schemaCacheOf(ownRegistryStore(ctx.services.schemaRegistry!)) : undefined);
}

/** Per engine: how many live taps may run at once (each is a Kafka consumer, or a sampler on fused edges). */
const MAX_TAPS = 32;
let openTaps = 0;

export const tapRouter = router({
  /**
   * Live records of an edge, from now on (SSE): {key, value, headers, via, topic, partition,
   * offset, timestamp}. At most 50 records/s per client (older ones are skipped when the edge is
   * faster), sensitive headers masked, `max` records then done. Commits nothing. A fused edge
   * (`via: "fused"`, no topic/partition/offset) is sampled in process: with several engines,
   * only the records this engine runs.
   */
  edge: roleProcedure("operator")
    .meta({ audit: "tap.open", auditWhat: (i) => ({ detail: pick(i, "edgeId", "max") }) })
    .input(z.object({ flowId, edgeId, max: z.number().int().min(1).max(100_000).optional() }))
    .subscription(async function* ({ ctx, input, signal }) {
      const source = await sourceOf(ctx, input.flowId, input.edgeId);
      if (openTaps >= MAX_TAPS) throw new DomainError("TOO_MANY", `${MAX_TAPS} taps are open on this engine already`);
      openTaps++;
      try {
        const opts = { max: input.max, signal };
        if (source.via === "kafka") yield* tapEdge(source.kafka, source.topic, { ...opts, ...(source.decoder ? { decoder: source.decoder } : {}) });
        else yield* tapFusedEdge(source.taps, source.deploymentId, source.edge, opts);
      } finally {
        openTaps--;
      }
    }),

  /**
   * The last `limit` records of an edge (read from high − limit of each partition), oldest first.
   * A fused edge keeps none: the next ones passing on this engine within 2 s instead.
   */
  recent: roleProcedure("operator")
    .meta({ audit: "tap.recent", auditWhat: (i) => ({ detail: pick(i, "edgeId", "limit") }) })
    .input(z.object({ flowId, edgeId, limit: z.number().int().min(1).max(1000).default(20) }))
    .query(async ({ ctx, input }) => {
      const source = await sourceOf(ctx, input.flowId, input.edgeId);
      if (source.via === "kafka") return recentRecords(source.kafka, source.topic, input.limit, source.decoder);
      return recentFusedRecords(source.taps, source.deploymentId, source.edge, input.limit);
    }),
});
