-- What `visibility` decides from, in one place: for a viewer and a subject, who they are
-- to each other (friends, a block either way, the subject still there) and what the
-- subject chose to show. Every statement that returns another person's data joins this
-- (or `visibility::of` reads it); the decision itself is Rust's `visibility::sight`.
CREATE FUNCTION visibility_facts(viewer UUID, subject UUID)
RETURNS TABLE (
    live              BOOLEAN,
    friend            BOOLEAN,
    blocked_by_viewer BOOLEAN,
    blocked_viewer    BOOLEAN,
    steps_visibility  TEXT,
    board_visibility  TEXT,
    alias             TEXT,
    full_name         TEXT,
    avatar_url        TEXT
)
LANGUAGE sql STABLE AS $$
    SELECT u.deleted_at IS NULL AND u.is_active,
           EXISTS (SELECT 1 FROM friendships f
                   WHERE f.user_a = LEAST(u.id, viewer) AND f.user_b = GREATEST(u.id, viewer)),
           EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = viewer AND b.blocked_id = u.id),
           EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = viewer),
           COALESCE(p.steps_visibility, 'friends')::text,
           COALESCE(p.leaderboard_visibility, 'public')::text,
           CASE WHEN p.alias_hidden_at IS NULL THEN p.alias END::text,
           u.full_name::text,
           u.profile_picture_url::text
    FROM users u LEFT JOIN social_profiles p ON p.user_id = u.id
    WHERE u.id = subject
$$;
