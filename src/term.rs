//! How messages reach the terminal: `error:` and `warning:` prefixes on
//! stderr, in colour only on a terminal and never with NO_COLOR.

use std::io::IsTerminal;

/// Whether stderr gets colour.
pub fn colour() -> bool {
    wants_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR"),
    )
}

/// Colour on a terminal unless NO_COLOR is set to anything non-empty
/// (the no-color.org rule).
pub fn wants_colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// `error:` in bold red when colour is on.
pub fn error_label(colour: bool) -> &'static str {
    if colour {
        "\x1b[1;31merror:\x1b[0m"
    } else {
        "error:"
    }
}

/// `warning:` in bold yellow when colour is on.
pub fn warning_label(colour: bool) -> &'static str {
    if colour {
        "\x1b[1;33mwarning:\x1b[0m"
    } else {
        "warning:"
    }
}

/// Another program's words as one line a terminal shows as they are:
/// control characters (escapes, carriage returns, newlines) become `?`,
/// and more than `most` characters are cut with `...`.
pub fn printable(text: &str, most: usize) -> String {
    let mut out: String = text
        .chars()
        .take(most)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(most).is_some() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        assert!(wants_colour(true, None));
        assert!(!wants_colour(false, None));
        assert!(!wants_colour(true, Some("1".into())));
        assert!(wants_colour(true, Some("".into())));
        assert_eq!(error_label(false), "error:");
        assert!(warning_label(true).contains("\x1b[1;33m"));
    }
}
