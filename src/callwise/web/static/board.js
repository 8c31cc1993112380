/* Draws every chart of the page from the JSON option it carries, the new ones after each HTMX swap, and on resize.
   No inline scripts: the pages' Content-Security-Policy allows scripts from this service only. */
(function () {
  "use strict";
  function draw(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      if (window.echarts.getInstanceByDom(el)) { return; }
      window.echarts.init(el, null, { renderer: "canvas" }).setOption(JSON.parse(el.getAttribute("data-chart")));
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
  // The audience builder: a picked tag's id goes in at the cursor, an example replaces the text; either way an
  // input event follows, so the box asks for the new size as if the viewer had typed it.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-audience-insert], [data-audience-set]") : null;
    if (!button) { return; }
    var box = document.getElementById(button.getAttribute("data-target"));
    if (!box) { return; }
    var set = button.getAttribute("data-audience-set");
    if (set !== null) {
      box.value = set;
    } else {
      var word = button.getAttribute("data-audience-insert");
      var start = box.selectionStart || 0, end = box.selectionEnd || 0, text = box.value;
      var before = text.slice(0, start), after = text.slice(end);
      var glue = before && !/\s$/.test(before) ? " " : "";
      box.value = before + glue + word + (after && !/^\s/.test(after) ? " " : "") + after;
      box.selectionStart = box.selectionEnd = (before + glue + word).length;
    }
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
  window.addEventListener("resize", function () {
    if (!window.echarts) { return; }
    document.querySelectorAll(".chart").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  });
}());
