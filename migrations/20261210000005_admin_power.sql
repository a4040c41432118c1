-- One owner of admin power (shared/src/approvals.rs): every admin action that creates
-- coins, returns coins to someone or changes who can act either applies at once or waits
-- for a second admin, decided in one place. New kinds of change request: approving a held
-- day, cancelling a challenge with refunds, releasing a held payout, reversing a gift,
-- reactivating an account.
ALTER TABLE change_requests DROP CONSTRAINT change_requests_kind_check;
ALTER TABLE change_requests ADD CONSTRAINT change_requests_kind_check
    CHECK (kind IN ('role', 'coins', 'setting', 'price', 'campaign', 'day', 'challenge', 'payout', 'gift', 'account'));
-- Why it waits, as the console shows it ("worth 20,135 coins, over the 1,000 ...").
ALTER TABLE change_requests ADD COLUMN waits_because TEXT NOT NULL DEFAULT 'it needs a second admin';

-- What admins applied alone, for the rolling budgets per admin and per beneficiary (so
-- splitting an action in parts does not help).
CREATE TABLE admin_power_uses (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    admin_id       UUID NOT NULL REFERENCES users (id),
    beneficiary_id UUID REFERENCES users (id),
    kind           VARCHAR(16) NOT NULL,
    coins          BIGINT NOT NULL CONSTRAINT admin_power_uses_coins_check CHECK (coins >= 0),
    used_at        TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE admin_power_uses IS 'value an admin moved alone, for the rolling budgets of shared/src/approvals.rs';
CREATE INDEX admin_power_uses_admin_idx ON admin_power_uses (admin_id, used_at);
CREATE INDEX admin_power_uses_beneficiary_idx ON admin_power_uses (beneficiary_id, used_at);
