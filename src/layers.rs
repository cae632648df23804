//! The layers that set variables, read in the order of contract section 1,
//! each value remembering where it came from.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::shell;
use crate::vars;

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    Env,
    File {
        path: String,
        line: usize,
    },
    Flag(&'static str),
    /// Computed from other variables; the text names them.
    Derived(String),
    /// Found on the machine; the text says how.
    Machine(String),
}

impl Source {
    /// Whether the user set the value (environment, file or flag).
    pub fn is_user(&self) -> bool {
        matches!(self, Source::Env | Source::File { .. } | Source::Flag(_))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::Env => f.write_str("env"),
            Source::File { path, line } => write!(f, "{path}:{line}"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Derived(from) => write!(f, "derived from {from}"),
            Source::Machine(how) => write!(f, "lookup: {how}"),
        }
    }
}

/// A value as a layer set it, before it is typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raw {
    pub value: String,
    pub source: Source,
}

/// What the command line contributes, already split into variables.
#[derive(Default, Clone, Debug)]
pub struct Flags {
    /// `--role`, `--ip`, `--listen-ip`: (variable, value, flag).
    pub named: Vec<(&'static str, String, &'static str)>,
    /// `--set KEY=VALUE`, in order.
    pub set: Vec<String>,
}

/// Everything the layers are read from.
pub struct Inputs {
    /// The process environment.
    pub env: Vec<(String, String)>,
    /// Names in the process environment whose value is not UTF-8.
    pub env_not_utf8: Vec<String>,
    /// `/etc/default/panteras`, or its replacement in tests.
    pub defaults_file: PathBuf,
    /// The directory that holds `restricted/`.
    pub dir: PathBuf,
    pub flags: Flags,
    /// What a shell would give `$HOSTNAME` when nothing else sets it.
    pub machine_hostname: Option<String>,
}

/// The last value each layer left for every name, known to panteras or not.
#[derive(Default, Debug)]
pub struct Layers {
    values: HashMap<String, Raw>,
    /// Every name a file assigned, with where, in reading order.
    assigned_in_files: Vec<(String, Source)>,
    /// Values of panteras variables from the environment that a file then
    /// set otherwise: the name, the environment's value, and the file's.
    shadowed: Vec<(String, Raw, Raw)>,
    /// The machine's host name, when the layers are read on it.
    machine_hostname: Option<String>,
}

/// The largest input file panteras reads.
const MAX_FILE: u64 = 16 * 1024 * 1024;

/// File systems whose files are views of the kernel, not settings: a read
/// may block for ever (`/proc/kmsg`) or never end (`/proc/self/pagemap`).
const PSEUDO_FILE_SYSTEMS: [(i64, &str); 10] = [
    (0x9fa0, "proc"),
    (0x6265_6572, "sysfs"),
    (0x6462_6720, "debugfs"),
    (0x7472_6163, "tracefs"),
    (0x7363_6673, "securityfs"),
    (0x0027_e0eb, "cgroup"),
    (0x6367_7270, "cgroup2"),
    (0xcafe_4a11, "bpf"),
    (0x6265_6570, "configfs"),
    (0x6165_676c, "pstore"),
];

/// The text of an input file, `None` when there is none. A FIFO, a device
/// or a directory is refused, and so is a file of the kernel's (proc,
/// sysfs, ...): reading one could block or never end. At most the largest
/// settings file and one byte more is read, and a file that is not UTF-8
/// is refused with the line of its first bad byte.
pub fn read_input(path: &Path, shown: &str) -> Result<Option<String>> {
    use rustix::fs::{FileType, Mode, OFlags};
    let opened = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    );
    let fd = match opened {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(e) => {
            return Err(std::io::Error::from(e)).with_context(|| format!("cannot read {shown}"));
        }
    };
    let stat = rustix::fs::fstat(&fd).with_context(|| format!("cannot read {shown}"))?;
    if !FileType::from_raw_mode(stat.st_mode).is_file() {
        bail!(
            "{shown}: not a regular file (a directory, FIFO or device); panteras reads regular files only"
        );
    }
    let fs = rustix::fs::fstatfs(&fd).with_context(|| format!("cannot read {shown}"))?;
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    let kind = i64::from(fs.f_type as i64);
    if let Some((_, name)) = PSEUDO_FILE_SYSTEMS.iter().find(|(magic, _)| *magic == kind) {
        bail!(
            "{shown}: a file of the kernel's {name} file system, not an input file; panteras reads files on disk only"
        );
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::from(fd), MAX_FILE + 1),
        &mut bytes,
    )
    .with_context(|| format!("cannot read {shown}"))?;
    if bytes.len() as u64 > MAX_FILE {
        bail!(
            "{shown}: more than {} MiB; panteras reads input files of at most that",
            MAX_FILE >> 20
        );
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some(text)),
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            bail!(
                "{shown}:{line}: the file is not UTF-8 text (byte 0x{:02X})",
                bytes[at]
            )
        }
    }
}

/// The most refused lines reported for one file.
const MAX_REPORTED: usize = 50;

/// The files in `restricted/`, in the order they are read.
pub const RESTRICTED_FILES: [&str; 3] = ["common", "host", "overwrite"];

impl Layers {
    /// Reads every layer, lowest precedence first (contract section 1; the
    /// built-in defaults, layer 1, apply later to what is still unset).
    pub fn load(inputs: &Inputs) -> Result<Layers> {
        if !inputs.dir.is_dir() {
            bail!(
                "--dir {}: no such directory; panteras reads restricted/ from it\n  \
                 fix: create it (mkdir -p {0}) or name the directory that holds restricted/",
                inputs.dir.display()
            );
        }
        let mut layers = Layers {
            machine_hostname: inputs.machine_hostname.clone(),
            ..Layers::default()
        };
        let mut errors = Vec::new();
        for name in &inputs.env_not_utf8 {
            if vars::find(name).is_some() {
                errors.push(format!(
                    "{name} in the environment is not UTF-8 text; panteras takes text only \
                     (unset it or set it to UTF-8 text)"
                ));
            }
        }
        for (name, value) in &inputs.env {
            if vars::find(name).is_some()
                && let Some(problem) = control_character(value)
            {
                errors.push(format!(
                    "{name} in the environment holds {problem}; the files refuse it too \
                     (write values with visible characters only)"
                ));
            }
        }
        layers.apply_env(&inputs.env);
        let mut files = vec![(inputs.defaults_file.clone(), display(&inputs.defaults_file))];
        for name in RESTRICTED_FILES {
            let path = inputs.dir.join("restricted").join(name);
            let shown = if inputs.dir == Path::new(".") {
                format!("restricted/{name}")
            } else {
                display(&path)
            };
            files.push((path, shown));
        }
        for (path, shown) in files {
            if let Err(error) = layers.apply_file(&path, &shown, inputs) {
                errors.push(format!("{error:#}"));
            }
        }
        if !errors.is_empty() {
            bail!("{}", errors.join("\n"));
        }
        layers.apply_flags(&inputs.flags)?;
        Ok(layers)
    }

    /// The value the layers left for `name`.
    pub fn get(&self, name: &str) -> Option<&Raw> {
        self.values.get(name)
    }

    /// The host name of the machine the layers were read on, if known.
    pub fn machine_hostname(&self) -> Option<&str> {
        self.machine_hostname.as_deref()
    }

    /// Every name a file assigned, with where, in reading order.
    pub fn assigned_in_files(&self) -> &[(String, Source)] {
        &self.assigned_in_files
    }

    /// Each panteras variable whose value in the environment a file
    /// replaced with another, as the old script's `source` did: the name,
    /// the environment's value and the file's.
    pub fn shadowed(&self) -> impl Iterator<Item = (&str, &Raw, &Raw)> {
        self.shadowed
            .iter()
            .map(|(name, env, file)| (name.as_str(), env, file))
    }

    fn set(&mut self, name: &str, value: String, source: Source) {
        self.values.insert(name.to_string(), Raw { value, source });
    }

    fn apply_env(&mut self, env: &[(String, String)]) {
        for (name, value) in env {
            self.set(name, value.clone(), Source::Env);
        }
    }

    /// Layers made of one file's text alone: no environment, no flags.
    /// `panteras cluster` renders hosts this way, from the restricted/host
    /// it writes for each; `origins`, when given, is where each line's value
    /// really came from (by line number), so messages point there.
    pub fn from_text(shown: &str, text: &str, origins: Option<&[Source]>) -> Result<Layers> {
        let mut layers = Layers::default();
        layers.apply_text(shown, text, None)?;
        if let Some(origins) = origins {
            for raw in layers.values.values_mut() {
                if let Source::File { line, .. } = raw.source
                    && let Some(origin) = origins.get(line - 1)
                {
                    raw.source = origin.clone();
                }
            }
        }
        Ok(layers)
    }

    fn apply_file(&mut self, path: &Path, shown: &str, inputs: &Inputs) -> Result<()> {
        let Some(text) = read_input(path, shown)? else {
            return Ok(());
        };
        self.apply_text(shown, &text, inputs.machine_hostname.as_deref())
    }

    fn apply_text(
        &mut self,
        shown: &str,
        text: &str,
        machine_hostname: Option<&str>,
    ) -> Result<()> {
        let lookup = |name: &str| -> Option<&str> {
            self.values
                .get(name)
                .map(|raw| raw.value.as_str())
                .or_else(|| (name == "HOSTNAME").then_some(machine_hostname).flatten())
        };
        let assignments = shell::parse(text, &lookup).map_err(|errors| {
            let lines: Vec<&str> = text.split('\n').collect();
            let mut report: Vec<String> = errors
                .iter()
                .take(MAX_REPORTED)
                .map(|e| {
                    let column = e.column.map(|c| format!(":{c}")).unwrap_or_default();
                    let line_text = lines.get(e.line - 1).copied().unwrap_or("");
                    let fix = shell::fix(line_text, &e.message)
                        .map(|fix| format!("\n  fix: {fix}"))
                        .unwrap_or_default();
                    format!(
                        "{shown}:{}{column}: {}\n  | {}{fix}",
                        e.line,
                        e.message,
                        echo(line_text.strip_suffix('\r').unwrap_or(line_text))
                    )
                })
                .collect();
            if errors.len() > MAX_REPORTED {
                report.push(format!(
                    "{shown}: {} more lines refused",
                    errors.len() - MAX_REPORTED
                ));
            }
            anyhow::anyhow!("{}", report.join("\n"))
        })?;
        for a in assignments {
            let source = Source::File {
                path: shown.to_string(),
                line: a.line,
            };
            self.assigned_in_files
                .push((a.name.clone(), source.clone()));
            let file = Raw {
                value: a.value,
                source,
            };
            if let Some(env) = self.values.get(&a.name)
                && env.source == Source::Env
                && !env.value.is_empty()
                && env.value != file.value
                && vars::find(&a.name).is_some()
            {
                self.shadowed
                    .push((a.name.clone(), env.clone(), file.clone()));
            }
            self.values.insert(a.name, file);
        }
        Ok(())
    }

    fn apply_flags(&mut self, flags: &Flags) -> Result<()> {
        for (name, value, flag) in &flags.named {
            self.set(name, value.clone(), Source::Flag(flag));
        }
        for pair in &flags.set {
            let Some((name, value)) = pair.split_once('=') else {
                bail!("--set {pair}: expected KEY=VALUE, for example --set CONSUL_DC=ams1");
            };
            if vars::find(name).is_none() {
                let hint = vars::closest(name)
                    .map(|known| format!("; did you mean {known}?"))
                    .unwrap_or_default();
                bail!(
                    "--set {}: {} is not a panteras variable{hint}",
                    shell::visible(pair),
                    shell::visible(name)
                );
            }
            if let Some(problem) = control_character(value) {
                bail!(
                    "--set {name}: the value holds {problem}; the files refuse it too \
                     (write values with visible characters only)"
                );
            }
            self.set(name, value.to_string(), Source::Flag("--set"));
        }
        Ok(())
    }
}

/// The first control character of a value from the environment or a flag
/// (a tab aside), as the files' reader names it; a line break is the kind's
/// to refuse, with its own message.
fn control_character(value: &str) -> Option<String> {
    let (at, c) = value
        .chars()
        .enumerate()
        .find(|(_, c)| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || *c == '\u{feff}')?;
    Some(format!(
        "the control character U+{:04X} at character {}",
        c as u32,
        at + 1
    ))
}

/// A refused line as an error message shows it: an assignment with its
/// characters made visible, a secret's value masked, cut after 120
/// characters; nothing of a line that is no assignment (a settings path may
/// name any file, such as one only root may read).
fn echo(line: &str) -> String {
    const SHOWN: usize = 120;
    // What the line would be without the characters it was refused for.
    let plain: String = line
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace() || matches!(c, ' ' | '\t'))
        .filter(|c| *c != '\u{feff}')
        .collect();
    let comment = plain.trim_start().starts_with('#');
    match shell::assigned_name(&plain) {
        Some(name) if vars::is_secret(&name) => return format!("{name}=********"),
        Some(_) => {}
        None if comment => {}
        None => return "(the line is not shown: it is not an assignment)".into(),
    }
    let visible = shell::visible(line);
    let visible = visible.trim_end();
    match visible.char_indices().nth(SHOWN) {
        Some((at, _)) => format!(
            "{}... ({} characters in all)",
            &visible[..at],
            visible.chars().count()
        ),
        None => visible.to_string(),
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn inputs(dir: &Path) -> Inputs {
        Inputs {
            env: vec![],
            env_not_utf8: vec![],
            defaults_file: dir.join("etc-default-panteras"),
            dir: dir.to_path_buf(),
            flags: Flags::default(),
            machine_hostname: Some("box".into()),
        }
    }

    fn write(dir: &Path, name: &str, text: &str) {
        fs::create_dir_all(dir.join("restricted")).unwrap();
        fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn later_layers_win_and_remember_their_source() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let all = [
            "CONSUL_DC",
            "CLUSTER_NAME",
            "GOMAXPROCS",
            "CONSUL_DOMAIN",
            "REGISTRY",
        ];
        let assign = |names: &[&str], value: &str| -> String {
            names.iter().map(|n| format!("{n}={value}\n")).collect()
        };
        write(dir, "etc-default-panteras", &assign(&all, "defaults"));
        write(dir, "restricted/common", &assign(&all[1..], "common"));
        write(
            dir,
            "restricted/host",
            &format!("\n{}", assign(&all[2..], "host")),
        );
        write(dir, "restricted/overwrite", &assign(&all[3..], "overwrite"));
        let mut inputs = inputs(dir);
        inputs.env = vec![
            ("CONSUL_DC".into(), "env".into()),
            ("SHARED".into(), "env".into()),
        ];
        inputs.flags.named.push(("IP", "10.0.0.9".into(), "--ip"));
        inputs.flags.set.push("REGISTRY=flag".into());
        let layers = Layers::load(&inputs).unwrap();
        let got = |n: &str| {
            let raw = layers.get(n).unwrap();
            format!("{} ({})", raw.value, raw.source)
        };
        let defaults = display(&dir.join("etc-default-panteras"));
        let restricted = |f: &str| display(&dir.join("restricted").join(f));
        assert_eq!(got("SHARED"), "env (env)");
        assert_eq!(got("CONSUL_DC"), format!("defaults ({defaults}:1)"));
        assert_eq!(
            got("CLUSTER_NAME"),
            format!("common ({}:1)", restricted("common"))
        );
        assert_eq!(
            got("GOMAXPROCS"),
            format!("host ({}:2)", restricted("host"))
        );
        assert_eq!(
            got("CONSUL_DOMAIN"),
            format!("overwrite ({}:1)", restricted("overwrite"))
        );
        assert_eq!(got("REGISTRY"), "flag (flag --set)");
        assert_eq!(got("IP"), "10.0.0.9 (flag --ip)");
    }

    #[test]
    fn references_see_the_environment_earlier_files_and_the_shell_hostname() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write(dir, "restricted/common", "M1=master-1\n");
        write(
            dir,
            "restricted/host",
            "ZOOKEEPER_HOSTS=\"$M1:2181,${BASE}:2181\"\nFQDN=$HOSTNAME.example.com\n",
        );
        let mut inputs = inputs(dir);
        inputs.env = vec![("BASE".into(), "10.0.0.1".into())];
        let layers = Layers::load(&inputs).unwrap();
        assert_eq!(
            layers.get("ZOOKEEPER_HOSTS").unwrap().value,
            "master-1:2181,10.0.0.1:2181"
        );
        assert_eq!(layers.get("FQDN").unwrap().value, "box.example.com");
    }

    #[test]
    fn missing_files_are_nothing_to_load() {
        let tmp = tempfile::tempdir().unwrap();
        let layers = Layers::load(&inputs(tmp.path())).unwrap();
        assert!(layers.get("MASTER").is_none());
    }

    #[test]
    fn a_bad_line_names_file_line_and_text() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write(dir, "restricted/host", "MASTER=true\nIP=$(hostname -i)\n");
        let err = Layers::load(&inputs(dir)).unwrap_err().to_string();
        assert!(
            err.contains("restricted/host:2: IP: command substitution"),
            "{err}"
        );
        assert!(err.contains("| IP=$(hostname -i)"), "{err}");
        assert!(
            err.contains("fix: write the address itself (IP=10.0.0.5), or pass --ip"),
            "{err}"
        );
    }

    #[test]
    fn set_refuses_unknown_names_with_a_suggestion() {
        let tmp = tempfile::tempdir().unwrap();
        let mut inputs = inputs(tmp.path());
        inputs.flags.set.push("ZOOKEPER_ID=1".into());
        let err = Layers::load(&inputs).unwrap_err().to_string();
        assert!(err.contains("did you mean ZOOKEEPER_ID?"), "{err}");
        inputs.flags.set = vec!["NOEQUALS".into()];
        assert!(
            Layers::load(&inputs)
                .unwrap_err()
                .to_string()
                .contains("KEY=VALUE")
        );
    }

    #[test]
    fn files_of_the_kernel_are_refused_without_reading_them() {
        for path in [
            "/proc/kmsg",
            "/proc/self/pagemap",
            "/sys/kernel/mm/transparent_hugepage/enabled",
        ] {
            if !Path::new(path).exists() {
                continue;
            }
            let err = read_input(Path::new(path), path).unwrap_err().to_string();
            assert!(err.contains("a file of the kernel's"), "{path}: {err}");
        }
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::File::create(&big)
            .unwrap()
            .set_len((16 << 20) + 1)
            .unwrap();
        let err = read_input(&big, "big").unwrap_err().to_string();
        assert!(err.contains("more than 16 MiB"), "{err}");
    }

    #[test]
    fn refused_lines_are_shown_masked_cut_short_or_not_at_all() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let long = "y".repeat(200_000);
        write(
            dir,
            "restricted/host",
            &format!(
                "root:$6$salt$hash:19000:0:99999:7:::\nSUPERVISOR_PASSWORD=$(cat /secret)\nX=`{long}`\n"
            ),
        );
        let err = Layers::load(&inputs(dir)).unwrap_err().to_string();
        assert!(!err.contains("$6$salt"), "{err}");
        assert!(
            err.contains("(the line is not shown: it is not an assignment)"),
            "{err}"
        );
        assert!(err.contains("| SUPERVISOR_PASSWORD=********"), "{err}");
        assert!(!err.contains("/secret"), "{err}");
        assert!(err.contains("(200004 characters in all)"), "{err}");
        assert!(err.len() < 2000, "{} bytes", err.len());
    }

    #[test]
    fn control_characters_are_refused_from_every_layer() {
        let tmp = tempfile::tempdir().unwrap();
        let mut inputs = inputs(tmp.path());
        inputs.env = vec![
            ("CONSUL_DC".into(), "a\u{1b}[31mred".into()),
            ("UNRELATED".into(), "\u{7}".into()),
        ];
        let err = Layers::load(&inputs).unwrap_err().to_string();
        assert_eq!(
            err,
            "CONSUL_DC in the environment holds the control character U+001B at character 2; \
             the files refuse it too (write values with visible characters only)"
        );
        inputs.env.clear();
        inputs.flags.set.push("CONSUL_DC=a\u{0}b".into());
        let err = Layers::load(&inputs).unwrap_err().to_string();
        assert!(err.contains("U+0000 at character 2"), "{err}");
        assert!(!err.contains('\u{0}'), "{err}");
    }
}
