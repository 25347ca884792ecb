import { expect, test } from "../fixtures.js";
import { E2E_ADMIN_PASSWORD } from "../helpers/auth.js";
import { shot } from "../helpers/designer.js";

// this test logs in itself, so that its own login is in the log
test.use({ storageState: { cookies: [], origins: [] } });

test("an admin opens the audit log and sees their own login", async ({ page }) => {
  await page.goto("/");
  await page.getByTestId("login-name").fill("admin");
  await page.getByTestId("login-password").fill(E2E_ADMIN_PASSWORD);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("header-user-name")).toHaveText("admin");

  await page.getByTestId("header-user").click();
  await page.getByTestId("tab-audit").click();
  await expect(page.getByTestId("audit-panel")).toBeVisible();
  await page.getByTestId("audit-user").fill("admin");
  await page.getByTestId("audit-action").fill("auth.login");
  await page.getByTestId("audit-apply").click();
  // other tests log in as admin too, some on purpose with a wrong password: any successful one will do
  const login = page.locator('[data-testid="audit-row"][data-outcome="ok"]').first();
  await expect(login).toHaveAttribute("data-action", "auth.login");
  await expect(login).toHaveAttribute("data-actor", "admin");
  await expect(login).toContainText("password");
  await shot(page, "audit-panel");
});
