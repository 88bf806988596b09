// The console's little behaviour: copy buttons, confirmations, the type-the-name guard.
// Event delegation, so that parts swapped in by htmx behave the same.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-http consoles have no async clipboard: fall back to a selected textarea.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy");
    if (!button) {
      return;
    }
    var source = document.getElementById(button.getAttribute("data-copy-from"));
    if (!source) {
      return;
    }
    var status = button.parentElement.querySelector(".copied");
    copyText(source.textContent.trim()).then(
      function () {
        button.setAttribute("data-copied", "true");
        if (status) { status.textContent = "Copied"; }
      },
      function () {
        if (status) { status.textContent = "Select the text and copy it"; }
      });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var guard = form.querySelector("[data-must-equal]");
    if (guard && guard.value !== guard.getAttribute("data-must-equal")) {
      event.preventDefault();
      guard.setAttribute("aria-invalid", "true");
      guard.focus();
      return;
    }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
