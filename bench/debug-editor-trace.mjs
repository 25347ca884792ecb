// Developer aid (not part of `pnpm bench`): opens the B4 flow in Chromium, drags a node as B4 does
// and prints where the page's main thread spent the drag (Chromium trace events by name, self
// time), e.g. style, layout, paint, layerize, hit tests, scripts.
// `[EXTRA_CSS=...] node bench/debug-editor-trace.mjs [1k|5k] [drag ms]`
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanup } from "./lib/env.mjs";
import { measureDrag, monitorScript, openDebugEditor } from "./lib/editor.mjs";
import { log, sleep } from "./lib/util.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const size = process.argv[2] ?? "1k";
const dragMs = Number(process.argv[3] ?? 3000);

/** Self time per trace event name on the renderer's main thread (complete events, nested ones subtracted). */
function selfTimes(events) {
  const main = events.find((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain");
  const mine = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === "X" && e.dur).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const self = new Map();
  const stack = [];
  for (const e of mine) {
    while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
    const parent = stack.at(-1);
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - e.dur);
    self.set(e.name, (self.get(e.name) ?? 0) + e.dur);
    stack.push(e);
  }
  return [...self].sort((a, b) => b[1] - a[1]);
}

try {
  const { browser, page, doc, url } = await openDebugEditor(root, size, "dbgt");
  await page.addInitScript(monitorScript, { nodes: doc.nodes.length, edges: doc.edges.length });
  // EXTRA_CSS: a style to try without a rebuild
  if (process.env.EXTRA_CSS) await page.addInitScript((css) => document.addEventListener("DOMContentLoaded", () => document.head.append(Object.assign(document.createElement("style"), { textContent: css }))), process.env.EXTRA_CSS);
  await page.goto(url, { waitUntil: "commit" });
  while (!(await page.evaluate(() => window.__mrb.done !== null))) await sleep(200);
  log(`fully drawn after ${Math.round(await page.evaluate(() => window.__mrb.done))} ms`);
  await sleep(3000); // validation and the rest of the load settle
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on("Tracing.dataCollected", (d) => events.push(...d.value));
  const complete = new Promise((res) => cdp.once("Tracing.tracingComplete", res));
  await cdp.send("Tracing.start", { categories: "devtools.timeline,disabled-by-default-devtools.timeline,blink,cc,v8.execute", transferMode: "ReportEvents" });
  const drag = await measureDrag(page, dragMs, doc);
  await cdp.send("Tracing.end");
  await complete;
  log(`drag: ${drag.fps.toFixed(1)} frames/s with the node moving (${drag.rafPerSec.toFixed(1)} rAF/s, ${drag.mouseMoves} moves sent, ${drag.movedFrames} moved frames)`);
  const rows = selfTimes(events);
  const total = rows.reduce((a, [, us]) => a + Math.max(0, us), 0);
  log(`main thread busy ${(total / 1000).toFixed(0)} ms in ${(dragMs / 1000).toFixed(1)} s; per moved frame ${(total / 1000 / Math.max(1, drag.movedFrames)).toFixed(2)} ms; self time by event:`);
  for (const [name, us] of rows.slice(0, 25)) console.log(`${(us / 1000).toFixed(1).padStart(9)} ms  ${name}`);
  await browser.close();
} finally {
  await cleanup();
}
