import { useState } from "react";
import { api, formatNumber, query } from "../api";
import { SeriesChart } from "../components/Chart";
import { Notice, useLoad } from "../components/common";

type Day = { date: string; active_users: number; total_steps: number; avg_steps: number; verified_steps: number; suspicious_records: number };
type Stats = {
  from: string;
  to: string;
  items: Day[];
  active_users: { total: number; synced_last_day: number; synced_last_7_days: number; synced_last_30_days: number };
};

type Separation = { approved: number; rejected: number; true_positives: number; false_positives: number; precision: number | null; recall: number | null };
type AnomalyModel = {
  version: number;
  trained_at: string;
  selected: boolean;
  in_use: boolean;
  summary: { rows: number; date_from: string | null; date_to: string | null; threshold: number; flag_rate: number; labelled: Separation };
};
type Models = { weight: number; items: AnomalyModel[] };

type WriterWeek = {
  week: string;
  app_id: string;
  allowed: boolean;
  accounts: number;
  days: number;
  steps: number;
  device_types: string[];
  recording_methods: string[];
};

/** The apps that wrote synced steps, per week: the allow-list's work (step_writers_allowed). */
function StepWriters() {
  const { data, error } = useLoad(() => api<{ items: WriterWeek[] }>("GET", "/v1/admin/step-writers"), []);
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!data) return null;
  return (
    <article className="card" aria-label="Step writers">
      <header>
        <strong>Apps that wrote steps, last four weeks</strong>
      </header>
      {data.items.length === 0 ? (
        <p className="empty">No synced day named its sources yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Week of</th>
              <th>App</th>
              <th>Allowed</th>
              <th>Accounts</th>
              <th>Days</th>
              <th>Steps</th>
              <th>Devices</th>
              <th>Recorded</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((w) => (
              <tr key={`${w.week} ${w.app_id}`}>
                <td>{w.week}</td>
                <td>
                  <code>{w.app_id}</code>
                </td>
                <td>{w.allowed ? "yes" : "no: its days are held"}</td>
                <td>{formatNumber(w.accounts)}</td>
                <td>{formatNumber(w.days)}</td>
                <td>{formatNumber(w.steps)}</td>
                <td>{w.device_types.join(", ")}</td>
                <td>{w.recording_methods.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const percent = (v: number | null) => (v === null ? "n/a" : `${(100 * v).toFixed(1)}%`);

/** The anomaly model the setting selects: its training and how it separates the days admins decided. */
function ModelSummary() {
  const { data, error } = useLoad(() => api<Models>("GET", "/v1/admin/anomaly-models"), []);
  if (error) return <Notice kind="error">{error}</Notice>;
  const model = data?.items.find((m) => m.selected);
  if (!data) return null;
  if (!model) return <p className="empty">No anomaly model trained yet (steps-train-anomaly-model runs on Mondays).</p>;
  const l = model.summary.labelled;
  return (
    <article className="card" aria-label="Anomaly model">
      <header>
        <strong>Anomaly model v{model.version}</strong>{" "}
        <span>{model.in_use ? `in use, ${data.weight} points` : "not in use (anomaly_model_weight is 0)"}</span>
      </header>
      <p>
        Trained {model.trained_at.slice(0, 10)} on {formatNumber(model.summary.rows)} verified days ({model.summary.date_from} to{" "}
        {model.summary.date_to}); flags {(100 * model.summary.flag_rate).toFixed(1)}% of them.
      </p>
      <p>
        On {formatNumber(l.approved)} approved and {formatNumber(l.rejected)} rejected days admins decided: precision {percent(l.precision)},
        recall {percent(l.recall)}.
      </p>
    </article>
  );
}

export function Stats() {
  const today = new Date();
  const [from, setFrom] = useState(isoDay(new Date(today.getTime() - 29 * 86_400_000)));
  const [to, setTo] = useState(isoDay(today));
  const { data, error } = useLoad(() => api<Stats>("GET", `/v1/admin/stats/daily${query({ from, to })}`), [from, to]);
  const days = data?.items ?? [];
  const labels = days.map((d) => d.date.slice(5));

  return (
    <section>
      <div className="toolbar">
        <label>
          From <input type="date" value={from} max={to} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          To <input type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} />
        </label>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {data && (
        <>
          <div className="wallet" aria-label="Active users">
            <div>
              <span>Active accounts</span>
              <strong>{formatNumber(data.active_users.total)}</strong>
            </div>
            <div>
              <span>Synced today</span>
              <strong>{formatNumber(data.active_users.synced_last_day)}</strong>
            </div>
            <div>
              <span>Synced in 7 days</span>
              <strong>{formatNumber(data.active_users.synced_last_7_days)}</strong>
            </div>
            <div>
              <span>Synced in 30 days</span>
              <strong>{formatNumber(data.active_users.synced_last_30_days)}</strong>
            </div>
          </div>
          <SeriesChart
            title="Steps per day"
            labels={labels}
            series={[
              { label: "Reported", values: days.map((d) => d.total_steps), color: "#90a4ae" },
              { label: "Verified", values: days.map((d) => d.verified_steps), color: "#2e7d32", kind: "line" },
            ]}
          />
          <SeriesChart
            title="Users who walked, and records held for review"
            labels={labels}
            series={[
              { label: "Users with a record", values: days.map((d) => d.active_users), color: "#1565c0" },
              { label: "Held for review", values: days.map((d) => d.suspicious_records), color: "#c62828", kind: "line" },
            ]}
          />
        </>
      )}
      <ModelSummary />
      <StepWriters />
    </section>
  );
}
