import { newQuickJSWASMModule, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from "quickjs-emscripten";

/**
 * One QuickJS runtime + context running a user function over whole batches: one string in
 * (the batch as JSON), one string out (the results as JSON) per batch, plus one tiny host call
 * per record (`tick`) that renews the per-record deadline and tells which record is running.
 */

const BOOTSTRAP = String.raw`(function () {
  var stringify = JSON.stringify, parse = JSON.parse, MakeFunction = Function, tick = __mr_tick, Str = String;
  var input = [], out = [], errs = [], skip = {}, logs = [];
  function fmt(args) {
    var s = [];
    for (var i = 0; i < args.length; i++) {
      var a = args[i];
      if (typeof a === "string") s.push(a);
      else { try { s.push(stringify(a)); } catch (e) { s.push(Str(a)); } }
    }
    return s.join(" ").slice(0, 1000);
  }
  function logger(level) { return function () { if (logs.length < 100) logs.push([level, fmt(arguments)]); }; }
  globalThis.console = { log: logger("info"), info: logger("info"), debug: logger("info"), warn: logger("warn"), error: logger("error") };
  var fn = null;
  function describe(e) {
    if (e && typeof e === "object" && e.message !== undefined) return (e.name ? e.name + ": " : "") + e.message;
    return "thrown: " + Str(e);
  }
  var api = {
    compile: function (code) {
      try { fn = MakeFunction("value", "key", "headers", code); return ""; }
      catch (e) { return describe(e); }
    },
    load: function (json) { input = parse(json); out = new Array(input.length); errs = {}; skip = {}; logs = []; },
    skip: function (i) { skip[i] = true; },
    run: function (from) {
      for (var i = from; i < input.length; i++) {
        if (skip[i]) continue;
        tick(i);
        var r = input[i];
        try {
          var v = fn(r.value, r.key === undefined ? null : r.key, r.headers || {});
          if (v && typeof v === "object" && typeof v.then === "function") throw new Error("the code returned a Promise: async code is not supported");
          out[i] = v;
        } catch (e) {
          errs[i] = describe(e);
        }
      }
      return api.collect(from, input.length);
    },
    collect: function (from, to) {
      var parts = [];
      for (var i = from; i < to; i++) {
        if (skip[i] || errs[i] !== undefined) { parts.push("null"); continue; }
        var s;
        try { s = stringify(out[i]); } catch (e) { errs[i] = "the result is not JSON: " + describe(e); parts.push("null"); continue; }
        parts.push(s === undefined ? "null" : s);
        out[i] = undefined;
      }
      var e = {};
      for (var k in errs) if (k >= from && k < to) e[k] = errs[k];
      var l = logs; logs = [];
      return '{"v":[' + parts.join(",") + '],"e":' + stringify(e) + ',"l":' + stringify(l) + "}";
    }
  };
  return api;
})()`;

export interface SandboxLimits {
  timeLimitMs: number;
  memoryLimitBytes: number;
  maxStackBytes: number;
}

/** Per record: a value (JSON-decoded, null = nothing) or an error. */
export interface BatchResult {
  values: unknown[];
  errors: Map<number, string>;
  logs: [string, string][];
}

/**
 * Each sandbox gets its own WebAssembly module: a node's sandbox cannot disturb another's, and
 * the module's memory (which never shrinks) is released when the node closes.
 */
function quickjs(): Promise<QuickJSWASMModule> {
  return newQuickJSWASMModule();
}

export class CodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CodeError";
  }
}

export class Sandbox {
  private rt!: QuickJSRuntime;
  private vm!: QuickJSContext;
  private api!: QuickJSHandle;
  private fns!: { load: QuickJSHandle; run: QuickJSHandle; collect: QuickJSHandle; skip: QuickJSHandle };
  private deadline = 0;
  private batchDeadline = 0;
  private current = -1;
  private interrupted = false;
  private disposed = false;
  private onRecord: ((index: number) => void) | undefined;

  private constructor(
    private readonly qjs: QuickJSWASMModule,
    private readonly code: string,
    private readonly limits: SandboxLimits,
  ) {}

  static async create(code: string, limits: SandboxLimits): Promise<Sandbox> {
    const s = new Sandbox(await quickjs(), code, limits);
    s.init();
    return s;
  }

  private init(): void {
    const rt = this.qjs.newRuntime();
    rt.setMemoryLimit(this.limits.memoryLimitBytes);
    rt.setMaxStackSize(this.limits.maxStackBytes);
    rt.setInterruptHandler(() => {
      if (Date.now() > this.deadline) {
        this.interrupted = true;
        return true;
      }
      return false;
    });
    const vm = rt.newContext();
    this.rt = rt;
    this.vm = vm;
    const perRecord = this.limits.timeLimitMs;
    const tick = vm.newFunction("__mr_tick", (h) => {
      this.current = vm.getNumber(h);
      this.onRecord?.(this.current);
      this.deadline = Math.min(Date.now() + perRecord, this.batchDeadline);
    });
    vm.setProp(vm.global, "__mr_tick", tick);
    tick.dispose();
    this.deadline = this.batchDeadline = Date.now() + 5000;
    const api = vm.evalCode(BOOTSTRAP, "millrace-bootstrap.js");
    if (api.error) {
      const msg = String(vm.dump(api.error)?.message ?? vm.dump(api.error));
      api.error.dispose();
      this.dispose();
      throw new Error(`javascript sandbox failed to start: ${msg}`);
    }
    this.api = api.value;
    vm.setProp(vm.global, "__mr_tick", vm.undefined);
    this.fns = {
      load: vm.getProp(this.api, "load"),
      run: vm.getProp(this.api, "run"),
      collect: vm.getProp(this.api, "collect"),
      skip: vm.getProp(this.api, "skip"),
    };
    const compile = vm.getProp(this.api, "compile");
    const codeH = vm.newString(this.code);
    this.deadline = Date.now() + 5000;
    const res = vm.callFunction(compile, vm.undefined, codeH);
    codeH.dispose();
    compile.dispose();
    const msg = res.error ? "the sandbox stopped while compiling" : vm.getString(res.value);
    (res.error ?? res.value).dispose();
    if (msg) {
      this.dispose();
      throw new CodeError(`javascript code does not compile: ${msg}`);
    }
  }

  private call(fn: QuickJSHandle, ...args: QuickJSHandle[]): { ok: true; text: string } | { ok: false; error: string } {
    const vm = this.vm;
    const res = vm.callFunction(fn, vm.undefined, ...args);
    if (res.error) {
      let msg: string;
      try {
        const d = vm.dump(res.error) as { name?: string; message?: string } | string;
        msg = typeof d === "object" && d ? `${d.name ? d.name + ": " : ""}${d.message ?? ""}` : String(d);
      } catch {
        msg = "unknown error";
      }
      res.error.dispose();
      return { ok: false, error: msg };
    }
    const text = vm.typeof(res.value) === "string" ? vm.getString(res.value) : "";
    res.value.dispose();
    return { ok: true, text };
  }

  private load(json: string): void {
    const vm = this.vm;
    const h = vm.newString(json);
    this.deadline = Math.max(Date.now() + 1000, this.batchDeadline);
    const r = this.call(this.fns.load, h);
    h.dispose();
    if (!r.ok) throw new Error(`the sandbox could not load the batch: ${r.error}`);
  }

  private skip(i: number): void {
    const h = this.vm.newNumber(i);
    this.deadline = Date.now() + 1000;
    this.call(this.fns.skip, h);
    h.dispose();
  }

  /**
   * Runs the function over `inputJson` (a JSON array of records) until `batchDeadline` (epoch ms),
   * telling `onRecord` which record starts. Never throws for user code.
   */
  runBatch(inputJson: string, n: number, batchDeadline: number, onRecord?: (index: number) => void): BatchResult {
    const values: unknown[] = new Array(n).fill(null);
    const errors = new Map<number, string>();
    const logs: [string, string][] = [];
    if (n === 0) return { values, errors, logs };
    this.batchDeadline = batchDeadline;
    this.onRecord = onRecord;
    this.ensureAlive();
    this.load(inputJson);
    let from = 0;
    let reloads = 0;
    while (from < n) {
      if (Date.now() >= this.batchDeadline) {
        for (let i = from; i < n; i++) if (!errors.has(i)) errors.set(i, "not run: the batch used its time limit");
        break;
      }
      this.interrupted = false;
      this.current = from - 1;
      this.deadline = Math.min(Date.now() + this.limits.timeLimitMs, this.batchDeadline);
      const fromH = this.vm.newNumber(from);
      const r = this.call(this.fns.run, fromH);
      fromH.dispose();
      if (r.ok) {
        this.absorb(r.text, from, values, errors, logs);
        break;
      }
      // Stopped inside record `current` (an endless loop, or the sandbox itself failing).
      const p = Math.max(this.current, from);
      const timedOut = this.interrupted;
      const reason = timedOut
        ? this.deadline >= this.batchDeadline
          ? "stopped: the batch used its time limit"
          : `stopped: the record used more than ${this.limits.timeLimitMs} ms (endless loop?)`
        : /out of memory/i.test(r.error)
          ? `stopped: out of memory (limit ${Math.round(this.limits.memoryLimitBytes / 1048576)} MB)`
          : `stopped: ${r.error}`;
      errors.set(p, reason);
      // keep what the records before it produced
      this.deadline = Date.now() + 1000;
      const a = this.vm.newNumber(from);
      const b = this.vm.newNumber(p);
      const partial = this.call(this.fns.collect, a, b);
      a.dispose();
      b.dispose();
      if (partial.ok && !/out of memory/i.test(r.error)) {
        this.absorb(partial.text, from, values, errors, logs);
        from = p + 1;
        this.skip(p);
        continue;
      }
      // The sandbox is in doubt: start a fresh one and rerun what has no result yet.
      if (++reloads > 3) {
        for (let i = from; i < n; i++) if (!errors.has(i)) errors.set(i, `not run: the sandbox failed repeatedly (${reason})`);
        break;
      }
      this.recreate();
      this.load(inputJson);
      for (const i of errors.keys()) this.skip(i);
    }
    return { values, errors, logs };
  }

  private absorb(text: string, from: number, values: unknown[], errors: Map<number, string>, logs: [string, string][]): void {
    let parsed: { v: unknown[]; e: Record<string, string>; l: [string, string][] };
    try {
      parsed = JSON.parse(text);
    } catch {
      for (let i = from; i < values.length; i++) if (!errors.has(i)) errors.set(i, "the sandbox returned malformed results");
      return;
    }
    const v = parsed.v;
    for (let j = 0; j < v.length; j++) values[from + j] = v[j];
    for (const k in parsed.e) {
      const m = parsed.e[k];
      errors.set(Number(k), /^InternalError: out of memory/.test(m) ? `out of memory (limit ${Math.round(this.limits.memoryLimitBytes / 1048576)} MB)` : m);
    }
    for (const l of parsed.l) logs.push(l);
  }

  private ensureAlive(): void {
    if (this.disposed) this.recreate();
  }

  private recreate(): void {
    this.dispose();
    this.disposed = false;
    this.init();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    try {
      if (this.fns) for (const h of Object.values(this.fns)) if (h.alive) h.dispose();
      if (this.api?.alive) this.api.dispose();
      if (this.vm?.alive) this.vm.dispose();
      if (this.rt?.alive) this.rt.dispose();
    } catch {
      /* a runtime that ran out of memory may refuse to free cleanly */
    }
  }
}
