/* 收银 (basket checkout): the scan box adds a line on Enter (a scanner types the code and
   presses Enter), line and payment edits refresh the quote, F9 or Ctrl+Enter completes.
   The form posts to the quote view through htmx on the "basket:refresh" event; the
   operation travels in the hidden [data-basket-op-field] inside the swapped #basket.
   Also the receipt's paper width toggle ([data-paper]). No inline script: CSP. */
(function () {
  "use strict";
  var timer = null;

  function form() { return document.querySelector("form[data-basket]"); }

  function refresh(op) {
    var f = form();
    if (!f || !window.htmx) return;
    var field = f.querySelector("[data-basket-op-field]");
    if (field) field.value = op || "";
    window.htmx.trigger(f, "basket:refresh");
  }

  document.addEventListener("keydown", function (e) {
    var f = form();
    if (f && (e.key === "F9" || (e.key === "Enter" && (e.ctrlKey || e.metaKey)))) {
      e.preventDefault();
      clearTimeout(timer);
      if (f.requestSubmit) f.requestSubmit(); else f.submit();
      return;
    }
    if (e.key !== "Enter" || !f || !f.contains(e.target) || e.target.tagName !== "INPUT") return;
    // Enter never completes the sale by accident: it adds what was scanned or refreshes.
    e.preventDefault();
    if (e.target.hasAttribute("data-basket-scan")) { refresh("scan"); }
    else if (e.target.hasAttribute("data-basket-coupon")) { refresh("coupon_add"); }
    else if (e.target.hasAttribute("data-basket-amount") || e.target.id === "basket-amount-code") { refresh("amount"); }
    else { clearTimeout(timer); refresh(""); }
  });

  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-basket-op]");
    if (!button || !form()) return;
    e.preventDefault();
    clearTimeout(timer);
    refresh(button.getAttribute("data-basket-op"));
  });

  function live(e) {
    if (!e.target.hasAttribute || !e.target.hasAttribute("data-basket-live")) return;
    clearTimeout(timer);
    timer = setTimeout(function () { refresh(""); }, e.type === "change" ? 0 : 350);
  }
  document.addEventListener("input", live);
  document.addEventListener("change", function (e) { if (e.target.type === "radio") live(e); });

  document.addEventListener("htmx:afterSwap", function (e) {
    var basket = document.getElementById("basket");
    if (!basket) return;
    var scan = document.getElementById("basket-code");
    if (basket.hasAttribute("data-scanned")) {
      if (scan) scan.value = "";
      var code = document.getElementById("basket-amount-code");
      var amount = document.getElementById("basket-amount-yuan");
      if (code) code.value = "";
      if (amount) amount.value = "";
    }
    var active = document.activeElement;
    if (scan && (!active || active === document.body || active === scan)) { scan.focus(); scan.select(); }
  });

  // Receipt: 58 mm or 80 mm thermal paper, remembered on this till.
  function paper(width) {
    var receipt = document.querySelector("[data-receipt-paper]");
    if (!receipt) return;
    receipt.setAttribute("data-receipt-paper", width);
    document.querySelectorAll("[data-paper]").forEach(function (b) {
      b.classList.toggle("active", b.getAttribute("data-paper") === width);
    });
    try { window.localStorage.setItem("huiyuan.paper", width); } catch (err) { /* private mode */ }
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-paper]");
    if (b) { e.preventDefault(); paper(b.getAttribute("data-paper")); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var saved = null;
    try { saved = window.localStorage.getItem("huiyuan.paper"); } catch (err) { /* private mode */ }
    if (saved === "58" || saved === "80") paper(saved);
  });
})();
