-- v1.1 fraud defences (DESIGN.md "Fraud defences"): the thresholds as settings, and what
-- the rules need to remember about a day across syncs.

-- How a day was first reported, and whether its count ever went down and from what: phone
-- totals only grow during a day, so a day lowered and raised again past where it was, or
-- re-sent from another source (a hand-typed day re-labelled as a phone's), is remembered.
-- Nullable, so that adding them rewrites nothing: a day without a first_source was first
-- reported from its current source.
ALTER TABLE step_records
    ADD COLUMN first_source VARCHAR(32),
    ADD COLUMN lowered_from BIGINT,
    ADD COLUMN lowered_to BIGINT;

-- One device, one earner: the first account to use a device is found by when each account
-- first synced from it.
CREATE INDEX step_records_device_user_idx ON step_records (device_id, user_id, created_at)
    WHERE device_id IS NOT NULL;

INSERT INTO settings (key, value, description) VALUES
    ('new_account_days', '14',
     'Days after sign-up during which an account is on probation'),
    ('new_account_review_steps', '25000',
     'During probation, a day above this many steps is held for review instead of paid automatically'),
    ('hourly_required_steps', '15000',
     'A day above this many steps that arrives without hourly counts is held for review (phones always report hours)'),
    ('shared_device_days', '30',
     'A device used by another account within this many days holds the newcomer''s days for review (the first account keeps earning)'),
    ('high_day_steps', '20000',
     'Steps that make a day a very high day, for the sustained-high-days rule'),
    ('high_days_per_week', '3',
     'Very high days within a week (this one included) at which the day is held for review'),
    ('registrations_per_ip_hour', '20',
     'Registrations per source IP per hour before further ones are refused with 429'),
    ('syncs_per_user_hour', '30',
     'Step syncs per account per hour before further ones are refused with 429 (a client syncs a few times an hour)'),
    ('referral_min_verified_days', '3',
     'Verified days meeting the daily goal a referee needs (with a confirmed email) before both referral bonuses are paid'),
    ('referrals_per_month', '10',
     'Referral bonuses one referrer can earn per calendar month (UTC)');
UPDATE settings SET description = 'Coins paid to both referrer and referee once the referee has a confirmed email and enough verified days at the daily goal'
WHERE key = 'referral_bonus_coins';
