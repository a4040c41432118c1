// The console's only way to the backend: the public API of API.md with the admin's own
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

/** A call with the admin's token; an expired token is refreshed once, then the console signs out. */
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

/** Signs in; only admins may use the console. */
export async function signIn(email: string, password: string): Promise<Me> {
  const res = await fetch(`${API}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw await problem(res);
  const session = await res.json();
  if (session.user.role !== "admin") {
    await fetch(`${API}/v1/auth/logout`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: session.tokens.refresh_token }),
    });
    throw new ApiError(403, "forbidden", "This account is not an admin.");
  }
  keep(session.tokens);
  return session.user;
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
  if (refreshToken) {
    await fetch(`${API}/v1/auth/logout`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    }).catch(() => {});
  }
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
