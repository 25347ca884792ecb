/**
 * Shapes of the engine API the designer relies on, derived from the engine's router: a change
 * there changes them here, and the web type check shows every place that must follow.
 * Dates arrive as ISO strings (no transformer), which is what these types say.
 */
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@millrace/engine/api/router";

type ApiOutputs = inferRouterOutputs<AppRouter>;

export type FlowVersionInfo = ApiOutputs["flows"]["versions"][number];
export type FlowGetResult = ApiOutputs["flows"]["get"];

/** What stats.live pushes (the same as stats.snapshot answers). */
export type LiveStats = ApiOutputs["stats"]["snapshot"];
/** Per node, summed over engines: totals since the deployment and rates (records/s). */
export type NodeStats = LiveStats["nodes"][string];
export type EdgeStats = LiveStats["edges"][string];
/** One engine running the flow: how late its main thread ran over its last second (ms). */
export type EngineLoad = LiveStats["engineLoad"][number];

export type TapRecord = ApiOutputs["tap"]["recent"][number];

export type DeploymentStatus = ApiOutputs["deployments"]["status"];

export type LineageGraph = ApiOutputs["provenance"]["lineage"];
/** What happened to one record at one node. */
export type ProvenanceEvent = ApiOutputs["provenance"]["events"][number];
export type ReplayResult = ApiOutputs["provenance"]["replay"];
