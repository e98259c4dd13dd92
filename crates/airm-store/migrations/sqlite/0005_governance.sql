-- Governance (issue 9): system facts the policy pack reads, committees, approvals and
-- their votes, exceptions (risk acceptances), recorded policy violations and escalation
-- notifications. Same statements for SQLite and PostgreSQL.
ALTER TABLE systems ADD COLUMN llm BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE systems ADD COLUMN gateway_policy TEXT;
ALTER TABLE systems ADD COLUMN impact_assessed_at BIGINT;
ALTER TABLE systems ADD COLUMN controls TEXT NOT NULL DEFAULT '[]';

-- RACI per system: who is responsible, accountable, consulted, informed.
CREATE TABLE system_raci (
    system_id TEXT NOT NULL REFERENCES systems (id),
    role      TEXT NOT NULL,
    person    TEXT NOT NULL,
    PRIMARY KEY (system_id, role, person)
);

CREATE TABLE committees (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL UNIQUE,
    members    TEXT NOT NULL,
    quorum     BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE approvals (
    id           TEXT PRIMARY KEY NOT NULL,
    subject      TEXT NOT NULL,
    action       TEXT NOT NULL,
    committee_id TEXT NOT NULL REFERENCES committees (id),
    quorum       BIGINT NOT NULL,
    requested_by TEXT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    decided_at   BIGINT
);
CREATE INDEX approvals_status ON approvals (status, created_at);

CREATE TABLE approval_votes (
    approval_id TEXT NOT NULL REFERENCES approvals (id),
    voter       TEXT NOT NULL,
    choice      TEXT NOT NULL,
    comment     TEXT,
    at          BIGINT NOT NULL,
    PRIMARY KEY (approval_id, voter)
);

CREATE TABLE policy_exceptions (
    id            TEXT PRIMARY KEY NOT NULL,
    policy        TEXT NOT NULL,
    object        TEXT NOT NULL,
    justification TEXT NOT NULL,
    approver      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX policy_exceptions_expiry ON policy_exceptions (expires_at);

CREATE TABLE violations (
    fingerprint   TEXT PRIMARY KEY NOT NULL,
    policy        TEXT NOT NULL,
    severity      TEXT NOT NULL,
    severity_rank BIGINT NOT NULL,
    object        TEXT NOT NULL,
    message       TEXT NOT NULL,
    first_seen    BIGINT NOT NULL,
    last_seen     BIGINT NOT NULL,
    resolved_at   BIGINT
);
CREATE INDEX violations_open ON violations (resolved_at, severity_rank);

CREATE TABLE notifications (
    id          TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    step        TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    message     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (fingerprint, step)
);
CREATE INDEX notifications_recipient ON notifications (recipient, created_at);
