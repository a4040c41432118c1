import { useState } from "react";
import { api, ChangeRequest, formatNumber, formatTime, isChangeRequest, query, waitingMessage } from "../api";
import { SeriesChart } from "../components/Chart";
import { Badge, messageOf, More, Notice, usePages } from "../components/common";

type Day = { date: string; steps: number; verified_steps: number; status: string };
type Source = { app_id: string; device_type: string; recording_method: string; steps: number; pushes?: number };
type Validation = {
  id: string;
  status: string;
  anomaly_score: number;
  reasons: string[];
  reported_steps: number;
  created_at: string;
  appealed_at: string | null;
  reviewed_at: string | null;
  review_note: string | null;
  record: { id: string; date: string; steps: number; source: string; distance_km: number | null; device_id: string | null; appeal_message: string | null; coins_credited: number;
    sources: Source[] | null; manual_steps: number; pushes: number | null; push_steps: number };
  user: { id: string; email: string; full_name: string };
  history: Day[];
};

export function Review() {
  const [status, setStatus] = useState("pending");
  const { items, loaded, error, reload, cursor, more } = usePages<Validation>(
    (cursor) => `/v1/admin/validations${query({ status, cursor })}`,
    [status],
  );
  return (
    <section>
      <div className="toolbar">
        <label>
          Show{" "}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="pending">Waiting for review (oldest first)</option>
            <option value="approved">Approved</option>
            <option value="rejected">Rejected</option>
          </select>
        </label>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {loaded && items.length === 0 && <p className="empty">Nothing waiting for review.</p>}
      {items.map((v) => (
        <ValidationCard key={v.id} v={v} onDone={reload} />
      ))}
      <More cursor={cursor} onMore={more} />
    </section>
  );
}

function ValidationCard({ v, onDone }: { v: Validation; onDone: () => void }) {
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const days = [...v.history, { date: v.record.date, steps: v.record.steps, verified_steps: 0, status: "this record" }];

  async function decide(decision: "approve" | "reject") {
    setError(null);
    try {
      const after = await api<Validation | ChangeRequest>("POST", `/v1/admin/validations/${v.id}/review`, { decision, note });
      setDone(
        isChangeRequest(after)
          ? `Requested. ${waitingMessage(after)}`
          : `${decision === "approve" ? "Approved" : "Rejected"}: ${formatNumber(after.record.coins_credited)} coins credited.`,
      );
      setTimeout(onDone, 800);
    } catch (e) {
      setError(messageOf(e));
    }
  }

  return (
    <article className="card" aria-label={`Record of ${v.user.email} on ${v.record.date}`}>
      <header>
        <h2>
          {v.user.full_name} <small>{v.user.email}</small>
        </h2>
        <div>
          {v.appealed_at && <Badge tone="warn">Appeal</Badge>} <Badge tone="score">score {v.anomaly_score}</Badge>{" "}
          <Badge>{v.status}</Badge>
        </div>
      </header>
      <dl className="facts">
        <dt>Day</dt>
        <dd>{v.record.date}</dd>
        <dt>Steps</dt>
        <dd>{formatNumber(v.record.steps)}</dd>
        <dt>Source</dt>
        <dd>{v.record.source}</dd>
        <dt>Distance</dt>
        <dd>{v.record.distance_km ?? "—"} km</dd>
        <dt>Device</dt>
        <dd>{v.record.device_id ?? "—"}</dd>
        {v.record.push_steps > 0 && (
          <>
            <dt>Pushes</dt>
            <dd>
              {formatNumber(v.record.pushes ?? 0)} ({formatNumber(v.record.push_steps)} steps of the day)
            </dd>
          </>
        )}
        {v.record.manual_steps > 0 && (
          <>
            <dt>Typed in</dt>
            <dd>{formatNumber(v.record.manual_steps)} steps</dd>
          </>
        )}
        <dt>Held since</dt>
        <dd>{formatTime(v.created_at)}</dd>
      </dl>
      <h3>Where the steps came from</h3>
      {v.record.sources ? (
        <ul className="sources" aria-label="Sources">
          {v.record.sources.map((s, i) => (
            <li key={i}>
              <code>{s.app_id}</code> ({s.device_type}, {s.recording_method}): {formatNumber(s.steps)} steps
              {s.pushes ? `, ${formatNumber(s.pushes)} pushes` : ""}
            </li>
          ))}
        </ul>
      ) : (
        <p>The app sent no breakdown: the day is its total alone.</p>
      )}
      <h3>Reasons</h3>
      <ul className="reasons">
        {v.reasons.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
      {v.record.appeal_message && (
        <blockquote>
          <strong>The user's appeal:</strong> {v.record.appeal_message}
        </blockquote>
      )}
      <SeriesChart
        title="The user's last 30 days (verified steps) and this record"
        labels={days.map((d) => d.date.slice(5))}
        series={[
          { label: "Verified steps", values: days.map((d) => d.verified_steps), color: "#2e7d32" },
          { label: "Reported steps", values: days.map((d) => d.steps), color: "#90a4ae", kind: "line" },
        ]}
      />
      {v.status === "pending" ? (
        <div className="decide">
          <label>
            Note to the user (required)
            <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={2} maxLength={2000} />
          </label>
          <div className="buttons">
            <button disabled={!note.trim() || !!done} onClick={() => decide("approve")}>
              Approve and credit
            </button>
            <button className="danger" disabled={!note.trim() || !!done} onClick={() => decide("reject")}>
              Reject
            </button>
          </div>
        </div>
      ) : (
        <p>
          Reviewed {formatTime(v.reviewed_at)}: {v.review_note}
        </p>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      {done && <Notice kind="ok">{done}</Notice>}
    </article>
  );
}
