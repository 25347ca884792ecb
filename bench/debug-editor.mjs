// Developer aid (not part of `pnpm bench`): opens the B4 flow in Chromium and samples what the
// page does every few seconds, then drags a node for 3 s, with a CPU profile of the page's main
// thread (CDP) written to bench/results/profiles/editor-<time>.cpuprofile. `node bench/debug-editor.mjs [seconds] [1k|5k]`
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanup } from "./lib/env.mjs";
import { measureDrag, openDebugEditor } from "./lib/editor.mjs";
import { log, sleep } from "./lib/util.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const seconds = Number(process.argv[2] ?? 30);
const size = process.argv[3] ?? "1k";
try {
  const { browser, page, doc, url } = await openDebugEditor(root, size, "dbg");
  await page.addInitScript(() => {
    window.__dbg = { frames: 0, long: 0, longMs: 0 };
    const f = () => { window.__dbg.frames++; requestAnimationFrame(f); };
    requestAnimationFrame(f);
    new PerformanceObserver((l) => { for (const e of l.getEntries()) { window.__dbg.long++; window.__dbg.longMs += e.duration; } }).observe({ type: "longtask", buffered: true });
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const t0 = Date.now();
  await page.goto(url, { waitUntil: "commit" });
  while (Date.now() - t0 < seconds * 1000) {
    await sleep(2000);
    const s = await page.evaluate(() => ({
      t: Math.round(performance.now()), ...window.__dbg,
      nodes: document.querySelectorAll(".react-flow__node").length, overview: document.querySelector("[data-testid=overview]")?.dataset.drawnNodes,
      visible: [...document.querySelectorAll(".react-flow__node")].filter((n) => n.style.visibility === "visible").length,
      edges: document.querySelectorAll(".react-flow__edge-path").length,
      vp: document.querySelector(".react-flow__viewport")?.style.transform,
    }));
    log(JSON.stringify(s));
  }
  // the end of the profile is a drag as B4 does it (the node nearest the canvas's centre)
  const drag = await measureDrag(page, 3000, doc);
  log(`drag: ${drag.fps.toFixed(1)} frames/s with the node moving (${drag.rafPerSec.toFixed(1)} rAF/s, ${drag.mouseMoves} moves sent)`);
  const { profile } = await cdp.send("Profiler.stop");
  const dir = join(root, "bench/results/profiles");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `editor-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  log(`page profile: ${file}`);
  await page.screenshot({ path: join(dir, "editor.png") });
  await browser.close();
} finally {
  await cleanup();
}
