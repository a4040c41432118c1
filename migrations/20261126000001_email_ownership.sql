-- v1.1 accounts: proving email ownership, resetting and changing passwords, and login
-- throttling that a stranger cannot turn against the account's owner.

-- One-time tokens sent by mail. Only a SHA-256 digest is stored; a token is single use,
-- expires, and `email` is the address it was sent to: a token proves that address, so it
-- stops working if the account's email has changed since. A newer token of the same
-- purpose replaces older ones (they are deleted when it is issued).
CREATE TABLE account_tokens (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    VARCHAR(16) NOT NULL
               CONSTRAINT account_tokens_purpose_check CHECK (purpose IN ('verify_email', 'change_email', 'reset_password')),
    token_hash CHAR(64) NOT NULL CONSTRAINT account_tokens_token_hash_key UNIQUE,
    email      VARCHAR(320) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
COMMENT ON TABLE account_tokens IS 'email verification, email change and password reset tokens (digests only)';
CREATE INDEX account_tokens_user_id_idx ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expires_at_idx ON account_tokens (expires_at);

-- Failed logins are counted per (email, source IP) first, so that a stranger's guesses lock
-- out only the stranger; a higher per-email ceiling still stops a distributed guess.
ALTER TABLE login_attempts ADD COLUMN source_ip INET;
CREATE INDEX login_attempts_email_source_idx ON login_attempts (email, source_ip, attempted_at);

-- Hits of the other rate limits (mails per address, reset requests per IP, ...), counted
-- over a sliding window like login attempts; the cleanup job deletes old rows.
CREATE TABLE rate_limit_hits (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bucket  VARCHAR(32) NOT NULL,
    subject TEXT NOT NULL,
    hit_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE rate_limit_hits IS 'sliding-window rate limits kept in Postgres (functions are stateless)';
CREATE INDEX rate_limit_hits_bucket_subject_idx ON rate_limit_hits (bucket, subject, hit_at);
CREATE INDEX rate_limit_hits_hit_at_idx ON rate_limit_hits (hit_at);

INSERT INTO settings (key, value, description) VALUES
    ('login_max_failures_per_email', '20',
     'Failed logins for one email from all sources within the window before every login for it is refused with 429');
UPDATE settings SET description = 'Failed logins for one email from one source IP within the window before that source is refused with 429'
WHERE key = 'login_max_failures';
