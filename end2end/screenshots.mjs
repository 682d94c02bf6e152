// Screenshots of pages at desktop and phone width, for looking at what we build:
//   node screenshots.mjs http://127.0.0.1:3000 /tmp/shots "/pipeline /leads" email password
import { chromium } from "@playwright/test";
const [, , base, outdir, paths, email, password] = process.argv;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
for (const width of [1280, 390]) {
  const ctx = await browser.newContext({ viewport: { width, height: width > 500 ? 800 : 844 } });
  const page = await ctx.newPage();
  const logs = [];
  page.on("console", m => { if (m.type() !== "debug") logs.push(`${m.type()}: ${m.text()}`) });
  page.on("pageerror", e => logs.push(`pageerror: ${e.message}`));
  if (email) {
    await page.goto(base + "/login");
    await page.fill("#email", email); await page.fill("#password", password);
    await page.click("button[type=submit]");
    await page.waitForURL(u => !u.pathname.startsWith("/login"));
  }
  for (const p of paths.split(" ")) {
    await page.goto(base + p);
    await page.waitForTimeout(1200);
    const name = `${outdir}/${p.replace(/[^a-z0-9]+/gi, "_") || "root"}_${width}.png`;
    await page.screenshot({ path: name, fullPage: true });
    console.log(name);
  }
  if (logs.length) console.log(logs.join("\n"));
  await ctx.close();
}
await browser.close();
