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

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

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
    </section>
  );
}
