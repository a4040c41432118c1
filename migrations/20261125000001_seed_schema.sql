-- The seed schema of SCHEMA.md: 14 tables with their keys, enumerations as CHECK
-- constraints, and the indexes the document lists. Deliberate upgrades over the seed text:
--   * TIMESTAMP columns are TIMESTAMPTZ (instants, never ambiguous across time zones);
--   * money-like counters carry CHECK (>= 0) so no bug can make a balance negative;
--   * refresh_tokens.token holds a SHA-256 digest of the opaque token, never the token.
-- Additions the product needs live in the later, separately named migrations.

CREATE TABLE users (
    id                    UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email                 VARCHAR(320) NOT NULL,
    password_hash         VARCHAR(255),
    full_name             VARCHAR(200) NOT NULL,
    phone                 VARCHAR(32),
    country_code          VARCHAR(2) CHECK (country_code ~ '^[A-Z]{2}$'),
    profile_picture_url   TEXT,
    auth_provider         VARCHAR(16) NOT NULL DEFAULT 'email'
                          CONSTRAINT users_auth_provider_check CHECK (auth_provider IN ('email', 'google', 'apple')),
    provider_id           VARCHAR(255),
    bio                   TEXT,
    is_active             BOOLEAN NOT NULL DEFAULT TRUE,
    email_verified        BOOLEAN NOT NULL DEFAULT FALSE,
    total_steps           BIGINT NOT NULL DEFAULT 0 CHECK (total_steps >= 0),
    total_coins           BIGINT NOT NULL DEFAULT 0 CHECK (total_coins >= 0),
    lifetime_coins_earned BIGINT NOT NULL DEFAULT 0 CHECK (lifetime_coins_earned >= 0),
    lifetime_coins_spent  BIGINT NOT NULL DEFAULT 0 CHECK (lifetime_coins_spent >= 0),
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at         TIMESTAMPTZ,
    deleted_at            TIMESTAMPTZ,
    -- An email account needs a password, an OAuth account its provider's subject id.
    -- Soft-deleted rows are anonymised and keep neither.
    CONSTRAINT users_credentials_check CHECK (
        deleted_at IS NOT NULL
        OR (auth_provider = 'email' AND password_hash IS NOT NULL)
        OR (auth_provider <> 'email' AND provider_id IS NOT NULL)
    )
);
-- Email is unique case-insensitively among live accounts only, so that an address can
-- register again after its account was deleted. It also serves login look-ups.
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_provider_id_key ON users (auth_provider, provider_id)
    WHERE provider_id IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX users_created_at_idx ON users (created_at);
CREATE INDEX users_is_active_idx ON users (created_at) WHERE is_active AND deleted_at IS NULL;

CREATE TABLE refresh_tokens (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token      VARCHAR(64) NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ,
    CONSTRAINT refresh_tokens_token_key UNIQUE (token)
);
COMMENT ON COLUMN refresh_tokens.token IS 'hex SHA-256 of the opaque refresh token; the token itself is never stored';
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

CREATE TABLE wallets (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    available_coins BIGINT NOT NULL DEFAULT 0 CHECK (available_coins >= 0),
    frozen_coins    BIGINT NOT NULL DEFAULT 0 CHECK (frozen_coins >= 0),
    total_earned    BIGINT NOT NULL DEFAULT 0 CHECK (total_earned >= 0),
    total_spent     BIGINT NOT NULL DEFAULT 0 CHECK (total_spent >= 0),
    last_updated    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT wallets_user_id_key UNIQUE (user_id)
);

CREATE TABLE coin_transactions (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amount           BIGINT NOT NULL,
    transaction_type VARCHAR(16) NOT NULL
                     CONSTRAINT coin_transactions_transaction_type_check
                     CHECK (transaction_type IN ('earned', 'spent', 'refund', 'bonus', 'penalty')),
    reference_type   VARCHAR(32),
    reference_id     UUID,
    description      TEXT,
    balance_before   BIGINT NOT NULL CHECK (balance_before >= 0),
    balance_after    BIGINT NOT NULL CHECK (balance_after >= 0),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- amount is signed by its effect on available coins; the chain must add up per row.
    CONSTRAINT coin_transactions_balance_check CHECK (balance_after = balance_before + amount),
    CONSTRAINT coin_transactions_sign_check CHECK (
        (transaction_type IN ('earned', 'refund', 'bonus') AND amount > 0)
        OR (transaction_type IN ('spent', 'penalty') AND amount < 0)
    )
);
CREATE INDEX coin_transactions_user_id_idx ON coin_transactions (user_id, created_at DESC);
CREATE INDEX coin_transactions_transaction_type_idx ON coin_transactions (transaction_type);
CREATE INDEX coin_transactions_created_at_idx ON coin_transactions USING brin (created_at);
CREATE INDEX coin_transactions_reference_idx ON coin_transactions (reference_type, reference_id);

CREATE TABLE step_records (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    steps         BIGINT NOT NULL CHECK (steps BETWEEN 0 AND 200000),
    distance      NUMERIC(8, 3) CHECK (distance >= 0),
    calories      NUMERIC(9, 2) CHECK (calories >= 0),
    heart_points  INTEGER CHECK (heart_points >= 0),
    source        VARCHAR(16) NOT NULL
                  CONSTRAINT step_records_source_check
                  CHECK (source IN ('health_connect', 'google_fit', 'health_kit', 'manual')),
    recorded_date DATE NOT NULL,
    sync_token    VARCHAR(255),
    is_verified   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- One record per user per day; it also serves (user_id, recorded_date) range queries.
    CONSTRAINT step_records_user_id_recorded_date_key UNIQUE (user_id, recorded_date)
);
CREATE INDEX step_records_created_at_idx ON step_records (created_at);
-- Rows arrive roughly in date order: a BRIN index is tiny and enough for analytics scans.
CREATE INDEX step_records_recorded_date_brin ON step_records USING brin (recorded_date);

CREATE TABLE step_validations (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id              UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    step_record_id       UUID NOT NULL REFERENCES step_records (id) ON DELETE CASCADE,
    expected_steps       BIGINT CHECK (expected_steps >= 0),
    reported_steps       BIGINT NOT NULL CHECK (reported_steps >= 0),
    anomaly_score        NUMERIC(5, 2) NOT NULL CHECK (anomaly_score BETWEEN 0 AND 100),
    is_suspicious        BOOLEAN NOT NULL DEFAULT FALSE,
    validation_reason    TEXT,
    reviewed_by_admin_id UUID REFERENCES users (id),
    status               VARCHAR(16) NOT NULL DEFAULT 'pending'
                         CONSTRAINT step_validations_status_check
                         CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    reviewed_at          TIMESTAMPTZ
);
CREATE INDEX step_validations_step_record_id_idx ON step_validations (step_record_id);
CREATE INDEX step_validations_user_id_idx ON step_validations (user_id, created_at);
-- The admin review queue: only pending rows, oldest first.
CREATE INDEX step_validations_pending_idx ON step_validations (created_at, id) WHERE status = 'pending';

CREATE TABLE reward_products (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    shopify_product_id VARCHAR(64),
    shopify_variant_id VARCHAR(64),
    name               VARCHAR(255) NOT NULL,
    description        TEXT,
    coin_price         BIGINT NOT NULL CHECK (coin_price > 0),
    retail_price       NUMERIC(10, 2) CHECK (retail_price >= 0),
    image_url          TEXT,
    stock_quantity     INTEGER NOT NULL DEFAULT 0 CHECK (stock_quantity >= 0),
    category           VARCHAR(64),
    is_active          BOOLEAN NOT NULL DEFAULT TRUE,
    popularity_rank    INTEGER NOT NULL DEFAULT 0,
    synced_at          TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Each Shopify variant is one reward; a product without variants is keyed by its id.
    CONSTRAINT reward_products_shopify_key UNIQUE NULLS NOT DISTINCT (shopify_product_id, shopify_variant_id)
);
CREATE UNIQUE INDEX reward_products_shopify_variant_id_key ON reward_products (shopify_variant_id)
    WHERE shopify_variant_id IS NOT NULL;
-- The catalogue: active products by rank, optionally in one category.
CREATE INDEX reward_products_active_rank_idx ON reward_products (popularity_rank, id) WHERE is_active;
CREATE INDEX reward_products_category_idx ON reward_products (category, popularity_rank, id) WHERE is_active;

CREATE TABLE orders (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    order_code       VARCHAR(32) NOT NULL,
    total_coins      BIGINT NOT NULL CHECK (total_coins > 0),
    status           VARCHAR(16) NOT NULL DEFAULT 'pending'
                     CONSTRAINT orders_status_check
                     CHECK (status IN ('pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded')),
    shipping_address JSONB NOT NULL,
    tracking_number  VARCHAR(128),
    notes            TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    shipped_at       TIMESTAMPTZ,
    delivered_at     TIMESTAMPTZ,
    cancelled_at     TIMESTAMPTZ,
    CONSTRAINT orders_order_code_key UNIQUE (order_code)
);
CREATE INDEX orders_user_id_idx ON orders (user_id, created_at DESC, id);
CREATE INDEX orders_status_idx ON orders (status, created_at DESC, id);

CREATE TABLE order_items (
    id                     UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id               UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id             UUID NOT NULL REFERENCES reward_products (id),
    quantity               INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10),
    coin_price_at_purchase BIGINT NOT NULL CHECK (coin_price_at_purchase > 0),
    total_coins            BIGINT NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT order_items_total_check CHECK (total_coins = quantity * coin_price_at_purchase)
);
CREATE INDEX order_items_order_id_idx ON order_items (order_id);
CREATE INDEX order_items_product_id_idx ON order_items (product_id);

CREATE TABLE achievements (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    code            VARCHAR(64) NOT NULL,
    name            VARCHAR(128) NOT NULL,
    description     TEXT,
    icon_url        TEXT,
    badge_color     VARCHAR(7) CHECK (badge_color ~ '^#[0-9A-Fa-f]{6}$'),
    unlock_criteria JSONB NOT NULL DEFAULT '{}'::jsonb,
    reward_coins    BIGINT NOT NULL DEFAULT 0 CHECK (reward_coins >= 0),
    display_order   INTEGER NOT NULL DEFAULT 0,
    is_active       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT achievements_code_key UNIQUE (code)
);

CREATE TABLE user_achievements (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    achievement_id UUID NOT NULL REFERENCES achievements (id) ON DELETE CASCADE,
    unlocked_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_achievements_user_id_achievement_id_key UNIQUE (user_id, achievement_id)
);

CREATE TABLE leaderboard_cache (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rank           INTEGER NOT NULL CHECK (rank >= 1),
    total_steps    BIGINT NOT NULL CHECK (total_steps >= 0),
    week_starts_at DATE NOT NULL,
    period         VARCHAR(16) NOT NULL
                   CONSTRAINT leaderboard_cache_period_check
                   CHECK (period IN ('weekly', 'monthly', 'all_time')),
    last_updated   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT leaderboard_cache_user_id_period_week_starts_at_key UNIQUE (user_id, period, week_starts_at)
);
CREATE INDEX leaderboard_cache_board_idx ON leaderboard_cache (period, week_starts_at, rank);

CREATE TABLE admin_logs (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    admin_id    UUID NOT NULL REFERENCES users (id),
    action      VARCHAR(64) NOT NULL,
    entity_type VARCHAR(32) NOT NULL,
    entity_id   UUID,
    changes     JSONB NOT NULL DEFAULT '{}'::jsonb,
    ip_address  INET,
    user_agent  TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX admin_logs_admin_id_idx ON admin_logs (admin_id, created_at DESC);
CREATE INDEX admin_logs_entity_idx ON admin_logs (entity_type, entity_id, created_at DESC);
CREATE INDEX admin_logs_action_idx ON admin_logs (action, created_at DESC);
CREATE INDEX admin_logs_created_at_idx ON admin_logs (created_at DESC, id DESC);

CREATE TABLE settings (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    key                 VARCHAR(64) NOT NULL,
    value               TEXT NOT NULL,
    description         TEXT,
    updated_by_admin_id UUID REFERENCES users (id),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT settings_key_key UNIQUE (key)
);
