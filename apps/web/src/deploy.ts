/** Deployment status and live stats, tolerant of an engine that runs no deployments or is down. */
import { useEffect } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { api, errorCode, errorMessage, isUnreachable } from "./api/client";
import { queryClient } from "./queryClient";
import { statsActions } from "./store/statsStore";
import { ui } from "./store/uiStore";

export type DeployAvailability = "unknown" | "available" | "unavailable" | "offline";

/** The flow's deployment status, polled; one cached query however many components ask. */
export function useDeploymentStatus(flowId: string, saved: boolean) {
  return useQuery({
    queryKey: ["deployments", "status", flowId],
    queryFn: () => api.deployments.status(flowId),
    enabled: saved,
    refetchInterval: (query) => (query.state.error ? 15_000 : 3000),
    retry: false,
  });
}

export function useDeployment(flowId: string, saved: boolean) {
  const q = useDeploymentStatus(flowId, saved);
  const availability: DeployAvailability = !saved
    ? "unknown"
    : q.isError
      ? isUnreachable(q.error)
        ? "offline"
        : errorCode(q.error) === "PRECONDITION_FAILED"
          ? "unavailable"
          : "available"
      : q.isSuccess
        ? "available"
        : "unknown";
  const running = q.data?.deployed === true || q.data?.status === "running";
  const reason = availability === "unavailable" ? errorMessage(q.error) : "";
  return { availability, reason, status: q.data ?? null, running };
}

export function useDeployMutations(flowId: string) {
  const invalidate = () => queryClient.invalidateQueries({ queryKey: ["deployments", "status", flowId] });
  const deploy = useMutation({
    mutationFn: (version?: number) => api.deployments.deploy(flowId, version),
    onSuccess: () => {
      ui.toast("Deployed", "success", 2500);
      void invalidate();
    },
    onError: (e) => ui.toast(`Deploy failed: ${errorMessage(e)}`, "error", 8000),
  });
  const stop = useMutation({
    mutationFn: () => api.deployments.stop(flowId),
    onSuccess: () => {
      ui.toast("Stopped", "info", 2500);
      void invalidate();
    },
    onError: (e) => ui.toast(`Stop failed: ${errorMessage(e)}`, "error", 8000),
  });
  return { deploy, stop };
}

/** Subscribes to stats.live while the flow runs; writes only to the stats store. */
export function useLiveStats(flowId: string, running: boolean) {
  useEffect(() => {
    if (!running) {
      // a stopped flow shows the totals its last run ended with, after a reload too
      let current = true;
      api.stats.snapshot(flowId).then(
        (s) => current && statsActions.showLastRun(flowId, s),
        () => undefined,
      );
      return () => {
        current = false;
      };
    }
    statsActions.start();
    const sub = api.stats.live(flowId, {
      data: (s) => statsActions.push(flowId, s),
      // the link reconnects by itself; meanwhile the freshness check greys the figures
      error: () => undefined,
    });
    // figures with no tick for over 3 s are shown as stale, not as live
    const fresh = setInterval(() => statsActions.checkFresh(), 1000);
    return () => {
      clearInterval(fresh);
      sub.unsubscribe();
      statsActions.endRun();
    };
  }, [flowId, running]);
  // after the effect above: a run that ended as another flow opened is not this flow's
  useEffect(() => statsActions.forFlow(flowId), [flowId]);
}
