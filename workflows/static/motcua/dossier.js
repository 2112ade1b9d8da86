/* motcua — the dossier page follows the dossier live: /ws/dossiers/<code>/
   says "dossier.changed", and htmx re-reads the page's live part (unless the
   officer has opened one of its action forms or is typing in one: then a note
   asks to reload, and the form they are using stays; sending it on the old
   state is answered by the server with the fresh state). With the
   channel layer down (close 4503) the page re-reads itself every 30 s. */
(function () {
  "use strict";
  var root = document.getElementById("dossier-live");
  if (!root) return;
  var code = root.dataset.code, poller = null;
  function busy() {
    var live = document.getElementById("dossier-live");
    if (live.querySelector("details[data-action][open]")) return true;
    var el = document.activeElement;
    return el && el.form && live.contains(el) && el.value;
  }
  function changed() {
    if (busy()) {
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
