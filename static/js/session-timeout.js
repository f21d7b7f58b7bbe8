// Automatic logoff, seen coming: a minute before an idle login ends, say so and offer to stay.
// The server decides (clinic.middleware.SessionTimeoutMiddleware); this script only asks it how
// long is left (GET, which is not activity, so other tabs' clicks count) and, on "Stay logged in",
// tells it the person is still here (POST).
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.dataset.sessionIdle, 10);
  var url = body.dataset.sessionUrl;
  var box = document.getElementById("session-warning");
  if (!idle || !url || !box) { return; }
  var WARN = 60;
  var countdownEl = box.querySelector("[data-seconds-left]");
  var stayButton = box.querySelector("button[data-stay]");
  var deadline = Date.now() + idle * 1000;
  var ticker = null;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function loggedOut() {
    window.location.assign(body.dataset.loginUrl + "?next=" + encodeURIComponent(window.location.pathname + window.location.search));
  }

  function ask(method) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method === "POST") { options.headers["X-CSRFToken"] = csrfToken(); }
    return fetch(url, options).then(function (response) {
      if (response.status === 401) { loggedOut(); return null; }
      return response.json();
    }).then(function (data) {
      if (data) { deadline = Date.now() + data.seconds_left * 1000; }
      return data;
    });
  }

  function hide() {
    box.hidden = true;
    if (ticker) { clearInterval(ticker); ticker = null; }
  }

  function show() {
    box.hidden = false;
    stayButton.focus();
    ticker = setInterval(function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      countdownEl.textContent = left;
      if (left <= 0) { clearInterval(ticker); ask("GET").then(function (data) { if (data && data.seconds_left <= 0) { loggedOut(); } else { hide(); schedule(); } }); }
    }, 1000);
  }

  function schedule() {
    var wait = Math.max(0, deadline - Date.now() - WARN * 1000);
    setTimeout(function () {
      // Another tab may have been used meanwhile: the server knows.
      ask("GET").then(function (data) {
        if (!data) { return; }
        if (data.seconds_left > WARN + 1) { schedule(); } else { countdownEl.textContent = data.seconds_left; show(); }
      });
    }, wait);
  }

  stayButton.addEventListener("click", function () {
    ask("POST").then(function (data) { if (data) { hide(); schedule(); } });
  });
  schedule();
})();
