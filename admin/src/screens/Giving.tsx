import { FormEvent, useState } from "react";
import {
  api,
  Campaign,
  ChangeRequest,
  formatCents,
  formatNumber,
  formatTime,
  Gift,
  isChangeRequest,
  PayoutLine,
  query,
  waitingMessage,
} from "../api";
import { Badge, messageOf, More, Notice, useLoad, usePages } from "../components/common";

/**
 * Giving: charity campaigns (a draft is opened by a second admin, as it commits a
 * sponsor's purse), the monthly payout report per charity (downloadable as CSV; marking a
 * month paid is audited), and gifts between walkers (a pending one can be reversed).
 */
export function Giving() {
  return (
    <section>
      <Campaigns />
      <Payouts />
      <Gifts />
    </section>
  );
}

function Campaigns() {
  const { data, error, reload } = useLoad(() => api<{ items: Campaign[] }>("GET", "/v1/admin/campaigns"), []);
  return (
    <>
      <h2>Campaigns</h2>
      {error && <Notice kind="error">{error}</Notice>}
      {data && data.items.length === 0 && <p className="empty">No campaigns yet.</p>}
      {data && data.items.length > 0 && (
        <table aria-label="Campaigns">
          <thead>
            <tr>
              <th>Campaign</th>
              <th>Charity</th>
              <th className="num">Raised</th>
              <th className="num">Donors</th>
              <th>Runs</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.items.map((c) => (
              <CampaignRow key={c.id} campaign={c} onChanged={reload} />
            ))}
          </tbody>
        </table>
      )}
      <NewCampaign onCreated={reload} />
    </>
  );
}

function CampaignRow({ campaign: c, onChanged }: { campaign: Campaign; onChanged: () => void }) {
  const [said, setSaid] = useState<string | null>(null);
  async function askToOpen() {
    try {
      const answer = await api<ChangeRequest>("POST", `/v1/admin/campaigns/${c.id}/open`, { reason: "Sponsor agreement in place" });
      setSaid(isChangeRequest(answer) ? `Requested. ${waitingMessage(answer)}` : "Opened.");
      onChanged();
    } catch (e) {
      setSaid(messageOf(e));
    }
  }
  return (
    <tr>
      <td>{c.title}</td>
      <td>
        {c.charity_name} <small>{c.charity_registration}</small>
      </td>
      <td className="num">
        {formatCents(c.raised_cents)} of {formatCents(c.purse_cents)}
      </td>
      <td className="num">{formatNumber(c.donors)}</td>
      <td>
        {formatTime(c.starts_at)} – {formatTime(c.ends_at)}
      </td>
      <td>
        <Badge tone={c.status === "draft" ? "warn" : undefined}>{c.status}</Badge>
      </td>
      <td>
        {c.status === "draft" && <button onClick={() => void askToOpen()}>Ask to open</button>}
        {said && <small role="status">{said}</small>}
      </td>
    </tr>
  );
}

function NewCampaign({ onCreated }: { onCreated: () => void }) {
  const [fields, setFields] = useState({
    charity_name: "",
    charity_registration: "",
    charity_website: "https://",
    title: "",
    description: "",
    days: "30",
    purse_dollars: "500",
    cents_per_1000_coins: "25",
    monthly_cap_dollars: "10",
  });
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const set = (k: keyof typeof fields) => (e: { target: { value: string } }) => setFields({ ...fields, [k]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setProblem(null);
    const now = new Date();
    try {
      await api<Campaign>("POST", "/v1/admin/campaigns", {
        charity_name: fields.charity_name,
        charity_registration: fields.charity_registration,
        charity_website: fields.charity_website,
        title: fields.title,
        description: fields.description,
        starts_at: now.toISOString(),
        ends_at: new Date(now.getTime() + Number(fields.days) * 86_400_000).toISOString(),
        purse_cents: Math.round(Number(fields.purse_dollars) * 100),
        cents_per_1000_coins: Number(fields.cents_per_1000_coins),
        monthly_cap_cents: Math.round(Number(fields.monthly_cap_dollars) * 100),
      });
      setDone("Drafted: ask to open it, and a second admin approves.");
      onCreated();
    } catch (err) {
      setProblem(messageOf(err));
    }
  }

  return (
    <form className="card" aria-label="New campaign" onSubmit={(e) => void submit(e)}>
      <h3>New campaign</h3>
      <label>
        Charity <input value={fields.charity_name} onChange={set("charity_name")} maxLength={120} />
      </label>
      <label>
        Registration number <input value={fields.charity_registration} onChange={set("charity_registration")} maxLength={40} />
      </label>
      <label>
        Website <input value={fields.charity_website} onChange={set("charity_website")} maxLength={300} />
      </label>
      <label>
        Title <input value={fields.title} onChange={set("title")} maxLength={120} />
      </label>
      <label>
        Description <input value={fields.description} onChange={set("description")} maxLength={2000} />
      </label>
      <label>
        Days from now <input value={fields.days} onChange={set("days")} inputMode="numeric" />
      </label>
      <label>
        Sponsor's purse ($) <input value={fields.purse_dollars} onChange={set("purse_dollars")} inputMode="decimal" />
      </label>
      <label>
        Cents per 1,000 coins <input value={fields.cents_per_1000_coins} onChange={set("cents_per_1000_coins")} inputMode="numeric" />
      </label>
      <label>
        Cap per person a month ($) <input value={fields.monthly_cap_dollars} onChange={set("monthly_cap_dollars")} inputMode="decimal" />
      </label>
      <button type="submit">Draft the campaign</button>
      {problem && <Notice kind="error">{problem}</Notice>}
      {done && <Notice kind="ok">{done}</Notice>}
    </form>
  );
}

const thisMonth = () => new Date().toISOString().slice(0, 7);

/** The report as CSV, one line per charity (amounts in cents). */
function csvOf(lines: PayoutLine[]): string {
  const header = [
    "charity_registration",
    "charity_name",
    "month",
    "donations",
    "donated_cents",
    "carried_in_cents",
    "owed_cents",
    "payable",
    "first_donation_at",
    "last_donation_at",
    "paid_cents",
    "paid_at",
    "reference",
  ];
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = lines.map((l) =>
    [
      l.charity_registration,
      l.charity_name,
      l.month.slice(0, 7),
      l.donations,
      l.donated_cents,
      l.carried_in_cents,
      l.owed_cents,
      l.payable,
      l.first_donation_at,
      l.last_donation_at,
      l.paid?.cents,
      l.paid?.paid_at,
      l.paid?.reference,
    ]
      .map(cell)
      .join(","),
  );
  return [header.join(","), ...rows].join("\n") + "\n";
}

function Payouts() {
  const [month, setMonth] = useState(thisMonth());
  const { data, error, reload } = useLoad(
    () => api<{ minimum_payout_cents: number; items: PayoutLine[] }>("GET", `/v1/admin/payouts${query({ month })}`),
    [month],
  );
  const [problem, setProblem] = useState<string | null>(null);

  function download() {
    if (!data) return;
    const url = URL.createObjectURL(new Blob([csvOf(data.items)], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `fitkart-payouts-${month}.csv`;
    a.click();
    URL.revokeObjectURL(url);
  }

  async function markPaid(line: PayoutLine) {
    setProblem(null);
    const reference = window.prompt(`Transfer reference for ${line.charity_name}, ${formatCents(line.owed_cents)}`) ?? "";
    try {
      await api("POST", "/v1/admin/payouts", {
        charity_registration: line.charity_registration,
        month,
        ...(reference.trim() ? { reference: reference.trim() } : {}),
      });
      reload();
    } catch (e) {
      setProblem(messageOf(e));
    }
  }

  return (
    <>
      <h2>Payouts to charities</h2>
      <div className="toolbar">
        <label>
          Month <input type="month" value={month} onChange={(e) => setMonth(e.target.value)} />
        </label>
        <button onClick={download} disabled={!data}>
          Download CSV
        </button>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {problem && <Notice kind="error">{problem}</Notice>}
      {data && (
        <p>
          Minimum payout {formatCents(data.minimum_payout_cents)}; less carries to the next month.
        </p>
      )}
      {data && data.items.length === 0 && <p className="empty">Nobody is owed anything for this month.</p>}
      {data && data.items.length > 0 && (
        <table aria-label="Payouts">
          <thead>
            <tr>
              <th>Charity</th>
              <th className="num">Donations</th>
              <th className="num">This month</th>
              <th className="num">Carried in</th>
              <th className="num">Owed</th>
              <th>Paid</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((l) => (
              <tr key={l.charity_registration}>
                <td>
                  {l.charity_name} <small>{l.charity_registration}</small>
                </td>
                <td className="num">{formatNumber(l.donations)}</td>
                <td className="num">{formatCents(l.donated_cents)}</td>
                <td className="num">{formatCents(l.carried_in_cents)}</td>
                <td className="num">{formatCents(l.owed_cents)}</td>
                <td>
                  {l.paid ? (
                    `${formatCents(l.paid.cents)} on ${formatTime(l.paid.paid_at)}`
                  ) : l.payable ? (
                    <button onClick={() => void markPaid(l)}>Mark paid</button>
                  ) : (
                    "carries over"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Gifts() {
  const [status, setStatus] = useState("pending");
  const { items, loaded, error, reload, cursor, more } = usePages<Gift>(
    (cursor) => `/v1/admin/gifts${query({ status, cursor })}`,
    [status],
  );
  const [problem, setProblem] = useState<string | null>(null);

  async function reverse(gift: Gift) {
    setProblem(null);
    const reason = window.prompt("Why reverse this gift (for the audit log)?") ?? "";
    if (!reason.trim()) return;
    try {
      const answer = await api<unknown>("POST", `/v1/admin/gifts/${gift.id}/reverse`, { reason: reason.trim() });
      if (isChangeRequest(answer)) setProblem(`Requested. ${waitingMessage(answer)}`);
      reload();
    } catch (e) {
      setProblem(messageOf(e));
    }
  }

  return (
    <>
      <h2>Gifts</h2>
      <div className="toolbar">
        <label>
          Show{" "}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="pending">Pending</option>
            <option value="settled">Settled</option>
            <option value="reversed">Reversed</option>
          </select>
        </label>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {problem && <Notice kind="error">{problem}</Notice>}
      {loaded && items.length === 0 && <p className="empty">Nothing here.</p>}
      {items.length > 0 && (
        <table aria-label="Gifts">
          <thead>
            <tr>
              <th>From</th>
              <th>To</th>
              <th className="num">Coins</th>
              <th>Sent</th>
              <th>Settles</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((g) => (
              <tr key={g.id}>
                <td>{g.sender.alias}</td>
                <td>{g.recipient.alias}</td>
                <td className="num">{formatNumber(g.coins)}</td>
                <td>{formatTime(g.created_at)}</td>
                <td>{g.status === "pending" ? formatTime(g.settles_at) : g.status}</td>
                <td>{g.status === "pending" && <button onClick={() => void reverse(g)}>Reverse</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <More cursor={cursor} onMore={more} />
    </>
  );
}
