/* The error summary (templates/includes/error_summary.html): focus it when the page loads, so
   a screen reader reads "There is a problem" first, and make each link focus its field (a plain
   fragment link scrolls but leaves the focus where it was in some browsers). Loaded with a CSP
   nonce; no inline scripts. */
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) { return; }
  summary.focus();
  summary.querySelectorAll("a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      event.preventDefault();
      var label = document.querySelector("label[for='" + target.id + "']");
      (label || target).scrollIntoView({ block: "center" });
      if (target.tabIndex < 0 && !/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus({ preventScroll: true });
    });
  });
})();
