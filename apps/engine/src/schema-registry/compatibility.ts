import type avro from "avsc";

export const COMPATIBILITY_LEVELS = ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = "BACKWARD";

export function isCompatibilityLevel(x: unknown): x is CompatibilityLevel {
  return typeof x === "string" && (COMPATIBILITY_LEVELS as readonly string[]).includes(x);
}

/** A registered version a new schema is checked against. */
export interface EarlierSchema {
  version: number;
  id: number;
  type: avro.Type;
}

/** Whether the new schema must read the old one's data (backward), the old the new's (forward), and against which versions. */
function rules(level: CompatibilityLevel): { backward: boolean; forward: boolean; transitive: boolean } {
  return {
    backward: level.startsWith("BACKWARD") || level.startsWith("FULL"),
    forward: level.startsWith("FORWARD") || level.startsWith("FULL"),
    transitive: level.endsWith("_TRANSITIVE"),
  };
}

/**
 * The live versions (oldest first) a check at `level` looks at: none for NONE, the newest for
 * a non-transitive level, all for a transitive one; only these need parsing.
 */
export function versionsToCheck<T>(live: readonly T[], level: CompatibilityLevel): readonly T[] {
  if (level === "NONE") return [];
  return rules(level).transitive ? live : live.slice(-1);
}

/**
 * What keeps `candidate` from joining a subject at `level`, one message per broken rule (empty:
 * compatible). `earlier` is the subject's live versions, oldest first; a non-transitive level
 * looks at the newest only. Backward means the new schema reads data written with the old one
 * (Avro schema resolution, reader new, writer old); forward the reverse; full both.
 */
export function compatibilityProblems(candidate: avro.Type, earlier: readonly EarlierSchema[], level: CompatibilityLevel): string[] {
  return versionsToCheck(earlier, level).flatMap((old) => problemsAgainst(candidate, old, level));
}

/** What keeps `candidate` from joining at `level` because of one earlier version (whichever versions the level looks at). */
export function problemsAgainst(candidate: avro.Type, old: EarlierSchema, level: CompatibilityLevel): string[] {
  const { backward, forward } = rules(level);
  const where = `version ${old.version} (id ${old.id})`;
  const problems: string[] = [];
  if (backward) {
    const why = cannotRead(candidate, old.type);
    if (why) problems.push(`${level}: the new schema cannot read data written with ${where}: ${why}`);
  }
  if (forward) {
    const why = cannotRead(old.type, candidate);
    if (why) problems.push(`${level}: ${where} cannot read data written with the new schema: ${why}`);
  }
  return problems;
}

/** Why `reader` cannot resolve data written with `writer`, or undefined when it can. */
function cannotRead(reader: avro.Type, writer: avro.Type): string | undefined {
  // avsc tries union branches against each other and throws at every miss: without stack
  // traces the misses cost half as much (synchronous, so nothing else runs meanwhile)
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}
