/* motcua — the inbox follows the officer's centres live: /ws/inbox/ says
   "inbox.changed" and htmx re-reads the list (at most once a second, never
   while boxes are ticked). With the layer down (4503) the list is re-read
   every 30 s. */
(function () {
  "use strict";
  var pending = null, poller = null;
  function ticked() { return document.querySelectorAll('#inbox-live input[name="codes"]:checked').length > 0; }
  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      if (!ticked()) document.body.dispatchEvent(new CustomEvent("inbox-changed"));
    }, 1000);
  }
  document.addEventListener("change", function (e) {
    if (e.target && e.target.id === "select-all") {
      document.querySelectorAll('#inbox-live input[name="codes"]').forEach(function (box) { box.checked = e.target.checked; });
    }
  });
  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + "/ws/inbox/");
    ws.onopen = function () { if (poller) { clearInterval(poller); poller = null; } };
    ws.onmessage = function (ev) { if (JSON.parse(ev.data).type === "inbox.changed") refresh(); };
    ws.onclose = function (ev) {
      if (ev.code === 4403) return;
      if (!poller) poller = setInterval(refresh, 30000);
      setTimeout(connect, ev.code === 4503 ? 60000 : 5000);
    };
  }
  connect();
})();
