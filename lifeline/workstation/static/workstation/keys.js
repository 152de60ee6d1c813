// The station's keymap (help page, F1): a key named in an element's data-key clicks it
// (links in the bar, the print button); [data-print] prints the page. No inline handlers (CSP).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = document.querySelector('[data-key="' + event.key + '"]');
    if (!target) return;
    if (event.key === "Escape" && document.activeElement && document.activeElement.value) return;
    event.preventDefault();
    target.click();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
