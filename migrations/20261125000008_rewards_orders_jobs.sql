-- Rewards, orders and scheduled jobs.

-- An admin may hide a product; the hourly Shopify sync must not show it again. Sync sets
-- is_active from Shopify (present and ACTIVE) and never overrides this flag.
ALTER TABLE reward_products ADD COLUMN admin_hidden BOOLEAN NOT NULL DEFAULT FALSE;

-- One row per scheduled run of a job (EventBridge Scheduler's scheduled time), so a
-- retried or duplicated invocation of the same run does the work once.
CREATE TABLE job_runs (
    job           VARCHAR(64) NOT NULL,
    scheduled_for TIMESTAMPTZ NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ,
    outcome       JSONB,
    PRIMARY KEY (job, scheduled_for)
);
CREATE INDEX job_runs_started_at_idx ON job_runs (started_at);

-- Order lists are newest first with the id as tie-breaker, in both directions the same.
DROP INDEX orders_user_id_idx;
CREATE INDEX orders_user_id_idx ON orders (user_id, created_at DESC, id DESC);
DROP INDEX orders_status_idx;
CREATE INDEX orders_status_idx ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_created_at_idx ON orders (created_at DESC, id DESC);

-- Order lines keep the order the customer listed them in.
ALTER TABLE order_items ADD COLUMN line_no SMALLINT NOT NULL DEFAULT 1 CHECK (line_no BETWEEN 1 AND 20);
