-- The anti-cheat rules behind a record's latest verdict (their names, as in the code),
-- kept with the record so its reasons can be read in the walker's language
-- (i18n: reason-<rule>); `reasons` keeps the detailed English words for reviewers.
ALTER TABLE step_records ADD COLUMN rules TEXT[] NOT NULL DEFAULT '{}';
