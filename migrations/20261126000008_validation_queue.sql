-- Records waiting for validation live in their own small table (a transactional outbox)
-- instead of a partial index on step_records.
--
-- Why: a partial index `WHERE status = 'pending'` makes every validation's UPDATE of a
-- record change an indexed column, so none could be a HOT update: each one wrote a new
-- entry into all six of the record's indexes. With the marker here, a record's
-- validation and crediting updates touch no indexed column and stay on their page
-- (fillfactor 90 leaves the room), and the queue row is one small delete.
--
-- A row exists from the sync that made a version until that version is validated; the
-- sync inserts it in the same statement that writes the record, so a record can never be
-- pending without a row here. `sent_at` is when its message went out; the sweeper sends
-- what was never sent, or sent an hour ago and still not validated.
CREATE TABLE validation_queue (
    step_record_id UUID NOT NULL,
    recorded_date DATE NOT NULL,
    -- Deleting an account removes its waiting records with it (no key on the partitioned
    -- step_records: each sync would pay a check into it).
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    version INTEGER NOT NULL CHECK (version >= 1),
    queued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at TIMESTAMPTZ,
    PRIMARY KEY (step_record_id, recorded_date)
);
CREATE INDEX validation_queue_user_idx ON validation_queue (user_id);

-- What is pending now: queued, and sent already if the previous release sent it.
INSERT INTO validation_queue (step_record_id, recorded_date, user_id, version, queued_at, sent_at)
SELECT id, recorded_date, user_id, version, updated_at, enqueued_at
FROM step_records WHERE status = 'pending';

-- The previous release's sweeper reads this index until the new one is deployed: it then
-- scans the recent months instead (minutes of a canary rollout, every few minutes).
-- step_records.enqueued_at is no longer read or written by this release; the next
-- release's migration drops it (the running release still sets it during the rollout).
DROP INDEX step_records_pending_idx;
