/**
 * "Infer a schema" in the tap: an Avro schema the tapped values fit, made by the engine, to edit,
 * check against a subject and register (only the exact text the registry checked), or to set as
 * the valueSchema of the kafka-sink the edge leads into (an ordinary, undoable edit).
 */
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { FlowEdge } from "@millrace/flow";
import { errorMessage, trpc } from "../api/client";
import type { TapRecord } from "../api/types";
import { useRole } from "../auth/authStore";
import { roleReason } from "../auth/roles";
import { flowActions, useFlowStore } from "../store/flowStore";
import { ui } from "../store/uiStore";
import { diffSchemas } from "../schemas/schemaDiff";
import { parsedOrUndefined, parseSchemaText } from "../schemas/schemaText";
import { checkBlockedReason, registerBlockedReason, type CheckedText } from "../schemas/registerForm";
import { inferLabelOf, inferredSubjectPrefill, inferSamples, recordNameFor, sinkOfEdge, withValueSchema } from "../schemas/kafkaSubject";
import { REGISTRY_QUERIES, useSubjectSchema } from "./NodeSchema";
import { CheckResult, SchemaDiff } from "./SchemasDialog";

export function InferSchema({ edge, records }: { edge: FlowEdge; records: readonly TapRecord[] }) {
  const qc = useQueryClient();
  const nodes = useFlowStore((s) => s.doc.nodes);
  const parameters = useFlowStore((s) => s.doc.parameters);
  const sink = sinkOfEdge({ nodes }, edge);
  const role = useRole();
  const registerReason = roleReason(role, "registerSchemas");
  const editReason = roleReason(role, "edit");
  const [text, setText] = useState<string>();
  const [subject, setSubject] = useState("");
  const [checked, setChecked] = useState<CheckedText>();
  const [refusal, setRefusal] = useState("");
  const [registered, setRegistered] = useState<{ subject: string; text: string; version: number; id: number }>();
  const samples = inferSamples(records);

  const infer = useMutation({
    mutationFn: () => trpc.schemaRegistry.infer.mutate({ values: samples, name: recordNameFor(inferLabelOf({ nodes, parameters }, edge)) }),
    onMutate: () => setRefusal(""),
    onSuccess: ({ schema }) => {
      setText(schema);
      setSubject(inferredSubjectPrefill({ nodes, parameters }, edge, schema));
      setChecked(undefined);
      setRegistered(undefined);
    },
    onError: (e) => setRefusal(errorMessage(e)),
  });
  const check = useMutation({
    mutationFn: async (input: { subject: string; schema: string }): Promise<CheckedText> => ({ subject: input.subject, text: input.schema, result: await trpc.schemaRegistry.checkCompatibility.mutate(input) }),
    onMutate: () => setRefusal(""),
    onSuccess: setChecked,
    onError: (e) => setRefusal(errorMessage(e)),
  });
  const register = useMutation({
    mutationFn: (input: { subject: string; schema: string }) => trpc.schemaRegistry.register.mutate(input),
    onSuccess: (answer, input) => {
      setRegistered({ subject: input.subject, text: input.schema, version: answer.version, id: answer.id });
      ui.toast(`Registered ${input.subject} version ${answer.version} (schema id ${answer.id})`, "success");
      void qc.invalidateQueries({ queryKey: REGISTRY_QUERIES });
    },
    onError: (e) => setRefusal(errorMessage(e)),
  });

  const draft = text ?? "";
  const registeredNow = registered && registered.subject === subject && registered.text === draft ? registered : undefined;
  // once registered, the check made before it is history: the subject's latest is this very schema now
  const current = !registeredNow && checked && checked.text === draft && checked.subject === subject ? checked : undefined;
  // the latest version is only needed to word the check's outcome and show what the new one changes
  const latest = useSubjectSchema(current?.subject);
  const parsed = parseSchemaText(draft);
  const parseError = draft.trim() && !parsed.ok ? parsed.error : "";
  const checkReason = checkBlockedReason(subject, draft);
  const registerBlocked = registerReason || registerBlockedReason(subject, draft, checked);
  const useReason = editReason || (parsed.ok ? "" : parsed.error);
  const inferReason = samples.length ? "" : "Tap the edge first: the schema is inferred from the records listed below";
  const sinceLatest = current?.result.compatible && latest.data && parsed.ok ? diffSchemas(parsedOrUndefined(latest.data.schema), parsed.value) : undefined;

  return (
    <div className="mr-infer" data-testid="infer-schema">
      <div className="mr-form-row">
        <span className="mr-tip-wrap" title={inferReason || `An Avro schema that the ${samples.length} listed value${samples.length === 1 ? "" : "s"} fit, to edit and register`}>
          <button className="mr-btn small" data-testid="infer-schema-button" disabled={!!inferReason || infer.isPending} onClick={() => infer.mutate()}>
            {infer.isPending ? "Inferring…" : text === undefined ? "Infer a schema" : "Infer again"}
          </button>
        </span>
        {text !== undefined && (
          <button className="mr-btn small ghost" data-testid="infer-schema-close" onClick={() => setText(undefined)}>
            Close
          </button>
        )}
      </div>
      {text !== undefined && (
        <form
          className="mr-form mr-infer-form"
          data-testid="infer-schema-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!registerBlocked) register.mutate({ subject, schema: draft });
          }}
        >
          <div className="mr-field">
            <label className="mr-label" htmlFor={`infer-text-${edge.id}`}>
              Inferred Avro schema (edit before registering)
            </label>
            <textarea
              id={`infer-text-${edge.id}`}
              className={`mr-input mono mr-infer-text${parseError ? " has-error" : ""}`}
              data-testid="infer-schema-text"
              rows={12}
              spellCheck={false}
              value={draft}
              onChange={(e) => {
                setText(e.target.value);
                setRefusal("");
              }}
            />
            {parseError && (
              <div className="mr-field-error" data-testid="infer-schema-parse-error">
                {parseError}
              </div>
            )}
          </div>
          <div className="mr-field">
            <label className="mr-label" htmlFor={`infer-subject-${edge.id}`}>
              Subject
            </label>
            <input id={`infer-subject-${edge.id}`} className="mr-input mono" data-testid="infer-schema-subject" placeholder="orders-value" spellCheck={false} value={subject} onChange={(e) => setSubject(e.target.value)} />
            <div className="mr-help">{sink ? `The subject the sink “${sink.name || sink.id}” writes under.` : "By the topic naming strategy a topic's values are <topic>-value."}</div>
          </div>
          <div className="mr-infer-actions">
            <span className="mr-tip-wrap" title={checkReason || "Ask the registry whether this schema may follow the subject's latest version, without registering it"}>
              <button type="button" className="mr-btn small" data-testid="infer-schema-check" disabled={!!checkReason || check.isPending} onClick={() => check.mutate({ subject, schema: draft })}>
                {check.isPending ? "Checking…" : "Check compatibility"}
              </button>
            </span>
            <span className="mr-tip-wrap" title={registerBlocked || "Register this schema under the subject (the same schema twice gets the same id)"}>
              <button type="submit" className="mr-btn small primary" data-testid="infer-schema-register" disabled={!!registerBlocked || register.isPending}>
                {register.isPending ? "Registering…" : "Register"}
              </button>
            </span>
            {sink && (
              <span className="mr-tip-wrap" title={useReason || `Set it as the valueSchema of “${sink.name || sink.id}” (format avro); undo with Ctrl+Z`}>
                <button
                  type="button"
                  className="mr-btn small"
                  data-testid="infer-schema-use"
                  disabled={!!useReason}
                  onClick={() => {
                    flowActions.setConfig(sink.id, withValueSchema(sink.config, draft), "valueSchema");
                    ui.toast(`“${sink.name || sink.id}” writes Avro with this valueSchema (Ctrl+Z undoes it)`, "success");
                  }}
                >
                  Use as the sink's valueSchema
                </button>
              </span>
            )}
          </div>
          {/* worded once the subject's latest is known: a first version reads differently */}
          {current && !latest.isPending && <CheckResult result={current.result} isNewSubject={latest.data === null} testId="infer-schema-check-result" />}
          {sinceLatest && latest.data && <SchemaDiff title={`Changes against v${latest.data.version}`} changes={sinceLatest} empty="The same fields as the latest version." testId="infer-schema-diff" />}
          {registeredNow && (
            <div className="mr-conn-test ok" data-testid="infer-schema-registered">
              ✓ Registered as {registeredNow.subject} version {registeredNow.version} (schema id {registeredNow.id})
            </div>
          )}
        </form>
      )}
      {refusal && (
        <div className="mr-field-error block" data-testid="infer-schema-refusal">
          {refusal}
        </div>
      )}
    </div>
  );
}
