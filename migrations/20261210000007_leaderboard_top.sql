-- The leaderboard read (`leaderboard::read`) as a PL/pgSQL function: its statement (the
-- newest published board's top entries, the caller's own rank, and what each entry's
-- person lets the caller see) takes longer to plan than to run, and an unnamed statement
-- is planned at every execution. A PL/pgSQL function's statements are prepared once per
-- backend, which a transaction pooler reuses; the request sends a short call instead.
-- Which of these entries the caller sees is still decided in Rust (`visibility`).
CREATE FUNCTION leaderboard_top(p_period TEXT, p_viewer UUID, p_fetch BIGINT)
RETURNS TABLE (
    period_start      DATE,
    ranked_at         TIMESTAMPTZ,
    is_me             BOOLEAN,
    rank              INTEGER,
    user_id           UUID,
    total_steps       BIGINT,
    live              BOOLEAN,
    friend            BOOLEAN,
    blocked_by_viewer BOOLEAN,
    blocked_viewer    BOOLEAN,
    steps_visibility  TEXT,
    board_visibility  TEXT,
    alias             TEXT,
    full_name         TEXT,
    avatar_url        TEXT
)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH board AS (
        SELECT b.period_start, b.ranked_at FROM leaderboards b
        WHERE b.period = p_period ORDER BY b.period_start DESC LIMIT 1
    )
    SELECT board.period_start, board.ranked_at, e.is_me, e.rank, e.user_id, e.total_steps::BIGINT,
           f.live, f.friend, f.blocked_by_viewer, f.blocked_viewer, f.steps_visibility,
           f.board_visibility, f.alias, f.full_name, f.avatar_url
    FROM board LEFT JOIN LATERAL (
        (SELECT false AS is_me, lc.rank, lc.user_id, lc.total_steps
         FROM leaderboard_cache lc
         WHERE lc.period = p_period AND lc.week_starts_at = board.period_start
         ORDER BY lc.rank, lc.user_id LIMIT p_fetch)
        UNION ALL
        (SELECT true, leaderboard_rank(p_period, board.period_start, t.user_id), t.user_id, t.ranked_steps
         FROM leaderboard_totals t
         JOIN users u ON u.id = t.user_id AND u.is_active AND u.deleted_at IS NULL
         WHERE t.period = p_period AND t.period_start = board.period_start AND t.user_id = p_viewer
           AND t.ranked_steps IS NOT NULL)
    ) e ON true
    LEFT JOIN LATERAL visibility_facts(p_viewer, e.user_id) f ON e.user_id IS NOT NULL;
END
$$;
