import { expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test, api, hydrated, linkIn, mailTo, plain, signIn, watchErrors } from "./helpers";

const PORTAL_PASSWORD = "portal password 1";

test("staff invite a client, who opens a ticket; the client sees the public reply and never the note", async ({ page, browser }) => {
  const errors = watchErrors(page);
  await signIn(page);
  const stamp = Date.now();
  const account = await api(page, "POST", "/api/crm/accounts", { name: `Initech ${stamp}` });
  const contact = await api(page, "POST", "/api/crm/contacts", {
    first_name: "Peter", last_name: "Gibbons", email: `peter.${stamp}@initech.example`,
    account_id: account.id, role: "client",
  });
  await api(page, "POST", "/api/crm/opportunities", { name: `Printer fleet ${stamp}`, account_id: account.id });
  await api(page, "POST", "/api/crm/opportunities", {
    name: `Toner deal ${stamp}`, account_id: account.id, stage: "won", value: 300,
  });

  // Staff side: the contact page invites, and the invitation is mailed (the link is not shown).
  await page.goto(`/contacts/${contact.id}`);
  await hydrated(page);
  const panel = page.getByRole("region", { name: "Portal access" });
  await panel.getByRole("button", { name: "Invite to portal" }).click();
  await expect(panel.getByRole("status")).toContainText(`The invitation was mailed to peter.${stamp}@initech.example`);
  await expect(panel.getByLabel(/Invite link/)).toHaveCount(0);

  // The client reads it in their mailbox and follows its link.
  const invitation = await mailTo(`peter.${stamp}@initech.example`);
  expect(invitation.subject).toContain("customer portal");
  const link = linkIn(invitation, "/portal/accept?token=");

  // The client, in a browser of their own, sets a password and lands in the portal.
  const clientContext = await browser.newContext();
  const client = await clientContext.newPage();
  const clientErrors = watchErrors(client);
  await client.goto(new URL(link).pathname + new URL(link).search);
  await plain(client);
  await client.getByLabel("New password").fill(PORTAL_PASSWORD);
  await client.getByRole("button", { name: "Set password and open the portal" }).click();
  await expect(client.getByRole("heading", { name: "My tickets" })).toBeVisible();
  await hydrated(client);

  // They open a ticket.
  await client.getByLabel("Subject").fill(`Printer jams ${stamp}`);
  await client.getByLabel("What happened?").fill("Every TPS report jams the printer.");
  await client.getByRole("button", { name: "Send" }).click();
  await expect(client.getByRole("heading", { name: new RegExp(`Printer jams ${stamp}`) })).toBeVisible();

  // Support answers publicly, then leaves an internal note.
  await page.goto(`/tickets?q=${stamp}`);
  await hydrated(page);
  await page.getByRole("link", { name: `Printer jams ${stamp}` }).click();
  await expect(page.getByRole("heading", { name: new RegExp(`Printer jams ${stamp}`) })).toBeVisible();
  await hydrated(page);
  // Support sees the customer's story beside the ticket.
  await expect(page.getByRole("region", { name: "Open opportunities" })).toContainText(`Printer fleet ${stamp}`);
  // Only open ones: the won deal is history, and stages read as their labels.
  await expect(page.getByRole("region", { name: "Open opportunities" })).not.toContainText(`Toner deal ${stamp}`);
  await expect(page.getByRole("region", { name: "Open opportunities" })).toContainText("Lead");
  await expect(page.getByRole("region", { name: "Customer" })).toContainText("Peter Gibbons");
  // The box starts as an internal note; a reply to the customer is chosen each time.
  await expect(page.getByLabel("Internal note")).toBeChecked();
  await expect(page.getByRole("button", { name: "Add internal note" })).toBeVisible();
  await page.getByLabel("Reply to the customer").check();
  await page.getByLabel("Message").fill("We are sending a technician tomorrow.");
  await page.getByRole("button", { name: "Send reply to customer" }).click();
  await expect(page.locator(".comment.reply")).toContainText("We are sending a technician tomorrow.");
  // After a reply it is back to a note: a second message does not reach the customer by mistake.
  await expect(page.getByLabel("Internal note")).toBeChecked();
  await page.getByLabel("Message").fill("Internal: customer is on the legacy printer contract.");
  await page.getByRole("button", { name: "Add internal note" }).click();
  await expect(page.locator(".comment.note")).toContainText("legacy printer contract");

  // The client sees the reply, and nothing of the note.
  await client.reload();
  await hydrated(client);
  await expect(client.locator(".thread")).toContainText("We are sending a technician tomorrow.");
  await expect(client.locator("body")).not.toContainText("legacy printer contract");
  await expect(client.locator("body")).not.toContainText("Internal");

  // And they cannot reach a staff page.
  await client.goto("/pipeline");
  await expect(client).toHaveURL(/\/portal$/);

  expect(errors()).toEqual([]);
  expect(clientErrors()).toEqual([]);
  await clientContext.close();
});

test("a kickoff form submission appears as a web lead with its UTM source", async ({ page, browser }) => {
  await signIn(page);
  const slug = `trial-${Date.now()}`;
  await api(page, "POST", "/api/admin/forms", {
    slug, title: "Start your free trial", intro: "Two minutes, no card.",
    standard_fields: ["name", "email", "company"],
    custom_fields: [{ key: "team_size", label: "Team size", kind: "number", required: true }],
    creates: "lead",
  });

  // A visitor with no JavaScript at all.
  const visitorContext = await browser.newContext({ javaScriptEnabled: false });
  const visitor = await visitorContext.newPage();
  await visitor.goto(`/forms/${slug}?utm_source=newsletter&utm_campaign=november`);
  await expect(visitor.getByRole("heading", { name: "Start your free trial" })).toBeVisible();
  const email = `grace.${slug}@navy.example`;
  await visitor.getByLabel("Name").fill("Grace Hopper");
  await visitor.getByLabel("Email").fill(email);
  await visitor.getByLabel("Company").fill("US Navy");
  await visitor.getByLabel("Team size").fill("40");
  await visitor.getByRole("button", { name: "Send" }).click();
  await expect(visitor.getByRole("heading", { name: "Thank you" })).toBeVisible();
  await visitorContext.close();

  const leads = await api(page, "GET", `/api/crm/leads?q=${encodeURIComponent(email)}`);
  expect(leads.items).toHaveLength(1);
  const lead = leads.items[0];
  expect([lead.source, lead.utm_source, lead.utm_campaign]).toEqual(["web", "newsletter", "november"]);
  await page.goto(`/leads/${lead.id}`);
  await hydrated(page);
  await expect(page.getByRole("region", { name: "Form answers" })).toContainText("40");
});

test("the portal fits a phone", async ({ page, browser }) => {
  await signIn(page);
  const stamp = Date.now();
  const contact = await api(page, "POST", "/api/crm/contacts", {
    first_name: "Milton", last_name: "Waddams", email: `milton.${stamp}@initech.example`, role: "prospect",
  });
  await api(page, "POST", `/api/crm/contacts/${contact.id}/portal-invite`, {});
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const p = await phone.newPage();
  const url = new URL(linkIn(await mailTo(`milton.${stamp}@initech.example`), "/portal/accept?token="));
  const accepted = await p.request.post("/api/auth/accept-invite", {
    data: { token: url.searchParams.get("token"), password: PORTAL_PASSWORD },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(accepted.ok()).toBeTruthy();
  await p.goto("/portal");
  await hydrated(p);
  await expect(p.getByRole("heading", { name: "My tickets" })).toBeVisible();
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await p.goto("/portal/profile");
  await hydrated(p);
  // One menu item is current: Profile, not My tickets as well.
  await expect(p.locator('.portal-top nav a[aria-current="page"]')).toHaveText(["Profile"]);
  await p.getByLabel("Job title").fill("Collator");
  await p.getByRole("button", { name: "Save" }).click();
  await expect(p.getByRole("status")).toContainText("Saved");
  await phone.close();
});

test("a contact's and an account's pages list their tickets", async ({ page }) => {
  await signIn(page);
  const account = await api(page, "POST", "/api/crm/accounts", { name: "Ticketed Holdings" });
  const contact = await api(page, "POST", "/api/crm/contacts", { first_name: "Tia", last_name: "Ticketed", account_id: account.id });
  const ticket = await api(page, "POST", "/api/crm/tickets", { subject: "Printer on fire", contact_id: contact.id, account_id: account.id, channel: "email" });
  for (const path of [`/contacts/${contact.id}`, `/accounts/${account.id}`]) {
    await page.goto(path);
    await hydrated(page);
    const panel = page.getByRole("region", { name: "Tickets" });
    await expect(panel.getByRole("link", { name: `#${ticket.number} Printer on fire` })).toBeVisible();
  }
});

test("a stranger's mail with a file opens a ticket for triage; support downloads the file, and assigning ends triage", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page);
  const stamp = Date.now();
  const subject = `Broken hinge ${stamp}`;
  // The message arrives as a mail server hands it over: piped to `crm mail receive`.
  const file = Buffer.from("hinge photo").toString("base64");
  const raw = [
    `From: Wanda Stranger <wanda.${stamp}@nowhere.example>`,
    "To: help@tests.example",
    `Subject: ${subject}`,
    `Message-ID: <hinge.${stamp}@nowhere.example>`,
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=b",
    "",
    "--b",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "The hinge broke, photo attached.",
    "--b",
    'Content-Type: image/jpeg; name="../hinge <1>.jpg"',
    'Content-Disposition: attachment; filename="../hinge <1>.jpg"',
    "Content-Transfer-Encoding: base64",
    "",
    file,
    "--b--",
    "",
  ].join("\r\n");
  const root = join(__dirname, "..", "..");
  const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, "target");
  const out = execFileSync(join(targetDir, "release", "crm"), ["mail", "receive"], {
    cwd: root,
    input: raw,
    env: { ...process.env, DATABASE_URL: `sqlite://${join(__dirname, "..", ".tmp", "e2e.db")}`, RUST_LOG: "warn" },
  }).toString();
  expect(out).toContain("opened ticket #");

  const found = await api(page, "GET", `/api/crm/tickets?q=${encodeURIComponent(subject)}`);
  const ticket = found.items[0];
  await page.goto("/tickets");
  await hydrated(page);
  const row = page.getByRole("row").filter({ hasText: subject });
  await expect(row.getByText("Triage")).toBeVisible();
  await row.getByRole("link", { name: subject }).click();
  await expect(page).toHaveURL(new RegExp(`/tickets/${ticket.id}$`));
  await hydrated(page);
  await expect(page.getByText("Needs triage")).toBeVisible();

  const files = page.getByRole("region", { name: "Attachments" });
  const link = files.getByRole("link", { name: "hinge <1>.jpg" });
  await expect(link).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  expect(download.suggestedFilename()).not.toContain("/");
  expect(readFileSync(await download.path()).toString()).toBe("hinge photo");

  // Someone takes it: it no longer waits for triage.
  await page.getByLabel("Assignee").selectOption({ label: "Ada Admin" });
  await expect(page.getByText("Needs triage")).toHaveCount(0);
  expect(errors()).toEqual([]);
});
