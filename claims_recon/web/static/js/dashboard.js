// Run dashboard charts. They read the same JSON the API serves (GET /api/runs/{id}/summary);
// every chart has the same numbers in an HTML table beside it, so nothing depends on this.
(() => {
  "use strict";

  const root = document.getElementById("charts");
  if (!root || !window.Chart || !window.fetch) return;

  // Same order and colours as the status badges in app.css.
  const STATUSES = ["BALANCED", "UNDERPAID", "OVERPAID", "NO_INVOICES"];
  const LABELS = {
    BALANCED: "Balanced",
    UNDERPAID: "Underpaid",
    OVERPAID: "Overpaid",
    NO_INVOICES: "No invoices",
  };
  const COLOURS = {
    BALANCED: "#22985a",
    UNDERPAID: "#d9423a",
    OVERPAID: "#e08a00",
    NO_INVOICES: "#7b8794",
  };
  const CHARGES = "#9aa9bd";
  const INVOICED = "#1d4ed8";

  const exact = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  const compact = new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: "USD",
    notation: "compact",
    maximumFractionDigits: 1,
  });
  const whole = new Intl.NumberFormat("en-US");

  const Chart = window.Chart;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = "#3b4654";
  Chart.defaults.borderColor = "#e5e9ef";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.datasets.bar.maxBarThickness = 48;

  const moneyTooltip = {
    callbacks: { label: (ctx) => `${ctx.dataset.label}: ${exact.format(ctx.parsed[ctx.chart.options.indexAxis === "y" ? "x" : "y"])}` },
  };
  const moneyAxis = { ticks: { callback: (value) => compact.format(value) } };
  const countAxis = { beginAtZero: true, ticks: { precision: 0, callback: (value) => whole.format(value) } };

  const draw = (id, config) => {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  };

  const render = (summary) => {
    const byStatus = new Map((summary.by_status || []).map((row) => [row.status, row]));
    const present = STATUSES.filter((s) => byStatus.has(s));

    draw("chart-status-count", {
      type: "bar",
      data: {
        labels: present.map((s) => LABELS[s]),
        datasets: [
          {
            label: "Claims",
            data: present.map((s) => byStatus.get(s).count),
            backgroundColor: present.map((s) => COLOURS[s]),
            borderRadius: 4,
          },
        ],
      },
      options: {
        plugins: { legend: { display: false } },
        scales: { y: countAxis },
      },
    });

    draw("chart-status-amount", {
      type: "bar",
      data: {
        labels: present.map((s) => LABELS[s]),
        datasets: [
          { label: "Charges", data: present.map((s) => byStatus.get(s).charges), backgroundColor: CHARGES, borderRadius: 4 },
          { label: "Invoiced", data: present.map((s) => byStatus.get(s).invoiced), backgroundColor: INVOICED, borderRadius: 4 },
        ],
      },
      options: { plugins: { tooltip: moneyTooltip }, scales: { y: moneyAxis } },
    });

    const months = summary.by_month || [];
    draw("chart-months", {
      type: "bar",
      data: {
        labels: months.map((m) => m.month),
        datasets: [
          { label: "Charges", data: months.map((m) => m.charges), backgroundColor: CHARGES, borderRadius: 3 },
          { label: "Invoiced", data: months.map((m) => m.invoiced), backgroundColor: INVOICED, borderRadius: 3 },
        ],
      },
      options: { plugins: { tooltip: moneyTooltip }, scales: { y: moneyAxis } },
    });

    const buckets = summary.variance_distribution || [];
    const bucketColour = (b) => {
      if (b.upper !== null && b.upper <= 0) return COLOURS.UNDERPAID;
      if (b.lower !== null && b.lower > 0) return COLOURS.OVERPAID;
      return COLOURS.BALANCED;
    };
    draw("chart-variance", {
      type: "bar",
      data: {
        labels: buckets.map((b) => b.label),
        datasets: [
          { label: "Claims", data: buckets.map((b) => b.count), backgroundColor: buckets.map(bucketColour), borderRadius: 3 },
        ],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: countAxis } },
    });

    const patients = summary.top_patients || [];
    draw("chart-patients", {
      type: "bar",
      data: {
        labels: patients.map((p) => p.patient_id),
        datasets: [
          { label: "Open balance", data: patients.map((p) => p.open_balance), backgroundColor: COLOURS.UNDERPAID, borderRadius: 3 },
        ],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false }, tooltip: moneyTooltip },
        scales: { x: moneyAxis },
      },
    });

    root.dataset.chartsReady = "true";
  };

  fetch(root.dataset.summaryUrl, { headers: { Accept: "application/json" } })
    .then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json();
    })
    .then(render)
    .catch(() => {
      // The tables still hold every number; say why the pictures are missing.
      root.dataset.chartsReady = "failed";
      for (const canvas of root.querySelectorAll("canvas")) {
        const note = document.createElement("p");
        note.className = "hint";
        note.textContent = "The chart could not be drawn; the numbers are in the table.";
        canvas.parentElement.replaceWith(note);
      }
    });
})();
