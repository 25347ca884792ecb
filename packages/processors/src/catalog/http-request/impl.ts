import { compileExpression, errorMessage } from "../../expr.js";
import { parseConfig, redact } from "../../config.js";
import { failed, type BatchProcessor, type MRecord, type ProcessorImpl } from "../../sdk.js";
import { spec, type HttpRequestConfig } from "./spec.js";

export const STATUS_HEADER = "http.status";

type Outcome = { port: "success" | "failure"; record: MRecord };

export const impl: ProcessorImpl<HttpRequestConfig> = {
  type: spec.type,
  create(config, ctx): BatchProcessor {
    const c = parseConfig(spec, config);
    const urlExpr = c.urlExpression ? compileExpression(c.urlExpression) : undefined;
    const bodyExpr = c.body ? compileExpression(c.body) : undefined;
    const sendsValue = !bodyExpr && (c.method === "POST" || c.method === "PUT" || c.method === "PATCH");
    const baseHeaders: Record<string, string> = { ...c.headers };
    const hasContentType = Object.keys(baseHeaders).some((h) => h.toLowerCase() === "content-type");
    const secrets = [c.url, ...Object.values(c.headers)];
    const fail = (r: MRecord, reason: string) => failed(r, redact(reason, secrets), ctx.nodeId);

    async function one(r: MRecord): Promise<Outcome> {
      let url = c.url;
      let body: string | undefined;
      let headers = baseHeaders;
      try {
        if (urlExpr) {
          const u = await urlExpr.evaluateRecord(r);
          if (typeof u !== "string" || !/^https?:\/\//i.test(u)) return { port: "failure", record: fail(r, "urlExpression did not produce an http(s) URL") };
          url = u;
        }
        let payload: unknown = undefined;
        if (bodyExpr) payload = await bodyExpr.evaluateRecord(r);
        else if (sendsValue) payload = r.value;
        if (payload !== undefined) {
          if (typeof payload === "string") body = payload;
          else {
            body = JSON.stringify(payload);
            if (!hasContentType) headers = { ...baseHeaders, "content-type": "application/json" };
          }
        }
      } catch (e) {
        return { port: "failure", record: fail(r, errorMessage(e)) };
      }
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(c.timeoutMs)]);
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, { method: c.method, headers, body, signal, redirect: "follow" });
        text = c.method === "HEAD" ? "" : await res.text();
      } catch (e) {
        const err = e as { name?: string; cause?: { message?: string; code?: string } };
        const reason =
          err?.name === "TimeoutError" ? `request timed out after ${c.timeoutMs} ms`
          : err?.name === "AbortError" ? "request aborted (deployment stopping)"
          : `request failed: ${err?.cause?.code ?? err?.cause?.message ?? errorMessage(e)}`;
        return { port: "failure", record: fail(r, reason) };
      }
      const status = String(res.status);
      if (res.status < 200 || res.status > 299) {
        const f = fail(r, `HTTP ${res.status}${res.statusText ? " " + res.statusText : ""}`);
        f.headers[STATUS_HEADER] = status;
        return { port: "failure", record: f };
      }
      if (c.responseTo === "header") {
        return { port: "success", record: { key: r.key, value: r.value, headers: { ...r.headers, [STATUS_HEADER]: status, [c.responseHeader]: text } } };
      }
      let value: unknown = text === "" ? null : text;
      if (text !== "" && (res.headers.get("content-type") ?? "").includes("json")) {
        try {
          value = JSON.parse(text);
        } catch {
          /* keep the text */
        }
      }
      return { port: "success", record: { key: r.key, value, headers: { ...r.headers, [STATUS_HEADER]: status } } };
    }

    return {
      async process(records, out) {
        const n = records.length;
        const results: Outcome[] = new Array(n);
        let next = 0;
        const worker = async () => {
          while (next < n) {
            const i = next++;
            try {
              results[i] = await one(records[i]);
            } catch (e) {
              results[i] = { port: "failure", record: fail(records[i], errorMessage(e)) };
            }
          }
        };
        const workers: Promise<void>[] = [];
        for (let w = 0; w < Math.min(c.concurrency, n); w++) workers.push(worker());
        await Promise.all(workers);
        for (let i = 0; i < n; i++) out.emit(results[i].port, results[i].record, i);
      },
    };
  },
};
