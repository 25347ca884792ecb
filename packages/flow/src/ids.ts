/**
 * The ids and names a new flow gets, alike wherever it is made (the designer's "+ New", an
 * import as a copy, a copy saved after a conflict): short enough to read and type in a URL or
 * the CLI, random enough not to collide within one engine's flows.
 */

/** Lower-case letters and digits without i, l, o and u, which read as 1, 0 or v. */
const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const ID_CHARS = 13;

/**
 * "flow-" and 13 base-32 characters: 65 random bits, so ids made independently (by browsers
 * and engines that cannot ask each other first) do not meet; the server still refuses a new
 * flow under an id that exists.
 */
export function newFlowId(): string {
  const bytes = new Uint8Array(ID_CHARS);
  globalThis.crypto.getRandomValues(bytes);
  // 256 is a multiple of 32: the low five bits of a random byte are uniform
  let id = "flow-";
  for (const b of bytes) id += ID_ALPHABET[b & 31];
  return id;
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
