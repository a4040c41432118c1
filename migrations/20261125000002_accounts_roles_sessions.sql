-- Accounts beyond the seed: a role for the admin API, the user's IANA time zone (it defines
-- their calendar day), referral codes, the last step sync; refresh-token families for
-- rotation with reuse detection; login attempts for throttling, kept in Postgres because
-- functions are stateless.

ALTER TABLE users
    ADD COLUMN role VARCHAR(16) NOT NULL DEFAULT 'user'
        CONSTRAINT users_role_check CHECK (role IN ('user', 'admin')),
    ADD COLUMN timezone VARCHAR(64) NOT NULL DEFAULT 'UTC',
    ADD COLUMN referral_code VARCHAR(16),
    ADD COLUMN referred_by_user_id UUID REFERENCES users (id),
    ADD COLUMN referral_rewarded_at TIMESTAMPTZ,
    ADD COLUMN last_synced_at TIMESTAMPTZ,
    ADD CONSTRAINT users_referral_code_key UNIQUE (referral_code),
    ADD CONSTRAINT users_no_self_referral CHECK (referred_by_user_id <> id);
CREATE INDEX users_referred_by_idx ON users (referred_by_user_id) WHERE referred_by_user_id IS NOT NULL;
-- Admin search by name prefix, case-insensitively (email prefix uses users_email_key).
CREATE INDEX users_full_name_prefix_idx ON users (lower(full_name) text_pattern_ops);
CREATE INDEX users_email_prefix_idx ON users (lower(email) text_pattern_ops);

-- A family is every token descended from one login. Presenting a token that was already
-- rotated is treated as theft and revokes the whole family.
ALTER TABLE refresh_tokens
    ADD COLUMN family_id UUID NOT NULL,
    ADD COLUMN rotated_at TIMESTAMPTZ;
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);

CREATE TABLE login_attempts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        VARCHAR(320) NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE login_attempts IS 'failed (or in-flight) logins per lower-cased email; a success deletes its email''s rows';
CREATE INDEX login_attempts_email_idx ON login_attempts (email, attempted_at);
CREATE INDEX login_attempts_attempted_at_idx ON login_attempts (attempted_at);
