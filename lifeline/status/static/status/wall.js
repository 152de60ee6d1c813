/* The status wall polls its JSON feed every few seconds and redraws; elapsed times tick every
   second from the server's clock (data "now"), so a wrong screen clock does not matter. */
(function () {
  "use strict";

  var offset = 0; // server time minus this screen's time, in ms

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function span(ms) {
    var s = Math.max(0, Math.floor(ms / 1000)), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s % 60).padStart(2, "0");
  }

  function tile(name, state, detail) {
    var node = el("div", "tile " + state);
    node.appendChild(el("span", "name", name));
    node.appendChild(el("span", "why", detail));
    return node;
  }

  function draw(wall, data) {
    offset = Date.parse(data.now) - Date.now();
    var drill = wall.dataset.drill;
    var list = document.getElementById("incidents");
    list.replaceChildren.apply(list, data.incidents.map(function (i) {
      var item = el("li", i.drill ? "drill" : "");
      item.dataset.id = i.id;
      var elapsed = el("span", "elapsed");
      elapsed.dataset.since = i.opened_at;
      item.appendChild(elapsed);
      item.appendChild(el("span", "title", (i.drill ? drill : "") + "#" + i.id + " " + i.title));
      item.appendChild(el("span", "meta", i.level + " · " + i.status));
      return item;
    }));
    document.getElementById("no-incidents").hidden = data.incidents.length > 0;
    // Alerts that opened no incident: red, above the incidents, until they resolve.
    var unrouted = document.getElementById("unrouted");
    unrouted.replaceChildren.apply(unrouted, data.unrouted.map(function (u) {
      var item = el("li", "unrouted");
      var elapsed = el("span", "elapsed");
      elapsed.dataset.since = u.since;
      item.appendChild(elapsed);
      item.appendChild(el("span", "title", u.name));
      item.appendChild(el("span", "meta", u.source + (u.why ? " · " + u.why : "")));
      return item;
    }));
    document.getElementById("unrouted-section").hidden = data.unrouted.length === 0;
    var components = document.getElementById("components");
    components.replaceChildren.apply(components, data.components.map(function (c) {
      return tile(c.name, c.state, c.why.length ? c.why.join("；") : c.label);
    }));
    var probes = document.getElementById("probes");
    probes.replaceChildren.apply(probes, data.probes.map(function (p) {
      var detail = p.state === "down" ? p.error : (p.latency_ms !== null ? p.latency_ms + " ms" : p.label);
      return tile(p.name, p.state, (p.component ? p.component + " · " : "") + (detail || ""));
    }));
    document.getElementById("no-probes").hidden = data.probes.length > 0;
    var snapshot = data.snapshot, box = document.getElementById("snapshot");
    document.getElementById("snapshot-section").hidden = !snapshot;
    box.replaceChildren.apply(box, snapshot ? [tile(snapshot.name, snapshot.stale ? "down" : "up", snapshot.detail)] : []);
    tick();
  }

  function tick() {
    var now = Date.now() + offset;
    // The hospital's zone (LIFELINE_TIME_ZONE, data-zone), not the screen's: the tiles are in it too.
    var zone = document.getElementById("wall").dataset.zone || undefined;
    document.getElementById("clock").textContent = new Date(now).toLocaleTimeString("zh-CN", {hour12: false, timeZone: zone});
    document.querySelectorAll("[data-since]").forEach(function (node) {
      node.textContent = span(now - Date.parse(node.dataset.since));
    });
  }

  function poll(wall) {
    fetch(wall.dataset.feed, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) { document.getElementById("stale").hidden = true; draw(wall, data); })
      .catch(function () { document.getElementById("stale").hidden = false; })
      .finally(function () { setTimeout(function () { poll(wall); }, Number(wall.dataset.every) * 1000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var wall = document.getElementById("wall");
    poll(wall);
    setInterval(tick, 1000);
  });
})();
