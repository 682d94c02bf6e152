import { expect } from "@playwright/test";
import { test, ADMIN, plain, setupLink, signIn } from "./helpers";

test.describe.serial("first run", () => {
  test("the setup link creates the first super admin and signs them in", async ({ page }) => {
    await page.goto(setupLink());
    await plain(page);
    await expect(page.getByRole("heading", { name: "Set up your CRM" })).toBeVisible();

    // The server checks the fields and shows each problem on its field, keeping what was typed.
    await page.getByLabel("Your name").fill(ADMIN.name);
    await page.getByLabel("Email").fill("not-an-email");
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create super admin" }).click();
    await expect(page.getByText("Enter a valid email address.")).toBeVisible();
    await expect(page.getByText("Use at least 10 characters.")).toBeVisible();

    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Create super admin" }).click();

    await expect(page).toHaveURL(/\/pipeline$/);
    const nav = page.getByRole("navigation", { name: "Main" });
    for (const area of ["Pipeline", "Leads", "Opportunities", "Accounts", "Contacts", "Tickets", "Admin"]) {
      await expect(nav.getByRole("link", { name: area })).toBeVisible();
    }
    await expect(page.locator(".who-name")).toHaveText(ADMIN.name);
    await expect(page.locator(".role-badge")).toHaveText("Super admin");
  });

  test("the setup link works only once", async ({ page }) => {
    await page.context().clearCookies();
    await page.goto(setupLink());
    await expect(page.getByText("This link has already been used.")).toBeVisible();
    await expect(page.getByRole("button", { name: "Create super admin" })).toHaveCount(0);
  });

  test("sign out, a wrong password, then sign in again", async ({ page }) => {
    await signIn(page);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login\?signed_out=1/);
    await expect(page.getByText("You have signed out.")).toBeVisible();

    // Pages now send us back to sign in, remembering where we were going.
    await page.goto("/accounts");
    await expect(page).toHaveURL(/\/login\?next=\/accounts/);

    await plain(page);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");

    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/accounts$/);
    await expect(page.getByRole("heading", { name: "Accounts" })).toBeVisible();
  });
});
