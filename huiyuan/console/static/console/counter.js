/* Counter pages: fill buttons and package chips (one submit per form: behaviours.js). */
(function () {
  "use strict";
  function fire(el) { el.dispatchEvent(new Event("input", { bubbles: true })); el.dispatchEvent(new Event("change", { bubbles: true })); }
  document.addEventListener("click", function (e) {
    var fill = e.target.closest("[data-fill]");
    if (fill) {
      e.preventDefault();
      var target = document.querySelector(fill.getAttribute("data-fill"));
      if (target) { target.value = fill.getAttribute("data-value"); fire(target); target.focus(); }
      return;
    }
    var chip = e.target.closest("[data-package]");
    if (chip) {
      e.preventDefault();
      var amount = document.getElementById("id_amount");
      var pkg = document.getElementById("id_package");
      var on = !chip.classList.contains("active");
      document.querySelectorAll("[data-package]").forEach(function (c) { c.classList.remove("active"); });
      if (on) { chip.classList.add("active"); amount.value = chip.getAttribute("data-pay"); pkg.value = chip.getAttribute("data-package"); }
      else { pkg.value = ""; }
      showBonus();
      amount.focus();
    }
  });
  function showBonus() {
    var hint = document.getElementById("bonus-hint");
    if (!hint) return;
    var active = document.querySelector("[data-package].active");
    var amount = document.getElementById("id_amount");
    var chips = document.querySelector("[data-packages-none]");
    if (active) { hint.textContent = active.getAttribute("data-bonus-text"); hint.classList.remove("d-none"); }
    else if (chips && amount && amount.value.trim() !== "") {
      hint.textContent = chips.getAttribute("data-packages-none"); hint.classList.remove("d-none");
    }
    else { hint.classList.add("d-none"); }
  }
  function asYuan(text) {  // "500" / "500.0" / "¥500" → "500.00"; "" when not an amount
    var n = Number(String(text).replace(/[¥,\s]/g, ""));
    return text.trim() !== "" && isFinite(n) && n > 0 ? n.toFixed(2) : "";
  }
  document.addEventListener("input", function (e) {
    if (e.target.id !== "id_amount") return;
    // A typed amount that is a package's price selects that package; any other amount
    // deselects it, and the hint says that no bonus applies.
    var typed = asYuan(e.target.value);
    var pkg = document.getElementById("id_package");
    var match = null;
    document.querySelectorAll("[data-package]").forEach(function (c) {
      if (typed && c.getAttribute("data-pay") === typed) match = c;
      c.classList.remove("active");
    });
    if (match) { match.classList.add("active"); if (pkg) pkg.value = match.getAttribute("data-package"); }
    else if (pkg) { pkg.value = ""; }
    showBonus();
  });
  document.addEventListener("DOMContentLoaded", function () {
    showBonus();
    var auto = document.querySelector("[data-autofocus]");
    if (auto) { auto.focus(); if (auto.select) auto.select(); }
  });
})();
