-- no-transaction
-- The previous migration's foreign key, validated on its own: VALIDATE CONSTRAINT scans
-- step_validations under a lock that lets reads and writes go on (SHARE UPDATE EXCLUSIVE),
-- so a large table is checked without stopping the pipeline.
ALTER TABLE step_validations VALIDATE CONSTRAINT step_validations_step_record_id_fkey;
