// A link to something inside a folded section (<details>) opens the section, so the link lands on what it
// names: on load and whenever the address's #fragment changes.
(function () {
  "use strict";
  function unfold() {
    if (!location.hash) return;
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!target) return;
    var fold = target.closest("details");
    var opened = false;
    while (fold) {
      if (!fold.open) { fold.open = true; opened = true; }
      fold = fold.parentElement ? fold.parentElement.closest("details") : null;
    }
    if (opened) target.scrollIntoView();
  }
  window.addEventListener("hashchange", unfold);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", unfold);
  } else {
    unfold();
  }
})();
