/* A form sent back with errors: bring its first error into view and put the cursor in its field
   (the notice form's error sat 1,080 px down the page). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var error = document.querySelector("main .errorlist, main .messages li.error");
    if (!error) return;
    error.scrollIntoView({block: "center"});
    var holder = error.closest("p, div, li, td, fieldset") || error.parentElement;
    var field = holder && holder.querySelector("input:not([type=hidden]), select, textarea");
    if (field) field.focus({preventScroll: true});
  });
})();
