import { useState } from "react";
import { api } from "../api";
import { Notice, useLoad } from "../components/common";

/** The languages walkers read; the console itself stays English. */
const LOCALES = [
  ["en", "English"],
  ["de", "German"],
  ["fr", "French"],
  ["es", "Spanish"],
  ["pl", "Polish"],
  ["ja", "Japanese"],
  ["en-XA", "Pseudo (en-XA, local runs only)"],
] as const;

const MAILS = ["verify_email", "change_email", "reset_password", "email_changed", "email_change_requested", "password_changed"];
const PUSHES = [
  "coins_credited", "day_held", "review_decided", "achievement_unlocked", "order_updated", "streak_at_risk",
  "friend_request", "friend_accepted", "team_joined", "team_goal_reached", "challenge_invited", "challenge_started",
  "challenge_overtaken", "challenge_ended", "challenge_result", "gift_arrived", "gift_settled", "gift_reversed",
  "campaign_goal_reached",
];

type Preview = { locale: string; subject?: string; text?: string; html?: string; title?: string; body?: string };

/** A mail or push as a walker reads it in their language, from sample facts. */
export function Messages() {
  const [channel, setChannel] = useState<"mail" | "push">("push");
  const [name, setName] = useState("day_held");
  const [locale, setLocale] = useState("de");
  const names = channel === "mail" ? MAILS : PUSHES;
  const { data, error } = useLoad(
    () => api<Preview>("GET", `/v1/admin/previews/${channel}/${name}?locale=${locale}`),
    [channel, name, locale],
  );
  return (
    <section>
      <h1>Messages</h1>
      <p>What a walker receives, in their language. Each walker's language is on their page under Users.</p>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Channel
          <select
            value={channel}
            onChange={(e) => {
              const next = e.target.value as "mail" | "push";
              setChannel(next);
              setName(next === "mail" ? MAILS[0] : PUSHES[0]);
            }}
          >
            <option value="push">Push</option>
            <option value="mail">Mail</option>
          </select>
        </label>
        <label>
          Message
          <select value={name} onChange={(e) => setName(e.target.value)}>
            {names.map((n) => (
              <option key={n} value={n}>
                {n.replaceAll("_", " ")}
              </option>
            ))}
          </select>
        </label>
        <label>
          Language
          <select value={locale} onChange={(e) => setLocale(e.target.value)}>
            {LOCALES.map(([tag, label]) => (
              <option key={tag} value={tag}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {data && (
        <article className="card" aria-label="Preview" lang={data.locale}>
          {data.title !== undefined ? (
            <>
              <strong>{data.title}</strong>
              <p>{data.body}</p>
            </>
          ) : (
            <>
              <strong>{data.subject}</strong>
              <pre className="mail-text">{data.text}</pre>
            </>
          )}
        </article>
      )}
    </section>
  );
}
