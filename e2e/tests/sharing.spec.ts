import type { Browser, Page } from "@playwright/test";
import { expect, test, trpc } from "../fixtures.js";
import { saveFlowViaApi, shot, unique } from "../helpers/designer.js";
import { genFilterLog } from "../helpers/flows.js";

const PASSWORD = "e2e-sharing-password";
const run = unique("share");
const alice = `alice-${run}`;
const bob = `bob-${run}`;
const group = `team-${run}`;
const doc = genFilterLog(run, `Shared ${run}`);

test.beforeAll(async () => {
  const engineUrl = process.env.MILLRACE_E2E_URL!;
  for (const name of [alice, bob]) await trpc(engineUrl, "users.add", { name, role: "editor", password: PASSWORD });
  await saveFlowViaApi(engineUrl, doc);
});

/** A page of its own, logged in as `name` (the admin's session stays on the test's page). */
async function loggedIn(browser: Browser, name: string): Promise<Page> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] }, baseURL: process.env.MILLRACE_E2E_URL });
  const page = await context.newPage();
  await page.goto("/");
  await page.getByTestId("login-name").fill(name);
  await page.getByTestId("login-password").fill(PASSWORD);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("header-user-name")).toHaveText(name);
  await expect(page.getByTestId("flows-list")).toBeVisible();
  return page;
}

test("an admin restricts a flow in the Sharing dialog; only listed users and group members see it, with a lock mark", async ({ page, browser, engineUrl }) => {
  await page.goto(`/?flow=${encodeURIComponent(doc.id)}`);
  await page.getByTestId(`flow-share-${doc.id}`).click();
  await expect(page.getByTestId("sharing-owner")).toContainText("admin");
  await page.getByTestId("sharing-restricted").check();
  await page.getByTestId("sharing-users").fill(alice);
  await page.getByTestId("sharing-groups").fill(group);
  await shot(page, "sharing-dialog");
  await page.getByTestId("sharing-save").click();
  await expect(page.getByTestId("sharing-dialog")).toHaveCount(0);
  await expect(page.getByTestId(`flow-restricted-${doc.id}`)).toBeVisible();

  const asAlice = await loggedIn(browser, alice);
  await expect(asAlice.getByTestId(`flow-item-${doc.id}`)).toBeVisible();
  await expect(asAlice.getByTestId(`flow-restricted-${doc.id}`)).toBeVisible();
  // a listed editor who does not own it sees the list read-only
  await asAlice.getByTestId(`flow-share-${doc.id}`).click();
  await expect(asAlice.getByTestId("sharing-save")).toBeDisabled();

  const asBob = await loggedIn(browser, bob);
  await expect(asBob.getByTestId(`flow-item-${doc.id}`)).toHaveCount(0);

  // the admin puts bob in the group in the Users panel: the flow appears for him
  await page.getByTestId("header-user").click();
  await page.getByTestId("tab-users").click();
  await page.getByTestId(`user-groups-${bob}`).fill(group);
  await page.getByTestId(`user-groups-${bob}`).press("Enter");
  await expect.poll(async () => (await trpc<{ name: string; groups: string[] }[]>(engineUrl, "users.list", undefined, "query")).find((u) => u.name === bob)?.groups).toEqual([group]);
  await asBob.reload();
  await expect(asBob.getByTestId(`flow-item-${doc.id}`)).toBeVisible();
});
