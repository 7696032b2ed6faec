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

impl From<DbErr> for RepoError {
    fn from(err: DbErr) -> Self {
        if let Some(
            SqlErr::UniqueConstraintViolation(_) | SqlErr::ForeignKeyConstraintViolation(_),
        ) = err.sql_err()
        {
            return RepoError::Conflict;
        }
        if is_unavailable(&err) {
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
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => matches!(
            **e,
            Sqlx::Io(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::Tls(_)
                | Sqlx::Protocol(_)
                | Sqlx::WorkerCrashed
        ),
        _ => false,
    }
}
