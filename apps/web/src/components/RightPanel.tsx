import { useMemo, useState } from "react";
import { DEFAULT_QUEUE_THRESHOLD, type FlowEdge, type FlowNode, type FlowParameter } from "@millrace/flow";
import type { EdgeStats } from "../api/types";
import { getSpec, useProblems, type ProcessorSpec } from "../catalog/specs";
import { configErrors, fieldsFromZod, renderedPaths, setAt, unclaimedErrors, type Path } from "../form/schemaForm";
import { flowActions, useFlowStore } from "../store/flowStore";
import { isRecentError, useLastRun, useStale, useStatsStore } from "../store/statsStore";
import { ago, fmt, fmtRate } from "./LiveFigures";
import { fmtBytes } from "./figures";
import { ui, useUiStore } from "../store/uiStore";
import { ConfigForm } from "./ConfigForm";
import { TapPanel } from "./TapPanel";
import { useEdgeRuntimes } from "../edgeRuntime";
import { HistoryPanel } from "./HistoryPanel";
import { TestsPanel } from "./TestsPanel";
import { ReplicationTable } from "./ReplicationTable";
import { TableSection } from "./TableSection";
import { restoreProgress, type Restoring } from "../tables/restore";
import { NodeSchema } from "./NodeSchema";

export function RightPanel() {
  const selection = useFlowStore((s) => s.selection);
  const node = useFlowStore((s) => (s.selection.nodes.length === 1 && s.selection.edges.length === 0 ? s.doc.nodes.find((n) => n.id === s.selection.nodes[0]) : undefined));
  const edge = useFlowStore((s) => (s.selection.edges.length === 1 && s.selection.nodes.length === 0 ? s.doc.edges.find((e) => e.id === s.selection.edges[0]) : undefined));
  const previewing = useUiStore((s) => s.preview !== null);
  let body;
  if (previewing) body = <FlowPanel />;
  else if (node) body = <NodePanel key={node.id} node={node} />;
  else if (edge) body = <EdgePanel key={edge.id} edge={edge} />;
  else if (selection.nodes.length + selection.edges.length > 1)
    body = (
      <div className="mr-panel-section" data-testid="multi-selection">
        <h2>
          {selection.nodes.length} node{selection.nodes.length === 1 ? "" : "s"}, {selection.edges.length} edge{selection.edges.length === 1 ? "" : "s"} selected
        </h2>
        <p className="mr-muted">Ctrl+C copies them (paste into any flow with Ctrl+V); Delete removes them.</p>
        <button className="mr-btn danger small" data-testid="delete-selection" onClick={flowActions.deleteSelection}>
          Delete selection
        </button>
      </div>
    );
  else body = <FlowPanel />;
  return (
    <aside className="mr-right" data-testid="right-panel">
      {body}
    </aside>
  );
}

function FlowPanel() {
  const tab = useUiStore((s) => s.flowTab);
  const latest = useFlowStore((s) => s.baseVersion);
  const cases = useFlowStore((s) => s.doc.tests?.length ?? 0);
  return (
    <div className="mr-panel-section" data-testid="flow-panel">
      <div className="mr-tabs flow" role="tablist" aria-label="Flow">
        <button role="tab" aria-selected={tab === "details"} className={tab === "details" ? "on" : ""} data-testid="flow-tab-details" onClick={() => ui.flowTab("details")}>
          Flow
        </button>
        <button role="tab" aria-selected={tab === "history"} className={tab === "history" ? "on" : ""} data-testid="flow-tab-history" onClick={() => ui.flowTab("history")}>
          History{latest !== undefined ? <span className="mr-tab-count">{latest}</span> : null}
        </button>
        <button role="tab" aria-selected={tab === "tests"} className={tab === "tests" ? "on" : ""} data-testid="flow-tab-tests" onClick={() => ui.flowTab("tests")}>
          Tests{cases ? <span className="mr-tab-count">{cases}</span> : null}
        </button>
      </div>
      {tab === "history" ? <HistoryPanel /> : tab === "tests" ? <TestsPanel /> : <FlowDetails />}
    </div>
  );
}

/** Sensitive parameters with no value anywhere (the browser never sees stored ones). */
function useUnsetSecrets(params: FlowParameter[]): string[] {
  const stored = useFlowStore((s) => s.storedSecrets);
  return useMemo(() => params.filter((p) => p.sensitive && p.name.trim() !== "" && p.value === "" && !stored.includes(p.name)).map((p) => p.name), [params, stored]);
}

function FlowDetails() {
  const doc = useFlowStore((s) => s.doc);
  const problems = useProblems(doc);
  const unset = useUnsetSecrets(doc.parameters);
  const list = [
    ...problems.flow.map((m) => ({ id: "", m, kind: "flow" as const })),
    ...unset.map((name) => ({ id: "", m: `parameter “${name}” is secret and has no value: type it under Parameters (it is stored on the engine, never shown again)`, kind: "flow" as const })),
    ...Object.entries(problems.nodes).flatMap(([id, ms]) => ms.map((m) => ({ id, m, kind: "node" as const }))),
    ...Object.entries(problems.edges).flatMap(([id, ms]) => ms.map((m) => ({ id, m, kind: "edge" as const }))),
  ];
  return (
    <>
      <dl className="mr-facts">
        <dt>Id</dt>
        <dd data-testid="flow-id" title={doc.id}><code>{doc.id}</code></dd>
        <dt>Nodes</dt>
        <dd>{doc.nodes.length}</dd>
        <dt>Edges</dt>
        <dd>{doc.edges.length}</dd>
      </dl>
      <div className="mr-field">
        <label className="mr-label" htmlFor="flow-description">Description</label>
        <textarea
          id="flow-description"
          className="mr-input"
          rows={2}
          data-testid="flow-description"
          placeholder="What this flow does"
          value={doc.description ?? ""}
          onChange={(e) => flowActions.setDescription(e.target.value)}
        />
      </div>
      <DefaultEdgeMode />
      <Parameters />
      <h3>Problems</h3>
      {list.length === 0 ? (
        <p className="mr-muted" data-testid="flow-problems-none">None. Select a node to configure it, an edge for its settings and live data.</p>
      ) : (
        <ul className="mr-problem-list" data-testid="flow-problems">
          {list.map((p, i) => (
            <li key={i}>
              {p.kind === "flow" ? (
                p.m
              ) : (
                <>
                  <button className="mr-link" onClick={() => flowActions.select(p.kind === "node" ? { nodes: [p.id], edges: [] } : { nodes: [], edges: [p.id] })}>
                    {p.id}
                  </button>
                  {`: ${p.m}`}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function NodePanel({ node }: { node: FlowNode }) {
  const spec = getSpec(node.type);
  const [tab, setTab] = useState<"config" | "docs">("config");
  if (!spec) {
    return (
      <div className="mr-panel-section" data-testid="node-panel">
        <h2>{node.id}</h2>
        <p className="mr-field-error">Unknown processor type “{node.type}”. It is kept as is; delete it or import the processor.</p>
      </div>
    );
  }
  return (
    <div className="mr-panel-section" data-testid="node-panel">
      <div className="mr-panel-head">
        <span className={`mr-kind-dot kind-${spec.kind}`} />
        <div>
          <h2>{spec.title}</h2>
          <div className="mr-muted small">
            <code>{node.type}</code> · {spec.kind} · <code>{node.id}</code>
          </div>
        </div>
      </div>
      <NodeStatsLine id={node.id} source={!spec.hasInput} sink={spec.kind === "sink"} outWord={spec.runner === "mirror" ? "copied" : "out"} />
      {spec.runner === "mirror" && <ReplicationTable id={node.id} />}
      {spec.stateful && <TableSection nodeId={node.id} />}
      <NodeSchema node={node} />
      <div className="mr-field">
        <label className="mr-label" htmlFor="node-name">Display name</label>
        <input
          id="node-name"
          className="mr-input"
          data-testid="node-name-input"
          placeholder={spec.title}
          value={node.name ?? ""}
          onChange={(e) => flowActions.setNodeName(node.id, e.target.value)}
        />
      </div>
      <div className="mr-tabs" role="tablist">
        <button role="tab" aria-selected={tab === "config"} className={tab === "config" ? "on" : ""} data-testid="tab-config" onClick={() => setTab("config")}>
          Configuration
        </button>
        <button role="tab" aria-selected={tab === "docs"} className={tab === "docs" ? "on" : ""} data-testid="tab-docs" onClick={() => setTab("docs")}>
          Docs &amp; example
        </button>
      </div>
      {tab === "config" ? <NodeConfig node={node} spec={spec} /> : <NodeDocs node={node} spec={spec} />}
    </div>
  );
}

/** `outWord`: what leaving the node means ("copied" for a mirror, whose records leave for another topic, not a port). */
function NodeStatsLine({ id, source, sink, outWord }: { id: string; source: boolean; sink: boolean; outWord: string }) {
  const s = useStatsStore((st) => st.nodes[id]);
  const stale = useStale();
  const receivedAt = useStatsStore((st) => (st.stale ? st.receivedAt : null));
  const lastRun = useLastRun();
  if (!s) return null;
  if (lastRun)
    return (
      <div className="mr-stats-line last-run" data-testid="node-panel-stats" data-last-run="true">
        <span className="mr-chip last-run">last run</span> the flow is stopped; its last run ended with {!source && <>in <b>{s.in}</b> · </>}
        {!sink && <>{outWord} <b>{s.out}</b> · </>}errors <b className={s.errors > 0 ? "err" : ""}>{s.errors}</b>
      </div>
    );
  const recent = isRecentError(s.lastErrorAt);
  const outRate = source ? s.rate1s : s.rateOut;
  return (
    <div className={`mr-stats-line${stale ? " stale" : ""}${recent ? " failing" : ""}`} data-testid="node-panel-stats" data-stale={stale ? "true" : undefined}>
      {stale && (
        <div className="mr-stats-stale" data-testid="node-panel-stale">
          stale: no figures from the engine for over 3 s (last at {receivedAt ? new Date(receivedAt).toLocaleTimeString() : "–"}); these are the last known totals
        </div>
      )}
      {!source && (
        <>
          in <b>{s.in}</b> ·{" "}
        </>
      )}
      {!sink && <>{outWord} <b>{s.out}</b> · </>}errors <b className={s.errors > 0 ? "err" : ""}>{s.errors}</b>
      <br />
      {!source && <>{stale ? "–" : fmtRate(s.rate1s)}/s in</>}
      {!source && !sink && " · "}
      {!sink && <>{stale ? "–" : fmtRate(outRate)}/s {outWord}</>}
      {s.rate1m !== undefined && (
        <span className="mr-muted-in"> · 1 min {fmtRate(s.rate1m)}/s · 5 min {fmtRate(s.rate5m)}/s</span>
      )}
      {s.in5m !== undefined && (
        <>
          <br />
          last 5 min: {!source && <>in {s.in5m} · </>}{outWord} {s.out5m ?? 0}
        </>
      )}
      {s.restoring && <RestoreLine r={s.restoring} />}
      {s.paused && (
        <div>
          <span className="mr-chip paused" data-testid="node-panel-paused">⏸ paused</span>{" "}
          {s.pausedFor === "disk" ? "for low disk space where the engine keeps its data: it resumes by itself once there is room" : "by back pressure: a queue downstream is over its threshold"}
        </div>
      )}
      {s.lastError && (
        <div className={`mr-field-error${recent ? "" : " old"}`} data-testid="node-panel-last-error">
          last error{s.lastErrorAt ? ` (${ago(s.lastErrorAt)})` : ""}: {s.lastError}
        </div>
      )}
    </div>
  );
}

function RestoreLine({ r }: { r: Restoring }) {
  const p = restoreProgress(r);
  return (
    <div data-testid="node-panel-restoring">
      {p.what} from the changelog: {p.read} read ({p.percent} %); its records wait until the table is back
    </div>
  );
}

function NodeConfig({ node, spec }: { node: FlowNode; spec: ProcessorSpec }) {
  const fields = useMemo(() => fieldsFromZod(spec.configSchema), [spec]);
  const errors = useMemo(() => configErrors(spec.configSchema, node.config), [spec, node.config]);
  const top = useMemo(() => unclaimedErrors(errors, renderedPaths(fields, node.config)), [errors, fields, node.config]);
  // subscribed, not read once: connecting the node while its panel is open clears the warning
  const connected = useFlowStore((s) => s.doc.edges.some((e) => e.to.node === node.id));
  const needsInput = spec.hasInput && !connected;
  const onChange = (path: Path, value: unknown) => {
    const next = setAt(node.config, path, value) as Record<string, unknown>;
    flowActions.setConfig(node.id, next ?? {}, String(path[0] ?? "*"));
  };
  return (
    <div data-testid="config-form">
      {needsInput && <div className="mr-warn">Not connected: connect an output port to this node’s input.</div>}
      {top.length > 0 && (
        <div className="mr-field-error block" data-testid="config-errors">
          {top.map((t, i) => (
            <div key={i}>{t}</div>
          ))}
        </div>
      )}
      {fields.length === 0 ? <p className="mr-muted">This processor has nothing to configure.</p> : <ConfigForm fields={fields} value={node.config} errors={errors} onChange={onChange} idPrefix={`cfg-${node.id}`} example={spec.example} />}
      <details className="mr-details">
        <summary>Settings (runtime)</summary>
        <NodeSettings node={node} />
      </details>
    </div>
  );
}

function NodeSettings({ node }: { node: FlowNode }) {
  const s = node.settings ?? {};
  const set = (k: string, v: unknown) => {
    const next: Record<string, unknown> = { ...s, [k]: v };
    if (v === undefined || v === "") delete next[k];
    flowActions.setNodeSettings(node.id, next, k);
  };
  const num = (v: string) => (v.trim() === "" ? undefined : Number(v));
  return (
    <div className="mr-form">
      <div className="mr-field">
        <label className="mr-label">Concurrency</label>
        <input className="mr-input" type="number" min={1} max={64} data-testid="node-settings-concurrency" value={(s.concurrency as number | undefined) ?? ""} placeholder="1" onChange={(e) => set("concurrency", num(e.target.value))} />
      </div>
      <div className="mr-field">
        <label className="mr-label">On error</label>
        <select className="mr-input" data-testid="node-settings-onError" value={(s.onError as string | undefined) ?? ""} onChange={(e) => set("onError", e.target.value || undefined)}>
          <option value="">default (failure port)</option>
          <option value="failure">send to failure</option>
          <option value="drop">drop</option>
          <option value="stop">stop the flow</option>
        </select>
      </div>
    </div>
  );
}

function NodeDocs({ node, spec }: { node: FlowNode; spec: ProcessorSpec }) {
  const example = JSON.stringify(spec.example, null, 2);
  return (
    <div className="mr-docs" data-testid="node-docs">
      <p>{spec.description}</p>
      <Markdown text={spec.docs ?? ""} />
      <h3>Example configuration</h3>
      <pre className="mr-code" data-testid="node-example">{example}</pre>
      <button
        className="mr-btn small"
        data-testid="use-example"
        onClick={() => flowActions.setConfig(node.id, structuredClone(spec.example) as Record<string, unknown>, "example")}
      >
        Use this example
      </button>
    </div>
  );
}

/** Tiny, safe markdown: paragraphs, headings, lists, `code` and fenced code (no HTML). */
function Markdown({ text }: { text: string }) {
  const blocks = useMemo(() => {
    const out: { kind: "p" | "h" | "ul" | "pre"; lines: string[] }[] = [];
    const lines = text.replace(/\r/g, "").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (l.startsWith("```")) {
        const code: string[] = [];
        for (i++; i < lines.length && !lines[i].startsWith("```"); i++) code.push(lines[i]);
        out.push({ kind: "pre", lines: code });
      } else if (/^#{1,6}\s/.test(l)) out.push({ kind: "h", lines: [l.replace(/^#+\s*/, "")] });
      else if (/^\s*[-*]\s/.test(l)) {
        const last = out[out.length - 1];
        const item = l.replace(/^\s*[-*]\s/, "");
        if (last?.kind === "ul") last.lines.push(item);
        else out.push({ kind: "ul", lines: [item] });
      } else if (l.trim() === "") out.push({ kind: "p", lines: [] });
      else {
        const last = out[out.length - 1];
        if (last?.kind === "p" && last.lines.length) last.lines.push(l);
        else out.push({ kind: "p", lines: [l] });
      }
    }
    return out.filter((b) => b.lines.length);
  }, [text]);
  return (
    <div className="mr-md">
      {blocks.map((b, i) =>
        b.kind === "pre" ? (
          <pre key={i} className="mr-code">{b.lines.join("\n")}</pre>
        ) : b.kind === "h" ? (
          <h4 key={i}>{inline(b.lines[0])}</h4>
        ) : b.kind === "ul" ? (
          <ul key={i}>{b.lines.map((l, j) => <li key={j}>{inline(l)}</li>)}</ul>
        ) : (
          <p key={i}>{inline(b.lines.join(" "))}</p>
        ),
      )}
    </div>
  );
}

function inline(s: string) {
  return s.split(/(`[^`]+`|\*\*[^*]+\*\*)/g).map((part, i) =>
    part.startsWith("`") && part.endsWith("`") && part.length > 1 ? (
      <code key={i}>{part.slice(1, -1)}</code>
    ) : part.startsWith("**") && part.endsWith("**") && part.length > 3 ? (
      <strong key={i}>{part.slice(2, -2)}</strong>
    ) : (
      part
    ),
  );
}

function EdgePanel({ edge }: { edge: FlowEdge }) {
  const s = edge.settings ?? {};
  const from = useFlowStore((st) => st.doc.nodes.find((n) => n.id === edge.from.node));
  const to = useFlowStore((st) => st.doc.nodes.find((n) => n.id === edge.to.node));
  const stats = useStatsStore((st) => st.edges[edge.id]);
  const set = (k: string, v: unknown) => flowActions.setEdgeSettings(edge.id, { ...s, [k]: v }, k);
  const num = (v: string) => (v.trim() === "" || !Number.isFinite(Number(v)) ? undefined : Math.trunc(Number(v)));
  const flowDefault = useFlowStore((st) => st.doc.settings?.defaultEdgeMode ?? "durable");
  const mode = s.mode ?? flowDefault;
  const saved = useFlowStore((st) => st.baseVersion !== undefined);
  const doc = useFlowStore((st) => st.doc);
  const runtime = useEdgeRuntimes(doc, saved).get(edge.id) ?? { mode, guarantee: "at-least-once" as const, from: "document" as const };
  return (
    <div className="mr-panel-section" data-testid="edge-panel">
      <h2>Connection</h2>
      <div className="mr-muted small">
        <code>{from?.name || edge.from.node}</code> <span className={`mr-port-chip${edge.from.port === "failure" ? " failure" : ""}`}>{edge.from.port}</span> →{" "}
        <code>{to?.name || edge.to.node}</code>
      </div>
      {stats && <EdgeStatsLine stats={stats} />}
      <div className="mr-form">
        <div className="mr-field">
          <span className="mr-label">Mode</span>
          <div className="mr-seg" role="radiogroup">
            {(["durable", "fused"] as const).map((m) => (
              // the flow's default is left unset, so the edge follows a later change of it
              <button key={m} role="radio" aria-checked={mode === m} className={mode === m ? "on" : ""} data-testid={`edge-mode-${m}`} onClick={() => set("mode", m === flowDefault ? undefined : m)}>
                {m}
              </button>
            ))}
          </div>
          <div className="mr-help">
            {mode === "durable"
              ? "A Kafka topic between the two steps: survives restarts, buffers, adds a hop."
              : "Runs both steps in one stage, no topic in between: faster, no buffer; a tap samples it in process."}
            {s.mode === undefined && " (the flow's default)"}
          </div>
          <div className="mr-edge-runs small" data-testid="edge-runs-as">
            {runtime.from === "deployed" ? "Runs as" : "Would run as"}{" "}
            <b data-testid="edge-runs-mode">{runtime.mode === "fused" ? "fused (in process)" : "durable topic"}</b>,{" "}
            <b data-testid="edge-runs-guarantee">{runtime.guarantee}</b>
            {runtime.from === "deployed" ? " (deployed plan)" : " (not deployed; the guarantee is chosen at deploy)"}
            {runtime.mode !== mode && <span className="mr-warn-inline"> · the document asks for {mode}: redeploy, or see the plan's warnings</span>}
          </div>
        </div>
        <div className="mr-field">
          <label className="mr-label" htmlFor="edge-partitions">Partitions</label>
          <input id="edge-partitions" className="mr-input" type="number" min={1} max={1024} step={1} placeholder="default" data-testid="edge-partitions" disabled={mode === "fused"} value={(s.partitions as number | undefined) ?? ""} onChange={(e) => set("partitions", num(e.target.value))} />
        </div>
        <div className="mr-field">
          <label className="mr-label" htmlFor="edge-queue">Queue threshold (records)</label>
          <input id="edge-queue" className="mr-input" type="number" min={1} step={1} placeholder={`${DEFAULT_QUEUE_THRESHOLD.toLocaleString("en-US")} (engine default)`} data-testid="edge-queue-threshold" value={(s.queueThreshold as number | undefined) ?? ""} onChange={(e) => set("queueThreshold", num(e.target.value))} />
          <div className="mr-help" data-testid="edge-queue-threshold-help">
            Back pressure: upstream pauses while this many records wait on the edge.
            {s.queueThreshold === undefined && ` Empty: the engine's default, ${DEFAULT_QUEUE_THRESHOLD.toLocaleString("en-US")}.`}
          </div>
        </div>
        <div className="mr-field">
          <span className="mr-label">Keep records</span>
          <div className="mr-form-row">
            <input id="edge-retention-minutes" aria-label="Keep records (minutes)" className="mr-input" type="number" min={1} step={1} placeholder="engine default" data-testid="edge-retention-minutes" disabled={mode === "fused"} value={(s.retentionMinutes as number | undefined) ?? ""} onChange={(e) => set("retentionMinutes", num(e.target.value))} />
            <span className="small">min</span>
            <input id="edge-retention-mb" aria-label="Keep records (MB)" className="mr-input" type="number" min={1} step={1} placeholder="engine default" data-testid="edge-retention-mb" disabled={mode === "fused"} value={(s.retentionMb as number | undefined) ?? ""} onChange={(e) => set("retentionMb", num(e.target.value))} />
            <span className="small">MB</span>
          </div>
          <div className="mr-help">The most this edge's topic keeps, processed or not (the oldest go first); records every reader has processed go after MILLRACE_EDGE_READ_WINDOW_MINUTES anyway. Empty: the engine's default (MILLRACE_EDGE_RETENTION_MINUTES / _MB).</div>
        </div>
      </div>
      <button className="mr-btn small danger" data-testid="edge-delete" onClick={() => flowActions.deleteElements([], [edge.id])}>
        Delete connection
      </button>
      <TapPanel edge={edge} mode={runtime.mode} />
    </div>
  );
}

function EdgeStatsLine({ stats }: { stats: EdgeStats }) {
  const stale = useStale();
  const durable = (stats.mode ?? "durable") === "durable";
  const t = stats.threshold ?? undefined;
  const pct = t ? Math.min(100, (stats.queue / t) * 100) : 0;
  return (
    <div className={`mr-stats-line${stale ? " stale" : ""}`} data-testid="edge-panel-stats" data-stale={stale ? "true" : undefined}>
      {stale && <div className="mr-stats-stale">stale: no figures from the engine for over 3 s</div>}
      {stale ? "–" : fmtRate(stats.rate1s)} records/s
      {stats.records !== undefined && <> · {fmt(stats.records)} since the deployment</>}
      {stats.bytes !== undefined && (
        <span data-testid="edge-panel-bytes" title={durable ? "bytes written to the edge's topic" : "estimated: records × the encoded size of a few sampled per batch (a fused edge never encodes them)"}>
          {" "}
          ({fmtBytes(stats.bytes)}
          {durable ? "" : ", estimated"})
        </span>
      )}
      {durable && (
        <>
          <br />
          queue <b>{stats.queue.toLocaleString("en-US")}</b>
          {t ? ` of ${t.toLocaleString("en-US")} (back pressure threshold)` : ""}
          {t ? (
            <span className={`mr-meter${stats.backPressure ? " over" : pct >= 80 ? " near" : ""}`} role="meter" aria-valuemin={0} aria-valuemax={t} aria-valuenow={stats.queue} aria-label="queue against its threshold">
              <span style={{ width: `${pct}%` }} />
            </span>
          ) : null}
        </>
      )}
      {stats.backPressure && (
        <div>
          <span className="mr-chip paused">⏸ back pressure</span> the queue is over its threshold: the sources feeding it are paused
        </div>
      )}
    </div>
  );
}

/** The planner's default for edges that name no mode: a topic on every edge, or stateless chains fused. */
function DefaultEdgeMode() {
  const mode = useFlowStore((s) => s.doc.settings?.defaultEdgeMode ?? "durable");
  return (
    <div className="mr-field" data-testid="flow-default-edge-mode">
      <span className="mr-label">Edges by default</span>
      <div className="mr-seg" role="radiogroup" aria-label="Edges by default">
        {(["durable", "fused"] as const).map((m) => (
          <button key={m} role="radio" aria-checked={mode === m} className={mode === m ? "on" : ""} data-testid={`flow-edge-mode-${m}`} onClick={() => flowActions.setDefaultEdgeMode(m === "durable" ? undefined : m)}>
            {m}
          </button>
        ))}
      </div>
      <div className="mr-help">
        {mode === "durable"
          ? "A Kafka topic on every edge: each step is isolated and buffered. An edge's own mode wins."
          : "Chains of steps run fused in one stage where they can (one input each): fastest. An edge's own mode wins."}
      </div>
    </div>
  );
}

/** Flow parameters (#{name} in configs). Rows are edited locally and committed on blur. */
function Parameters() {
  const params = useFlowStore((s) => s.doc.parameters);
  const stored = useFlowStore((s) => s.storedSecrets);
  const [draft, setDraft] = useState<FlowParameter[] | null>(null);
  const rows = draft ?? params;
  const commit = (next: FlowParameter[]) => {
    setDraft(null);
    const clean = next.filter((p) => p.name.trim() !== "");
    if (JSON.stringify(clean) !== JSON.stringify(params)) flowActions.setParameters(clean);
  };
  const change = (i: number, patch: Partial<FlowParameter>) => setDraft(rows.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  return (
    <div className="mr-params" data-testid="flow-parameters">
      <h3>Parameters</h3>
      <p className="mr-help">
        Use <code>{"#{name}"}</code> in any config. Sensitive values are never sent back to the browser nor exported; leave one blank to keep the stored value.
      </p>
      {rows.map((p, i) => {
        const unset = p.sensitive && p.value === "" && p.name.trim() !== "" && !stored.includes(p.name);
        return (
        <div className="mr-param-row" key={i} data-testid={`param-row-${i}`} data-unset={unset ? "true" : undefined}>
          <input className="mr-input mono" placeholder="name" value={p.name} data-testid={`param-name-${i}`} onChange={(e) => change(i, { name: e.target.value })} onBlur={() => draft && commit(draft)} />
          <input
            className={`mr-input mono${unset ? " has-error" : ""}`}
            placeholder={!p.sensitive ? "value" : unset ? "not set" : "•••• stored (blank keeps it)"}
            title={!p.sensitive ? undefined : unset ? "This secret has no value: type one (it is stored on the engine and never shown again)" : "A value is stored on the engine and never sent to the browser; leave blank to keep it, type to replace it"}
            aria-invalid={unset || undefined}
            type={p.sensitive ? "password" : "text"}
            value={p.value}
            data-testid={`param-value-${i}`}
            onChange={(e) => change(i, { value: e.target.value })}
            onBlur={() => draft && commit(draft)}
          />
          <label className="mr-check small" title="Sensitive: never exported nor shown">
            <input type="checkbox" checked={p.sensitive} data-testid={`param-sensitive-${i}`} onChange={(e) => commit(rows.map((q, j) => (j === i ? { ...q, sensitive: e.target.checked } : q)))} />
            secret
          </label>
          <button className="mr-icon danger" title="Remove" data-testid={`param-remove-${i}`} onClick={() => commit(rows.filter((_, j) => j !== i))}>
            ✕
          </button>
          {unset && (
            <div className="mr-field-error mr-param-error" data-testid={`param-unset-${i}`}>
              not set: this secret has no value yet
            </div>
          )}
        </div>
        );
      })}
      <button className="mr-btn small" data-testid="param-add" onClick={() => setDraft([...rows, { name: "", value: "", sensitive: false }])}>
        + Add parameter
      </button>
    </div>
  );
}
