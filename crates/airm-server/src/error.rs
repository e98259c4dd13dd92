//! The one error type of the HTTP layer. It maps to a status and a stable code in a
//! `{"code": …, "message": …}` body; internal details go to the log, never to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use airm_store::{ErrorClass, StoreError};

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable code, e.g. `not_found`.
    pub code: &'static str,
    /// A sentence for humans.
    pub message: String,
}

/// An error answered to an HTTP client.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// Message safe to show.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid API token is required (Authorization: Bearer <token>)",
        )
    }

    pub fn forbidden(what: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("your role may not {what}"),
        )
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(what: &str, key: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} `{key}` not found"),
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match (&e, e.class()) {
            (StoreError::NotFound { .. }, _) => {
                Self::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            (StoreError::AlreadyExists { .. }, _) => {
                Self::new(StatusCode::CONFLICT, "already_exists", e.to_string())
            }
            (StoreError::VersionConflict { .. }, _) => {
                Self::new(StatusCode::CONFLICT, "version_conflict", e.to_string())
            }
            (_, ErrorClass::User) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                e.to_string(),
            ),
            (_, ErrorClass::Upstream) => {
                tracing::error!(error = %e, "Database error");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the database is unavailable; try again",
                )
            }
            (_, ErrorClass::Internal) => {
                tracing::error!(error = %e, "Internal store error");
                Self::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(ErrorBody {
                code: self.code,
                message: self.message,
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"airm\""),
            );
        }
        res
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<crate::governance::GovernanceError> for ApiError {
    fn from(e: crate::governance::GovernanceError) -> Self {
        use crate::governance::GovernanceError as G;
        use airm_govern::GovernError as E;
        match e {
            G::Store(s) => s.into(),
            G::Govern(E::Forbidden(m)) => Self::new(StatusCode::FORBIDDEN, "forbidden", m),
            G::Govern(E::Conflict(m)) => Self::new(StatusCode::CONFLICT, "conflict", m),
            G::Govern(E::Invalid(m)) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", m)
            }
            other => {
                tracing::error!(error = %other, "Governance evaluation failed");
                Self::internal()
            }
        }
    }
}
