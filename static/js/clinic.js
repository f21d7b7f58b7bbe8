// Small behaviours every page may use, without inline scripts (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  // <form class="js-confirm" data-confirm="Question?">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("js-confirm") && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // <span data-countdown="seconds">: counts down to "no time" (a held booking's minutes).
  function countdown(el) {
    var left = parseInt(el.dataset.countdown, 10);
    if (isNaN(left)) { return; }
    function show() {
      var m = Math.floor(left / 60), s = left % 60;
      el.textContent = left > 0 ? m + ":" + String(s).padStart(2, "0") : el.dataset.countdownDone || "no time";
    }
    show();
    var timer = setInterval(function () {
      if (left > 0) { left -= 1; show(); } else { clearInterval(timer); }
    }, 1000);
  }
  document.querySelectorAll("[data-countdown]").forEach(countdown);
})();
