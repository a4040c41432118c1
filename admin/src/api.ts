// The console's only way to the backend: the public API of openapi.yaml with the admin's own
// tokens. Token storage: the access token lives in memory only (15 minutes, gone with
// the page); the refresh token is kept in sessionStorage so that a reload in the same tab
// stays signed in, and it disappears when the tab closes. Nothing goes to localStorage.

export type FieldError = { field: string; message: string };

/** An RFC 9457 problem from the API. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    public detail: string,
    public errors: FieldError[] = [],
  ) {
    super(detail);
  }

  /** The message of one field's validation error, if any. */
  field(name: string): string | undefined {
    return this.errors.find((e) => e.field === name)?.message;
  }
}

export type Page<T> = { items: T[]; next_cursor: string | null };

/** The API's origin: the page's own (local runner) unless the build names one (AWS, where
 * the console is served by CloudFront and the API allows it by CORS). */
const API = (import.meta.env.VITE_API_URL ?? "").replace(/\/$/, "");

const REFRESH_KEY = "fitkart.admin.refresh";
let accessToken: string | null = null;
let onSignedOut: () => void = () => {};

export function whenSignedOut(callback: () => void) {
  onSignedOut = callback;
}

function keep(tokens: { access_token: string; refresh_token: string }) {
  accessToken = tokens.access_token;
  sessionStorage.setItem(REFRESH_KEY, tokens.refresh_token);
}

export function signOutLocally() {
  accessToken = null;
  sessionStorage.removeItem(REFRESH_KEY);
}

async function problem(res: Response): Promise<ApiError> {
  try {
    const body = await res.json();
    return new ApiError(res.status, body.code ?? "error", body.detail ?? res.statusText, body.errors ?? []);
  } catch {
    return new ApiError(res.status, "error", res.statusText);
  }
}

/** Exchanges the stored refresh token for new tokens; false if there is none or it failed. */
async function refresh(): Promise<boolean> {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (!refreshToken) return false;
  const res = await fetch(`${API}/v1/auth/refresh`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  if (!res.ok) {
    signOutLocally();
    return false;
  }
  keep((await res.json()).tokens);
  return true;
}

/** A call with the admin's token; an expired token is refreshed once, then the console
 * signs out. A `202` (a change that waits for a second admin) answers its change request. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const send = () =>
    fetch(`${API}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  let res = await send();
  if (res.status === 401 && (await refresh())) {
    res = await send();
  }
  if (res.status === 401) {
    signOutLocally();
    onSignedOut();
  }
  if (!res.ok) throw await problem(res);
  return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
}

export type Me = { id: string; email: string; full_name: string; role: string };

/**
 * Where a sign-in stands. Admin routes need a session that proved the admin's second
 * factor: after the password comes the authenticator's code, or (for an admin without
 * one yet) setting one up.
 */
export type SignInStep =
  | { step: "code"; me: Me; password_token: string; password_refresh: string }
  | { step: "enrol"; me: Me; password_token: string; password_refresh: string; enrolment: Enrolment };

export type Enrolment = { secret: string; otpauth_uri: string; qr_svg: string };

async function call<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await problem(res);
  return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
}

async function logout(refreshToken: string) {
  await fetch(`${API}/v1/auth/logout`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ refresh_token: refreshToken }),
  }).catch(() => {});
}

/** Signs in with the password; only admins may use the console. The answer says what the
 * second factor needs next. */
export async function signIn(email: string, password: string): Promise<SignInStep> {
  const session = await call<{ user: Me; tokens: { access_token: string; refresh_token: string } }>(
    "POST",
    "/v1/auth/login",
    null,
    { email, password },
  );
  const { access_token, refresh_token } = session.tokens;
  if (session.user.role !== "admin") {
    await logout(refresh_token);
    throw new ApiError(403, "forbidden", "This account is not an admin.");
  }
  const mfa = await call<{ totp_enrolled: boolean }>("GET", "/v1/me/mfa", access_token);
  if (mfa.totp_enrolled) {
    return { step: "code", me: session.user, password_token: access_token, password_refresh: refresh_token };
  }
  const enrolment = await call<Enrolment>("POST", "/v1/me/mfa/totp", access_token);
  return { step: "enrol", me: session.user, password_token: access_token, password_refresh: refresh_token, enrolment };
}

/** The authenticator's code (or a recovery code) for the console's session; the
 * password-only session is ended. */
export async function proveCode(pending: SignInStep, code: string): Promise<Me> {
  const session = await call<{ user: Me; tokens: { access_token: string; refresh_token: string } }>(
    "POST",
    "/v1/auth/mfa",
    pending.password_token,
    { code },
  );
  await logout(pending.password_refresh);
  keep(session.tokens);
  return session.user;
}

/** Confirms a new authenticator with its first code; answers the recovery codes, shown once. */
export async function confirmEnrolment(pending: SignInStep, code: string): Promise<{ me: Me; recoveryCodes: string[] }> {
  const done = await call<{ recovery_codes: string[]; user: Me; tokens: { access_token: string; refresh_token: string } }>(
    "POST",
    "/v1/me/mfa/totp/confirm",
    pending.password_token,
    { code },
  );
  await logout(pending.password_refresh);
  keep(done.tokens);
  return { me: done.user, recoveryCodes: done.recovery_codes };
}

/** After a reload: the session of this tab, if it is still valid. */
export async function resume(): Promise<Me | null> {
  if (!(await refresh())) return null;
  try {
    const me = await api<Me>("GET", "/v1/me");
    return me.role === "admin" ? me : null;
  } catch {
    return null;
  }
}

export async function signOut() {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  signOutLocally();
  if (refreshToken) await logout(refreshToken);
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const formatNumber = (n: number) => n.toLocaleString("en-US");
export const formatTime = (t: string | null | undefined) =>
  t ? new Date(t).toLocaleString("en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "short" }) + " UTC" : "—";

/** A money-relevant change that waits for a second admin (answered `202`). */
export type ChangeRequest = {
  id: string;
  kind: "role" | "coins" | "setting" | "price" | "campaign" | "day" | "challenge" | "payout" | "gift" | "account";
  entity_type: string;
  entity_id: string | null;
  setting_key: string | null;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  reason: string;
  status: "pending" | "approved" | "rejected" | "withdrawn" | "expired";
  requested_by: string;
  requested_by_email: string;
  requested_at: string;
  expires_at: string;
  decided_by_email: string | null;
  decided_at: string | null;
  decision_note: string | null;
  approvers_available: number;
  /** Why one admin could not apply it alone. */
  waits_because: string;
};

export function isChangeRequest(x: unknown): x is ChangeRequest {
  return typeof x === "object" && x !== null && "requested_by" in x && "approvers_available" in x;
}

/** What the console says when a change waits for a second admin. */
export function waitingMessage(request: ChangeRequest): string {
  const why = `It waits because ${request.waits_because}.`;
  return request.approvers_available > 0
    ? `Waiting for a second admin: ${why} Another admin approves it under Approvals, with a code from their authenticator.`
    : `Waiting for a second admin: ${why} No other admin can approve it yet (there is only one, or the others became admins less than 7 days ago). It expires in 72 hours.`;
}

export type Report = {
  id: string;
  target_type: "user" | "team";
  target_id: string | null;
  reason: "offensive_name" | "offensive_avatar" | "harassment" | "cheating" | "spam" | "other" | "gift_pattern";
  note: string | null;
  snapshot_name: string | null;
  snapshot_avatar: string | null;
  status: "open" | "actioned" | "dismissed";
  action: string | null;
  reporter_id: string | null;
  handled_by: string | null;
  handled_at: string | null;
  created_at: string;
};

export type ChallengeSummary = {
  id: string;
  kind: "race" | "goal";
  template: string;
  title: string;
  stake_coins: number;
  pot_coins: number;
  people: number;
  start_date: string;
  end_date: string;
  status: "open" | "running" | "settled" | "cancelled";
  created_at: string;
};

export type Standing = {
  id: string;
  alias: string;
  status: "invited" | "accepted" | "declined" | "expired" | "disqualified";
  steps: number | null;
  goal_days_met: number;
  place: number | null;
  succeeded: boolean | null;
  stake_coins: number;
  payout_coins: number | null;
  joined_at: string | null;
};

export type Challenge = ChallengeSummary & {
  goal: { steps: number; days: number } | null;
  phase: "upcoming" | "running" | "provisional" | "settled" | "cancelled";
  starts_at: string;
  ends_at: string;
  settles_after: string;
  cancel_reason: string | null;
  /** Settled, but its payout waits for an admin (the transfer policy held it). */
  payout_held_reason: string | null;
  finished_at: string | null;
  standings: Standing[];
};

export type Person = { id: string; alias: string; avatar_url: string | null };

export type Gift = {
  id: string;
  sender: Person;
  recipient: Person;
  coins: number;
  message: string | null;
  status: "pending" | "settled" | "reversed";
  created_at: string;
  settles_at: string;
  finished_at: string | null;
  reversed_reason: string | null;
};

export type Campaign = {
  id: string;
  charity_name: string;
  charity_registration: string;
  charity_website: string;
  title: string;
  description: string;
  starts_at: string;
  ends_at: string;
  purse_cents: number;
  cents_per_1000_coins: number;
  monthly_cap_cents: number;
  team_id: string | null;
  status: "draft" | "open" | "withdrawn";
  raised_cents: number;
  goal_reached_at: string | null;
  donors: number;
};

export type PayoutLine = {
  charity_registration: string;
  charity_name: string;
  month: string;
  donations: number;
  donated_cents: number;
  first_donation_at: string | null;
  last_donation_at: string | null;
  carried_in_cents: number;
  owed_cents: number;
  payable: boolean;
  paid: { cents: number; reference: string | null; paid_by: string; paid_at: string } | null;
};

export const formatCents = (cents: number) => `$${(cents / 100).toFixed(2)}`;
