import { FormEvent, useState } from "react";
import { confirmEnrolment, Me, proveCode, signIn, SignInStep } from "../api";
import { messageOf, Notice } from "../components/common";

/**
 * Signing in to the console: the password, then the second factor every admin proves
 * (the authenticator app's code, or a recovery code); an admin without an authenticator
 * sets one up here first, and sees their ten recovery codes once.
 */
export function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [pending, setPending] = useState<SignInStep | null>(null);
  const [recovery, setRecovery] = useState<{ me: Me; codes: string[] } | null>(null);

  if (recovery) {
    return (
      <main className="signin">
        <section className="panel" aria-labelledby="recovery-title">
          <h1 id="recovery-title">Your recovery codes</h1>
          <p>Each works once, instead of a code from your phone. Keep them somewhere safe: they are not shown again.</p>
          <ul className="codes" aria-label="Recovery codes">
            {recovery.codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <button onClick={() => onSignedIn(recovery.me)}>I saved them, continue</button>
        </section>
      </main>
    );
  }
  if (!pending) return <Password onNext={setPending} />;
  if (pending.step === "code") return <Code pending={pending} onSignedIn={onSignedIn} onBack={() => setPending(null)} />;
  return <Enrol pending={pending} onDone={(me, codes) => setRecovery({ me, codes })} onBack={() => setPending(null)} />;
}

function Password({ onNext }: { onNext: (step: SignInStep) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onNext(await signIn(email, password));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">FitKart Admin</h1>
        <label>
          Email
          <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error && <Notice kind="error">{error}</Notice>}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}

function CodeField({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return (
    <label>
      Code from your authenticator app
      <input
        value={value}
        onChange={(e) => onChange(e.target.value)}
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={32}
        required
        autoFocus
      />
    </label>
  );
}

function Code({ pending, onSignedIn, onBack }: { pending: SignInStep; onSignedIn: (me: Me) => void; onBack: () => void }) {
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await proveCode(pending, code.trim()));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <form onSubmit={submit} aria-labelledby="code-title">
        <h1 id="code-title">Second factor</h1>
        <p>Signed in as {pending.me.email}. Enter the 6-digit code your authenticator app shows, or one of your recovery codes.</p>
        <CodeField value={code} onChange={setCode} />
        {error && <Notice kind="error">{error}</Notice>}
        <button type="submit" disabled={busy || !code.trim()}>
          {busy ? "Checking…" : "Verify"}
        </button>
        <button type="button" className="link" onClick={onBack}>
          Use another account
        </button>
      </form>
    </main>
  );
}

function Enrol({
  pending,
  onDone,
  onBack,
}: {
  pending: Extract<SignInStep, { step: "enrol" }>;
  onDone: (me: Me, codes: string[]) => void;
  onBack: () => void;
}) {
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { secret, otpauth_uri, qr_svg } = pending.enrolment;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const done = await confirmEnrolment(pending, code.trim());
      onDone(done.me, done.recoveryCodes);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <form onSubmit={submit} aria-labelledby="enrol-title" className="wide">
        <h1 id="enrol-title">Set up your authenticator</h1>
        <p>
          Admins prove a second factor. Scan this code with an authenticator app (Google Authenticator, 1Password,
          Authy…), then enter the code it shows.
        </p>
        <img className="qr" alt="QR code of your authenticator secret" src={`data:image/svg+xml;utf8,${encodeURIComponent(qr_svg)}`} />
        <p>
          Or type the secret in by hand: <code data-testid="totp-secret">{secret}</code>
        </p>
        <p className="hint">
          <a href={otpauth_uri}>Open in an authenticator app on this device</a>
        </p>
        <CodeField value={code} onChange={setCode} />
        {error && <Notice kind="error">{error}</Notice>}
        <button type="submit" disabled={busy || !code.trim()}>
          {busy ? "Checking…" : "Confirm and sign in"}
        </button>
        <button type="button" className="link" onClick={onBack}>
          Use another account
        </button>
      </form>
    </main>
  );
}
