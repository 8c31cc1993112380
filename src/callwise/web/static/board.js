/* Draws every chart of the page from the JSON option beside it, the new ones after each HTMX swap, and on resize.
   No inline scripts: the pages' Content-Security-Policy allows scripts from this service only. */
(function () {
  "use strict";
  function draw(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll(".chart[data-option]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-option"));
      if (!source || window.echarts.getInstanceByDom(el)) { return; }
      window.echarts.init(el, null, { renderer: "canvas" }).setOption(JSON.parse(source.textContent));
    });
  }
  function dispose(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll(".chart").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) { chart.dispose(); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:beforeSwap", function (event) { dispose(event.detail.target); });
  // A swapped-in fragment brings new chart elements: draw those (charts already drawn are left as they are).
  document.addEventListener("htmx:afterSettle", function () { draw(document); });
  window.addEventListener("resize", function () {
    if (!window.echarts) { return; }
    document.querySelectorAll(".chart").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  });
}());
