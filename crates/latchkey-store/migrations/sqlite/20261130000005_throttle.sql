-- The per-address throttle counted in the database, so that several nodes share one
-- budget (used on PostgreSQL; a single SQLite node counts in memory). One fixed window
-- per key; swept by housekeeping once the window is over.
CREATE TABLE throttle_counters (
    key          TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL
);
CREATE INDEX throttle_counters_window ON throttle_counters (window_start);
