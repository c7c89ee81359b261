/* Alpine.js components. The console loads Alpine's CSP build (no eval), so state with
   logic is registered here and templates only name it (x-data="birthCalendar"). Load
   this file before Alpine itself. */
document.addEventListener("alpine:init", function () {
  "use strict";

  // The member form's birthday: solar or lunar; the lunar-only fields follow the choice.
  // The initial choice comes from data-calendar, never from text inside an expression.
  window.Alpine.data("birthCalendar", function () {
    return {
      calendar: "solar",
      init: function () {
        this.calendar = this.$el.getAttribute("data-calendar") === "lunar" ? "lunar" : "solar";
      },
      get lunar() {
        return this.calendar === "lunar";
      },
    };
  });
});
