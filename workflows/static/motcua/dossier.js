/* motcua — the dossier page follows the dossier live: /ws/dossiers/<code>/
   says "dossier.changed", and htmx re-reads the page's live part (unless the
   officer is typing in one of its forms: then a note asks to reload). With the
   channel layer down (close 4503) the page re-reads itself every 30 s. */
(function () {
  "use strict";
  var root = document.getElementById("dossier-live");
  if (!root) return;
  var code = root.dataset.code, poller = null;
  function typing() {
    var el = document.activeElement;
    return el && el.form && document.getElementById("dossier-live").contains(el) && el.value;
  }
  function changed() {
    if (typing()) {
      var note = document.getElementById("live-note");
      note.textContent = "Hồ sơ vừa được cập nhật. Tải lại trang để xem trạng thái mới.";
      note.classList.remove("hidden");
      return;
    }
    document.body.dispatchEvent(new CustomEvent("dossier-changed"));
  }
  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + "/ws/dossiers/" + encodeURIComponent(code) + "/");
    ws.onopen = function () { if (poller) { clearInterval(poller); poller = null; } };
    ws.onmessage = function (ev) { if (JSON.parse(ev.data).type === "dossier.changed") changed(); };
    ws.onclose = function (ev) {
      if (ev.code === 4404) return;
      if (!poller) poller = setInterval(changed, 30000);
      setTimeout(connect, ev.code === 4503 ? 60000 : 5000);
    };
  }
  connect();
})();
