-- A learned model of normal days beside the rules.
--
-- step_validations.features: what the model saw of the day (anticheat::features), stored
--   with each verdict. Verified and admin-approved days are the next model's training
--   rows; days an admin approved or rejected are its labelled examples.
-- anomaly_models: each trained model, versioned, with its training summary (rows, date
--   range, feature means, and how well it separates the labelled days). The setting
--   anomaly_model_version picks one (0: the newest), so a bad model is rolled back by an
--   admin; anomaly_model_weight (0: the model changes nothing) is the points a flagged day
--   adds to its anomaly score.
ALTER TABLE step_validations ADD COLUMN features FLOAT8[];

CREATE TABLE anomaly_models (
    version    SERIAL PRIMARY KEY,
    trained_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    model      JSONB NOT NULL,
    summary    JSONB NOT NULL
);

INSERT INTO settings (key, value, description) VALUES
    ('anomaly_model_weight', '0',
     'Points a day the learned anomaly model finds unusual adds to its anomaly score (0: the model changes nothing)'),
    ('anomaly_model_version', '0',
     'The anomaly model in use: 0 for the newest trained, or a version number to roll back to');
