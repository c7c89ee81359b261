/* The analytics dashboard's charts (ECharts) from the JSON the page embeds.
   Tooltips are drawn on the canvas (renderMode "richText"): HTML tooltips carry style
   attributes, which the Content-Security-Policy refuses. Clicking a day opens its sales;
   clicking a store narrows the dashboard to it. */
(function () {
  "use strict";
  var el = document.getElementById("analytics-data");
  if (!el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(el.textContent);
  var L = data.labels;
  var font = getComputedStyle(document.body).fontFamily;
  var palette = ["#1d5fd1", "#2fb344", "#f59f00", "#ae3ec9", "#17a2b8", "#d63939", "#74b816", "#f76707"];
  var charts = [];
  var axis = { axisLine: { lineStyle: { color: "#c9d0dc" } }, axisLabel: { color: "#6b7385" } };
  var split = { splitLine: { lineStyle: { color: "#eef1f6" } }, axisLabel: { color: "#6b7385" } };
  function yuan(fen) { return Math.round(fen) / 100; }
  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    var c = echarts.init(node);
    option.textStyle = { fontFamily: font };
    option.color = option.color || palette;
    c.setOption(option);
    charts.push(c);
    return c;
  }
  function empty(id, rows) {
    var node = document.getElementById(id);
    if (node && (!rows || rows.length === 0)) {
      node.classList.add("d-flex", "align-items-center", "justify-content-center", "text-secondary");
      node.textContent = node.getAttribute("data-empty") || "—";
      return true;
    }
    return false;
  }

  var days = data.series.map(function (r) { return r.day.slice(5); });
  var daily = chart("chart-daily", {
    grid: { left: 56, right: 16, top: 36, bottom: 28 },
    legend: { top: 0, icon: "roundRect", itemWidth: 10, itemHeight: 10, textStyle: { color: "#4b5468" } },
    tooltip: { trigger: "axis", renderMode: "richText" },
    xAxis: Object.assign({ type: "category", data: days }, axis),
    yAxis: Object.assign({ type: "value", name: "¥", nameTextStyle: { color: "#6b7385" } }, split),
    series: [
      { name: L.net_sales, type: "bar", barMaxWidth: 22, itemStyle: { borderRadius: [3, 3, 0, 0] },
        data: data.series.map(function (r) { return yuan(r.net_sales); }) },
      { name: L.recharges, type: "line", symbol: "circle", symbolSize: 5, smooth: true,
        data: data.series.map(function (r) { return yuan(r.recharges); }) },
      { name: L.refunds, type: "line", symbol: "circle", symbolSize: 4, smooth: true, lineStyle: { type: "dashed" },
        data: data.series.map(function (r) { return yuan(r.refunds); }) },
      { name: L.returns, type: "line", symbol: "circle", symbolSize: 4, smooth: true, lineStyle: { type: "dotted" },
        data: data.series.map(function (r) { return yuan(r.returns); }) }
    ]
  });
  if (daily) {
    daily.on("click", function (p) {
      var day = data.series[p.dataIndex].day;
      window.location.href = data.drill + "date_from=" + day + "&date_to=" + day;
    });
    daily.getZr().on("click", function (e) {
      var point = [e.offsetX, e.offsetY];
      if (!daily.containPixel("grid", point)) { return; }
      var index = daily.convertFromPixel({ seriesIndex: 0 }, point)[0];
      if (index >= 0 && index < data.series.length && !e.target) {
        var day = data.series[index].day;
        window.location.href = data.drill + "date_from=" + day + "&date_to=" + day;
      }
    });
  }

  var monthly = data.members_monthly;
  chart("chart-monthly", {
    grid: { left: 40, right: 44, top: 36, bottom: 28 },
    legend: { top: 0, icon: "roundRect", itemWidth: 10, itemHeight: 10, textStyle: { color: "#4b5468" } },
    tooltip: { trigger: "axis", renderMode: "richText" },
    xAxis: Object.assign({ type: "category", data: monthly.map(function (r) { return r.month; }) }, axis),
    yAxis: [Object.assign({ type: "value", minInterval: 1 }, split),
            { type: "value", axisLabel: { formatter: "{value}%", color: "#6b7385" }, splitLine: { show: false } }],
    series: [
      { name: L.members, type: "line", smooth: false, symbol: "circle", symbolSize: 6,
        areaStyle: { opacity: 0.12 }, lineStyle: { width: 2.5 },
        data: monthly.map(function (r) { return r.count; }) },
      { name: L.mom, type: "line", yAxisIndex: 1, symbol: "none", lineStyle: { width: 1.5, type: "dashed" },
        data: monthly.map(function (r) { return r.mom; }) },
      { name: L.yoy, type: "line", yAxisIndex: 1, symbol: "none", lineStyle: { width: 1.5, type: "dotted" },
        data: monthly.map(function (r) { return r.yoy; }) }
    ]
  });

  function pie(id, rows, clickable) {
    if (empty(id, rows)) { return; }
    var c = chart(id, {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)", renderMode: "richText" },
      legend: { bottom: 0, type: "scroll", icon: "circle", itemWidth: 8, textStyle: { color: "#4b5468" } },
      series: [{ type: "pie", radius: ["42%", "68%"], center: ["50%", "44%"], data: rows,
                 label: { show: false }, itemStyle: { borderColor: "#fff", borderWidth: 2 } }]
    });
    if (c && clickable) {
      c.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
    }
  }
  pie("chart-store", data.store, true);
  pie("chart-channel", data.channel, false);
  pie("chart-staff", data.staff, false);
  pie("chart-tiers", data.tiers, false);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
