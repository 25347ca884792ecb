/**
 * The "Register a new version" form's rules without React: a version is registered only after
 * the registry checked that exact text against the subject, and the button says why it waits.
 */
import { parseSchemaText, subjectNameError } from "./schemaText";

export interface CompatibilityCheck {
  compatible: boolean;
  messages: string[];
  /** the level the registry checked against */
  compatibility?: string;
}

/** The last check and the text and subject it was made for (a later edit makes it stale). */
export interface CheckedText {
  subject: string;
  text: string;
  result: CompatibilityCheck;
}

/** Why "Check compatibility" is disabled (no subject name, text that is not JSON), or "". */
export function checkBlockedReason(subject: string, text: string): string {
  const nameError = subjectNameError(subject);
  if (nameError) return nameError;
  const parsed = parseSchemaText(text);
  return parsed.ok ? "" : parsed.error;
}

/** Why Register is disabled, or "" when it may be pressed. */
export function registerBlockedReason(subject: string, text: string, checked: CheckedText | undefined): string {
  const notCheckable = checkBlockedReason(subject, text);
  if (notCheckable) return notCheckable;
  if (!checked || checked.text !== text || checked.subject !== subject) return "Check compatibility first: the registry says whether this version may follow the latest one";
  if (!checked.result.compatible) return "The registry refuses this version: it breaks the subject's compatibility level (see why above)";
  return "";
}

/** The check's outcome in one line, above its messages. */
export function checkHeadline(result: CompatibilityCheck, isNewSubject: boolean): string {
  const level = result.compatibility;
  if (isNewSubject && result.compatible) return "✓ A new subject: this will be its version 1";
  if (result.compatible) return `✓ Compatible${level ? ` (${level})` : ""}: it can be registered`;
  return `✕ Not compatible${level ? ` (${level})` : ""}`;
}
