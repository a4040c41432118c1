import { ReactNode, useCallback, useEffect, useState } from "react";
import { api, ApiError, Page } from "../api";

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

/**
 * A keyset-paged list (`{items, next_cursor}`): the first page from `url(null)`, loaded
 * again when `deps` change; `more` appends the next page. `loaded` is false until the
 * first page arrived.
 */
export function usePages<T>(url: (cursor: string | null) => string, deps: unknown[]) {
  const [extra, setExtra] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const { data, error, reload } = useLoad(async () => {
    const page = await api<Page<T>>("GET", url(null));
    setExtra([]);
    setCursor(page.next_cursor);
    return page.items;
  }, deps);
  async function more(c: string) {
    const page = await api<Page<T>>("GET", url(c));
    setExtra((e) => [...e, ...page.items]);
    setCursor(page.next_cursor);
  }
  return { items: [...(data ?? []), ...extra], loaded: data !== null, error, reload, cursor, more };
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
