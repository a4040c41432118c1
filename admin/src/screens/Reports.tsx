import { useState } from "react";
import { api, formatTime, query, Report } from "../api";
import { Badge, messageOf, More, Notice, usePages } from "../components/common";

/**
 * People and teams walkers reported, oldest first, each with what the reporter saw at the
 * time (the name and avatar may have changed since). An admin dismisses a report or acts:
 * hides an alias or a team name (shown with a neutral one until changed), or deactivates
 * the account. Every action is audited.
 */
export function Reports() {
  const [status, setStatus] = useState("open");
  const { items, loaded, error, reload, cursor, more } = usePages<Report>(
    (cursor) => `/v1/admin/reports${query({ status, cursor })}`,
    [status],
  );
  return (
    <section>
      <div className="toolbar">
        <label>
          Show{" "}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="open">Open</option>
            <option value="actioned">Acted on</option>
            <option value="dismissed">Dismissed</option>
          </select>
        </label>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {loaded && items.length === 0 && <p className="empty">Nothing here.</p>}
      {items.map((r) => (
        <ReportCard key={r.id} report={r} onDone={reload} />
      ))}
      <More cursor={cursor} onMore={more} />
    </section>
  );
}

const REASON: Record<Report["reason"], string> = {
  offensive_name: "Offensive name",
  offensive_avatar: "Offensive picture",
  harassment: "Harassment",
  cheating: "Cheating",
  spam: "Spam",
  other: "Other",
  gift_pattern: "Gifts gathering coins (flagged by FitKart)",
};

const ACTIONS: Record<Report["target_type"], { action: string; label: string }[]> = {
  user: [
    { action: "hide_alias", label: "Hide the alias" },
    { action: "deactivate", label: "Deactivate the account" },
    { action: "dismiss", label: "Dismiss" },
  ],
  team: [
    { action: "hide_team_name", label: "Hide the team name" },
    { action: "dismiss", label: "Dismiss" },
  ],
};

function ReportCard({ report, onDone }: { report: Report; onDone: () => void }) {
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const subject = report.snapshot_name ?? "(no name)";

  async function resolve(action: string) {
    setError(null);
    try {
      const body = note.trim() ? { action, note: note.trim() } : { action };
      const after = await api<Report>("POST", `/v1/admin/reports/${report.id}/resolve`, body);
      setDone(after.status === "dismissed" ? "Dismissed." : "Done: the action is applied and audited.");
      setTimeout(onDone, 800);
    } catch (e) {
      setError(messageOf(e));
    }
  }

  return (
    <article className="card" aria-label={`Report: ${subject}`}>
      <header>
        <h2>
          {REASON[report.reason]} <small>{report.target_type === "team" ? "a team" : "a person"}</small>
        </h2>
        <Badge tone={report.status === "open" ? "warn" : undefined}>{report.status}</Badge>
      </header>
      <dl className="facts">
        <dt>Shown as</dt>
        <dd>{subject}</dd>
        {report.snapshot_avatar && (
          <>
            <dt>Picture</dt>
            <dd>
              <a href={report.snapshot_avatar} rel="noreferrer noopener" target="_blank">
                {report.snapshot_avatar}
              </a>
            </dd>
          </>
        )}
        <dt>Reported</dt>
        <dd>{formatTime(report.created_at)}</dd>
        {report.action && (
          <>
            <dt>Action</dt>
            <dd>{report.action}</dd>
          </>
        )}
      </dl>
      {report.note && (
        <p>
          <strong>Reporter's note:</strong> {report.note}
        </p>
      )}
      {report.status === "open" && (
        <div className="decide">
          <label>
            Note for the audit log (optional)
            <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} />
          </label>
          <div className="row">
            {ACTIONS[report.target_type].map((a) => (
              <button key={a.action} className={a.action === "dismiss" ? "secondary" : undefined} onClick={() => void resolve(a.action)}>
                {a.label}
              </button>
            ))}
          </div>
        </div>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      {done && <Notice kind="ok">{done}</Notice>}
    </article>
  );
}
