//! How far a running import is, for a page that shows it meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Counters that a running import advances and any other task may read:
/// share one in an `Arc`, hand it to one [`super::import`], and read
/// [`ImportProgress::counts`] while that runs. Each update is one atomic
/// addition, no lock.
///
/// The rows written are in the import's transaction: they become members
/// when it commits, and none of them does if it fails.
#[derive(Debug, Default)]
pub struct ImportProgress {
    total_rows: AtomicUsize,
    rows_checked: AtomicUsize,
    rows_written: AtomicUsize,
}

/// One reading of an [`ImportProgress`]; `total_rows` is 0 until the file
/// has been counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportCounts {
    pub total_rows: usize,
    pub rows_checked: usize,
    pub rows_written: usize,
}

impl ImportProgress {
    pub fn new() -> Self {
        ImportProgress::default()
    }

    /// The counters now, always with `rows_written <= rows_checked <=
    /// total_rows`.
    pub fn counts(&self) -> ImportCounts {
        // The import sets the total, then checks every row, then writes
        // them. Read in the opposite order, each load acquiring what the
        // update it sees released, no count can outrun the one before it.
        let rows_written = self.rows_written.load(Ordering::Acquire);
        let rows_checked = self.rows_checked.load(Ordering::Acquire);
        let total_rows = self.total_rows.load(Ordering::Acquire);
        ImportCounts {
            total_rows,
            rows_checked,
            rows_written,
        }
    }

    pub(super) fn counted(&self, rows: usize) {
        self.total_rows.store(rows, Ordering::Release);
    }

    pub(super) fn checked_one(&self) {
        self.rows_checked.fetch_add(1, Ordering::Release);
    }

    pub(super) fn wrote(&self, rows: usize) {
        self.rows_written.fetch_add(rows, Ordering::Release);
    }
}
