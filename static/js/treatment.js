// The treatment record form: the leg diagram mirrors the list's checkboxes (click, tap, Space or
// Enter on an area), and a running total shows the volume and polidocanol against the limits.
// Everything also works without this file: the list of areas is the form.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function number(value) {
    var n = parseFloat(String(value || "").replace(",", "."));
    return isFinite(n) ? n : 0;
  }

  function fmt(n) {
    return (Math.round(n * 100) / 100).toString();
  }

  ready(function () {
    var form = document.querySelector(".record-form");
    if (!form) return;

    var shapes = form.querySelectorAll(".leg-area");
    function checkboxFor(code) { return document.getElementById("id_area_" + code); }

    function sync(code) {
      var box = checkboxFor(code);
      var shape = form.querySelector('.leg-area[data-area="' + code + '"]');
      if (box && shape) shape.setAttribute("aria-checked", box.checked ? "true" : "false");
    }

    function toggle(code) {
      var box = checkboxFor(code);
      if (!box) return;
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    }

    shapes.forEach(function (shape) {
      var code = shape.getAttribute("data-area");
      sync(code);
      shape.addEventListener("click", function () { toggle(code); });
      shape.addEventListener("keydown", function (event) {
        if (event.key === " " || event.key === "Enter") {
          event.preventDefault();
          toggle(code);
        }
      });
    });
    form.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

    var totalEl = form.querySelector("[data-total]");
    var line = form.querySelector(".total-line");
    var mgLine = form.querySelector(".mg-line");
    var mgEl = form.querySelector("[data-mg]");
    var capEl = form.querySelector("[data-mg-cap]");
    var max = number(form.getAttribute("data-clinic-max"));
    var perKg = number(form.getAttribute("data-mg-per-kg"));

    function update() {
      var total = 0;
      form.querySelectorAll(".area-row").forEach(function (row) {
        var box = row.querySelector(".area-check");
        var volume = row.querySelector(".area-volume");
        if (box && box.checked && volume) total += number(volume.value);
      });
      total = Math.round(total * 100) / 100;
      if (totalEl) totalEl.textContent = fmt(total);
      var over = max > 0 && total > max;
      var sclerosant = form.querySelector('input[name="sclerosant"]:checked');
      var percent = number((form.querySelector('[name="concentration_percent"]') || {}).value);
      var weight = number((form.querySelector('[name="weight_kg"]') || {}).value);
      if (mgLine) {
        var poli = sclerosant && sclerosant.value === "polidocanol";
        mgLine.hidden = !poli;
        if (poli) {
          var mg = total * percent * 10;
          mgEl.textContent = fmt(mg);
          if (weight > 0 && perKg > 0) {
            var cap = perKg * weight;
            capEl.textContent = " / " + fmt(cap) + " mg";
            over = over || mg > cap + 1e-9;
          } else {
            capEl.textContent = "";
          }
        }
      }
      if (line) line.classList.toggle("over", over);
    }

    form.addEventListener("change", function (event) {
      if (event.target.classList && event.target.classList.contains("area-check")) {
        sync(event.target.name.replace(/^area_/, ""));
        if (event.target.checked) {
          var row = event.target.closest(".area-row");
          var vein = row && row.querySelector("select");
          if (vein && !vein.value) {
            // The vein type of the areas already ticked is the likeliest for this one too.
            var chosen = "";
            form.querySelectorAll(".area-row").forEach(function (other) {
              var otherBox = other.querySelector(".area-check");
              var otherVein = other.querySelector("select");
              if (other !== row && otherBox && otherBox.checked && otherVein && otherVein.value) chosen = otherVein.value;
            });
            if (chosen) vein.value = chosen;
          }
        }
      }
      update();
    });
    form.addEventListener("input", update);
    update();

    // A lot already on the clinic's list fills in its expiry date (and the product, if empty).
    var lotInput = form.querySelector('[name="lot_number"]');
    var expiryInput = form.querySelector('[name="lot_expires_on"]');
    if (lotInput && expiryInput) {
      lotInput.addEventListener("change", function () {
        var typed = lotInput.value.trim().toUpperCase();
        document.querySelectorAll("#known-lots option").forEach(function (option) {
          if (option.value.toUpperCase() !== typed) return;
          expiryInput.value = option.getAttribute("data-expires");
          var sclerosant = form.querySelector('input[name="sclerosant"][value="' + option.getAttribute("data-sclerosant") + '"]');
          var percent = form.querySelector('[name="concentration_percent"]');
          if (sclerosant && !form.querySelector('input[name="sclerosant"]:checked')) sclerosant.checked = true;
          if (percent && !percent.value) percent.value = option.getAttribute("data-percent");
          update();
        });
      });
    }
  });
})();
