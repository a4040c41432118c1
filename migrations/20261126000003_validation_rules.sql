-- Which anti-cheat rules found something in each verdict (their names, as in the code's
-- RULES list): reviewers filter by them, and the fraud benchmark and later models read
-- them as labelled features. The reasons stay the words the user reads.
ALTER TABLE step_validations ADD COLUMN rules TEXT[] NOT NULL DEFAULT '{}';
