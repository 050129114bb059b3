-- The per-address throttle counted in the database, so that several nodes share one
-- budget. One fixed window per key; swept by housekeeping once the window is over.
CREATE TABLE throttle_counters (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);
CREATE INDEX throttle_counters_window ON throttle_counters (window_start);
