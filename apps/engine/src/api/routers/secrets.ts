import { DomainError } from "../../errors.js";
import { rotateSecretKey } from "../../secrets/index.js";
import { roleProcedure, router } from "../trpc.js";

let rotating = false;

export const secretsRouter = router({
  /**
   * Seals every stored secret again with a new key. With a key file the engine writes the new
   * key there; with MILLRACE_SECRET_KEY the answer carries the new key, which the operator must
   * set before the next start (this engine uses it already). Other engines sharing the database
   * must be restarted with the new key.
   */
  rotateKey: roleProcedure("admin").meta({ audit: "secrets.rotateKey" }).mutation(async ({ ctx }) => {
    if (ctx.services.secrets.source.kind === "ephemeral") {
      throw new DomainError("UNAVAILABLE", "this engine has no configured secret key (MILLRACE_SECRET_KEY or a key file) to rotate");
    }
    if (rotating) throw new DomainError("CONFLICT", "a key rotation is already running on this engine");
    rotating = true;
    try {
      return await rotateSecretKey(ctx.services.secrets, ctx.services.repositories.sealedValues);
    } finally {
      rotating = false;
    }
  }),
});
