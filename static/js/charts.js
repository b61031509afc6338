/* Draws plotly charts whose figure (data + layout) sits in a <script type="application/json">
   made by Django's json_script; <div class="smm-chart" data-chart="<id of that script>">.
   No inline scripts anywhere, so our strict CSP holds. Also wires [data-print] buttons. */
(function () {
  "use strict";

  // No mode bar: its controls cannot be reached with a keyboard and, inside a role="img"
  // chart, are interactive content nested in an image (axe: nested-interactive). The data
  // table beside every chart carries the same numbers.
  var config = {
    responsive: true,
    displaylogo: false,
    displayModeBar: false,
  };

  function draw(element) {
    if (element.dataset.drawn || typeof window.Plotly === "undefined") {
      return;
    }
    var source = document.getElementById(element.dataset.chart);
    if (!source) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    var layout = figure.layout || {};
    // A chart may name changes to its layout for a narrow screen, by dotted path (dimension
    // numbers as tick labels instead of names, which would overlap or run off a phone's
    // screen; the table beside every chart names the dimensions).
    var narrow = layout.meta && layout.meta.narrow;
    if (narrow && element.clientWidth < 576) {
      Object.keys(narrow).forEach(function (path) {
        var keys = path.split(".");
        var target = layout;
        keys.slice(0, -1).forEach(function (key) {
          target[key] = target[key] || {};
          target = target[key];
        });
        target[keys[keys.length - 1]] = narrow[path];
      });
    }
    element.dataset.drawn = "1";
    window.Plotly.newPlot(element, figure.data || [], layout, config);
  }

  function init() {
    document.querySelectorAll(".smm-chart[data-chart]").forEach(draw);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      if (button.dataset.printReady) {
        return;
      }
      button.dataset.printReady = "1";
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
