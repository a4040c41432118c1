-- The walker's language (shared/src/i18n): a BCP 47 tag of a locale FitKart ships,
-- taken from Accept-Language at sign-up and changed with PATCH /v1/me. Mails and pushes
-- are rendered in it; responses in it unless a request asks for another.
ALTER TABLE users
    ADD COLUMN locale varchar(16) NOT NULL DEFAULT 'en'
        CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$');
