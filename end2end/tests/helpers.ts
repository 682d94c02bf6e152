import { test as base, expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const ADMIN = { name: "Ada Admin", email: "ada@example.com", password: "correct horse battery" };

export function setupLink(): string {
  return readFileSync(join(__dirname, "..", ".tmp", "setup-link"), "utf8").trim();
}

/** A mail the tests' SMTP server took, as a mail client reads it. */
export type Mail = { to: string[]; subject: string; text: string | null; html: string | null };

/** Waits (up to 15 s) for the newest mail to `address` after `after` mails to it were there,
 * and returns it. */
export async function mailTo(address: string, after = 0): Promise<Mail> {
  const dir = join(__dirname, "..", ".tmp", "mail");
  const deadline = Date.now() + 15_000;
  for (;;) {
    const names = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(".eml")).sort() : [];
    const mails: Mail[] = names.map((n) => JSON.parse(readFileSync(join(dir, n.replace(/\.eml$/, ".json")), "utf8")));
    const theirs = mails.filter((m) => m.to.includes(address.toLowerCase()));
    if (theirs.length > after) return theirs[theirs.length - 1];
    if (Date.now() > deadline) throw new Error(`no mail to ${address} (${theirs.length} so far)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** How many mails `address` has had so far. */
export function mailCount(address: string): number {
  const dir = join(__dirname, "..", ".tmp", "mail");
  if (!existsSync(dir)) return 0;
  return readdirSync(dir)
    .filter((n) => n.endsWith(".eml"))
    .filter((n) => JSON.parse(readFileSync(join(dir, n.replace(/\.eml$/, ".json")), "utf8")).to.includes(address.toLowerCase()))
    .length;
}

/** The first link in a mail's text that contains `path`. */
export function linkIn(mail: Mail, path: string): string {
  const found = (mail.text ?? "").split(/\s+/).find((w) => w.includes(path));
  if (!found) throw new Error(`no ${path} link in: ${mail.text}`);
  return found;
}

/** Fails on any serious or critical axe-core finding on the page as it is now. */
export async function accessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
  expect(bad, `axe on ${page.url()}`).toEqual([]);
}

/** Waits until the WASM has hydrated the page (the root element gets event handlers), then
 * checks the page with axe: every page a test opens is checked. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__crm_hydrated === true, null, { timeout: 20_000 });
  await accessible(page);
}

/** Playwright's `test`, with axe run on the page each test ends on as well. */
export const test = base.extend({
  page: async ({ page }, use) => {
    await use(page);
    if (!page.isClosed() && page.url().startsWith("http")) {
      await page.waitForLoadState("load");
      await accessible(page);
    }
  },
});

/** Checks a page sent without the app's WASM (sign-in, setup, set-password, accepting an
 * invite: plain forms the browser posts itself) once it has loaded, with axe. */
export async function plain(page: Page) {
  await page.waitForLoadState("load");
  expect(await page.evaluate(() => (window as any).__crm_hydrated === true)).toBe(false);
  await accessible(page);
}

export async function signIn(page: Page, who = ADMIN) {
  await page.goto("/login");
  await plain(page);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
}

/** Collects console errors and page errors from now on; call the result to read them. */
export function watchErrors(page: Page): () => string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text().split("\n")[0]);
  });
  page.on("pageerror", (e) => errors.push(e.message.split("\n")[0]));
  return () => errors;
}

/** Calls the REST API with the page's session cookie (a same-origin request, as the app makes). */
export async function api(page: Page, method: string, path: string, data?: unknown): Promise<any> {
  const base = new URL(page.url() === "about:blank" ? "http://127.0.0.1/" : page.url()).origin;
  const response = await page.request.fetch(path, {
    method,
    data,
    headers: { Origin: base, Accept: "application/json" },
  });
  if (!response.ok()) {
    throw new Error(`${method} ${path}: ${response.status()} ${await response.text()}`);
  }
  return response.json();
}
