import { FormEvent, useState } from "react";
import { api, ChangeRequest, formatNumber, formatTime, isChangeRequest, query, waitingMessage } from "../api";
import { Badge, messageOf, More, Notice, useLoad, usePages } from "../components/common";

type Wallet = { available_coins: number; frozen_coins: number; total_earned: number; total_spent: number };
type Summary = { id: string; email: string; full_name: string; role: string; is_active: boolean; created_at: string; wallet: Wallet };
type Transaction = { id: string; amount: number; transaction_type: string; description: string | null; balance_after: number; created_at: string };
type Detail = Summary & { timezone: string; locale: string; total_steps: number; last_login_at: string | null; recent_transactions: Transaction[] };

export function Users() {
  const [q, setQ] = useState("");
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const { items, loaded, error, reload, cursor, more } = usePages<Summary>(
    (cursor) => `/v1/admin/users${query({ q: search, cursor })}`,
    [search],
  );

  return (
    <section className="split">
      <div>
        <form
          className="toolbar"
          role="search"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            setSearch(q.trim());
          }}
        >
          <label>
            Email or name starts with <input value={q} onChange={(e) => setQ(e.target.value)} />
          </label>
          <button type="submit">Search</button>
        </form>
        {error && <Notice kind="error">{error}</Notice>}
        <table>
          <thead>
            <tr>
              <th>User</th>
              <th className="num">Available</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {items.map((u) => (
              <tr key={u.id} className={selected === u.id ? "selected clickable" : "clickable"} onClick={() => setSelected(u.id)}>
                <td>
                  <button className="link">{u.email}</button>
                  <br />
                  <small>{u.full_name}</small>
                </td>
                <td className="num">{formatNumber(u.wallet.available_coins)}</td>
                <td>
                  {u.role === "admin" && <Badge tone="warn">admin</Badge>} {!u.is_active && <Badge tone="cancelled">inactive</Badge>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {loaded && items.length === 0 && <p className="empty">No users match.</p>}
        <More cursor={cursor} onMore={more} />
      </div>
      {selected && <UserDetail key={selected} id={selected} onChanged={reload} />}
    </section>
  );
}

function UserDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const { data: user, error, setData } = useLoad(() => api<Detail>("GET", `/v1/admin/users/${id}`), [id]);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [roleReason, setRoleReason] = useState("");

  if (error) return <Notice kind="error">{error}</Notice>;
  if (!user) return <p className="loading">Loading…</p>;

  async function update(body: Record<string, unknown>) {
    setMessage(null);
    try {
      const answer = await api<Detail | ChangeRequest>("PATCH", `/v1/admin/users/${id}`, body);
      if (isChangeRequest(answer)) {
        setRoleReason("");
        setMessage({ kind: "ok", text: `Role change requested. ${waitingMessage(answer)}` });
      } else {
        setData(answer);
        setMessage({ kind: "ok", text: "Saved." });
      }
      onChanged();
    } catch (e) {
      setMessage({ kind: "error", text: messageOf(e) });
    }
  }

  const coins = Number(amount);
  const validAmount = Number.isInteger(coins) && coins !== 0;
  async function adjust() {
    setMessage(null);
    try {
      const row = await api<Transaction | ChangeRequest>("POST", `/v1/admin/users/${id}/coins`, { amount: coins, reason: reason.trim() });
      setData(await api<Detail>("GET", `/v1/admin/users/${id}`));
      setAmount("");
      setReason("");
      setMessage(
        isChangeRequest(row)
          ? { kind: "ok", text: `Adjustment of ${formatNumber(coins)} coins requested. ${waitingMessage(row)}` }
          : { kind: "ok", text: `${row.transaction_type} of ${formatNumber(row.amount)} coins recorded; balance ${formatNumber(row.balance_after)}.` },
      );
      onChanged();
    } catch (e) {
      setMessage({ kind: "error", text: messageOf(e) });
    } finally {
      setConfirming(false);
    }
  }

  return (
    <aside className="card detail" aria-label={`User ${user.email}`}>
      <h2>
        {user.full_name} <small>{user.email}</small>
      </h2>
      <dl className="facts">
        <dt>Role</dt>
        <dd>{user.role}</dd>
        <dt>Status</dt>
        <dd>{user.is_active ? "active" : "deactivated"}</dd>
        <dt>Joined</dt>
        <dd>{formatTime(user.created_at)}</dd>
        <dt>Last sign-in</dt>
        <dd>{formatTime(user.last_login_at)}</dd>
        <dt>Total steps</dt>
        <dd>{formatNumber(user.total_steps)}</dd>
        <dt>Language</dt>
        <dd data-testid="locale">{user.locale}</dd>
        <dt>Time zone</dt>
        <dd>{user.timezone}</dd>
      </dl>
      <div className="wallet" aria-label="Wallet">
        <div>
          <span>Available</span>
          <strong data-testid="available-coins">{formatNumber(user.wallet.available_coins)}</strong>
        </div>
        <div>
          <span>Frozen</span>
          <strong>{formatNumber(user.wallet.frozen_coins)}</strong>
        </div>
        <div>
          <span>Earned</span>
          <strong>{formatNumber(user.wallet.total_earned)}</strong>
        </div>
        <div>
          <span>Spent</span>
          <strong>{formatNumber(user.wallet.total_spent)}</strong>
        </div>
      </div>
      <div className="buttons">
        <button className={user.is_active ? "danger" : ""} onClick={() => update({ is_active: !user.is_active })}>
          {user.is_active ? "Deactivate" : "Activate"}
        </button>
      </div>
      <div className="row">
        <label>
          Why the role should change (a second admin reads it, then approves)
          <input value={roleReason} onChange={(e) => setRoleReason(e.target.value)} maxLength={500} />
        </label>
      </div>
      <div className="buttons">
        <button
          className="secondary"
          disabled={!roleReason.trim()}
          onClick={() => update({ role: user.role === "admin" ? "user" : "admin", reason: roleReason.trim() })}
        >
          {user.role === "admin" ? "Ask to remove the admin role" : "Ask to make admin"}
        </button>
      </div>
      <form
        className="adjust"
        onSubmit={(e) => {
          e.preventDefault();
          setConfirming(true);
        }}
      >
        <h3>Adjust coins</h3>
        <p className="hint">More than the coin_adjust_four_eyes_above setting (1,000 by default) either way waits for a second admin.</p>
        <div className="row">
          <label>
            Amount (negative for a penalty)
            <input inputMode="numeric" value={amount} onChange={(e) => setAmount(e.target.value)} required />
          </label>
          <label>
            Reason (required, shown in the user's history)
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} required />
          </label>
        </div>
        {!confirming ? (
          <button type="submit" disabled={!validAmount || !reason.trim()}>
            Review adjustment
          </button>
        ) : (
          <div className="confirm" role="alertdialog" aria-label="Confirm the adjustment">
            <p>
              {coins > 0 ? "Give" : "Take"} {formatNumber(Math.abs(coins))} coins {coins > 0 ? "to" : "from"} {user.email}: “{reason.trim()}”?
            </p>
            <button type="button" onClick={adjust}>
              Confirm
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        )}
      </form>
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      <h3>Recent transactions</h3>
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Type</th>
            <th>Description</th>
            <th className="num">Amount</th>
            <th className="num">Balance</th>
          </tr>
        </thead>
        <tbody>
          {user.recent_transactions.map((t) => (
            <tr key={t.id}>
              <td>{formatTime(t.created_at)}</td>
              <td>{t.transaction_type}</td>
              <td>{t.description}</td>
              <td className="num">{formatNumber(t.amount)}</td>
              <td className="num">{formatNumber(t.balance_after)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </aside>
  );
}
