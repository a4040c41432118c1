-- Orders reach Shopify for fulfilment, and shipping comes back by webhook.
--
-- orders.shopify_push_requested_at: when the order was confirmed and handed to the
--   shopify-orders queue (orders confirmed before this release were re-created in
--   Shopify by hand and are never pushed: their column stays NULL).
-- orders.shopify_push_lease_until: a push in flight holds this lease, so two deliveries
--   of the same message can never create two Shopify orders side by side.
-- orders.shopify_order_id: the Shopify order (a GraphQL GID) once it exists.
-- orders.carrier: the carrier Shopify names with the tracking number.
ALTER TABLE orders
    ADD COLUMN shopify_push_requested_at TIMESTAMPTZ,
    ADD COLUMN shopify_push_lease_until TIMESTAMPTZ,
    ADD COLUMN shopify_order_id VARCHAR(64),
    ADD COLUMN carrier VARCHAR(64);
CREATE UNIQUE INDEX orders_shopify_order_id_key ON orders (shopify_order_id) WHERE shopify_order_id IS NOT NULL;
-- The hourly sweep's question: confirmed orders Shopify does not have yet.
CREATE INDEX orders_shopify_unpushed_idx ON orders (shopify_push_requested_at)
    WHERE shopify_push_requested_at IS NOT NULL AND shopify_order_id IS NULL;

-- Every webhook Shopify delivered, once per X-Shopify-Webhook-Id: a redelivery finds its
-- row and changes nothing. processed_at/outcome say what it did to our order.
CREATE TABLE shopify_webhooks (
    webhook_id   VARCHAR(128) PRIMARY KEY,
    topic        VARCHAR(64) NOT NULL,
    payload      JSONB NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at TIMESTAMPTZ,
    order_id     UUID REFERENCES orders (id) ON DELETE SET NULL,
    outcome      TEXT
);
CREATE INDEX shopify_webhooks_unprocessed_idx ON shopify_webhooks (received_at) WHERE processed_at IS NULL;
CREATE INDEX shopify_webhooks_order_idx ON shopify_webhooks (order_id) WHERE order_id IS NOT NULL;

-- The audit trail names who acted: an admin (admin_id set), the Shopify integration
-- (webhooks and the order push) or the system (automatic confirmation).
ALTER TABLE admin_logs
    ALTER COLUMN admin_id DROP NOT NULL,
    ADD COLUMN actor VARCHAR(16) NOT NULL DEFAULT 'admin'
        CONSTRAINT admin_logs_actor_check CHECK (actor IN ('admin', 'shopify', 'system')),
    ADD CONSTRAINT admin_logs_admin_actor_check CHECK ((actor = 'admin') = (admin_id IS NOT NULL));

INSERT INTO settings (key, value, description) VALUES
    ('auto_confirm_orders', 'false',
     'Confirm new orders automatically (their stock is already reserved) and send them to Shopify at once, instead of waiting for an admin');
