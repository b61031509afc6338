// Presenter mode: ← and → move between dimensions; a button asks the browser for full screen;
// the anonymous reasons open behind a toggle; what is typed in the agreed-score form is kept in
// this tab until it is sent. Loaded as a file (strict CSP: no inline scripts).
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

  // The reasons: hidden on every dimension until the facilitator chooses to show them.
  var toggle = document.querySelector("[data-reasons-toggle]");
  var reasons = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (reasons) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? toggle.dataset.hideLabel : toggle.dataset.showLabel;
      reasons.hidden = !open;
    });
  }

  // Drafts: every change to the form is kept in sessionStorage (this tab only, gone when it
  // closes) under the round and dimension, and put back when the page is shown again (another
  // dimension and back, a reload, the reveal). Sending the form forgets it: from then on the
  // server has the text, and a refused save (400, or 409 when someone else saved) shows it
  // again. The draft keeps the version its text was typed against, so a save after someone
  // else's is shown as a conflict rather than replacing theirs unseen.
  var form = document.querySelector("form[data-draft]");
  if (!form) return;
  var key = "smm-consensus-draft:" + form.dataset.draft;
  var store;
  try {
    store = window.sessionStorage;
    store.getItem(key);
  } catch (e) {
    return; // storage refused (private mode): the form still works, without drafts
  }
  var fields = ["reason", "dissent"];
  var version = form.elements.namedItem("version");

  function current() {
    var checked = form.querySelector('input[name="level"]:checked');
    return {
      level: checked ? checked.value : "",
      reason: form.elements.namedItem("reason").value,
      dissent: form.elements.namedItem("dissent").value,
      version: version.value,
    };
  }

  function same(a, b) {
    return a.level === b.level && a.reason === b.reason && a.dissent === b.dissent;
  }

  var shown = current();
  var draft = null;
  try {
    draft = JSON.parse(store.getItem(key) || "null");
  } catch (e) {
    draft = null;
  }
  if (draft && !same(draft, shown)) {
    fields.forEach(function (name) {
      form.elements.namedItem(name).value = draft[name] || "";
    });
    form.querySelectorAll('input[name="level"]').forEach(function (radio) {
      radio.checked = radio.value === draft.level;
    });
    version.value = draft.version;
    var status = form.querySelector("[data-draft-status]");
    if (status) status.textContent = status.dataset.restoredText;
  } else if (draft) {
    store.removeItem(key);
  }

  function keep() {
    store.setItem(key, JSON.stringify(current()));
  }
  form.addEventListener("input", keep);
  form.addEventListener("change", keep);
  form.addEventListener("submit", function () {
    store.removeItem(key);
  });
})();
