import type { FlowDocument, Position } from "@millrace/flow";
import { useFlowStore } from "../store/flowStore";
import { useUiStore } from "../store/uiStore";
import { useRole } from "../auth/authStore";
import { roleReason } from "../auth/roles";
import { errorMessage } from "../api/client";
import { TEMPLATE_DND_TYPE, templateUi } from "./templateStore";
import { useTemplates } from "./useTemplates";
import { TemplateDialogs } from "./TemplateDialogs";
import "./templates.css";

/** Where a template placed by a click goes: to the right of what is drawn, so it covers nothing. */
export function clickPlacement(doc: Pick<FlowDocument, "nodes">): Position {
  if (!doc.nodes.length) return { x: 0, y: 0 };
  return { x: Math.max(...doc.nodes.map((n) => n.position.x)) + 320, y: Math.min(...doc.nodes.map((n) => n.position.y)) };
}

/** The palette's "Templates" section: drag one onto the canvas, or click to place it. */
export function TemplatePalette() {
  const { templates, error, loading } = useTemplates();
  const editReason = roleReason(useRole(), "edit");
  const previewing = useUiStore((s) => s.preview !== null);
  const readOnly = previewing || !!editReason;
  return (
    <section className="mr-templates" data-testid="palette-templates">
      <div className="mr-section-head">
        <h2>Templates</h2>
      </div>
      <div className="mr-template-items">
        {templates.map((t) => (
          <div
            key={t.id}
            className="mr-palette-item mr-template-item"
            draggable={!readOnly}
            role="button"
            tabIndex={0}
            data-testid={`palette-template-${t.id}`}
            title={readOnly ? editReason || "Viewing an earlier version: read-only" : `Drag onto the canvas, or click to place “${t.name}”`}
            onDragStart={(e) => {
              e.dataTransfer.setData(TEMPLATE_DND_TYPE, t.id);
              e.dataTransfer.setData("text/plain", t.name);
              e.dataTransfer.effectAllowed = "copy";
            }}
            onClick={() => !readOnly && templateUi.askPlace(t.id, clickPlacement(useFlowStore.getState().doc))}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !readOnly) templateUi.askPlace(t.id, clickPlacement(useFlowStore.getState().doc));
            }}
          >
            <div className="mr-palette-title">
              <span data-testid={`palette-template-name-${t.id}`}>{t.name}</span> <code>v{t.version}</code>
            </div>
            {t.description && <div className="mr-palette-desc">{t.description}</div>}
          </div>
        ))}
        {error ? (
          <div className="mr-flow-note" title={errorMessage(error)}>
            Templates not reachable.
          </div>
        ) : (
          !loading && templates.length === 0 && <div className="mr-flow-note">No templates yet: select a group, then “Save as template…”.</div>
        )}
      </div>
      <TemplateDialogs />
    </section>
  );
}
