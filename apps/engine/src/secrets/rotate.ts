import { encodeSecretKey, writeKeyFile, type LoadedSecrets } from "./key-source.js";
import { generateSecretKey } from "./secret-box.js";

/** Where the sealed values are stored: re-seals every one of them in one transaction and counts the changed rows. */
export interface SealedStore {
  resealAll(reseal: (sealed: string) => string): Promise<number>;
}

export interface RotationResult {
  /** the id of the key that seals from now on */
  keyId: string;
  previousKeyId: string;
  /** stored rows rewritten */
  resealed: number;
  /** file: the new key is in the key file already; env: the operator must set the returned key */
  source: "file" | "env" | "ephemeral";
  keyFile?: string;
  /** only when the key comes from the environment: the new key, which the caller must set */
  newKey?: string;
}

/**
 * Replaces the secret key: every stored secret is sealed again with a fresh key. The order makes
 * a crash at any point recoverable: the key file first holds the new key AND the old one, then
 * the database is re-sealed, then the old key leaves the file. This engine seals with the new key
 * from the first step on; a second pass catches values a concurrent save sealed with the old key.
 */
export async function rotateSecretKey(secrets: LoadedSecrets, store: SealedStore): Promise<RotationResult> {
  const { box, source } = secrets;
  const previousKeyId = box.keyId;
  const fresh = generateSecretKey();
  const ring = [fresh, ...box.ring()];
  if (source.kind === "file") writeKeyFile(source.path, ring);
  box.useKeys(ring);
  const reseal = (sealed: string) => box.reseal(sealed);
  let resealed = await store.resealAll(reseal);
  resealed += await store.resealAll(reseal);
  box.useKeys([fresh]);
  if (source.kind === "file") writeKeyFile(source.path, [fresh]);
  const result: RotationResult = { keyId: fresh.id, previousKeyId, resealed, source: source.kind };
  if (source.kind === "file") result.keyFile = source.path;
  if (source.kind === "env") result.newKey = encodeSecretKey(fresh);
  return result;
}
