-- v1.2 accounts, part 1: a credential change ends everything issued before it, and an
-- account's local days are fixed in time.
--
-- Expand only: every column is nullable or has a default, so the release before this one
-- keeps working on this schema during the rollout (its tokens carry no credential
-- version, which counts as version 1: nobody is signed out by the deploy).

-- Every access token carries the account's credential version (`cv`); a password change
-- or reset, an email change, a takeover, a deactivation or a role change bumps it, so
-- every token issued before stops working at once (the check rides on the row each
-- authenticated request reads anyway).
ALTER TABLE users
    ADD COLUMN credential_version INT NOT NULL DEFAULT 1,
    -- The local date of sign-up, in the zone given at registration; never recomputed
    -- from a later zone (a zone change could otherwise move it).
    ADD COLUMN signup_date DATE,
    -- A time-zone change applies from the next local day: until `next_timezone_from` the
    -- account keeps `timezone`. At most one change is asked for per 24 hours.
    ADD COLUMN next_timezone VARCHAR(64),
    ADD COLUMN next_timezone_from TIMESTAMPTZ,
    ADD COLUMN timezone_changed_at TIMESTAMPTZ,
    ADD CONSTRAINT users_next_timezone_pair CHECK ((next_timezone IS NULL) = (next_timezone_from IS NULL));

-- Before this release the sign-up day was read from the current zone; it is now stored.
UPDATE users SET signup_date = (created_at AT TIME ZONE timezone)::date WHERE signup_date IS NULL;

-- The zone an account's day is counted in right now: its pending zone once that is due.
-- Every statement that needs "today" for a user calls this on the users row.
CREATE FUNCTION user_timezone(u users) RETURNS TEXT
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN u.next_timezone_from <= now() THEN u.next_timezone ELSE u.timezone END
$$;

-- Which zone counted an account's days from when: a day earns only if it is a date the
-- account has lived through in the zones it had (a change to a zone far ahead skips the
-- dates in between; those never began for the account and earn nothing).
CREATE TABLE timezone_periods (
    user_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    effective_from TIMESTAMPTZ NOT NULL,
    timezone       VARCHAR(64) NOT NULL,
    PRIMARY KEY (user_id, effective_from)
);
COMMENT ON TABLE timezone_periods IS 'each account''s time zones over time (a pending change has a future effective_from)';
INSERT INTO timezone_periods (user_id, effective_from, timezone)
SELECT id, created_at, timezone FROM users;

-- The pending mailed tokens a credential change voids, and a new kind it never voids: the
-- "this wasn't me" link in the notice sent to the account's address, which signs every
-- device out and cancels a pending email change (it can only take access away).
ALTER TABLE account_tokens DROP CONSTRAINT account_tokens_purpose_check;
ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'change_email', 'reset_password', 'secure_account'));

-- The view that reads the user's day (the current streak) now reads it through
-- user_timezone(); its columns stay as they are.
DO $$
BEGIN
    EXECUTE format('CREATE OR REPLACE VIEW user_stats AS %s',
                   replace(pg_get_viewdef('user_stats'), 'AT TIME ZONE u.timezone', 'AT TIME ZONE user_timezone(u.*)'));
END
$$;
