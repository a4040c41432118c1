-- The contract step promised with device_accounts (migration 09): nothing reads
-- step_records' two device indexes since the release before this one (the device rule
-- reads device_accounts), so they go: about 209 bytes of index per record (0.2 TB at a
-- billion records) and two index entries less on every sync's upsert.
--
-- A partitioned index cannot be dropped CONCURRENTLY; DROP INDEX takes a brief ACCESS
-- EXCLUSIVE lock on step_records and its partitions (metadata and file unlinks only, no
-- scan), so it waits for running statements and holds the next ones for moments.
DROP INDEX IF EXISTS step_records_device_id_idx;
DROP INDEX IF EXISTS step_records_device_user_idx;
-- The pre-partitioning history kept its own copies if they were never attached.
DROP INDEX IF EXISTS step_records_history_device_id_idx;
DROP INDEX IF EXISTS step_records_history_device_user_idx;
