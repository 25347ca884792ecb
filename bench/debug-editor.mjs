// Developer aid (not part of `pnpm bench`): opens the B4 flow in Chromium and samples what the
// page does every few seconds, with a CPU profile of the page's main thread (CDP) written to
// bench/results/profiles/editor-<time>.cpuprofile. `node bench/debug-editor.mjs [seconds]`
import { createRequire } from "node:module";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BENCH_ADMIN_PASSWORD, cleanup, ensureWebBuilt, makeTempDir, startBroker, startEngineProcess, startPg } from "./lib/env.mjs";
import { CHROMIUM_ARGS, editorFlow } from "./lib/editor.mjs";
import { loginCookie, trpcClient } from "./lib/trpc.mjs";
import { log, sleep } from "./lib/util.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const seconds = Number(process.argv[2] ?? 30);
try {
  const web = await ensureWebBuilt(root);
  const tmp = makeTempDir(false);
  const [broker, pg] = await Promise.all([startBroker(tmp), startPg(tmp)]);
  const engine = await startEngineProcess({ root, dir: tmp, brokers: broker.brokers, databaseUrl: pg.url, webDist: web.dist });
  const api = trpcClient(engine.url, engine.token);
  const { id } = await api.mutate("flows.import", { text: JSON.stringify(editorFlow(`dbg-${Date.now()}`)) });
  const { chromium } = createRequire(join(root, "e2e/package.json"))("@playwright/test");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // the designer asks for a login: give the page the admin's session cookie
  await page.context().addCookies([{ ...(await loginCookie(engine.url, "admin", BENCH_ADMIN_PASSWORD)), url: engine.url }]);
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
  await page.goto(`${engine.url}/?flow=${id}`, { waitUntil: "commit" });
  while (Date.now() - t0 < seconds * 1000) {
    await sleep(2000);
    const s = await page.evaluate(() => ({
      t: Math.round(performance.now()), ...window.__dbg,
      nodes: document.querySelectorAll(".react-flow__node").length,
      visible: [...document.querySelectorAll(".react-flow__node")].filter((n) => n.style.visibility === "visible").length,
      edges: document.querySelectorAll(".react-flow__edge-path").length,
      vp: document.querySelector(".react-flow__viewport")?.style.transform,
    }));
    log(JSON.stringify(s));
  }
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
