// The rank widget: reads the USER KS from the URL fragment (never sent to a server by the browser), drops it
// from the address bar, and fetches the user's rank with the KS in an Authorization header.
(function () {
  "use strict";
  var box = document.getElementById("rank");
  var params = new URLSearchParams(window.location.hash.slice(1));
  var ks = params.get("ks");
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  function load() {
    if (!ks) {
      box.innerHTML = "<p class=\"error\" role=\"alert\">No KS was given to the widget.</p>";
      return;
    }
    var url = "/widget/rank/data?gameObjectId=" + encodeURIComponent(box.dataset.gameObjectId);
    fetch(url, { headers: { Authorization: "Bearer " + ks }, credentials: "omit", cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () { box.innerHTML = "<p class=\"error\" role=\"alert\">The rank could not be loaded.</p>"; });
  }
  load();
  window.setInterval(load, 15000);
})();
