// Organization chart on the home page (ECharts tree, served from npm via staticfiles).
(function () {
  var el = document.getElementById("org-chart");
  var dataEl = document.getElementById("org-chart-data");
  if (!el || !dataEl || !window.echarts) return;
  var lang = document.documentElement.lang || "zh-hans";
  var data = JSON.parse(dataEl.textContent);
  function label(node) {
    var name = lang.indexOf("zh") === 0 ? node.name : node.name_en;
    return { name: name + (node.head ? "\n" + node.head : ""), children: (node.children || []).map(label) };
  }
  var chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    series: [{
      type: "tree", data: [label(data)], orient: "TB", top: 30, bottom: 60, left: 20, right: 20,
      symbolSize: 8, expandAndCollapse: true, initialTreeDepth: 2,
      label: { position: "bottom", verticalAlign: "top", fontSize: 12 },
      leaves: { label: { position: "bottom", rotate: 0 } }
    }]
  });
  el.dataset.ready = "1";
  window.addEventListener("resize", function () { chart.resize(); });
})();
