-- Provenance and wheelchair pushes (shared/src/steps/provenance.rs).
--
-- A synced day may say where its steps came from: the platform's de-duplicated total stays
-- the day's count, and the breakdown by writing app, device type and recording method is
-- kept beside it, as sent (the backend never adds sources up). A walker who uses a
-- wheelchair may count pushes: they become step equivalents inside the day's count.

-- Whether the walker counts wheelchair pushes as step equivalents.
ALTER TABLE users ADD COLUMN counts_pushes BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE step_records
    -- [{app_id, device_type, recording_method, steps, pushes?, hourly_steps?}], or NULL for
    -- a client that sends no breakdown (judged on its total, as before).
    ADD COLUMN provenance    JSONB,
    -- Wheelchair pushes the platform counted for the day (counted or not).
    ADD COLUMN pushes        INTEGER CONSTRAINT step_records_pushes_check CHECK (pushes >= 0),
    ADD COLUMN hourly_pushes INTEGER[],
    -- The step equivalents of the pushes, inside `steps` (0 when the walker does not count
    -- pushes).
    ADD COLUMN push_steps    INTEGER NOT NULL DEFAULT 0
        CONSTRAINT step_records_push_steps_check CHECK (push_steps >= 0 AND push_steps <= steps),
    -- A fingerprint of the day's 24 hourly counts (NULL for small days and days without
    -- hours): identical hours on several accounts on one day are one script's output.
    ADD COLUMN hours_hash    BIGINT;

CREATE INDEX step_records_hours_hash_idx ON step_records (recorded_date, hours_hash)
    WHERE hours_hash IS NOT NULL;

INSERT INTO settings (key, value, description) VALUES
    ('step_writers_allowed',
     'android,com.apple.health*,com.fitbit.FitbitMobile,com.garmin.android.apps.connectmobile,com.garmin.connect.mobile,com.google.android.apps.fitness,com.google.android.healthconnect.controller,com.huawei.health,com.ouraring.oura,com.sec.android.app.shealth,com.withings.wiscale2,com.xiaomi.wearable',
     'Apps whose steps are paid without a look: app ids (bundle ids, package names), a trailing * matches a prefix; steps from any other writer are held'),
    ('push_step_equivalents', '1.8',
     'Step equivalents of one wheelchair push, for walkers who count pushes (55 pushes/min is moderate intensity as 100 steps/min is)'),
    ('anti_cheat_max_pushes_per_minute', '110',
     'A whole hour above this many pushes per minute is not everyday wheeling: the day is held'),
    ('anti_cheat_review_pushes', '20000',
     'Pushes in one day above which a person looks at the day');
