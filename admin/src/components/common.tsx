import { ReactNode, useCallback, useEffect, useState } from "react";
import { ApiError } from "../api";

/** Loads data with `load`, re-running when `deps` change; shows errors instead of data. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    setError(null);
    run()
      .then((d) => live && setData(d))
      .catch((e) => live && setError(e instanceof ApiError ? e.detail : String(e)));
    return () => {
      live = false;
    };
  }, [run, version]);
  return { data, error, reload: () => setVersion((v) => v + 1), setData };
}

export function Notice({ kind, children }: { kind: "error" | "ok"; children: ReactNode }) {
  return (
    <p className={`notice ${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </p>
  );
}

/** "Load more" for keyset pages. */
export function More({ cursor, onMore }: { cursor: string | null; onMore: (cursor: string) => void }) {
  return cursor ? (
    <button className="more" onClick={() => onMore(cursor)}>
      Load more
    </button>
  ) : null;
}

export function Badge({ children, tone }: { children: ReactNode; tone?: string }) {
  return <span className={`badge ${tone ?? ""}`}>{children}</span>;
}

/** The message of an API failure, for display. */
export function messageOf(e: unknown): string {
  return e instanceof ApiError ? e.detail : String(e);
}
