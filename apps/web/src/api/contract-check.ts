/**
 * Compile-time check that the engine's router still returns what ./types promises.
 * Nothing here runs; `pnpm --filter @millrace/web typecheck` fails when the API drifts.
 * (Procedures the engine does not have yet are not checked: add them here when they land.)
 */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@millrace/engine/api/router";
import type { DeploymentStatus, FlowGetResult, FlowListItem, FlowSaveResult, LineageGraph, LiveStats, ProvenanceEvent, ReplayRangeResult, ReplayResult, TapRecord } from "./types";

type Out = inferRouterOutputs<AppRouter>;
type In = inferRouterInputs<AppRouter>;
type Assert<T extends true> = T;
type Extends<A, B> = [A] extends [B] ? true : false;

export type ContractChecks = [
  Assert<Extends<Out["flows"]["list"], FlowListItem[]>>,
  Assert<Extends<Out["flows"]["save"], FlowSaveResult>>,
  Assert<Extends<Out["flows"]["get"], FlowGetResult>>,
  Assert<Extends<Out["flows"]["import"], { id: string }>>,
  Assert<Extends<{ text: string; asCopy?: boolean }, In["flows"]["import"]>>,
  Assert<Extends<{ id: string; version?: number }, In["flows"]["export"]>>,
  Assert<Extends<Out["deployments"]["status"], DeploymentStatus>>,
  Assert<Extends<Out["stats"]["snapshot"], LiveStats>>,
  Assert<Extends<Out["tap"]["recent"], TapRecord[]>>,
  Assert<Extends<{ flowId: string; edgeId: string; limit: number }, In["tap"]["recent"]>>,
  Assert<Extends<{ flowId: string; edgeId: string; max?: number }, In["tap"]["edge"]>>,
  Assert<Extends<Out["provenance"]["lineage"], LineageGraph>>,
  Assert<Extends<Out["provenance"]["events"], ProvenanceEvent[]>>,
  Assert<Extends<Out["provenance"]["replay"], ReplayResult>>,
  Assert<Extends<Out["provenance"]["replayRange"], ReplayRangeResult>>,
  Assert<Extends<{ flowId: string; recordId: string }, In["provenance"]["replay"]>>,
];
