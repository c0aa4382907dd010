// Draws every <canvas data-chart="ID"> from the JSON in <script id="ID">, with Chart.js
// (served from /static/vendor/chartjs/). Colours come from the page's CSS variables, so a chart
// follows the light or dark theme, and is redrawn when the theme changes. The numbers of each
// chart are also in the table under it (the canvas is only a picture of them).
(function () {
  "use strict";
  const charts = [];

  function palette() {
    const css = getComputedStyle(document.documentElement);
    const v = (name, fallback) => (css.getPropertyValue(name).trim() || fallback);
    return {
      text: v("--text", "#1b2033"),
      muted: v("--muted", "#5b6480"),
      grid: v("--border", "#dfe3ee"),
      series: [v("--brand", "#4f46e5"), v("--accent", "#0ea5a4"), v("--warn", "#b45309"),
        v("--ok", "#15803d"), v("--danger", "#b91c1c"), v("--muted", "#5b6480")],
    };
  }

  function build(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart) return null;
    const spec = JSON.parse(source.textContent);
    const p = palette();
    const css = getComputedStyle(document.documentElement);
    const colors = (spec.colors || []).length
      ? spec.colors.map((name) => css.getPropertyValue(name).trim())
      : p.series;
    const line = spec.type === "line";
    return new window.Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((d, i) => ({
          label: d.label,
          data: d.data,
          borderColor: colors[i % colors.length],
          backgroundColor: colors[i % colors.length] + (line ? "" : "cc"),
          borderWidth: 2,
          pointRadius: line ? 2 : 0,
          spanGaps: true,
          tension: 0.2,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { labels: { color: p.text, boxWidth: 12 } },
          tooltip: { enabled: true },
        },
        scales: {
          x: { stacked: spec.stacked, ticks: { color: p.muted, maxRotation: 0, autoSkip: true },
            grid: { color: p.grid } },
          y: { stacked: spec.stacked, beginAtZero: true, ticks: { color: p.muted, precision: 0 },
            grid: { color: p.grid } },
        },
      },
    });
  }

  function drawAll() {
    while (charts.length) charts.pop().destroy();
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const chart = build(canvas);
      if (chart) charts.push(chart);
    });
  }

  drawAll();
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", drawAll);
  new MutationObserver(drawAll).observe(document.documentElement,
    { attributes: true, attributeFilter: ["data-theme"] });
})();
