/* The desk calendar: drag a booked visit onto a free time to move it (the click path works
   without this: open the visit, "Move", pick a highlighted time), the current-time line, and
   the print button of the day sheet. No inline scripts (Content-Security-Policy). */
(function () {
  "use strict";

  function onDragStart(event) {
    var visit = event.target.closest(".cell-visit[data-move]");
    if (!visit) return;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", visit.dataset.move);
    document.body.classList.add("is-dragging");
  }

  function dropTarget(event) {
    return event.target.closest(".cell-free");
  }

  function onDragOver(event) {
    var cell = dropTarget(event);
    if (!cell) return;
    event.preventDefault();
    document.querySelectorAll(".cell.is-drop").forEach(function (c) { if (c !== cell) c.classList.remove("is-drop"); });
    cell.classList.add("is-drop");
  }

  function onDrop(event) {
    var cell = dropTarget(event);
    var moveUrl = event.dataTransfer.getData("text/plain");
    if (!cell || !moveUrl || moveUrl.charAt(0) !== "/") return;
    event.preventDefault();
    var link = cell.querySelector("a");
    var params = new URL(link.href, window.location.href).searchParams;
    var target = new URLSearchParams();
    target.set("start", params.get("start"));
    if (params.get("clinician")) target.set("clinician", params.get("clinician"));
    if (params.get("room")) target.set("room", params.get("room"));
    window.location.assign(moveUrl + "?" + target.toString());
  }

  function onDragEnd() {
    document.body.classList.remove("is-dragging");
    document.querySelectorAll(".cell.is-drop").forEach(function (c) { c.classList.remove("is-drop"); });
  }

  // The line that marks the current time moves on once a minute (5-minute rows).
  function tickNowLine() {
    document.querySelectorAll(".cal-now").forEach(function (line) {
      var at = parseFloat(line.style.getPropertyValue("--at"));
      if (!isNaN(at)) line.style.setProperty("--at", (at + 0.2).toFixed(2));
    });
  }

  document.addEventListener("dragstart", onDragStart);
  document.addEventListener("dragover", onDragOver);
  document.addEventListener("drop", onDrop);
  document.addEventListener("dragend", onDragEnd);
  if (document.querySelector(".cal-now")) window.setInterval(tickNowLine, 60000);

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });
})();
