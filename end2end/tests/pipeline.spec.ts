import { expect, type Page, type Locator } from "@playwright/test";
import { test, api, hydrated, signIn, watchErrors } from "./helpers";

// The pipeline board in Chromium: dragging a card (and it staying moved after a reload), the
// stage gate's form on drop, moving with the keyboard, and the summary strip following a win.

async function drag(page: Page, card: Locator, target: Locator) {
  const from = await card.boundingBox();
  const to = await target.boundingBox();
  if (!from || !to) throw new Error("card or column not visible");
  const width = page.viewportSize()!.width;
  if (to.x + to.width / 2 > width) throw new Error("the target column is off screen");
  await page.mouse.move(from.x + from.width / 2, from.y + 12);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 20, from.y + 30, { steps: 4 });
  await page.mouse.move(to.x + to.width / 2, to.y + 80, { steps: 12 });
  await page.mouse.up();
}

const column = (page: Page, stage: string) => page.locator(`section.column[data-stage="${stage}"]`);
const card = (page: Page, name: string) => page.locator("li.card", { hasText: name });

test("dragging a card to another stage moves it, and it stays moved after a reload", async ({ page }) => {
  await signIn(page);
  const opp = await api(page, "POST", "/api/crm/opportunities", { name: "Drag Alpha rollout", stage: "lead" });
  const errors = watchErrors(page);
  await page.goto("/pipeline?q=alpha");
  await hydrated(page);
  await expect(column(page, "lead").locator("li.card")).toContainText(["Drag Alpha rollout"]);

  await drag(page, card(page, "Drag Alpha rollout"), column(page, "qualified"));
  await expect(column(page, "qualified").locator("li.card", { hasText: "Drag Alpha rollout" })).toBeVisible();
  await expect(column(page, "lead").locator("li.card", { hasText: "Drag Alpha rollout" })).toHaveCount(0);
  await expect(page.locator("#board-announcer")).toHaveText("Moved Drag Alpha rollout to Qualified.");
  await expect.poll(async () => (await api(page, "GET", `/api/crm/opportunities/${opp.id}`)).stage).toBe("qualified");

  await page.reload();
  await hydrated(page);
  await expect(column(page, "qualified").locator("li.card", { hasText: "Drag Alpha rollout" })).toBeVisible();
  await expect(column(page, "qualified").locator(".column-count")).toHaveText("1");
  expect(errors()).toEqual([]);
});

test("dropping on a stage that needs fields asks for exactly those, then moves", async ({ page }) => {
  await signIn(page);
  const opp = await api(page, "POST", "/api/crm/opportunities", { name: "Gate Beta deal", stage: "qualified" });
  await page.goto("/pipeline?q=beta");
  await hydrated(page);
  await drag(page, card(page, "Gate Beta deal"), column(page, "lost"));

  const dialog = page.getByRole("dialog", { name: "Complete the move" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("Lost reason *")).toBeVisible();
  await expect(dialog.getByLabel("Lost reason *")).toHaveValue("");
  await expect(dialog.locator("label")).toHaveCount(1);
  // Nothing moved yet.
  await expect(column(page, "qualified").locator("li.card", { hasText: "Gate Beta deal" })).toBeVisible();

  await dialog.getByLabel("Lost reason *").selectOption("price");
  await dialog.getByRole("button", { name: "Move to Lost" }).click();
  await expect(dialog).toBeHidden();
  await expect(column(page, "lost").locator("li.card", { hasText: "Gate Beta deal" })).toBeVisible();
  const saved = await api(page, "GET", `/api/crm/opportunities/${opp.id}`);
  expect([saved.stage, saved.lost_reason]).toEqual(["lost", "price"]);
});

test("the opportunity page asks for a stage's fields with the board's form, and no reason is preselected", async ({ page }) => {
  await signIn(page);
  const opp = await api(page, "POST", "/api/crm/opportunities", { name: "Page Epsilon deal", stage: "qualified" });
  await page.goto(`/opportunities/${opp.id}`);
  await hydrated(page);
  // A fresh installation gates Proposal: a value and an expected close.
  await page.getByRole("list", { name: "Stage" }).getByRole("button", { name: "Proposal" }).click();
  const dialog = page.getByRole("dialog", { name: "Complete the move" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("Value *")).toBeVisible();
  await expect(dialog.getByLabel("Expected close *")).toBeVisible();
  await dialog.getByLabel("Value *").fill("4200");
  await dialog.getByLabel("Expected close *").fill("2027-02-28");
  await dialog.getByRole("button", { name: "Move to Proposal" }).click();
  await expect(dialog).toBeHidden();
  await expect.poll(async () => (await api(page, "GET", `/api/crm/opportunities/${opp.id}`)).stage).toBe("proposal");

  // Lost asks for a reason, with none chosen for the person.
  await page.getByRole("list", { name: "Stage" }).getByRole("button", { name: "Lost" }).click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("Lost reason *")).toHaveValue("");
  await dialog.getByLabel("Lost reason *").selectOption("timing");
  await dialog.getByRole("button", { name: "Move to Lost" }).click();
  await expect(dialog).toBeHidden();
  const saved = await api(page, "GET", `/api/crm/opportunities/${opp.id}`);
  expect([saved.stage, saved.lost_reason]).toEqual(["lost", "timing"]);
});

test("a card moves with Shift+arrow keys, and the move is announced", async ({ page }) => {
  await signIn(page);
  await api(page, "POST", "/api/crm/opportunities", {
    name: "Key Gamma expansion", stage: "lead", value: 1200, expected_close: "2027-03-31",
  });
  await page.goto("/pipeline?q=gamma");
  await hydrated(page);
  const title = card(page, "Key Gamma expansion").locator(".card-title");
  await title.focus();
  await page.keyboard.press("Shift+ArrowRight");
  await expect(column(page, "qualified").locator("li.card", { hasText: "Key Gamma expansion" })).toBeVisible();
  await expect(page.locator("#board-announcer")).toHaveText("Moved Key Gamma expansion to Qualified.");
  await expect(card(page, "Key Gamma expansion").locator(".card-title")).toBeFocused();
  await page.keyboard.press("Shift+ArrowRight");
  await expect(column(page, "proposal").locator("li.card", { hasText: "Key Gamma expansion" })).toBeVisible();
  await page.keyboard.press("Shift+ArrowLeft");
  await expect(column(page, "qualified").locator("li.card", { hasText: "Key Gamma expansion" })).toBeVisible();
});

test("the board is a grid for the keyboard: one tab stop per column, arrows between cards", async ({ page }) => {
  await signIn(page);
  for (const [name, stage, close] of [
    ["Grid One", "lead", "2027-01-10"], ["Grid Two", "lead", "2027-01-20"], ["Grid Three", "qualified", "2027-01-15"],
  ]) {
    await api(page, "POST", "/api/crm/opportunities", { name, stage, value: 1000, expected_close: close });
  }
  await page.goto("/pipeline?q=grid");
  await hydrated(page);
  const lead = column(page, "lead").locator("ol.cards");
  await lead.focus();
  await page.keyboard.press("ArrowDown");
  await expect(card(page, "Grid One").locator(".card-title")).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(card(page, "Grid Two").locator(".card-title")).toBeFocused();
  await page.keyboard.press("ArrowRight");
  await expect(card(page, "Grid Three").locator(".card-title")).toBeFocused();
  await page.keyboard.press("ArrowLeft");
  await expect(card(page, "Grid One").locator(".card-title")).toBeFocused();
  // Tab leaves the column for the next one instead of walking through every card.
  await page.keyboard.press("Tab");
  await expect(column(page, "qualified").locator("ol.cards")).toBeFocused();
});

test("card text fits inside its card at 1280 px, and money reads compactly with the exact figure on hover", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page);
  const account = await api(page, "POST", "/api/crm/accounts", { name: "Fjordlandsindustriforeningen Consolidated Holdings" });
  await api(page, "POST", "/api/crm/opportunities", {
    name: "Fit Omega enterprise-wide-platform-consolidation-rollout", stage: "lead", value: 710500,
    expected_close: "2027-11-30", account_id: account.id,
  });
  await page.goto("/pipeline?q=omega");
  await hydrated(page);
  const c = card(page, "Fit Omega");
  await expect(c.locator(".card-value .short")).toHaveText("$710.5K");
  await expect(c.locator(".card-value")).toHaveAttribute("title", "$710,500.00");
  const overflow = await c.evaluate((el) => {
    const box = el.getBoundingClientRect();
    return [...el.querySelectorAll("*")]
      .map((e) => e.getBoundingClientRect())
      .filter((r) => r.width > 0 && (r.right > box.right + 0.5 || r.left < box.left - 0.5)).length;
  });
  expect(overflow).toBe(0);
});

test("winning a deal updates the summary strip", async ({ page }) => {
  await signIn(page);
  const account = await api(page, "POST", "/api/crm/accounts", { name: "Delta Summary Corp" });
  const buyer = await api(page, "POST", "/api/crm/contacts", {
    first_name: "Dee", last_name: "Buyer", email: `dee.${Date.now()}@delta.example`, account_id: account.id,
  });
  // Negotiation's shipped gate: a primary contact.
  await api(page, "POST", "/api/crm/opportunities", {
    name: "Delta win", stage: "negotiation", value: 7777, account_id: account.id, primary_contact_id: buyer.id,
  });
  await page.goto("/pipeline?q=delta");
  await hydrated(page);
  const wonFigure = page.locator('[data-figure="won_this_month"]');
  // The strip reads compactly ($7.8K); the exact figure is there on hover and focus.
  const money = async () => Number((await wonFigure.locator(".figure-exact").textContent())!.replace(/[^0-9.]/g, ""));
  const before = await money();

  await card(page, "Delta win").locator(".card-title").focus();
  await page.keyboard.press("Shift+ArrowRight");
  await expect(column(page, "won").locator("li.card", { hasText: "Delta win" })).toBeVisible();
  await expect.poll(money).toBeCloseTo(before + 7777, 2);
});

test("the metrics page draws its charts, and each bar opens the deals behind it", async ({ page }) => {
  await signIn(page);
  const errors = watchErrors(page);
  await page.goto("/pipeline/metrics");
  await hydrated(page);
  for (const name of ["Open value by stage", "Won and lost", "Average days in each stage", "Won per month", "Pipeline coverage"]) {
    await expect(page.getByRole("heading", { name })).toBeVisible();
  }
  const lost = page.getByRole("link", { name: /^Lost: Price/ });
  await expect(lost).toBeVisible();
  await lost.click();
  await expect(page).toHaveURL(/\/opportunities\?stage=closed_lost&lost_reason=price/);
  await expect(page.locator("table.records tbody")).toContainText("Gate Beta deal");
  expect(errors()).toEqual([]);
});

test("managers edit the stages: a new stage appears on the board", async ({ page }) => {
  await signIn(page);
  await page.goto("/pipeline/stages");
  await hydrated(page);
  await page.getByRole("button", { name: "+ Add a stage" }).click();
  const rows = page.locator(".stage-row");
  const added = rows.nth(4);
  await added.getByLabel("Name").fill("Contract Sent");
  await added.getByLabel("Name").blur();
  await added.getByLabel("Aging limit (days)").fill("10");
  await added.getByLabel("Aging limit (days)").blur();
  await page.getByRole("button", { name: "Save stages" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  await page.goto("/pipeline");
  await hydrated(page);
  await expect(page.locator('section.column[data-stage="contract_sent"] h2')).toHaveText("Contract Sent");
});
