-- The seed's three views. Each is written so that a filter on its key (users.id,
-- recorded_date) is pushed down into index scans instead of computing every row.

CREATE VIEW active_users AS
SELECT u.id, u.email, u.full_name, u.total_steps, w.available_coins, u.created_at, u.last_login_at,
       u.last_synced_at
FROM users u
JOIN wallets w ON w.user_id = u.id
WHERE u.is_active AND u.deleted_at IS NULL;

CREATE VIEW daily_step_summary AS
SELECT r.recorded_date,
       count(*)::bigint                 AS active_users,
       sum(r.steps)::bigint             AS total_steps,
       round(avg(r.steps))::bigint      AS avg_steps,
       max(r.steps)::bigint             AS max_steps,
       sum(r.verified_steps)::bigint    AS verified_steps,
       count(*) FILTER (WHERE r.status = 'suspicious')::bigint AS suspicious_records
FROM step_records r
GROUP BY r.recorded_date;

-- Streaks count consecutive local days whose verified steps meet daily_step_goal; the
-- current streak is the one that ends today or yesterday in the user's time zone.
CREATE VIEW user_stats AS
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
       (SELECT lc.rank FROM leaderboard_cache lc
        WHERE lc.user_id = u.id AND lc.period = 'all_time'
        ORDER BY lc.week_starts_at DESC LIMIT 1) AS all_time_rank
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
