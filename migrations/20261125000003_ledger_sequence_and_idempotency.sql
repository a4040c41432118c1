-- The coin ledger: a per-user sequence number makes the balance chain totally ordered
-- (several rows of one transaction share created_at) and forbids forks: two writers that
-- both read the same last row cannot both append. It replaces the seed's user_id index.

ALTER TABLE coin_transactions ADD COLUMN user_seq BIGINT NOT NULL CHECK (user_seq >= 1);
DROP INDEX coin_transactions_user_id_idx;
ALTER TABLE coin_transactions ADD CONSTRAINT coin_transactions_user_seq_key UNIQUE (user_id, user_seq);
ALTER TABLE coin_transactions ADD CONSTRAINT coin_transactions_reference_type_check
    CHECK (reference_type IN ('step_record', 'order', 'achievement', 'referral', 'registration', 'admin_adjustment'));

-- Stored responses of requests made with an Idempotency-Key (orders), so that a replay
-- returns the original response and a different body with the same key is refused.
CREATE TABLE idempotency_keys (
    user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key           VARCHAR(255) NOT NULL,
    request_hash  VARCHAR(64) NOT NULL,
    status_code   SMALLINT,
    response_body JSONB,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

ALTER TABLE orders ADD COLUMN refunded_at TIMESTAMPTZ;
ALTER TABLE order_items ADD COLUMN product_name VARCHAR(255) NOT NULL DEFAULT '';
CREATE SEQUENCE order_code_seq;
ALTER TABLE reward_products ADD COLUMN coin_price_pinned BOOLEAN NOT NULL DEFAULT FALSE;

-- The wallet row hands out the next sequence number under its row lock, so appending a
-- ledger row is one statement whatever else runs concurrently.
ALTER TABLE wallets ADD COLUMN ledger_seq BIGINT NOT NULL DEFAULT 0 CHECK (ledger_seq >= 0);
