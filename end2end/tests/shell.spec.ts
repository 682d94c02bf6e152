import { expect } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { test, ADMIN, accessible, api, hydrated, plain, signIn } from "./helpers";

test("sign-in works before any JavaScript has run", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("wrong password!");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");

  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/pipeline$/);
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
  await context.close();
});

test("the shell is keyboard-usable: skip link, then the navigation", async ({ page }) => {
  await signIn(page);
  await hydrated(page);
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  // Enter moves focus into the page, past the menu.
  await page.keyboard.press("Enter");
  await expect(page.locator("#main")).toBeFocused();
  await page.reload();
  await hydrated(page);
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pipeline" })).toBeFocused();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/leads$/);
});

test("at 1280 px every menu item is in sight beside the signed-in name", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  const navBox = (await nav.boundingBox())!;
  for (const link of await nav.getByRole("link").all()) {
    const box = (await link.boundingBox())!;
    expect(box.x + box.width <= navBox.x + navBox.width + 1, await link.textContent() ?? "").toBeTruthy();
  }
  await expect(page.locator(".who-name")).toBeVisible();
});

test("the shell fits a 390 px phone without sideways scrolling", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  // Every menu item is on screen (none scrolled out of sight), and so is who is signed in.
  for (const link of await page.getByRole("navigation", { name: "Main" }).getByRole("link").all()) {
    const box = await link.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 390, await link.textContent() ?? "").toBeTruthy();
  }
  await expect(page.locator(".who-name")).toBeVisible();
});

test("the sign-in page loads no WASM and no script of the app", async ({ page }) => {
  const fetched: string[] = [];
  const caching: string[] = [];
  page.on("request", (r) => fetched.push(new URL(r.url()).pathname));
  page.on("response", (r) => {
    if (new URL(r.url()).pathname.startsWith("/pkg/")) caching.push(r.headers()["cache-control"] ?? "");
  });
  await page.goto("/login?next=/leads");
  await plain(page);
  expect(fetched.filter((p) => p.endsWith(".wasm") || p.endsWith(".js"))).toEqual([]);
  expect(fetched.some((p) => /^\/pkg\/crm(\.[0-9a-f]{16})?\.css$/.test(p)), fetched.join(" ")).toBe(true);
  // It still signs in, to where the person was going; that page then loads the app.
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/leads$/);
  await hydrated(page);
  expect(fetched.some((p) => p.endsWith(".wasm"))).toBe(true);
  // The release build names its files by their content: browsers keep them for good.
  expect(caching.length).toBeGreaterThan(0);
  for (const c of caching) expect(c).toContain("immutable");
});

test("sign-in page and shell have no accessibility violations", async ({ page }) => {
  await page.goto("/login");
  await plain(page);
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await signIn(page);
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
});

test("Ctrl+K jumps to a page or a record by name; ? lists the shortcuts", async ({ page }) => {
  await signIn(page);
  const account = await api(page, "POST", "/api/crm/accounts", { name: "Paletteville Traders" });
  await page.goto("/leads");
  await hydrated(page);
  await page.keyboard.press("Control+k");
  const palette = page.getByRole("dialog", { name: "Go to" });
  await expect(palette).toBeVisible();
  await expect(palette.getByRole("combobox")).toBeFocused();
  await page.keyboard.type("audit");
  await expect(palette.getByRole("option").first()).toContainText("Audit log");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/admin\/audit$/);
  await expect(palette).toBeHidden();

  await page.keyboard.press("Control+k");
  await expect(palette.getByRole("combobox")).toBeFocused();
  await page.keyboard.type("Palettev");
  await expect(palette.getByRole("option", { name: /Paletteville Traders/ })).toBeVisible();
  await accessible(page);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/accounts/${account.id}$`));

  await page.locator("body").click({ position: { x: 5, y: 300 } });
  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(help).toContainText("Go to a page or a record");
  await accessible(page);
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();
});
