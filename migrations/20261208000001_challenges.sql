-- Challenges between friends, with optional coin stakes held in escrow.
--
-- challenges: one race (most capped verified steps wins) or goal challenge (everyone who
--   walks goal_steps on goal_days of the days succeeds) over the local dates
--   start_date..end_date (each participant's own local days). It starts at its creator's
--   local midnight (starts_at), takes late syncs until settles_after (the end date is
--   over everywhere on Earth, plus 24 hours) and is settled once by the challenges job.
-- challenge_participants: the people invited, their answer, the stake each put into
--   escrow (stake_held while it is there) and, once settled, their result.
--
-- A stake leaves the wallet as a `stake` ledger row referencing the challenge and comes
-- back (or goes to the winners) as `payout` rows; while held it counts in the wallet's
-- frozen coins, like an open order's. Reconciliation checks each pot: stakes in minus
-- payouts out equals the stakes still held.

ALTER TABLE coin_transactions DROP CONSTRAINT coin_transactions_transaction_type_check;
ALTER TABLE coin_transactions ADD CONSTRAINT coin_transactions_transaction_type_check
    CHECK (transaction_type IN ('earned', 'spent', 'refund', 'bonus', 'penalty', 'stake', 'payout'));
ALTER TABLE coin_transactions DROP CONSTRAINT coin_transactions_sign_check;
ALTER TABLE coin_transactions ADD CONSTRAINT coin_transactions_sign_check CHECK (
    (transaction_type IN ('earned', 'refund', 'bonus', 'payout') AND amount > 0)
    OR (transaction_type IN ('spent', 'penalty', 'stake') AND amount < 0)
);
ALTER TABLE coin_transactions DROP CONSTRAINT coin_transactions_reference_type_check;
ALTER TABLE coin_transactions ADD CONSTRAINT coin_transactions_reference_type_check
    CHECK (reference_type IN ('step_record', 'order', 'achievement', 'referral', 'registration',
                              'admin_adjustment', 'challenge'));

CREATE TABLE challenges (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    creator_id    UUID NOT NULL REFERENCES users (id),
    kind          VARCHAR(8) NOT NULL CONSTRAINT challenges_kind_check CHECK (kind IN ('race', 'goal')),
    template      VARCHAR(20) NOT NULL CONSTRAINT challenges_template_check
                  CHECK (template IN ('daily_showdown', 'weekend_warrior', 'workweek_hustle', 'one_on_one', 'custom')),
    title         VARCHAR(80) NOT NULL,
    goal_steps    INTEGER,
    goal_days     INTEGER,
    stake_coins   BIGINT NOT NULL DEFAULT 0 CONSTRAINT challenges_stake_check CHECK (stake_coins >= 0),
    start_date    DATE NOT NULL,
    end_date      DATE NOT NULL,
    starts_at     TIMESTAMPTZ NOT NULL,
    settles_after TIMESTAMPTZ NOT NULL,
    status        VARCHAR(10) NOT NULL DEFAULT 'open'
                  CONSTRAINT challenges_status_check CHECK (status IN ('open', 'running', 'settled', 'cancelled')),
    cancel_reason VARCHAR(12) CONSTRAINT challenges_cancel_reason_check
                  CHECK (cancel_reason IN ('creator', 'too_few', 'admin')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    CONSTRAINT challenges_days_check CHECK (end_date >= start_date AND end_date - start_date < 42),
    CONSTRAINT challenges_goal_check CHECK (
        (kind = 'goal') = (goal_steps IS NOT NULL AND goal_days IS NOT NULL)
        AND (goal_days IS NULL OR goal_days BETWEEN 1 AND end_date - start_date + 1)
        AND (goal_steps IS NULL OR goal_steps BETWEEN 1000 AND 30000)
    ),
    CONSTRAINT challenges_finished_check CHECK ((status IN ('settled', 'cancelled')) = (finished_at IS NOT NULL))
);
-- The job's work list: what starts, and what may settle.
CREATE INDEX challenges_due_idx ON challenges (starts_at) WHERE status IN ('open', 'running');

CREATE TABLE challenge_participants (
    challenge_id UUID NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    user_id      UUID NOT NULL REFERENCES users (id),
    status       VARCHAR(12) NOT NULL CONSTRAINT challenge_participants_status_check
                 CHECK (status IN ('invited', 'accepted', 'declined', 'expired', 'disqualified')),
    invited_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    -- When the invitation was accepted (the creator: at creation). Orders the split of a
    -- pot's remainder: the earliest joiner first.
    joined_at    TIMESTAMPTZ,
    stake_coins  BIGINT NOT NULL DEFAULT 0 CONSTRAINT challenge_participants_stake_check CHECK (stake_coins >= 0),
    stake_held   BOOLEAN NOT NULL DEFAULT false,
    -- The place last seen by the job (for "you were overtaken"), then the final result.
    place        INTEGER,
    steps        BIGINT,
    succeeded    BOOLEAN,
    payout_coins BIGINT,
    PRIMARY KEY (challenge_id, user_id),
    CONSTRAINT challenge_participants_held_check CHECK (NOT stake_held OR stake_coins > 0),
    CONSTRAINT challenge_participants_joined_check CHECK ((status IN ('accepted', 'disqualified')) = (joined_at IS NOT NULL))
);
CREATE INDEX challenge_participants_user_idx ON challenge_participants (user_id, status);

INSERT INTO settings (key, value, description) VALUES
    ('challenge_max_stake', '140000',
     'The largest stake a person may put into one challenge, in coins (also never more than a quarter of their available coins)'),
    ('challenge_stake_countries', '',
     'Countries (ISO codes, comma-separated) whose people may put coins at stake in challenges; empty: nobody (prize contests are regulated in some places)'),
    ('challenge_stakes_per_week', '2',
     'Staked challenges one person may join in seven days');
