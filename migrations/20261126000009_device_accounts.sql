-- Which accounts sync from which device, one row per (device, account): what the
-- "one device, one earner" rule asks, answered by two key lookups per record instead of
-- scans of every month's device indexes on step_records.
--
-- The sync keeps it (first_used_at when the account first synced from the device,
-- last_day the latest day it synced from it). Backfilled from the history the rule reads
-- (400 days). step_records' two device indexes stay until the next release: the running
-- release's validation reads them during the rollout. Then the next migration drops them
-- (about 207 bytes of index per record).
CREATE TABLE device_accounts (
    device_id VARCHAR(128) NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_used_at TIMESTAMPTZ NOT NULL,
    last_day DATE NOT NULL,
    PRIMARY KEY (device_id, user_id)
);
CREATE INDEX device_accounts_user_idx ON device_accounts (user_id);

INSERT INTO device_accounts (device_id, user_id, first_used_at, last_day)
SELECT device_id, user_id, min(created_at), max(recorded_date)
FROM step_records
WHERE device_id IS NOT NULL AND recorded_date >= current_date - 400
GROUP BY device_id, user_id;
