import { useState } from "react";
import { api, Challenge, ChallengeSummary, ChangeRequest, formatNumber, formatTime, isChangeRequest, query, waitingMessage } from "../api";
import { Badge, messageOf, More, Notice, useLoad, usePages } from "../components/common";

/**
 * Challenges between walkers, newest first. Inspecting one shows its standings (live until
 * it settles, then final) and its escrow: the pot still held, each stake and what each
 * person was paid. An admin cancels a challenge that looks wrong before it settles: every
 * stake goes back, and the reason is audited.
 */
export function Challenges() {
  const [status, setStatus] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const { items, loaded, error, reload, cursor, more } = usePages<ChallengeSummary>(
    (cursor) => `/v1/admin/challenges${query({ status: status || null, cursor })}`,
    [status],
  );
  return (
    <section>
      <div className="toolbar">
        <label>
          Show{" "}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All</option>
            <option value="open">Not started</option>
            <option value="running">Running</option>
            <option value="settled">Settled</option>
            <option value="cancelled">Cancelled</option>
          </select>
        </label>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {loaded && items.length === 0 && <p className="empty">Nothing here.</p>}
      {items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Challenge</th>
              <th>Days</th>
              <th className="num">People</th>
              <th className="num">Stake</th>
              <th className="num">In escrow</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id}>
                <td>
                  <button className="link" onClick={() => setOpen(open === c.id ? null : c.id)}>
                    {c.title}
                  </button>{" "}
                  <small>{c.kind}</small>
                </td>
                <td>
                  {c.start_date} – {c.end_date}
                </td>
                <td className="num">{c.people}</td>
                <td className="num">{formatNumber(c.stake_coins)}</td>
                <td className="num">{formatNumber(c.pot_coins)}</td>
                <td>
                  <Badge tone={c.status === "running" ? "warn" : undefined}>{c.status}</Badge>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <More cursor={cursor} onMore={more} />
      {open && (
        <ChallengeDetail
          key={open}
          id={open}
          onChanged={reload}
        />
      )}
    </section>
  );
}

function ChallengeDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const { data: challenge, error, setData } = useLoad(() => api<Challenge>("GET", `/v1/admin/challenges/${id}`), [id]);
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function release() {
    setProblem(null);
    try {
      const after = await api<Challenge | ChangeRequest>("POST", `/v1/admin/challenges/${id}/release`, { reason: reason.trim() });
      if (isChangeRequest(after)) {
        setDone(`Requested. ${waitingMessage(after)}`);
      } else {
        setData(after);
        setDone("Released: the payout is paid as settled, and the reason is in the audit log.");
      }
      onChanged();
    } catch (e) {
      setProblem(messageOf(e));
    }
  }

  async function cancel() {
    setProblem(null);
    try {
      const after = await api<Challenge | ChangeRequest>("POST", `/v1/admin/challenges/${id}/cancel`, { reason: reason.trim() });
      if (isChangeRequest(after)) {
        setDone(`Requested. ${waitingMessage(after)}`);
      } else {
        setData(after);
        setDone("Cancelled: every stake is back in its wallet, and the reason is in the audit log.");
      }
      onChanged();
    } catch (e) {
      setProblem(messageOf(e));
    }
  }

  if (error) return <Notice kind="error">{error}</Notice>;
  if (!challenge) return <p className="loading">Loading…</p>;
  const c = challenge;
  return (
    <article className="card" aria-label={`Challenge: ${c.title}`}>
      <header>
        <h2>
          {c.title} <small>{c.goal ? `${formatNumber(c.goal.steps)} steps on ${c.goal.days} days` : "most steps wins"}</small>
        </h2>
        <Badge tone={c.phase === "provisional" ? "warn" : undefined}>{c.phase}</Badge>
      </header>
      <dl className="facts">
        <dt>Days</dt>
        <dd>
          {c.start_date} – {c.end_date} (each person's local days)
        </dd>
        <dt>Starts</dt>
        <dd>{formatTime(c.starts_at)}</dd>
        <dt>Final after</dt>
        <dd>{formatTime(c.settles_after)}</dd>
        <dt>In escrow</dt>
        <dd>
          {formatNumber(c.pot_coins)} coins ({formatNumber(c.stake_coins)} a person)
        </dd>
        {c.cancel_reason && (
          <>
            <dt>Cancelled by</dt>
            <dd>{c.cancel_reason}</dd>
          </>
        )}
        {c.payout_held_reason && (
          <>
            <dt>Payout held</dt>
            <dd>
              <Badge tone="warn">held</Badge> {c.payout_held_reason}
            </dd>
          </>
        )}
      </dl>
      <table aria-label="Standings">
        <thead>
          <tr>
            <th>Person</th>
            <th>Status</th>
            <th className="num">Steps</th>
            <th>{c.kind === "race" ? "Place" : "Goal met"}</th>
            <th className="num">Stake</th>
            <th className="num">Paid out</th>
          </tr>
        </thead>
        <tbody>
          {c.standings.map((s) => (
            <tr key={s.id}>
              <td>{s.alias}</td>
              <td>{s.status}</td>
              <td className="num">{s.steps === null ? "hidden" : formatNumber(s.steps)}</td>
              <td>{c.kind === "race" ? (s.place ?? "–") : s.succeeded === null ? "–" : s.succeeded ? "yes" : "no"}</td>
              <td className="num">{formatNumber(s.stake_coins)}</td>
              <td className="num">{s.payout_coins === null ? "–" : formatNumber(s.payout_coins)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {(c.status === "open" || c.status === "running") && (
        <div className="decide">
          <label>
            Why cancel (for the audit log)
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />
          </label>
          <button disabled={!reason.trim()} onClick={() => void cancel()}>
            Cancel the challenge and return every stake
          </button>
          {c.payout_held_reason && (
            <button className="secondary" disabled={!reason.trim()} onClick={() => void release()}>
              Release the held payout
            </button>
          )}
        </div>
      )}
      {problem && <Notice kind="error">{problem}</Notice>}
      {done && <Notice kind="ok">{done}</Notice>}
    </article>
  );
}
