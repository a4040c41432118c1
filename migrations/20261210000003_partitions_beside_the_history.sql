-- The coming months' partitions, created from any day: a month the history partition
-- (step_records_history, the days from before partitioning) already holds is left to it
-- instead of failing the whole run. The weekly job counts from today, always past the
-- history; a run dated earlier (a replayed schedule, a test at an earlier instant) no
-- longer stops at the first month the history covers.
CREATE OR REPLACE FUNCTION step_records_create_partitions(from_month DATE, until DATE) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    month DATE := date_trunc('month', from_month)::date;
    created INTEGER := 0;
    name TEXT;
BEGIN
    WHILE month <= until LOOP
        name := format('step_records_%s', to_char(month, 'YYYY_MM'));
        IF to_regclass(name) IS NULL THEN
            BEGIN
                -- Pages kept 10% free: validation and crediting update each record in place
                -- (a HOT update, no new index entries) when its page has room.
                EXECUTE format('CREATE TABLE %I PARTITION OF step_records FOR VALUES FROM (%L) TO (%L) '
                               'WITH (fillfactor = 90)',
                               name, month, (month + interval '1 month')::date);
                created := created + 1;
            EXCEPTION WHEN invalid_object_definition THEN
                -- 42P17: the month overlaps the history partition, which holds its days.
                NULL;
            END;
        END IF;
        month := (month + interval '1 month')::date;
    END LOOP;
    RETURN created;
END
$$;
