// Receiving screen: after htmx has swapped in the form filled from a scan, empty the scan
// field and put the cursor back in it, ready for the next scan (a keyboard-wedge scanner
// types into whatever has focus and ends with Enter, which submits the scan form).
(function () {
  "use strict";
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target;
    if (!form || form.id !== "scan-form") {
      return;
    }
    var input = form.querySelector("input[name=scan]");
    if (input) {
      input.value = "";
      input.focus();
    }
  });
})();
