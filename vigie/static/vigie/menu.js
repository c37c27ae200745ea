// Main menu groups are <details>: opening one closes the others; Escape or a click
// elsewhere closes the open one. Without this script they still open and close.
(function () {
  "use strict";
  function groups() {
    return document.querySelectorAll(".main-menu details.menu-group");
  }
  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!opened.matches || !opened.matches(".menu-group") || !opened.open) return;
    groups().forEach(function (g) { if (g !== opened) g.open = false; });
  }, true);
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".main-menu")) return;
    groups().forEach(function (g) { g.open = false; });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    groups().forEach(function (g) {
      if (g.open) { g.open = false; g.querySelector("summary").focus(); }
    });
  });
})();
