//! `panteras config`: every variable with its final value and source
//! (passwords masked), as
//! a table, JSON, or shell assignments.

use anyhow::Result;
use serde::Serialize;

use crate::cli::Format;
use crate::settings::Settings;

#[derive(Serialize)]
struct Entry<'a> {
    name: &'a str,
    value: String,
    source: String,
}

/// The settings in `format`, ending with a newline.
pub fn format(settings: &Settings, format: Format, show_secrets: bool) -> Result<String> {
    if format == Format::Env && !show_secrets {
        let secrets: Vec<&str> = settings
            .iter()
            .filter(|(name, r)| crate::vars::is_secret(name) && !r.value.to_string().is_empty())
            .map(|(name, _)| name)
            .collect();
        if !secrets.is_empty() {
            anyhow::bail!(
                "--format env would write {} as '********', which a shell then takes for the \
                 password itself\n  fix: pass --show-secrets too (and keep the output private), \
                 or use --format text or json",
                secrets.join(" and ")
            );
        }
    }
    let entries: Vec<Entry> = settings
        .iter()
        .map(|(name, r)| Entry {
            name,
            value: if show_secrets {
                r.value.to_string()
            } else {
                crate::vars::shown(name, &r.value.to_string())
            },
            source: r.source.to_string(),
        })
        .collect();
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(&entries)? + "\n",
        Format::Env => entries
            .iter()
            .map(|e| format!("{}={}\n", e.name, shell_quote(&e.value)))
            .collect(),
        Format::Text => {
            let name_width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
            let value_width = entries
                .iter()
                .map(|e| e.value.chars().count())
                .filter(|&w| w <= 40)
                .max()
                .unwrap_or(0);
            let mut out = String::new();
            for e in &entries {
                let value = if e.value.is_empty() {
                    "(empty)".to_string()
                } else {
                    crate::shell::visible(&e.value)
                };
                let line = format!("{:name_width$}  {value:value_width$}  {}", e.name, e.source);
                out.push_str(line.trim_end());
                out.push('\n');
            }
            out
        }
    })
}

/// Single-quoted for sh: the value reads back unchanged when sourced.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_quotes_and_dollars() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's $HOME"), "'it'\\''s $HOME'");
    }
}
