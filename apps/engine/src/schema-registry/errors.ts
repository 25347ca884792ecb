/**
 * A refusal in the Confluent Schema Registry's own terms: an HTTP status and an `error_code`
 * (the status followed by a detail digit pair, 40401…), which clients written for Confluent
 * branch on. The message names what was wrong and where.
 */
export class RegistryError extends Error {
  override readonly name = "RegistryError";

  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }

  /** The body Confluent answers with. */
  toJSON(): { error_code: number; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}

export const subjectNotFound = (subject: string) => new RegistryError(404, 40401, `Subject '${subject}' not found.`);
export const versionNotFound = (subject: string, version: number | string) => new RegistryError(404, 40402, `Version ${version} not found for subject '${subject}'.`);
export const schemaNotFound = (what = "Schema not found") => new RegistryError(404, 40403, what);
export const subjectSoftDeleted = (subject: string) =>
  new RegistryError(404, 40404, `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`);
export const subjectNotSoftDeleted = (subject: string) =>
  new RegistryError(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`);
export const versionSoftDeleted = (subject: string, version: number | string) =>
  new RegistryError(404, 40406, `Subject '${subject}' Version ${version} was soft deleted. Set permanent=true to delete permanently`);
export const versionNotSoftDeleted = (subject: string, version: number | string) =>
  new RegistryError(404, 40407, `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`);
export const subjectConfigNotFound = (subject: string) =>
  new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
export const invalidSchema = (why: string) => new RegistryError(422, 42201, `Invalid schema: ${why}`);
export const invalidVersion = (given: string) =>
  new RegistryError(422, 42202, `The specified version '${given.slice(0, 50)}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
export const invalidCompatibility = (given: unknown, allowed: readonly string[]) =>
  new RegistryError(422, 42203, `Invalid compatibility level ${JSON.stringify(given)?.slice(0, 50)}. Valid values are ${allowed.join(", ")}`);
/** A bound of this registry (subjects, versions, sizes) that a write would pass. */
export const notPermitted = (why: string) => new RegistryError(422, 42205, why);
export const incompatible = (subject: string, messages: readonly string[]) =>
  new RegistryError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: ${messages.join("; ")}`);
export const badRequest = (why: string) => new RegistryError(400, 400, why);
export const unauthorized = (why: string) => new RegistryError(401, 40101, why);
export const forbidden = (why: string) => new RegistryError(403, 40301, why);
