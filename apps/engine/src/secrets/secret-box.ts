import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * Sealing of sensitive values with AES-256-GCM. A sealed value is one string,
 * `mrsec:v1:<keyId>:<base64url(iv ‖ ciphertext ‖ tag)>`: a fresh 96-bit IV per value, the prefix
 * (format version and key id) authenticated as additional data, so a value cannot be moved to
 * another key id or format. The key id is derived from the key itself: the same key gives the
 * same id wherever it is configured, and a value names the key it needs.
 */

const PREFIX = "mrsec:";
const FORMAT = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SECRET_KEY_BYTES = 32;

export class SecretKeyError extends Error {
  override name = "SecretKeyError";
}

export interface SecretKey {
  id: string;
  key: Buffer;
}

export function secretKey(key: Buffer): SecretKey {
  if (key.length !== SECRET_KEY_BYTES) throw new SecretKeyError(`a secret key is ${SECRET_KEY_BYTES} bytes, got ${key.length}`);
  return { id: createHash("sha256").update("millrace secret key id\0").update(key).digest("hex").slice(0, 12), key };
}

export function generateSecretKey(): SecretKey {
  return secretKey(randomBytes(SECRET_KEY_BYTES));
}

/** Whether a string has the form of a sealed value (says nothing about whether it opens). */
export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/**
 * A key ring: the first key seals, every key opens. Rotation swaps the ring in place, so every
 * repository holding this box seals with the new key from then on.
 */
export class SecretBox {
  private keys: SecretKey[];

  constructor(keys: readonly SecretKey[]) {
    if (keys.length === 0) throw new SecretKeyError("a secret box needs at least one key");
    this.keys = [...keys];
  }

  /** Id of the key new values are sealed with. */
  get keyId(): string {
    return this.keys[0]!.id;
  }

  /** The keys themselves, for a rotation that keeps them opening while it re-seals. */
  ring(): SecretKey[] {
    return [...this.keys];
  }

  get keyIds(): string[] {
    return this.keys.map((k) => k.id);
  }

  /** Replaces the ring (rotation): the first key seals from now on. */
  useKeys(keys: readonly SecretKey[]): void {
    if (keys.length === 0) throw new SecretKeyError("a secret box needs at least one key");
    this.keys = [...keys];
  }

  seal(plaintext: string): string {
    const { id, key } = this.keys[0]!;
    const header = `${PREFIX}${FORMAT}:${id}:`;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(header));
    const body = Buffer.concat([iv, cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return header + body.toString("base64url");
  }

  /** The plaintext of a sealed value; throws SecretKeyError (never quoting the value) when it cannot. */
  open(sealed: string): string {
    const parts = sealed.split(":");
    if (parts.length !== 4 || `${parts[0]}:` !== PREFIX || parts[1] !== FORMAT) throw new SecretKeyError("not a sealed secret value (unknown format)");
    const id = parts[2]!;
    const key = this.keys.find((k) => k.id === id);
    if (!key) {
      throw new SecretKeyError(
        `a stored secret was sealed with key ${id}, but this engine has key ${this.keyIds.join(", ")}: configure the key it was saved with (MILLRACE_SECRET_KEY or the key file), or enter the secret again`,
      );
    }
    const body = Buffer.from(parts[3]!, "base64url");
    if (body.length < IV_BYTES + TAG_BYTES) throw new SecretKeyError(`a stored secret sealed with key ${id} is truncated`);
    try {
      const decipher = createDecipheriv("aes-256-gcm", key.key, body.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(`${PREFIX}${FORMAT}:${id}:`));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      throw new SecretKeyError(`a stored secret sealed with key ${id} failed authentication (altered, or not sealed by Millrace)`);
    }
  }

  /** The plaintext when `value` is a value this ring can open, else undefined. */
  tryOpen(value: string): string | undefined {
    if (!isSealed(value)) return undefined;
    try {
      return this.open(value);
    } catch {
      return undefined;
    }
  }

  /** Sealed again with the current key (rotation); unchanged when already sealed with it. */
  reseal(sealed: string): string {
    if (sealed.startsWith(`${PREFIX}${FORMAT}:${this.keyId}:`)) return sealed;
    return this.seal(this.open(sealed));
  }
}

/**
 * Every sealed string in a JSON value passed through `f`; returns a copy when one changed, else
 * undefined (so a caller rewrites only the rows that change). Object keys are names, never sealed.
 */
export function mapSealed(value: unknown, f: (sealed: string) => string): unknown | undefined {
  let changed = false;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (!isSealed(v)) return v;
      const next = f(v);
      if (next !== v) changed = true;
      return next;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item)]));
    return v;
  };
  const out = walk(value);
  return changed ? out : undefined;
}
