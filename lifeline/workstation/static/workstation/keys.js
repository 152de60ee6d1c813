// The station's keymap (help page, F1): a key named in an element's data-key clicks it
// (links in the bar, the print button); one in the page's main part wins over the bar's (F3/F4
// on the search results: the first patient found). [data-print] prints the page. No inline
// handlers (CSP).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var selector = '[data-key="' + event.key + '"]';
    var target = document.querySelector("main " + selector) || document.querySelector(selector);
    if (!target) return;
    if (event.key === "Escape" && document.activeElement && document.activeElement.value) return;
    event.preventDefault();
    target.click();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
