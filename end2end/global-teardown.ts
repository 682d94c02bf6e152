import { readFileSync } from "node:fs";
import { join } from "node:path";

export default async function globalTeardown() {
  try {
    const pid = Number(readFileSync(join(__dirname, ".tmp", "server.pid"), "utf8"));
    process.kill(pid, "SIGTERM");
  } catch {
    // already gone
  }
}
