-- airm schema v1 (PostgreSQL). Keep in step with migrations/sqlite/0001_init.sql.
CREATE TABLE systems (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL UNIQUE,
    purpose         TEXT NOT NULL,
    owner           TEXT,
    risk_owner      TEXT,
    importance      BIGINT NOT NULL,
    lifecycle       TEXT NOT NULL,
    exposure        TEXT NOT NULL,
    data_categories TEXT NOT NULL,
    eu_ai_act_tier  TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    version         BIGINT NOT NULL
);

CREATE TABLE assets (
    id          TEXT PRIMARY KEY NOT NULL,
    dedupe_key  TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    location    TEXT NOT NULL,
    sha256      TEXT,
    hashes      TEXT NOT NULL,
    format      TEXT,
    size        BIGINT,
    provenance  TEXT NOT NULL,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL
);
CREATE INDEX assets_kind ON assets (kind);

CREATE TABLE asset_systems (
    asset_id  TEXT NOT NULL REFERENCES assets (id),
    system_id TEXT NOT NULL REFERENCES systems (id),
    PRIMARY KEY (asset_id, system_id)
);
CREATE INDEX asset_systems_system ON asset_systems (system_id);

CREATE TABLE findings (
    id            TEXT PRIMARY KEY NOT NULL,
    fingerprint   TEXT NOT NULL UNIQUE,
    rule_id       TEXT NOT NULL,
    severity      TEXT NOT NULL,
    severity_rank BIGINT NOT NULL,
    asset_id      TEXT REFERENCES assets (id),
    path          TEXT NOT NULL,
    byte_offset   BIGINT,
    line          BIGINT,
    col           BIGINT,
    member        TEXT,
    message       TEXT NOT NULL,
    evidence      TEXT,
    status        TEXT NOT NULL,
    first_seen    BIGINT NOT NULL,
    last_seen     BIGINT NOT NULL
);
CREATE INDEX findings_asset ON findings (asset_id);
CREATE INDEX findings_rank ON findings (severity_rank, last_seen);

CREATE TABLE users (
    id         TEXT PRIMARY KEY NOT NULL,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    active     BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE events (
    seq        BIGINT PRIMARY KEY NOT NULL,
    time       BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT,
    outcome    TEXT NOT NULL,
    details    TEXT NOT NULL,
    request_id TEXT
);
CREATE INDEX events_action ON events (action, time);
