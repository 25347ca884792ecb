import { createContext } from "react";

/**
 * Zoom below which the canvas draws simplified nodes (title only: no port labels, no live
 * figures) and edges without labels or arrows: at that size they are unreadable anyway, and a
 * 1,000-node flow must draw in well under a second and drag at 50+ fps.
 */
export const LOW_DETAIL_ZOOM = 0.45;

export interface CanvasDetail {
  low: boolean;
  /** the one portal target for edge labels (React Flow's EdgeLabelRenderer queries the DOM per edge on every store update) */
  labelRoot: Element | null;
}

export const CanvasDetailContext = createContext<CanvasDetail>({ low: false, labelRoot: null });
