-- Push notifications through Amazon SNS mobile push.
--
-- push_devices: one row per app install (platform + token), with its SNS endpoint. A token
--   registered by another account moves to it (the phone changed hands).
-- notification_preferences: the kinds a person muted and their quiet hours (in their own
--   time zone, users.timezone). No row: everything on, no quiet hours.
-- notifications: the outbox. Each moment is inserted in the transaction that makes it true,
--   once per key (a natural id such as 'order:<id>:shipped'); notifications-dispatch queues
--   the due ones, notifications-send renders and publishes them. data holds the facts,
--   rendered into words at delivery.
-- notification_deliveries: one row per (notification, device) claimed before publishing,
--   so a notification is never pushed twice to a device however often it is delivered.
CREATE TABLE push_devices (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform     VARCHAR(16) NOT NULL CONSTRAINT push_devices_platform_check CHECK (platform IN ('ios', 'android')),
    token        VARCHAR(4096) NOT NULL,
    endpoint_arn TEXT NOT NULL,
    app_version  VARCHAR(32),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT push_devices_platform_token_key UNIQUE (platform, token)
);
CREATE INDEX push_devices_user_idx ON push_devices (user_id);

CREATE TABLE notification_preferences (
    user_id     UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    muted       TEXT[] NOT NULL DEFAULT '{}',
    quiet_start TIME,
    quiet_end   TIME,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT notification_preferences_quiet_check CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);

CREATE TABLE notifications (
    key         VARCHAR(200) PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        VARCHAR(32) NOT NULL,
    data        JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Past this, a notification that could not go out (quiet hours, an outage) is dropped.
    expires_at  TIMESTAMPTZ NOT NULL DEFAULT now() + interval '1 day',
    queued_at   TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    outcome     TEXT
);
CREATE INDEX notifications_waiting_idx ON notifications (created_at) WHERE finished_at IS NULL;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);

CREATE TABLE notification_deliveries (
    notification_key VARCHAR(200) NOT NULL REFERENCES notifications (key) ON DELETE CASCADE,
    device_id        UUID NOT NULL REFERENCES push_devices (id) ON DELETE CASCADE,
    claimed_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    message_id       TEXT,
    PRIMARY KEY (notification_key, device_id)
);
CREATE INDEX notification_deliveries_device_idx ON notification_deliveries (device_id);
