-- Monitoring (PostgreSQL). Keep in step with migrations/sqlite/0002_monitor.sql.

-- Prediction events, one row per (model, id); labels arriving later update `label`.
CREATE TABLE monitor_events (
    model       TEXT NOT NULL,
    id          TEXT NOT NULL,
    time        BIGINT NOT NULL,
    features    TEXT NOT NULL,
    prediction  TEXT,
    score       DOUBLE PRECISION,
    label       TEXT,
    label_time  BIGINT,
    metadata    TEXT NOT NULL,
    ingested_at BIGINT NOT NULL,
    PRIMARY KEY (model, id)
);
CREATE INDEX monitor_events_time ON monitor_events (model, time);

-- Request statistics recorded by the gateway (or any caller), per system, key and model.
CREATE TABLE monitor_requests (
    time              BIGINT NOT NULL,
    system            TEXT,
    api_key           TEXT,
    model             TEXT,
    latency_ms        DOUBLE PRECISION NOT NULL,
    prompt_tokens     BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    refused           BOOLEAN NOT NULL,
    guard_action      TEXT,
    output_class      TEXT
);
CREATE INDEX monitor_requests_time ON monitor_requests (time);
CREATE INDEX monitor_requests_model ON monitor_requests (model, time);

-- Alerts: at most one open alert per fingerprint (rule + model); resolved ones stay.
CREATE TABLE monitor_alerts (
    id           TEXT PRIMARY KEY NOT NULL,
    fingerprint  TEXT NOT NULL,
    rule         TEXT NOT NULL,
    model        TEXT NOT NULL,
    metric       TEXT NOT NULL,
    condition    TEXT NOT NULL,
    severity     TEXT NOT NULL,
    owner        TEXT,
    status       TEXT NOT NULL,
    message      TEXT NOT NULL,
    value        DOUBLE PRECISION NOT NULL,
    reference    DOUBLE PRECISION NOT NULL,
    window_start BIGINT NOT NULL,
    window_end   BIGINT NOT NULL,
    first_seen   BIGINT NOT NULL,
    last_seen    BIGINT NOT NULL,
    resolved_at  BIGINT,
    seen_count   BIGINT NOT NULL
);
CREATE UNIQUE INDEX monitor_alerts_open ON monitor_alerts (fingerprint) WHERE status = 'open';
CREATE INDEX monitor_alerts_model ON monitor_alerts (model, status);

-- A model's reference performance and reference feature sample (for drift), set by
-- `airm monitor baseline`.
CREATE TABLE monitor_baselines (
    model        TEXT PRIMARY KEY NOT NULL,
    metrics      TEXT NOT NULL,
    reference    TEXT,
    window_start BIGINT NOT NULL,
    window_end   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
