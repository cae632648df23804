//! What a run reports about a host's settings: a value that cannot be
//! used, or a rule of `check` that the values break. Each finding names
//! the variables involved with their values and sources, says what is
//! wrong, and how to mend it.

use std::fmt;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a host's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// The variables involved, with their values and sources.
    pub subject: String,
    pub problem: String,
    /// What else explains it (a misspelt name that meant to set a value).
    pub notes: Vec<String>,
    pub fix: String,
}

impl Finding {
    /// An error.
    pub fn error(subject: String, problem: String, fix: String) -> Finding {
        Finding {
            severity: Severity::Error,
            subject,
            problem,
            notes: Vec::new(),
            fix,
        }
    }

    /// A warning.
    pub fn warning(subject: String, problem: String, fix: String) -> Finding {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(subject, problem, fix)
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.problem)?;
        for note in &self.notes {
            write!(f, "\n  note: {note}")?;
        }
        write!(f, "\n  fix: {}", self.fix)
    }
}
