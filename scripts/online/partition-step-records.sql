-- Online preparation for migration 20261126000006 (step_records partitioned by month) on a
-- large database: every slow part of that migration, done beforehand without blocking the
-- service's reads and writes. Run it with psql (each statement on its own, outside a
-- transaction block; CONCURRENTLY needs that) after applying
-- migrations/20261126000005_step_validations_recorded_date.sql by hand, then deploy:
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f migrations/20261126000005_step_validations_recorded_date.sql
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -v bound=2027-02-01 -f scripts/online/partition-step-records.sql
--
-- `bound` is where monthly partitions will begin: the first day of a month after every day
-- a sync can write before the deploy (the month after next is safe). Every statement is
-- idempotent, so an interrupted run is simply run again.

-- 1. Validations' dates, 10,000 rows per transaction (the filler trigger of migration
--    ...05 dates every new row meanwhile).
DO $$
DECLARE
    moved BIGINT;
BEGIN
    LOOP
        UPDATE step_validations v SET recorded_date = r.recorded_date
        FROM step_records r
        WHERE r.id = v.step_record_id
          AND v.id IN (SELECT id FROM step_validations WHERE recorded_date IS NULL LIMIT 10000);
        GET DIAGNOSTICS moved = ROW_COUNT;
        COMMIT;
        EXIT WHEN moved = 0;
    END LOOP;
END
$$;

-- 2. Proof that no validation lacks its date, checked without blocking writes; the
--    migration's SET NOT NULL then trusts it instead of scanning.
ALTER TABLE step_validations DROP CONSTRAINT IF EXISTS step_validations_recorded_date_not_null;
ALTER TABLE step_validations ADD CONSTRAINT step_validations_recorded_date_not_null
    CHECK (recorded_date IS NOT NULL) NOT VALID;
ALTER TABLE step_validations VALIDATE CONSTRAINT step_validations_recorded_date_not_null;

-- 3. The index of the new key, built without blocking writes (an interrupted build leaves
--    an INVALID index behind: drop it and run this again).
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS step_records_history_id_recorded_date_key
    ON step_records (id, recorded_date);

-- 4. The history partition's bound, checked without blocking writes: the attach trusts it
--    instead of scanning the table under its lock.
ALTER TABLE step_records DROP CONSTRAINT IF EXISTS step_records_history_bound;
ALTER TABLE step_records ADD CONSTRAINT step_records_history_bound
    CHECK (recorded_date < :'bound'::date) NOT VALID;
ALTER TABLE step_records VALIDATE CONSTRAINT step_records_history_bound;
