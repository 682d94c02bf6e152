import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync, openSync } from "node:fs";
import { join, resolve } from "node:path";

/** Starts the tests' SMTP server (tests/mail_sink.py, aiosmtpd) writing each message it
 * takes to `.tmp/mail`, and returns its port. */
async function startMailSink(root: string, tmp: string, targetDir: string): Promise<string> {
  const python = process.env.CRM_TEST_MAIL_PYTHON ?? join(targetDir, "mail-venv", "bin", "python");
  const sink = spawn(python, [join(root, "tests", "mail_sink.py"), "--dir", join(tmp, "mail")], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  writeFileSync(join(tmp, "mail-sink.pid"), String(sink.pid));
  const port = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("the mail sink did not start")), 20_000);
    sink.stdout.once("data", (chunk: Buffer) => {
      clearTimeout(timer);
      ok(chunk.toString().trim());
    });
    sink.on("exit", (code) => fail(new Error(`the mail sink exited with ${code} (run scripts/tools.sh test)`)));
  });
  sink.removeAllListeners("exit");
  sink.unref();
  return port;
}

// Starts the release server on a fresh database, sending mail to the tests' own SMTP server,
// and records the one-time setup link it prints.
export default async function globalSetup() {
  const root = resolve(__dirname, "..");
  const tmp = join(__dirname, ".tmp");
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const port = process.env.CRM_E2E_PORT ?? "3917";
  const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, "target");
  const binary = join(targetDir, "release", "crm");
  const mailPort = await startMailSink(root, tmp, targetDir);
  const log = openSync(join(tmp, "server.log"), "w");
  const server = spawn(binary, ["serve"], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${join(tmp, "e2e.db")}`,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: join(root, "target", "site"),
      RUST_LOG: process.env.RUST_LOG ?? "info,sqlx=warn",
      CRM_SMTP_URL: `smtp://127.0.0.1:${mailPort}?tls=off`,
      CRM_MAIL_FROM: '"CRM Tests" <crm@tests.example>',
    },
    stdio: ["ignore", "pipe", log],
  });
  writeFileSync(join(tmp, "server.pid"), String(server.pid));

  const setupLink = await new Promise<string>((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${out}`)), 60_000);
    server.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const link = out.match(/(http:\/\/\S+\/setup\?token=\S+)/);
      if (link && out.includes("listening")) {
        clearTimeout(timer);
        ok(link[1]);
      }
    });
    server.on("exit", (code) => fail(new Error(`server exited with ${code}:\n${out}`)));
  });
  server.stdout.removeAllListeners("data");
  server.stdout.resume();
  server.removeAllListeners("exit");
  server.unref();
  writeFileSync(join(tmp, "setup-link"), setupLink);
}
