import type { FlowGroup } from "@millrace/flow";
import { errorMessage } from "../api/client";
import { ui } from "../store/uiStore";
import { templateActions } from "./templateActions";
import { templatesApi } from "./templateApi";
import { useNewerVersion } from "./useTemplates";

/** On a group placed from a template: its version, and an Update when a newer one exists. */
export function TemplateBadge({ group, readOnly }: { group: FlowGroup; readOnly?: boolean }) {
  const use = group.template;
  const newer = useNewerVersion(use?.id, use?.version);
  if (!use) return null;
  if (!newer) {
    return (
      <span className="mr-template-badge" data-testid={`template-badge-${group.id}`} title="Placed from a group template">
        template v{use.version}
      </span>
    );
  }
  const update = async () => {
    try {
      templateActions.update([group.id], await templatesApi.get(newer.id));
    } catch (e) {
      ui.toast(`Could not update: ${errorMessage(e)}`, "error");
    }
  };
  return (
    <span className="mr-template-badge newer nodrag" data-testid={`template-badge-${group.id}`} title={`“${newer.name}” has a newer version (this group uses v${use.version})`}>
      template v{newer.version} available —
      <button
        type="button"
        className="mr-template-update"
        data-testid={`template-update-${group.id}`}
        disabled={readOnly}
        onClick={(e) => {
          e.stopPropagation();
          void update();
        }}
      >
        Update
      </button>
    </span>
  );
}
