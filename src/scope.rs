//! The bottom floor of resolution: what a derivation of the variable table
//! and a daemon's command-line builder may read. It knows no module above
//! it; `settings` provides the values, `vars` and `params` read them.

/// The variables resolved so far, by name.
pub trait Lookup {
    /// The value as text (empty for an empty value).
    fn text(&self, name: &str) -> String;

    /// Whether a boolean variable is true.
    fn flag(&self, name: &str) -> bool;

    /// Whether the environment, a file or a flag set the variable.
    fn is_set_by_user(&self, name: &str) -> bool;
}
