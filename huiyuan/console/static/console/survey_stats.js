/* Survey statistics charts (ECharts) from the JSON the view embeds: a horizontal bar per
   choice or rating question. Tooltips are drawn on the canvas (renderMode "richText"):
   HTML tooltips carry style attributes, which the Content-Security-Policy refuses. */
(function () {
  "use strict";
  var el = document.getElementById("survey-chart-data");
  if (!el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(el.textContent);
  var font = getComputedStyle(document.body).fontFamily;
  var charts = [];
  data.forEach(function (q) {
    var box = document.getElementById("chart-q" + q.id);
    if (!box) { return; }
    var chart = echarts.init(box);
    var colour = q.kind === "rating" ? "#f59f00" : (q.kind === "multiple" ? "#2fb344" : "#1d5fd1");
    // A category axis draws its first entry at the bottom: options read top-down in their
    // order; ratings read 5★ at the top.
    var labels = q.kind === "rating" ? q.labels : q.labels.slice().reverse();
    var counts = q.kind === "rating" ? q.counts : q.counts.slice().reverse();
    chart.setOption({
      textStyle: { fontFamily: font },
      grid: { left: 8, right: 36, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
      xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef1f6" } },
               axisLabel: { color: "#6b7385" } },
      yAxis: { type: "category", data: labels, axisTick: { show: false },
               axisLine: { lineStyle: { color: "#c9d0dc" } }, axisLabel: { color: "#4b5468" } },
      series: [{ type: "bar", data: counts, barMaxWidth: 22,
                 itemStyle: { color: colour, borderRadius: [0, 4, 4, 0] },
                 label: { show: true, position: "right", color: "#4b5468" } }]
    });
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
