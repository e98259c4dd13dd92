//! The store's error type. Every variant knows its class (user, upstream, internal) so
//! the server maps it to an HTTP status and the CLI to a message without guessing.

/// Who is to blame for an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Bad input or a request that conflicts with the current state.
    User,
    /// The database failed or is unreachable.
    Upstream,
    /// A bug or corrupt data.
    Internal,
}

/// Errors of [`crate::Store`] operations.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist.
    #[error("{what} `{key}` not found")]
    NotFound {
        /// Kind of object, e.g. `system`.
        what: &'static str,
        /// The id or name looked up.
        key: String,
    },
    /// The object exists already (unique name, email, …).
    #[error("{what} `{key}` already exists")]
    AlreadyExists {
        /// Kind of object.
        what: &'static str,
        /// The conflicting key.
        key: String,
    },
    /// Someone else changed the object since it was read (optimistic concurrency).
    #[error("{what} `{key}` was changed concurrently (expected version {expected})")]
    VersionConflict {
        /// Kind of object.
        what: &'static str,
        /// Its id.
        key: String,
        /// The version the caller based its change on.
        expected: i64,
    },
    /// The input breaks an invariant; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The database URL is not usable.
    #[error("invalid database url `{url}`: {reason}")]
    BadUrl {
        /// The URL with any password masked.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A stored row could not be decoded (corrupt or hand-edited data).
    #[error("corrupt row in `{table}`: {reason}")]
    Corrupt {
        /// Table name.
        table: &'static str,
        /// What could not be decoded.
        reason: String,
    },
    /// Schema migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The activity log could not be sealed or read back (corrupt chain state).
    #[error("activity log: {0}")]
    Ledger(#[from] airm_ledger::Error),
    /// The activity-log writer stopped or failed for a whole batch.
    #[error("activity log writer: {0}")]
    LogWriter(String),
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// The class of this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            StoreError::NotFound { .. }
            | StoreError::AlreadyExists { .. }
            | StoreError::VersionConflict { .. }
            | StoreError::Invalid(_)
            | StoreError::BadUrl { .. } => ErrorClass::User,
            StoreError::Database(_) | StoreError::Migrate(_) | StoreError::LogWriter(_) => {
                ErrorClass::Upstream
            }
            StoreError::Corrupt { .. } | StoreError::Ledger(_) => ErrorClass::Internal,
        }
    }
}

/// Result alias for store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Masks the password of a URL such as `postgres://user:secret@host/db`.
pub fn mask_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords_only() {
        assert_eq!(
            mask_url("postgres://bob:s3cret@db:5432/airm"),
            "postgres://bob:***@db:5432/airm"
        );
        assert_eq!(mask_url("postgres://bob@db/airm"), "postgres://bob@db/airm");
        assert_eq!(mask_url("sqlite:///x.db"), "sqlite:///x.db");
    }
}
