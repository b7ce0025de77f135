// Cashier page: capture and look up SMS consent at the counter, and show the
// customer's profile (loyalty, visits, coupons, recent texts) from the
// agent's own store, so it works offline. Talks only to this agent's /v1 API
// with the session cookie set by a launch link or a token sign-in; writes
// carry the session's CSRF token. Data goes into the page as text only.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const state = { session: null, disclosures: null, phone: "", profileRequest: 0, couponRequest: 0 };
  const params = new URLSearchParams(window.location.search);
  // On a customer-facing display the customer taps the keypad themselves.
  const method = params.get("mode") === "customer" ? "customer_display" : "cashier_entry";

  const LAUNCH_ERRORS = {
    used: "That launch link was already used. Print a new one with: tillbridge api-token --launch",
    expired: "That launch link has expired. Print a new one with: tillbridge api-token --launch",
    invalid: "That launch link is not valid for this agent.",
    unavailable: "The agent cannot save the sign-in: its data folder cannot be written. Ask IT to run: tillbridge doctor",
  };
  const STATE_WORDS = {
    none: "not asked yet",
    pending: "waiting for the customer's SMS reply (YES)",
    opted_in: "opted in",
    opted_out: "opted out (STOP)",
  };
  const PURPOSE_WORDS = { transactional: "Receipts", marketing: "Offers" };
  const ENGAGEMENT_WORDS = {
    message_sent: "Text received",
    click: "Link clicked",
    redemption: "Coupon redeemed",
  };
  const ENGAGEMENT_COUNT_WORDS = {
    message_sent: "Texts received",
    click: "Clicks",
    redemption: "Coupons redeemed",
  };
  // Cloud data older than this is shown as the agent working offline.
  const STALE_AFTER_S = 10 * 60;

  function show(id, visible) { $(id).hidden = !visible; }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return "page-" + crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "page-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function call(httpMethod, path, body, extraHeaders) {
    const headers = Object.assign({ Accept: "application/json" }, extraHeaders || {});
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (httpMethod !== "GET" && state.session) headers["X-CSRF-Token"] = state.session.csrf_token;
    let response;
    try {
      response = await fetch(path, {
        method: httpMethod,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (error) {
      return { status: 0, data: { error: { field: null, reason: "the agent does not answer (" + error.message + ")" } } };
    }
    let data = null;
    try { data = await response.json(); } catch (ignored) { data = null; }
    if (response.status === 401 && path.startsWith("/v1/")) showSignIn("Signed out: please sign in again.");
    return { status: response.status, data };
  }

  function errorText(data) {
    const error = data && data.error;
    if (!error) return "Something went wrong.";
    const names = { phone: "Phone number", code: "Coupon" };
    const field = names[error.field] || error.field;
    return field ? field + ": " + error.reason : error.reason;
  }

  function formatPhone(e164) {
    const us = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
    return us ? "+1 (" + us[1] + ") " + us[2] + "-" + us[3] : e164;
  }

  function formatTime(rfc3339) {
    if (!rfc3339) return "";
    const date = new Date(rfc3339);
    return isNaN(date) ? rfc3339 : date.toLocaleString();
  }

  function showResult(kind, title, lines, where) {
    const prefix = where || "result";
    const box = $(prefix === "result" ? "result" : prefix + "-result");
    box.className = "message " + kind;
    $(prefix + "-title").textContent = title;
    const list = $(prefix + "-lines");
    list.replaceChildren();
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    }
    box.hidden = false;
  }

  function renderPhone() {
    $("phone").textContent = state.phone;
  }

  function press(key) {
    if (key === "back") state.phone = state.phone.slice(0, -1);
    else if (key === "+") { if (state.phone === "") state.phone = "+"; }
    else if (state.phone.length < 20) state.phone += key;
    renderPhone();
  }

  function setBusy(busy) {
    for (const id of ["record", "stop", "lookup", "clear"]) $(id).disabled = busy;
  }

  function cashierId() {
    const id = $("cashier").value.trim();
    if (id) localStorage.setItem("tillbridge.cashier", id);
    return id;
  }

  function needInput(forWrite) {
    if (!state.phone) { showResult("error", "Enter the customer's number first.", []); return false; }
    if (forWrite && !cashierId()) {
      showResult("error", "Enter your cashier ID (top right) first.", []);
      $("cashier").focus();
      return false;
    }
    return true;
  }

  async function lookup() {
    if (!needInput(false)) return;
    setBusy(true);
    const profile = loadProfile(state.phone);
    const reply = await call("GET", "/v1/consents/" + encodeURIComponent(state.phone));
    await profile;
    setBusy(false);
    if (reply.status !== 200) { showResult("error", errorText(reply.data), []); return; }
    const lines = [];
    for (const purpose of ["transactional", "marketing"]) {
      const record = reply.data.consents[purpose];
      let line = PURPOSE_WORDS[purpose] + ": " + STATE_WORDS[record.state];
      if (record.changed_at) line += ", " + formatTime(record.changed_at) + " (" + record.method + ", " + record.actor + ")";
      lines.push(line);
    }
    showResult("ok", formatPhone(reply.data.phone), lines);
  }

  async function postConsent(purpose, granted) {
    const body = {
      phone: state.phone,
      purpose,
      granted,
      method,
      cashier_id: cashierId(),
    };
    if (granted) body.disclosure_version = state.disclosures[purpose].version;
    return call("POST", "/v1/consents", body, { "Idempotency-Key": newKey() });
  }

  async function record() {
    if (!needInput(true)) return;
    setBusy(true);
    const results = [];
    const wanted = [["transactional", true]];
    if ($("marketing").checked) wanted.push(["marketing", true]);
    for (const [purpose, granted] of wanted) {
      const reply = await postConsent(purpose, granted);
      if (reply.status !== 200 && reply.status !== 201) {
        setBusy(false);
        showResult("error", errorText(reply.data), results.map(describe));
        return;
      }
      results.push(reply.data);
    }
    setBusy(false);
    const pending = results.some((r) => r.state === "pending");
    showResult(pending ? "pending" : "ok",
               "Saved for " + formatPhone(results[0].phone), results.map(describe));
    loadProfile(results[0].phone);
    // The next customer must start from an unticked box.
    $("marketing").checked = false;
  }

  function describe(result) {
    let line = PURPOSE_WORDS[result.purpose] + ": " + STATE_WORDS[result.state];
    if (result.note) line += " (" + result.note + ")";
    return line;
  }

  async function stop() {
    if (!needInput(true)) return;
    setBusy(true);
    const results = [];
    for (const purpose of ["transactional", "marketing"]) {
      const reply = await postConsent(purpose, false);
      if (reply.status !== 200 && reply.status !== 201) {
        setBusy(false);
        showResult("error", errorText(reply.data), results.map(describe));
        return;
      }
      results.push(reply.data);
    }
    setBusy(false);
    showResult("ok", "Stopped all texts to " + formatPhone(results[0].phone), results.map(describe));
    loadProfile(results[0].phone);
  }

  function money(minor, currency) {
    return (minor / 100).toFixed(2) + " " + currency;
  }

  // Minor units in the currency's own format ($1,234.50, ¥1,234), falling
  // back to plain digits for a code the browser does not know.
  function formatMoney(minor, currency) {
    try {
      const format = new Intl.NumberFormat(undefined, { style: "currency", currency });
      const digits = format.resolvedOptions().maximumFractionDigits;
      return format.format(minor / Math.pow(10, digits));
    } catch (ignored) {
      return money(minor, currency);
    }
  }

  function formatAge(seconds) {
    if (seconds < 60) return "just now";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min ago";
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + " h ago";
    return Math.floor(hours / 24) + " days ago";
  }

  function formatDay(rfc3339) {
    const date = new Date(rfc3339);
    return isNaN(date) ? rfc3339 : date.toLocaleDateString();
  }

  function words(name) {
    return String(name).replace(/_/g, " ");
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fillList(id, items, empty) {
    const list = $(id);
    list.replaceChildren(...items);
    if (items.length === 0 && empty) list.appendChild(element("li", "none", empty));
  }

  function clearProfile() {
    state.profileRequest += 1;
    show("profile", false);
  }

  // Shows the profile of `phone` (as typed or E.164). A later call wins over
  // an earlier one that answers late.
  async function loadProfile(phone) {
    const request = ++state.profileRequest;
    const reply = await call("GET", "/v1/customers/" + encodeURIComponent(phone));
    if (request !== state.profileRequest) return;
    show("profile-error", false);
    show("profile-new", false);
    show("profile-known", false);
    $("profile-freshness").textContent = "";
    $("profile").className = "profile";
    if (reply.status === 200) {
      renderProfile(reply.data);
    } else if (reply.status === 404) {
      $("profile").className = "profile new";
      $("profile-title").textContent = "New customer";
      show("profile-new", true);
    } else if (reply.status === 400) {
      // The lookup's own message explains a number that is not valid.
      show("profile", false);
      return;
    } else {
      $("profile-title").textContent = "Profile not available";
      $("profile-error").textContent = errorText(reply.data);
      show("profile-error", true);
    }
    show("profile", true);
  }

  function renderFreshness(cloud) {
    const line = $("profile-freshness");
    if (!cloud || cloud.age_s === null || cloud.age_s === undefined) {
      line.className = "freshness stale";
      line.textContent = "Cloud data: never synced";
    } else if (cloud.age_s > STALE_AFTER_S) {
      line.className = "freshness stale";
      line.textContent = "Offline — cloud data as of " + formatTime(cloud.last_pull_at) +
                         " (" + formatAge(cloud.age_s) + ")";
    } else {
      line.className = "freshness fresh";
      line.textContent = "Cloud data from " + formatAge(cloud.age_s);
    }
  }

  function renderProfile(profile) {
    $("profile-title").textContent = formatPhone(profile.phone);
    renderFreshness(profile.cloud);

    const segments = Array.isArray(profile.segments) ? profile.segments.map(String) : [];
    const vip = segments.some((name) => name.toLowerCase() === "vip");
    const chips = [];
    if (vip) chips.push(element("li", "segment vip", "VIP"));
    for (const name of segments) {
      if (name.toLowerCase() !== "vip") chips.push(element("li", "segment", words(name)));
    }
    fillList("profile-segments", chips);
    show("profile-segments", chips.length > 0);

    const loyalty = profile.loyalty || {};
    const purchases = profile.purchases || {};
    $("profile-points").textContent =
      loyalty.points === null || loyalty.points === undefined ? "—" : loyalty.points.toLocaleString();
    $("profile-tier").textContent = loyalty.tier ? words(loyalty.tier) : "—";
    $("profile-visits").textContent = String(purchases.count || 0);
    $("profile-value").textContent = purchases.currency
      ? formatMoney(purchases.lifetime_value_minor, purchases.currency)
      : "—";

    const consent = [];
    for (const purpose of ["transactional", "marketing"]) {
      const record = profile.consent && profile.consent[purpose];
      if (!record) continue;
      const item = element("li", "consent-line " + record.state);
      item.appendChild(element("span", "consent-state", PURPOSE_WORDS[purpose] + ": " + STATE_WORDS[record.state]));
      if (record.since) {
        item.appendChild(element("span", "detail", "since " + formatTime(record.since) +
                                 (record.method ? " · " + words(record.method) : "")));
      }
      consent.push(item);
    }
    fillList("profile-consent", consent);

    const coupons = (profile.coupons || []).map((coupon) => {
      const item = element("li", "coupon-line");
      item.appendChild(element("span", "coupon-code", coupon.code));
      if (coupon.description) item.appendChild(element("span", "detail", coupon.description));
      item.appendChild(element("span", "detail",
                               coupon.valid_until ? "valid until " + formatDay(coupon.valid_until) : "no end date"));
      return item;
    });
    fillList("profile-coupons", coupons, "No coupons valid now");

    const shopping = [];
    if (purchases.last_purchase_at) {
      shopping.push(element("li", "", "Last purchase: " + formatTime(purchases.last_purchase_at)));
    } else {
      shopping.push(element("li", "none", "No purchases seen at this store"));
    }
    if (purchases.preferred_store_id) {
      shopping.push(element("li", "", "Preferred store: " + purchases.preferred_store_id));
    }
    if (purchases.average_order_minor !== null && purchases.average_order_minor !== undefined && purchases.currency) {
      shopping.push(element("li", "", "Average order: " + formatMoney(purchases.average_order_minor, purchases.currency)));
    }
    if (loyalty.numbers && loyalty.numbers.length > 0) {
      shopping.push(element("li", "", "Loyalty number: " + loyalty.numbers[0]));
    }
    fillList("profile-shopping", shopping);

    const engagement = profile.engagement || { counts: {}, recent: [] };
    const counts = [];
    for (const kind of Object.keys(ENGAGEMENT_COUNT_WORDS)) {
      counts.push(ENGAGEMENT_COUNT_WORDS[kind] + ": " + (engagement.counts[kind] || 0));
    }
    $("profile-engagement-counts").textContent = counts.join(" · ");
    const recent = (engagement.recent || []).map((event) => {
      const item = element("li", "engagement-line");
      item.appendChild(element("span", "engagement-kind", ENGAGEMENT_WORDS[event.kind] || words(event.kind)));
      item.appendChild(element("span", "campaign", event.campaign || "no campaign"));
      item.appendChild(element("span", "detail", formatTime(event.occurred_at)));
      return item;
    });
    fillList("profile-engagement", recent, "No texts yet");
    show("profile-known", true);
  }

  // Coupons are checked against what the agent has synced, so this works
  // offline; the coupon is used up by the sale that carries its code.
  // A scanner can send the next coupon before the last answer is back:
  // the code is selected as soon as it is sent, so the next scan replaces
  // it, and only the latest check's answer is shown (the form is busy
  // until then).
  async function checkCoupon() {
    const code = $("coupon-code").value.trim();
    if (!code) { showResult("error", "Scan the coupon or type its code first.", [], "coupon"); return; }
    const request = ++state.couponRequest;
    $("coupon-form").dataset.busy = "true";
    $("coupon-code").select();
    const reply = await call("GET", "/v1/coupons/" + encodeURIComponent(code));
    if (request !== state.couponRequest) return;
    delete $("coupon-form").dataset.busy;
    if (reply.status !== 200) { showResult("error", errorText(reply.data), [], "coupon"); return; }
    const coupon = reply.data;
    const lines = [];
    if (coupon.description) lines.push(coupon.description);
    if (coupon.upc) lines.push("UPC " + coupon.upc);
    if (coupon.discount_percent !== null) lines.push("Discount: " + coupon.discount_percent + "%");
    if (coupon.discount_minor !== null) lines.push("Discount: " + money(coupon.discount_minor, coupon.currency));
    if (coupon.valid_until) lines.push("Valid until " + formatTime(coupon.valid_until));
    lines.push("Uses left: " + coupon.redemptions_left);
    if (coupon.valid) {
      showResult("ok", coupon.code + " is valid: enter it on the sale", lines, "coupon");
    } else {
      showResult("error", coupon.code + ": " + coupon.reason, lines, "coupon");
    }
  }

  async function loadDisclosures() {
    const reply = await call("GET", "/v1/disclosures/current");
    if (reply.status !== 200) { showResult("error", errorText(reply.data), []); return false; }
    state.disclosures = reply.data;
    for (const purpose of ["transactional", "marketing"]) {
      const disclosure = reply.data[purpose];
      $(purpose + "-text").textContent = disclosure ? disclosure.text : "No disclosure is installed.";
      $(purpose + "-frequency").textContent = disclosure ? disclosure.frequency : "";
      $(purpose + "-version").textContent = disclosure ? disclosure.version : "-";
    }
    $("record").disabled = !reply.data.transactional;
    return true;
  }

  function showSignIn(message) {
    state.session = null;
    show("loading", false);
    show("capture", false);
    show("cashier-label", false);
    show("sign-out", false);
    show("signin", true);
    $("signin-error").textContent = message || "";
    show("signin-error", Boolean(message));
  }

  async function showCapture(session) {
    state.session = session;
    $("where").textContent = session.store_id + " · " + session.terminal_id;
    $("region-hint").textContent = "Numbers without a + are read as " + session.default_region + " numbers.";
    $("cashier").value = localStorage.getItem("tillbridge.cashier") || "";
    $("marketing").checked = false;
    show("loading", false);
    show("signin", false);
    show("capture", true);
    show("cashier-label", true);
    show("sign-out", true);
    await loadDisclosures();
  }

  async function start() {
    const launchError = params.get("launch_error");
    if (launchError) {
      params.delete("launch_error");
      const rest = params.toString();
      history.replaceState(null, "", "/" + (rest ? "?" + rest : ""));
    }
    const reply = await call("GET", "/session");
    if (reply.status === 200) await showCapture(reply.data);
    else showSignIn(launchError ? LAUNCH_ERRORS[launchError] || "The launch link did not work." : "");
  }

  $("keypad").addEventListener("click", (event) => {
    const key = event.target.closest("button[data-key]");
    if (key) press(key.dataset.key);
  });
  document.addEventListener("keydown", (event) => {
    if ($("capture").hidden || event.target.tagName === "INPUT") return;
    if (/^[0-9]$/.test(event.key)) press(event.key);
    else if (event.key === "+") press("+");
    else if (event.key === "Backspace") press("back");
    else if (event.key === "Enter") lookup();
    else return;
    event.preventDefault();
  });
  $("clear").addEventListener("click", () => {
    state.phone = "";
    renderPhone();
    $("result").hidden = true;
    clearProfile();
  });
  $("lookup").addEventListener("click", lookup);
  $("record").addEventListener("click", record);
  $("stop").addEventListener("click", stop);
  $("coupon-form").addEventListener("submit", (event) => { event.preventDefault(); checkCoupon(); });
  $("sign-out").addEventListener("click", async () => {
    await call("DELETE", "/session");
    showSignIn("");
  });
  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const reply = await call("POST", "/session", { token: $("token").value.trim() });
    $("token").value = "";
    if (reply.status === 200) await showCapture(reply.data);
    else showSignIn(errorText(reply.data));
  });

  start();
})();
