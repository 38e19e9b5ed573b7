// The console's live views (the dashboard's activity, the events tail, a leaderboard's live top): once the session
// has ended (signed out, here or in another tab, or expired), a stream answers 401 when it reconnects, and 403 when
// the session's KS may no longer read, where htmx would retry for ever and the view keep its old figures. The view
// then says the session ended, with a link to sign in again, and stops trying.
(function () {
  "use strict";
  var SIGN_IN = "/console/signin";
  var SAID = {
    401: "Your session has ended: this view is no longer updated. ",
    403: "Your session may no longer read this view: it is no longer updated. "
  };
  document.addEventListener("htmx:sse:error", function (event) {
    var live = event.target;
    var said = event.detail ? SAID[event.detail.status] : undefined;
    if (!(live instanceof Element) || !live.hasAttribute("hx-sse:connect") || said === undefined) {
      return;
    }
    // A new element: htmx's reconnection loop ends once its element has left the page.
    var ended = document.createElement("div");
    ended.id = live.id;
    var message = document.createElement("p");
    message.className = "error session-ended";
    message.setAttribute("role", "status");
    message.appendChild(document.createTextNode(said));
    var link = document.createElement("a");
    link.href = SIGN_IN;
    link.textContent = "Sign in again";
    message.appendChild(link);
    ended.appendChild(message);
    live.replaceWith(ended);
  });
})();
