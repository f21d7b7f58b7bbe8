/* Intake questionnaire: show a follow-up question only when its question is answered a certain way.
   Without JavaScript every follow-up stays visible (worded "If yes: ...") and the server ignores
   a date or a choice that doesn't apply. A follow-up box that has words in it stays visible whatever
   the answer: those words are sent and read, so the patient must be able to see and change them. */
(function () {
  "use strict";
  var blocks = document.querySelectorAll("[data-show-when]");
  if (!blocks.length) return;
  var form = blocks[0].closest("form");

  function chosen(name) {
    var values = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value) values.push(input.value);
    });
    return values;
  }

  function hasWords(block) {
    return Array.prototype.some.call(block.querySelectorAll("textarea, input[type=text]"), function (box) {
      return box.value.trim() !== "";
    });
  }

  function update() {
    blocks.forEach(function (block) {
      var rule = block.getAttribute("data-show-when").split("=");
      var wanted = rule[1].split(",");
      var show = chosen(rule[0]).some(function (v) { return wanted.indexOf(v) !== -1; });
      block.hidden = !show && !hasWords(block);
    });
  }

  form.addEventListener("change", update);
  update();
})();
