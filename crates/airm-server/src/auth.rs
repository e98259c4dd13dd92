//! Authentication and authorisation: API tokens (random 256-bit secrets, stored only as
//! SHA-256), and extractors that admit a caller only if their role allows the action.
//!
//! The role check runs before the request body is read, so a caller who may not write
//! gets 403 whatever they send.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use airm_core::{Person, Role, Timestamp};

use crate::error::ApiError;
use crate::state::{AppState, RequestId};

/// Prefix of every airm API token, so leaked tokens are recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "airm_";

/// Makes a new random token; returns `(token, sha256_hex)`. Show the token once, store
/// only the hash.
pub fn new_token() -> (String, String) {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let hash = hash_secret(&token);
    (token, hash)
}

/// SHA-256 of a secret, lower-case hex. Secrets are 256-bit random, so a fast hash is
/// enough; nothing low-entropy is ever hashed here.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random URL-safe string of `bytes` random bytes (session ids, CSRF tokens).
pub fn random_string(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Constant-time comparison of two strings.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Who is calling, once authenticated.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The person.
    pub user: Person,
    /// The token used, if any (absent for dashboard sessions).
    pub token_id: Option<String>,
    /// The request id, for the activity log.
    pub request_id: String,
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::unauthorized)?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(TOKEN_PREFIX) && t.len() <= 128)
        .ok_or_else(ApiError::unauthorized)?;
    let principal = state
        .store
        .authenticate_token(&hash_secret(token), Timestamp::now())
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let request_id = parts
        .extensions
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    Ok(Caller {
        user: principal.user,
        token_id: principal.token.map(|t| t.id),
        request_id,
    })
}

macro_rules! role_gate {
    ($(#[$m:meta])* $name:ident, $check:expr, $what:literal) => {
        $(#[$m])*
        pub struct $name(pub Caller);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, Self::Rejection> {
                let caller = authenticate(parts, state).await?;
                let check: fn(Role) -> bool = $check;
                if check(caller.user.role) {
                    Ok($name(caller))
                } else {
                    Err(ApiError::forbidden($what))
                }
            }
        }
    };
}

role_gate!(
    /// Any authenticated user.
    Authed,
    |_| true,
    "read this"
);
role_gate!(
    /// A user who may change inventory, findings and risks (`admin`, `risk-owner`).
    Writer,
    Role::can_write,
    "change inventory, findings or risks"
);
role_gate!(
    /// An administrator.
    AdminOnly,
    Role::can_admin,
    "administer users and tokens"
);
role_gate!(
    /// A user who may read the activity log and people (`admin`, `auditor`).
    AuditReader,
    Role::can_audit,
    "read the activity log or the user directory"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let (t1, h1) = new_token();
        let (t2, _) = new_token();
        assert!(t1.starts_with(TOKEN_PREFIX));
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(h1, hash_secret(&t1));
        assert_eq!(h1.len(), 64);
        assert!(!h1.contains(&t1));
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
