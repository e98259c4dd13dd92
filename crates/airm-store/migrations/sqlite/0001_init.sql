-- airm schema v1 (SQLite). Keep in step with migrations/postgres/0001_init.sql.
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

-- The activity log. `canonical` holds the exact bytes that were hashed (docs/ledger-format.md);
-- everything airm shows is decoded from it. The other columns are copies for searching;
-- `airm audit verify` checks them against `canonical`.
CREATE TABLE events (
    seq        BIGINT PRIMARY KEY NOT NULL,
    time       BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT,
    outcome    TEXT NOT NULL,
    request_id TEXT,
    prev_hash  TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    canonical  TEXT NOT NULL
);
CREATE INDEX events_action ON events (action, time);
CREATE INDEX events_time ON events (time);

-- The head of the hash chain: next seq, last entry hash, Merkle frontier (JSON). Appends
-- lock this one row, so seq assignment and sealing are serialised across processes.
CREATE TABLE ledger_head (
    id       BIGINT PRIMARY KEY NOT NULL,
    size     BIGINT NOT NULL,
    head     TEXT NOT NULL,
    frontier TEXT NOT NULL
);
INSERT INTO ledger_head (id, size, head, frontier)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', '[]');

CREATE TABLE checkpoints (
    tree_size BIGINT PRIMARY KEY NOT NULL,
    root_hash TEXT NOT NULL,
    time      BIGINT NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL
);


-- The activity log is append-only: no statement may change or remove an entry.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
