// Refresh the page in place every N seconds (the <main> and the "as of" time), keeping the scroll
// position; if the daemon cannot be reached, say so instead of silently showing old figures.
(function () {
  "use strict";
  // The filter box sits outside <main>, so what was typed survives a refresh and is applied again.
  function applyFilter() {
    var box = document.getElementById("filter");
    var query = box ? box.value.trim().toLowerCase() : "";
    document.querySelectorAll("#endpoints article.endpoint").forEach(function (card) {
      card.hidden = query !== "" && card.getAttribute("data-endpoint").toLowerCase().indexOf(query) < 0;
    });
  }
  function schedule() {
    var main = document.getElementById("content");
    var seconds = main ? parseInt(main.getAttribute("data-refresh"), 10) : 0;
    if (seconds > 0) { window.setTimeout(refresh, seconds * 1000); }
  }
  function stale(message) {
    var banner = document.getElementById("stale");
    if (!banner) { return; }
    banner.textContent = message;
    banner.hidden = !message;
  }
  function refresh() {
    fetch(window.location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html");
        var header = fresh.querySelector("header.top");
        var main = fresh.getElementById("content");
        if (!header || !main) { throw new Error("unexpected answer"); }
        document.querySelector("header.top").replaceWith(header);
        document.getElementById("content").replaceWith(main);
        applyFilter();
        stale("");
      })
      .catch(function (error) {
        stale("Could not refresh at " + new Date().toLocaleTimeString() + " (" + error.message +
          "): the figures below are older than they look.");
      })
      .then(schedule);
  }
  // Hold and release buttons (only on a page with a UI token): JSON to the write API with the token as
  // a bearer token. The token is asked once and kept for this tab only; it is never in the page.
  function token() {
    var kept = window.sessionStorage.getItem("hfwarden-ui-token");
    if (!kept) {
      kept = window.prompt("hfwarden UI token (HFWARDEN_UI_TOKEN) to change holds and releases");
      if (kept) { window.sessionStorage.setItem("hfwarden-ui-token", kept); }
    }
    return kept;
  }
  function write(button) {
    var box = button.closest("[data-write-endpoint]");
    var endpoint = box.getAttribute("data-write-endpoint");
    var result = box.querySelector(".write-result");
    var kind = button.getAttribute("data-write");
    var path = kind === "hold" ? "api/v1/holds" :
      (kind === "unhold" ? "api/v1/holds/" : "api/v1/releases/") + endpoint;
    var secret = token();
    if (!secret) { return; }
    var body = kind === "hold" ?
      JSON.stringify({ endpoint: endpoint, until: button.getAttribute("data-until"), reason: "from the status page" }) :
      undefined;
    result.textContent = "…";
    fetch(new URL(path, window.location.origin + "/"), {
      method: kind === "unhold" ? "DELETE" : "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + secret },
      body: body, cache: "no-store", credentials: "omit"
    })
      .then(function (response) {
        if (response.status === 401) { window.sessionStorage.removeItem("hfwarden-ui-token"); }
        return response.json().then(function (answer) {
          result.textContent = response.ok ? (answer.quote || "done") : (answer.error || "HTTP " + response.status);
          result.setAttribute("data-ok", response.ok ? "true" : "false");
        });
      })
      .catch(function (error) { result.textContent = "failed: " + error.message; });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-write]") : null;
    if (button) { write(button); }
  });
  var box = document.getElementById("filter");
  if (box) { box.addEventListener("input", applyFilter); }
  schedule();
})();
