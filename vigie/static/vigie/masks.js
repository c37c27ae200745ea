/* Vigie privacy-mask editor: click points on the still image to draw polygons; the
   polygons (fractions 0..1 of the picture) fill the form's JSON field, which the
   server validates. Without JavaScript the field can be typed. */
(function () {
  "use strict";
  var root = document.getElementById("mask-editor");
  if (!root) { return; }
  var svg = root.querySelector("svg.mask-overlay");
  var field = document.getElementById(root.dataset.polygonsField);
  var status = document.getElementById("mask-status");
  var NS = "http://www.w3.org/2000/svg";
  var SCALE = 1000; // the overlay's viewBox is 1000 × 1000
  var polygons = [];
  var current = [];
  var drawn = [];
  var live = null;

  try {
    var typed = JSON.parse(field.value || "[]");
    if (Array.isArray(typed)) { polygons = typed; }
  } catch (e) { polygons = []; }

  function say(text) { if (status) { status.textContent = text; } }
  function fmt(template, n) { return template.replace("%(n)s", String(n)); }
  function round(v) { return Math.round(Math.min(Math.max(v, 0), 1) * 10000) / 10000; }
  function points(list) {
    return list.map(function (p) { return (p[0] * SCALE) + "," + (p[1] * SCALE); }).join(" ");
  }

  function redraw() {
    drawn.forEach(function (node) { node.remove(); });
    drawn = [];
    polygons.forEach(function (polygon) {
      var shape = document.createElementNS(NS, "polygon");
      shape.setAttribute("class", "mask-new");
      shape.setAttribute("points", points(polygon));
      svg.appendChild(shape);
      drawn.push(shape);
    });
    if (live) { live.remove(); live = null; }
    if (current.length) {
      live = document.createElementNS(NS, "polyline");
      live.setAttribute("class", "mask-drawing");
      live.setAttribute("points", points(current));
      svg.appendChild(live);
    }
    field.value = polygons.length ? JSON.stringify(polygons) : "";
  }

  function finish() {
    if (current.length < 3) { say(root.dataset.msgFew); return; }
    polygons.push(current);
    current = [];
    redraw();
    say(fmt(root.dataset.msgPolygons, polygons.length));
  }

  function cancel() {
    current = [];
    redraw();
    say(fmt(root.dataset.msgPolygons, polygons.length));
  }

  svg.addEventListener("click", function (event) {
    var box = svg.getBoundingClientRect();
    if (!box.width || !box.height) { return; }
    current.push([round((event.clientX - box.left) / box.width),
      round((event.clientY - box.top) / box.height)]);
    redraw();
    say(fmt(root.dataset.msgPoints, current.length));
  });

  svg.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); finish(); }
    else if (event.key === "Escape") { event.preventDefault(); cancel(); }
    else if (event.key === "Backspace" && current.length) {
      event.preventDefault();
      current.pop();
      redraw();
      say(fmt(root.dataset.msgPoints, current.length));
    }
  });

  root.querySelectorAll("button[data-action]").forEach(function (button) {
    button.addEventListener("click", function () {
      var action = button.dataset.action;
      if (action === "finish") { finish(); }
      else if (action === "cancel") { cancel(); }
      else if (action === "undo") {
        polygons.pop();
        redraw();
        say(fmt(root.dataset.msgPolygons, polygons.length));
      }
      svg.focus();
    });
  });

  // A polygon left open when saving is closed first (if it has 3 points).
  var form = document.getElementById("mask-form");
  if (form) {
    form.addEventListener("submit", function () {
      if (current.length >= 3) { finish(); }
    });
  }
  redraw();
}());
