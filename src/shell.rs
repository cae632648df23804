//! Reads shell-style assignment files (`restricted/common`, `host`,
//! `overwrite`, `/etc/default/panteras`) the way `sh` would assign them,
//! without ever executing anything.
//!
//! Accepted: `KEY=value`, `KEY="value"`, `KEY='value'`, concatenations of
//! those, `export KEY=value`, `export KEY`, comments, blank lines, and
//! `$VAR` / `${VAR}` expanding to a value defined earlier. Everything else a
//! shell would act on (command substitution, `;`, redirections, other
//! parameter expansions, tilde expansion) is refused with the reason.

use std::collections::HashMap;

/// The longest value panteras takes: Linux refuses to start a program
/// with an environment string (`NAME=value`) of more than 128 KiB.
pub const MAX_VALUE: usize = 128 * 1024 - 1;

/// The most a file's values may hold together, once expanded.
pub const MAX_TOTAL: usize = 16 * 1024 * 1024;

/// One assignment read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub name: String,
    pub value: String,
    /// 1-based line number.
    pub line: usize,
}

/// A line that cannot be read: its 1-based number, the 1-based column
/// (in characters) where the problem is when there is one, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub column: Option<usize>,
    pub message: String,
}

/// Reads every assignment of `text` in order, or reports every line that
/// cannot be read. `lookup` answers `$VAR` references to values set
/// before this file; assignments earlier in the same file take precedence
/// over it. A carriage return at the end of a line is dropped, so a file
/// with Windows line ends reads as its author meant.
pub fn parse<'a>(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<&'a str>,
) -> Result<Vec<Assignment>, Vec<LineError>> {
    let mut out: Vec<Assignment> = Vec::new();
    let mut latest: HashMap<String, usize> = HashMap::new();
    let mut refused: HashMap<String, ()> = HashMap::new();
    let mut errors = Vec::new();
    let mut total = 0usize;
    for (index, raw) in text.split('\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Err((column, message)) = check_characters(raw, line) {
            errors.push(LineError {
                line,
                column: Some(column),
                message,
            });
            if let Some(name) = assigned_name(raw) {
                refused.insert(name, ());
            }
            continue;
        }
        let parsed = {
            let earlier = |name: &str| -> Option<&str> {
                match latest.get(name) {
                    Some(&i) => Some(out[i].value.as_str()),
                    // A name whose line was refused reads as empty, so that
                    // its line is reported and not every reference to it.
                    None if refused.contains_key(name) => Some(""),
                    None => lookup(name),
                }
            };
            parse_line(raw, &earlier)
        };
        match parsed {
            Ok(Some((name, value))) => {
                total += value.len();
                if total > MAX_TOTAL {
                    errors.push(LineError {
                        line,
                        column: None,
                        message: format!(
                            "the values of this file hold more than {} MiB once expanded",
                            MAX_TOTAL >> 20
                        ),
                    });
                    break;
                }
                latest.insert(name.clone(), out.len());
                out.push(Assignment { name, value, line });
            }
            Ok(None) => {}
            Err(message) => {
                if let Some(name) = assigned_name(raw) {
                    refused.insert(name, ());
                }
                errors.push(LineError {
                    line,
                    column: None,
                    message,
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The name a line would assign, when it starts like an assignment.
/// The name a line assigns, when it is an assignment.
pub fn assigned_name(line: &str) -> Option<String> {
    let rest = line.trim_start_matches(BLANKS);
    let rest = rest
        .strip_prefix("export")
        .filter(|r| r.starts_with(BLANKS))
        .map_or(rest, |r| r.trim_start_matches(BLANKS));
    let (name, _) = rest.split_once('=')?;
    is_name(name).then(|| name.to_string())
}

/// The only characters the shell takes as blanks between words.
const BLANKS: [char; 2] = [' ', '\t'];

/// Refuses the characters that bash does not read as they look: a byte
/// order mark, NUL and other control characters anywhere, and, outside
/// quotes, blanks other than space and tab (no-break space, em space, line
/// separator, ...), which bash takes as part of a word. Returns the
/// 1-based column and the reason.
fn check_characters(line: &str, number: usize) -> Result<(), (usize, String)> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut previous: Option<char> = None;
    for (index, c) in line.chars().enumerate() {
        let before = previous.replace(c);
        let column = index + 1;
        if c == '\u{feff}' {
            let place = if number == 1 && index == 0 {
                "a UTF-8 byte order mark (U+FEFF) starts the file"
            } else {
                "a byte order mark (U+FEFF)"
            };
            return Err((
                column,
                format!(
                    "{place}: bash would read it as part of the text; save the file without it"
                ),
            ));
        }
        if c == '\0' {
            return Err((
                column,
                "a NUL byte (U+0000): not text a shell can read".into(),
            ));
        }
        if c.is_control() && c != '\t' {
            let what = match c {
                '\r' => "a carriage return (U+000D) inside the line".to_string(),
                _ => format!("the control character U+{:04X}", c as u32),
            };
            return Err((
                column,
                format!("{what}: write values with visible characters only"),
            ));
        }
        if quote.is_none() && !escaped && c.is_whitespace() && !BLANKS.contains(&c) {
            return Err((
                column,
                format!(
                    "U+{:04X} is not a blank for the shell (only space and tab are): bash would \
                     take it as part of a word; replace it with a space",
                    c as u32
                ),
            ));
        }
        match (quote, c) {
            (None, '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (None, '#') if !escaped && before.is_none_or(|p| BLANKS.contains(&p)) => {
                return Ok(());
            }
            (None, '\'' | '"') if !escaped => quote = Some(c),
            (Some('"'), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !(q == '"' && escaped) => quote = None,
            _ => {}
        }
        escaped = false;
    }
    Ok(())
}

/// Reads one line: `None` for blank, comment and bare `export KEY` lines.
pub fn parse_line<'a>(
    line: &str,
    lookup: &dyn Fn(&str) -> Option<&'a str>,
) -> Result<Option<(String, String)>, String> {
    let mut rest = line.trim_start_matches(BLANKS);
    if rest.is_empty() || rest.starts_with('#') {
        return Ok(None);
    }
    let mut exported = false;
    if let Some(after) = rest.strip_prefix("export")
        && after.starts_with(BLANKS)
    {
        rest = after.trim_start_matches(BLANKS);
        exported = true;
    }
    let name_len = rest
        .char_indices()
        .find(|&(i, c)| !(c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(rest.len(), |(i, _)| i);
    let (name, after_name) = rest.split_at(name_len);
    if name.is_empty() {
        return Err("expected an assignment such as KEY=value".into());
    }
    let Some(value_text) = after_name.strip_prefix('=') else {
        if exported && only_names(rest) {
            return Ok(None);
        }
        return Err(format!(
            "expected an assignment such as {}=value; commands and other shell syntax are not run",
            name
        ));
    };
    let value = parse_word(value_text, lookup).map_err(|why| format!("{name}: {why}"))?;
    Ok(Some((name.to_string(), value)))
}

fn only_names(text: &str) -> bool {
    text.split(BLANKS).filter(|w| !w.is_empty()).all(is_name) && !text.starts_with('#')
}

/// Reads the value word after `=`, up to a blank and an optional comment.
fn parse_word<'a>(text: &str, lookup: &dyn Fn(&str) -> Option<&'a str>) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    let mut previous_unquoted: Option<char> = None;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                let rest: String = chars.collect();
                let rest = rest.trim_start_matches(BLANKS);
                if rest.is_empty() || rest.starts_with('#') {
                    return Ok(out);
                }
                return Err(
                    "unexpected text after the value; put values with blanks in quotes".into(),
                );
            }
            '\'' => {
                let mut closed = false;
                for q in chars.by_ref() {
                    if q == '\'' {
                        closed = true;
                        break;
                    }
                    out.push(q);
                }
                if !closed {
                    return Err("unterminated single quote (values must fit on one line)".into());
                }
            }
            '"' => {
                let mut closed = false;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.next() {
                            Some(e @ ('$' | '`' | '"' | '\\')) => out.push(e),
                            Some(e) => {
                                out.push('\\');
                                out.push(e);
                            }
                            None => return Err("line continuation is not supported".into()),
                        },
                        '$' => expand(&mut chars, lookup, &mut out, true)?,
                        '`' => return Err(command_substitution()),
                        _ => out.push(q),
                    }
                }
                if !closed {
                    return Err("unterminated double quote (values must fit on one line)".into());
                }
            }
            '\\' => match chars.next() {
                Some(e) => out.push(e),
                None => return Err("line continuation is not supported".into()),
            },
            '$' => expand(&mut chars, lookup, &mut out, false)?,
            '`' => return Err(command_substitution()),
            ';' | '&' | '|' | '<' | '>' | '(' | ')' => {
                return Err(format!(
                    "`{c}` is shell syntax; put the value in quotes if it is part of it"
                ));
            }
            '~' if at_start || previous_unquoted == Some(':') => {
                return Err("`~` would be expanded by the shell; write the full path".into());
            }
            _ => out.push(c),
        }
        if out.len() > MAX_VALUE {
            return Err(format!(
                "the value is longer than {} KiB: Linux starts no program with an \
                 environment value that long",
                (MAX_VALUE + 1) >> 10
            ));
        }
        previous_unquoted = Some(c);
        at_start = false;
    }
    Ok(out)
}

/// What to write instead of a line refused for a command substitution
/// (`IP=$(hostname -I)`): the value itself, or the flag that sets it.
pub fn fix(line: &str, message: &str) -> Option<String> {
    if !message.ends_with(&command_substitution()) {
        return None;
    }
    let name = assigned_name(line)?;
    Some(match name.as_str() {
        "IP" => "write the address itself (IP=10.0.0.5), or pass --ip".into(),
        "LISTEN_IP" => "write the address itself (LISTEN_IP=10.0.0.5), or pass --listen-ip".into(),
        "HOST_IP" | "CONSUL_IP" | "KEEPALIVED_VIP" => {
            format!("write the address itself ({name}=10.0.0.5)")
        }
        "HOSTNAME" | "FQDN" => {
            format!("write the name itself, or leave {name} out: panteras reads the machine's own")
        }
        _ => format!("write the value itself ({name}=...): panteras runs no command"),
    })
}

fn command_substitution() -> String {
    "command substitution is not allowed: panteras never runs commands from its input".into()
}

fn expand<'a>(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    lookup: &dyn Fn(&str) -> Option<&'a str>,
    out: &mut String,
    quoted: bool,
) -> Result<(), String> {
    let name = match chars.peek().copied() {
        Some('(') => return Err(command_substitution()),
        Some('{') => {
            chars.next();
            let mut name = String::new();
            loop {
                match chars.next() {
                    Some('}') => break,
                    Some(c) if c == '_' || c.is_ascii_alphanumeric() => name.push(c),
                    Some(_) => {
                        return Err(
                            "only $NAME and ${NAME} expansions are supported, not ${NAME:-...} or other forms"
                                .into(),
                        );
                    }
                    None => return Err("unterminated ${".into()),
                }
            }
            if !is_name(&name) {
                return Err(format!("`${{{name}}}` is not a variable name"));
            }
            name
        }
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                if c == '_' || c.is_ascii_alphanumeric() {
                    name.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            name
        }
        Some('\'' | '"') if !quoted => {
            return Err("`$'...'` and `$\"...\"` quoting is not supported".into());
        }
        Some(c) if !c.is_whitespace() && c != '"' => {
            return Err(format!(
                "`${c}` is a special shell parameter and is not supported"
            ));
        }
        _ => {
            out.push('$');
            return Ok(());
        }
    };
    match lookup(&name) {
        Some(value) if out.len() + value.len() > MAX_VALUE => Err(format!(
            "the value grows past {} KiB with ${name}: Linux starts no program with an \
             environment value that long",
            (MAX_VALUE + 1) >> 10
        )),
        Some(value) => {
            out.push_str(value);
            Ok(())
        }
        None => Err(format!(
            "${name} is not set: it must be defined in the environment or earlier in the files"
        )),
    }
}

/// A line as an error message shows it: every character that does not show
/// what it is (controls, blanks other than space and tab, a byte order
/// mark) written as `<U+XXXX>`.
pub fn visible(line: &str) -> String {
    line.chars()
        .map(|c| {
            if (c.is_control() && c != '\t')
                || (c.is_whitespace() && !BLANKS.contains(&c))
                || c == '\u{feff}'
            {
                format!("<U+{:04X}>", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn is_name(name: &str) -> bool {
    name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn env(name: &str) -> Option<&'static str> {
        match name {
            "BASE" => Some("10.0.0.1"),
            "EMPTY" => Some(""),
            "SPACED" => Some("a  b"),
            _ => None,
        }
    }

    fn one(line: &str) -> Result<Option<(String, String)>, String> {
        parse_line(line, &env)
    }

    fn value(line: &str) -> String {
        one(line).unwrap().unwrap().1
    }

    /// Lines a shell assigns without running anything, checked against a
    /// real bash so our reading matches the old script's `source`.
    const VALID: &[&str] = &[
        "KEY=plain",
        "KEY=\"double quoted\"",
        "KEY='single $BASE \"quoted\"'",
        "export KEY=exported",
        "   KEY=indented",
        "KEY=",
        "KEY=''",
        "KEY=' '",
        "KEY=$BASE",
        "KEY=${BASE}:2181",
        "KEY=\"-join=$BASE -join=${BASE}\"",
        "KEY=a'b'\"c\"d",
        "KEY=value # comment",
        "KEY=\"value\"#tail",
        "KEY=a#b",
        "KEY=\"it's\"",
        "KEY='say \"hi\"'",
        "KEY=\"back\\\\slash \\$ \\\" \\x\"",
        "KEY=back\\ slash",
        "KEY=100%",
        "KEY=*.example.com",
        "KEY=\"$SPACED\"",
        "KEY=$EMPTY",
        "KEY=\"cost: 5$\"",
        "KEY=a=b=c",
        "KEY={x}",
        "KEY=\"no\u{a0}break\u{3000}space\"",
        "KEY='em\u{2003}space'",
    ];

    #[test]
    fn valid_lines_match_bash() {
        let bash = Command::new("bash").arg("--version").output();
        if bash.is_err() {
            assert!(std::env::var_os("CI").is_none(), "bash is needed in CI");
            eprintln!("SKIPPED valid_lines_match_bash: bash not found");
            return;
        }
        for line in VALID {
            let ours = match one(line) {
                Ok(Some((_, v))) => v,
                other => panic!("{line}: {other:?}"),
            };
            let script = format!("{line}\nprintf '%s' \"$KEY\"");
            let out = Command::new("bash")
                .args(["--norc", "--noprofile", "-c", &script])
                .env_clear()
                .env("BASE", "10.0.0.1")
                .env("EMPTY", "")
                .env("SPACED", "a  b")
                .output()
                .unwrap();
            assert!(out.status.success(), "bash refused {line}");
            assert_eq!(ours, String::from_utf8(out.stdout).unwrap(), "line: {line}");
        }
    }

    #[test]
    fn simple_lines_match_dotenvy() {
        // dotenvy reads the same dotenv subset; where both accept a line
        // without references, both must agree.
        for line in [
            "KEY=plain",
            "KEY=\"double quoted\"",
            "KEY='single quoted'",
            "export KEY=exported",
            "KEY=value # comment",
            "KEY=",
        ] {
            let theirs: Vec<(String, String)> = dotenvy::from_read_iter(line.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(theirs[0].1, value(line), "line: {line}");
        }
    }

    #[test]
    fn blank_comment_and_bare_export_lines_assign_nothing() {
        for line in ["", "   ", "# KEY=x", "  # note", "export KEY", "export A B"] {
            assert_eq!(one(line), Ok(None), "{line:?}");
        }
    }

    #[test]
    fn nothing_is_ever_executed() {
        for line in [
            "KEY=$(hostname)",
            "KEY=\"$(hostname)\"",
            "KEY=`hostname`",
            "KEY=\"`hostname`\"",
            "KEY=$((1+2))",
            "KEY=x; rm -rf /",
            "KEY=x && true",
            "KEY=x | cat",
            "KEY=x > /tmp/f",
            "KEY=x other",
            "rm -rf /",
            "source other",
            ". other",
            "KEY+=x",
            "KEY=(a b)",
        ] {
            assert!(one(line).is_err(), "accepted {line:?}");
        }
    }

    #[test]
    fn other_expansions_are_refused_with_the_reason() {
        let err = one("KEY=${BASE:-x}").unwrap_err();
        assert!(err.contains("${NAME}"), "{err}");
        assert!(one("KEY=$1").unwrap_err().contains("special"));
        assert!(one("KEY=$'a'").is_err());
        assert!(one("KEY=~/bin").unwrap_err().contains("full path"));
        assert!(one("KEY=/a:~/b").is_err());
        assert!(
            one("KEY=\"unterminated")
                .unwrap_err()
                .contains("unterminated")
        );
        assert!(
            one("KEY='unterminated")
                .unwrap_err()
                .contains("unterminated")
        );
        assert!(one("KEY=x\\").is_err());
    }

    #[test]
    fn unknown_references_are_errors_not_empty_strings() {
        let err = one("KEY=$NOPE").unwrap_err();
        assert!(err.contains("$NOPE is not set"), "{err}");
    }

    #[test]
    fn later_lines_see_earlier_lines_and_report_line_numbers() {
        let text = "A=1\n\n# c\nB=\"$A-2\"\r\nC=$(x)\n";
        let err = parse(text, &env).unwrap_err();
        assert_eq!(err[0].line, 5);
        let ok = parse("A=1\nB=\"$A-2\"\r\nA=3\nC=$A", &env).unwrap();
        let pairs: Vec<_> = ok
            .iter()
            .map(|a| (a.name.as_str(), a.value.as_str(), a.line))
            .collect();
        assert_eq!(
            pairs,
            [("A", "1", 1), ("B", "1-2", 2), ("A", "3", 3), ("C", "3", 4)]
        );
    }
}

#[cfg(test)]
mod characters {
    use super::*;
    use std::process::Command;

    fn errors(text: &str) -> Vec<LineError> {
        parse(text, &|_| None).unwrap_err()
    }

    /// What bash leaves in KEY after reading `line`.
    fn bash_key(line: &str) -> String {
        let script = format!("{line}\nprintf '%s' \"$KEY\"");
        let out = Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &script])
            .env_clear()
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    const NOT_BLANKS: [char; 7] = [
        '\u{a0}', '\u{2003}', '\u{3000}', '\u{2028}', '\u{85}', '\u{b}', '\u{c}',
    ];

    #[test]
    fn only_space_and_tab_are_blanks_as_in_bash() {
        for c in NOT_BLANKS {
            let code = format!("U+{:04X}", c as u32);
            for (line, column) in [
                (format!("{c}# $(touch x)"), 1),
                (format!("{c}KEY=x"), 1),
                (format!("KEY=x{c}# note"), 6),
                (format!("export{c}KEY=x"), 7),
                (format!("  KEY=x {c}"), 9),
            ] {
                let found = errors(&line);
                assert_eq!(found.len(), 1, "{line:?}");
                assert_eq!(found[0].column, Some(column), "{line:?}");
                assert!(
                    found[0].message.contains(&code),
                    "{line:?}: {}",
                    found[0].message
                );
            }
            // Where bash sees no assignment, panteras must not see one.
            if !c.is_control() {
                assert_eq!(bash_key(&format!("{c}KEY=x")), "", "{c:?}");
            }
        }
    }

    #[test]
    fn a_byte_order_mark_and_a_nul_are_named() {
        let found = errors("\u{feff}KEY=x\n");
        assert_eq!((found[0].line, found[0].column), (1, Some(1)));
        assert!(found[0].message.contains("UTF-8 byte order mark (U+FEFF)"));
        let found = errors("A=1\nKEY=a\u{0}b\n");
        assert_eq!((found[0].line, found[0].column), (2, Some(6)));
        assert!(found[0].message.contains("NUL"));
    }

    #[test]
    fn a_carriage_return_ends_a_line_and_is_refused_elsewhere() {
        let read = parse("A=1\r\nB=\"two\"\r\n", &|_| None).unwrap();
        assert_eq!(read[1].value, "two");
        let found = errors("A=\"x\ry\"\n");
        assert!(found[0].message.contains("carriage return"), "{found:?}");
    }

    #[test]
    fn every_refused_line_of_a_file_is_reported_once() {
        let found = errors("A=$(x)\nB=`y`\nC=ok\nD=$A\nE=\"open\n\u{a0}F=1\n");
        let lines: Vec<usize> = found.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 2, 5, 6]);
    }

    #[test]
    fn a_value_cannot_grow_past_what_linux_passes_to_a_program() {
        let mut text = String::from("X=ab\n");
        for _ in 0..40 {
            text.push_str("X=$X$X\n");
        }
        let found = errors(&text);
        assert!(found[0].message.contains("128 KiB"), "{found:?}");
        assert_eq!(found[0].line, 17);
        let long = format!("X={}\n", "y".repeat(MAX_VALUE + 1));
        assert!(errors(&long)[0].message.contains("128 KiB"));
        let mut many = format!("X={}\n", "y".repeat(MAX_VALUE));
        for i in 0..200 {
            many.push_str(&format!("Y{i}=$X\n"));
        }
        assert!(errors(&many)[0].message.contains("16 MiB"));
    }
}

#[cfg(test)]
mod no_panic {
    use super::*;

    /// A small deterministic generator (xorshift), so the test needs no crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn arbitrary_lines_are_read_or_refused_but_never_panic() {
        let alphabet: Vec<char> = "AZ_az09 =\"'\\$`{}()#;&|<>~:!*?[]-\t\r.é€\u{0}\n"
            .chars()
            .collect();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let lookup = |name: &str| (name == "A").then_some("x");
        for _ in 0..50_000 {
            let len = (rng.next() % 24) as usize;
            let mut line = String::from(if rng.next().is_multiple_of(2) {
                "KEY="
            } else {
                ""
            });
            for _ in 0..len {
                line.push(alphabet[(rng.next() % alphabet.len() as u64) as usize]);
            }
            let _ = parse(&line, &lookup);
        }
    }
}
