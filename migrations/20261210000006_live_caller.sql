-- Whether a token's account may act: not deleted, active, and at the credential version
-- the token carries (a password change or "sign out everywhere" moves it on). Every
-- authenticated request asks this once. A refusal is an error, SQLSTATE FK401 (the API's
-- 401), so that the request's transaction can begin with the check in the same message
-- to the server (`auth::begin_as`): a refused check stops the message before its BEGIN,
-- and an allowed one costs no round trip of its own.
CREATE FUNCTION live_caller(p_user uuid, p_credential_version int)
RETURNS TABLE (role varchar, email_verified boolean)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
        SELECT u.role, u.email_verified FROM users u
        WHERE u.id = p_user AND u.deleted_at IS NULL AND u.is_active
          AND u.credential_version = p_credential_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no live account at this credential version' USING ERRCODE = 'FK401';
    END IF;
END
$$;
