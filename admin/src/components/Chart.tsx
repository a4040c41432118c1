import { useEffect, useRef } from "react";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

export type Series = { label: string; values: number[]; color: string; kind?: "bar" | "line" };

/** A bar/line chart over labelled points (Chart.js). */
export function SeriesChart({ labels, series, title }: { labels: string[]; series: Series[]; title: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  // Redraw only when the data changes, not on every render of the parent.
  const data = JSON.stringify({ labels, series });
  useEffect(() => {
    const { labels, series } = JSON.parse(data) as { labels: string[]; series: Series[] };
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: "bar",
      data: {
        labels,
        datasets: series.map((s) => ({
          type: s.kind ?? "bar",
          label: s.label,
          data: s.values,
          backgroundColor: s.color,
          borderColor: s.color,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: series.length > 1 } },
        scales: { y: { beginAtZero: true } },
      },
    });
    return () => chart.destroy();
  }, [data]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="canvas">
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
    </figure>
  );
}
