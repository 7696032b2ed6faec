//! Collects every invalid field of a request, so that one 422 names them all.

use std::fmt::Display;

use crate::error::{AppError, FieldError};

#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    pub fn new() -> Self {
        Checks::default()
    }

    /// Keeps the value of a successful parse; records the error of a failed one.
    pub fn field<T, E: Display>(&mut self, name: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.errors.push(FieldError::new(name, err));
                None
            }
        }
    }

    pub fn fail(&mut self, name: &str, message: impl Display) {
        self.errors.push(FieldError::new(name, message));
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors found, for callers that report them in their own shape.
    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.errors))
        }
    }
}
