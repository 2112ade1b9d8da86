/* motcua — the staff header's bell: the unread count, live.
   A new notification on /ws/notifications/ adds one; when the socket cannot
   stay open (Redis down: close 4503) the count is re-read every 30 s. */
(function () {
  "use strict";
  var badge = document.getElementById("frame-unread");
  if (!badge || document.getElementById("notifications")) return; // the bell page counts itself
  var poller = null;
  function show(n) {
    badge.textContent = n;
    badge.dataset.count = n;
    badge.setAttribute("aria-label", n + " thông báo chưa đọc");
  }
  function reread() {
    fetch("/api/v1/notifications/?unread=true", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (b) { if (b && typeof b.count === "number") show(b.count); })
      .catch(function () {});
  }
  function poll() { if (!poller) poller = setInterval(reread, 30000); }
  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + "/ws/notifications/");
    ws.onopen = function () { if (poller) { clearInterval(poller); poller = null; } };
    ws.onmessage = function (ev) {
      var msg = JSON.parse(ev.data);
      if (msg.type === "notification" && !msg.read_at) show((parseInt(badge.dataset.count, 10) || 0) + 1);
    };
    ws.onclose = function (ev) {
      if (ev.code === 4403 || ev.code === 4401) return;
      poll();
      setTimeout(connect, ev.code === 4503 ? 60000 : 5000);
    };
  }
  connect();
})();
