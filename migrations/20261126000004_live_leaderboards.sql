-- Live leaderboards. Crediting moves each board's per-user total in the transaction that
-- pays the steps (it already holds the user's wallet lock); a job every few minutes
-- publishes what moved. Publishing reads and writes only the totals that moved, never a
-- whole board, so its cost follows the walkers who synced since the last run, not
-- everyone ranked.
--
-- How a rank is found without storing every user's rank: a published board is each
-- user's published total (leaderboard_totals.ranked_steps) plus a count of published
-- totals per band of step values (leaderboard_bands), with the number of users in the
-- bands above. A user's rank is 1 + the users in higher bands + the users of their own
-- band with more steps (a short index range). The job updates totals and band counts in
-- one transaction, so every reader sees one published board, whole.

-- Every board's per-user totals, keyed by the board: weekly (from Monday), monthly, and
-- all time (period_start 1970-01-01); weeks and months of the day walked, in UTC.
-- total_steps is live (crediting); ranked_steps is what the published board shows (the
-- job; NULL: not on it: nothing credited, or the account was deactivated or deleted);
-- moved says the total (or its account's standing) changed since the job last published
-- it: crediting sets it in the statement that moves the total, the job clears it.
CREATE TABLE leaderboard_totals (
    period       VARCHAR(16) NOT NULL
                 CONSTRAINT leaderboard_totals_period_check
                 CHECK (period IN ('weekly', 'monthly', 'all_time')),
    period_start DATE NOT NULL,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    total_steps  BIGINT NOT NULL CHECK (total_steps >= 0),
    ranked_steps BIGINT CHECK (ranked_steps > 0),
    moved        BOOLEAN NOT NULL DEFAULT true,
    PRIMARY KEY (period, period_start, user_id)
);
-- A user's rows, for the cascade on a hard delete and for an account leaving.
CREATE INDEX leaderboard_totals_user_idx ON leaderboard_totals (user_id);
-- A published board in order: its top entries, and the users just above someone in a band.
CREATE INDEX leaderboard_totals_ranked_idx ON leaderboard_totals (period, period_start, ranked_steps DESC, user_id)
    WHERE ranked_steps IS NOT NULL;
-- What the next run must publish: only the totals that moved, never the whole board.
CREATE INDEX leaderboard_totals_moved_idx ON leaderboard_totals (period, period_start, user_id) WHERE moved;

-- Bands of step values: 100 steps wide below a million, 1,000 below ten million, 10,000
-- above. A band holds the users of one short index range however many users there are,
-- and a board has at most a few thousand bands.
CREATE FUNCTION leaderboard_band_width(steps BIGINT) RETURNS BIGINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN steps < 1000000 THEN 100 WHEN steps < 10000000 THEN 1000 ELSE 10000 END::int8
$$;
-- The band of a step value: [floor, floor + width).
CREATE FUNCTION leaderboard_band(steps BIGINT) RETURNS BIGINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT steps - steps % leaderboard_band_width(steps)
$$;

-- Each published board's bands: how many published totals fall in each, and how many
-- are in the bands above (the job keeps both).
CREATE TABLE leaderboard_bands (
    period       VARCHAR(16) NOT NULL,
    period_start DATE NOT NULL,
    floor        BIGINT NOT NULL,
    -- No CHECK (users >= 0): the job adds each run's moves as signed deltas with an upsert,
    -- and a CHECK would be tested on the proposed (negative) row before its conflict.
    users        BIGINT NOT NULL,
    users_above  BIGINT NOT NULL DEFAULT 0 CHECK (users_above >= 0),
    PRIMARY KEY (period, period_start, floor)
);

-- The published boards: one row per board, written in the job's transaction. Readers
-- find the newest board of a period here and show when it was ranked.
CREATE TABLE leaderboards (
    period       VARCHAR(16) NOT NULL
                 CONSTRAINT leaderboards_period_check
                 CHECK (period IN ('weekly', 'monthly', 'all_time')),
    period_start DATE NOT NULL,
    ranked_at    TIMESTAMPTZ NOT NULL,
    ranked_users BIGINT NOT NULL CHECK (ranked_users >= 0),
    PRIMARY KEY (period, period_start)
);

-- A user's rank on a published board (ties share a rank: 1, 2, 2, 4), or NULL when they
-- are not on it. One definition for the leaderboard route and user_stats.
CREATE FUNCTION leaderboard_rank(board_period TEXT, board_start DATE, member UUID) RETURNS INTEGER
LANGUAGE sql STABLE AS $$
    SELECT (1 + b.users_above + (
               SELECT count(*) FROM leaderboard_totals o
               WHERE o.period = board_period AND o.period_start = board_start
                 AND o.ranked_steps > t.ranked_steps
                 AND o.ranked_steps < b.floor + leaderboard_band_width(b.floor)))::int
    FROM leaderboard_totals t
    JOIN leaderboard_bands b
      ON b.period = board_period AND b.period_start = board_start AND b.floor = leaderboard_band(t.ranked_steps)
    WHERE t.period = board_period AND t.period_start = board_start AND t.user_id = member
$$;

-- What the totals must be, recomputed from the step records: the backfill below,
-- reconciliation's check and the benchmark's setup all read this one definition of which
-- boards a day belongs to.
CREATE VIEW leaderboard_totals_expected AS
SELECT b.period, b.period_start, r.user_id, sum(r.credited_steps)::int8 AS total_steps
FROM step_records r
CROSS JOIN LATERAL (VALUES ('weekly', date_trunc('week', r.recorded_date)::date),
                           ('monthly', date_trunc('month', r.recorded_date)::date),
                           ('all_time', DATE '1970-01-01')) AS b (period, period_start)
WHERE r.credited_steps > 0
GROUP BY b.period, b.period_start, r.user_id;

-- An existing database moves over with its history: totals from what was credited, every
-- one of them moved (the job's first run publishes them), and the nightly boards cached
-- so far are that run's to replace.
INSERT INTO leaderboard_totals (period, period_start, user_id, total_steps)
SELECT period, period_start, user_id, total_steps FROM leaderboard_totals_expected;
DELETE FROM leaderboard_cache;

-- user_stats' rank: the all-time board's, from the published totals (the cache now holds
-- each board's top entries only). The rest of the view is as before.
CREATE OR REPLACE VIEW user_stats AS
SELECT u.id,
       u.full_name,
       u.total_steps,
       u.total_coins,
       u.lifetime_coins_earned,
       u.lifetime_coins_spent,
       COALESCE(w.available_coins, 0) AS available_coins,
       COALESCE(w.frozen_coins, 0)    AS frozen_coins,
       d.days_tracked,
       d.avg_daily_steps,
       d.best_day_steps,
       d.goal_days,
       COALESCE(s.current_streak, 0)  AS current_streak,
       COALESCE(s.best_streak, 0)     AS best_streak,
       a.achievements_unlocked,
       o.orders_count,
       leaderboard_rank('all_time', DATE '1970-01-01', u.id) AS all_time_rank
FROM users u
LEFT JOIN wallets w ON w.user_id = u.id
CROSS JOIN LATERAL (
    SELECT count(*)::bigint                                          AS days_tracked,
           COALESCE(round(avg(r.verified_steps)), 0)::bigint          AS avg_daily_steps,
           COALESCE(max(r.verified_steps), 0)::bigint                 AS best_day_steps,
           count(*) FILTER (WHERE r.verified_steps >= g.goal)::bigint AS goal_days
    FROM step_records r,
         (SELECT COALESCE((SELECT value::bigint FROM settings WHERE key = 'daily_step_goal'), 10000) AS goal) g
    WHERE r.user_id = u.id
) d
CROSS JOIN LATERAL (
    SELECT max(islands.len)::bigint AS best_streak,
           max(islands.len) FILTER (
               WHERE islands.last_day >= (now() AT TIME ZONE u.timezone)::date - 1
           )::bigint AS current_streak
    FROM (
        SELECT count(*) AS len, max(goal_days.recorded_date) AS last_day
        FROM (
            SELECT r.recorded_date,
                   r.recorded_date - (row_number() OVER (ORDER BY r.recorded_date))::int AS island
            FROM step_records r
            WHERE r.user_id = u.id
              AND r.verified_steps >= COALESCE((SELECT value::bigint FROM settings WHERE key = 'daily_step_goal'), 10000)
        ) goal_days
        GROUP BY goal_days.island
    ) islands
) s
CROSS JOIN LATERAL (
    SELECT count(*)::bigint AS achievements_unlocked FROM user_achievements ua WHERE ua.user_id = u.id
) a
CROSS JOIN LATERAL (
    SELECT count(*)::bigint AS orders_count FROM orders o
    WHERE o.user_id = u.id AND o.status NOT IN ('cancelled', 'refunded')
) o
WHERE u.deleted_at IS NULL;
