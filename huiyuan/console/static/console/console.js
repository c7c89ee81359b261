/* huiyuan console: keyboard-first member search in the top bar. */
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("hy-search");
    var input = document.getElementById("hy-search-input");
    var box = document.getElementById("hy-search-results");
    if (!form || !input || !box) return;
    var active = -1;

    function items() {
      return Array.prototype.slice.call(box.querySelectorAll("[data-member-url]"));
    }
    function highlight(index) {
      var list = items();
      list.forEach(function (el, i) {
        el.classList.toggle("active", i === index);
        el.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (list[index]) list[index].scrollIntoView({ block: "nearest" });
    }
    function open() { if (box.children.length) box.classList.add("show"); }
    function close() { box.classList.remove("show"); active = -1; }

    // "/" or F2 anywhere (but not while typing in another field) focuses the search.
    document.addEventListener("keydown", function (e) {
      var tag = (e.target && e.target.tagName) || "";
      var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(tag) || (e.target && e.target.isContentEditable);
      if (e.key === "F2" || (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey)) {
        e.preventDefault();
        input.focus();
        input.select();
      }
    });

    input.addEventListener("keydown", function (e) {
      var list = items();
      if (e.key === "ArrowDown") {
        e.preventDefault();
        open();
        if (list.length) highlight((active + 1) % list.length);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        if (list.length) highlight(active <= 0 ? list.length - 1 : active - 1);
      } else if (e.key === "Enter") {
        e.preventDefault();
        if (active >= 0 && list[active]) {
          window.location.href = list[active].getAttribute("data-member-url");
        } else if (input.value.trim()) {
          // A scanned card or a typed mobile: let the server jump to the one match.
          form.submit();
        }
      } else if (e.key === "Escape") {
        close();
        input.blur();
      }
    });

    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (e.detail.target !== box) return;
      active = -1;
      if (box.querySelector(".dropdown-item, .dropdown-header, .hy-empty")) open(); else close();
    });
    input.addEventListener("focus", open);
    document.addEventListener("click", function (e) {
      if (!form.contains(e.target)) close();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
