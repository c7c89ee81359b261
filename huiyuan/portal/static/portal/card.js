/* Fetch the member code again just before it changes (no framework; CSP-safe). */
(function () {
  "use strict";
  var holder = document.getElementById("pt-code");
  if (!holder || !window.fetch) { return; }
  function schedule() {
    var box = holder.querySelector("[data-code-url]");
    if (!box) { return; }
    var seconds = parseInt(box.getAttribute("data-seconds"), 10) || 30;
    window.setTimeout(function () { refresh(box.getAttribute("data-code-url")); }, seconds * 1000 + 300);
  }
  function refresh(url) {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok || r.redirected) { throw new Error(r.status); } return r.text(); })
      .then(function (html) { holder.innerHTML = html; schedule(); })
      .catch(function () { window.setTimeout(function () { refresh(url); }, 5000); });
  }
  schedule();
})();
