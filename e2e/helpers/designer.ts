/**
 * What a person does in the designer, as small steps: drag a processor from the palette,
 * connect two ports with the mouse, fill the generated config form, save, deploy.
 * Every step goes through the real UI (mouse, keyboard); only `saveFlowViaApi` and friends
 * talk to the engine directly, to set up a test or to play "another tab".
 */
import { join } from "node:path";
import type { Locator, Page } from "@playwright/test";
import { expect, screenshotDir, trpc } from "../fixtures.js";

export interface FlowDoc {
  schemaVersion: 1;
  id: string;
  name: string;
  description?: string;
  nodes: { id: string; type: string; typeVersion: number; name?: string; config: Record<string, unknown>; settings?: Record<string, unknown>; position: { x: number; y: number } }[];
  edges: { id: string; from: { node: string; port: string }; to: { node: string }; settings?: Record<string, unknown> }[];
  parameters: { name: string; value: string; sensitive: boolean }[];
}

/** A short unique suffix for ids, names and topics of one test run. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** The edge id the designer gives a connection made on the canvas. */
export function edgeIdOf(from: string, port: string, to: string): string {
  return `${from}.${port}->${to}`;
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

export const node = (page: Page, id: string) => page.getByTestId(`node-${id}`);
export const nodes = (page: Page) => page.locator(".react-flow__node");
export const edges = (page: Page) => page.locator(".react-flow__edge");

/** Drags a processor from the palette and drops it at (x, y) of the canvas (pixels from its top-left corner). */
export async function dragFromPalette(page: Page, type: string, at: { x: number; y: number }) {
  const item = page.getByTestId(`palette-${type}`);
  await item.scrollIntoViewIfNeeded();
  await item.dragTo(page.getByTestId("canvas"), { targetPosition: at });
}

/** Drags from a node's output port (right) to another node's input port (left), like a person does. */
export async function connect(page: Page, from: { node: string; port?: string }, to: string) {
  const source = page.getByTestId(`port-${from.node}-${from.port ?? "success"}`);
  const target = page.getByTestId(`port-${to}-in`);
  const a = await centre(source);
  const b = await centre(target);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 8 });
  await page.mouse.move(b.x, b.y, { steps: 8 });
  await page.mouse.up();
}

async function centre(l: Locator) {
  await expect(l).toBeVisible();
  const box = (await l.boundingBox())!;
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Selects a node by clicking its title (opens its config form on the right). */
export async function selectNode(page: Page, id: string) {
  await page.getByTestId(`node-title-${id}`).click();
  await expect(page.getByTestId("node-panel")).toContainText(id);
}

/** Replaces a config field's text the way a person does: select all, type the new text. */
export async function typeInto(field: Locator, text: string) {
  await field.click();
  await field.press("ControlOrMeta+a");
  if (text === "") await field.press("Delete");
  else await field.pressSequentially(text, { delay: 5 });
}

export async function save(page: Page, expectedVersion: number) {
  await page.getByTestId("save-button").click();
  await expect(page.getByTestId("flow-version")).toHaveText(`v${expectedVersion}`);
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "false");
}

export async function deploy(page: Page) {
  await expect(page.getByTestId("deploy-button")).toBeEnabled();
  await page.getByTestId("deploy-button").click();
  await expect(page.getByTestId("deploy-status")).toHaveAttribute("data-status", "running", { timeout: 30_000 });
}

export async function stop(page: Page) {
  await page.getByTestId("stop-button").click();
  await expect(page.getByTestId("deploy-button")).toBeVisible({ timeout: 30_000 });
}

/** Opens a stored flow the way a bookmarked link does (?flow=<id>) and waits for its nodes. */
export async function openFlow(page: Page, doc: Pick<FlowDoc, "id" | "nodes">) {
  await page.goto(`/?flow=${encodeURIComponent(doc.id)}`);
  await expect(nodes(page)).toHaveCount(doc.nodes.length);
}

// ---------- engine API, for setting a test up (or playing another tab) ----------

export async function saveFlowViaApi(engineUrl: string, doc: FlowDoc, baseVersion?: number): Promise<{ id: string; version: number }> {
  return trpc(engineUrl, "flows.save", { document: doc, baseVersion });
}

export async function getFlowViaApi(engineUrl: string, id: string) {
  return trpc<{ flow: { id: string; name: string; latestVersion: number }; document: FlowDoc }>(engineUrl, "flows.get", { id }, "query");
}

export async function listFlowsViaApi(engineUrl: string) {
  return trpc<{ id: string; name: string; latestVersion: number }[]>(engineUrl, "flows.list", undefined, "query");
}

/** Stops a deployment if one runs (cleanup after a test that failed half-way). */
export async function stopViaApi(engineUrl: string, flowId: string) {
  try {
    await trpc(engineUrl, "deployments.stop", { flowId });
  } catch {
    /* not deployed */
  }
}

/** Reads the number a node's live figures show after `label` ("in 12", "out 7", "1.2k"); NaN when not shown. */
export async function figure(stats: Locator, label: "in" | "out"): Promise<number> {
  const parts = await stats.locator("span").allInnerTexts();
  for (const p of parts) {
    const m = new RegExp(`^${label} ([\\d.]+)(k|M)?$`).exec(p.trim());
    if (m) return Number(m[1]) * (m[2] === "k" ? 1e3 : m[2] === "M" ? 1e6 : 1);
  }
  return NaN;
}
