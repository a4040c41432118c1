//! The one error type of FitKart. Every variant carries the stable, machine-readable `code`
//! of openapi.yaml; `crate::http::problem` turns it into an RFC 9457 response in one place.

use std::time::Duration;

use crate::i18n::{Locale, Text};

/// One reason a request was rejected, tied to the JSON path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body is not JSON at all (syntax, truncation, wrong content).
    #[error("malformed request: {0}")]
    BadRequest(String),
    /// Well-formed input that breaks the contract; every reason is collected.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("authentication required")]
    Unauthorized,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    #[error("invalid id token")]
    InvalidIdToken,
    /// A webhook whose signature header is missing or does not match its body.
    #[error("invalid webhook signature")]
    InvalidSignature,
    #[error("forbidden")]
    Forbidden,
    /// A refusal with its own stable code (`email_unverified`, `self_action`...).
    #[error("{detail}")]
    Denied { code: &'static str, detail: Text },
    #[error("not found")]
    NotFound,
    /// A path the API has, asked with a method it does not have; `allow` lists the ones it
    /// has (the `Allow` header).
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<String> },
    /// A business conflict with its own stable code (`email_taken`, `insufficient_coins`...).
    #[error("{detail}")]
    Conflict { code: &'static str, detail: Text },
    /// A semantic refusal that is not about one field (`idempotency_key_reused`).
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: Text },
    #[error("too many requests")]
    TooManyRequests { retry_after: Duration },
    /// A dependency (Postgres, SQS, a JWKS endpoint) cannot be reached right now: `503`
    /// with `retry-after`, retried by queue consumers in place. Never a bug.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything unexpected. The cause is logged with the request id, never shown.
    // The cause is the source, so the logged chain names it once.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Internal(e.into())
    }

    /// A business conflict; `detail` is the catalog message a walker reads.
    pub fn conflict(code: &'static str, detail: Text) -> Self {
        Error::Conflict { code, detail }
    }

    pub fn denied(code: &'static str, detail: Text) -> Self {
        Error::Denied { code, detail }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldError::new(field, message)])
    }

    /// The stable, machine-readable `code` of the problem (openapi.yaml's `Problem`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad_request",
            Error::Validation(_) => "validation_failed",
            Error::PayloadTooLarge => "payload_too_large",
            Error::Unauthorized => "unauthorized",
            Error::InvalidCredentials => "invalid_credentials",
            Error::InvalidRefreshToken => "invalid_refresh_token",
            Error::InvalidIdToken => "invalid_id_token",
            Error::InvalidSignature => "invalid_signature",
            Error::Forbidden => "forbidden",
            Error::NotFound => "not_found",
            Error::MethodNotAllowed { .. } => "method_not_allowed",
            Error::Conflict { code, .. }
            | Error::Unprocessable { code, .. }
            | Error::Denied { code, .. } => code,
            Error::TooManyRequests { .. } => "too_many_requests",
            Error::Unavailable(_) => "service_unavailable",
            Error::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Error::BadRequest(_) => 400,
            Error::Unauthorized
            | Error::InvalidCredentials
            | Error::InvalidRefreshToken
            | Error::InvalidIdToken
            | Error::InvalidSignature => 401,
            Error::Forbidden | Error::Denied { .. } => 403,
            Error::NotFound => 404,
            Error::MethodNotAllowed { .. } => 405,
            Error::Conflict { .. } => 409,
            Error::PayloadTooLarge => 413,
            Error::Validation(_) | Error::Unprocessable { .. } => 422,
            Error::TooManyRequests { .. } => 429,
            Error::Internal(_) => 500,
            Error::Unavailable(_) => 503,
        }
    }

    /// Whether trying the same thing again a little later may succeed (an outage).
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Unavailable(_))
    }

    /// Logs the failure: server-side ones with their whole cause chain (never shown to the
    /// client), client errors only by code.
    pub fn log(&self) {
        if self.status() >= 500 {
            let mut chain = self.to_string();
            let mut source = std::error::Error::source(self);
            while let Some(cause) = source {
                chain.push_str(": ");
                chain.push_str(&cause.to_string());
                source = cause.source();
            }
            if self.is_transient() {
                // An outage is not a bug: it is logged, but not as an error to page on.
                tracing::warn!(code = self.code(), error = %chain, "request failed: a dependency is unavailable");
            } else {
                tracing::error!(code = self.code(), error = %chain, "request failed");
            }
        } else {
            tracing::info!(code = self.code(), "request refused");
        }
    }

    /// What the client is told, in English (logs, event results). Internal causes are
    /// never part of it.
    pub fn detail(&self) -> String {
        self.detail_text().render(Locale::En)
    }

    /// The `detail` of the problem as a catalog message, for the caller's locale.
    pub fn detail_text(&self) -> Text {
        match self {
            Error::BadRequest(reason) => {
                Text::new("problem-bad-request").arg("reason", reason.as_str())
            }
            Error::Validation(_) => Text::new("problem-validation-failed"),
            Error::PayloadTooLarge => Text::new("problem-payload-too-large"),
            Error::Unauthorized => Text::new("problem-unauthorized"),
            Error::InvalidCredentials => Text::new("problem-invalid-credentials"),
            Error::InvalidRefreshToken => Text::new("problem-invalid-refresh-token"),
            Error::InvalidIdToken => Text::new("problem-invalid-id-token"),
            Error::InvalidSignature => Text::new("problem-invalid-signature"),
            Error::Forbidden => Text::new("problem-forbidden"),
            Error::NotFound => Text::new("problem-not-found"),
            Error::MethodNotAllowed { allow } => {
                Text::new("problem-method-not-allowed").arg("allow", allow.join(", "))
            }
            Error::Conflict { detail, .. }
            | Error::Unprocessable { detail, .. }
            | Error::Denied { detail, .. } => detail.clone(),
            Error::TooManyRequests { retry_after } => {
                Text::new("problem-too-many-requests").arg("seconds", retry_after.as_secs().max(1))
            }
            Error::Unavailable(_) => Text::new("problem-service-unavailable"),
            Error::Internal(_) => Text::new("problem-internal"),
        }
    }
}

/// A database constraint whose violation is a refusal a person can act on (a business
/// conflict, a bad value), not a bug. Each area declares its own (`CONSTRAINTS` in
/// `users`, `ledger`, `rewards`, `steps`); the crate root gathers them, so a handler
/// never matches on SQL error text and this module names no area's tables.
pub struct Constraint {
    pub name: &'static str,
    pub refusal: fn() -> Error,
}

fn constraint_error(name: &str) -> Option<Error> {
    crate::CONSTRAINTS
        .iter()
        .flat_map(|area| area.iter())
        .find(|c| c.name == name)
        .map(|c| (c.refusal)())
}

/// SQLSTATEs that say the database is (briefly) not there for us, not that we asked
/// something wrong: the connection was lost or refused (class 08), the server is shutting
/// down or starting (57P01-57P03: a restart, a failover), out of connections (53300), or
/// the transaction lost a race it can simply run again (40001 serialization failure,
/// 40P01 deadlock). A retry later succeeds; a person need not look.
/// The SQLSTATE `live_caller` (migration `live_caller`) raises for a token whose account
/// is gone, inactive or at another credential version.
const LIVE_CALLER_REFUSED: &str = "FK401";

fn transient_sqlstate(code: &str) -> bool {
    code.starts_with("08")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01"
        )
}

/// An internal database error with the place in the code that ran the statement: `?`
/// passes its own location to `From::from` (`#[track_caller]`), so every area's
/// statements name themselves in the log ("the statement at
/// shared/src/orders/place.rs:88: deadlock detected") without a wrapper at each call.
#[derive(Debug, thiserror::Error)]
#[error("the statement at {at}")]
struct StatementError {
    at: &'static std::panic::Location<'static>,
    #[source]
    source: sqlx::Error,
}

impl From<sqlx::Error> for Error {
    #[track_caller]
    fn from(e: sqlx::Error) -> Self {
        let at = std::panic::Location::caller();
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Error::Unavailable(e.to_string()),
            // `live_caller` refused the token's account (see `auth::begin_as`).
            sqlx::Error::Database(db) if db.code().as_deref() == Some(LIVE_CALLER_REFUSED) => {
                Error::Unauthorized
            }
            sqlx::Error::Database(db) if db.code().is_some_and(|c| transient_sqlstate(&c)) => {
                Error::Unavailable(e.to_string())
            }
            // Postgres text cannot hold NUL (valid JSON can): whichever field carried it,
            // the request is refused as input and its statement changed nothing.
            sqlx::Error::Database(db)
                if db.code().as_deref() == Some("22021")
                    || db.code().as_deref() == Some("22P05") =>
            {
                Error::invalid("body", "text must not contain the NUL character (\\u0000)")
            }
            sqlx::Error::Database(db) => db
                .constraint()
                .and_then(constraint_error)
                .unwrap_or_else(|| Error::internal(StatementError { at, source: e })),
            _ => Error::internal(StatementError { at, source: e }),
        }
    }
}

/// A database error with what the statement was doing: an internal error then says which
/// statement failed ("publishing the board's moved totals: deadlock detected"), while
/// refusals (a constraint, an outage) keep their meaning.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
struct DuringError {
    what: &'static str,
    #[source]
    source: StatementError,
}

/// `.during("what the statement does")` on a database call.
pub trait During<T> {
    fn during(self, what: &'static str) -> Result<T>;
}

impl<T> During<T> for std::result::Result<T, sqlx::Error> {
    #[track_caller]
    fn during(self, what: &'static str) -> Result<T> {
        let at = std::panic::Location::caller();
        self.map_err(|source| match Error::from(source) {
            Error::Internal(cause) => match cause.downcast::<StatementError>() {
                Ok(statement) => Error::Internal(Box::new(DuringError {
                    what,
                    source: StatementError {
                        at,
                        source: statement.source,
                    },
                })),
                Err(other) => Error::Internal(other),
            },
            refusal => refusal,
        })
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_database_error_says_what_the_statement_was_doing() {
        let failed: std::result::Result<(), sqlx::Error> = Err(sqlx::Error::RowNotFound);
        let err = failed
            .during("publishing the board's moved totals")
            .unwrap_err();
        let mut chain = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        assert!(
            chain.contains(
                "publishing the board's moved totals: the statement at shared/src/error.rs:"
            ),
            "{chain}"
        );
        assert!(
            chain.ends_with("no rows returned by a query that expected to return at least one row"),
            "{chain}"
        );
        // Without a word, `?` alone names the line of the statement.
        fn run() -> Result<()> {
            Err(sqlx::Error::RowNotFound)?;
            Ok(())
        }
        let err = run().unwrap_err();
        let line = line!() - 4;
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert_eq!(
            cause,
            format!("the statement at shared/src/error.rs:{line}:13")
        );
        // An outage stays an outage.
        let out: std::result::Result<(), sqlx::Error> = Err(sqlx::Error::PoolTimedOut);
        assert!(out.during("anything").unwrap_err().is_transient());
    }
}
