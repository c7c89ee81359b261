/* Dashboard charts (ECharts) from the JSON the view embeds.
   Tooltips are drawn on the canvas (renderMode "richText"): ECharts' HTML tooltips carry
   style attributes, which the Content-Security-Policy refuses. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var font = getComputedStyle(document.body).fontFamily;
  var charts = [];

  var joinedEl = document.getElementById("chart-joined");
  if (joinedEl) {
    var joined = echarts.init(joinedEl);
    joined.setOption({
      textStyle: { fontFamily: font },
      grid: { left: 36, right: 12, top: 16, bottom: 28 },
      tooltip: { trigger: "axis", renderMode: "richText" },
      xAxis: { type: "category", data: data.days, boundaryGap: false,
               axisLine: { lineStyle: { color: "#c9d0dc" } }, axisLabel: { color: "#6b7385" } },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef1f6" } },
               axisLabel: { color: "#6b7385" } },
      series: [{ type: "line", data: data.joined, smooth: false, symbol: "circle", symbolSize: 5,
                 lineStyle: { width: 2.5, color: "#1d5fd1" }, itemStyle: { color: "#1d5fd1" },
                 areaStyle: { color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [
                   { offset: 0, color: "rgba(29,95,209,.25)" }, { offset: 1, color: "rgba(29,95,209,0)" }]) } }]
    });
    charts.push(joined);
  }

  var channelEl = document.getElementById("chart-channels");
  if (channelEl) {
    var channels = echarts.init(channelEl);
    channels.setOption({
      textStyle: { fontFamily: font },
      color: ["#1d5fd1", "#2fb344", "#f59f00", "#ae3ec9", "#17a2b8"],
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)", renderMode: "richText" },
      legend: { bottom: 0, icon: "circle", itemWidth: 8, textStyle: { color: "#4b5468" } },
      series: [{ type: "pie", radius: ["45%", "70%"], center: ["50%", "44%"], data: data.channels,
                 label: { show: false }, itemStyle: { borderColor: "#fff", borderWidth: 2 } }]
    });
    charts.push(channels);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
