/**
 * What importing a file will do, said before the user confirms: a new flow, the next version of
 * the flow that has the file's id, or a copy. The engine is asked for exactly what was said.
 */
import { copyName } from "@millrace/flow";

export interface StoredFlow {
  id: string;
  name: string;
  latestVersion: number;
}

export type ImportOutcome =
  | { kind: "unknown" }
  | { kind: "new"; id: string; name: string }
  | { kind: "new-version"; id: string; name: string; existing: StoredFlow; version: number }
  | { kind: "copy"; name: string; existing?: StoredFlow };

/** The id and name a flow file gives itself; null when the text is not (yet) such JSON. */
export function fileIdentity(text: string): { id: string; name: string } | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) return null;
  const { id, name } = v as { id?: unknown; name?: unknown };
  if (typeof id !== "string" || id === "") return null;
  return { id, name: typeof name === "string" ? name : id };
}

export function importOutcome(text: string, asCopy: boolean, flows: readonly StoredFlow[]): ImportOutcome {
  const file = fileIdentity(text);
  if (!file) return { kind: "unknown" };
  const existing = flows.find((f) => f.id === file.id);
  if (asCopy) return { kind: "copy", name: copyName(file.name), ...(existing ? { existing } : {}) };
  if (existing) return { kind: "new-version", id: file.id, name: file.name, existing, version: existing.latestVersion + 1 };
  return { kind: "new", id: file.id, name: file.name };
}

/** The sentence the dialog shows for an outcome (empty when nothing can be said yet). */
export function describeOutcome(o: ImportOutcome): string {
  switch (o.kind) {
    case "unknown":
      return "";
    case "new":
      return `Imports a new flow “${o.name}” with the id ${o.id}.`;
    case "new-version":
      return `A flow with the id ${o.id} exists (“${o.existing.name}”, v${o.existing.latestVersion}): importing saves this file as its version ${o.version}; its earlier versions stay in History. Tick “Import as a copy” to leave it as it is.`;
    case "copy":
      return `Imports a new flow “${o.name}” with a new id${o.existing ? `; the flow ${o.existing.id} stays as it is` : ""}.`;
  }
}
