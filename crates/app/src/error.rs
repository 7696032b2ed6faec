//! What a use case can answer instead of its result. Each variant is a case
//! a front end shows differently (the API as a problem+json status, the web
//! application as a message or a field error); none carries personal data.

use kartei_domain::Denied;
use kartei_persistence::RepoError;

use serde::Serialize;

/// One invalid field of an input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// In a CSV import: the data row (1 is the first row after the header;
    /// 0 the header itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl ToString) -> Self {
        FieldError {
            row: None,
            field: field.into(),
            message: message.to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The role may never do this (403), or the subject lies outside the
    /// actor's scope and must look as if it did not exist (404).
    #[error(transparent)]
    Denied(#[from] Denied),
    /// No live session, or wrong credentials; the answer does not say which.
    #[error("authentication required")]
    Unauthenticated,
    /// Too many failed logins from this account or address.
    #[error("too many attempts")]
    TooManyAttempts { retry_after: std::time::Duration },
    #[error("not found")]
    NotFound,
    /// The request is well formed but the current state refuses it.
    #[error("{0}")]
    Conflict(String),
    /// One or more fields of the input break a rule.
    #[error("validation failed")]
    Invalid(Vec<FieldError>),
    /// The subject changed since the version the caller edited.
    #[error("the record was changed by someone else")]
    Stale,
    /// A CSV import with more data rows than `import.max_rows`.
    #[error("too many rows")]
    TooManyRows { max_rows: usize },
    /// The database cannot be reached right now; worth retrying.
    #[error("database unavailable")]
    Unavailable(#[source] RepoError),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl ToString) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(err.into())
    }

    /// What a log line may say about this error: see [`log_class_of`].
    pub fn log_class(&self) -> String {
        match self {
            AppError::Internal(err) => log_class_of(err),
            AppError::Unavailable(err) => err.log_class(),
            other => other.to_string(),
        }
    }
}

/// What a log line may say about a server fault. A database error anywhere
/// in the cause chain is told by class only (`RepoError::log_class`):
/// PostgreSQL's "Failing row contains (...)" and a trigger's message carry
/// a person's data. Other faults are kartei's own messages (a broken
/// invariant, a chart that could not be drawn) and keep their chain.
pub fn log_class_of(err: &anyhow::Error) -> String {
    err.chain()
        .find_map(kartei_persistence::error_class)
        .unwrap_or_else(|| format!("{err:#}"))
}

impl From<RepoError> for AppError {
    fn from(err: RepoError) -> Self {
        match err {
            RepoError::NotFound => AppError::NotFound,
            RepoError::Conflict => AppError::Conflict("This conflicts with existing data.".into()),
            RepoError::StaleVersion => AppError::Stale,
            err @ RepoError::Unavailable(_) => AppError::Unavailable(err),
            err @ (RepoError::Corrupt(_) | RepoError::Database(_)) => AppError::internal(err),
        }
    }
}
