import { expect, type Browser, type Page } from "@playwright/test";
import { test, api, hydrated, linkIn, mailTo, signIn, watchErrors } from "./helpers";

/** A sales user who has set their password, with a lead and a deal of their own. */
async function rep(admin: Page, browser: Browser, name: string, stamp: number) {
  const email = `${name.toLowerCase()}.${stamp}@example.com`;
  const created = await api(admin, "POST", "/api/admin/users", { name: `${name} ${stamp}`, email, role: "sales" });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/login");
  const password = `${name}'s long password`;
  const link = linkIn(await mailTo(email), "/set-password?token=");
  await api(page, "POST", "/api/auth/set-password", { token: link.split("token=")[1], password });
  await api(page, "POST", "/api/crm/leads", { name: `${name} lead ${stamp}` });
  await api(page, "POST", "/api/crm/opportunities", { name: `${name} deal ${stamp}` });
  return { id: created.id as string, email, password, context, page };
}

test("an admin makes a team and narrows sales to it: a rep sees the team's records, not another's", async ({ page, browser }) => {
  const errors = watchErrors(page);
  await signIn(page);
  const stamp = Date.now();
  const [nia, ole, pat] = [
    await rep(page, browser, "Nia", stamp),
    await rep(page, browser, "Ole", stamp),
    await rep(page, browser, "Pat", stamp),
  ];
  try {
    await page.goto("/admin/teams");
    await hydrated(page);

    // What sales see: their teams' records; they edit their own.
    await page.getByRole("combobox", { name: "Sales Sees" }).selectOption("team");
    await page.getByRole("combobox", { name: "Sales Edits" }).selectOption("own");
    await page.getByRole("button", { name: "Save visibility" }).click();
    await expect(page.getByText("Saved. Each person sees the change")).toBeVisible();
    // A role cannot edit what it does not see: refused, and nothing changes.
    await page.getByRole("combobox", { name: "Support Sees" }).selectOption("own");
    await page.getByRole("combobox", { name: "Support Edits" }).selectOption("all");
    await page.getByRole("button", { name: "Save visibility" }).click();
    await expect(page.getByRole("alert")).toContainText("cannot edit records it does not see");
    expect((await api(page, "GET", "/api/admin/visibility")).support).toEqual({ see: "all", edit: "all", money: true });

    // A team of Nia and Ole, with the keyboard-reachable form.
    await page.getByRole("button", { name: "New team" }).click();
    const form = page.getByRole("form", { name: "New team" });
    await expect(form.getByLabel("Name")).toBeFocused();
    await page.keyboard.type(`North ${stamp}`);
    await form.getByLabel(`Nia ${stamp} (Sales)`).check();
    await form.getByLabel(`Ole ${stamp} (Sales)`).check();
    await form.getByRole("button", { name: "Save team" }).click();
    const row = page.getByRole("listitem", { name: `North ${stamp}` });
    await expect(row).toContainText(`Nia ${stamp}, Ole ${stamp}`);
    await hydrated(page);

    // Nia, signed in, lists her lead and Ole's, never Pat's, and on the board the same.
    const niaPage = nia.page;
    await niaPage.goto("/leads");
    await hydrated(niaPage);
    await expect(niaPage.getByText(`Ole lead ${stamp}`)).toBeVisible();
    await expect(niaPage.getByText(`Nia lead ${stamp}`)).toBeVisible();
    await expect(niaPage.getByText(`Pat lead ${stamp}`)).toHaveCount(0);
    await niaPage.goto("/pipeline");
    await hydrated(niaPage);
    await expect(niaPage.getByText(`Ole deal ${stamp}`)).toBeVisible();
    await expect(niaPage.getByText(`Pat deal ${stamp}`)).toHaveCount(0);
    // Pat's lead by its address: not found, as if it did not exist.
    const patLeads = await api(pat.page, "GET", `/api/crm/leads?q=${encodeURIComponent(`Pat lead ${stamp}`)}`);
    const patLead = patLeads.items[0].id;
    const status = await niaPage.evaluate(async (id) => (await fetch(`/api/crm/leads/${id}`)).status, patLead);
    expect(status).toBe(404);

    // The admin filters the board by the team: Nia's and Ole's deals, not Pat's.
    await page.goto("/pipeline");
    await hydrated(page);
    await page.getByLabel("Team", { exact: true }).selectOption({ label: `North ${stamp}` });
    await expect(page).toHaveURL(/team_id=/);
    await expect(page.getByText(`Nia deal ${stamp}`)).toBeVisible();
    await expect(page.getByText(`Pat deal ${stamp}`)).toHaveCount(0);

    // Deleting the team is confirmed first.
    await page.goto("/admin/teams");
    await hydrated(page);
    await row.getByRole("button", { name: `Delete North ${stamp}` }).click();
    await row.getByRole("button", { name: `Delete North ${stamp}` }).click();
    await expect(page.getByRole("listitem", { name: `North ${stamp}` })).toHaveCount(0);
    // The one refused save above is the only failed request.
    expect(errors()).toEqual(["Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"]);
  } finally {
    // The defaults again, for the tests that follow.
    await api(page, "PUT", "/api/admin/visibility", { sales: { see: "all", edit: "team" } });
    for (const r of [nia, ole, pat]) await r.context.close();
  }
});

test("an admin keeps money from sales: a rep works the board, the deal and the metrics without any amount", async ({ page, browser }) => {
  const errors = watchErrors(page);
  await signIn(page);
  const stamp = Date.now();
  const quinn = await rep(page, browser, "Quinn", stamp);
  try {
    const deal = await api(page, "POST", "/api/crm/opportunities", {
      name: `Priced deal ${stamp}`, value: "43210.00", expected_close: "2026-12-24", owner_id: quinn.id,
    });
    await page.goto("/admin/teams");
    await hydrated(page);
    const sales = page.getByRole("group", { name: "Sales" });
    await expect(sales.getByLabel("Sees values and revenue")).toBeChecked();
    await sales.getByLabel("Sees values and revenue").uncheck();
    await page.getByRole("button", { name: "Save visibility" }).click();
    await expect(page.getByText("Saved. Each person sees the change")).toBeVisible();
    expect((await api(page, "GET", "/api/admin/visibility")).sales.money).toBe(false);

    // The board: the card and the counts, no value on the card or in the strip.
    const q = quinn.page;
    await q.goto("/pipeline");
    await hydrated(q);
    await expect(q.getByText(`Priced deal ${stamp}`)).toBeVisible();
    await expect(q.getByRole("region", { name: "Pipeline summary" })).toContainText("Open opportunities");
    for (const amount of ["43,210", "43.2K"]) await expect(q.locator("main")).not.toContainText(amount);
    await expect(q.getByText("Total pipeline value")).toHaveCount(0);

    // The deal's page: no value, and no Value field to edit.
    await q.goto(`/opportunities/${deal.id}`);
    await hydrated(q);
    await expect(q.getByRole("heading", { name: `Priced deal ${stamp}` })).toBeVisible();
    await expect(q.locator("main")).not.toContainText("43,210");
    await expect(q.getByLabel("Value", { exact: true })).toHaveCount(0);

    // The list leaves the Value column out; the metrics count deals instead of summing them.
    await q.goto("/opportunities");
    await hydrated(q);
    await expect(q.getByRole("columnheader", { name: "Value" })).toHaveCount(0);
    await q.goto("/pipeline/metrics");
    await hydrated(q);
    await expect(q.getByRole("heading", { name: "Open deals by stage" })).toBeVisible();
    await expect(q.getByRole("heading", { name: "Pipeline coverage" })).toHaveCount(0);
    await expect(q.locator("main")).not.toContainText("43.2K");

    // The admin still sees it.
    await page.goto(`/opportunities/${deal.id}`);
    await hydrated(page);
    await expect(page.locator("main")).toContainText("43,210");
    expect(errors()).toEqual([]);
  } finally {
    await api(page, "PUT", "/api/admin/visibility", { sales: { see: "all", edit: "team", money: true } });
    await quinn.context.close();
  }
});
