import { defineConfig } from "@playwright/test";

// The tests drive the real release build (`scripts/build.sh`), started by global-setup.ts on
// its own port with a fresh SQLite database.
const port = process.env.CRM_E2E_PORT ?? "3917";

export default defineConfig({
  testDir: "./tests",
  globalSetup: "./global-setup.ts",
  globalTeardown: "./global-teardown.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  outputDir: "./test-results",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    // First run creates the super admin every later test signs in as.
    { name: "first-run", testMatch: /first-run\.spec\.ts/ },
    { name: "chromium", testIgnore: /first-run\.spec\.ts/, dependencies: ["first-run"] },
  ],
});
