// Drives the cashier page in Debian's headless Chromium against a real
// ApiServer (api_test_server): sign in by launch link, capture an opt-in on
// the number pad, see the state, try an invalid number and see the error,
// check coupons synced from the cloud, and read a customer's profile (known,
// new, and with stale cloud data) off the page.
// Usage: node cashier_page_test.mjs PATH/TO/api_test_server
// Leaves screenshots in $TILLBRIDGE_BINARY_DIR/artifacts/.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import readline from "node:readline";
import { Steps, launchBrowser, screenshot, serverPathArgument, startWatchdog } from "./harness.mjs";

const serverPath = serverPathArgument("cashier_page_test.mjs");
const watchdog = startWatchdog("cashier page test", 150_000);

const steps = new Steps();
const step = (name, body) => steps.run(name, body);

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
// `fromS` to `untilS` seconds from now, issued to `phone` when given) and
// waits for the server's answer.
async function addCoupon(server, code, fromS, untilS, phone = "", upc = "") {
  server.child.stdin.write(`coupon ${code} ${fromS} ${untilS} ${phone || "-"} ${upc}\n`);
  const deadline = Date.now() + 5000;
  while (server.info.COUPON !== code) {
    if (server.info.ERROR) throw new Error("test server: " + server.info.ERROR);
    if (Date.now() > deadline) throw new Error("test server did not store coupon " + code);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Sends one cloud-data command to the test server (see api_test_server.cpp)
// and waits until it has been applied.
async function cloudData(server, line) {
  server.child.stdin.write(line + "\n");
  const deadline = Date.now() + 5000;
  while (server.info.DONE !== line) {
    if (server.info.ERROR) throw new Error("test server: " + server.info.ERROR);
    if (Date.now() > deadline) throw new Error("test server did not apply: " + line);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}


async function lookUpProfile(page, digits) {
  await typeOnKeypad(page, digits);
  await page.click("#lookup");
  await page.waitForSelector("#profile:not([hidden])");
  await page.waitForFunction(() => !document.getElementById("lookup").disabled);
}

const texts = (page, selector) => page.locator(selector).allTextContents();

async function typeOnKeypad(page, digits) {
  await page.click("#clear");
  for (const digit of digits) await page.click(`#keypad button[data-key="${digit}"]`);
  await assert.equal(await page.textContent("#phone"), digits);
}

const server = await startServer();
const browser = await launchBrowser({ width: 1180, height: 900 });
const context = browser.context;
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
    await screenshot(page, "cashier-page.png");

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
    await screenshot(page, "cashier-page-invalid.png");
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
    await screenshot(page, "cashier-page-coupon.png");

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

  await step("a coupon is scanned from the customer's phone: a QR link, a UPC, a misread UPC", async () => {
    await addCoupon(server, "TBQRSCAN01", -60, 86400, "", "512345678900");
    // A barcode scanner types like a keyboard and ends with Enter; each
    // scan waits for the page to show its answer (the form is busy while
    // the check is on its way).
    const answered = () => page.waitForFunction(() => !document.getElementById("coupon-form").dataset.busy);
    const scan = async (text) => {
      await page.fill("#coupon-code", "");
      await page.focus("#coupon-code");
      await page.keyboard.type(text);
      await page.keyboard.press("Enter");
      await answered();
    };
    await scan("https://sms.example/c/TBQRSCAN01");
    await page.waitForFunction(() => document.getElementById("coupon-title").textContent.startsWith("TBQRSCAN01 is valid"));
    await scan("512345678900");
    await page.waitForFunction(() => document.getElementById("coupon-title").textContent.startsWith("TBQRSCAN01 is valid"));
    const lines = await page.locator("#coupon-lines li").allTextContents();
    assert.ok(lines.includes("UPC 0512345678900"), lines.join(" | "));
    // the field is selected again, so the next scan replaces this one
    assert.equal(await page.evaluate(() => document.activeElement.id), "coupon-code");
    await scan("512345678907");
    await page.waitForSelector("#coupon-result.error:not([hidden])");
    const title = await page.textContent("#coupon-title");
    assert.ok(title.includes("check digit is 0, the scan ends in 7"), title);
    await screenshot(page, "cashier-page-coupon-scan.png");
    // a sale that carries the UPC uses the coupon up
    const sale = await api(server, "POST", "/v1/transactions", {
      pos_id: "R-78", kind: "sale", occurred_at: new Date().toISOString(), currency: "USD",
      total_minor: 900, coupon_codes: ["512345678900"],
    });
    assert.equal(sale.status, 201, JSON.stringify(sale.data));
    await scan("512345678900");
    await page.waitForFunction(() => document.getElementById("coupon-title").textContent.includes("already been used"));

    // The next scan sent before the last answer is back (a slow answer,
    // 300 ms here): it replaces the last code in the field, and its answer
    // is the one shown.
    await addCoupon(server, "TBRACE0001", -60, 86400);
    await page.route("**/v1/coupons/**", async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await route.continue();
    });
    await page.fill("#coupon-code", "");
    await page.focus("#coupon-code");
    await page.keyboard.type("NOSUCHCODE");
    await page.keyboard.press("Enter");
    await page.keyboard.type("https://sms.example/c/TBRACE0001");
    await page.keyboard.press("Enter");
    await answered();
    await new Promise((resolve) => setTimeout(resolve, 400));  // both answers are in
    assert.equal(await page.inputValue("#coupon-code"), "https://sms.example/c/TBRACE0001");
    assert.equal(await page.textContent("#coupon-title"), "TBRACE0001 is valid: enter it on the sale");
    await page.unroute("**/v1/coupons/**");
  });

  await step("a known customer's profile shows loyalty, VIP, visits, value, texts and valid coupons", async () => {
    const phone = "+13105550142";
    for (const [posId, total] of [["R-201", 4250], ["R-202", 6900], ["R-203", 1600]]) {
      const sale = await api(server, "POST", "/v1/transactions", {
        pos_id: posId, kind: "sale", occurred_at: "2026-11-30T15:30:00Z", currency: "USD",
        total_minor: total, phone: "3105550142",
      });
      assert.equal(sale.status, 201, JSON.stringify(sale.data));
    }
    for (const purpose of ["transactional", "marketing"]) {
      const consent = await api(server, "POST", "/v1/consents", {
        phone: "3105550142", purpose, granted: true, method: "cashier_entry", cashier_id: "c-9",
        disclosure_version: "1",
      });
      assert.equal(consent.status, 201, JSON.stringify(consent.data));
    }
    await cloudData(server, `loyalty ${phone} 1250 gold`);
    await cloudData(server, `segments ${phone} vip coffee_lovers`);
    await cloudData(server, `engagement ${phone} message_sent 2880 Spring Sale`);
    await cloudData(server, `engagement ${phone} click 2870 Spring Sale`);
    await cloudData(server, `engagement ${phone} redemption 1440 Welcome Back`);
    await cloudData(server, `engagement ${phone} message_sent 60 Holiday Preview`);
    await addCoupon(server, "TBSPRING25", -60, 7 * 86400, phone);
    await addCoupon(server, "TBWINTER10", -14 * 86400, -86400, phone);

    // Before the first pull the page says so rather than implying fresh data.
    await lookUpProfile(page, "3105550142");
    await page.waitForSelector("#profile-known:not([hidden])");
    assert.equal(await page.textContent("#profile-freshness"), "Cloud data: never synced");

    await cloudData(server, "lastpull 180");
    await lookUpProfile(page, "3105550142");
    await page.waitForFunction(() => document.getElementById("profile-freshness").textContent.startsWith("Cloud data from"));
    assert.equal(await page.textContent("#profile-title"), "+1 (310) 555-0142");
    assert.equal(await page.textContent("#profile-freshness"), "Cloud data from 3 min ago");
    assert.equal(await page.textContent("#profile-points"), "1,250");
    assert.equal(await page.textContent("#profile-tier"), "gold");
    assert.equal(await page.textContent("#profile-visits"), "3");
    assert.equal(await page.textContent("#profile-value"), "$127.50");
    assert.deepEqual(await texts(page, "#profile-segments li"), ["VIP", "coffee lovers"]);
    const consent = await texts(page, "#profile-consent .consent-state");
    assert.deepEqual(consent, ["Receipts: opted in", "Offers: opted in"]);
    const consentDetail = await texts(page, "#profile-consent .detail");
    assert.ok(consentDetail.every((line) => line.startsWith("since ") && line.endsWith("cashier entry")),
              consentDetail.join(" | "));
    assert.equal(await page.textContent("#profile-engagement-counts"),
                 "Texts received: 2 · Clicks: 1 · Coupons redeemed: 1");
    assert.deepEqual(await texts(page, "#profile-engagement .campaign"),
                     ["Holiday Preview", "Welcome Back", "Spring Sale", "Spring Sale"]);
    assert.deepEqual(await texts(page, "#profile-engagement .engagement-kind"),
                     ["Text received", "Coupon redeemed", "Link clicked", "Text received"]);
    assert.deepEqual(await texts(page, "#profile-coupons .coupon-code"), ["TBSPRING25"]);
    assert.ok(!(await page.textContent("#profile")).includes("TBWINTER10"), "the expired coupon is not offered");
    const shopping = await texts(page, "#profile-shopping li");
    assert.ok(shopping.includes("Last purchase: 11/30/2026, 3:30:00 PM"), shopping.join(" | "));
    assert.ok(shopping.includes("Preferred store: store-7"), shopping.join(" | "));
    assert.ok(shopping.includes("Average order: $42.50"), shopping.join(" | "));
    const factSize = await page.evaluate(() => parseFloat(getComputedStyle(document.getElementById("profile-points")).fontSize));
    assert.ok(factSize >= 36, "the key facts are large: " + factSize + "px");
    await screenshot(page, "cashier-page-profile.png");
  });

  await step("a number the store has never seen is a new customer, offered opt-in capture", async () => {
    await lookUpProfile(page, "6465550177");
    assert.equal(await page.textContent("#profile-title"), "New customer");
    assert.ok(await page.isVisible("#profile-new"));
    assert.ok(await page.isHidden("#profile-known"));
    assert.ok(await page.isHidden("#profile-error"));
    assert.ok(await page.isVisible("#record"), "the opt-in capture stays on the page");
    assert.equal(await page.getAttribute("#result", "class"), "message ok");
    await screenshot(page, "cashier-page-new-customer.png");

    await page.fill("#cashier", "c-42");
    await page.click("#record");
    await page.waitForFunction(() => document.getElementById("profile-title").textContent === "+1 (646) 555-0177");
    assert.deepEqual(await texts(page, "#profile-consent .consent-state"),
                     ["Receipts: opted in", "Offers: not asked yet"]);
    assert.deepEqual(await texts(page, "#profile-coupons li"), ["No coupons valid now"]);
  });

  await step("with the last pull long ago the profile says the agent is offline, from its own store", async () => {
    await cloudData(server, "lastpull 7200");
    await lookUpProfile(page, "3105550142");
    await page.waitForFunction(() => document.getElementById("profile-freshness").textContent.startsWith("Offline"));
    const freshness = await page.textContent("#profile-freshness");
    assert.match(freshness, /^Offline — cloud data as of \d+\/\d+\/\d{4}, .* \(2 h ago\)$/);
    assert.equal(await page.getAttribute("#profile-freshness", "class"), "freshness stale");
    assert.equal(await page.textContent("#profile-points"), "1,250");
    assert.deepEqual(await texts(page, "#profile-coupons .coupon-code"), ["TBSPRING25"]);
    await screenshot(page, "cashier-page-offline.png");

    await page.click("#clear");
    assert.ok(await page.isHidden("#profile"), "Clear hides the last customer's profile");
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
  await browser.close();
  server.child.stdin.end("quit\n");
  await new Promise((resolve) => server.child.on("exit", resolve));
  watchdog.stop();
}
steps.finish(failed);
