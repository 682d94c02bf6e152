import { readFileSync } from "node:fs";
import { join } from "node:path";

export default async function globalTeardown() {
  for (const name of ["server.pid", "mail-sink.pid"]) {
    try {
      const pid = Number(readFileSync(join(__dirname, ".tmp", name), "utf8"));
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}
