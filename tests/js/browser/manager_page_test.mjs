// Drives the manager page in Debian's headless Chromium against a real
// ApiServer (api_test_server) holding the ROI fixture (tests/store/
// roi_fixture.h): without a password the page says how to set one; a wrong
// password is refused with a message; the right one shows the report, whose
// headline figures equal the fixture's hand-computed ones; the three charts
// are drawn; the downloads work; signing out ends the session.
// Usage: node manager_page_test.mjs PATH/TO/api_test_server
// Leaves screenshots in $TILLBRIDGE_BINARY_DIR/artifacts/manager-page*.png.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import readline from "node:readline";
import path from "node:path";
import { Steps, artifacts, launchBrowser, screenshot, serverPathArgument, startWatchdog } from "./harness.mjs";

const serverPath = serverPathArgument("manager_page_test.mjs");
const PASSWORD = "manager password 42";
const watchdog = startWatchdog("manager page test", 150_000);

const steps = new Steps();
const step = (name, body) => steps.run(name, body);

// Starts api_test_server with `args`; resolves once it printed DB, with
// its BASE_URL and the fixture's expected figures (EXPECT lines).
function startServer(args) {
  const child = spawn(serverPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  const info = { expected: {}, total: {} };
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const words = line.split(" ");
      if (words[0] === "EXPECT") {
        info.expected[words[1]] = { unit: words[2], numerator: Number(words[3]), denominator: Number(words[4]) };
      } else if (words[0] === "EXPECT_TOTAL") {
        for (let i = 1; i + 1 < words.length; i += 2) info.total[words[i]] = Number(words[i + 1]);
      } else {
        info[words[0]] = words.slice(1).join(" ");
      }
      if (info.DB) resolve({ child, info });
    });
    child.on("exit", (code) => reject(new Error("test server exited early with " + code)));
  });
}

async function stopServer(server) {
  server.child.stdin.end("quit\n");
  await new Promise((resolve) => server.child.on("exit", resolve));
}

// How the page must show a figure with these parts, worked out here from
// the fixture's numerator and denominator (USD: two decimals).
function display({ unit, numerator, denominator }) {
  if (denominator === 0) return "n/a";
  if (unit === "ratio") return ((numerator / denominator) * 100).toFixed(1) + "%";
  return (Math.round(numerator / denominator) / 100).toFixed(2) + " USD";
}


const browser = await launchBrowser({ width: 1200, height: 900 });
const context = browser.context;
const servers = [];
let failed = false;
try {
  const page = context.pages()[0] || (await context.newPage());
  const pageErrors = [];
  const cspViolations = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });

  await step("without a manager password the page says how to set one", async () => {
    const bare = await startServer([]);
    servers.push(bare);
    await page.goto(bare.info.BASE_URL + "/manager");
    await page.waitForSelector("#no-password:not([hidden])");
    assert.match(await page.textContent("#no-password"), /sudo tillbridge manager-password/);
    assert.ok(await page.isHidden("#signin"));
    await screenshot(page, "manager-page-no-password.png");
  });

  const server = await startServer(["--roi-fixture", "--manager-password", PASSWORD]);
  servers.push(server);
  const expected = server.info.expected;
  assert.equal(Object.keys(expected).length, 9, "the fixture's nine headline figures");

  await step("a wrong password is refused with a message and no cookie", async () => {
    await page.goto(server.info.BASE_URL + "/manager");
    await page.waitForSelector("#signin:not([hidden])");
    await page.fill("#password", "not the password");
    await page.click("#signin-form button[type=submit]");
    await page.waitForSelector("#signin-error:not([hidden])");
    assert.equal(await page.textContent("#signin-error"), "Wrong password. Try again.");
    const cookies = await context.cookies(server.info.BASE_URL + "/manager");
    assert.ok(!cookies.some((c) => c.name === "tb_manager"));
    await screenshot(page, "manager-page-wrong-password.png");
  });

  await step("the right password shows the report with the fixture's figures", async () => {
    await page.fill("#password", PASSWORD);
    await page.click("#signin-form button[type=submit]");
    await page.waitForSelector("#report-view:not([hidden])");
    const cookie = (await context.cookies(server.info.BASE_URL + "/manager")).find((c) => c.name === "tb_manager");
    assert.ok(cookie, "manager cookie set");
    assert.equal(cookie.httpOnly, true);
    assert.equal(await page.evaluate(() => document.cookie), "", "cookie invisible to scripts");

    await page.fill("#from", "2026-11-01");
    await page.fill("#to", "2026-11-30");
    await page.click("#range-form button[type=submit]");
    await page.waitForSelector('#report .tb-report[data-first-day="2026-11-01"][data-last-day="2026-11-30"]');
    for (const [key, parts] of Object.entries(expected)) {
      const card = page.locator(`#report .tb-card[data-key="${key}"]`);
      assert.equal(await card.locator(".tb-value").textContent(), display(parts), key);
      assert.match(await card.locator(".tb-how").textContent(), /^How computed: /, key);
      assert.ok((await card.locator(".tb-how").textContent()).includes(" ÷ "), key);
    }
    assert.equal(await page.locator("#report .tb-card").count(), 9);
  });

  await step("the three charts are drawn, labelled, with their values as text", async () => {
    for (const chart of ["trend", "funnel", "repeat"]) {
      const svg = page.locator(`#report svg[data-chart="${chart}"]`);
      assert.equal(await svg.count(), 1, chart);
      assert.ok((await svg.locator("title").first().textContent()).length > 0, chart);
      assert.ok((await svg.locator("desc").textContent()).length > 0, chart);
      const box = await svg.boundingBox();
      assert.ok(box && box.width > 300 && box.height > 50, chart + " is visible");
    }
    const usd = (minor) => (minor / 100).toFixed(2) + " USD";
    const legend = await page.locator('#report svg[data-chart="trend"] text').allTextContents();
    assert.ok(legend.includes("Total revenue: " + usd(server.info.total.revenue)), legend.join("|"));
    assert.ok(legend.includes("Attributed revenue: " + usd(server.info.total.attributed)));
    assert.equal(await page.locator('#report svg[data-chart="trend"] polyline').count(), 2);
    const funnel = await page.locator('#report svg[data-chart="funnel"] text').allTextContents();
    const coupons = expected.coupon_redemption_rate;
    assert.deepEqual(
      funnel.filter((text) => /^\d+$/.test(text)).map(Number),
      [coupons.denominator, coupons.numerator, server.info.total.sales],
    );
    const repeat = await page.locator('#report svg[data-chart="repeat"] text').allTextContents();
    const subscribers = expected.subscriber_repeat_rate;
    assert.ok(repeat.includes(`${display(subscribers)} (${subscribers.numerator} of ${subscribers.denominator})`), repeat.join("|"));
    await screenshot(page, "manager-page.png");
    await page.locator('#report svg[data-chart="trend"]').screenshot({ path: path.join(artifacts, "manager-page-trend.png") });
  });

  await step("the CSV and JSON downloads carry the same range and figures", async () => {
    const csvHref = await page.getAttribute("#download-csv", "href");
    assert.match(csvHref, /from=2026-11-01&to=2026-11-30&format=csv/);
    const csv = await page.evaluate(async (href) => {
      const response = await fetch(href);
      return { status: response.status, text: await response.text() };
    }, csvHref);
    assert.equal(csv.status, 200);
    const coupons = expected.coupon_redemption_rate;
    assert.ok(csv.text.includes(`figure,coupon_redemption_rate,Coupon redemption rate,ratio,`));
    assert.ok(csv.text.includes(`,${coupons.numerator},${coupons.denominator},`));
    const json = await page.evaluate(async (href) => (await fetch(href)).json(), await page.getAttribute("#download-json", "href"));
    for (const [key, parts] of Object.entries(expected)) {
      const figure = json.headline.find((f) => f.key === key);
      assert.equal(figure.numerator, parts.numerator, key);
      assert.equal(figure.denominator, parts.denominator, key);
    }
  });

  await step("signing out ends the session", async () => {
    await page.click("#sign-out");
    await page.waitForSelector("#signin:not([hidden])");
    const status = await page.evaluate(async () => (await fetch("/manager/report?format=json")).status);
    assert.equal(status, 401);
    await page.reload();
    await page.waitForSelector("#signin:not([hidden])");
  });

  assert.deepEqual(pageErrors, [], "no script errors on the page");
  assert.deepEqual(cspViolations, [], "nothing blocked by the page's CSP");
} catch (error) {
  failed = true;
  console.error("not ok - " + (error.stack || error));
} finally {
  await browser.close();
  for (const server of servers) await stopServer(server);
  watchdog.stop();
}
steps.finish(failed);
