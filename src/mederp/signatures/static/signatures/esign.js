/* E-signature dialog: opens the dialog HTMX loaded into #esign-slot as a modal <dialog>,
   puts the focus in it, and gives the focus back to the button that opened it on close.
   A static file (CSP script-src 'self'); without JavaScript the button is a plain link to
   the same form on a page of its own. */
(function () {
  "use strict";
  var opener = null;

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    var open = target.closest("[data-esign-open]");
    if (open) {
      opener = open;
    }
    var close = target.closest("[data-esign-close]");
    var dialog = close ? close.closest("dialog[data-esign-dialog]") : null;
    if (dialog) {
      event.preventDefault();
      dialog.close();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var slot = event.detail && event.detail.target;
    if (!slot || slot.id !== "esign-slot") {
      return;
    }
    var dialog = slot.querySelector("dialog[data-esign-dialog]");
    if (!dialog) {
      return;
    }
    dialog.addEventListener("close", function () {
      if (dialog.isConnected) {
        dialog.remove();
        if (opener && opener.isConnected) {
          opener.focus();
        }
      }
    });
    if (!dialog.open && typeof dialog.showModal === "function") {
      dialog.showModal();
    }
    var first = dialog.querySelector("[aria-invalid='true']") ||
      dialog.querySelector("input:not([type='hidden']), textarea");
    if (first) {
      first.focus();
    }
  });
})();
