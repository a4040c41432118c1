import { useState } from "react";
import { api, ChangeRequest, formatTime, Me, query } from "../api";
import { Badge, messageOf, More, Notice, usePages } from "../components/common";

/**
 * Four eyes: the money-relevant changes one admin asked for (role grants, large coin
 * adjustments, money and defence settings, prices below the catalog), each with who
 * asked, what changes and why. Another admin approves with a fresh code from their
 * authenticator, and the change is applied then; the requester can withdraw it.
 */
export function Approvals({ me }: { me: Me }) {
  const [status, setStatus] = useState("pending");
  const { items, loaded, error, reload, cursor, more } = usePages<ChangeRequest>(
    (cursor) => `/v1/admin/change-requests${query({ status, cursor })}`,
    [status],
  );
  return (
    <section>
      <p className="hint">
        A change that can move money waits here for a second admin. Nobody approves their own request, and an
        admin promoted less than 7 days ago cannot approve. With one admin only, requests wait (and expire after
        72 hours).
      </p>
      <div className="toolbar">
        <label>
          Show{" "}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="pending">Waiting for approval</option>
            <option value="approved">Approved</option>
            <option value="rejected">Rejected</option>
            <option value="withdrawn">Withdrawn</option>
            <option value="expired">Expired</option>
          </select>
        </label>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {loaded && items.length === 0 && <p className="empty">Nothing here.</p>}
      {items.map((r) => (
        <RequestCard key={r.id} request={r} me={me} onDone={reload} />
      ))}
      <More cursor={cursor} onMore={more} />
    </section>
  );
}

const KIND: Record<ChangeRequest["kind"], string> = {
  role: "Role change",
  coins: "Coin adjustment",
  setting: "Setting",
  price: "Reward price",
  campaign: "Open a charity campaign",
  day: "Held day",
  challenge: "Cancel a challenge",
  payout: "Release a held payout",
  gift: "Reverse a gift",
  account: "Account status",
};

function show(value: unknown): string {
  if (value === null || value === undefined) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function RequestCard({ request, me, onDone }: { request: ChangeRequest; me: Me; onDone: () => void }) {
  const [code, setCode] = useState("");
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const mine = request.requested_by === me.id;
  const fields = Array.from(new Set([...Object.keys(request.before), ...Object.keys(request.after)]));
  const subject = show(request.after.email ?? request.after.name ?? request.after.title ?? request.setting_key);

  async function decide(action: "approve" | "reject") {
    setError(null);
    try {
      const body = action === "approve" ? { code: code.trim(), ...(note.trim() ? { note: note.trim() } : {}) } : note.trim() ? { note: note.trim() } : {};
      const after = await api<ChangeRequest>("POST", `/v1/admin/change-requests/${request.id}/${action}`, body);
      setDone(after.status === "approved" ? "Approved: the change is applied." : `The request is ${after.status}.`);
      setTimeout(onDone, 800);
    } catch (e) {
      setError(messageOf(e));
    }
  }

  return (
    <article className="card approval" aria-label={`${KIND[request.kind]}: ${subject}`}>
      <header>
        <h2>
          {KIND[request.kind]} <small>{subject}</small>
        </h2>
        <Badge tone={request.status === "pending" ? "warn" : undefined}>{request.status}</Badge>
      </header>
      <dl className="facts">
        <dt>Asked by</dt>
        <dd>{request.requested_by_email}</dd>
        <dt>When</dt>
        <dd>{formatTime(request.requested_at)}</dd>
        <dt>Expires</dt>
        <dd>{formatTime(request.expires_at)}</dd>
      </dl>
      <p>
        <strong>Why:</strong> {request.reason}
      </p>
      <p className="waits">
        <strong>Waits because:</strong> {request.waits_because}
      </p>
      <div className="change" role="table" aria-label="What changes">
        {fields.map((f) => (
          <div key={f} role="row" style={{ display: "contents" }}>
            <span role="rowheader">{f}</span>
            <span role="cell" className={show(request.before[f]) !== show(request.after[f]) ? "was" : ""}>
              {show(request.before[f])}
            </span>
            <span role="cell">{show(request.after[f])}</span>
          </div>
        ))}
      </div>
      {request.status === "pending" && !mine && request.approvers_available > 0 && (
        <div className="decide">
          <div className="row">
            <label>
              Code from your authenticator app
              <input value={code} onChange={(e) => setCode(e.target.value)} inputMode="numeric" autoComplete="one-time-code" maxLength={32} />
            </label>
            <label>
              Note (optional)
              <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} />
            </label>
          </div>
          <div className="buttons">
            <button disabled={!code.trim() || !!done} onClick={() => decide("approve")}>
              Approve and apply
            </button>
            <button className="danger" disabled={!!done} onClick={() => decide("reject")}>
              Reject
            </button>
          </div>
        </div>
      )}
      {request.status === "pending" && mine && (
        <div className="buttons">
          <p className="waits">You asked for this: another admin approves it.</p>
          <button className="secondary" disabled={!!done} onClick={() => decide("reject")}>
            Withdraw
          </button>
        </div>
      )}
      {request.status === "pending" && !mine && request.approvers_available === 0 && (
        <p className="waits">No admin can approve this yet.</p>
      )}
      {request.status !== "pending" && request.decided_at && (
        <p>
          {request.status} by {request.decided_by_email} {formatTime(request.decided_at)}
          {request.decision_note ? `: ${request.decision_note}` : ""}
        </p>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      {done && <Notice kind="ok">{done}</Notice>}
    </article>
  );
}
