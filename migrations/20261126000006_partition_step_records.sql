-- step_records partitioned by month of recorded_date (SCHEMA.md "Data Partitioning").
--
-- The existing table is not copied: it is renamed step_records_history and attached,
-- whole, as the partition of every date before a bound; monthly partitions follow it. On a
-- large database the slow parts (an index, a constraint validation, a backfill) can run
-- online beforehand (README "Partitioning step_records"); each step below then finds its
-- work done and the migration's own transaction is catalog changes only, holding its
-- locks for milliseconds. On a small database the migration does everything itself.
--
-- Keys of a partitioned table must include the partition key: the primary key becomes
-- (id, recorded_date), and step_validations carries its record's date so that its foreign
-- key can reference it.

-- 1. Validations' dates (the column is the previous migration's), backfilled beforehand on
--    a large database.
UPDATE step_validations v SET recorded_date = r.recorded_date
FROM step_records r WHERE r.id = v.step_record_id AND v.recorded_date IS NULL;
-- Instant when a validated CHECK (recorded_date IS NOT NULL) already proves it.
ALTER TABLE step_validations ALTER COLUMN recorded_date SET NOT NULL;
ALTER TABLE step_validations DROP CONSTRAINT IF EXISTS step_validations_recorded_date_not_null;
ALTER TABLE step_validations DROP CONSTRAINT step_validations_step_record_id_fkey;
-- Redundant with step_validations_record_version_key (step_record_id, record_version).
DROP INDEX step_validations_step_record_id_idx;

-- 2. The history partition: the old table under a new name, its indexes and constraints
--    renamed so that the partitioned table can have the original names.
ALTER TABLE step_records RENAME TO step_records_history;
ALTER INDEX step_records_pkey RENAME TO step_records_history_pkey;
ALTER INDEX step_records_user_id_recorded_date_key RENAME TO step_records_history_user_id_recorded_date_key;
ALTER INDEX step_records_created_at_idx RENAME TO step_records_history_created_at_idx;
ALTER INDEX step_records_recorded_date_brin RENAME TO step_records_history_recorded_date_brin;
ALTER INDEX step_records_pending_idx RENAME TO step_records_history_pending_idx;
ALTER INDEX step_records_device_id_idx RENAME TO step_records_history_device_id_idx;
ALTER INDEX step_records_device_user_idx RENAME TO step_records_history_device_user_idx;
ALTER TABLE step_records_history RENAME CONSTRAINT step_records_user_id_fkey TO step_records_history_user_id_fkey;
-- The partitioned key's index (built CONCURRENTLY beforehand on a large database) becomes
-- the primary key in place of the key on id alone, which nothing references any more. A
-- key constraint, not a bare index, is what the attach below adopts instead of building.
CREATE UNIQUE INDEX IF NOT EXISTS step_records_history_id_recorded_date_key
    ON step_records_history (id, recorded_date);
ALTER TABLE step_records_history
    DROP CONSTRAINT step_records_history_pkey,
    ADD CONSTRAINT step_records_history_pkey PRIMARY KEY USING INDEX step_records_history_id_recorded_date_key;

-- 3. The partitioned table: the same columns, defaults and checks (LIKE copies them, names
--    included, so nothing can drift), keyed by (id, recorded_date).
CREATE TABLE step_records (LIKE step_records_history INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (recorded_date);
-- The history bound is the history partition's own constraint, not the table's.
ALTER TABLE step_records DROP CONSTRAINT IF EXISTS step_records_history_bound;
ALTER TABLE step_records
    ADD CONSTRAINT step_records_pkey PRIMARY KEY (id, recorded_date),
    ADD CONSTRAINT step_records_user_id_recorded_date_key UNIQUE (user_id, recorded_date),
    ADD CONSTRAINT step_records_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX step_records_created_at_idx ON step_records (created_at);
CREATE INDEX step_records_recorded_date_brin ON step_records USING brin (recorded_date);
CREATE INDEX step_records_pending_idx ON step_records (enqueued_at) WHERE status = 'pending';
CREATE INDEX step_records_device_id_idx ON step_records (device_id, recorded_date) WHERE device_id IS NOT NULL;
CREATE INDEX step_records_device_user_idx ON step_records (device_id, user_id, created_at)
    WHERE device_id IS NOT NULL;

-- 4. Monthly partitions, named step_records_YYYY_MM, created from `from_month` up to the
--    month containing `until` (existing ones are left alone). The weekly db-maintenance
--    job calls it to keep months ahead, so no sync ever finds its month missing; there is
--    no default partition, whose presence would make every future attach scan it.
CREATE FUNCTION step_records_create_partitions(from_month DATE, until DATE) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    month DATE := date_trunc('month', from_month)::date;
    created INTEGER := 0;
    name TEXT;
BEGIN
    WHILE month <= until LOOP
        name := format('step_records_%s', to_char(month, 'YYYY_MM'));
        IF to_regclass(name) IS NULL THEN
            -- Pages kept 10% free: validation and crediting update each record in place
            -- (a HOT update, no new index entries) when its page has room.
            EXECUTE format('CREATE TABLE %I PARTITION OF step_records FOR VALUES FROM (%L) TO (%L) '
                           'WITH (fillfactor = 90)',
                           name, month, (month + interval '1 month')::date);
            created := created + 1;
        END IF;
        month := (month + interval '1 month')::date;
    END LOOP;
    RETURN created;
END
$$;

-- 5. Attach the history. Its bound is where monthly partitions begin: a month past both
--    today and its newest day (syncs of tomorrow included), or, with a validated
--    step_records_history_bound CHECK added beforehand, that check's date, which spares
--    the attach its scan. An empty history (a new database) ends a year back, so that
--    every day a sync can still reach has its own month.
DO $$
DECLARE
    bound DATE;
BEGIN
    SELECT substring(pg_get_constraintdef(oid) FROM '''(\d{4}-\d{2}-\d{2})''')::date INTO bound
    FROM pg_constraint
    WHERE conrelid = 'step_records_history'::regclass AND conname = 'step_records_history_bound'
      AND convalidated;
    IF bound IS NULL THEN
        SELECT CASE WHEN max(recorded_date) IS NULL
                    THEN (date_trunc('month', current_date) - interval '12 months')::date
                    ELSE (date_trunc('month', greatest(max(recorded_date), current_date + 2)) + interval '1 month')::date
               END
        INTO bound FROM step_records_history;
    END IF;
    EXECUTE format('ALTER TABLE step_records ATTACH PARTITION step_records_history FOR VALUES FROM (MINVALUE) TO (%L)',
                   bound);
    PERFORM step_records_create_partitions(bound, current_date + 120); -- PARTITION_DAYS_AHEAD
END
$$;

-- 6. Validations reference their record by the partitioned key. NOT VALID here (no scan
--    under this transaction's locks); the next migration validates it without blocking
--    writes. New rows are checked from now on either way. The key's lookups (a record's
--    validations, the cascade) use step_validations_record_version_key, which leads with
--    step_record_id: no index of its own.
ALTER TABLE step_validations
    ADD CONSTRAINT step_validations_step_record_id_fkey FOREIGN KEY (step_record_id, recorded_date)
        REFERENCES step_records (id, recorded_date) ON DELETE CASCADE NOT VALID;

-- 7. Views bind to the table they were created on, and followed it to its new name: every
--    view that reads the history partition reads the partitioned table again, with its
--    definition otherwise unchanged.
DO $$
DECLARE
    view REGCLASS;
BEGIN
    FOR view IN
        SELECT DISTINCT rw.ev_class::regclass
        FROM pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid
        WHERE d.refobjid = 'step_records_history'::regclass AND rw.ev_class <> d.refobjid
    LOOP
        EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', view,
                       regexp_replace(pg_get_viewdef(view), '\mstep_records_history\M', 'step_records', 'g'));
    END LOOP;
END
$$;
