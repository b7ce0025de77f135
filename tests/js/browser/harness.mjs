// What the browser tests share: the test server's path from the command
// line, a watchdog, numbered steps, headless Chromium started the way it
// runs as root on a machine without outside network, and screenshots kept
// in $TILLBRIDGE_BINARY_DIR/artifacts/.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

export const artifacts = path.join(process.env.TILLBRIDGE_BINARY_DIR || tmpdir(), "artifacts");
mkdirSync(artifacts, { recursive: true });

// The api_test_server path given as the first argument; exits 2 without it.
export function serverPathArgument(script) {
  const serverPath = process.argv[2];
  if (!serverPath) {
    console.error(`usage: node ${script} PATH/TO/api_test_server`);
    process.exit(2);
  }
  return serverPath;
}

// Ends the process with a failure after `ms`, so a hung page cannot hang
// ctest; stop() disarms it.
export function startWatchdog(name, ms) {
  const timer = setTimeout(() => {
    console.error(`${name}: timed out`);
    process.exit(1);
  }, ms);
  return { stop: () => clearTimeout(timer) };
}

// Runs named steps in order and counts the ones that passed.
export class Steps {
  passed = 0;
  async run(name, body) {
    await body();
    this.passed += 1;
    console.log("ok - " + name);
  }
  // Prints the summary and exits 0, or 1 when `failed`.
  finish(failed) {
    console.log(`${this.passed} passed, ${failed ? 1 : 0} failed`);
    process.exit(failed ? 1 : 0);
  }
}

// Chromium in a fresh profile. Locale and time zone are fixed so the money
// and times a test reads are the same on every machine.
export async function launchBrowser(viewport) {
  const profile = mkdtempSync(path.join(tmpdir(), "tillbridge-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    viewport,
    locale: "en-US",
    timezoneId: "UTC",
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page, name) {
  const file = path.join(artifacts, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log("# screenshot " + file);
}
