-- Walking together: friends, teams and clubs, privacy, blocking and reports (the social
-- area, shared/src/social), and the per-day totals crediting moves for its boards.
--
-- social_profiles: what other people see of a person (a display alias, their avatar comes
--   from users.profile_picture_url) and what they choose to show: steps to friends or to
--   nobody, and whether they appear on the global boards (public, to friends only, or
--   hidden). A missing row is the defaults. alias_hidden_at: an admin hid an offensive alias.
-- invite_codes: links that connect people (`friend`) or bring them into a team (`team`).
--   A code is 8 characters of Crockford base32 shown once; only its SHA-256 digest is kept.
--   Multi-use until it expires (7 days) or its owner revokes it.
-- friend_requests: a redeemed friend link waiting for its owner to agree (both people
--   agree to a friendship). One open request per pair.
-- friendships: mutual, stored once per pair (user_a < user_b).
-- blocks: who blocked whom. Either direction stops a friendship.
-- teams, team_members: teams (at most 50 members) and clubs (2,000); a person is in at
--   most 3 of each. An optional goal for a week or a month. An empty team is archived.
-- reports: a person or a team reported to the admins, with a snapshot of the name and
--   avatar as the reporter saw them.
-- daily_totals: each walker's verified steps per local day, moved by crediting in its own
--   transaction (friend boards for today, this week and the last 7 days read these rows,
--   never step history).
-- leaderboard_totals.capped_steps: the period's verified steps with each day capped at
--   30,000 (team scores: one very long day does not carry a team).
-- team_scores: each team's score per period (average capped steps per active member),
--   published by the ranking job for the team boards.

CREATE TABLE social_profiles (
    user_id                UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    alias                  VARCHAR(40),
    alias_hidden_at        TIMESTAMPTZ,
    steps_visibility       VARCHAR(10) NOT NULL DEFAULT 'friends'
                           CONSTRAINT social_profiles_steps_visibility_check
                           CHECK (steps_visibility IN ('friends', 'nobody')),
    leaderboard_visibility VARCHAR(10) NOT NULL DEFAULT 'public'
                           CONSTRAINT social_profiles_leaderboard_visibility_check
                           CHECK (leaderboard_visibility IN ('public', 'friends', 'hidden')),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE teams (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    kind          VARCHAR(10) NOT NULL CONSTRAINT teams_kind_check CHECK (kind IN ('team', 'club')),
    name          VARCHAR(60) NOT NULL,
    name_hidden_at TIMESTAMPTZ,
    owner_id      UUID REFERENCES users (id),
    goal_steps    BIGINT CONSTRAINT teams_goal_steps_check CHECK (goal_steps > 0),
    goal_period   VARCHAR(10) CONSTRAINT teams_goal_period_check CHECK (goal_period IN ('weekly', 'monthly')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    archived_at   TIMESTAMPTZ,
    CONSTRAINT teams_goal_whole CHECK ((goal_steps IS NULL) = (goal_period IS NULL))
);

CREATE TABLE team_members (
    team_id   UUID NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      VARCHAR(10) NOT NULL DEFAULT 'member'
              CONSTRAINT team_members_role_check CHECK (role IN ('owner', 'admin', 'member')),
    joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_idx ON team_members (user_id);

CREATE TABLE invite_codes (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        VARCHAR(10) NOT NULL CONSTRAINT invite_codes_kind_check CHECK (kind IN ('friend', 'team')),
    team_id     UUID REFERENCES teams (id) ON DELETE CASCADE,
    code_digest BYTEA NOT NULL CONSTRAINT invite_codes_code_digest_key UNIQUE,
    uses        INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    CONSTRAINT invite_codes_team_kind CHECK ((kind = 'team') = (team_id IS NOT NULL))
);
CREATE INDEX invite_codes_owner_idx ON invite_codes (owner_id, expires_at);

CREATE TABLE friend_requests (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    from_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    invite_id  UUID REFERENCES invite_codes (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT friend_requests_pair_key UNIQUE (from_id, to_id),
    CONSTRAINT friend_requests_not_self CHECK (from_id <> to_id)
);
CREATE INDEX friend_requests_to_idx ON friend_requests (to_id);

CREATE TABLE friendships (
    user_a     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_b     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_a, user_b),
    CONSTRAINT friendships_ordered CHECK (user_a < user_b)
);
CREATE INDEX friendships_b_idx ON friendships (user_b);

CREATE TABLE blocks (
    blocker_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CONSTRAINT blocks_not_self CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_blocked_idx ON blocks (blocked_id);

CREATE TABLE reports (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    reporter_id     UUID REFERENCES users (id) ON DELETE SET NULL,
    target_user_id  UUID REFERENCES users (id) ON DELETE SET NULL,
    target_team_id  UUID REFERENCES teams (id) ON DELETE SET NULL,
    reason          VARCHAR(20) NOT NULL CONSTRAINT reports_reason_check
                    CHECK (reason IN ('offensive_name', 'offensive_avatar', 'harassment', 'cheating', 'spam', 'other')),
    note            VARCHAR(1000),
    snapshot_name   VARCHAR(100),
    snapshot_avatar TEXT,
    status          VARCHAR(10) NOT NULL DEFAULT 'open'
                    CONSTRAINT reports_status_check CHECK (status IN ('open', 'actioned', 'dismissed')),
    action          VARCHAR(20),
    handled_by      UUID REFERENCES users (id),
    handled_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reports_open_idx ON reports (created_at, id) WHERE status = 'open';

CREATE TABLE daily_totals (
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     DATE NOT NULL,
    steps   BIGINT NOT NULL DEFAULT 0 CONSTRAINT daily_totals_steps_check CHECK (steps >= 0),
    PRIMARY KEY (user_id, day)
);

ALTER TABLE leaderboard_totals ADD COLUMN capped_steps BIGINT NOT NULL DEFAULT 0;

CREATE TABLE team_scores (
    team_id       UUID NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    period        VARCHAR(10) NOT NULL,
    period_start  DATE NOT NULL,
    active_members INTEGER NOT NULL,
    total_steps   BIGINT NOT NULL,
    score         BIGINT NOT NULL,
    computed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (period, period_start, team_id)
);
CREATE INDEX team_scores_rank_idx ON team_scores (period, period_start, score DESC, team_id);

-- The days crediting counted before this release, so this week's and month's boards and
-- the last 7 days are whole at once: the last 35 days' credited steps (older days are in
-- no friend board; the weekly and monthly totals already hold them).
INSERT INTO daily_totals (user_id, day, steps)
SELECT user_id, recorded_date, credited_steps FROM step_records
WHERE credited_steps > 0 AND recorded_date >= current_date - 35
ON CONFLICT DO NOTHING;

UPDATE leaderboard_totals t SET capped_steps = c.capped
FROM (
    SELECT 'weekly' AS period, date_trunc('week', recorded_date)::date AS start, user_id,
           sum(LEAST(credited_steps, 30000))::int8 AS capped
    FROM step_records
    WHERE credited_steps > 0 AND recorded_date >= date_trunc('week', current_date - 62)::date
    GROUP BY 2, 3
    UNION ALL
    SELECT 'monthly', date_trunc('month', recorded_date)::date, user_id,
           sum(LEAST(credited_steps, 30000))::int8
    FROM step_records
    WHERE credited_steps > 0 AND recorded_date >= date_trunc('month', current_date - 62)::date
    GROUP BY 2, 3
) c
WHERE t.period = c.period AND t.period_start = c.start AND t.user_id = c.user_id;
