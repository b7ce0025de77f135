// Manager page: signs in with the manager password (not the cashier's
// token) and shows the ROI report for a date range. The report arrives as
// HTML rendered and escaped by the agent; it holds no scripts and the
// page's CSP would not run any.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const views = ["loading", "no-password", "signin", "report-view"];

  function show(view) {
    for (const id of views) $(id).hidden = id !== view;
    $("sign-out").hidden = view !== "report-view";
  }

  function showError(id, text) {
    $(id).textContent = text;
    $(id).hidden = !text;
  }

  async function call(method, path, body) {
    const options = { method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    let data = null;
    if ((response.headers.get("Content-Type") || "").startsWith("application/json")) {
      data = await response.json();
    } else {
      data = await response.text();
    }
    return { status: response.status, data };
  }

  function reason(data, fallback) {
    return (data && data.error && data.error.reason) || fallback;
  }

  function reportUrl(format, extra) {
    const query = new URLSearchParams({ from: $("from").value, to: $("to").value, format });
    for (const [key, value] of Object.entries(extra || {})) query.set(key, value);
    return "/manager/report?" + query.toString();
  }

  function updateDownloads() {
    $("download-csv").href = reportUrl("csv");
    $("download-json").href = reportUrl("json", { download: "1" });
    $("download-html").href = reportUrl("html");
  }

  async function loadReport() {
    showError("report-error", "");
    if ($("from").value > $("to").value) {
      showError("report-error", "The first day is after the last day.");
      return;
    }
    updateDownloads();
    $("report-loading").hidden = false;
    try {
      const answer = await call("GET", reportUrl("fragment"));
      if (answer.status === 401) {
        await start();
        return;
      }
      if (answer.status !== 200) {
        showError("report-error", reason(answer.data, "The report could not be computed."));
        return;
      }
      const parsed = new DOMParser().parseFromString(answer.data, "text/html");
      $("report").replaceChildren(...Array.from(parsed.body.childNodes));
    } catch (error) {
      showError("report-error", "The agent does not answer. Is it running?");
    } finally {
      $("report-loading").hidden = true;
    }
  }

  function enterReport(session) {
    $("where").textContent = "Store " + session.store_id;
    if (!$("from").value) $("from").value = session.default_from;
    if (!$("to").value) $("to").value = session.default_to;
    show("report-view");
    loadReport();
  }

  async function start() {
    show("loading");
    try {
      const answer = await call("GET", "/manager/session");
      if (answer.status === 200) {
        enterReport(answer.data);
      } else if (answer.data && answer.data.password_set === false) {
        show("no-password");
      } else {
        show("signin");
        $("password").focus();
      }
    } catch (error) {
      $("loading").textContent = "The agent does not answer. Is it running?";
    }
  }

  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("signin-error", "");
    const password = $("password").value;
    if (!password) {
      showError("signin-error", "Enter the manager password.");
      return;
    }
    try {
      const answer = await call("POST", "/manager/login", { password });
      $("password").value = "";
      if (answer.status === 200) {
        enterReport(answer.data);
      } else if (answer.status === 401) {
        showError("signin-error", "Wrong password. Try again.");
      } else if (answer.status === 429) {
        showError("signin-error", "Too many wrong passwords. Wait a minute, then try again.");
      } else if (answer.status === 409) {
        show("no-password");
      } else {
        showError("signin-error", reason(answer.data, "Sign-in failed."));
      }
    } catch (error) {
      showError("signin-error", "The agent does not answer. Is it running?");
    }
  });

  $("range-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadReport();
  });

  $("sign-out").addEventListener("click", async () => {
    await call("POST", "/manager/logout", {});
    $("report").replaceChildren();
    start();
  });

  start();
})();
