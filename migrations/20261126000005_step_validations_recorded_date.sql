-- A validation carries its record's date: once step_records is partitioned by date (the
-- next migration), a foreign key to it must name the date too.
--
-- Catalog changes only, idempotent: on a large database this file is applied by hand
-- before the deploy (README "Partitioning step_records"), and then again by the deploy.

ALTER TABLE step_validations ADD COLUMN IF NOT EXISTS recorded_date DATE;

-- Fills the date for writers that do not name it: the previous release's functions, which
-- keep running for the minutes of a deploy (and until the backfill, every row they write).
-- Current code always names it, and the trigger then does nothing.
CREATE OR REPLACE FUNCTION step_validations_fill_recorded_date() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.recorded_date IS NULL THEN
        SELECT recorded_date INTO NEW.recorded_date FROM step_records WHERE id = NEW.step_record_id;
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER step_validations_fill_recorded_date
    BEFORE INSERT ON step_validations
    FOR EACH ROW EXECUTE FUNCTION step_validations_fill_recorded_date();
