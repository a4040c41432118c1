-- One gate for coins that move from one person toward another (shared/src/transfers.rs).
-- Every such movement is a row here, written with its ledger rows: a gift (sender to
-- recipient, undone if reversed), a stake (into a challenge's pot, undone if it comes
-- back), a payout (from a challenge's loser to a winner, the pot split pairwise), a
-- donation (to a charity campaign). The policy's rolling windows (per sender, per
-- recipient, per pair) are sums over it.
CREATE TABLE transfers (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    channel        VARCHAR(10) NOT NULL
                   CONSTRAINT transfers_channel_check CHECK (channel IN ('gift', 'stake', 'payout', 'donation')),
    from_user      UUID NOT NULL REFERENCES users (id),
    -- The person coins go toward (none for a stake into a pot or a donation).
    to_user        UUID REFERENCES users (id),
    coins          BIGINT NOT NULL CONSTRAINT transfers_coins_check CHECK (coins > 0),
    reference_type VARCHAR(20) NOT NULL,
    reference_id   UUID NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    -- A gift reversed, a stake returned: it no longer counts.
    undone_at      TIMESTAMPTZ
);
COMMENT ON TABLE transfers IS 'every movement of coins from one person toward another, through the transfer policy (shared/src/transfers.rs)';
CREATE INDEX transfers_from_idx ON transfers (from_user, created_at);
CREATE INDEX transfers_to_idx ON transfers (to_user, created_at) WHERE to_user IS NOT NULL;
CREATE INDEX transfers_reference_idx ON transfers (reference_type, reference_id);

-- What happened before the gate: pending and settled gifts, stakes still held, donations.
INSERT INTO transfers (channel, from_user, to_user, coins, reference_type, reference_id, created_at, undone_at)
SELECT 'gift', sender_id, recipient_id, coins, 'gift', id, created_at,
       CASE WHEN status = 'reversed' THEN finished_at END
FROM gifts;
INSERT INTO transfers (channel, from_user, to_user, coins, reference_type, reference_id, created_at)
SELECT 'stake', user_id, NULL, stake_coins, 'challenge', challenge_id, COALESCE(joined_at, invited_at)
FROM challenge_participants WHERE stake_held AND stake_coins > 0;
INSERT INTO transfers (channel, from_user, to_user, coins, reference_type, reference_id, created_at)
SELECT 'donation', user_id, NULL, coins, 'campaign', campaign_id, created_at FROM donations;

-- A challenge whose payout the policy held: its winner and a loser are linked (a shared
-- device, phone number or address) or one of them is under a fraud hold. An admin
-- cancels it (every stake back) or releases it (paid as settled).
ALTER TABLE challenges ADD COLUMN payout_held_reason TEXT;

-- What a walker can change at will counts in a form they cannot change on the spot: every
-- phone number an account has had (normalised: its last nine digits) and when, and every
-- country with the day it was set (stakes follow the country held for 30 days).
CREATE TABLE profile_history (
    user_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    field     VARCHAR(10) NOT NULL CONSTRAINT profile_history_field_check CHECK (field IN ('phone', 'country')),
    value     VARCHAR(32) NOT NULL,
    set_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, field, set_at)
);
CREATE INDEX profile_history_phone_idx ON profile_history (value) WHERE field = 'phone';
INSERT INTO profile_history (user_id, field, value, set_at)
SELECT id, 'phone', right(regexp_replace(phone, '[^0-9]', '', 'g'), 9), created_at
FROM users WHERE length(regexp_replace(COALESCE(phone, ''), '[^0-9]', '', 'g')) >= 7;
INSERT INTO profile_history (user_id, field, value, set_at)
SELECT id, 'country', country_code, created_at FROM users WHERE country_code IS NOT NULL;

INSERT INTO settings (key, value, description) VALUES
    ('transfer_sender_coins_30d', '150000',
     'Coins one person may move toward others (gifts, stakes, donations) in any 30 days'),
    ('transfer_recipient_coins_30d', '200000',
     'Coins one person may receive from others (gifts, winnings from others'' stakes) in any 30 days'),
    ('transfer_pair_coins_30d', '60000',
     'Coins that may move from one person to one other in any 30 days, every channel together'),
    ('admin_alone_coins_day', '5000',
     'Coins one admin may create or return alone (adjustments, approved held days, refunds, reversals) in any 24 hours; past it a second admin approves'),
    ('admin_alone_coins_beneficiary_day', '2000',
     'Coins admins may create or return alone for one account in any 24 hours; past it a second admin approves');

-- The daily goal gates bonuses and referral payments: a money setting.
UPDATE settings SET description = description || ' (gates the streak and referral bonuses: a change needs a second admin)'
WHERE key = 'daily_step_goal';
