-- Rate limits counted in one statement. A hit used to insert its row, then count the
-- window in a second statement; a row deleted in between (a correct one-time code forgets
-- the guesses before it) left the count looking at nothing. Now each (bucket, subject)
-- is one row holding the instants of its hits in the window: one upsert prunes what fell
-- out of the window, decides, and records the hit if it is let through, under the row's
-- lock, so concurrent hits are counted in turn and nothing can be seen half done.
CREATE TABLE rate_limit_windows (
    bucket      VARCHAR(32) NOT NULL,
    subject     TEXT NOT NULL,
    -- The hits let through within the window, oldest first (at most the limit's size).
    hits        TIMESTAMPTZ[] NOT NULL,
    -- Whether the latest hit was refused.
    refused     BOOLEAN NOT NULL,
    last_hit_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (bucket, subject)
);
COMMENT ON TABLE rate_limit_windows IS 'sliding-window rate limits kept in Postgres (functions are stateless): one row per limited subject';
CREATE INDEX rate_limit_windows_last_hit_at_idx ON rate_limit_windows (last_hit_at);

-- The hits of a window still inside it after `since`, oldest first.
CREATE FUNCTION rate_limit_pruned(hits TIMESTAMPTZ[], since TIMESTAMPTZ) RETURNS TIMESTAMPTZ[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(array_agg(h ORDER BY h), '{}') FROM unnest(hits) h WHERE h > since
$$;

DROP TABLE rate_limit_hits;
