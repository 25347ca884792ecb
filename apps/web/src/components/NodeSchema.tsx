/**
 * The "Schema" section of a kafka-source or kafka-sink reading or writing Avro: the subject it
 * goes by and that subject's registered schema, or the sink's own valueSchema with what would
 * change against the registered one when the flow is deployed.
 */
import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import type { FlowNode } from "@millrace/flow";
import { errorCode, errorMessage, trpc } from "../api/client";
import { useFlowStore } from "../store/flowStore";
import { diffSchemas } from "../schemas/schemaDiff";
import { parsedOrUndefined, parseSchemaText, prettySchema } from "../schemas/schemaText";
import { nodeSchemaTarget, type NodeSchemaTarget } from "../schemas/kafkaSubject";
import { CheckResult, SchemaDiff } from "./SchemasDialog";

/** Every registry query of the designer starts with this, so one invalidation refreshes them all after a registration. */
export const REGISTRY_QUERIES = ["schemaRegistry"] as const;

/** A subject's version (or latest) in the engine's registry; null when the subject (or that version) does not exist. */
export function useSubjectSchema(subject: string | undefined, version: number | "latest" = "latest") {
  return useQuery({
    queryKey: [...REGISTRY_QUERIES, "subject-schema", subject, version],
    queryFn: async () => {
      try {
        return await trpc.schemaRegistry.schema.query({ subject: subject!, version });
      } catch (e) {
        if (errorCode(e) === "NOT_FOUND") return null;
        throw e;
      }
    },
    enabled: subject !== undefined && subject !== "",
    staleTime: 5_000,
    retry: false,
  });
}

export function NodeSchema({ node }: { node: FlowNode }) {
  const parameters = useFlowStore((s) => s.doc.parameters);
  const target = useMemo(() => nodeSchemaTarget(node, parameters), [node, parameters]);
  if (!target) return null;
  return (
    <details className="mr-details mr-node-schema" open data-testid="node-schema">
      <summary>Schema</summary>
      {!target.ok ? (
        <p className="mr-muted small" data-testid="node-schema-reason">
          {target.reason}.
        </p>
      ) : target.connection !== undefined ? (
        <p className="mr-muted small" data-testid="node-schema-elsewhere">
          Subject <code data-testid="node-schema-subject">{target.subject}</code> lives in the registry of connection “{target.connection}”; the designer shows the engine's own registry only.
        </p>
      ) : (
        <SubjectSchema target={target} source={node.type === "kafka-source"} />
      )}
    </details>
  );
}

function SubjectSchema({ target, source }: { target: Extract<NodeSchemaTarget, { ok: true }>; source: boolean }) {
  const registered = useSubjectSchema(target.subject, target.version);
  const own = target.ownSchema;
  const latest = registered.data;
  const ownParsed = own === undefined ? undefined : parseSchemaText(own);
  return (
    <div className="mr-node-schema-body">
      <div className="small">
        subject <code data-testid="node-schema-subject">{target.subject}</code>
        {latest && (
          <span className="mr-muted" data-testid="node-schema-version">
            {" "}
            · v{latest.version} · id {latest.id}
          </span>
        )}
      </div>
      {registered.error ? (
        <div className="mr-field-error block" data-testid="node-schema-error">
          {errorMessage(registered.error)}
        </div>
      ) : registered.isPending ? (
        <p className="mr-muted small">Loading…</p>
      ) : latest === null ? (
        <p className="mr-muted small" data-testid="node-schema-none">
          {own
            ? "No version registered yet: deploying registers this valueSchema as version 1."
            : `The subject has no version${target.version === "latest" ? "" : ` ${target.version}`} yet${source ? ": it gets one when a producer registers its schema" : ": register one (Schemas, or infer one from a tapped edge) or give the sink a valueSchema"}.`}
        </p>
      ) : null}
      {own !== undefined ? (
        <>
          <div className="mr-label">This sink's valueSchema</div>
          <pre className="mr-schemas-text mr-node-schema-text" data-testid="node-schema-text">
            {prettySchema(own)}
          </pre>
          {!ownParsed?.ok ? (
            <div className="mr-field-error" data-testid="node-schema-own-error">
              {ownParsed?.error}
            </div>
          ) : (
            latest && (
              <>
                <SchemaDiff title={`Changes against v${latest.version} when deployed`} changes={diffSchemas(parsedOrUndefined(latest.schema), ownParsed.value)} empty="No field changes." testId="node-schema-diff" />
                <DeployCheck subject={target.subject} schema={own} />
              </>
            )
          )}
        </>
      ) : (
        latest && (
          <>
            <div className="mr-label">{target.version === "latest" ? "Latest registered version" : `Registered version ${latest.version}`}</div>
            <pre className="mr-schemas-text mr-node-schema-text" data-testid="node-schema-text">
              {prettySchema(latest.schema)}
            </pre>
          </>
        )
      )}
    </div>
  );
}

/** Whether the subject's level lets the sink's valueSchema follow its latest version: the deploy asks the same and refuses when not. */
function DeployCheck({ subject, schema }: { subject: string; schema: string }) {
  const check = useQuery({
    queryKey: [...REGISTRY_QUERIES, "deploy-check", subject, schema],
    // a mutation only so the schema travels in a POST body; it changes nothing
    queryFn: () => trpc.schemaRegistry.checkCompatibility.mutate({ subject, schema }),
    staleTime: 5_000,
    retry: false,
  });
  if (check.error) return <div className="mr-field-error block" data-testid="node-schema-check-error">{errorMessage(check.error)}</div>;
  if (!check.data) return null;
  return (
    <>
      <CheckResult result={check.data} isNewSubject={false} testId="node-schema-check" />
      {!check.data.compatible && <p className="mr-muted small">Deploying is refused until this schema fits the subject's compatibility level.</p>}
    </>
  );
}
