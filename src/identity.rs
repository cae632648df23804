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
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RData;

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

    /// The IPv4 addresses DNS gives `name`, with the canonical name they
    /// were found under (after CNAMEs and the search domains); an error
    /// when DNS gives no answer (unreachable, refused, failing), not when it
    /// answers that there is no such record.
    fn dns(&self, name: &str) -> Result<DnsAnswer, String> {
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
                Ok(Err(NetError::Dns(DnsError::NoRecordsFound(none))))
                    if matches!(
                        none.response_code,
                        ResponseCode::NXDomain | ResponseCode::NoError
                    ) =>
                {
                    Ok(DnsAnswer::default())
                }
                Ok(Err(NetError::Dns(DnsError::NoRecordsFound(none)))) => {
                    Err(format!("DNS could not answer ({})", none.response_code))
                }
                Ok(Err(e)) => Err(format!("DNS could not answer ({e})")),
                Ok(Ok(lookup)) => {
                    let canonical = lookup
                        .as_lookup()
                        .answers()
                        .iter()
                        .find(|record| matches!(record.data, RData::A(_)))
                        .map(|record| record.name.to_string().trim_end_matches('.').to_string());
                    let addrs = lookup
                        .iter()
                        .filter_map(|ip| match ip {
                            IpAddr::V4(v4) => Some(v4),
                            IpAddr::V6(_) => None,
                        })
                        .collect();
                    Ok(DnsAnswer { addrs, canonical })
                }
            }
        })
    }

    /// `hostname -f` of a host called `hostname`: the canonical name of the
    /// hosts-file line that carries it (its first name), else the name DNS
    /// answers under; none when neither knows it.
    fn fully_qualified(&self, hostname: &str) -> Option<String> {
        let from_hosts = self
            .hosts()
            .into_iter()
            .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(hostname)))
            .and_then(|(_, names)| names.into_iter().next());
        if from_hosts.is_some() {
            return from_hosts;
        }
        self.dns(hostname).ok()?.canonical
    }
}

/// What DNS answered for a name.
#[derive(Default)]
struct DnsAnswer {
    addrs: Vec<Ipv4Addr>,
    canonical: Option<String>,
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
        self.fully_qualified(&self.hostname()?)
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
            addrs: self.dns(name)?.addrs,
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

    /// A DNS server of the test's own on loopback that answers every `A`
    /// question for NAME with `NAME CNAME canonical` and `canonical A
    /// address`, and anything else with no record. Stops when dropped.
    struct CnameServer {
        port: u16,
        stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }

    impl CnameServer {
        fn start(canonical: &'static str, address: [u8; 4]) -> CnameServer {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            let port = socket.local_addr().unwrap().port();
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let stopped = stop.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 512];
                while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                    let Ok((n, from)) = socket.recv_from(&mut buf) else {
                        continue;
                    };
                    let query = &buf[..n];
                    // The question ends after the name's labels, type, class.
                    let mut at = 12;
                    while at < n && query[at] != 0 {
                        at += usize::from(query[at]) + 1;
                    }
                    let qtype = u16::from_be_bytes([query[at + 1], query[at + 2]]);
                    let question = &query[12..at + 5];
                    let mut reply = Vec::new();
                    reply.extend_from_slice(&query[..2]);
                    reply.extend_from_slice(&[0x81, 0x80, 0, 1]);
                    let answers: u16 = if qtype == 1 { 2 } else { 0 };
                    reply.extend_from_slice(&answers.to_be_bytes());
                    reply.extend_from_slice(&[0, 0, 0, 0]);
                    reply.extend_from_slice(question);
                    if qtype == 1 {
                        let mut name = Vec::new();
                        for label in canonical.split('.') {
                            name.push(label.len() as u8);
                            name.extend_from_slice(label.as_bytes());
                        }
                        name.push(0);
                        // NAME CNAME canonical, canonical A address.
                        reply.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60]);
                        reply.extend_from_slice(&(name.len() as u16).to_be_bytes());
                        let canonical_at = reply.len() as u8;
                        reply.extend_from_slice(&name);
                        reply.extend_from_slice(&[
                            0xc0,
                            canonical_at,
                            0,
                            1,
                            0,
                            1,
                            0,
                            0,
                            0,
                            60,
                            0,
                            4,
                        ]);
                        reply.extend_from_slice(&address);
                    }
                    let _ = socket.send_to(&reply, from);
                }
            });
            CnameServer { port, stop }
        }
    }

    impl Drop for CnameServer {
        fn drop(&mut self) {
            self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    #[test]
    fn the_fully_qualified_name_is_what_hostname_f_gives_hosts_file_then_dns() {
        let dns = CnameServer::start("box.dc1.example.com", [10, 0, 0, 5]);
        let tmp = tempfile::tempdir().unwrap();
        let hosts = tmp.path().join("hosts");
        let system = || {
            RealSystem::with(
                hosts.clone(),
                vec![(IpAddr::V4(Ipv4Addr::LOCALHOST), dns.port)],
                Duration::from_secs(3),
            )
        };
        // Not in the hosts file: the name DNS answers under.
        std::fs::write(&hosts, "127.0.0.1 localhost\n").unwrap();
        assert_eq!(
            system().fully_qualified("box").as_deref(),
            Some("box.dc1.example.com")
        );
        assert_eq!(
            system().resolve("box").unwrap().addrs,
            [Ipv4Addr::new(10, 0, 0, 5)]
        );
        // In the hosts file: the first name of its line, dot or not, and
        // DNS is not asked.
        std::fs::write(&hosts, "10.0.0.5 box.lan box\n").unwrap();
        assert_eq!(system().fully_qualified("box").as_deref(), Some("box.lan"));
        std::fs::write(&hosts, "127.0.1.1 box\n").unwrap();
        assert_eq!(system().fully_qualified("box").as_deref(), Some("box"));
    }

    #[test]
    fn a_dns_server_that_cannot_be_reached_is_not_taken_for_no_address() {
        // A port nobody listens on: the kernel refuses at once.
        let closed = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let tmp = tempfile::tempdir().unwrap();
        let system = RealSystem::with(
            tmp.path().join("no-hosts"),
            vec![(IpAddr::V4(Ipv4Addr::LOCALHOST), port)],
            Duration::from_secs(2),
        );
        let err = system.resolve("nowhere.example.org").unwrap_err();
        assert!(!err.contains("no IPv4 address"), "{err}");
        assert!(err.contains("DNS"), "{err}");
        let err = find_ip("nowhere", "", &system).unwrap_err();
        assert!(
            err.starts_with("the lookup of HOSTNAME=nowhere failed (DNS"),
            "{err}"
        );
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
