/**
 * Node ids of the deployed plan that the document does not have: the planner puts a set-key step
 * `<node>__key` before a stateful node keyed by an expression. Stats and lineage name it; the
 * designer shows it as the node it feeds. The suffix mirrors the engine's planner (the browser
 * bundle takes no engine code).
 */
const REKEY_SUFFIX = "__key";

/** The document's node a plan's node id stands for: itself, or the stateful node its set-key step feeds. */
export function documentNodeId(id: string, inDocument: (id: string) => boolean): string {
  if (inDocument(id) || !id.endsWith(REKEY_SUFFIX)) return id;
  const fed = id.slice(0, -REKEY_SUFFIX.length);
  return inDocument(fed) ? fed : id;
}
