//! The command line: clap definitions, turned into validated inputs before
//! anything else runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Generates the deployment of a PanteraS (paas-in-a-box) host.
#[derive(Parser, Debug)]
#[command(name = "panteras", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write docker-compose.yml for this host from restricted/.
    #[command(after_long_help = generate_help())]
    Generate(GenerateArgs),
}

/// The role of the host; sets MASTER and SLAVE.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Master and slave on one host.
    Standalone,
    /// MASTER=true, SLAVE=false.
    Master,
    /// MASTER=false, SLAVE=true.
    Slave,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Directory that holds restricted/.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Directory to write to [default: --dir].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The role of this host (sets MASTER and SLAVE).
    #[arg(long, value_enum)]
    pub role: Option<Role>,
    /// This host's IPv4 address (sets IP).
    #[arg(long, value_name = "IPV4")]
    pub ip: Option<String>,
    /// Address the daemons listen on (sets LISTEN_IP).
    #[arg(long, value_name = "IPV4")]
    pub listen_ip: Option<String>,
    /// Set any variable; wins over every file and the environment.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print the files that would be written; write nothing.
    #[arg(long, conflicts_with_all = ["diff", "check"])]
    pub dry_run: bool,
    /// Print a unified diff against the files on disk; write nothing.
    #[arg(long)]
    pub diff: bool,
    /// Exit 1 when any file would change; write nothing.
    #[arg(long)]
    pub check: bool,
    /// Directory whose templates replace the built-in ones of the same name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Host-wide settings read before restricted/.
    #[arg(
        long,
        value_name = "FILE",
        env = "PANTERAS_DEFAULTS",
        default_value = "/etc/default/panteras"
    )]
    pub defaults_file: PathBuf,
}

fn generate_help() -> String {
    let names: Vec<&str> = crate::vars::VARS.iter().map(|v| v.name).collect();
    let mut lines = String::new();
    let mut line = String::from(" ");
    for name in names {
        if line.len() + name.len() > 78 {
            lines.push_str(&line);
            lines.push('\n');
            line = String::from(" ");
        }
        line.push(' ');
        line.push_str(name);
    }
    lines.push_str(&line);
    format!(
        "Examples:
  panteras generate --ip 192.168.10.10 --out demo
  panteras generate --role master --set ZOOKEEPER_ID=2
  panteras generate --diff        # what would change on this host
  panteras generate --check       # exit 1 when docker-compose.yml is stale

Values come from (later wins): defaults, the environment, the defaults file,
restricted/common, restricted/host, restricted/overwrite, then flags.

Variables (environment or restricted/ files; see the README for each):
{lines}"
    )
}
