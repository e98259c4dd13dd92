//! The one error type of `airm-gateway` and how each error reaches a client: an
//! OpenAI-style body (`{"error": {"message", "type", "param", "code"}}`) or, on the
//! Anthropic route, `{"type": "error", "error": {"type", "message"}}`. Every error knows
//! where it came from (downstream client, upstream provider, airm itself); internal
//! details stay in the logs and never reach the client.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use thiserror::Error;

/// Errors of the gateway.
#[derive(Debug, Error)]
pub enum GatewayError {
    /// The configuration is invalid (bad upstream, unknown policy, unreadable key file).
    #[error("gateway config `{field}`: {message}")]
    Config {
        /// The key at fault.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// No, an unknown, a revoked or an expired virtual key.
    #[error("invalid or missing API key")]
    Unauthorized,
    /// The key may not use this model.
    #[error("this key may not use model `{0}`")]
    ModelNotAllowed(String),
    /// The request body is not what the endpoint accepts.
    #[error("{0}")]
    BadRequest(String),
    /// The request body is larger than `gateway.max_body_bytes`.
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    /// The guard refused the input.
    #[error("request blocked by policy: {rules}")]
    Blocked {
        /// Rule ids that blocked it, comma-separated.
        rules: String,
    },
    /// A rate limit of the key is exhausted.
    #[error("rate limit exceeded for this key ({what}); retry after {retry_after_secs} s")]
    RateLimited {
        /// `requests` or `tokens`.
        what: &'static str,
        /// Seconds until enough budget is back.
        retry_after_secs: u64,
    },
    /// The key was blocked by the model-extraction detector.
    #[error("this key is blocked: {0}")]
    KeyBlocked(String),
    /// No upstream serves the model.
    #[error("no upstream serves model `{0}`")]
    NoRoute(String),
    /// The upstream did not answer in time.
    #[error("upstream `{upstream}` timed out")]
    UpstreamTimeout {
        /// Upstream name.
        upstream: String,
    },
    /// The upstream could not be reached or broke the connection or the protocol.
    #[error("upstream `{upstream}` failed: {message}")]
    Upstream {
        /// Upstream name.
        upstream: String,
        /// What happened (no secrets).
        message: String,
    },
    /// The guard itself failed and the route fails closed.
    #[error("the guard failed; the request was refused (fail closed)")]
    GuardFailed,
    /// A shared-counter backend (Redis) failed.
    #[error("counter backend failed: {0}")]
    Counters(String),
    /// A bug or an unexpected state in airm.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Which API dialect the client speaks, for the shape of error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAI (`/v1/chat/completions`, …).
    OpenAi,
    /// Anthropic (`/v1/messages`).
    Anthropic,
}

impl GatewayError {
    /// HTTP status for the client.
    pub fn status(&self) -> StatusCode {
        match self {
            GatewayError::Unauthorized => StatusCode::UNAUTHORIZED,
            GatewayError::ModelNotAllowed(_) | GatewayError::KeyBlocked(_) => StatusCode::FORBIDDEN,
            GatewayError::BadRequest(_) | GatewayError::Blocked { .. } => StatusCode::BAD_REQUEST,
            GatewayError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            GatewayError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            GatewayError::NoRoute(_) => StatusCode::NOT_FOUND,
            GatewayError::UpstreamTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            GatewayError::Upstream { .. } => StatusCode::BAD_GATEWAY,
            GatewayError::Counters(_) => StatusCode::SERVICE_UNAVAILABLE,
            GatewayError::Config { .. } | GatewayError::GuardFailed | GatewayError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            GatewayError::Config { .. } => "gateway_misconfigured",
            GatewayError::Unauthorized => "invalid_api_key",
            GatewayError::ModelNotAllowed(_) => "model_not_allowed",
            GatewayError::BadRequest(_) => "invalid_request",
            GatewayError::TooLarge(_) => "request_too_large",
            GatewayError::Blocked { .. } => "content_blocked",
            GatewayError::RateLimited { .. } => "rate_limit_exceeded",
            GatewayError::KeyBlocked(_) => "key_blocked",
            GatewayError::NoRoute(_) => "model_not_found",
            GatewayError::UpstreamTimeout { .. } => "upstream_timeout",
            GatewayError::Upstream { .. } => "upstream_error",
            GatewayError::GuardFailed => "guard_failed",
            GatewayError::Counters(_) => "counters_unavailable",
            GatewayError::Internal(_) => "internal_error",
        }
    }

    /// OpenAI error `type`.
    fn openai_type(&self) -> &'static str {
        match self.status().as_u16() {
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            429 => "rate_limit_error",
            400 | 413 => "invalid_request_error",
            _ => "api_error",
        }
    }

    /// The message shown to the client (internal details withheld).
    fn public_message(&self) -> String {
        match self {
            GatewayError::Config { .. } | GatewayError::Internal(_) => {
                "internal gateway error (details in the gateway log)".to_string()
            }
            GatewayError::Counters(_) => "rate-limit backend unavailable".to_string(),
            other => other.to_string(),
        }
    }

    /// The JSON error body in the client's dialect.
    pub fn body(&self, dialect: Dialect) -> serde_json::Value {
        let message = self.public_message();
        match dialect {
            Dialect::OpenAi => serde_json::json!({
                "error": {
                    "message": message,
                    "type": self.openai_type(),
                    "param": null,
                    "code": self.code(),
                }
            }),
            Dialect::Anthropic => serde_json::json!({
                "type": "error",
                "error": { "type": self.openai_type(), "message": message },
            }),
        }
    }

    /// The full HTTP response in the client's dialect (with `Retry-After` on 429).
    pub fn into_response_for(self, dialect: Dialect) -> Response {
        if matches!(
            self,
            GatewayError::Config { .. } | GatewayError::Internal(_)
        ) {
            tracing::error!(error = %self, "Gateway internal error");
        }
        let mut resp = (self.status(), axum::Json(self.body(dialect))).into_response();
        if let GatewayError::RateLimited {
            retry_after_secs, ..
        } = self
        {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
        }
        resp
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        self.into_response_for(Dialect::OpenAi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_the_openai_and_anthropic_shapes() {
        let e = GatewayError::Blocked {
            rules: "PI001".into(),
        };
        let b = e.body(Dialect::OpenAi);
        assert_eq!(b["error"]["code"], "content_blocked");
        assert_eq!(b["error"]["type"], "invalid_request_error");
        assert!(b["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("PI001"));
        let a = e.body(Dialect::Anthropic);
        assert_eq!(a["type"], "error");
        assert_eq!(a["error"]["type"], "invalid_request_error");
        let internal = GatewayError::Internal("secret detail".into()).body(Dialect::OpenAi);
        assert!(!internal.to_string().contains("secret detail"));
        let r = GatewayError::RateLimited {
            what: "requests",
            retry_after_secs: 3,
        }
        .into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["retry-after"], "3");
    }
}
