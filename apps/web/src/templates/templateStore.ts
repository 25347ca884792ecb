/** Which template dialog is open (not part of the document, so not undone). */
import { create } from "zustand";
import type { Position } from "@millrace/flow";

export interface TemplateUiState {
  /** "Save as template…" for this group */
  saving?: { groupId: string };
  /** placing this template at this point: its parameters' values are asked first */
  placing?: { templateId: string; position: Position };
}

export const useTemplateUi = create<TemplateUiState>(() => ({}));

export const templateUi = {
  askSave(groupId: string) {
    useTemplateUi.setState({ saving: { groupId }, placing: undefined });
  },
  askPlace(templateId: string, position: Position) {
    useTemplateUi.setState({ placing: { templateId, position }, saving: undefined });
  },
  close() {
    useTemplateUi.setState({ saving: undefined, placing: undefined });
  },
};

/** The drag type of a template dragged from the palette (its data: the template id). */
export const TEMPLATE_DND_TYPE = "application/x-millrace-template";
