import { expect, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const ADMIN = { name: "Ada Admin", email: "ada@example.com", password: "correct horse battery" };

export function setupLink(): string {
  return readFileSync(join(__dirname, "..", ".tmp", "setup-link"), "utf8").trim();
}

/** Waits until the WASM has hydrated the page (the root element gets event handlers). */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__crm_hydrated === true, null, { timeout: 20_000 });
}

export async function signIn(page: Page, who = ADMIN) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
}
