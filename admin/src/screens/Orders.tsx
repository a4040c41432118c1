import { useState } from "react";
import { api, formatNumber, formatTime, query } from "../api";
import { Badge, messageOf, More, Notice, usePages } from "../components/common";

type Order = {
  id: string;
  order_code: string;
  status: string;
  total_coins: number;
  user_email: string;
  tracking_number: string | null;
  carrier: string | null;
  notes: string | null;
  /** The order in Shopify once it was sent there (it ships from Shopify then). */
  shopify_order_id: string | null;
  created_at: string;
  items: { name: string; quantity: number }[];
  shipping_address: { name: string; line1: string; line2?: string; city: string; postal_code: string; country: string };
  /** The workflow's next steps, from the API: the console offers exactly these. */
  next_statuses: string[];
};

const STATUSES = ["pending", "confirmed", "processing", "shipped", "delivered", "cancelled", "refunded"];

export function Orders() {
  const [status, setStatus] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const { items, loaded, error, reload, cursor, more } = usePages<Order>(
    (cursor) => `/v1/admin/orders${query({ status, cursor })}`,
    [status],
  );

  return (
    <section>
      <div className="toolbar">
        <label>
          Status{" "}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      <table>
        <thead>
          <tr>
            <th>Order</th>
            <th>Customer</th>
            <th>Items</th>
            <th className="num">Coins</th>
            <th>Status</th>
            <th>Placed</th>
          </tr>
        </thead>
        <tbody>
          {items.map((o) => (
            <OrderRow key={o.id} order={o} open={open === o.id} onToggle={() => setOpen(open === o.id ? null : o.id)} onChanged={reload} />
          ))}
        </tbody>
      </table>
      {loaded && items.length === 0 && <p className="empty">No orders.</p>}
      <More cursor={cursor} onMore={more} />
    </section>
  );
}

function OrderRow({ order, open, onToggle, onChanged }: { order: Order; open: boolean; onToggle: () => void; onChanged: () => void }) {
  const [tracking, setTracking] = useState(order.tracking_number ?? "");
  const [carrier, setCarrier] = useState(order.carrier ?? "");
  const [notes, setNotes] = useState(order.notes ?? "");
  const [error, setError] = useState<string | null>(null);

  async function move(to: string) {
    setError(null);
    try {
      await api("PATCH", `/v1/admin/orders/${order.id}`, {
        status: to,
        ...(tracking.trim() ? { tracking_number: tracking.trim() } : {}),
        ...(carrier.trim() ? { carrier: carrier.trim() } : {}),
        ...(notes.trim() ? { notes: notes.trim() } : {}),
      });
      onChanged();
    } catch (e) {
      setError(messageOf(e));
    }
  }

  return (
    <>
      <tr className="clickable" onClick={onToggle} aria-expanded={open}>
        <td>
          <button className="link" aria-label={`Order ${order.order_code}`}>
            {order.order_code}
          </button>
        </td>
        <td>{order.user_email}</td>
        <td>{order.items.map((i) => `${i.quantity} × ${i.name}`).join(", ")}</td>
        <td className="num">{formatNumber(order.total_coins)}</td>
        <td>
          <Badge tone={order.status}>{order.status}</Badge>
        </td>
        <td>{formatTime(order.created_at)}</td>
      </tr>
      {open && (
        <tr className="editor">
          <td colSpan={6}>
            <p>
              Ship to: {order.shipping_address.name}, {order.shipping_address.line1}
              {order.shipping_address.line2 ? `, ${order.shipping_address.line2}` : ""}, {order.shipping_address.postal_code}{" "}
              {order.shipping_address.city}, {order.shipping_address.country}
            </p>
            <p>
              {order.shopify_order_id
                ? `In Shopify as ${order.shopify_order_id}: it ships from Shopify, and Shopify's webhooks move it here.`
                : order.status === "confirmed" || order.status === "processing"
                  ? "Being sent to Shopify."
                  : "Not in Shopify."}
            </p>
            <div className="row">
              <label>
                Tracking number
                <input value={tracking} onChange={(e) => setTracking(e.target.value)} maxLength={128} />
              </label>
              <label>
                Carrier
                <input value={carrier} onChange={(e) => setCarrier(e.target.value)} maxLength={64} />
              </label>
              <label>
                Notes (staff only)
                <input value={notes} onChange={(e) => setNotes(e.target.value)} maxLength={2000} />
              </label>
            </div>
            <div className="buttons">
              {order.next_statuses.map((to) => (
                <button key={to} className={to === "cancelled" || to === "refunded" ? "danger" : ""} onClick={() => move(to)}>
                  Mark {to}
                </button>
              ))}
              {order.next_statuses.length === 0 && <span>No further steps for a {order.status} order.</span>}
              <button className="secondary" onClick={() => move(order.status)}>
                Save tracking and notes
              </button>
            </div>
            {error && <Notice kind="error">{error}</Notice>}
          </td>
        </tr>
      )}
    </>
  );
}
