//! What the 0.4 line's routers read, as facts: Fabio's properties and
//! Traefik 1.7's configuration keys. Neither program can be had here; the
//! tests check every file panteras renders for them (and the image's own
//! files) against these lists, after the file's own reader (Java's
//! properties reader, a TOML parser) has read it, and `check` holds the
//! words of `FABIO_PARAMS` and `TRAEFIK_PARAMS` to them.

pub mod fabio;
pub mod traefik;

/// The names of the options of a Go command line (`-name=value`,
/// `--name value`): a word that starts with no `-` is a value.
fn option_names(words: &str) -> impl Iterator<Item = &str> {
    words
        .split_whitespace()
        .filter_map(|w| w.strip_prefix('-'))
        .map(|w| w.strip_prefix('-').unwrap_or(w))
        .map(|w| w.split_once('=').map_or(w, |(name, _)| name))
        .filter(|name| !name.is_empty())
}
