-- Fraud defences, round 2: a day is judged against the walker's own weeks, late
-- increases are backfill, and the learned model is on.
--
-- step_records.on_time_steps: the highest count synced for a day while it was not late yet
--   (within anti_cheat_late_backfill_days of it). A later sync above it (and above what
--   was verified) is a late increase: held for review, what was paid stays paid. Null for
--   days last synced before this release (and for a day first reported late): then only
--   the verified steps count as known. Adding a nullable column is a catalog change on
--   the partitioned table, no rewrite.
-- anti_cheat_late_increase_steps: how much a late sync may add unchecked (a watch syncing
--   the evening's steps the next days).
-- anomaly_model_weight: the learned model now ships on (a day it flags gets these points,
--   60 holding it alone); until the weekly job has trained a first model, validation runs
--   on the rules alone. Only a database still at the old default changes.
ALTER TABLE step_records ADD COLUMN on_time_steps BIGINT;

INSERT INTO settings (key, value, description) VALUES
    ('anti_cheat_late_increase_steps', '1500',
     'Steps a sync made more than anti_cheat_late_backfill_days after a day may add to it without review');

UPDATE settings SET value = '60',
    description = 'Points a day the learned model flags adds to its anomaly score (0: the model changes nothing; 60 holds a day alone)'
WHERE key = 'anomaly_model_weight' AND value = '0';
