-- Giving: coins as gifts between friends, and donations to charity campaigns.
--
-- gifts: coins one friend sends another. Pending for 7 days (the sender's coins held in
--   frozen, like an order's; the recipient sees them but cannot spend them), then settled
--   into the recipient's wallet, or reversed back to the sender (an admin, a fraud hold on
--   the sender, either account leaving).
-- campaigns: a charity's campaign an admin sets up (draft) and a second admin opens: a
--   sponsor's purse in USD cents paid at a rate per 1,000 coins donated, a monthly cap per
--   person, optionally one team's ("give together"). raised_cents moves with each
--   donation under the campaign's row lock and can never pass the purse.
-- donations: each gift of coins to a campaign, with the cents it raised.
-- charity_payouts: what was paid to each charity (by registration number) for a month;
--   what is owed below the minimum payout is carried to the next month.
--
-- Ledger: gift_sent (negative, the sender's), gift_received and gift_returned (positive),
-- each referencing the gift; donation (negative) referencing the campaign.

ALTER TABLE coin_transactions DROP CONSTRAINT coin_transactions_transaction_type_check;
ALTER TABLE coin_transactions ADD CONSTRAINT coin_transactions_transaction_type_check
    CHECK (transaction_type IN ('earned', 'spent', 'refund', 'bonus', 'penalty', 'stake', 'payout',
                                'gift_sent', 'gift_received', 'gift_returned', 'donation'));
ALTER TABLE coin_transactions DROP CONSTRAINT coin_transactions_sign_check;
ALTER TABLE coin_transactions ADD CONSTRAINT coin_transactions_sign_check CHECK (
    (transaction_type IN ('earned', 'refund', 'bonus', 'payout', 'gift_received', 'gift_returned') AND amount > 0)
    OR (transaction_type IN ('spent', 'penalty', 'stake', 'gift_sent', 'donation') AND amount < 0)
);
ALTER TABLE coin_transactions DROP CONSTRAINT coin_transactions_reference_type_check;
ALTER TABLE coin_transactions ADD CONSTRAINT coin_transactions_reference_type_check
    CHECK (reference_type IN ('step_record', 'order', 'achievement', 'referral', 'registration',
                              'admin_adjustment', 'challenge', 'gift', 'campaign'));

CREATE TABLE gifts (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    sender_id       UUID NOT NULL REFERENCES users (id),
    recipient_id    UUID NOT NULL REFERENCES users (id),
    coins           BIGINT NOT NULL CONSTRAINT gifts_coins_check CHECK (coins > 0),
    message         VARCHAR(140),
    status          VARCHAR(10) NOT NULL DEFAULT 'pending'
                    CONSTRAINT gifts_status_check CHECK (status IN ('pending', 'settled', 'reversed')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    settles_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    reversed_reason VARCHAR(20) CONSTRAINT gifts_reversed_reason_check
                    CHECK (reversed_reason IN ('admin', 'fraud_hold', 'sender_left', 'recipient_left')),
    reversed_by     UUID REFERENCES users (id),
    CONSTRAINT gifts_not_to_oneself CHECK (sender_id <> recipient_id),
    CONSTRAINT gifts_finished_check CHECK ((status = 'pending') = (finished_at IS NULL)),
    CONSTRAINT gifts_reversed_check CHECK ((status = 'reversed') = (reversed_reason IS NOT NULL))
);
CREATE INDEX gifts_sender_idx ON gifts (sender_id, created_at);
CREATE INDEX gifts_recipient_idx ON gifts (recipient_id, created_at);
CREATE INDEX gifts_due_idx ON gifts (settles_at) WHERE status = 'pending';

CREATE TABLE campaigns (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    charity_name         VARCHAR(120) NOT NULL,
    charity_registration VARCHAR(40) NOT NULL,
    charity_website      VARCHAR(300) NOT NULL,
    title                VARCHAR(120) NOT NULL,
    description          VARCHAR(2000) NOT NULL,
    starts_at            TIMESTAMPTZ NOT NULL,
    ends_at              TIMESTAMPTZ NOT NULL,
    purse_cents          BIGINT NOT NULL CONSTRAINT campaigns_purse_check CHECK (purse_cents > 0),
    cents_per_1000_coins INTEGER NOT NULL CONSTRAINT campaigns_rate_check CHECK (cents_per_1000_coins > 0),
    monthly_cap_cents    BIGINT NOT NULL CONSTRAINT campaigns_cap_check CHECK (monthly_cap_cents > 0),
    team_id              UUID REFERENCES teams (id),
    status               VARCHAR(10) NOT NULL DEFAULT 'draft'
                         CONSTRAINT campaigns_status_check CHECK (status IN ('draft', 'open', 'withdrawn')),
    raised_cents         BIGINT NOT NULL DEFAULT 0,
    goal_reached_at      TIMESTAMPTZ,
    created_by           UUID NOT NULL REFERENCES users (id),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    opened_at            TIMESTAMPTZ,
    CONSTRAINT campaigns_window_check CHECK (ends_at > starts_at),
    -- Concurrent donations never overspend the purse: even a bug could not.
    CONSTRAINT campaigns_raised_check CHECK (raised_cents BETWEEN 0 AND purse_cents)
);
CREATE INDEX campaigns_open_idx ON campaigns (ends_at) WHERE status = 'open';

CREATE TABLE donations (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    campaign_id UUID NOT NULL REFERENCES campaigns (id),
    user_id     UUID NOT NULL REFERENCES users (id),
    coins       BIGINT NOT NULL CONSTRAINT donations_coins_check CHECK (coins > 0),
    cents       BIGINT NOT NULL CONSTRAINT donations_cents_check CHECK (cents > 0),
    -- The donor's team the donation counts for on the campaign's page (one they are in).
    team_id     UUID REFERENCES teams (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX donations_campaign_idx ON donations (campaign_id, created_at);
CREATE INDEX donations_user_idx ON donations (user_id, created_at);

CREATE TABLE charity_payouts (
    charity_registration VARCHAR(40) NOT NULL,
    month                DATE NOT NULL CONSTRAINT charity_payouts_month_check CHECK (extract(day FROM month) = 1),
    cents                BIGINT NOT NULL CONSTRAINT charity_payouts_cents_check CHECK (cents > 0),
    reference            VARCHAR(200),
    paid_by              UUID NOT NULL REFERENCES users (id),
    paid_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (charity_registration, month)
);

-- A campaign opens when a second admin approves it.
ALTER TABLE change_requests DROP CONSTRAINT change_requests_kind_check;
ALTER TABLE change_requests ADD CONSTRAINT change_requests_kind_check
    CHECK (kind IN ('role', 'coins', 'setting', 'price', 'campaign'));

-- FitKart files these itself (no reporter): patterns of gifts worth a person's look.
ALTER TABLE reports DROP CONSTRAINT reports_reason_check;
ALTER TABLE reports ADD CONSTRAINT reports_reason_check
    CHECK (reason IN ('offensive_name', 'offensive_avatar', 'harassment', 'cheating', 'spam', 'other',
                      'gift_pattern'));

INSERT INTO settings (key, value, description) VALUES
    ('gift_max_coins', '20000',
     'The most coins one gift may carry (2 days at the daily goal)'),
    ('gift_max_coins_month', '60000',
     'The most coins one person may give away as gifts in a calendar month (UTC)'),
    ('charity_min_payout_cents', '10000',
     'A charity is paid for a month once it is owed at least this many cents; less is carried to the next month');
