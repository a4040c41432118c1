-- v1.2 accounts, part 2: nobody moves value alone. Money-relevant admin actions become
-- change requests a second admin approves, and admins prove a second factor (TOTP).

-- A change an admin asked for that only a different admin may apply: a role grant or
-- revocation, a coin adjustment above `coin_adjust_four_eyes_above`, a change to a
-- setting that moves money or defences, a reward price pinned below its catalog price.
-- `payload` is what the approval applies (checked again then); `before`/`after` are what
-- people are shown. A pending request expires 72 hours after it was asked for.
CREATE TABLE change_requests (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    kind          VARCHAR(16) NOT NULL
                  CONSTRAINT change_requests_kind_check CHECK (kind IN ('role', 'coins', 'setting', 'price')),
    entity_type   VARCHAR(32) NOT NULL,
    entity_id     UUID,
    setting_key   VARCHAR(64),
    payload       JSONB NOT NULL,
    before        JSONB NOT NULL,
    after         JSONB NOT NULL,
    reason        TEXT NOT NULL,
    status        VARCHAR(16) NOT NULL DEFAULT 'pending'
                  CONSTRAINT change_requests_status_check CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    requested_by  UUID NOT NULL REFERENCES users (id),
    requested_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL,
    decided_by    UUID REFERENCES users (id),
    decided_at    TIMESTAMPTZ,
    decision_note TEXT,
    -- Even a bug cannot let one admin both ask and approve (a withdrawal is the
    -- requester's own decision, never an approval).
    CONSTRAINT change_requests_four_eyes CHECK (status <> 'approved' OR decided_by <> requested_by)
);
COMMENT ON TABLE change_requests IS 'money-relevant admin changes waiting for a second admin (four eyes)';
CREATE INDEX change_requests_pending_idx ON change_requests (requested_at) WHERE status = 'pending';
CREATE INDEX change_requests_listed_idx ON change_requests (status, requested_at DESC, id DESC);

-- Who asked for the change an audit row records, when it was applied by a second admin.
ALTER TABLE admin_logs
    ADD COLUMN change_request_id UUID REFERENCES change_requests (id),
    ADD COLUMN requested_by_admin_id UUID REFERENCES users (id);

-- When an admin got the role through an approved change request: an admin promoted in
-- the last 7 days cannot approve (a pair of colluding accounts cannot approve each other
-- into power at once). The first admins, made by the operator's `admin-bootstrap`, have
-- none.
ALTER TABLE users ADD COLUMN admin_granted_at TIMESTAMPTZ;

-- Each account's TOTP authenticator (RFC 6238, SHA-1, 6 digits, 30 s). `confirmed_at` is
-- set once a first code proved the authenticator holds the secret; `last_used_step` is the
-- time step of the last code accepted, so a code is never accepted twice (RFC 6238 5.2).
CREATE TABLE mfa_totp (
    user_id        UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret         TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    confirmed_at   TIMESTAMPTZ,
    last_used_step BIGINT
);
COMMENT ON TABLE mfa_totp IS 'TOTP second factors (the base32 secret; only admins need one)';

-- Ten single-use codes handed out at enrolment, for a lost phone. Stored only as SHA-256
-- digests: each is 80 random bits, too many to guess even from a stolen digest.
CREATE TABLE mfa_recovery_codes (
    id        UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash CHAR(64) NOT NULL CONSTRAINT mfa_recovery_codes_code_hash_key UNIQUE,
    used_at   TIMESTAMPTZ
);
CREATE INDEX mfa_recovery_codes_user_id_idx ON mfa_recovery_codes (user_id);

-- A session remembers how it was proven: a refresh keeps the second factor it had.
ALTER TABLE refresh_tokens ADD COLUMN amr TEXT[] NOT NULL DEFAULT '{}';

INSERT INTO settings (key, value, description) VALUES
    ('coin_adjust_four_eyes_above', '1000',
     'Coin adjustments larger than this (either way) need a second admin''s approval');
