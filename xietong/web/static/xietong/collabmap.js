// The collaboration map (REQ-5): departments as nodes, requests as arrows
// from the asking to the asked department. ECharts from npm via staticfiles.
(function () {
  var el = document.getElementById("collab-map");
  var dataEl = document.getElementById("collab-map-data");
  if (!el || !dataEl || !window.echarts) return;
  var data = JSON.parse(dataEl.textContent);
  var d = el.dataset;
  var maxVolume = Math.max.apply(null, [1].concat(data.nodes.map(function (n) { return n.volume; })));
  var maxCount = Math.max.apply(null, [1].concat(data.links.map(function (l) { return l.count; })));
  function pct(x) { return x === null ? "—" : Math.round(x * 100) + "%"; }
  function dash(x) { return x === null ? "—" : x; }
  // ECharts renders a formatter's string as HTML: every value from the data
  // (a department's name is anyone's to type) is escaped before it goes in.
  var esc = echarts.format.encodeHTML;
  var chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    tooltip: {
      formatter: function (p) {
        if (p.dataType === "edge") {
          var l = p.data.raw;
          return esc(l.source_name) + " → " + esc(l.target_name) + "<br>" + esc(d.labelCount) + ": " +
            esc(l.count) + "<br>" + esc(d.labelMedian) + ": " + esc(dash(l.median_response_hours)) +
            "<br>" + esc(d.labelOntime) + ": " + esc(pct(l.on_time_rate)) + "<br>" + esc(d.labelRating) + ": " +
            esc(dash(l.rating));
        }
        return esc(p.data.name) + ": " + esc(p.data.value);
      }
    },
    series: [{
      type: "graph", layout: "circular", circular: { rotateLabel: false }, roam: true,
      label: { show: true, position: "right", fontSize: 13 },
      edgeSymbol: ["none", "arrow"], edgeSymbolSize: 9,
      lineStyle: { color: "source", curveness: 0.25, opacity: 0.75 },
      edgeLabel: { show: true, fontSize: 11, formatter: function (p) { return p.data.raw.count; } },
      emphasis: { focus: "adjacency", lineStyle: { width: 6 } },
      data: data.nodes.map(function (n) {
        return { id: n.id, name: n.name, value: n.volume, symbolSize: 14 + 36 * n.volume / maxVolume };
      }),
      links: data.links.map(function (l) {
        return { source: l.source, target: l.target, raw: l, lineStyle: { width: 1 + 9 * l.count / maxCount } };
      })
    }]
  });
  chart.on("click", function (p) {
    if (p.dataType !== "edge") return;
    var l = p.data.raw;
    window.location = d.listUrl + "?box=" + d.box + "&from=" + l.source + "&to=" + l.target +
      "&start=" + d.start + "&end=" + d.end;
  });
  el.dataset.ready = "1";
  window.addEventListener("resize", function () { chart.resize(); });
})();
