import { expect } from "@playwright/test";
import { test, ADMIN, api, hydrated, linkIn, mailCount, mailTo, plain, signIn, watchErrors } from "./helpers";

test("an admin creates a sales user, views the CRM as them with the banner, and stops", async ({ page, browser }) => {
  const errors = watchErrors(page);
  await signIn(page);
  const stamp = Date.now();
  const name = `Sal Sales ${stamp}`;

  // Create the user through the Users page; the one-time link is mailed to them.
  await page.goto("/admin/users");
  await hydrated(page);
  await page.getByRole("button", { name: "New user" }).click();
  const dialog = page.getByRole("dialog", { name: "New user" });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Email").fill(`sal.${stamp}@example.com`);
  await dialog.getByLabel("Role").selectOption("sales");
  await dialog.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByRole("status").filter({ hasText: "One-time link" })).toContainText(`is on its way to ${name} at sal.${stamp}@example.com`);
  const link = linkIn(await mailTo(`sal.${stamp}@example.com`), "/set-password?token=");

  // The new user sets their password (in their own browser) and owns a deal.
  const theirs = await browser.newContext();
  const sal = await theirs.newPage();
  await sal.goto("/login");
  await api(sal, "POST", "/api/auth/set-password", { token: link.split("token=")[1], password: "sal's long password" });
  await api(sal, "POST", "/api/crm/opportunities", { name: `Sal's deal ${stamp}` });
  await theirs.close();

  // View as them: reason and the admin's own password, then their board with the banner.
  await page.reload();
  await hydrated(page);
  const row = page.getByRole("row", { name: new RegExp(name) });
  await row.getByRole("button", { name: "View as" }).click();
  const viewAs = page.getByRole("dialog", { name: `View as ${name}` });
  await viewAs.getByLabel("Reason").fill("Checking the board they reported as empty");
  await viewAs.getByLabel("Your password").fill("not my password");
  await viewAs.getByRole("button", { name: "Start viewing" }).click();
  await expect(viewAs.getByText("That is not your password")).toBeVisible();
  await viewAs.getByLabel("Your password").fill(ADMIN.password);
  await viewAs.getByRole("button", { name: "Start viewing" }).click();

  await expect(page).toHaveURL(/\/pipeline/);
  const banner = page.getByRole("region", { name: "Viewing as someone else" });
  await expect(banner).toContainText(`Viewing as ${name} (sales)`);
  await expect(banner).toContainText(`you are ${ADMIN.name}`);
  await hydrated(page);
  await expect(banner).toContainText(/min left/);
  await expect(page.getByText(`Sal's deal ${stamp}`)).toBeVisible();
  // Their navigation, not the admin's.
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" })).toHaveCount(0);
  // The banner stays on every page.
  await page.goto("/leads");
  await expect(page.getByRole("region", { name: "Viewing as someone else" })).toBeVisible();

  await page.getByRole("button", { name: "Stop viewing" }).click();
  await expect(page).toHaveURL(/\/admin\/users/);
  await expect(page.getByRole("region", { name: "Viewing as someone else" })).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();

  // The audit log shows the viewing with its reason.
  await page.goto("/admin/audit?action=impersonation.");
  await expect(page.locator(".audit-entry").first()).toContainText("impersonation.ended");
  await expect(page.locator(".audit-list")).toContainText("Checking the board they reported as empty");
  // The one error is the browser logging the refused wrong password (422), on purpose above.
  expect(errors().filter((e) => !e.includes("422"))).toEqual([]);
});

test("an admin views the portal as a client contact", async ({ page, browser }) => {
  const errors = watchErrors(page);
  await signIn(page);
  const stamp = Date.now();
  const account = await api(page, "POST", "/api/crm/accounts", { name: `Globex ${stamp}` });
  const contact = await api(page, "POST", "/api/crm/contacts", {
    first_name: "Hank", last_name: "Scorpio", email: `hank.${stamp}@globex.example`,
    account_id: account.id, role: "client",
  });
  await api(page, "POST", `/api/crm/contacts/${contact.id}/portal-invite`, {});
  const invite = linkIn(await mailTo(`hank.${stamp}@globex.example`), "/portal/accept?token=");
  const theirs = await browser.newContext();
  const hank = await theirs.newPage();
  await hank.goto("/login");
  await api(hank, "POST", "/api/auth/accept-invite", { token: invite.split("token=")[1], password: "hank's long password" });
  await api(hank, "POST", "/api/portal/tickets", { subject: `Doomsday device ${stamp}` });
  await theirs.close();

  await page.goto(`/contacts/${contact.id}`);
  await hydrated(page);
  await page.getByRole("button", { name: "View portal as them" }).click();
  const viewAs = page.getByRole("dialog", { name: "View as this contact" });
  await viewAs.getByLabel("Reason").fill("Client says their ticket vanished");
  await viewAs.getByLabel("Your password").fill(ADMIN.password);
  await viewAs.getByRole("button", { name: "Start viewing" }).click();

  await expect(page).toHaveURL(/\/portal/);
  await expect(page.getByRole("region", { name: "Viewing as someone else" })).toContainText("Viewing as Hank Scorpio (client)");
  await expect(page.getByRole("heading", { name: "My tickets" })).toBeVisible();
  await expect(page.getByText(`Doomsday device ${stamp}`)).toBeVisible();
  await hydrated(page);

  await page.getByRole("button", { name: "Stop viewing" }).click();
  await expect(page).toHaveURL(/\/admin\/users/);
  await expect(page.getByRole("region", { name: "Viewing as someone else" })).toHaveCount(0);
  expect(errors()).toEqual([]);
});

test("a role change or a deactivation is confirmed first, and cancelling changes nothing", async ({ page }) => {
  await signIn(page);
  const stamp = Date.now();
  const name = `Confirm Me ${stamp}`;
  await api(page, "POST", "/api/admin/users", { name, email: `confirm.${stamp}@example.com`, role: "sales" });
  await page.goto("/admin/users");
  await hydrated(page);
  const row = page.getByRole("row", { name: new RegExp(name) });
  const dialog = page.getByRole("dialog", { name: "Please confirm" });

  await row.getByLabel(`Role of ${name}`).selectOption("manager");
  await expect(dialog).toContainText(`Make ${name} Manager?`);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(row.getByLabel(`Role of ${name}`)).toHaveValue("sales");

  await row.getByRole("button", { name: "Deactivate" }).click();
  await expect(dialog).toContainText("sessions end at once");
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(row.getByText("Deactivated")).toBeVisible();
});

test("every admin, support and settings page hydrates without an error and passes axe", async ({ page }) => {
  await signIn(page);
  const ticket = await api(page, "POST", "/api/crm/tickets", { subject: "Axe check ticket", channel: "email" });
  for (const path of [
    "/admin", "/admin/users", "/admin/teams", "/admin/forms", "/admin/sla", "/admin/outbox", "/admin/audit", "/imports", "/tickets",
    `/tickets/${ticket.id}`, "/account",
  ]) {
    const errors = watchErrors(page);
    await page.goto(path);
    await hydrated(page); // runs axe
    await page.waitForLoadState("networkidle");
    expect(errors(), `errors on ${path}`).toEqual([]);
  }
});

test("a person chooses their time zone and formats, and the pages follow them", async ({ page, browser }) => {
  await signIn(page);
  const stamp = Date.now();
  const email = `tz.${stamp}@example.com`;
  const made = await api(page, "POST", "/api/admin/users", { name: `Tess Zone ${stamp}`, email, role: "sales" });
  // Their browser is in Chicago; the company default is UTC.
  const theirs = await browser.newContext({ timezoneId: "America/Chicago" });
  const tess = await theirs.newPage();
  const errors = watchErrors(tess);
  await tess.goto("/login");
  // Setting the password signs them in.
  expect(made.link).toBeNull();
  const link = linkIn(await mailTo(email), "/set-password?token=");
  await api(tess, "POST", "/api/auth/set-password", { token: link.split("token=")[1], password: "tess's long password" });
  const lead = await api(tess, "POST", "/api/crm/leads", { name: `Zoned Lead ${stamp}`, company: "Clockworks" });

  await tess.goto("/account");
  await hydrated(tess);
  const form = tess.getByRole("region", { name: "Profile and formats" });
  await expect(form.getByLabel("Time zone")).toHaveValue("");
  // The browser's own zone is one click away.
  await form.getByRole("button", { name: "Use it" }).click();
  await expect(form.getByLabel("Time zone")).toHaveValue("America/Chicago");
  await form.getByLabel("Time zone").selectOption("Europe/Berlin");
  await form.getByLabel("Dates and amounts").selectOption("de-DE");
  await form.getByRole("button", { name: "Save" }).click();

  // The page comes back in Berlin time with German dates, the choice kept.
  await expect(tess.getByText(/since \d{1,2}\. [A-ZÄ][a-zä]+\.? \d{4}, \d{2}:\d{2} (CET|CEST)/).first()).toBeVisible();
  await hydrated(tess);
  await expect(form.getByLabel("Time zone")).toHaveValue("Europe/Berlin");
  await expect(form.getByLabel("Dates and amounts")).toHaveValue("de-DE");

  // Lists too: the lead's Created column reads as a German date.
  await tess.goto(`/leads?q=${encodeURIComponent(`Zoned Lead ${stamp}`)}`);
  await hydrated(tess);
  const row = tess.getByRole("row", { name: new RegExp(`Zoned Lead ${stamp}`) });
  await expect(row).toContainText(/\d{1,2}\. [A-ZÄ][a-zä]+\.? \d{4}/);

  // A task due on a day is due at the end of that day in Berlin, not in Greenwich.
  await tess.goto(`/leads/${lead.id}`);
  await hydrated(tess);
  await tess.getByLabel("New task").fill(`Call back ${stamp}`);
  await tess.getByLabel("Due", { exact: true }).fill("2026-07-01");
  await tess.getByRole("button", { name: "Add", exact: true }).click();
  await expect(tess.getByText(`Call back ${stamp}`)).toBeVisible();
  const tasks = await api(tess, "GET", `/api/crm/tasks?related_type=lead&related_id=${lead.id}`);
  expect(tasks.items.map((t: { due_at: string }) => t.due_at)).toEqual(["2026-07-01T21:59:00Z"]);
  await tess.setViewportSize({ width: 390, height: 844 });
  await tess.goto("/account");
  await hydrated(tess);
  await expect(form.getByLabel("Time zone")).toBeVisible();
  expect(errors()).toEqual([]);
  await theirs.close();
});

test("an admin sends a test mail from the outbox with the keyboard, and sees it reach the mail server", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page);
  await page.goto("/admin");
  await hydrated(page);
  await page.getByRole("link", { name: "Outbox" }).click();
  await expect(page).toHaveURL(/\/admin\/outbox$/);
  await expect(page).toHaveTitle("Outbox · Admin · CRM");
  await hydrated(page);
  // The test server sends to the tests' own SMTP server, and the page says where mail goes.
  await expect(page.getByText("Mail goes out through")).toBeVisible();
  const to = page.getByLabel("To", { exact: true });
  await to.focus();
  await page.keyboard.type("not an address");
  await page.keyboard.press("Enter");
  await expect(page.locator(".field-error")).toBeVisible();
  await expect(to).toHaveAttribute("aria-invalid", "true");
  const address = `outbox.${Date.now()}@example.com`;
  await to.fill(address);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status")).toContainText(`A test mail to ${address} is in the outbox.`);
  const row = page.getByRole("row", { name: new RegExp(address.replace(/\./g, "\\.")) });
  await expect(row).toContainText("a test mail");
  // It reaches the mail server, and the outbox says so.
  const got = await mailTo(address);
  expect(got.text).toContain("If you can read it");
  await page.getByLabel("Show").selectOption("sent");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/state=sent/);
  await hydrated(page);
  await expect(page.getByRole("row", { name: new RegExp(address.replace(/\./g, "\\.")) })).toContainText("Sent");
  await page.getByLabel("Show").selectOption("failed");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/state=failed/);
  await hydrated(page);
  await expect(page.getByText(address)).toHaveCount(0);
  // The refused address is the one failed request (a 422 the form showed on its field).
  expect(errors().filter((e) => !e.includes("422"))).toEqual([]);
});

test("a person who forgot their password gets a link by mail, and the page never says whether the address exists", async ({ page, browser }) => {
  await signIn(page);
  const stamp = Date.now();
  const email = `forgetful.${stamp}@example.com`;
  const made = await api(page, "POST", "/api/admin/users", { name: `Fay Forgetful ${stamp}`, email, role: "support" });
  expect(made.mailed_to).toBe(email);
  const theirs = await browser.newContext();
  const fay = await theirs.newPage();
  await fay.goto("/login");
  await api(fay, "POST", "/api/auth/set-password", {
    token: linkIn(await mailTo(email), "/set-password?token=").split("token=")[1], password: "fay's first password",
  });
  await theirs.clearCookies();

  // From the sign-in page, keyboard only.
  await fay.goto("/login");
  await plain(fay);
  await fay.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(fay).toHaveURL(/\/forgot-password$/);
  await expect(fay).toHaveTitle("Forgot your password? · CRM");
  await plain(fay);
  const before = mailCount(email);
  await fay.getByLabel("Email").fill(email);
  await fay.keyboard.press("Enter");
  await expect(fay).toHaveURL(/\/forgot-password\?sent=1$/);
  const answer = await fay.getByRole("status").innerText();
  expect(answer).toContain("If an account uses that address");
  await plain(fay);

  // An address nobody uses gets the very same page.
  await fay.goto("/forgot-password");
  await fay.getByLabel("Email").fill(`nobody.${stamp}@example.com`);
  await fay.getByRole("button", { name: "Send me a link" }).click();
  await expect(fay).toHaveURL(/\/forgot-password\?sent=1$/);
  expect(await fay.getByRole("status").innerText()).toBe(answer);

  // The mail's link opens the set-password page; the new password signs them in.
  const mail = await mailTo(email, before);
  expect(mail.subject).toContain("Reset your");
  expect(mail.text).toContain("for 1 hour");
  const link = new URL(linkIn(mail, "/set-password?token="));
  await fay.goto(link.pathname + link.search);
  await plain(fay);
  await fay.getByLabel("New password").fill("fay's second password");
  await fay.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(fay.getByRole("navigation", { name: "Main" })).toBeVisible();

  // Used once: the same link now says so.
  await theirs.clearCookies();
  await fay.goto(link.pathname + link.search);
  await expect(fay.getByRole("alert")).toBeVisible();
  await theirs.close();
});
