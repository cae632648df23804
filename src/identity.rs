//! This host's identity when the layers do not give it: the machine's host
//! name and fully qualified name, and the IP rules of contract section 2.
//! The machine is reached through the [`System`] trait so tests can answer
//! for it.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;

use crate::layers::Source;

/// The IP of the Vagrant box whose host name is `standalone`.
pub const STANDALONE_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 10, 10);

/// The addresses a name has, and where they were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub addrs: Vec<Ipv4Addr>,
    /// `/etc/hosts` or `DNS`.
    pub via: String,
}

/// What panteras asks of the machine it runs on.
pub trait System {
    /// The machine's host name.
    fn hostname(&self) -> Option<String>;
    /// The machine's fully qualified name, when it has one.
    fn fqdn(&self) -> Option<String>;
    /// The IPv4 addresses of `name`: hosts file first, then DNS. An error
    /// says why there is no answer.
    fn resolve(&self, name: &str) -> Result<Answer, String>;
}

/// The real machine: `/proc` for the host name, the hosts file, and DNS
/// through hickory-resolver.
pub struct RealSystem {
    hosts_file: PathBuf,
    /// Name servers to ask instead of the ones of `/etc/resolv.conf`.
    name_servers: Option<Vec<(IpAddr, u16)>>,
    /// How long a DNS lookup may take in all.
    deadline: Duration,
    /// The machine's host name, read once.
    hostname: std::sync::OnceLock<Option<String>>,
}

impl Default for RealSystem {
    fn default() -> Self {
        RealSystem {
            hosts_file: PathBuf::from("/etc/hosts"),
            name_servers: None,
            deadline: Duration::from_secs(3),
            hostname: std::sync::OnceLock::new(),
        }
    }
}

impl RealSystem {
    /// A system that reads another hosts file and asks other name servers.
    pub fn with(hosts_file: PathBuf, name_servers: Vec<(IpAddr, u16)>, deadline: Duration) -> Self {
        RealSystem {
            hosts_file,
            name_servers: Some(name_servers),
            deadline,
            hostname: std::sync::OnceLock::new(),
        }
    }

    /// The hosts file read as glibc reads it: bytes, one entry a line, a
    /// comment from `#`, words between spaces and tabs. A byte that is not
    /// UTF-8 spoils only the word it is in (no name of ours can match it),
    /// never the other lines.
    fn hosts(&self) -> Vec<(IpAddr, Vec<String>)> {
        let Ok(bytes) = std::fs::read(&self.hosts_file) else {
            return Vec::new();
        };
        bytes
            .split(|&b| b == b'\n')
            .filter_map(|line| {
                let line = line.split(|&b| b == b'#').next().unwrap_or_default();
                let mut words = line
                    .split(|&b| matches!(b, b' ' | b'\t' | b'\r'))
                    .filter(|w| !w.is_empty());
                let addr: IpAddr = std::str::from_utf8(words.next()?).ok()?.parse().ok()?;
                let names = words
                    .filter_map(|w| std::str::from_utf8(w).ok())
                    .map(str::to_string)
                    .collect();
                Some((addr, names))
            })
            .collect()
    }

    fn dns(&self, name: &str) -> Result<Vec<Ipv4Addr>, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the DNS client: {e}"))?;
        runtime.block_on(async {
            let provider = TokioRuntimeProvider::default();
            let mut builder = match &self.name_servers {
                Some(servers) => {
                    let servers = servers
                        .iter()
                        .map(|&(ip, port)| {
                            let mut udp = ConnectionConfig::udp();
                            udp.port = port;
                            NameServerConfig::new(ip, true, vec![udp])
                        })
                        .collect();
                    TokioResolver::builder_with_config(
                        ResolverConfig::from_name_servers(servers),
                        provider,
                    )
                }
                None => TokioResolver::builder(provider)
                    .map_err(|e| format!("cannot read the DNS configuration: {e}"))?,
            };
            let options = builder.options_mut();
            options.use_hosts_file = ResolveHosts::Never;
            options.ip_strategy = LookupIpStrategy::Ipv4Only;
            options.timeout = self.deadline / 2;
            options.attempts = 1;
            let resolver = builder
                .build()
                .map_err(|e| format!("cannot set up DNS: {e}"))?;
            match tokio::time::timeout(self.deadline, resolver.lookup_ip(name)).await {
                Err(_) => Err(format!(
                    "DNS gave no answer within {} seconds",
                    self.deadline.as_secs_f32()
                )),
                Ok(Err(e)) if e.is_no_records_found() => Ok(Vec::new()),
                Ok(Err(e)) => Err(format!("DNS lookup failed: {e}")),
                Ok(Ok(lookup)) => Ok(lookup
                    .iter()
                    .filter_map(|ip| match ip {
                        IpAddr::V4(v4) => Some(v4),
                        IpAddr::V6(_) => None,
                    })
                    .collect()),
            }
        })
    }
}

impl System for RealSystem {
    fn hostname(&self) -> Option<String> {
        self.hostname
            .get_or_init(|| {
                ["/proc/sys/kernel/hostname", "/etc/hostname"]
                    .iter()
                    .filter_map(|path| std::fs::read_to_string(path).ok())
                    .map(|text| text.trim().to_string())
                    .find(|name| !name.is_empty())
            })
            .clone()
    }

    fn fqdn(&self) -> Option<String> {
        let hostname = self.hostname()?;
        if hostname.contains('.') {
            return Some(hostname);
        }
        // Like `hostname -f`: the canonical (first) name of the hosts line
        // that carries the short name.
        self.hosts()
            .into_iter()
            .filter(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(&hostname)))
            .find_map(|(_, names)| names.into_iter().next().filter(|n| n.contains('.')))
    }

    fn resolve(&self, name: &str) -> Result<Answer, String> {
        let from_hosts: Vec<Ipv4Addr> = self
            .hosts()
            .into_iter()
            .filter(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .filter_map(|(addr, _)| match addr {
                IpAddr::V4(v4) => Some(v4),
                IpAddr::V6(_) => None,
            })
            .collect();
        if !from_hosts.is_empty() {
            return Ok(Answer {
                addrs: from_hosts,
                via: self.hosts_file.display().to_string(),
            });
        }
        Ok(Answer {
            addrs: self.dns(name)?,
            via: "DNS".into(),
        })
    }
}

/// What to do when the IP cannot be found.
pub const IP_ADVICE: &str = "set IP to this host's address in restricted/host, or pass --ip";

/// Rules 2 to 5 of the IP: DOCKER_HOST, the standalone box, a lookup of
/// HOSTNAME, else why none gives an address (see [`IP_ADVICE`]).
pub fn find_ip(
    hostname: &str,
    docker_host: &str,
    system: &dyn System,
) -> Result<(Ipv4Addr, Source), String> {
    if let Some(rest) = docker_host.strip_prefix("tcp://") {
        let host = rest.split(['/', ':']).next().unwrap_or("");
        return match host.parse::<Ipv4Addr>() {
            Ok(ip) => Ok((ip, Source::Derived("DOCKER_HOST".into()))),
            Err(_) => Err(format!("DOCKER_HOST={docker_host:?} names no IPv4 address")),
        };
    }
    if hostname == "standalone" {
        return Ok((STANDALONE_IP, Source::Derived("HOSTNAME=standalone".into())));
    }
    let answer = match hostname.parse::<Ipv4Addr>() {
        Ok(ip) => Answer {
            addrs: vec![ip],
            via: "HOSTNAME itself".into(),
        },
        Err(_) => system
            .resolve(hostname)
            .map_err(|why| format!("the lookup of HOSTNAME={hostname} failed ({why})"))?,
    };
    let mut addrs = answer.addrs.clone();
    addrs.sort();
    addrs.dedup();
    let usable: Vec<Ipv4Addr> = addrs
        .iter()
        .copied()
        .filter(|ip| !ip.is_loopback())
        .collect();
    let list = |ips: &[Ipv4Addr]| {
        ips.iter()
            .map(Ipv4Addr::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match usable.as_slice() {
        [ip] => Ok((
            *ip,
            Source::Machine(format!("{hostname} in {}", answer.via)),
        )),
        [] if addrs.is_empty() => Err(format!(
            "HOSTNAME={hostname} has no IPv4 address in {}",
            answer.via
        )),
        [] => Err(format!(
            "HOSTNAME={hostname} resolves only to the loopback address {} ({}); \
             Debian maps the machine's own name to 127.0.1.1, which no other host can reach",
            list(&addrs),
            answer.via
        )),
        several => Err(format!(
            "HOSTNAME={hostname} resolves to several addresses ({}, in {}); \
             panteras cannot tell which one the other hosts use",
            list(several),
            answer.via
        )),
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::time::Instant;

    /// A machine whose answers the test chooses.
    pub struct FakeSystem {
        pub hostname: Option<String>,
        pub fqdn: Option<String>,
        pub answer: Result<Answer, String>,
    }

    impl System for FakeSystem {
        fn hostname(&self) -> Option<String> {
            self.hostname.clone()
        }
        fn fqdn(&self) -> Option<String> {
            self.fqdn.clone()
        }
        fn resolve(&self, _: &str) -> Result<Answer, String> {
            self.answer.clone()
        }
    }

    fn answering(addrs: &[&str]) -> FakeSystem {
        FakeSystem {
            hostname: Some("box".into()),
            fqdn: None,
            answer: Ok(Answer {
                addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
                via: "/etc/hosts".into(),
            }),
        }
    }

    #[test]
    fn docker_host_gives_its_address() {
        let (ip, source) = find_ip("box", "tcp://192.168.99.100:2376", &answering(&[])).unwrap();
        assert_eq!(ip.to_string(), "192.168.99.100");
        assert_eq!(source.to_string(), "derived from DOCKER_HOST");
        let err = find_ip("box", "tcp://docker.example.com:2376", &answering(&[])).unwrap_err();
        assert!(err.contains("names no IPv4 address"), "{err}");
    }

    #[test]
    fn a_unix_docker_host_is_not_an_address() {
        let (ip, _) = find_ip(
            "box",
            "unix:///var/run/docker.sock",
            &answering(&["10.1.1.1"]),
        )
        .unwrap();
        assert_eq!(ip.to_string(), "10.1.1.1");
    }

    #[test]
    fn the_standalone_box_has_its_vagrant_address() {
        let (ip, _) = find_ip("standalone", "", &answering(&["10.9.9.9"])).unwrap();
        assert_eq!(ip, STANDALONE_IP);
    }

    #[test]
    fn a_lookup_gives_the_one_address() {
        let (ip, source) = find_ip("box", "", &answering(&["10.0.0.5", "10.0.0.5"])).unwrap();
        assert_eq!(ip.to_string(), "10.0.0.5");
        assert_eq!(source.to_string(), "lookup: box in /etc/hosts");
    }

    #[test]
    fn loopback_answers_are_ignored_beside_a_real_one_and_refused_alone() {
        let (ip, _) = find_ip("box", "", &answering(&["127.0.1.1", "10.0.0.5"])).unwrap();
        assert_eq!(ip.to_string(), "10.0.0.5");
        let err = find_ip("box", "", &answering(&["127.0.1.1"])).unwrap_err();
        assert!(
            err.contains("only to the loopback address 127.0.1.1"),
            "{err}"
        );
        assert!(IP_ADVICE.contains("--ip"));
    }

    #[test]
    fn several_addresses_are_refused_with_the_list() {
        let err = find_ip("box", "", &answering(&["10.0.0.6", "10.0.0.5"])).unwrap_err();
        assert!(
            err.contains("several addresses (10.0.0.5, 10.0.0.6"),
            "{err}"
        );
    }

    #[test]
    fn no_answer_says_why() {
        let err = find_ip("box", "", &answering(&[])).unwrap_err();
        assert!(err.contains("has no IPv4 address"), "{err}");
        let failing = FakeSystem {
            hostname: None,
            fqdn: None,
            answer: Err("DNS gave no answer within 3 seconds".into()),
        };
        let err = find_ip("box", "", &failing).unwrap_err();
        assert!(err.contains("no answer within 3 seconds"), "{err}");
    }

    #[test]
    fn an_address_as_hostname_needs_no_lookup() {
        let (ip, _) = find_ip("10.2.3.4", "", &answering(&[])).unwrap();
        assert_eq!(ip.to_string(), "10.2.3.4");
    }

    #[test]
    fn real_lookup_in_the_system_hosts_file_refuses_localhost() {
        // A real lookup through the hosts file: localhost is loopback there.
        let err = find_ip("localhost", "", &RealSystem::default()).unwrap_err();
        assert!(err.contains("loopback address 127.0.0.1"), "{err}");
        assert!(err.contains("/etc/hosts"), "{err}");
    }

    #[test]
    fn real_lookup_reads_a_hosts_file_and_its_canonical_names() {
        let tmp = tempfile::tempdir().unwrap();
        let hosts = tmp.path().join("hosts");
        std::fs::write(&hosts, "# comment\n127.0.0.1 localhost\n10.20.30.40 master-1.example.com master-1 # x\n::1 master-1\n").unwrap();
        let system = RealSystem::with(hosts.clone(), vec![], Duration::from_secs(1));
        let answer = system.resolve("MASTER-1").unwrap();
        assert_eq!(answer.addrs, vec![Ipv4Addr::new(10, 20, 30, 40)]);
        assert_eq!(answer.via, hosts.display().to_string());
    }

    #[test]
    fn a_byte_that_is_not_utf8_spoils_only_its_word() {
        let tmp = tempfile::tempdir().unwrap();
        let hosts = tmp.path().join("hosts");
        std::fs::write(
            &hosts,
            b"10.0.0.9 caf\xe9-box\n# r\xe9seau\n10.20.30.40 master-1 m\xff1\n",
        )
        .unwrap();
        let system = RealSystem::with(hosts, vec![], Duration::from_secs(1));
        let answer = system.resolve("master-1").unwrap();
        assert_eq!(answer.addrs, vec![Ipv4Addr::new(10, 20, 30, 40)]);
    }

    #[test]
    fn a_dns_server_that_never_answers_is_given_up_within_the_deadline() {
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let tmp = tempfile::tempdir().unwrap();
        let system = RealSystem::with(
            tmp.path().join("no-hosts"),
            vec![(IpAddr::V4(Ipv4Addr::LOCALHOST), port)],
            Duration::from_secs(3),
        );
        let started = Instant::now();
        let err = system.resolve("nowhere.example.org").unwrap_err();
        assert!(
            started.elapsed() < Duration::from_millis(3500),
            "{:?}",
            started.elapsed()
        );
        assert!(err.contains("DNS"), "{err}");
        drop(silent);
    }
}
