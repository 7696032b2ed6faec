use sea_orm::{DbErr, RuntimeErr, SqlErr, TransactionError};

/// What can go wrong in a repository, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write; the text names
    /// the constraint, never the values.
    #[error("conflict with existing data")]
    Conflict,
    #[error("the record was changed by someone else")]
    StaleVersion,
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    /// The database cannot be reached right now; worth retrying later.
    #[error("database unavailable")]
    Unavailable(#[source] DbErr),
    #[error("database error")]
    Database(#[source] DbErr),
}

impl RepoError {
    /// What a log line may say about this error: its kind and, for an error
    /// the database returned, the SQLSTATE (PostgreSQL) or result code
    /// (SQLite) and the constraint class. Never the database's message:
    /// PostgreSQL's detail "Failing row contains (...)" and a trigger's
    /// `RAISE` text quote the row, that is a person's data.
    pub fn log_class(&self) -> String {
        match self {
            RepoError::NotFound => "not found".into(),
            RepoError::Conflict => "conflict".into(),
            RepoError::StaleVersion => "stale version".into(),
            RepoError::Corrupt(_) => "corrupt stored data".into(),
            RepoError::Unavailable(err) => format!("unavailable: {}", db_err_class(err)),
            RepoError::Database(err) => db_err_class(err),
        }
    }
}

/// The class of a database error found anywhere in a cause chain (a
/// [`RepoError`] or a bare [`DbErr`]), for a log line; `None` for errors that
/// are not the database's.
pub fn error_class(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(repo) = err.downcast_ref::<RepoError>() {
        return Some(repo.log_class());
    }
    err.downcast_ref::<DbErr>().map(db_err_class)
}

/// The class of a database error, without its message text; see
/// [`RepoError::log_class`].
pub fn db_err_class(err: &DbErr) -> String {
    let runtime = |kind: &str, err: &RuntimeErr| match err {
        RuntimeErr::SqlxError(e) => format!("{kind}: {}", sqlx_class(e)),
        RuntimeErr::Internal(_) => format!("{kind}: sea-orm internal"),
    };
    match err {
        DbErr::ConnectionAcquire(_) => "connection acquire".into(),
        DbErr::Conn(e) => runtime("connection", e),
        DbErr::Exec(e) => runtime("exec", e),
        DbErr::Query(e) => runtime("query", e),
        DbErr::RecordNotFound(_) => "record not found".into(),
        DbErr::RecordNotInserted => "record not inserted".into(),
        DbErr::RecordNotUpdated => "record not updated".into(),
        DbErr::Type(_) | DbErr::TryIntoErr { .. } | DbErr::Json(_) => "type conversion".into(),
        DbErr::Migration(_) => "migration".into(),
        _ => "other".into(),
    }
}

fn sqlx_class(err: &sea_orm::sqlx::Error) -> String {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::sqlx::error::ErrorKind;
    match err {
        Sqlx::Database(db) => {
            let kind = match db.kind() {
                ErrorKind::UniqueViolation => "unique violation",
                ErrorKind::ForeignKeyViolation => "foreign key violation",
                ErrorKind::NotNullViolation => "not null violation",
                ErrorKind::CheckViolation => "check violation",
                ErrorKind::ExclusionViolation => "exclusion violation",
                _ => "database error",
            };
            match db.code() {
                Some(code) => format!("{kind} (SQLSTATE {code})"),
                None => kind.to_owned(),
            }
        }
        Sqlx::Io(_) => "i/o".into(),
        Sqlx::Tls(_) => "tls".into(),
        Sqlx::Protocol(_) => "protocol".into(),
        Sqlx::PoolTimedOut => "pool timed out".into(),
        Sqlx::PoolClosed => "pool closed".into(),
        Sqlx::WorkerCrashed => "worker crashed".into(),
        Sqlx::RowNotFound => "row not found".into(),
        Sqlx::ColumnDecode { .. } | Sqlx::Decode(_) | Sqlx::Encode(_) => "decode".into(),
        _ => "driver error".into(),
    }
}

impl From<DbErr> for RepoError {
    fn from(err: DbErr) -> Self {
        if let Some(
            SqlErr::UniqueConstraintViolation(_) | SqlErr::ForeignKeyConstraintViolation(_),
        ) = err.sql_err()
        {
            return RepoError::Conflict;
        }
        if is_unavailable(&err) {
            // Every connection is pinged for a while now: the others of
            // the pool are likely dead too (ADR 0023).
            crate::outages::seen();
            return RepoError::Unavailable(err);
        }
        RepoError::Database(err)
    }
}

impl From<TransactionError<RepoError>> for RepoError {
    fn from(err: TransactionError<RepoError>) -> Self {
        match err {
            TransactionError::Transaction(inner) => inner,
            TransactionError::Connection(db) => db.into(),
        }
    }
}

fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match &**e {
                Sqlx::Io(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::Tls(_)
                | Sqlx::Protocol(_)
                | Sqlx::WorkerCrashed => true,
                Sqlx::Database(db) => db.code().is_some_and(|code| is_outage_state(&code)),
                _ => false,
            }
        }
        _ => false,
    }
}

/// SQLSTATEs of a server going away or not yet back: class 08 (connection
/// exception) and class 57 (operator intervention: 57P01 shut down by the
/// administrator, 57P02 crash, 57P03 still starting up). A PostgreSQL
/// restart ends every open connection with one of these.
fn is_outage_state(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("57")
}

#[cfg(test)]
mod tests {
    use super::is_outage_state;

    #[test]
    fn a_server_shutting_down_or_starting_is_an_outage() {
        for code in ["57P01", "57P02", "57P03", "08006", "08001"] {
            assert!(is_outage_state(code), "{code}");
        }
        // A constraint or a syntax error is not.
        for code in ["23505", "42601", "40001"] {
            assert!(!is_outage_state(code), "{code}");
        }
    }
}
