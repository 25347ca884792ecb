/**
 * The ids and names a new flow gets, alike wherever it is made (the designer's "+ New", an
 * import as a copy, a copy saved after a conflict): short enough to read and type in a URL or
 * the CLI, random enough not to collide within one engine's flows.
 */

/** "flow-" and 8 hex digits (32 random bits). */
export function newFlowId(): string {
  const bytes = new Uint8Array(4);
  globalThis.crypto.getRandomValues(bytes);
  return `flow-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export const COPY_SUFFIX = " (copy)";

/** A copy's name says it is one (once: a copy of a copy keeps one suffix). */
export function copyName(name: string): string {
  return name.endsWith(COPY_SUFFIX) ? name : `${name}${COPY_SUFFIX}`;
}

/** Splits a copy's suffix off, so a shortened name can keep showing it. */
export function splitCopySuffix(name: string): { base: string; suffix: string } {
  return name.endsWith(COPY_SUFFIX) && name.length > COPY_SUFFIX.length ? { base: name.slice(0, -COPY_SUFFIX.length), suffix: COPY_SUFFIX.trim() } : { base: name, suffix: "" };
}
