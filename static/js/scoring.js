/* The stakeholder sheet: autosave feedback, errors shown in place, retry after a lost
   connection, and one submit per click. Loaded with a CSP nonce; no inline scripts. */
(function () {
  "use strict";

  function statusFor(form) {
    return form.querySelector(".save-status");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest ? event.target.closest("form.dimension") : null;
    var status = form && statusFor(form);
    if (status) {
      status.textContent = status.dataset.saving || "Saving…";
    }
  });

  // htmx does not swap 4xx answers by default; ours carry a message for the person.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var code = event.detail.xhr.status;
    if (code === 400 || code === 403 || code === 404 || code === 409 || code === 410 || code === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest ? event.target.closest("form.dimension") : null;
    if (form) {
      if (event.detail.successful) {
        delete form.dataset.unsaved;
      } else if (!event.detail.xhr || event.detail.xhr.status === 0) {
        form.dataset.unsaved = "1";
      }
    }
  });

  document.addEventListener("htmx:sendError", function (event) {
    var form = event.target.closest ? event.target.closest("form.dimension") : null;
    var status = form && statusFor(form);
    if (form && status) {
      form.dataset.unsaved = "1";
      status.textContent = status.dataset.offline ||
        "Not saved: no connection. Your answer is still here and will be saved when you are back online.";
      status.classList.add("text-danger");
    }
  });

  // Back online: save every dimension that failed while offline.
  window.addEventListener("online", function () {
    document.querySelectorAll("form.dimension[data-unsaved]").forEach(function (form) {
      if (window.htmx) {
        window.htmx.trigger(form, "input");
      }
    });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.classList && event.target.classList.contains("save-status")) {
      event.target.classList.remove("text-danger");
    }
  });

  // With JavaScript the plain "Save" buttons are not needed: every change saves itself.
  document.querySelectorAll("form.dimension[data-hx-post] .save-button").forEach(function (button) {
    button.classList.add("visually-hidden");
    button.setAttribute("tabindex", "-1");
  });

  // One submission per click, even for a double click.
  document.querySelectorAll("form.submit-once").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
    });
  });
})();
