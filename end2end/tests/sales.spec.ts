import { expect } from "@playwright/test";
import { test, hydrated, signIn, watchErrors, api } from "./helpers";

// The sales flows of the records issue, in the real release build: a lead made with `N`,
// qualified into an opportunity, account and contact; the `/` search; two tabs editing one
// contact; and every sales page hydrating without an error.

test("N creates a lead; qualifying it opens an opportunity, an account and a contact", async ({ page }) => {
  await signIn(page);
  await hydrated(page);
  await page.keyboard.press("n");
  const dialog = page.getByRole("dialog", { name: "New lead" });
  await expect(dialog).toBeVisible();
  // The dialog opens on its first field.
  await expect(dialog.getByLabel("Name *")).toBeFocused();
  await dialog.getByLabel("Name *").fill("Grace Quinn");
  await dialog.getByLabel("Company").fill("Quinn Robotics");
  await dialog.getByLabel("Email").fill("grace@quinn-robotics.example");
  await dialog.getByRole("button", { name: "Create lead" }).click();
  await expect(page).toHaveURL(/\/leads\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name: "Grace Quinn" })).toBeVisible();

  await page.getByRole("button", { name: "Qualify", exact: true }).click();
  const qualify = page.getByRole("dialog", { name: "Qualify lead" });
  await qualify.getByLabel("Value").fill("12,500");
  await qualify.getByRole("button", { name: "Qualify", exact: true }).click();
  const into = page.getByRole("region", { name: "Qualified into" });
  await expect(into).toBeVisible();
  await expect(page.locator(".record-head .badge")).toHaveText("Qualified");

  await into.getByRole("link", { name: "Opportunity" }).click();
  await expect(page).toHaveURL(/\/opportunities\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Quinn Robotics");
  await expect(page.getByText("$12,500.00").first()).toBeVisible();
  await expect(page.locator(".stage-path [aria-current='step']")).toHaveText("Qualified");

  await page.goBack();
  await page.getByRole("region", { name: "Qualified into" }).getByRole("link", { name: /^Account/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Quinn Robotics" })).toBeVisible();
  await expect(page.locator(".related").getByRole("link", { name: "Grace Quinn" })).toBeVisible();

  await page.locator(".related").getByRole("link", { name: "Grace Quinn" }).click();
  await expect(page).toHaveURL(/\/contacts\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name: "Grace Quinn" })).toBeVisible();
  // An address is a link that writes to it.
  await expect(page.locator("dl.fields").getByRole("link", { name: "grace@quinn-robotics.example" }))
    .toHaveAttribute("href", "mailto:grace@quinn-robotics.example");
});

test("a field's error goes away as soon as the field is fixed", async ({ page }) => {
  await signIn(page);
  await hydrated(page);
  await page.keyboard.press("n");
  const dialog = page.getByRole("dialog", { name: "New lead" });
  await dialog.getByLabel("Name *").fill("Error Fixer");
  await dialog.getByLabel("Email").fill("not an address");
  await dialog.getByRole("button", { name: "Create lead" }).click();
  const error = dialog.locator(".field-error");
  await expect(error).toHaveCount(1);
  await expect(dialog.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
  await dialog.getByLabel("Email").fill("fixer@example.com");
  await expect(error).toHaveCount(0);
  await dialog.getByRole("button", { name: "Create lead" }).click();
  await expect(page).toHaveURL(/\/leads\/[0-9a-f-]{36}$/);
});

test("/ focuses the search; typing finds a lead and Enter opens it", async ({ page }) => {
  await signIn(page);
  await api(page, "POST", "/api/crm/leads", { name: "Octavia Searchable", company: "Findme Logistics" });
  await page.goto("/leads");
  await hydrated(page);
  await page.keyboard.press("/");
  const search = page.getByRole("combobox", { name: "Search" });
  await expect(search).toBeFocused();
  await search.pressSequentially("octav", { delay: 30 });
  const option = page.getByRole("option").filter({ hasText: "Octavia Searchable" });
  await expect(option).toBeVisible();
  await search.press("Enter");
  await expect(page).toHaveURL(/\/leads\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name: "Octavia Searchable" })).toBeVisible();
});

test("two tabs editing one contact: the second save shows the first one's change", async ({ page, context }) => {
  await signIn(page);
  const contact = await api(page, "POST", "/api/crm/contacts", {
    first_name: "Tabitha",
    last_name: "Twice",
    email: "tabitha.twice@example.com",
    title: "Buyer",
  });
  const path = `/contacts/${contact.id}`;
  const other = await context.newPage();
  for (const tab of [page, other]) {
    await tab.goto(path);
    await hydrated(tab);
    await tab.getByRole("button", { name: "Edit" }).click();
  }

  await page.locator("#edit-title").fill("Head of Purchasing");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("dl.fields")).toContainText("Head of Purchasing");

  await other.locator("#edit-title").fill("Procurement Lead");
  await other.getByRole("button", { name: "Save" }).click();
  const conflict = other.getByRole("alert").filter({ hasText: "Someone else saved this record" });
  await expect(conflict).toBeVisible();
  await expect(conflict.getByRole("row", { name: /Title/ })).toContainText("Head of Purchasing");
  await expect(conflict.getByRole("row", { name: /Title/ })).toContainText("Procurement Lead");

  // Nothing was overwritten on the server.
  const stored = await api(page, "GET", `/api/crm/contacts/${contact.id}`);
  expect(stored.title).toBe("Head of Purchasing");

  // Loading their version keeps what this tab typed; saving again applies it knowingly.
  await other.getByRole("button", { name: "Load their version" }).click();
  await expect(other.getByRole("status").filter({ hasText: "Their version is loaded" })).toBeVisible();
  await other.getByRole("button", { name: "Save" }).click();
  await expect(other.locator("dl.fields")).toContainText("Procurement Lead");
  await other.close();
});

test("a list shows 50 rows and loads the next ones on request", async ({ page }) => {
  await signIn(page);
  for (let i = 0; i < 55; i++) {
    await api(page, "POST", "/api/crm/accounts", { name: `Paged Account ${String(i).padStart(2, "0")}` });
  }
  await page.goto("/accounts?q=paged&sort=name");
  await hydrated(page);
  const rows = page.locator("table.records tbody tr");
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toContainText("Paged Account 00");
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(rows).toHaveCount(55);
  await expect(rows.last()).toContainText("Paged Account 54");
  await expect(page.getByRole("button", { name: "Load more" })).toBeHidden();
});

test("every sales page hydrates without an error", async ({ page }) => {
  await signIn(page);
  const lead = await api(page, "POST", "/api/crm/leads", { name: "Hydra Check", email: "hydra@check.example" });
  const account = await api(page, "POST", "/api/crm/accounts", { name: "Hydra Industries" });
  const contact = await api(page, "POST", "/api/crm/contacts", { first_name: "Hydra", account_id: account.id });
  const opportunity = await api(page, "POST", "/api/crm/opportunities", { name: "Hydra deal", account_id: account.id });
  const paths = [
    "/pipeline", "/pipeline/metrics", "/pipeline/stages", "/leads", "/opportunities", "/accounts", "/contacts", "/tasks",
    `/leads/${lead.id}`, `/accounts/${account.id}`, `/contacts/${contact.id}`, `/opportunities/${opportunity.id}`,
  ];
  for (const path of paths) {
    const errors = watchErrors(page);
    await page.goto(path);
    await hydrated(page);
    // A hydration failure in a lower part of the page shows up as a console error.
    await page.waitForLoadState("networkidle");
    expect(errors(), `errors on ${path}`).toEqual([]);
  }
});

test("an empty list says why: filters that match nothing offer to clear them", async ({ page }) => {
  await signIn(page);
  await page.goto("/leads?q=zzqxnothingmatches");
  await hydrated(page);
  const empty = page.locator("td.empty");
  await expect(empty).toContainText("No leads match these filters.");
  await empty.getByRole("link", { name: "Clear the filters" }).click();
  await expect(page).toHaveURL(/\/leads$/);
  await expect(page.locator("table.records tbody tr").first()).not.toHaveClass(/empty/);
});

test("Back to a list keeps the rows loaded so far and where it was scrolled", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page);
  for (let i = 0; i < 60; i++) {
    await api(page, "POST", "/api/crm/leads", { name: `Backtrack ${String(i).padStart(2, "0")}` });
  }
  await page.goto("/leads?q=backtrack");
  await hydrated(page);
  const rows = page.locator("table.records tbody tr");
  await expect(rows).toHaveCount(50);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(rows).toHaveCount(60);
  const last = rows.last().getByRole("link");
  await last.scrollIntoViewIfNeeded();
  const scrolled = await page.evaluate(() => window.scrollY);
  expect(scrolled).toBeGreaterThan(200);
  const name = (await last.textContent())!;
  await last.click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await page.goBack();
  await expect(rows).toHaveCount(60);
  await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(scrolled - 50);
});
