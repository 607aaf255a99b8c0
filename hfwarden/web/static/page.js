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
  var box = document.getElementById("filter");
  if (box) { box.addEventListener("input", applyFilter); }
  schedule();
})();
