import React, { useEffect, useState } from "react";
import { Me, resume, signOut, whenSignedOut } from "./api";
import { SignIn } from "./screens/SignIn";
import { Review } from "./screens/Review";
import { Orders } from "./screens/Orders";
import { Users } from "./screens/Users";
import { Settings } from "./screens/Settings";
import { AuditLog } from "./screens/AuditLog";
import { Stats } from "./screens/Stats";
import { Approvals } from "./screens/Approvals";
import { Reports } from "./screens/Reports";
import { Challenges } from "./screens/Challenges";
import { Giving } from "./screens/Giving";
import { Messages } from "./screens/Messages";

const SCREENS: { path: string; label: string; view: (props: { me: Me }) => React.JSX.Element }[] = [
  { path: "review", label: "Review queue", view: Review },
  { path: "orders", label: "Orders", view: Orders },
  { path: "users", label: "Users", view: Users },
  { path: "approvals", label: "Approvals", view: Approvals },
  { path: "reports", label: "Reports", view: Reports },
  { path: "challenges", label: "Challenges", view: Challenges },
  { path: "giving", label: "Giving", view: Giving },
  { path: "messages", label: "Messages", view: Messages },
  { path: "settings", label: "Settings", view: Settings },
  { path: "audit", label: "Audit log", view: AuditLog },
  { path: "stats", label: "Stats", view: Stats },
];

/** The screen named by the URL hash (#/orders), so that reloads and links keep their place. */
function useRoute(): string {
  const read = () => window.location.hash.replace(/^#\/?/, "").split("?")[0] || "review";
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(true);
  const route = useRoute();

  useEffect(() => {
    whenSignedOut(() => setMe(null));
    resume().then((session) => {
      setMe(session);
      setChecking(false);
    });
  }, []);

  if (checking) return <p className="loading">Loading…</p>;
  if (!me) return <SignIn onSignedIn={setMe} />;

  const screen = SCREENS.find((s) => s.path === route) ?? SCREENS[0];
  const View = screen.view;
  return (
    <div className="shell">
      <header>
        <strong className="brand">FitKart Admin</strong>
        <nav aria-label="Screens">
          {SCREENS.map((s) => (
            <a key={s.path} href={`#/${s.path}`} aria-current={s === screen ? "page" : undefined}>
              {s.label}
            </a>
          ))}
        </nav>
        <span className="who">
          {me.email}{" "}
          <button
            className="link"
            onClick={() => {
              // The screen goes first; the session ends on the server meanwhile.
              setMe(null);
              void signOut();
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <main>
        <h1>{screen.label}</h1>
        <View me={me} />
      </main>
    </div>
  );
}
