//! The SQL both engines share, and the macro that implements [`crate::Store`] for a pool.
//!
//! SQLite and PostgreSQL accept the same statements here: `$n` placeholders, `RETURNING`,
//! `ON CONFLICT`, integers for times, JSON text for lists. Each engine's module invokes
//! [`impl_sql_store!`] once; nothing engine-specific lives in the statements.

use airm_core::{new_id, Timestamp};
use rand::RngCore;

/// A value to bind to a dynamically built statement.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// A statement built from optional filters, with its arguments in placeholder order.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    /// Appends `clause`, replacing each `?` in it with the next `$n` placeholder.
    pub fn push(&mut self, clause: &str, args: impl IntoIterator<Item = Arg>) -> &mut Self {
        for (i, part) in clause.split('?').enumerate() {
            if i > 0 {
                self.text.push_str(&format!("${}", self.args.len() + i));
            }
            self.text.push_str(part);
        }
        self.args.extend(args);
        self
    }

    /// Appends a condition joined by WHERE/AND.
    pub fn and(&mut self, cond: &str, args: impl IntoIterator<Item = Arg>) -> &mut Self {
        let joiner = if self.text.contains(" WHERE ") {
            " AND "
        } else {
            " WHERE "
        };
        self.text.push_str(joiner);
        self.push(cond, args)
    }
}

/// A `LIKE` pattern matching `s` anywhere, lower-cased, with `%`, `_` and `\` escaped.
pub(crate) fn contains_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A fresh time-ordered id with the given prefix.
pub(crate) fn fresh_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    new_id(
        prefix,
        Timestamp::now().millis(),
        u128::from_le_bytes(bytes),
    )
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_string())
}

/// Implements `Store` for `$ty`, a struct with a `pool: sqlx::Pool<$db>` field.
macro_rules! impl_sql_store {
    ($ty:ident, $db:ty, $backend:literal, $index_check:expr, $raw_select:expr) => {
      mod sql_impl {
        use super::$ty;
        use airm_core::{
            Actor, AiSystem, Asset, AssetKind, AuditEvent, ContentHash, Finding, FindingStatus,
            Location, Person, Provenance, Role, Severity, Timestamp,
        };
        use airm_ledger::{Chain, ChainState, Checkpoint, Digest, LedgerEntry};
        use async_trait::async_trait;
        use sqlx::Row;

        use $crate::model::*;
        use $crate::sql::{contains_pattern, fresh_id, to_json, Arg, Sql};
        use $crate::{Result, Store, StoreError};

        type DbRow = <$db as sqlx::Database>::Row;

        fn bind_args<'q>(
            mut q: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>>,
            args: &'q [Arg],
        ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>> {
            for a in args {
                q = match a {
                    Arg::Text(s) => q.bind(s.as_str()),
                    Arg::Int(i) => q.bind(*i),
                };
            }
            q
        }

        fn is_unique_violation(e: &sqlx::Error) -> bool {
            matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
        }

        fn parse_col<T: std::str::FromStr>(row: &DbRow, table: &'static str, col: &str) -> Result<T>
        where
            T::Err: std::fmt::Display,
        {
            let s: String = row.try_get(col)?;
            s.parse().map_err(|e: T::Err| StoreError::Corrupt {
                table,
                reason: format!("{col}: {e}"),
            })
        }

        fn parse_opt<T: std::str::FromStr>(
            row: &DbRow,
            table: &'static str,
            col: &str,
        ) -> Result<Option<T>>
        where
            T::Err: std::fmt::Display,
        {
            let s: Option<String> = row.try_get(col)?;
            s.map(|s| {
                s.parse().map_err(|e: T::Err| StoreError::Corrupt {
                    table,
                    reason: format!("{col}: {e}"),
                })
            })
            .transpose()
        }

        fn json_col<T: serde::de::DeserializeOwned>(
            row: &DbRow,
            table: &'static str,
            col: &str,
        ) -> Result<T> {
            let s: String = row.try_get(col)?;
            serde_json::from_str(&s).map_err(|e| StoreError::Corrupt {
                table,
                reason: format!("{col}: {e}"),
            })
        }

        fn ts(row: &DbRow, col: &str) -> Result<Timestamp> {
            Ok(Timestamp(row.try_get::<i64, _>(col)?))
        }

        fn ts_opt(row: &DbRow, col: &str) -> Result<Option<Timestamp>> {
            Ok(row.try_get::<Option<i64>, _>(col)?.map(Timestamp))
        }

        fn row_system(row: &DbRow) -> Result<AiSystem> {
            let importance: i64 = row.try_get("importance")?;
            Ok(AiSystem {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                purpose: row.try_get("purpose")?,
                owner: row.try_get("owner")?,
                risk_owner: row.try_get("risk_owner")?,
                importance: u8::try_from(importance).map_err(|_| StoreError::Corrupt {
                    table: "systems",
                    reason: format!("importance {importance}"),
                })?,
                lifecycle: parse_col(row, "systems", "lifecycle")?,
                exposure: parse_col(row, "systems", "exposure")?,
                data_categories: json_col(row, "systems", "data_categories")?,
                eu_ai_act_tier: parse_opt(row, "systems", "eu_ai_act_tier")?,
                llm: row.try_get("llm")?,
                gateway_policy: row.try_get("gateway_policy")?,
                impact_assessed_at: ts_opt(row, "impact_assessed_at")?,
                controls: json_col(row, "systems", "controls")?,
                created_at: ts(row, "created_at")?,
                updated_at: ts(row, "updated_at")?,
                version: row.try_get("version")?,
            })
        }

        fn row_user(row: &DbRow) -> Result<Person> {
            Ok(Person {
                id: row.try_get("id")?,
                email: row.try_get("email")?,
                name: row.try_get("name")?,
                role: parse_col(row, "users", "role")?,
                active: row.try_get("active")?,
                created_at: ts(row, "created_at")?,
            })
        }

        fn row_token(row: &DbRow) -> Result<TokenInfo> {
            Ok(TokenInfo {
                id: row.try_get("id")?,
                user_id: row.try_get("user_id")?,
                name: row.try_get("name")?,
                created_at: ts(row, "created_at")?,
                expires_at: ts_opt(row, "expires_at")?,
                revoked_at: ts_opt(row, "revoked_at")?,
            })
        }

        // gateway virtual keys (airm-gateway)
        fn row_gateway_key(row: &DbRow) -> Result<GatewayKey> {
            let limit = |col: &str| -> Result<Option<u32>> {
                Ok(row
                    .try_get::<Option<i64>, _>(col)?
                    .map(|v| u32::try_from(v.max(0)).unwrap_or(u32::MAX)))
            };
            Ok(GatewayKey {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                system_id: row.try_get("system_id")?,
                models: json_col(row, "gateway_keys", "models")?,
                policy: row.try_get("policy")?,
                requests_per_minute: limit("requests_per_minute")?,
                tokens_per_minute: limit("tokens_per_minute")?,
                created_at: ts(row, "created_at")?,
                expires_at: ts_opt(row, "expires_at")?,
                revoked_at: ts_opt(row, "revoked_at")?,
            })
        }

        fn row_finding(row: &DbRow) -> Result<Finding> {
            let opt_u32 = |col: &str| -> Result<Option<u32>> {
                Ok(row
                    .try_get::<Option<i64>, _>(col)?
                    .and_then(|v| u32::try_from(v).ok()))
            };
            Ok(Finding {
                id: row.try_get("id")?,
                rule_id: row.try_get("rule_id")?,
                severity: parse_col(row, "findings", "severity")?,
                asset_id: row.try_get("asset_id")?,
                location: Location {
                    path: row.try_get("path")?,
                    offset: row
                        .try_get::<Option<i64>, _>("byte_offset")?
                        .and_then(|v| u64::try_from(v).ok()),
                    line: opt_u32("line")?,
                    column: opt_u32("col")?,
                    member: row.try_get("member")?,
                },
                message: row.try_get("message")?,
                evidence: row.try_get("evidence")?,
                status: parse_col(row, "findings", "status")?,
                first_seen: ts(row, "first_seen")?,
                last_seen: ts(row, "last_seen")?,
                fingerprint: row.try_get("fingerprint")?,
            })
        }

        fn row_event(row: &DbRow) -> Result<AuditEvent> {
            let canonical: String = row.try_get("canonical")?;
            airm_ledger::canonical::decode_event(canonical.as_bytes()).map_err(|e| StoreError::Corrupt {
                table: "events",
                reason: format!("entry {}: {e}", row.try_get::<i64, _>("seq").unwrap_or(-1)),
            })
        }

        /// The chain head row: next seq, last entry hash, Merkle frontier.
        fn chain_state(row: &DbRow) -> Result<ChainState> {
            let size: i64 = row.try_get("size")?;
            let corrupt = |reason: String| StoreError::Corrupt { table: "ledger_head", reason };
            Ok(ChainState {
                size: u64::try_from(size).map_err(|_| corrupt(format!("size {size}")))?,
                head: Digest::from_hex(&row.try_get::<String, _>("head")?)?,
                frontier: serde_json::from_str(&row.try_get::<String, _>("frontier")?)
                    .map_err(|e| corrupt(format!("frontier: {e}")))?,
            })
        }

        fn opt_i64(v: Option<u64>) -> Option<i64> {
            v.and_then(|v| i64::try_from(v).ok())
        }

        const SYSTEM_BY_KEY: &str = "SELECT * FROM systems WHERE id = $1 OR name_key = $2";

        impl $ty {
            async fn asset_system_names(&self, asset_id: &str) -> Result<Vec<String>> {
                let rows = sqlx::query(
                    "SELECT s.name FROM asset_systems a JOIN systems s ON s.id = a.system_id \
                     WHERE a.asset_id = $1 ORDER BY s.name",
                )
                .bind(asset_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| r.try_get::<String, _>("name").map_err(StoreError::from))
                    .collect()
            }

            async fn row_asset(&self, row: &DbRow) -> Result<Asset> {
                let id: String = row.try_get("id")?;
                let size: Option<i64> = row.try_get("size")?;
                Ok(Asset {
                    systems: self.asset_system_names(&id).await?,
                    id,
                    kind: parse_col(row, "assets", "kind")?,
                    name: row.try_get("name")?,
                    location: row.try_get("location")?,
                    hashes: json_col::<Vec<ContentHash>>(row, "assets", "hashes")?,
                    format: row.try_get("format")?,
                    size: size.and_then(|s| u64::try_from(s).ok()),
                    provenance: json_col::<Provenance>(row, "assets", "provenance")?,
                    first_seen: ts(row, "first_seen")?,
                    last_seen: ts(row, "last_seen")?,
                })
            }

            async fn count(&self, sql: &Sql) -> Result<u64> {
                let row = bind_args(sqlx::query(&sql.text), &sql.args)
                    .fetch_one(&self.pool)
                    .await?;
                let n: i64 = row.try_get(0)?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            async fn page_rows(&self, mut sql: Sql, order: &str, page: Page) -> Result<Vec<DbRow>> {
                sql.text.push_str(" ORDER BY ");
                sql.text.push_str(order);
                sql.push(
                    " LIMIT ? OFFSET ?",
                    [
                        Arg::Int(i64::from(page.limit)),
                        Arg::Int(i64::try_from(page.offset).unwrap_or(i64::MAX)),
                    ],
                );
                Ok(bind_args(sqlx::query(&sql.text), &sql.args)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn system_id(&self, id_or_name: &str) -> Result<String> {
                self.get_system(id_or_name)
                    .await?
                    .map(|s| s.id)
                    .ok_or_else(|| StoreError::NotFound {
                        what: "system",
                        key: id_or_name.to_string(),
                    })
            }
        }

        fn system_filter(base: &str, f: &SystemFilter) -> Sql {
            let mut sql = Sql::new(base);
            if let Some(q) = &f.query {
                let p = contains_pattern(q);
                sql.and(
                    "(LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(purpose) LIKE ? ESCAPE '\\')",
                    [Arg::Text(p.clone()), Arg::Text(p)],
                );
            }
            if let Some(o) = &f.owner {
                sql.and("owner = ?", [Arg::Text(o.clone())]);
            }
            if let Some(l) = f.lifecycle {
                sql.and("lifecycle = ?", [Arg::Text(l.to_string())]);
            }
            if let Some(e) = f.exposure {
                sql.and("exposure = ?", [Arg::Text(e.to_string())]);
            }
            if let Some(i) = f.min_importance {
                sql.and("importance >= ?", [Arg::Int(i64::from(i))]);
            }
            sql
        }

        fn apply_patch(s: &mut AiSystem, p: &SystemPatch) {
            if let Some(v) = &p.purpose {
                s.purpose = v.clone();
            }
            if let Some(v) = &p.owner {
                s.owner = v.clone();
            }
            if let Some(v) = &p.risk_owner {
                s.risk_owner = v.clone();
            }
            if let Some(v) = p.importance {
                s.importance = v;
            }
            if let Some(v) = p.lifecycle {
                s.lifecycle = v;
            }
            if let Some(v) = p.exposure {
                s.exposure = v;
            }
            if let Some(v) = &p.data_categories {
                s.data_categories = v.clone();
            }
            for c in &p.add_data_categories {
                if !s.data_categories.contains(c) {
                    s.data_categories.push(*c);
                }
            }
            s.data_categories.sort();
            s.data_categories.dedup();
            if let Some(v) = p.eu_ai_act_tier {
                s.eu_ai_act_tier = v;
            }
            if let Some(v) = p.llm {
                s.llm = v;
            }
            if let Some(v) = &p.gateway_policy {
                s.gateway_policy = v.clone();
            }
            if let Some(v) = p.impact_assessed_at {
                s.impact_assessed_at = v;
            }
            if let Some(v) = &p.controls {
                s.controls = v.clone();
            }
            s.controls.extend(p.add_controls.iter().cloned());
            s.controls.retain(|c| !p.remove_controls.contains(c));
            s.controls.sort();
            s.controls.dedup();
        }

        // --- governance (issue 9): row decoders and helpers for the methods at the end
        // of `impl Store` below. ---

        fn row_committee(row: &DbRow) -> Result<airm_core::Committee> {
            let quorum: i64 = row.try_get("quorum")?;
            Ok(airm_core::Committee {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                members: json_col(row, "committees", "members")?,
                quorum: u32::try_from(quorum).map_err(|_| StoreError::Corrupt {
                    table: "committees",
                    reason: format!("quorum {quorum}"),
                })?,
                created_at: ts(row, "created_at")?,
            })
        }

        fn row_exception(row: &DbRow) -> Result<airm_core::PolicyException> {
            Ok(airm_core::PolicyException {
                id: row.try_get("id")?,
                policy: row.try_get("policy")?,
                object: row.try_get("object")?,
                justification: row.try_get("justification")?,
                approver: row.try_get("approver")?,
                created_at: ts(row, "created_at")?,
                expires_at: ts(row, "expires_at")?,
                revoked_at: ts_opt(row, "revoked_at")?,
            })
        }

        fn row_violation(row: &DbRow) -> Result<airm_core::ViolationRecord> {
            Ok(airm_core::ViolationRecord {
                fingerprint: row.try_get("fingerprint")?,
                policy: row.try_get("policy")?,
                severity: parse_col(row, "violations", "severity")?,
                object: row.try_get("object")?,
                message: row.try_get("message")?,
                first_seen: ts(row, "first_seen")?,
                last_seen: ts(row, "last_seen")?,
                resolved_at: ts_opt(row, "resolved_at")?,
            })
        }

        fn row_notification(row: &DbRow) -> Result<airm_core::Notification> {
            Ok(airm_core::Notification {
                id: row.try_get("id")?,
                fingerprint: row.try_get("fingerprint")?,
                step: row.try_get("step")?,
                recipient: row.try_get("recipient")?,
                message: row.try_get("message")?,
                created_at: ts(row, "created_at")?,
            })
        }

        const APPROVAL_SELECT: &str = "SELECT a.*, c.name AS committee_name FROM approvals a \
             JOIN committees c ON c.id = a.committee_id";

        impl $ty {
            async fn approval_rows(&self, rows: Vec<DbRow>) -> Result<Vec<airm_core::Approval>> {
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let id: String = row.try_get("id")?;
                    let votes = sqlx::query(
                        "SELECT * FROM approval_votes WHERE approval_id = $1 ORDER BY at, voter",
                    )
                    .bind(&id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|v| {
                        Ok(airm_core::Vote {
                            voter: v.try_get("voter")?,
                            choice: parse_col(v, "approval_votes", "choice")?,
                            comment: v.try_get("comment")?,
                            at: ts(v, "at")?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                    let quorum: i64 = row.try_get("quorum")?;
                    out.push(airm_core::Approval {
                        id,
                        subject: row.try_get("subject")?,
                        action: row.try_get("action")?,
                        committee: row.try_get("committee_name")?,
                        quorum: u32::try_from(quorum).unwrap_or(0),
                        requested_by: row.try_get("requested_by")?,
                        reason: row.try_get("reason")?,
                        status: parse_col(&row, "approvals", "status")?,
                        votes,
                        created_at: ts(&row, "created_at")?,
                        decided_at: ts_opt(&row, "decided_at")?,
                    });
                }
                Ok(out)
            }
        }

        // --- end of governance helpers ---

        #[async_trait]
        impl Store for $ty {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn create_system(&self, new: NewSystem) -> Result<AiSystem> {
                let now = Timestamp::now();
                let mut cats = new.data_categories.clone();
                cats.sort();
                cats.dedup();
                let sys = AiSystem {
                    id: fresh_id("sys"),
                    name: new.name.trim().to_string(),
                    purpose: new.purpose,
                    owner: new.owner,
                    risk_owner: new.risk_owner,
                    importance: new.importance,
                    lifecycle: new.lifecycle,
                    exposure: new.exposure,
                    data_categories: cats,
                    eu_ai_act_tier: new.eu_ai_act_tier,
                    llm: new.llm,
                    gateway_policy: new.gateway_policy,
                    impact_assessed_at: new.impact_assessed_at,
                    controls: {
                        let mut c = new.controls;
                        c.sort();
                        c.dedup();
                        c
                    },
                    created_at: now,
                    updated_at: now,
                    version: 1,
                };
                sys.validate().map_err(StoreError::Invalid)?;
                let res = sqlx::query(
                    "INSERT INTO systems (id, name, name_key, purpose, owner, risk_owner, importance, \
                     lifecycle, exposure, data_categories, eu_ai_act_tier, created_at, updated_at, version, \
                     llm, gateway_policy, impact_assessed_at, controls) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
                )
                .bind(&sys.id)
                .bind(&sys.name)
                .bind(sys.name.to_lowercase())
                .bind(&sys.purpose)
                .bind(&sys.owner)
                .bind(&sys.risk_owner)
                .bind(i64::from(sys.importance))
                .bind(sys.lifecycle.as_str())
                .bind(sys.exposure.as_str())
                .bind(to_json(&sys.data_categories))
                .bind(sys.eu_ai_act_tier.map(|t| t.as_str()))
                .bind(now.millis())
                .bind(now.millis())
                .bind(sys.version)
                .bind(sys.llm)
                .bind(&sys.gateway_policy)
                .bind(sys.impact_assessed_at.map(Timestamp::millis))
                .bind(to_json(&sys.controls))
                .execute(&self.pool)
                .await;
                match res {
                    Ok(_) => Ok(sys),
                    Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists {
                        what: "system",
                        key: sys.name,
                    }),
                    Err(e) => Err(e.into()),
                }
            }

            async fn get_system(&self, id_or_name: &str) -> Result<Option<AiSystem>> {
                let row = sqlx::query(SYSTEM_BY_KEY)
                    .bind(id_or_name)
                    .bind(id_or_name.trim().to_lowercase())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(row_system).transpose()
            }

            async fn list_systems(&self, filter: &SystemFilter, page: Page) -> Result<Paged<AiSystem>> {
                let total = self
                    .count(&system_filter("SELECT COUNT(*) FROM systems", filter))
                    .await?;
                let rows = self
                    .page_rows(system_filter("SELECT * FROM systems", filter), "name_key", page)
                    .await?;
                let items = rows.iter().map(row_system).collect::<Result<Vec<_>>>()?;
                Ok(Paged { items, total })
            }

            async fn update_system(
                &self,
                id_or_name: &str,
                patch: &SystemPatch,
                expected_version: Option<i64>,
            ) -> Result<AiSystem> {
                // Optimistic concurrency: a write only lands on the version it was computed
                // from. Without an expected version we retry on the fresh state, which is
                // safe because the patch names only the fields it changes.
                for _ in 0..50 {
                    let mut sys = self.get_system(id_or_name).await?.ok_or_else(|| {
                        StoreError::NotFound {
                            what: "system",
                            key: id_or_name.to_string(),
                        }
                    })?;
                    let base = sys.version;
                    if let Some(v) = expected_version {
                        if v != base {
                            return Err(StoreError::VersionConflict {
                                what: "system",
                                key: sys.id,
                                expected: v,
                            });
                        }
                    }
                    apply_patch(&mut sys, patch);
                    sys.validate().map_err(StoreError::Invalid)?;
                    let now = Timestamp::now();
                    sys.updated_at = now;
                    sys.version = base + 1;
                    let done = sqlx::query(
                        "UPDATE systems SET purpose = $1, owner = $2, risk_owner = $3, importance = $4, \
                         lifecycle = $5, exposure = $6, data_categories = $7, eu_ai_act_tier = $8, \
                         updated_at = $9, version = $10, llm = $13, gateway_policy = $14, \
                         impact_assessed_at = $15, controls = $16 WHERE id = $11 AND version = $12",
                    )
                    .bind(&sys.purpose)
                    .bind(&sys.owner)
                    .bind(&sys.risk_owner)
                    .bind(i64::from(sys.importance))
                    .bind(sys.lifecycle.as_str())
                    .bind(sys.exposure.as_str())
                    .bind(to_json(&sys.data_categories))
                    .bind(sys.eu_ai_act_tier.map(|t| t.as_str()))
                    .bind(now.millis())
                    .bind(sys.version)
                    .bind(&sys.id)
                    .bind(base)
                    .bind(sys.llm)
                    .bind(&sys.gateway_policy)
                    .bind(sys.impact_assessed_at.map(Timestamp::millis))
                    .bind(to_json(&sys.controls))
                    .execute(&self.pool)
                    .await?;
                    if done.rows_affected() == 1 {
                        return Ok(sys);
                    }
                    if expected_version.is_some() {
                        return Err(StoreError::VersionConflict {
                            what: "system",
                            key: sys.id,
                            expected: base,
                        });
                    }
                }
                Err(StoreError::VersionConflict {
                    what: "system",
                    key: id_or_name.to_string(),
                    expected: -1,
                })
            }

            async fn upsert_asset(&self, asset: Asset) -> Result<Asset> {
                let sha = asset.sha256().map(str::to_string);
                let dedupe = match &sha {
                    Some(h) => format!("sha256:{h}"),
                    None => format!("{}:{}", asset.kind, asset.location),
                };
                let mut system_ids = Vec::new();
                for name in &asset.systems {
                    system_ids.push(self.system_id(name).await?);
                }
                let now = Timestamp::now();
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(
                    "INSERT INTO assets (id, dedupe_key, kind, name, location, sha256, hashes, format, size, \
                     provenance, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                     ON CONFLICT (dedupe_key) DO UPDATE SET name = excluded.name, location = excluded.location, \
                     hashes = excluded.hashes, format = excluded.format, size = excluded.size, \
                     provenance = excluded.provenance, last_seen = excluded.last_seen \
                     RETURNING id",
                )
                .bind(if asset.id.is_empty() { fresh_id("ast") } else { asset.id.clone() })
                .bind(&dedupe)
                .bind(asset.kind.as_str())
                .bind(&asset.name)
                .bind(&asset.location)
                .bind(&sha)
                .bind(to_json(&asset.hashes))
                .bind(&asset.format)
                .bind(opt_i64(asset.size))
                .bind(to_json(&asset.provenance))
                .bind(now.millis())
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await?;
                let id: String = row.try_get("id")?;
                for sid in &system_ids {
                    sqlx::query(
                        "INSERT INTO asset_systems (asset_id, system_id) VALUES ($1, $2) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(&id)
                    .bind(sid)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                self.get_asset(&id).await?.ok_or(StoreError::NotFound {
                    what: "asset",
                    key: id,
                })
            }

            async fn get_asset(&self, id: &str) -> Result<Option<Asset>> {
                let row = sqlx::query("SELECT * FROM assets WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    Some(r) => Ok(Some(self.row_asset(&r).await?)),
                    None => Ok(None),
                }
            }

            async fn list_assets(&self, filter: &AssetFilter, page: Page) -> Result<Paged<Asset>> {
                let build = |base: &str| {
                    let mut sql = Sql::new(base);
                    if let Some(k) = filter.kind {
                        sql.and("kind = ?", [Arg::Text(k.to_string())]);
                    }
                    if let Some(q) = &filter.query {
                        let p = contains_pattern(q);
                        sql.and(
                            "(LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(location) LIKE ? ESCAPE '\\')",
                            [Arg::Text(p.clone()), Arg::Text(p)],
                        );
                    }
                    if let Some(s) = &filter.system {
                        sql.and(
                            "id IN (SELECT a.asset_id FROM asset_systems a JOIN systems s ON s.id = a.system_id \
                             WHERE s.id = ? OR s.name_key = ?)",
                            [Arg::Text(s.clone()), Arg::Text(s.trim().to_lowercase())],
                        );
                    }
                    sql
                };
                let total = self.count(&build("SELECT COUNT(*) FROM assets")).await?;
                let rows = self
                    .page_rows(build("SELECT * FROM assets"), "last_seen DESC, id", page)
                    .await?;
                let mut items = Vec::with_capacity(rows.len());
                for r in &rows {
                    items.push(self.row_asset(r).await?);
                }
                Ok(Paged { items, total })
            }

            async fn upsert_finding(&self, f: Finding) -> Result<Finding> {
                let now = Timestamp::now();
                let row = sqlx::query(
                    "INSERT INTO findings (id, fingerprint, rule_id, severity, severity_rank, asset_id, path, \
                     byte_offset, line, col, member, message, evidence, status, first_seen, last_seen) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                     ON CONFLICT (fingerprint) DO UPDATE SET severity = excluded.severity, \
                     severity_rank = excluded.severity_rank, message = excluded.message, \
                     evidence = excluded.evidence, last_seen = excluded.last_seen \
                     RETURNING id",
                )
                .bind(if f.id.is_empty() { fresh_id("fnd") } else { f.id.clone() })
                .bind(&f.fingerprint)
                .bind(&f.rule_id)
                .bind(f.severity.as_str())
                .bind(i64::from(f.severity.rank()))
                .bind(&f.asset_id)
                .bind(&f.location.path)
                .bind(opt_i64(f.location.offset))
                .bind(f.location.line.map(i64::from))
                .bind(f.location.column.map(i64::from))
                .bind(&f.location.member)
                .bind(&f.message)
                .bind(&f.evidence)
                .bind(f.status.as_str())
                .bind(now.millis())
                .bind(now.millis())
                .fetch_one(&self.pool)
                .await?;
                let id: String = row.try_get("id")?;
                self.get_finding(&id).await?.ok_or(StoreError::NotFound {
                    what: "finding",
                    key: id,
                })
            }

            async fn get_finding(&self, id: &str) -> Result<Option<Finding>> {
                let row = sqlx::query("SELECT * FROM findings WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(row_finding).transpose()
            }

            async fn list_findings(&self, filter: &FindingFilter, page: Page) -> Result<Paged<Finding>> {
                let build = |base: &str| {
                    let mut sql = Sql::new(base);
                    if let Some(s) = filter.min_severity {
                        sql.and("severity_rank >= ?", [Arg::Int(i64::from(s.rank()))]);
                    }
                    if let Some(s) = filter.severity {
                        sql.and("severity = ?", [Arg::Text(s.to_string())]);
                    }
                    if let Some(s) = filter.status {
                        sql.and("status = ?", [Arg::Text(s.to_string())]);
                    }
                    if let Some(r) = &filter.rule_id {
                        sql.and("rule_id = ?", [Arg::Text(r.clone())]);
                    }
                    if let Some(a) = &filter.asset_id {
                        sql.and("asset_id = ?", [Arg::Text(a.clone())]);
                    }
                    if let Some(s) = &filter.system {
                        sql.and(
                            "asset_id IN (SELECT a.asset_id FROM asset_systems a JOIN systems s ON s.id = a.system_id \
                             WHERE s.id = ? OR s.name_key = ?)",
                            [Arg::Text(s.clone()), Arg::Text(s.trim().to_lowercase())],
                        );
                    }
                    sql
                };
                let total = self.count(&build("SELECT COUNT(*) FROM findings")).await?;
                let rows = self
                    .page_rows(
                        build("SELECT * FROM findings"),
                        "severity_rank DESC, last_seen DESC, id",
                        page,
                    )
                    .await?;
                let items = rows.iter().map(row_finding).collect::<Result<Vec<_>>>()?;
                Ok(Paged { items, total })
            }

            async fn set_finding_status(&self, id: &str, status: FindingStatus) -> Result<Finding> {
                let done = sqlx::query("UPDATE findings SET status = $1 WHERE id = $2")
                    .bind(status.as_str())
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound {
                        what: "finding",
                        key: id.to_string(),
                    });
                }
                self.get_finding(id).await?.ok_or(StoreError::NotFound {
                    what: "finding",
                    key: id.to_string(),
                })
            }

            async fn create_user(&self, new: NewUser) -> Result<Person> {
                let email = new.email.trim().to_lowercase();
                if email.is_empty() || email.len() > 254 || email.chars().any(char::is_whitespace) {
                    return Err(StoreError::Invalid(format!(
                        "invalid email `{}`: must be non-empty, without spaces, at most 254 bytes",
                        new.email
                    )));
                }
                let person = Person {
                    id: fresh_id("usr"),
                    name: if new.name.trim().is_empty() { email.clone() } else { new.name.trim().to_string() },
                    email,
                    role: new.role,
                    active: true,
                    created_at: Timestamp::now(),
                };
                let res = sqlx::query(
                    "INSERT INTO users (id, email, name, role, active, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&person.id)
                .bind(&person.email)
                .bind(&person.name)
                .bind(person.role.as_str())
                .bind(true)
                .bind(person.created_at.millis())
                .execute(&self.pool)
                .await;
                match res {
                    Ok(_) => Ok(person),
                    Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists {
                        what: "user",
                        key: person.email,
                    }),
                    Err(e) => Err(e.into()),
                }
            }

            async fn get_user(&self, id_or_email: &str) -> Result<Option<Person>> {
                let row = sqlx::query("SELECT * FROM users WHERE id = $1 OR email = $2")
                    .bind(id_or_email)
                    .bind(id_or_email.trim().to_lowercase())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(row_user).transpose()
            }

            async fn list_users(&self, filter: &UserFilter, page: Page) -> Result<Paged<Person>> {
                let build = |base: &str| {
                    let mut sql = Sql::new(base);
                    if let Some(r) = filter.role {
                        sql.and("role = ?", [Arg::Text(r.to_string())]);
                    }
                    if let Some(a) = filter.active {
                        sql.and(if a { "active = TRUE" } else { "active = FALSE" }, []);
                    }
                    sql
                };
                let total = self.count(&build("SELECT COUNT(*) FROM users")).await?;
                let rows = self.page_rows(build("SELECT * FROM users"), "email", page).await?;
                let items = rows.iter().map(row_user).collect::<Result<Vec<_>>>()?;
                Ok(Paged { items, total })
            }

            async fn set_user_role(&self, id_or_email: &str, role: Role) -> Result<Person> {
                let user = self.get_user(id_or_email).await?.ok_or_else(|| StoreError::NotFound {
                    what: "user",
                    key: id_or_email.to_string(),
                })?;
                sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                    .bind(role.as_str())
                    .bind(&user.id)
                    .execute(&self.pool)
                    .await?;
                Ok(Person { role, ..user })
            }

            async fn set_user_active(&self, id_or_email: &str, active: bool) -> Result<Person> {
                let user = self.get_user(id_or_email).await?.ok_or_else(|| StoreError::NotFound {
                    what: "user",
                    key: id_or_email.to_string(),
                })?;
                sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
                    .bind(active)
                    .bind(&user.id)
                    .execute(&self.pool)
                    .await?;
                Ok(Person { active, ..user })
            }

            async fn create_token(
                &self,
                user_id: &str,
                name: &str,
                token_hash: &str,
                expires_at: Option<Timestamp>,
            ) -> Result<TokenInfo> {
                let info = TokenInfo {
                    id: fresh_id("tok"),
                    user_id: user_id.to_string(),
                    name: name.to_string(),
                    created_at: Timestamp::now(),
                    expires_at,
                    revoked_at: None,
                };
                let res = sqlx::query(
                    "INSERT INTO tokens (id, user_id, name, token_hash, created_at, expires_at, revoked_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL)",
                )
                .bind(&info.id)
                .bind(&info.user_id)
                .bind(&info.name)
                .bind(token_hash)
                .bind(info.created_at.millis())
                .bind(expires_at.map(Timestamp::millis))
                .execute(&self.pool)
                .await;
                match res {
                    Ok(_) => Ok(info),
                    Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                        Err(StoreError::NotFound { what: "user", key: user_id.to_string() })
                    }
                    Err(e) => Err(e.into()),
                }
            }

            async fn authenticate_token(
                &self,
                token_hash: &str,
                now: Timestamp,
            ) -> Result<Option<Principal>> {
                let row = sqlx::query(
                    "SELECT t.id AS t_id, t.user_id, t.name AS t_name, t.created_at AS t_created_at, \
                     t.expires_at, t.revoked_at, u.* FROM tokens t JOIN users u ON u.id = t.user_id \
                     WHERE t.token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let token = TokenInfo {
                    id: row.try_get("t_id")?,
                    user_id: row.try_get("user_id")?,
                    name: row.try_get("t_name")?,
                    created_at: ts(&row, "t_created_at")?,
                    expires_at: ts_opt(&row, "expires_at")?,
                    revoked_at: ts_opt(&row, "revoked_at")?,
                };
                let user = row_user(&row)?;
                if !token.is_usable(now) || !user.active {
                    return Ok(None);
                }
                Ok(Some(Principal { user, token: Some(token) }))
            }

            async fn revoke_token(&self, id: &str) -> Result<TokenInfo> {
                sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                    .bind(Timestamp::now().millis())
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                let row = sqlx::query("SELECT * FROM tokens WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    Some(r) => row_token(&r),
                    None => Err(StoreError::NotFound { what: "token", key: id.to_string() }),
                }
            }

            async fn list_tokens(&self, user_id: Option<&str>) -> Result<Vec<TokenInfo>> {
                let mut sql = Sql::new("SELECT * FROM tokens");
                if let Some(u) = user_id {
                    sql.and("user_id = ?", [Arg::Text(u.to_string())]);
                }
                sql.text.push_str(" ORDER BY created_at DESC, id DESC");
                let rows = bind_args(sqlx::query(&sql.text), &sql.args)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(row_token).collect()
            }

            async fn bootstrap_admin(&self, email: &str, token_hash: &str) -> Result<Option<Person>> {
                let now = Timestamp::now();
                let user_id = fresh_id("usr");
                let mut tx = self.pool.begin().await?;
                // The unique email makes two instances bootstrapping at once safe: one
                // insert wins, the other inserts nothing.
                let inserted = sqlx::query(
                    "INSERT INTO users (id, email, name, role, active, created_at) \
                     SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM users) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(&user_id)
                .bind(email)
                .bind("Bootstrap administrator")
                .bind(Role::Admin.as_str())
                .bind(true)
                .bind(now.millis())
                .execute(&mut *tx)
                .await;
                let inserted = match inserted {
                    Ok(r) => r.rows_affected(),
                    Err(e) if is_unique_violation(&e) => 0,
                    Err(e) => return Err(e.into()),
                };
                if inserted == 0 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                sqlx::query(
                    "INSERT INTO tokens (id, user_id, name, token_hash, created_at, expires_at, revoked_at) \
                     VALUES ($1, $2, $3, $4, $5, NULL, NULL)",
                )
                .bind(fresh_id("tok"))
                .bind(&user_id)
                .bind("bootstrap")
                .bind(token_hash)
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                self.get_user(&user_id).await
            }

            async fn create_session(
                &self,
                id_hash: &str,
                user_id: &str,
                csrf: &str,
                expires_at: Timestamp,
            ) -> Result<()> {
                let now = Timestamp::now();
                sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                    .bind(now.millis())
                    .execute(&self.pool)
                    .await?;
                sqlx::query(
                    "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id_hash)
                .bind(user_id)
                .bind(csrf)
                .bind(now.millis())
                .bind(expires_at.millis())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn get_session(&self, id_hash: &str, now: Timestamp) -> Result<Option<SessionInfo>> {
                let row = sqlx::query(
                    "SELECT s.csrf, s.expires_at AS s_expires_at, u.* FROM sessions s \
                     JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
                )
                .bind(id_hash)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let expires_at = ts(&row, "s_expires_at")?;
                let user = row_user(&row)?;
                if expires_at <= now || !user.active {
                    return Ok(None);
                }
                Ok(Some(SessionInfo { user, csrf: row.try_get("csrf")?, expires_at }))
            }

            async fn delete_session(&self, id_hash: &str) -> Result<()> {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn append_events(&self, events: Vec<NewEvent>) -> Result<Vec<LedgerEntry>> {
                if events.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.pool.begin().await?;
                // Writing the head row first takes the write lock (SQLite) or the row lock
                // (PostgreSQL) before the head is read, so no other writer can seal the
                // same sequence numbers.
                sqlx::query("UPDATE ledger_head SET size = size WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
                let head = sqlx::query("SELECT size, head, frontier FROM ledger_head WHERE id = 1")
                    .fetch_one(&mut *tx)
                    .await?;
                let state = chain_state(&head)?;
                let corrupt = |reason: String| StoreError::Corrupt { table: "ledger_head", reason };
                let mut chain = Chain::resume(state)?;
                let mut sealed = Vec::with_capacity(events.len());
                for e in events {
                    sealed.push(chain.append(AuditEvent {
                        seq: 0,
                        time: e.time,
                        actor: Actor { kind: e.actor_kind, id: e.actor_id },
                        action: e.action,
                        target: e.target,
                        outcome: e.outcome,
                        details: e.details,
                        request_id: e.request_id,
                    })?);
                }
                let mut rows = Vec::with_capacity(sealed.len());
                for entry in &sealed {
                    let bytes = airm_ledger::canonical::encode_event(&entry.event)?;
                    let text = String::from_utf8(bytes).map_err(|_| StoreError::Corrupt {
                        table: "events",
                        reason: "canonical encoding is not UTF-8".into(),
                    })?;
                    rows.push((entry, text));
                }
                for chunk in rows.chunks(500) {
                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                        "INSERT INTO events (seq, time, actor_kind, actor_id, action, target, outcome, \
                         request_id, prev_hash, entry_hash, canonical) ",
                    );
                    qb.push_values(chunk, |mut b, (entry, canonical)| {
                        let ev = &entry.event;
                        b.push_bind(ev.seq)
                            .push_bind(ev.time.millis())
                            .push_bind(ev.actor.kind.as_str())
                            .push_bind(ev.actor.id.clone())
                            .push_bind(ev.action.clone())
                            .push_bind(ev.target.clone())
                            .push_bind(ev.outcome.as_str())
                            .push_bind(ev.request_id.clone())
                            .push_bind(entry.prev_hash.to_hex())
                            .push_bind(entry.entry_hash.to_hex())
                            .push_bind(canonical.clone());
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                let st = chain.state();
                sqlx::query("UPDATE ledger_head SET size = $1, head = $2, frontier = $3 WHERE id = 1")
                    .bind(i64::try_from(st.size).map_err(|_| corrupt("size overflow".into()))?)
                    .bind(st.head.to_hex())
                    .bind(to_json(&st.frontier))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(sealed)
            }

            async fn ledger_entries(&self, from_seq: u64, limit: u32) -> Result<Vec<LedgerEntry>> {
                let rows = sqlx::query("SELECT * FROM events WHERE seq >= $1 ORDER BY seq LIMIT $2")
                    .bind(i64::try_from(from_seq).unwrap_or(i64::MAX))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(LedgerEntry {
                            event: row_event(r)?,
                            prev_hash: Digest::from_hex(&r.try_get::<String, _>("prev_hash")?)?,
                            entry_hash: Digest::from_hex(&r.try_get::<String, _>("entry_hash")?)?,
                        })
                    })
                    .collect()
            }

            async fn ledger_state(&self) -> Result<ChainState> {
                let head = sqlx::query("SELECT size, head, frontier FROM ledger_head WHERE id = 1")
                    .fetch_one(&self.pool)
                    .await?;
                chain_state(&head)
            }

            async fn leaf_hashes(&self, from: u64, to: u64) -> Result<Vec<Digest>> {
                let rows = sqlx::query("SELECT entry_hash FROM events WHERE seq >= $1 AND seq < $2 ORDER BY seq")
                    .bind(i64::try_from(from).unwrap_or(i64::MAX))
                    .bind(i64::try_from(to).unwrap_or(i64::MAX))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        let entry = Digest::from_hex(&r.try_get::<String, _>("entry_hash")?)?;
                        Ok(airm_ledger::merkle::leaf_hash(&entry.0))
                    })
                    .collect()
            }

            async fn raw_entries(&self, from_seq: u64, limit: u32) -> Result<Vec<RawEntry>> {
                // One aggregated text per chunk ("seq hash canonical" lines) instead of one
                // row per entry: the driver's per-row cost dominated verification. Canonical
                // JSON escapes every control character, so a raw newline only appears if
                // the stored bytes were tampered with, and then the parse below fails.
                let row = sqlx::query($raw_select)
                    .bind(i64::try_from(from_seq).unwrap_or(i64::MAX))
                    .bind(i64::from(limit))
                    .fetch_one(&self.pool)
                    .await?;
                let text: Option<String> = row.try_get(0)?;
                let Some(text) = text else { return Ok(Vec::new()) };
                let mut out = Vec::with_capacity(limit as usize);
                for line in text.split('\n') {
                    let mut parts = line.splitn(3, ' ');
                    let parsed = match (parts.next(), parts.next(), parts.next()) {
                        (Some(seq), Some(hash), Some(canonical)) => seq.parse::<i64>().ok().map(|seq| RawEntry {
                            seq,
                            entry_hash: Digest::from_hex(hash).ok().map(|d| d.0),
                            canonical: canonical.to_string(),
                        }),
                        _ => None,
                    };
                    // An unreadable line is reported by the verifier as a broken sequence
                    // at the entry where it appears.
                    out.push(parsed.unwrap_or(RawEntry { seq: -1, entry_hash: None, canonical: String::new() }));
                }
                Ok(out)
            }

            async fn first_index_mismatch(&self) -> Result<Option<i64>> {
                let row = sqlx::query($index_check).fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => Some(r.try_get(0)?),
                    None => None,
                })
            }

            async fn add_checkpoint(&self, cp: &Checkpoint) -> Result<()> {
                sqlx::query(
                    "INSERT INTO checkpoints (tree_size, root_hash, time, key_id, signature) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size) DO NOTHING",
                )
                .bind(i64::try_from(cp.tree_size).unwrap_or(i64::MAX))
                .bind(cp.root_hash.to_hex())
                .bind(cp.time.millis())
                .bind(&cp.key_id)
                .bind(&cp.signature)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
                let rows = sqlx::query("SELECT * FROM checkpoints ORDER BY tree_size")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        let size: i64 = r.try_get("tree_size")?;
                        Ok(Checkpoint {
                            tree_size: u64::try_from(size).map_err(|_| StoreError::Corrupt {
                                table: "checkpoints",
                                reason: format!("tree_size {size}"),
                            })?,
                            root_hash: Digest::from_hex(&r.try_get::<String, _>("root_hash")?)?,
                            time: ts(r, "time")?,
                            key_id: r.try_get("key_id")?,
                            signature: r.try_get("signature")?,
                        })
                    })
                    .collect()
            }

            async fn list_events(&self, filter: &EventFilter, page: Page) -> Result<Paged<AuditEvent>> {
                let build = |base: &str| {
                    let mut sql = Sql::new(base);
                    if let Some(a) = &filter.actor {
                        sql.and("actor_id = ?", [Arg::Text(a.clone())]);
                    }
                    if let Some(a) = &filter.action {
                        if a.ends_with('.') {
                            sql.and("action LIKE ? ESCAPE '\\'", [Arg::Text(format!(
                                "{}%",
                                a.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
                            ))]);
                        } else {
                            sql.and("action = ?", [Arg::Text(a.clone())]);
                        }
                    }
                    if let Some(t) = &filter.target {
                        sql.and("target = ?", [Arg::Text(t.clone())]);
                    }
                    if let Some(t) = filter.since {
                        sql.and("time >= ?", [Arg::Int(t.millis())]);
                    }
                    if let Some(t) = filter.until {
                        sql.and("time < ?", [Arg::Int(t.millis())]);
                    }
                    sql
                };
                let total = self.count(&build("SELECT COUNT(*) FROM events")).await?;
                let rows = self.page_rows(build("SELECT * FROM events"), "seq DESC", page).await?;
                let items = rows.iter().map(row_event).collect::<Result<Vec<_>>>()?;
                Ok(Paged { items, total })
            }

            async fn counts(&self) -> Result<Counts> {
                let mut c = Counts::default();
                let one = |sql: &'static str| async move {
                    let row = sqlx::query(sql).fetch_one(&self.pool).await?;
                    let n: i64 = row.try_get(0)?;
                    Ok::<u64, StoreError>(u64::try_from(n).unwrap_or(0))
                };
                c.systems = one("SELECT COUNT(*) FROM systems").await?;
                c.assets = one("SELECT COUNT(*) FROM assets").await?;
                c.findings = one("SELECT COUNT(*) FROM findings").await?;
                c.users = one("SELECT COUNT(*) FROM users").await?;
                c.events = one("SELECT COUNT(*) FROM events").await?;
                let rows = sqlx::query(
                    "SELECT severity_rank, COUNT(*) AS n FROM findings WHERE status = 'open' GROUP BY severity_rank",
                )
                .fetch_all(&self.pool)
                .await?;
                for r in rows {
                    let rank: i64 = r.try_get("severity_rank")?;
                    let n: i64 = r.try_get("n")?;
                    if let Some(slot) = usize::try_from(rank).ok().and_then(|i| c.open_by_severity.get_mut(i)) {
                        *slot = u64::try_from(n).unwrap_or(0);
                    }
                }
                let _ = Severity::ALL;
                let _ = AssetKind::ALL;
                Ok(c)
            }

            // --- asset facts (discovery inventory; migration 0004) ---

            async fn set_asset_facts(&self, asset_id: &str, facts: &serde_json::Value) -> Result<()> {
                sqlx::query(
                    "INSERT INTO asset_facts (asset_id, facts, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (asset_id) DO UPDATE SET facts = excluded.facts, updated_at = excluded.updated_at",
                )
                .bind(asset_id)
                .bind(to_json(facts))
                .bind(Timestamp::now().millis())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn asset_facts(&self, asset_id: &str) -> Result<Option<serde_json::Value>> {
                let row = sqlx::query("SELECT facts FROM asset_facts WHERE asset_id = $1")
                    .bind(asset_id)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    None => Ok(None),
                    Some(r) => {
                        let text: String = r.try_get("facts")?;
                        serde_json::from_str(&text).map(Some).map_err(|e| StoreError::Corrupt {
                            table: "asset_facts",
                            reason: e.to_string(),
                        })
                    }
                }
            }
            // --- governance (issue 9): committees, approvals, exceptions, violations,
            // notifications. Kept together at the end of the impl. ---

            async fn create_committee(
                &self,
                name: &str,
                members: &[String],
                quorum: u32,
            ) -> Result<airm_core::Committee> {
                let mut members: Vec<String> =
                    members.iter().map(|m| m.trim().to_lowercase()).filter(|m| !m.is_empty()).collect();
                members.sort();
                members.dedup();
                let c = airm_core::Committee {
                    id: fresh_id("com"),
                    name: name.trim().to_string(),
                    members,
                    quorum,
                    created_at: Timestamp::now(),
                };
                airm_core::validate_name(&c.name).map_err(StoreError::Invalid)?;
                c.validate().map_err(StoreError::Invalid)?;
                let res = sqlx::query(
                    "INSERT INTO committees (id, name, name_key, members, quorum, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&c.id)
                .bind(&c.name)
                .bind(c.name.to_lowercase())
                .bind(to_json(&c.members))
                .bind(i64::from(c.quorum))
                .bind(c.created_at.millis())
                .execute(&self.pool)
                .await;
                match res {
                    Ok(_) => Ok(c),
                    Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists {
                        what: "committee",
                        key: c.name,
                    }),
                    Err(e) => Err(e.into()),
                }
            }

            async fn get_committee(&self, id_or_name: &str) -> Result<Option<airm_core::Committee>> {
                let row = sqlx::query("SELECT * FROM committees WHERE id = $1 OR name_key = $2")
                    .bind(id_or_name)
                    .bind(id_or_name.trim().to_lowercase())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(row_committee).transpose()
            }

            async fn list_committees(&self) -> Result<Vec<airm_core::Committee>> {
                let rows = sqlx::query("SELECT * FROM committees ORDER BY name_key")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(row_committee).collect()
            }

            async fn create_approval(&self, new: NewApproval) -> Result<airm_core::Approval> {
                let committee = self.get_committee(&new.committee).await?.ok_or_else(|| {
                    StoreError::NotFound { what: "committee", key: new.committee.clone() }
                })?;
                if new.subject.trim().is_empty() || new.subject.len() > 300 {
                    return Err(StoreError::Invalid("subject must be 1-300 bytes".into()));
                }
                if new.reason.len() > 4000 {
                    return Err(StoreError::Invalid("reason must be at most 4000 bytes".into()));
                }
                let id = fresh_id("apr");
                let now = Timestamp::now();
                sqlx::query(
                    "INSERT INTO approvals (id, subject, action, committee_id, quorum, requested_by, \
                     reason, status, created_at, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, NULL)",
                )
                .bind(&id)
                .bind(new.subject.trim())
                .bind(&new.action)
                .bind(&committee.id)
                .bind(i64::from(committee.quorum))
                .bind(&new.requested_by)
                .bind(&new.reason)
                .bind(now.millis())
                .execute(&self.pool)
                .await?;
                self.get_approval(&id).await?.ok_or(StoreError::NotFound { what: "approval", key: id })
            }

            async fn get_approval(&self, id: &str) -> Result<Option<airm_core::Approval>> {
                let rows = sqlx::query(&format!("{APPROVAL_SELECT} WHERE a.id = $1"))
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(self.approval_rows(rows).await?.pop())
            }

            async fn list_approvals(
                &self,
                filter: &ApprovalFilter,
                page: Page,
            ) -> Result<Paged<airm_core::Approval>> {
                let build = |base: &str| {
                    let mut sql = Sql::new(base);
                    if let Some(s) = filter.status {
                        sql.and("a.status = ?", [Arg::Text(s.to_string())]);
                    }
                    if let Some(c) = &filter.committee {
                        sql.and("c.name_key = ?", [Arg::Text(c.trim().to_lowercase())]);
                    }
                    if let Some(m) = &filter.member {
                        // Members are stored as a JSON array of lower-case emails.
                        sql.and(
                            "c.members LIKE ? ESCAPE '\\'",
                            [Arg::Text(contains_pattern(&format!("\"{}\"", m.trim())))],
                        );
                    }
                    sql
                };
                let total = self
                    .count(&build("SELECT COUNT(*) FROM approvals a JOIN committees c ON c.id = a.committee_id"))
                    .await?;
                let rows = self.page_rows(build(APPROVAL_SELECT), "a.created_at DESC, a.id DESC", page).await?;
                Ok(Paged { items: self.approval_rows(rows).await?, total })
            }

            async fn record_vote(
                &self,
                approval_id: &str,
                vote: &airm_core::Vote,
                votes_before: usize,
                status: airm_core::ApprovalStatus,
            ) -> Result<airm_core::Approval> {
                let mut tx = self.pool.begin().await?;
                // Lock the request first so concurrent votes are serialised.
                let locked = sqlx::query("UPDATE approvals SET status = status WHERE id = $1 AND status = 'pending'")
                    .bind(approval_id)
                    .execute(&mut *tx)
                    .await?;
                if locked.rows_affected() != 1 {
                    return Err(StoreError::VersionConflict {
                        what: "approval",
                        key: approval_id.to_string(),
                        expected: i64::try_from(votes_before).unwrap_or(-1),
                    });
                }
                let row = sqlx::query("SELECT COUNT(*) FROM approval_votes WHERE approval_id = $1")
                    .bind(approval_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let n: i64 = row.try_get(0)?;
                if usize::try_from(n).ok() != Some(votes_before) {
                    return Err(StoreError::VersionConflict {
                        what: "approval",
                        key: approval_id.to_string(),
                        expected: i64::try_from(votes_before).unwrap_or(-1),
                    });
                }
                let res = sqlx::query(
                    "INSERT INTO approval_votes (approval_id, voter, choice, comment, at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(approval_id)
                .bind(&vote.voter)
                .bind(vote.choice.as_str())
                .bind(&vote.comment)
                .bind(vote.at.millis())
                .execute(&mut *tx)
                .await;
                match res {
                    Ok(_) => {}
                    Err(e) if is_unique_violation(&e) => {
                        return Err(StoreError::AlreadyExists {
                            what: "vote",
                            key: format!("{approval_id}/{}", vote.voter),
                        })
                    }
                    Err(e) => return Err(e.into()),
                }
                let decided = (status != airm_core::ApprovalStatus::Pending).then_some(vote.at.millis());
                sqlx::query("UPDATE approvals SET status = $1, decided_at = $2 WHERE id = $3")
                    .bind(status.as_str())
                    .bind(decided)
                    .bind(approval_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.get_approval(approval_id).await?.ok_or(StoreError::NotFound {
                    what: "approval",
                    key: approval_id.to_string(),
                })
            }

            async fn create_exception(
                &self,
                mut e: airm_core::PolicyException,
            ) -> Result<airm_core::PolicyException> {
                if e.id.is_empty() {
                    e.id = fresh_id("exc");
                }
                e.validate().map_err(StoreError::Invalid)?;
                sqlx::query(
                    "INSERT INTO policy_exceptions (id, policy, object, justification, approver, created_at, \
                     expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&e.id)
                .bind(&e.policy)
                .bind(&e.object)
                .bind(&e.justification)
                .bind(&e.approver)
                .bind(e.created_at.millis())
                .bind(e.expires_at.millis())
                .bind(e.revoked_at.map(Timestamp::millis))
                .execute(&self.pool)
                .await?;
                Ok(e)
            }

            async fn get_exception(&self, id: &str) -> Result<Option<airm_core::PolicyException>> {
                let row = sqlx::query("SELECT * FROM policy_exceptions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(row_exception).transpose()
            }

            async fn list_exceptions(
                &self,
                filter: &ExceptionFilter,
            ) -> Result<Vec<airm_core::PolicyException>> {
                let mut sql = Sql::new("SELECT * FROM policy_exceptions");
                if let Some(t) = filter.active_at {
                    sql.and("revoked_at IS NULL AND expires_at > ?", [Arg::Int(t.millis())]);
                }
                if let Some(t) = filter.expiring_before {
                    sql.and("expires_at < ?", [Arg::Int(t.millis())]);
                }
                if let Some(p) = &filter.policy {
                    sql.and("UPPER(policy) = ?", [Arg::Text(p.to_uppercase())]);
                }
                sql.text.push_str(" ORDER BY expires_at, id");
                let rows = bind_args(sqlx::query(&sql.text), &sql.args).fetch_all(&self.pool).await?;
                rows.iter().map(row_exception).collect()
            }

            async fn revoke_exception(&self, id: &str, at: Timestamp) -> Result<airm_core::PolicyException> {
                sqlx::query("UPDATE policy_exceptions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                    .bind(at.millis())
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                self.get_exception(id).await?.ok_or_else(|| StoreError::NotFound {
                    what: "exception",
                    key: id.to_string(),
                })
            }

            async fn governance_facts(&self) -> Result<GovernanceFacts> {
                let systems = sqlx::query("SELECT * FROM systems ORDER BY name_key")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(row_system)
                    .collect::<Result<Vec<_>>>()?;
                let names: std::collections::HashMap<&str, &str> =
                    systems.iter().map(|s| (s.id.as_str(), s.name.as_str())).collect();
                let mut links: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
                for r in sqlx::query("SELECT asset_id, system_id FROM asset_systems ORDER BY asset_id, system_id")
                    .fetch_all(&self.pool)
                    .await?
                {
                    let sid: String = r.try_get("system_id")?;
                    if let Some(name) = names.get(sid.as_str()) {
                        links.entry(r.try_get("asset_id")?).or_default().push((*name).to_string());
                    }
                }
                let mut counts: std::collections::HashMap<String, [u64; 5]> = std::collections::HashMap::new();
                for r in sqlx::query(
                    "SELECT asset_id, severity_rank, COUNT(*) AS n FROM findings \
                     WHERE status = 'open' AND asset_id IS NOT NULL GROUP BY asset_id, severity_rank",
                )
                .fetch_all(&self.pool)
                .await?
                {
                    let rank: i64 = r.try_get("severity_rank")?;
                    let n: i64 = r.try_get("n")?;
                    let slot = counts.entry(r.try_get("asset_id")?).or_default();
                    if let Some(c) = usize::try_from(rank).ok().and_then(|i| slot.get_mut(i)) {
                        *c = u64::try_from(n).unwrap_or(0);
                    }
                }
                let mut assets = Vec::new();
                for r in sqlx::query("SELECT id, kind, name, location, format, provenance FROM assets ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
                {
                    let id: String = r.try_get("id")?;
                    let prov: Provenance = json_col(&r, "assets", "provenance")?;
                    assets.push(airm_core::AssetFacts {
                        kind: parse_col(&r, "assets", "kind")?,
                        name: r.try_get("name")?,
                        location: r.try_get("location")?,
                        format: r.try_get("format")?,
                        signed_by: prov.signed_by,
                        systems: links.remove(&id).unwrap_or_default(),
                        open_findings: counts.remove(&id).unwrap_or_default(),
                        id,
                    });
                }
                let approvals = {
                    let rows = sqlx::query(&format!("{APPROVAL_SELECT} ORDER BY a.created_at DESC LIMIT 10000"))
                        .fetch_all(&self.pool)
                        .await?;
                    self.approval_rows(rows).await?
                };
                let people = sqlx::query("SELECT * FROM users ORDER BY email")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(row_user)
                    .collect::<Result<Vec<_>>>()?;
                let raci = self.list_raci(None).await?;
                Ok(GovernanceFacts {
                    raci,
                    systems,
                    assets,
                    exceptions: self.list_exceptions(&ExceptionFilter::default()).await?,
                    approvals,
                    committees: self.list_committees().await?,
                    people,
                })
            }

            async fn sync_violations(
                &self,
                current: &[airm_core::ViolationRecord],
                now: Timestamp,
            ) -> Result<Vec<airm_core::ViolationRecord>> {
                let mut tx = self.pool.begin().await?;
                for chunk in current.chunks(500) {
                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                        "INSERT INTO violations (fingerprint, policy, severity, severity_rank, object, message, \
                         first_seen, last_seen, resolved_at) ",
                    );
                    qb.push_values(chunk, |mut b, v| {
                        b.push_bind(v.fingerprint.clone())
                            .push_bind(v.policy.clone())
                            .push_bind(v.severity.as_str())
                            .push_bind(i64::from(v.severity.rank()))
                            .push_bind(v.object.clone())
                            .push_bind(v.message.clone())
                            .push_bind(now.millis())
                            .push_bind(now.millis())
                            .push_bind(None::<i64>);
                    });
                    qb.push(
                        " ON CONFLICT (fingerprint) DO UPDATE SET severity = excluded.severity, \
                         severity_rank = excluded.severity_rank, last_seen = excluded.last_seen, \
                         first_seen = CASE WHEN violations.resolved_at IS NULL THEN violations.first_seen \
                         ELSE excluded.first_seen END, resolved_at = NULL",
                    );
                    qb.build().execute(&mut *tx).await?;
                }
                sqlx::query("UPDATE violations SET resolved_at = $1 WHERE resolved_at IS NULL AND last_seen < $1")
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await?;
                let rows = sqlx::query("SELECT fingerprint, first_seen FROM violations WHERE resolved_at IS NULL")
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                let mut first: std::collections::HashMap<String, i64> = std::collections::HashMap::with_capacity(rows.len());
                for r in rows {
                    first.insert(r.try_get("fingerprint")?, r.try_get("first_seen")?);
                }
                Ok(current
                    .iter()
                    .map(|v| {
                        let mut v = v.clone();
                        v.first_seen = Timestamp(first.get(&v.fingerprint).copied().unwrap_or(now.millis()));
                        v.last_seen = now;
                        v.resolved_at = None;
                        v
                    })
                    .collect())
            }

            async fn list_violations(
                &self,
                open_only: bool,
                page: Page,
            ) -> Result<Paged<airm_core::ViolationRecord>> {
                let build = |base: &str| {
                    let mut sql = Sql::new(base);
                    if open_only {
                        sql.and("resolved_at IS NULL", []);
                    }
                    sql
                };
                let total = self.count(&build("SELECT COUNT(*) FROM violations")).await?;
                let rows = self
                    .page_rows(build("SELECT * FROM violations"), "severity_rank DESC, first_seen, fingerprint", page)
                    .await?;
                let items = rows.iter().map(row_violation).collect::<Result<Vec<_>>>()?;
                Ok(Paged { items, total })
            }

            async fn set_raci(
                &self,
                system: &str,
                role: airm_core::RaciRole,
                person: &str,
                assigned: bool,
            ) -> Result<Vec<airm_core::RaciAssignment>> {
                let id = self.system_id(system).await?;
                let person = person.trim().to_lowercase();
                if person.is_empty() || person.len() > 320 {
                    return Err(StoreError::Invalid("person must be 1-320 bytes".into()));
                }
                if assigned {
                    sqlx::query(
                        "INSERT INTO system_raci (system_id, role, person) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    )
                    .bind(&id)
                    .bind(role.as_str())
                    .bind(&person)
                    .execute(&self.pool)
                    .await?;
                } else {
                    sqlx::query("DELETE FROM system_raci WHERE system_id = $1 AND role = $2 AND person = $3")
                        .bind(&id)
                        .bind(role.as_str())
                        .bind(&person)
                        .execute(&self.pool)
                        .await?;
                }
                self.list_raci(Some(&id)).await
            }

            async fn list_raci(&self, system: Option<&str>) -> Result<Vec<airm_core::RaciAssignment>> {
                let mut sql = Sql::new(
                    "SELECT s.name, r.role, r.person FROM system_raci r JOIN systems s ON s.id = r.system_id",
                );
                if let Some(sys) = system {
                    let id = self.system_id(sys).await?;
                    sql.and("r.system_id = ?", [Arg::Text(id)]);
                }
                sql.text.push_str(" ORDER BY s.name_key, r.role, r.person");
                let rows = bind_args(sqlx::query(&sql.text), &sql.args).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok(airm_core::RaciAssignment {
                            system: r.try_get("name")?,
                            role: parse_col(r, "system_raci", "role")?,
                            person: r.try_get("person")?,
                        })
                    })
                    .collect()
            }

            async fn add_notification(&self, n: &airm_core::Notification) -> Result<bool> {
                let id = if n.id.is_empty() { fresh_id("ntf") } else { n.id.clone() };
                let done = sqlx::query(
                    "INSERT INTO notifications (id, fingerprint, step, recipient, message, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (fingerprint, step) DO NOTHING",
                )
                .bind(id)
                .bind(&n.fingerprint)
                .bind(&n.step)
                .bind(&n.recipient)
                .bind(&n.message)
                .bind(n.created_at.millis())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn list_notifications(
                &self,
                fingerprint: Option<&str>,
                recipient: Option<&str>,
                limit: u32,
            ) -> Result<Vec<airm_core::Notification>> {
                let mut sql = Sql::new("SELECT * FROM notifications");
                if let Some(f) = fingerprint {
                    sql.and("fingerprint = ?", [Arg::Text(f.to_string())]);
                }
                if let Some(r) = recipient {
                    sql.and("LOWER(recipient) = ?", [Arg::Text(r.to_lowercase())]);
                }
                sql.push(
                    " ORDER BY created_at DESC, id DESC LIMIT ?",
                    [Arg::Int(i64::from(limit.clamp(1, 10_000)))],
                );
                let rows = bind_args(sqlx::query(&sql.text), &sql.args).fetch_all(&self.pool).await?;
                rows.iter().map(row_notification).collect()
            }

            // --- end of governance methods ---
            // --- gateway virtual keys (airm-gateway) ---

            async fn create_gateway_key(&self, new: NewGatewayKey, key_hash: &str) -> Result<GatewayKey> {
                let system = self.get_system(&new.system).await?.ok_or_else(|| StoreError::NotFound {
                    what: "system",
                    key: new.system.clone(),
                })?;
                let key = GatewayKey {
                    id: fresh_id("gwk"),
                    name: new.name,
                    system_id: system.id,
                    models: new.models,
                    policy: new.policy,
                    requests_per_minute: new.requests_per_minute,
                    tokens_per_minute: new.tokens_per_minute,
                    created_at: Timestamp::now(),
                    expires_at: new.expires_at,
                    revoked_at: None,
                };
                sqlx::query(
                    "INSERT INTO gateway_keys (id, name, key_hash, system_id, models, policy, \
                     requests_per_minute, tokens_per_minute, created_at, expires_at, revoked_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)",
                )
                .bind(&key.id)
                .bind(&key.name)
                .bind(key_hash)
                .bind(&key.system_id)
                .bind(to_json(&key.models))
                .bind(&key.policy)
                .bind(key.requests_per_minute.map(i64::from))
                .bind(key.tokens_per_minute.map(i64::from))
                .bind(key.created_at.millis())
                .bind(key.expires_at.map(Timestamp::millis))
                .execute(&self.pool)
                .await
                .map_err(|e| if is_unique_violation(&e) {
                    StoreError::AlreadyExists { what: "gateway key", key: key.id.clone() }
                } else {
                    e.into()
                })?;
                Ok(key)
            }

            async fn gateway_key_by_hash(&self, key_hash: &str, now: Timestamp) -> Result<Option<GatewayKey>> {
                let row = sqlx::query("SELECT * FROM gateway_keys WHERE key_hash = $1")
                    .bind(key_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let key = row_gateway_key(&row)?;
                Ok(key.is_usable(now).then_some(key))
            }

            async fn list_gateway_keys(&self) -> Result<Vec<GatewayKey>> {
                let rows = sqlx::query("SELECT * FROM gateway_keys ORDER BY created_at DESC, id DESC")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(row_gateway_key).collect()
            }

            async fn revoke_gateway_key(&self, id: &str) -> Result<GatewayKey> {
                sqlx::query("UPDATE gateway_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                    .bind(Timestamp::now().millis())
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                let row = sqlx::query("SELECT * FROM gateway_keys WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    Some(r) => row_gateway_key(&r),
                    None => Err(StoreError::NotFound { what: "gateway key", key: id.to_string() }),
                }
            }

            // --- monitoring (prediction events, request statistics, alerts, baselines) ---

            async fn insert_monitor_events(
                &self,
                model: &str,
                events: Vec<$crate::monitor::MonitorEvent>,
            ) -> Result<u64> {
                let now = Timestamp::now().millis();
                // One row per id (the last wins): PostgreSQL refuses to upsert a row twice
                // in one statement.
                let mut rows: Vec<(String, $crate::monitor::MonitorEvent)> = Vec::with_capacity(events.len());
                let mut seen = std::collections::HashMap::new();
                for e in events {
                    let id = e.id.clone().unwrap_or_else(|| fresh_id("pev"));
                    match seen.get(&id) {
                        Some(&i) => {
                            if let Some(slot) = rows.get_mut(i) {
                                *slot = (id, e);
                            }
                        }
                        None => {
                            seen.insert(id.clone(), rows.len());
                            rows.push((id, e));
                        }
                    }
                }
                let n = rows.len() as u64;
                let mut tx = self.pool.begin().await?;
                for chunk in rows.chunks(500) {
                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                        "INSERT INTO monitor_events (model, id, time, features, prediction, score, label, \
                         label_time, metadata, ingested_at) ",
                    );
                    qb.push_values(chunk, |mut b, (id, e)| {
                        let label_time = e.label.as_ref().map(|_| e.label_time.map_or(now, |t| t.millis()));
                        b.push_bind(model.to_string())
                            .push_bind(id.clone())
                            .push_bind(e.time.millis())
                            .push_bind(to_json(&e.features))
                            .push_bind(e.prediction.as_ref().map(to_json))
                            .push_bind(e.score)
                            .push_bind(e.label.as_ref().map(to_json))
                            .push_bind(label_time)
                            .push_bind(to_json(&e.metadata))
                            .push_bind(now);
                    });
                    qb.push(
                        " ON CONFLICT (model, id) DO UPDATE SET time = excluded.time, features = excluded.features, \
                         prediction = excluded.prediction, score = excluded.score, \
                         label = COALESCE(excluded.label, monitor_events.label), \
                         label_time = COALESCE(excluded.label_time, monitor_events.label_time), \
                         metadata = excluded.metadata, ingested_at = excluded.ingested_at",
                    );
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(n)
            }

            async fn set_monitor_labels(
                &self,
                model: &str,
                labels: Vec<(String, serde_json::Value)>,
                time: Timestamp,
            ) -> Result<u64> {
                let mut tx = self.pool.begin().await?;
                let mut matched = 0;
                for (id, label) in &labels {
                    matched += sqlx::query(
                        "UPDATE monitor_events SET label = $1, label_time = $2 WHERE model = $3 AND id = $4",
                    )
                    .bind(to_json(label))
                    .bind(time.millis())
                    .bind(model)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
                Ok(matched)
            }

            async fn list_monitor_events(
                &self,
                model: &str,
                since: Timestamp,
                until: Timestamp,
                limit: u32,
            ) -> Result<Vec<$crate::monitor::MonitorEvent>> {
                let rows = sqlx::query(
                    "SELECT * FROM monitor_events WHERE model = $1 AND time >= $2 AND time < $3 \
                     ORDER BY time, id LIMIT $4",
                )
                .bind(model)
                .bind(since.millis())
                .bind(until.millis())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(monitor_rows::event).collect()
            }

            async fn list_monitor_outcomes(
                &self,
                model: &str,
                since: Timestamp,
                until: Timestamp,
                limit: u32,
            ) -> Result<Vec<$crate::monitor::MonitorEvent>> {
                let rows = sqlx::query(
                    "SELECT id, time, prediction, score, label, label_time, 'null' AS features, \
                     'null' AS metadata FROM monitor_events WHERE model = $1 AND time >= $2 AND time < $3 \
                     ORDER BY time, id LIMIT $4",
                )
                .bind(model)
                .bind(since.millis())
                .bind(until.millis())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(monitor_rows::event).collect()
            }

            async fn monitor_models(&self) -> Result<Vec<$crate::monitor::ModelSummary>> {
                let mut out: std::collections::BTreeMap<String, $crate::monitor::ModelSummary> =
                    std::collections::BTreeMap::new();
                let blank = |model: &str| $crate::monitor::ModelSummary {
                    model: model.to_string(),
                    events: 0,
                    labelled: 0,
                    first: None,
                    last: None,
                    open_alerts: 0,
                };
                let rows = sqlx::query(
                    "SELECT model, COUNT(*) AS n, COUNT(label) AS labelled, MIN(time) AS first, \
                     MAX(time) AS last FROM monitor_events GROUP BY model",
                )
                .fetch_all(&self.pool)
                .await?;
                for r in rows {
                    let model: String = r.try_get("model")?;
                    let mut s = blank(&model);
                    s.events = u64::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0);
                    s.labelled = u64::try_from(r.try_get::<i64, _>("labelled")?).unwrap_or(0);
                    s.first = ts_opt(&r, "first")?;
                    s.last = ts_opt(&r, "last")?;
                    out.insert(model, s);
                }
                let rows = sqlx::query(
                    "SELECT model, COUNT(*) AS n FROM monitor_alerts WHERE status = 'open' GROUP BY model",
                )
                .fetch_all(&self.pool)
                .await?;
                for r in rows {
                    let model: String = r.try_get("model")?;
                    let n = u64::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0);
                    out.entry(model.clone()).or_insert_with(|| blank(&model)).open_alerts = n;
                }
                Ok(out.into_values().collect())
            }

            async fn record_requests(&self, stats: Vec<$crate::monitor::RequestStat>) -> Result<()> {
                if stats.is_empty() {
                    return Ok(());
                }
                let mut tx = self.pool.begin().await?;
                for chunk in stats.chunks(500) {
                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                        "INSERT INTO monitor_requests (time, system, api_key, model, latency_ms, prompt_tokens, \
                         completion_tokens, refused, guard_action, output_class) ",
                    );
                    qb.push_values(chunk, |mut b, s| {
                        b.push_bind(s.time.millis())
                            .push_bind(s.system.clone())
                            .push_bind(s.key.clone())
                            .push_bind(s.model.clone())
                            .push_bind(if s.latency_ms.is_finite() { s.latency_ms } else { 0.0 })
                            .push_bind(i64::try_from(s.prompt_tokens).unwrap_or(i64::MAX))
                            .push_bind(i64::try_from(s.completion_tokens).unwrap_or(i64::MAX))
                            .push_bind(s.refused)
                            .push_bind(s.guard_action.map(|g| g.as_str()))
                            .push_bind(s.output_class.clone());
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn list_requests(
                &self,
                filter: &$crate::monitor::RequestFilter,
                limit: u32,
            ) -> Result<Vec<$crate::monitor::RequestStat>> {
                let mut sql = Sql::new("SELECT * FROM monitor_requests");
                if let Some(m) = &filter.model {
                    sql.and("model = ?", [Arg::Text(m.clone())]);
                }
                if let Some(s) = &filter.system {
                    sql.and("system = ?", [Arg::Text(s.clone())]);
                }
                if let Some(k) = &filter.key {
                    sql.and("api_key = ?", [Arg::Text(k.clone())]);
                }
                if let Some(t) = filter.since {
                    sql.and("time >= ?", [Arg::Int(t.millis())]);
                }
                if let Some(t) = filter.until {
                    sql.and("time < ?", [Arg::Int(t.millis())]);
                }
                sql.push(" ORDER BY time LIMIT ?", [Arg::Int(i64::from(limit))]);
                let rows = bind_args(sqlx::query(&sql.text), &sql.args)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(monitor_rows::request).collect()
            }

            async fn fire_alert(
                &self,
                a: $crate::monitor::NewAlert,
            ) -> Result<($crate::monitor::Alert, bool)> {
                let row = sqlx::query(
                    "INSERT INTO monitor_alerts (id, fingerprint, rule, model, metric, condition, severity, owner, \
                     status, message, value, reference, window_start, window_end, first_seen, last_seen, \
                     resolved_at, seen_count) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11, $12, $13, $14, $14, NULL, 1) \
                     ON CONFLICT (fingerprint) WHERE status = 'open' DO UPDATE SET \
                     severity = excluded.severity, owner = excluded.owner, message = excluded.message, \
                     value = excluded.value, reference = excluded.reference, \
                     window_start = excluded.window_start, window_end = excluded.window_end, \
                     last_seen = excluded.last_seen, seen_count = monitor_alerts.seen_count + 1 \
                     RETURNING *",
                )
                .bind(fresh_id("alr"))
                .bind(&a.fingerprint)
                .bind(&a.rule)
                .bind(&a.model)
                .bind(&a.metric)
                .bind(&a.condition)
                .bind(a.severity.as_str())
                .bind(&a.owner)
                .bind(&a.message)
                .bind(a.value)
                .bind(a.reference)
                .bind(a.window_start.millis())
                .bind(a.window_end.millis())
                .bind(a.time.millis())
                .fetch_one(&self.pool)
                .await?;
                let alert = monitor_rows::alert(&row)?;
                let created = alert.seen_count == 1;
                Ok((alert, created))
            }

            async fn resolve_alert(
                &self,
                fingerprint: &str,
                time: Timestamp,
            ) -> Result<Option<$crate::monitor::Alert>> {
                let row = sqlx::query(
                    "UPDATE monitor_alerts SET status = 'resolved', resolved_at = $1 \
                     WHERE fingerprint = $2 AND status = 'open' RETURNING *",
                )
                .bind(time.millis())
                .bind(fingerprint)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(monitor_rows::alert).transpose()
            }

            async fn list_alerts(
                &self,
                filter: &$crate::monitor::AlertFilter,
                page: Page,
            ) -> Result<Paged<$crate::monitor::Alert>> {
                let build = |base: &str| {
                    let mut sql = Sql::new(base);
                    if let Some(m) = &filter.model {
                        sql.and("model = ?", [Arg::Text(m.clone())]);
                    }
                    if let Some(s) = filter.status {
                        sql.and("status = ?", [Arg::Text(s.as_str().to_string())]);
                    }
                    sql
                };
                let total = self.count(&build("SELECT COUNT(*) FROM monitor_alerts")).await?;
                let rows = self
                    .page_rows(build("SELECT * FROM monitor_alerts"), "status, last_seen DESC, id", page)
                    .await?;
                let items = rows.iter().map(monitor_rows::alert).collect::<Result<Vec<_>>>()?;
                Ok(Paged { items, total })
            }

            async fn set_baseline(&self, b: &$crate::monitor::Baseline) -> Result<()> {
                sqlx::query(
                    "INSERT INTO monitor_baselines (model, metrics, reference, window_start, window_end, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (model) DO UPDATE SET metrics = excluded.metrics, \
                     reference = excluded.reference, \
                     window_start = excluded.window_start, window_end = excluded.window_end, \
                     created_at = excluded.created_at",
                )
                .bind(&b.model)
                .bind(to_json(&b.metrics))
                .bind(b.reference.as_ref().map(to_json))
                .bind(b.window_start.millis())
                .bind(b.window_end.millis())
                .bind(b.created_at.millis())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn get_baseline(&self, model: &str) -> Result<Option<$crate::monitor::Baseline>> {
                let row = sqlx::query("SELECT * FROM monitor_baselines WHERE model = $1")
                    .bind(model)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(r) = row else { return Ok(None) };
                Ok(Some($crate::monitor::Baseline {
                    model: r.try_get("model")?,
                    metrics: json_col(&r, "monitor_baselines", "metrics")?,
                    reference: {
                        let s: Option<String> = r.try_get("reference")?;
                        s.map(|s| serde_json::from_str(&s)).transpose().map_err(|e| {
                            StoreError::Corrupt {
                                table: "monitor_baselines",
                                reason: format!("reference: {e}"),
                            }
                        })?
                    },
                    window_start: ts(&r, "window_start")?,
                    window_end: ts(&r, "window_end")?,
                    created_at: ts(&r, "created_at")?,
                }))
            }
        }

        // --- monitoring: row decoders ---
        mod monitor_rows {
            use super::{json_col, parse_col, ts, ts_opt, DbRow};
            use $crate::monitor::{Alert, MonitorEvent, RequestStat};
            use $crate::{Result, StoreError};
            use sqlx::Row;

            fn json_opt(row: &DbRow, col: &str) -> Result<Option<serde_json::Value>> {
                let s: Option<String> = row.try_get(col)?;
                s.map(|s| {
                    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt {
                        table: "monitor_events",
                        reason: format!("{col}: {e}"),
                    })
                })
                .transpose()
            }

            pub(super) fn event(row: &DbRow) -> Result<MonitorEvent> {
                Ok(MonitorEvent {
                    id: Some(row.try_get("id")?),
                    time: ts(row, "time")?,
                    features: json_col(row, "monitor_events", "features")?,
                    prediction: json_opt(row, "prediction")?,
                    score: row.try_get("score")?,
                    label: json_opt(row, "label")?,
                    label_time: ts_opt(row, "label_time")?,
                    metadata: json_col(row, "monitor_events", "metadata")?,
                })
            }

            pub(super) fn request(row: &DbRow) -> Result<RequestStat> {
                let n = |col: &str| -> Result<u64> {
                    Ok(u64::try_from(row.try_get::<i64, _>(col)?).unwrap_or(0))
                };
                Ok(RequestStat {
                    time: ts(row, "time")?,
                    system: row.try_get("system")?,
                    key: row.try_get("api_key")?,
                    model: row.try_get("model")?,
                    latency_ms: row.try_get("latency_ms")?,
                    prompt_tokens: n("prompt_tokens")?,
                    completion_tokens: n("completion_tokens")?,
                    refused: row.try_get("refused")?,
                    guard_action: RequestStat::guard_from(row.try_get("guard_action")?),
                    output_class: row.try_get("output_class")?,
                })
            }

            pub(super) fn alert(row: &DbRow) -> Result<Alert> {
                Ok(Alert {
                    id: row.try_get("id")?,
                    fingerprint: row.try_get("fingerprint")?,
                    rule: row.try_get("rule")?,
                    model: row.try_get("model")?,
                    metric: row.try_get("metric")?,
                    condition: row.try_get("condition")?,
                    severity: parse_col(row, "monitor_alerts", "severity")?,
                    owner: row.try_get("owner")?,
                    status: parse_col(row, "monitor_alerts", "status")?,
                    message: row.try_get("message")?,
                    value: row.try_get("value")?,
                    reference: row.try_get("reference")?,
                    window_start: ts(row, "window_start")?,
                    window_end: ts(row, "window_end")?,
                    first_seen: ts(row, "first_seen")?,
                    last_seen: ts(row, "last_seen")?,
                    resolved_at: ts_opt(row, "resolved_at")?,
                    seen_count: u64::try_from(row.try_get::<i64, _>("seen_count")?).unwrap_or(0),
                })
            }
        }
      }
    };
}
pub(crate) use impl_sql_store;
