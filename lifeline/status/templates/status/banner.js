/* Lifeline service status banner: <script src="{{ page_url }}banner.js"></script> puts one line where it stands. */
(function () {
  var colours = {operational: "#1e8e3e", degraded: "#c77700", outage: "#c5221f", maintenance: "#1a73e8"};
  var link = document.createElement("a");
  link.href = "{{ page_url|escapejs }}";
  link.target = "_blank";
  link.rel = "noopener";
  link.className = "lifeline-status-banner lifeline-status-{{ state|escapejs }}";
  link.textContent = "{{ line|escapejs }}";
  link.title = link.textContent;  // the whole line, where the narrow banner ends it with "…"
  link.style.cssText = "display:block;padding:.4em .8em;color:#fff;text-decoration:none;white-space:nowrap;" +
    "overflow:hidden;text-overflow:ellipsis;background:" + colours["{{ state|escapejs }}"];
  var here = document.currentScript;
  if (here && here.parentNode) here.parentNode.insertBefore(link, here);
  else document.body.insertBefore(link, document.body.firstChild);
})();
