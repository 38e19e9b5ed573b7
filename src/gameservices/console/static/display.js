// The big screen: a link revoked or expired while the screen's stream was closed (the page hidden, the connection
// lost) answers 404 when the stream reconnects, where htmx would retry for ever and the screen keep its old
// standings. The screen then says the link is gone, as an open stream does, and stops trying.
(function () {
  "use strict";
  document.addEventListener("htmx:sse:error", function (event) {
    var live = event.target;
    if (!(live instanceof Element) || live.id !== "standings" || !event.detail || event.detail.status !== 404) {
      return;
    }
    // A new element: htmx's reconnection loop ends once its element has left the page.
    var gone = document.createElement("div");
    gone.id = "standings";
    gone.setAttribute("aria-live", "polite");
    var message = document.createElement("p");
    message.className = "gone";
    message.setAttribute("role", "status");
    message.textContent = "This display link is no longer available.";
    gone.appendChild(message);
    live.replaceWith(gone);
  });
})();
