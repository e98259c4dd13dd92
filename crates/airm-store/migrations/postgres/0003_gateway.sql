-- Gateway virtual keys (airm-gateway). Clients of the LLM gateway authenticate with
-- airm-issued keys; only the SHA-256 of a key is stored. Each key is bound to an AI system,
-- a list of allowed models (JSON array of patterns, empty = any), a guard policy name and
-- optional per-minute limits. Keep in step with the other engine's 0003_gateway.sql.
CREATE TABLE gateway_keys (
    id                  TEXT PRIMARY KEY NOT NULL,
    name                TEXT NOT NULL,
    key_hash            TEXT NOT NULL UNIQUE,
    system_id           TEXT NOT NULL REFERENCES systems (id),
    models              TEXT NOT NULL,
    policy              TEXT NOT NULL,
    requests_per_minute BIGINT,
    tokens_per_minute   BIGINT,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT,
    revoked_at          BIGINT
);
CREATE INDEX gateway_keys_system ON gateway_keys (system_id);
