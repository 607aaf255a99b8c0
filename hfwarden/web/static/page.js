// Refresh the page in place every N seconds (the <main> and the "as of" time), keeping the scroll
// position; if the daemon cannot be reached, say so instead of silently showing old figures.
(function () {
  "use strict";
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
        stale("");
      })
      .catch(function (error) {
        stale("Could not refresh at " + new Date().toLocaleTimeString() + " (" + error.message +
          "): the figures below are older than they look.");
      })
      .then(schedule);
  }
  schedule();
})();
