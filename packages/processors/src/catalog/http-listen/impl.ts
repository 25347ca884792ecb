import { parseConfig } from "../../config.js";
import type { MRecord, OfferableSource, ProcessorImpl } from "../../sdk.js";
import { spec, type HttpListenConfig } from "./spec.js";

const MAX_WAIT_MS = 200;

/** What a request to this source must prove (the engine's HTTP server checks it before offering a record). */
export type HttpListenAccess = Pick<HttpListenConfig, "auth" | "header" | "key" | "secret" | "principal">;

export interface HttpListenSource extends OfferableSource {
  readonly path: string;
  readonly access: HttpListenAccess;
  /** records waiting to be polled */
  readonly pending: number;
}

/** A bounded buffer between the engine's HTTP server (`offer`) and the runner (`poll`). */
export const impl: ProcessorImpl<HttpListenConfig> = {
  type: spec.type,
  create(config, ctx): HttpListenSource {
    const c = parseConfig(spec, config);
    let buf: MRecord[] = [];
    let closed = false;
    let wake: (() => void) | undefined;
    const wakeUp = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    ctx.signal.addEventListener("abort", wakeUp, { once: true });
    return {
      path: c.path,
      access: { auth: c.auth, header: c.header, key: c.key, secret: c.secret, principal: c.principal },
      get pending() {
        return buf.length;
      },
      offer(record) {
        if (closed || ctx.signal.aborted || buf.length >= c.maxPending) return false;
        buf.push(record);
        if (wake) wakeUp();
        return true;
      },
      async poll(max) {
        if (buf.length === 0 && !closed && !ctx.signal.aborted) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              wake = undefined;
              resolve();
            }, MAX_WAIT_MS);
            wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
        }
        if (buf.length <= max) {
          const records = buf;
          buf = [];
          return { records };
        }
        return { records: buf.splice(0, Math.max(0, Math.floor(max))) };
      },
      close() {
        closed = true;
        wakeUp();
      },
    };
  },
};
