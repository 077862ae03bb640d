// The supervision dashboard's charts (统计分析). The page carries its numbers as JSON (json_script
// "dashboard-data") and a data table beside every chart; this file draws them with Apache ECharts
// (the global `echarts`, served from static vendor/echarts), loaded with "defer" after it.
// Series differ by pattern (decal) as well as by colour and carry their numbers as labels, so
// nothing depends on telling colours apart. No build step: a plain script, like site.js.
(function () {
  "use strict";

  // The visit rate's bar: the Content-Security-Policy allows no style attribute in the page, so the
  // width is set here (the rate itself is written beside it, and in aria-valuenow).
  document.querySelectorAll(".progress-bar[data-width]").forEach(function (bar) {
    var width = Math.max(0, Math.min(100, parseFloat(bar.getAttribute("data-width")) || 0));
    bar.style.width = width + "%";
  });

  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent || "null");
  if (!data) {
    return;
  }
  var labels = data.labels;
  var narrow = window.matchMedia("(max-width: 576px)").matches;
  var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function percent(params) {
    return params.value === null || params.value === undefined ? "" : params.value + "%";
  }

  function count(params) {
    return params.value ? String(params.value) : "";
  }

  function base() {
    return {
      aria: { enabled: true, decal: { show: true } },
      animation: !still,
      animationDuration: 400,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      tooltip: { trigger: "axis", confine: true },
    };
  }

  function merge(target, extra) {
    Object.keys(extra).forEach(function (key) {
      target[key] = extra[key];
    });
    return target;
  }

  var builders = {
    trend: function () {
      var trend = data.trend;
      return merge(base(), {
        legend: { top: 0, itemGap: 12 },
        grid: { left: 8, right: 8, top: 64, bottom: 8, containLabel: true },
        xAxis: {
          type: "category",
          data: trend.months,
          axisLabel: {
            formatter: function (value) {
              return narrow ? value.slice(5) : value;
            },
            hideOverlap: true,
          },
        },
        yAxis: [
          { type: "value", name: labels.count, minInterval: 1, nameTextStyle: { align: "left" } },
          {
            type: "value",
            name: labels.rate,
            min: 0,
            max: 100,
            splitLine: { show: false },
            nameTextStyle: { align: "right" },
          },
        ],
        series: [
          {
            name: labels.toVisit,
            type: "bar",
            data: trend.toVisit,
            label: { show: true, position: "top", fontSize: 10, formatter: count },
          },
          {
            name: labels.visited,
            type: "bar",
            data: trend.visited,
            label: { show: true, position: "top", fontSize: 10, formatter: count },
          },
          {
            name: labels.rate,
            type: "line",
            yAxisIndex: 1,
            data: trend.rates,
            symbol: "diamond",
            symbolSize: 9,
            lineStyle: { type: "dashed", width: 2 },
            // on a white ground: the rate's label may sit over a bar
            label: {
              show: true,
              position: "top",
              fontSize: 10,
              fontWeight: "bold",
              formatter: percent,
              backgroundColor: "rgba(255, 255, 255, 0.85)",
              padding: [1, 2],
            },
          },
        ],
      });
    },

    subRegions: function (element) {
      var subs = data.subRegions;
      // one row per sub-region, tall enough for its name and label
      element.style.height = Math.max(160, subs.names.length * 30 + 60) + "px";
      return merge(base(), {
        tooltip: { trigger: "axis", confine: true, valueFormatter: function (v) { return v + "%"; } },
        grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        yAxis: {
          type: "category",
          data: subs.names,
          inverse: true,
          axisLabel: { width: narrow ? 96 : 180, overflow: "truncate" },
        },
        series: [
          {
            name: labels.rate,
            type: "bar",
            data: subs.rates,
            barMaxWidth: 22,
            label: { show: true, position: "right", formatter: percent },
          },
        ],
      });
    },

    disabled: function () {
      return bars(data.disabled);
    },

    methods: function () {
      return bars(data.methods);
    },
  };

  // A few counts side by side: one colour and pattern per bar, each with its number on top.
  function bars(part) {
    return merge(base(), {
      grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: part.names,
        axisLabel: { interval: 0, width: narrow ? 64 : 110, overflow: "break" },
      },
      yAxis: { type: "value", minInterval: 1, name: labels.count, nameTextStyle: { align: "left" } },
      series: [
        {
          name: labels.count,
          type: "bar",
          colorBy: "data",
          data: part.values,
          barMaxWidth: 48,
          label: { show: true, position: "top" },
        },
      ],
    });
  }

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var build = builders[element.getAttribute("data-chart")];
    if (!build) {
      return;
    }
    var chart = window.echarts.init(element, null, { locale: data.locale, renderer: "canvas" });
    chart.setOption(build(element));
    chart.resize();
    charts.push(chart);
  });

  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      charts.forEach(function (chart) {
        chart.resize();
      });
    }, 150);
  });
})();
