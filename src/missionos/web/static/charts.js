// Renders every [data-vega-spec] element with the locally served Vega bundle.
// Sets data-charts-ready on <body> to the number rendered, so tests and people can tell when charts are drawn.
(function () {
  "use strict";
  function renderAll() {
    var nodes = document.querySelectorAll("[data-vega-spec]");
    var jobs = [];
    nodes.forEach(function (node) {
      var spec = JSON.parse(node.getAttribute("data-vega-spec"));
      // ast: Vega interprets expressions instead of compiling them with Function(), so the CSP needs no eval.
      // The element's role="img" and aria-label are the chart's text alternative; the drawing itself is hidden
      // from assistive technology so that it does not read out hundreds of unlabelled marks.
      // vega-embed renames the element ("Vega visualization"): its own label is put back once drawn.
      var label = node.getAttribute("aria-label");
      jobs.push(window.vegaEmbed(node, spec, { renderer: "svg", actions: false, ast: true }).then(function (result) {
        node.setAttribute("role", "img");
        if (label) { node.setAttribute("aria-label", label); }
        node.removeAttribute("aria-roledescription");
        var svg = node.querySelector("svg");
        if (svg) { svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false"); }
        return result;
      }));
    });
    Promise.all(jobs).then(function () {
      document.body.setAttribute("data-charts-ready", String(jobs.length));
    }, function (err) {
      document.body.setAttribute("data-charts-error", String(err));
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
})();
