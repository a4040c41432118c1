import { FormEvent, useState } from "react";
import { formatTime, query } from "../api";
import { More, Notice, usePages } from "../components/common";

type Entry = {
  id: string;
  /** admin (by hand), shopify (the store's webhooks and the order push) or system (a setting). */
  actor: "admin" | "shopify" | "system";
  admin_email: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  changes: { before?: unknown; after?: unknown };
  ip_address: string | null;
  user_agent: string | null;
  created_at: string;
};

type Filters = { entity_type: string; entity_id: string; action: string; from: string; to: string };
const EMPTY: Filters = { entity_type: "", entity_id: "", action: "", from: "", to: "" };

/** Who made the change, as a person reads it. */
function who(e: Entry) {
  if (e.actor === "shopify") return "Shopify";
  if (e.actor === "system") return "FitKart (automatic)";
  return e.admin_email ?? "an admin";
}

function params(f: Filters) {
  return {
    entity_type: f.entity_type,
    entity_id: f.entity_id.trim(),
    action: f.action.trim(),
    from: f.from ? `${f.from}T00:00:00Z` : "",
    to: f.to ? `${f.to}T23:59:59Z` : "",
  };
}

export function AuditLog() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const { items, loaded, error, cursor, more } = usePages<Entry>(
    (cursor) => `/v1/admin/logs${query({ ...params(filters), cursor })}`,
    [filters],
  );
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  return (
    <section>
      <form
        className="toolbar filters"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <label>
          Entity{" "}
          <select value={draft.entity_type} onChange={set("entity_type")}>
            <option value="">any</option>
            <option value="step_validation">step validation</option>
            <option value="user">user</option>
            <option value="order">order</option>
            <option value="reward_product">reward</option>
            <option value="setting">setting</option>
          </select>
        </label>
        <label>
          Entity id <input value={draft.entity_id} onChange={set("entity_id")} placeholder="uuid" />
        </label>
        <label>
          Action <input value={draft.action} onChange={set("action")} placeholder="e.g. order.update" />
        </label>
        <label>
          From <input type="date" value={draft.from} onChange={set("from")} />
        </label>
        <label>
          To <input type="date" value={draft.to} onChange={set("to")} />
        </label>
        <button type="submit">Filter</button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {items.map((e) => (
        <article key={e.id} className="card audit" aria-label={`${e.action} by ${who(e)}`}>
          <header>
            <strong>{e.action}</strong> <span>{e.entity_type}</span> <code>{e.entity_id ?? ""}</code>
          </header>
          <p className="meta">
            {formatTime(e.created_at)} · {who(e)}
            {e.actor === "admin" ? ` · ${e.ip_address ?? "no IP"} · ${e.user_agent ?? ""}` : ""}
          </p>
          <Diff before={e.changes.before} after={e.changes.after} />
        </article>
      ))}
      {loaded && items.length === 0 && <p className="empty">No entries.</p>}
      <More cursor={cursor} onMore={more} />
    </section>
  );
}

const show = (v: unknown) => (v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v));

/** Before and after, one row per top-level field; changed fields are marked. */
function Diff({ before, after }: { before: unknown; after: unknown }) {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const keys = Array.from(new Set([...Object.keys(b), ...Object.keys(a)]));
  return (
    <table className="diff">
      <thead>
        <tr>
          <th>Field</th>
          <th>Before</th>
          <th>After</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => {
          const changed = JSON.stringify(b[k]) !== JSON.stringify(a[k]);
          return (
            <tr key={k} className={changed ? "changed" : ""}>
              <td>{k}</td>
              <td>
                <code>{show(b[k])}</code>
              </td>
              <td>
                <code>{show(a[k])}</code>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
