import type { engineClient } from "./client.js";
import { print } from "./output.js";

/**
 * `secrets rotate-key`: the running engine seals every stored secret again with a new key. The
 * new key itself is printed only when it comes from MILLRACE_SECRET_KEY (the engine cannot change
 * its environment): to stdout alone, so it can be captured without the explanation around it.
 */
export async function rotateKeyCommand(api: () => ReturnType<typeof engineClient>, json: boolean): Promise<number> {
  const r = await api().secrets.rotateKey.mutate();
  if (json) {
    print(r);
    return 0;
  }
  const what = `re-sealed ${r.resealed} stored row(s) with key ${r.keyId} (was ${r.previousKeyId})`;
  if (r.source === "file") {
    process.stderr.write(`${what}; the new key is in ${r.keyFile} (back it up; the old key no longer opens anything)\n`);
    process.stderr.write("engines sharing this database with their own copy of the key file must get the new file before they restart\n");
  } else {
    process.stderr.write(`${what}\nset MILLRACE_SECRET_KEY to the key below before the engine next starts (the running engine uses it already; the old key no longer opens anything), and restart every other engine sharing this database with it:\n`);
    print(r.newKey ?? "");
  }
  return 0;
}
