import { expect } from "@playwright/test";
import { readFileSync } from "node:fs";
import { test, hydrated, signIn, watchErrors } from "./helpers";

/** A Google Contacts export: its own headers, a repeated person, a bad email, and enough rows
 *  for the progress bar to be seen moving. */
function googleContacts(stamp: number, rows: number): string {
  const lines = ["Given Name,Family Name,E-mail 1 - Type,E-mail 1 - Value,Organization 1 - Name,Nickname"];
  for (let i = 0; i < rows; i++) {
    lines.push(`Person${i},Imported ${stamp},* work,person${i}.${stamp}@example.com,"Importers, Inc ${stamp}",nick${i}`);
  }
  lines.push(`Again,Imported ${stamp},* work,PERSON1.${stamp}@EXAMPLE.COM,Acme,again`);
  lines.push(`Broken,Imported ${stamp},* work,not-an-email,Acme,broken`);
  return lines.join("\n") + "\n";
}

test("an import through the wizard: upload, fix a mapping, dry run, run, progress to 100%, outcome file", async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page);
  const stamp = Date.now();
  const rows = 20_000;

  await page.goto("/contacts");
  await hydrated(page);
  await page.getByRole("link", { name: "Import" }).click();
  await expect(page).toHaveURL(/\/imports\?kind=contacts/);
  await hydrated(page);
  await expect(page.getByLabel("The file holds")).toHaveValue("contacts");
  await page.getByLabel("CSV file").setInputFiles({
    name: `google-${stamp}.csv`,
    mimeType: "text/csv",
    buffer: Buffer.from(googleContacts(stamp, rows)),
  });
  await page.getByRole("button", { name: "Upload and map columns" }).click();
  await expect(page).toHaveURL(/\/imports\/[0-9a-f-]{36}$/);
  await hydrated(page);

  // The guesser mapped Google's headers; the type column is ignored; the nickname is fixed by hand.
  await expect(page.getByLabel("Given Name")).toHaveValue("first_name");
  await expect(page.getByLabel("Family Name")).toHaveValue("last_name");
  await expect(page.getByLabel("E-mail 1 - Value")).toHaveValue("email");
  await expect(page.getByLabel("E-mail 1 - Type")).toHaveValue("");
  await expect(page.getByLabel("Organization 1 - Name")).toHaveValue("company");
  await expect(page.getByLabel("Nickname")).toHaveValue("");
  await page.getByLabel("Nickname").selectOption("custom");

  await page.getByRole("button", { name: "Dry run" }).click();
  const dry = page.getByRole("region", { name: "3. Dry run: what would happen" });
  await expect(dry).toBeVisible({ timeout: 30_000 });
  await expect(dry.locator('[data-count="created"]')).toHaveText(rows.toLocaleString("en-US"));
  await expect(dry.locator('[data-count="duplicates"]')).toHaveText("1");
  await expect(dry.locator('[data-count="invalid"]')).toHaveText("1");
  await expect(dry.getByText("Same email as row 2.")).toBeVisible();
  // The fixed mapping was kept.
  await expect(page.getByLabel("Nickname")).toHaveValue("custom");

  await page.getByRole("button", { name: "Import", exact: true }).click();
  // The progress bar, live, then the result with the bar full.
  const result = page.getByRole("heading", { name: "Result" });
  await expect(page.getByRole("progressbar").first()).toBeVisible();
  await expect(result).toBeVisible({ timeout: 60_000 });
  const bar = page.getByRole("progressbar", { name: "Rows done" });
  const [value, max] = await bar.evaluate((el: HTMLProgressElement) => [el.value, el.max]);
  expect(value).toBe(rows + 2);
  expect(max).toBe(rows + 2);
  await expect(page.getByText("every row of the file is accounted for")).toBeVisible();
  await expect(page.locator('[data-count="created"]')).toHaveText(rows.toLocaleString("en-US"));

  // A reload shows the same finished import.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Result" })).toBeVisible();

  // The outcome file: one line per data row.
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download every row's outcome (CSV)" }).click();
  const file = readFileSync(await (await download).path(), "utf8").trim().split("\n");
  expect(file[0]).toBe("row,outcome,record_id,message");
  expect(file.length).toBe(rows + 3);
  expect(file[rows + 1]).toMatch(/^20001,skipped_duplicate,[0-9a-f-]{36},Same email as row 2\.$/);
  expect(file[rows + 2]).toMatch(/^20002,invalid: email/);

  // The contacts are there (20,000 of them share a surname, so look one up by email).
  await page.goto(`/contacts?q=${encodeURIComponent(`person0.${stamp}@example.com`)}`);
  await expect(page.getByRole("link", { name: `Person0 Imported ${stamp}` })).toBeVisible();
  await expect(page.getByRole("cell", { name: `Importers, Inc ${stamp}` })).toBeVisible();
  expect(errors()).toEqual([]);
});
