-- The step pipeline's state on each record: a version that changes with every new count
-- (validation messages point at a version, so replays of an old version do nothing),
-- the anti-cheat verdict with its reasons, and how much was verified and credited
-- (crediting pays only verified_steps - credited_steps, so replays pay nothing).

ALTER TABLE step_records
    ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT 'pending'
        CONSTRAINT step_records_status_check CHECK (status IN ('pending', 'verified', 'suspicious', 'rejected')),
    ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    ADD COLUMN validated_version INTEGER,
    ADD COLUMN hourly_steps INTEGER[] CHECK (hourly_steps IS NULL OR cardinality(hourly_steps) = 24),
    ADD COLUMN manual_steps BIGINT NOT NULL DEFAULT 0 CHECK (manual_steps >= 0),
    ADD COLUMN device_id VARCHAR(128),
    ADD COLUMN verified_steps BIGINT NOT NULL DEFAULT 0 CHECK (verified_steps >= 0),
    ADD COLUMN credited_steps BIGINT NOT NULL DEFAULT 0 CHECK (credited_steps >= 0),
    ADD COLUMN coins_credited BIGINT NOT NULL DEFAULT 0 CHECK (coins_credited >= 0),
    ADD COLUMN anomaly_score NUMERIC(5, 2) CHECK (anomaly_score BETWEEN 0 AND 100),
    ADD COLUMN reasons TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN review_note TEXT,
    ADD COLUMN appeal_message TEXT,
    ADD COLUMN appealed_at TIMESTAMPTZ,
    ADD COLUMN enqueued_at TIMESTAMPTZ,
    ADD CONSTRAINT step_records_manual_within_steps CHECK (manual_steps <= steps);
-- The sweeper re-enqueues records whose validation message was never sent.
CREATE INDEX step_records_pending_idx ON step_records (enqueued_at) WHERE status = 'pending';
-- Anti-cheat: one device shared by several accounts.
CREATE INDEX step_records_device_id_idx ON step_records (device_id, recorded_date) WHERE device_id IS NOT NULL;

ALTER TABLE step_validations
    ADD COLUMN record_version INTEGER NOT NULL,
    ADD COLUMN reasons TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN review_note TEXT,
    ADD COLUMN appealed_at TIMESTAMPTZ,
    ADD CONSTRAINT step_validations_record_version_key UNIQUE (step_record_id, record_version);

-- The conversion rate an `earned` row was paid at, for audits after coins_per_step changes.
ALTER TABLE coin_transactions ADD COLUMN coins_per_step NUMERIC(12, 6);
