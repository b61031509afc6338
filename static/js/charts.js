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
    // A chart may name shorter tick labels for a narrow screen (the heatmap's dimension
    // numbers instead of names, which would overlap): the key is printed beside its table.
    var narrow = layout.meta && layout.meta.narrow_ticktext;
    if (narrow && layout.xaxis && element.clientWidth < 576) {
      layout.xaxis.ticktext = narrow;
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
