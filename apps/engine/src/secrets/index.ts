// Secret values at rest: the key (loading, the key file), sealing/opening with AES-256-GCM, and
// key rotation. The db layer seals what it stores and opens only on request (planning, starting a runtime).
export { isSealed, mapSealed, SecretBox, SecretKeyError, generateSecretKey, secretKey, type SecretKey } from "./secret-box.js";
export { encodeSecretKey, loadSecrets, parseSecretKey, SECRET_KEY_ENV, SECRET_KEY_FILE, writeKeyFile, type LoadedSecrets, type SecretKeyOptions, type SecretKeySource } from "./key-source.js";
export { rotateSecretKey, type RotationResult, type SealedStore } from "./rotate.js";
