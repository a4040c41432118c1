import { useState } from "react";
import { api, ApiError, ChangeRequest, formatTime, isChangeRequest, waitingMessage } from "../api";
import { Notice, useLoad } from "../components/common";

type Setting = {
  key: string;
  value: number | boolean | string | string[];
  description: string | null;
  type: "integer" | "boolean" | "decimal" | "countries" | "unknown";
  min: number | string | null;
  max: number | string | null;
  updated_at: string;
  needs_second_admin: boolean;
};

export function Settings() {
  const { data, error } = useLoad(() => api<{ items: Setting[] }>("GET", "/v1/admin/settings"), []);
  return (
    <section>
      <p className="hint">
        Changes take effect in every function within 5 seconds; each one is audited. A setting marked “second admin”
        moves money or a fraud defence: a change to it waits under Approvals until another admin approves it.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      <div className="settings">
        {data?.items.map((s) => (
          <SettingRow key={s.key} setting={s} />
        ))}
      </div>
    </section>
  );
}

function SettingRow({ setting }: { setting: Setting }) {
  const [current, setCurrent] = useState(setting);
  const [draft, setDraft] = useState(String(setting.value));
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [reason, setReason] = useState("");
  const id = `setting-${setting.key}`;

  async function save(raw: string | boolean) {
    setFieldError(null);
    setSaved(null);
    // Send the natural JSON type; the API validates type and range and says what is wrong.
    const value = typeof raw === "boolean" ? raw : current.type === "integer" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    try {
      const body = current.needs_second_admin ? { value, reason: reason.trim() } : { value };
      const answer = await api<Setting | ChangeRequest>("PUT", `/v1/admin/settings/${setting.key}`, body);
      if (isChangeRequest(answer)) {
        setDraft(String(current.value));
        setReason("");
        setSaved(`Requested. ${waitingMessage(answer)}`);
      } else {
        setCurrent(answer);
        setDraft(String(answer.value));
        setSaved("Saved.");
      }
    } catch (e) {
      setFieldError(e instanceof ApiError ? (e.field("value") ?? e.field("reason") ?? e.detail) : String(e));
    }
  }

  const range = current.min !== null ? `${current.min} to ${current.max}` : "";
  return (
    <div className="setting">
      <label htmlFor={id}>
        <code>{current.key}</code>
        <span className="description">{current.description}</span>
        <small>
          {current.type}
          {range && `, ${range}`} · updated {formatTime(current.updated_at)}
          {current.needs_second_admin && " · second admin"}
        </small>
      </label>
      {current.needs_second_admin && (
        <input
          className="reason"
          aria-label={`Reason for changing ${current.key}`}
          placeholder="Why (a second admin reads it)"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          maxLength={500}
        />
      )}
      {current.type === "boolean" ? (
        <input id={id} type="checkbox" checked={current.value === true} onChange={(e) => save(e.target.checked)} />
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save(draft);
          }}
        >
          <input
            id={id}
            value={draft}
            inputMode={current.type === "integer" ? "numeric" : current.type === "decimal" ? "decimal" : "text"}
            aria-invalid={!!fieldError}
            aria-describedby={fieldError ? `${id}-error` : undefined}
            onChange={(e) => setDraft(e.target.value)}
          />
          <button type="submit" disabled={draft === String(current.value)}>
            Save
          </button>
        </form>
      )}
      {fieldError && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {fieldError}
        </p>
      )}
      {saved && (
        <p className="saved" role="status">
          {saved}
        </p>
      )}
    </div>
  );
}
