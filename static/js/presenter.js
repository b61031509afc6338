// Presenter mode: ← and → move between dimensions; a button asks the browser for full screen.
// Loaded as a file (strict CSP: no inline scripts).
(function () {
  "use strict";

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (typing(event.target)) return; // arrows move the caret while someone types a reason
    var which = event.key === "ArrowLeft" ? "prev" : event.key === "ArrowRight" ? "next" : null;
    if (!which) return;
    var control = document.querySelector('[data-nav="' + which + '"]');
    if (control && !control.disabled) {
      event.preventDefault();
      control.click();
    }
  });

  var fullscreen = document.querySelector("[data-fullscreen]");
  if (fullscreen && document.documentElement.requestFullscreen) {
    fullscreen.hidden = false;
    fullscreen.addEventListener("click", function () {
      if (document.fullscreenElement) {
        document.exitFullscreen();
      } else {
        document.documentElement.requestFullscreen();
      }
    });
  }
})();
