-- Inventory: what discovery learnt about each asset (architecture, parameters, columns,
-- purl, places it is used, …) as one JSON object, replaced on every discovery run.
CREATE TABLE asset_facts (
    asset_id    TEXT PRIMARY KEY NOT NULL REFERENCES assets (id),
    facts       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
