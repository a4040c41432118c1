-- Sign in with Google and Apple: one account may hold several identities (an email
-- account that later signs in with Google, then with Apple). users.auth_provider and
-- provider_id keep the seed's meaning: how the account was created.

CREATE TABLE user_identities (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider   VARCHAR(16) NOT NULL CONSTRAINT user_identities_provider_check CHECK (provider IN ('google', 'apple')),
    subject    VARCHAR(255) NOT NULL,
    email      VARCHAR(320),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_identities_provider_subject_key UNIQUE (provider, subject)
);
CREATE INDEX user_identities_user_id_idx ON user_identities (user_id);
