// Drives the cashier page in Debian's headless Chromium against a real
// ApiServer (api_test_server): sign in by launch link, capture an opt-in on
// the number pad, see the state, try an invalid number and see the error,
// check coupons synced from the cloud.
// Usage: node cashier_page_test.mjs PATH/TO/api_test_server
// Leaves screenshots in $TILLBRIDGE_BINARY_DIR/artifacts/.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { chromium } from "playwright-core";

const serverPath = process.argv[2];
if (!serverPath) {
  console.error("usage: node cashier_page_test.mjs PATH/TO/api_test_server");
  process.exit(2);
}
const artifacts = path.join(process.env.TILLBRIDGE_BINARY_DIR || tmpdir(), "artifacts");
mkdirSync(artifacts, { recursive: true });
// Flags for headless Chromium as root on a machine without outside network.
const CHROMIUM_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const watchdog = setTimeout(() => {
  console.error("cashier page test: timed out");
  process.exit(1);
}, 150_000);

let passed = 0;
async function step(name, body) {
  await body();
  passed += 1;
  console.log("ok - " + name);
}

function startServer() {
  const child = spawn(serverPath, [], { stdio: ["pipe", "pipe", "inherit"] });
  const info = {};
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const space = line.indexOf(" ");
      info[line.slice(0, space)] = line.slice(space + 1);
      if (info.DB) resolve({ child, info, lines });
    });
    child.on("exit", (code) => reject(new Error("test server exited early with " + code)));
  });
}

async function api(server, method, route, body) {
  const response = await fetch(server.info.BASE_URL + route, {
    method,
    headers: { Authorization: "Bearer " + server.info.TOKEN, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, data: await response.json() };
}

function ledgerRows(server) {
  return Number(execFileSync("sqlite3", [server.info.DB, "SELECT count(*) FROM consent_ledger"]).toString().trim());
}

// Stores a coupon in the agent as the change feed would (valid from
// `fromS` to `untilS` seconds from now) and waits for the server's answer.
async function addCoupon(server, code, fromS, untilS) {
  server.child.stdin.write(`coupon ${code} ${fromS} ${untilS}\n`);
  const deadline = Date.now() + 5000;
  while (server.info.COUPON !== code) {
    if (server.info.ERROR) throw new Error("test server: " + server.info.ERROR);
    if (Date.now() > deadline) throw new Error("test server did not store coupon " + code);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function typeOnKeypad(page, digits) {
  await page.click("#clear");
  for (const digit of digits) await page.click(`#keypad button[data-key="${digit}"]`);
  await assert.equal(await page.textContent("#phone"), digits);
}

const server = await startServer();
const profile = mkdtempSync(path.join(tmpdir(), "tillbridge-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: CHROMIUM_FLAGS,
  viewport: { width: 1180, height: 900 },
});
let failed = false;
try {
  const page = context.pages()[0] || (await context.newPage());
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));

  await step("without a session the page asks to sign in and holds no token", async () => {
    const response = await page.goto(server.info.BASE_URL + "/");
    assert.equal(response.status(), 200);
    await page.waitForSelector("#signin:not([hidden])");
    assert.ok(!(await page.content()).includes(server.info.TOKEN));
    assert.ok(await page.isHidden("#capture"));
  });

  await step("the launch link signs the page in", async () => {
    await page.goto(server.info.LAUNCH_URL);
    await page.waitForSelector("#capture:not([hidden])");
    assert.equal(new URL(page.url()).pathname, "/");
    const cookies = await context.cookies(server.info.BASE_URL);
    const session = cookies.find((c) => c.name === "tb_session");
    assert.ok(session, "session cookie set");
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Strict");
    assert.equal(await page.evaluate(() => document.cookie), "", "cookie invisible to scripts");
  });

  await step("the current disclosures are shown in full; marketing is optional and unticked", async () => {
    const current = (await api(server, "GET", "/v1/disclosures/current")).data;
    await page.waitForFunction(() => document.getElementById("marketing-version").textContent !== "");
    assert.equal(await page.textContent("#transactional-text"), current.transactional.text);
    assert.equal(await page.textContent("#marketing-text"), current.marketing.text);
    assert.equal(await page.textContent("#marketing-frequency"), current.marketing.frequency);
    assert.equal(await page.isChecked("#marketing"), false);
  });

  await step("an opt-in captured on the number pad is confirmed and stored", async () => {
    await page.fill("#cashier", "c-42");
    await typeOnKeypad(page, "4155550134");
    await page.check("#marketing");
    await page.click("#record");
    await page.waitForSelector("#result.ok:not([hidden])");
    assert.equal(await page.textContent("#result-title"), "Saved for +1 (415) 555-0134");
    const lines = await page.locator("#result-lines li").allTextContents();
    assert.deepEqual(lines, ["Receipts: opted in", "Offers: opted in"]);
    assert.equal(await page.isChecked("#marketing"), false, "the box is unticked for the next customer");
    await page.screenshot({ path: path.join(artifacts, "cashier-page.png"), fullPage: true });

    const history = (await api(server, "GET", "/v1/consents/%2B14155550134/history")).data;
    assert.equal(history.entries.length, 2);
    for (const entry of history.entries) {
      assert.equal(entry.state, "opted_in");
      assert.equal(entry.method, "cashier_entry");
      assert.equal(entry.actor, "c-42");
      assert.equal(entry.disclosure.version, "1");
    }
  });

  await step("leaving the marketing box unticked records receipts only", async () => {
    await typeOnKeypad(page, "2125550199");
    await page.click("#record");
    await page.waitForFunction(() => document.getElementById("result-title").textContent.includes("(212) 555-0199"));
    const state = (await api(server, "GET", "/v1/consents/2125550199")).data;
    assert.equal(state.consents.transactional.state, "opted_in");
    assert.equal(state.consents.marketing.state, "none");
  });

  await step("a lookup shows a number's current state", async () => {
    await typeOnKeypad(page, "4155550134");
    await page.click("#lookup");
    await page.waitForFunction(() => document.getElementById("result-title").textContent === "+1 (415) 555-0134");
    const lines = await page.locator("#result-lines li").allTextContents();
    assert.equal(lines.length, 2);
    assert.ok(lines[0].startsWith("Receipts: opted in"), lines[0]);
    assert.ok(lines[1].startsWith("Offers: opted in"), lines[1]);
    assert.ok(lines[1].includes("cashier_entry, c-42"), lines[1]);
  });

  await step("'Customer says STOP' opts the number out of both kinds of texts", async () => {
    await typeOnKeypad(page, "2125550199");
    await page.click("#stop");
    await page.waitForFunction(() => document.getElementById("result-title").textContent.startsWith("Stopped all texts"));
    const state = (await api(server, "GET", "/v1/consents/2125550199")).data;
    assert.equal(state.consents.transactional.state, "opted_out");
    assert.equal(state.consents.marketing.state, "opted_out");
  });

  await step("an invalid number shows the API's reason and records nothing", async () => {
    const before = ledgerRows(server);
    await typeOnKeypad(page, "555");
    await page.click("#record");
    await page.waitForSelector("#result.error:not([hidden])");
    const message = await page.textContent("#result-title");
    assert.match(message, /^Phone number: .*short/);
    await page.screenshot({ path: path.join(artifacts, "cashier-page-invalid.png"), fullPage: true });
    assert.equal(ledgerRows(server), before);
  });

  await step("a write without the page's CSRF token is refused", async () => {
    const status = await page.evaluate(async () => {
      const response = await fetch("/v1/consents", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ phone: "4155550134", purpose: "marketing", granted: false,
                               method: "cashier_entry", cashier_id: "x" }),
      });
      return response.status;
    });
    assert.equal(status, 403);
  });

  await step("a coupon from a text is checked at the counter, and a sale that takes it uses it up", async () => {
    await addCoupon(server, "TBC0FFEE01", -60, 86400);
    await addCoupon(server, "TBOLD00001", -172800, -86400);
    await page.fill("#coupon-code", "tbc0ffee01");
    await page.click("#coupon-check");
    await page.waitForSelector("#coupon-result.ok:not([hidden])");
    assert.equal(await page.textContent("#coupon-title"), "TBC0FFEE01 is valid: enter it on the sale");
    const lines = await page.locator("#coupon-lines li").allTextContents();
    assert.ok(lines.includes("Discount: 10%"), lines.join(" | "));
    assert.ok(lines.includes("Uses left: 1"), lines.join(" | "));
    await page.screenshot({ path: path.join(artifacts, "cashier-page-coupon.png"), fullPage: true });

    await page.fill("#coupon-code", "TBOLD00001");
    await page.click("#coupon-check");
    await page.waitForSelector("#coupon-result.error:not([hidden])");
    assert.equal(await page.textContent("#coupon-title"), "TBOLD00001: this coupon has expired");

    await page.fill("#coupon-code", "NOSUCHCODE");
    await page.click("#coupon-check");
    await page.waitForFunction(() => document.getElementById("coupon-title").textContent.startsWith("Coupon: no coupon"));

    const sale = await api(server, "POST", "/v1/transactions", {
      pos_id: "R-77", kind: "sale", occurred_at: new Date().toISOString(), currency: "USD",
      total_minor: 1200, coupon_codes: ["TBC0FFEE01"],
    });
    assert.equal(sale.status, 201, JSON.stringify(sale.data));
    await page.fill("#coupon-code", "TBC0FFEE01");
    await page.click("#coupon-check");
    await page.waitForFunction(() => document.getElementById("coupon-title").textContent.includes("already been used"));
  });

  await step("a used launch link does not sign in again", async () => {
    await page.click("#sign-out");
    await page.waitForSelector("#signin:not([hidden])");
    await page.goto(server.info.LAUNCH_URL);
    await page.waitForSelector("#signin-error:not([hidden])");
    assert.match(await page.textContent("#signin-error"), /already used/);
  });

  await step("the token sign-in works and a wrong token is explained", async () => {
    await page.fill("#token", "wrong");
    await page.click("#signin-form button[type=submit]");
    await page.waitForFunction(() => document.getElementById("signin-error").textContent.includes("not the API token"));
    await page.fill("#token", server.info.TOKEN);
    await page.click("#signin-form button[type=submit]");
    await page.waitForSelector("#capture:not([hidden])");
  });

  assert.deepEqual(pageErrors, [], "no script errors on the page");
} catch (error) {
  failed = true;
  console.error("not ok - " + (error.stack || error));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  server.child.stdin.end("quit\n");
  await new Promise((resolve) => server.child.on("exit", resolve));
  clearTimeout(watchdog);
}
console.log(`${passed} passed, ${failed ? 1 : 0} failed`);
process.exit(failed ? 1 : 0);
