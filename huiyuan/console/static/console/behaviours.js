/* huiyuan console: small behaviours declared with data attributes, so that no template
   needs an inline script or an on*= handler (the Content-Security-Policy forbids both).

     data-confirm="text"      on a button or link: ask before the click goes through;
                              on a form: ask before it is submitted
     data-once                on a form: submit it once, then disable its buttons
     data-print               on a button: print the page
     data-select-on-focus     on an input: select its text when it gets the focus
     data-copy="#selector"    on a button: copy that input's value (label from data-copied)
     data-width="42"          on an element: its width in percent (progress bars)
*/
(function () {
  "use strict";

  // Capture phase: a refused confirmation stops the event before any other listener
  // (data-once, htmx) sees it.
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (!el || el.tagName === "FORM") return;
    if (!window.confirm(el.getAttribute("data-confirm"))) {
      e.preventDefault();
      e.stopPropagation();
    }
  }, true);

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      e.preventDefault();
      e.stopPropagation();
    }
  }, true);

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute("data-once")) return;
    if (form.dataset.sent) { e.preventDefault(); return; }
    form.dataset.sent = "1";
    setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        b.disabled = true;
        b.classList.add("btn-loading");
      });
    }, 0);
  });

  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-print]")) {
      e.preventDefault();
      window.print();
      return;
    }
    var copy = e.target.closest("[data-copy]");
    if (!copy) return;
    var input = document.querySelector(copy.getAttribute("data-copy"));
    if (!input) return;
    input.select();
    var done = function () {
      copy.classList.replace("btn-primary", "btn-success");
      var label = copy.querySelector("span");
      if (label && copy.dataset.copied) label.textContent = copy.dataset.copied;
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done);
    } else {
      document.execCommand("copy");
      done();
    }
  });

  document.addEventListener("focusin", function (e) {
    if (e.target.hasAttribute && e.target.hasAttribute("data-select-on-focus") && e.target.select) {
      e.target.select();
    }
  });

  // Widths set through the CSS object model, which the policy allows (style attributes in
  // the markup would need 'unsafe-inline').
  function sizeWithin(root) {
    var nodes = root.querySelectorAll ? root.querySelectorAll("[data-width]") : [];
    Array.prototype.forEach.call(nodes, function (el) {
      var value = parseFloat(el.getAttribute("data-width"));
      if (!isNaN(value)) el.style.width = Math.max(0, Math.min(100, value)) + "%";
    });
  }
  document.addEventListener("htmx:load", function (e) { sizeWithin(e.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { sizeWithin(document); });
  } else {
    sizeWithin(document);
  }
})();
