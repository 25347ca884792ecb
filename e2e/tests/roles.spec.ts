import type { Page } from "@playwright/test";
import { expect, test, trpc } from "../fixtures.js";
import { apiToken, E2E_ADMIN_PASSWORD } from "../helpers/auth.js";
import { getFlowViaApi, saveFlowViaApi, shot, stopViaApi, unique } from "../helpers/designer.js";
import { genFilterLog } from "../helpers/flows.js";

// these tests log in themselves: no admin session to start from
test.use({ storageState: { cookies: [], origins: [] } });

const PASSWORD = "e2e-role-password";
const run = unique("roles");
const users = { viewer: `viewer-${run}`, operator: `operator-${run}`, editor: `editor-${run}` };
const doc = genFilterLog(run, `Roles ${run}`);

test.beforeAll(async () => {
  const engineUrl = process.env.MILLRACE_E2E_URL!;
  for (const [role, name] of Object.entries(users)) await trpc(engineUrl, "users.add", { name, role, password: PASSWORD });
  await saveFlowViaApi(engineUrl, doc);
});

async function logIn(page: Page, name: string, password = PASSWORD) {
  await page.goto(`/?flow=${encodeURIComponent(doc.id)}`);
  await expect(page.getByTestId("login-page")).toBeVisible();
  await page.getByTestId("login-name").fill(name);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("header-user-name")).toHaveText(name);
  await expect(page.locator(".react-flow__node")).toHaveCount(doc.nodes.length);
}

/** The tooltip on a disabled control (on its wrapper: disabled buttons get no hover). */
const tipOf = (page: Page, testId: string) => page.locator(`[title]:has([data-testid="${testId}"])`).first();

test("a wrong password shows an error; admin logs in, sees name and role in the header, and logs out to the login page", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByTestId("login-page")).toBeVisible();
  await shot(page, "login-page");
  await page.getByTestId("login-name").fill("admin");
  await page.getByTestId("login-password").fill("not-the-password");
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("login-error")).toContainText(/wrong user name or password/i);
  await expect(page.getByTestId("header")).toHaveCount(0);

  await page.getByTestId("login-password").fill(E2E_ADMIN_PASSWORD);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("header-user-name")).toHaveText("admin");
  await expect(page.getByTestId("header-user-role")).toHaveText("admin");
  await shot(page, "header-user");

  await page.getByTestId("logout-button").click();
  await expect(page.getByTestId("login-page")).toBeVisible();
  // the session is gone on the engine too, not only on the page
  await page.reload();
  await expect(page.getByTestId("login-page")).toBeVisible();
});

test("a viewer sees the flow, but Deploy and Save are disabled and a save is refused", async ({ page, engineUrl }) => {
  await logIn(page, users.viewer);
  await expect(page.getByTestId("header-user-role")).toHaveText("viewer");
  await expect(page.getByTestId(`flow-item-${doc.id}`)).toBeVisible();
  await expect(page.getByTestId("deploy-button")).toBeDisabled();
  await expect(tipOf(page, "deploy-button")).toHaveAttribute("title", /operator role/);
  await expect(page.getByTestId("import-button")).toBeDisabled();
  await expect(page.getByTestId("new-flow-button")).toBeDisabled();

  await page.getByTestId("flow-name").fill(`Renamed by a viewer ${run}`);
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "true");
  await expect(page.getByTestId("save-button")).toBeDisabled();
  await expect(page.getByTestId("save-button")).toHaveAttribute("title", /editor role/);
  // the keyboard still asks; the engine refuses
  await page.keyboard.press("Control+s");
  await expect(page.getByText(/needs the editor role/i).first()).toBeVisible();
  expect((await getFlowViaApi(engineUrl, doc.id)).flow.latestVersion).toBe(1);

  const token = await apiToken(engineUrl, users.viewer, PASSWORD);
  await expect(trpc(engineUrl, "deployments.deploy", { flowId: doc.id }, "mutation", token)).rejects.toThrow(/operator role/);
  await expect(trpc(engineUrl, "flows.save", { document: doc, baseVersion: 1 }, "mutation", token)).rejects.toThrow(/editor role/);
});

test("an operator can deploy and stop, but not save", async ({ page, engineUrl }) => {
  try {
    await logIn(page, users.operator);
    await expect(page.getByTestId("save-button")).toBeDisabled();
    await page.getByTestId("deploy-button").click();
    await expect(page.getByTestId("deploy-status")).toHaveAttribute("data-status", "running", { timeout: 60_000 });
    await shot(page, "header-operator-running");
    await page.getByTestId("stop-button").click();
    await expect(page.getByTestId("deploy-button")).toBeEnabled({ timeout: 30_000 });

    await page.getByTestId("flow-name").fill(`Renamed by an operator ${run}`);
    await expect(page.getByTestId("save-button")).toBeDisabled();
    await expect(page.getByTestId("save-button")).toHaveAttribute("title", /editor role/);
  } finally {
    await stopViaApi(engineUrl, doc.id);
  }
});

test("an editor can save; only an admin has the Users panel", async ({ page, engineUrl }) => {
  await logIn(page, users.editor);
  await page.getByTestId("header-user").click();
  await expect(page.getByTestId("tokens-panel")).toBeVisible();
  await expect(page.getByTestId("tab-users")).toBeDisabled();
  await expect(tipOf(page, "tab-users")).toHaveAttribute("title", /admin role/);
  await page.getByTestId("account-close").click();
  const before = (await getFlowViaApi(engineUrl, doc.id)).flow.latestVersion;
  await page.getByTestId("flow-name").fill(`Saved by an editor ${run}`);
  await page.getByTestId("save-button").click();
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "false");
  const after = await getFlowViaApi(engineUrl, doc.id);
  expect(after.flow.latestVersion).toBe(before + 1);
  expect(after.flow.name).toBe(`Saved by an editor ${run}`);
});

test("an admin adds a user and changes its role in the Users panel; a token is shown once and can be revoked", async ({ page, engineUrl }) => {
  await logIn(page, "admin", E2E_ADMIN_PASSWORD);
  await page.getByTestId("header-user").click();
  await page.getByTestId("tab-users").click();
  const name = `added-${run}`;
  await page.getByTestId("user-add-name").fill(name);
  await page.getByTestId("user-add-password").fill(PASSWORD);
  await page.getByTestId("user-add-role").selectOption("viewer");
  await page.getByTestId("user-add").click();
  await expect(page.getByTestId(`user-row-${name}`)).toBeVisible();
  await page.getByTestId(`user-role-${name}`).selectOption("operator");
  await expect.poll(async () => (await trpc<{ name: string; role: string }[]>(engineUrl, "users.list", undefined, "query")).find((u) => u.name === name)?.role).toBe("operator");
  await shot(page, "users-panel");
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId(`user-remove-${name}`).click();
  await expect(page.getByTestId(`user-row-${name}`)).toHaveCount(0);

  await page.getByTestId("tab-tokens").click();
  await page.getByTestId("token-name").fill(`ci ${run}`);
  await page.getByTestId("token-role").selectOption("operator");
  await page.getByTestId("token-create").click();
  const token = (await page.getByTestId("token-value").innerText()).trim();
  expect(token).toMatch(/^mr_/);
  expect(await trpc<{ name: string }>(engineUrl, "auth.me", undefined, "query", token)).toMatchObject({ name: "admin", role: "operator" });
  const row = page.locator('[data-testid^="token-row-"]', { hasText: `ci ${run}` });
  await expect(row).toBeVisible();
  page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toHaveCount(0);
  await expect(trpc(engineUrl, "auth.me", undefined, "query", token)).rejects.toThrow();
});
