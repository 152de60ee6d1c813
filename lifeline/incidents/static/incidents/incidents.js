/* Incident pages: countdowns from the server's time, the dashboard's refresh, the keymap.
   No build step. Server timestamps are ISO strings in data-until / data-since; data-now on
   the nearest container is the server's time when it rendered, so a wrong client clock does
   not matter. */
(function () {
  "use strict";

  var offset = 0; // server time minus client time, in ms

  function syncClock(root) {
    var holder = root.querySelector("[data-now]") || document.querySelector("[data-now]");
    if (holder) offset = Date.parse(holder.dataset.now) - Date.now();
  }

  var chinese = /^zh/i.test(document.documentElement.lang || "");

  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
        m = Math.floor(s % 3600 / 60);
    if (chinese) {  // "3小时0分", "12分5秒": seconds only while under an hour
      return (d ? d + "天" : "") + (d || h ? h + "小时" + m + "分" : m + "分" + (s % 60) + "秒");
    }
    return (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " + (s % 60) + "s";
  }

  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("[data-until]").forEach(function (el) {
      var left = Date.parse(el.dataset.until) - now;
      el.textContent = left >= 0 ? span(left) : "−" + span(left);
      el.classList.toggle("overdue", left < 0);
    });
    document.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = span(now - Date.parse(el.dataset.since));
    });
  }

  function refresh(board) {
    fetch(board.dataset.refresh, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { board.innerHTML = html; syncClock(board); tick(); })
      .catch(function () { board.classList.add("stale"); });
  }

  function keymap(event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    var key = event.key, button = document.querySelector('[data-key="' + key + '"]');
    if (key === "n") { var note = document.getElementById("note"); if (note) { note.focus(); event.preventDefault(); } return; }
    if (key === "t") button = document.querySelector("tr.step.open button.tick");
    if (key === "?") { var help = document.querySelector("details.keys"); if (help) help.open = !help.open; return; }
    if (button) { event.preventDefault(); button.click(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    syncClock(document);
    tick();
    setInterval(tick, 1000);
    var board = document.getElementById("board");
    if (board) setInterval(function () { refresh(board); }, (Number(board.dataset.every) || 8) * 1000);
    if (document.getElementById("incident")) document.addEventListener("keydown", keymap);
  });
})();
