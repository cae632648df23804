//! What HAProxy 1.6 (the image's line, 1.6.14) knows, as facts from its
//! configuration manual: the global and proxy keywords, the bind and server
//! options, the `http-request` actions and the sample fetches and
//! converters that HAProxy files may use. HAProxy 1.6 cannot be had any
//! more; newer HAProxy checks the files, and these lists keep them within
//! what the image runs (`HAPROXY_CERT_OPTS` is checked against the bind
//! options; the tests check every rendered file with [`outside`]).

/// Bind options that take a value.
pub const BIND_WITH_VALUE: [&str; 29] = [
    "alpn",
    "backlog",
    "ca-file",
    "ca-ignore-err",
    "ca-sign-file",
    "ca-sign-pass",
    "ciphers",
    "crl-file",
    "crt",
    "crt-ignore-err",
    "crt-list",
    "ecdhe",
    "gid",
    "group",
    "id",
    "interface",
    "level",
    "maxconn",
    "mode",
    "mss",
    "name",
    "namespace",
    "nice",
    "npn",
    "process",
    "tcp-ut",
    "tls-ticket-keys",
    "uid",
    "user",
];

/// Bind options that stand alone (`verify` takes none, optional or required).
pub const BIND_FLAGS: [&str; 18] = [
    "accept-proxy",
    "defer-accept",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "generate-certificates",
    "no-sslv3",
    "no-tls-tickets",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "ssl",
    "strict-sni",
    "tfo",
    "transparent",
    "v4v6",
    "v6only",
];

/// Keywords of the `global` section.
pub const GLOBAL: &[&str] = &[
    "ca-base",
    "chroot",
    "cpu-map",
    "crt-base",
    "daemon",
    "debug",
    "description",
    "external-check",
    "gid",
    "group",
    "log",
    "log-send-hostname",
    "log-tag",
    "lua-load",
    "max-spread-checks",
    "maxcompcpuusage",
    "maxcomprate",
    "maxconn",
    "maxconnrate",
    "maxpipes",
    "maxsessrate",
    "maxsslconn",
    "maxsslrate",
    "maxzlibmem",
    "nbproc",
    "node",
    "noepoll",
    "nogetaddrinfo",
    "nokqueue",
    "nopoll",
    "noreuseport",
    "nosplice",
    "pidfile",
    "quiet",
    "server-state-base",
    "server-state-file",
    "spread-checks",
    "ssl-default-bind-ciphers",
    "ssl-default-bind-options",
    "ssl-default-server-ciphers",
    "ssl-default-server-options",
    "ssl-dh-param-file",
    "ssl-server-verify",
    "stats",
    "uid",
    "ulimit-n",
    "unix-bind",
    "user",
];

/// Keywords of the proxy sections (defaults, frontend, listen, backend),
/// the compound ones with their second word.
pub const PROXY: &[&str] = &[
    "acl",
    "backlog",
    "balance",
    "bind",
    "bind-process",
    "block",
    "capture cookie",
    "capture request header",
    "capture response header",
    "compression",
    "cookie",
    "declare capture",
    "default-server",
    "default_backend",
    "description",
    "disabled",
    "dispatch",
    "email-alert from",
    "email-alert level",
    "email-alert mailers",
    "email-alert myhostname",
    "email-alert to",
    "enabled",
    "errorfile",
    "errorloc",
    "errorloc302",
    "errorloc303",
    "external-check command",
    "external-check path",
    "force-persist",
    "fullconn",
    "grace",
    "hash-type",
    "http-check disable-on-404",
    "http-check expect",
    "http-check send-state",
    "http-request",
    "http-response",
    "http-reuse",
    "http-send-name-header",
    "id",
    "ignore-persist",
    "load-server-state-from-file",
    "log",
    "log-format",
    "log-tag",
    "max-keep-alive-queue",
    "maxconn",
    "mode",
    "monitor fail",
    "monitor-net",
    "monitor-uri",
    "option abortonclose",
    "option accept-invalid-http-request",
    "option accept-invalid-http-response",
    "option allbackups",
    "option checkcache",
    "option clitcpka",
    "option contstats",
    "option dontlog-normal",
    "option dontlognull",
    "option external-check",
    "option forceclose",
    "option forwardfor",
    "option http-buffer-request",
    "option http-ignore-probes",
    "option http-keep-alive",
    "option http-no-delay",
    "option http-pretend-keepalive",
    "option http-server-close",
    "option http-tunnel",
    "option http-use-proxy-header",
    "option http_proxy",
    "option httpchk",
    "option httpclose",
    "option httplog",
    "option independent-streams",
    "option ldap-check",
    "option log-health-checks",
    "option log-separate-errors",
    "option logasap",
    "option mysql-check",
    "option nolinger",
    "option originalto",
    "option persist",
    "option pgsql-check",
    "option prefer-last-server",
    "option redis-check",
    "option redispatch",
    "option smtpchk",
    "option socket-stats",
    "option splice-auto",
    "option splice-request",
    "option splice-response",
    "option srvtcpka",
    "option ssl-hello-chk",
    "option tcp-check",
    "option tcp-smart-accept",
    "option tcp-smart-connect",
    "option tcpka",
    "option tcplog",
    "option transparent",
    "persist rdp-cookie",
    "rate-limit sessions",
    "redirect",
    "retries",
    "server",
    "server-state-file-name",
    "source",
    "stats admin",
    "stats auth",
    "stats enable",
    "stats hide-version",
    "stats http-request",
    "stats realm",
    "stats refresh",
    "stats scope",
    "stats show-desc",
    "stats show-legends",
    "stats show-node",
    "stats uri",
    "stick match",
    "stick on",
    "stick store-request",
    "stick store-response",
    "stick-table",
    "tcp-check connect",
    "tcp-check expect",
    "tcp-check send",
    "tcp-check send-binary",
    "tcp-request connection",
    "tcp-request content",
    "tcp-request inspect-delay",
    "tcp-response content",
    "tcp-response inspect-delay",
    "timeout check",
    "timeout client",
    "timeout client-fin",
    "timeout connect",
    "timeout http-keep-alive",
    "timeout http-request",
    "timeout queue",
    "timeout server",
    "timeout server-fin",
    "timeout tarpit",
    "timeout tunnel",
    "transparent",
    "unique-id-format",
    "unique-id-header",
    "use-server",
    "use_backend",
];

/// Server and default-server options that take a value.
pub const SERVER_WITH_VALUE: &[&str] = &[
    "addr",
    "agent-inter",
    "agent-port",
    "ca-file",
    "ciphers",
    "cookie",
    "crl-file",
    "crt",
    "downinter",
    "error-limit",
    "fall",
    "fastinter",
    "id",
    "inter",
    "maxconn",
    "maxqueue",
    "minconn",
    "namespace",
    "observe",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "port",
    "redir",
    "resolve-prefer",
    "resolvers",
    "rise",
    "slowstart",
    "sni",
    "source",
    "tcp-ut",
    "track",
    "verify",
    "verifyhost",
    "weight",
];

/// Server and default-server options that stand alone.
pub const SERVER_FLAGS: &[&str] = &[
    "agent-check",
    "backup",
    "check",
    "check-send-proxy",
    "check-ssl",
    "disabled",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "no-ssl-reuse",
    "no-sslv3",
    "no-tls-tickets",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "non-stick",
    "send-proxy",
    "send-proxy-v2",
    "send-proxy-v2-ssl",
    "send-proxy-v2-ssl-cn",
    "ssl",
];

/// `http-request` actions (a `(` and what follows it left out).
pub const HTTP_REQUEST_ACTIONS: &[&str] = &[
    "add-acl",
    "add-header",
    "allow",
    "auth",
    "capture",
    "del-acl",
    "del-header",
    "del-map",
    "deny",
    "redirect",
    "replace-header",
    "replace-value",
    "sc-inc-gpc0",
    "sc-set-gpt0",
    "set-header",
    "set-log-level",
    "set-map",
    "set-mark",
    "set-method",
    "set-nice",
    "set-path",
    "set-query",
    "set-src",
    "set-tos",
    "set-uri",
    "set-var",
    "silent-drop",
    "tarpit",
    "track-sc0",
    "track-sc1",
    "track-sc2",
];

/// Sample fetches and converters the files may use.
pub const SAMPLES: &[&str] = &[
    "base", "dst", "dst_port", "field", "hdr", "hdr_beg", "hdr_dom", "hdr_end", "hdr_reg",
    "hdr_sub", "lower", "method", "path", "path_beg", "path_dir", "path_end", "path_reg",
    "path_sub", "req.hdr", "src", "src_port", "upper", "url", "url_beg", "var", "word",
];

/// Each place where `config` goes beyond HAProxy 1.6: a keyword, bind or
/// server option, `http-request` action, sample fetch or converter that
/// 1.6 does not know, with its line.
pub fn outside(config: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut section = "";
    for (number, line) in config.lines().enumerate() {
        let text = line.split(" #").next().unwrap_or("").trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut out = |what: String| found.push(format!("line {}: {what}: {text}", number + 1));
        if !line.starts_with([' ', '\t']) {
            section = words[0];
            if !matches!(
                section,
                "global" | "defaults" | "frontend" | "listen" | "backend" | "userlist" | "peers"
            ) {
                out(format!("`{section}` is not a section of HAProxy 1.6"));
            }
            continue;
        }
        if section == "global" {
            if !GLOBAL.contains(&words[0]) {
                out(format!(
                    "`{}` is not a global keyword of HAProxy 1.6",
                    words[0]
                ));
            }
            continue;
        }
        let Some(keyword) = proxy_keyword(&words) else {
            out(format!(
                "`{}` is not a proxy keyword of HAProxy 1.6",
                words[0]
            ));
            continue;
        };
        let args = &words[keyword.split(' ').count()..];
        match keyword {
            "bind" => {
                if let Err(problem) = bind_options(args.get(1..).unwrap_or(&[])) {
                    out(problem);
                }
            }
            "server" => server_options(args.get(2..).unwrap_or(&[]), &mut out),
            "default-server" => server_options(args, &mut out),
            "http-request" => {
                let action = args
                    .first()
                    .map_or("", |a| a.split('(').next().unwrap_or(a));
                if !HTTP_REQUEST_ACTIONS.contains(&action) {
                    out(format!(
                        "`http-request {action}` is not an action of HAProxy 1.6"
                    ));
                }
                if action == "set-var"
                    && let Some(sample) = args.get(1)
                {
                    samples(sample, &mut out);
                }
            }
            "acl" => {
                if let Some(fetch) = args.get(1) {
                    samples(fetch, &mut out);
                }
            }
            "use_backend" => {
                // An anonymous ACL: `if { fetch pattern }`.
                if let Some(fetch) = args
                    .iter()
                    .position(|w| *w == "{")
                    .and_then(|open| args.get(open + 1))
                {
                    samples(fetch, &mut out);
                }
            }
            _ => {}
        }
    }
    found
}

/// The longest keyword of [`PROXY`] that the line's words begin with.
fn proxy_keyword(words: &[&str]) -> Option<&'static str> {
    let words = match words {
        ["no", rest @ ..] => rest,
        all => all,
    };
    PROXY
        .iter()
        .filter(|k| {
            let parts: Vec<&str> = k.split(' ').collect();
            words.len() >= parts.len() && words[..parts.len()] == parts[..]
        })
        .max_by_key(|k| k.len())
        .copied()
}

/// The most bind options `HAPROXY_CERT_OPTS` may hold (HAProxy 1.6 reads
/// at most 64 words on a line).
const MAX_BIND_WORDS: usize = 64;

/// Checks the words of a bind line after the address against HAProxy
/// 1.6's bind options: each known, with a value of its form where it takes
/// one, and the options that need another with it (a certificate for
/// `ssl`, a CA for `verify` and `generate-certificates`).
pub fn bind_options(words: &[&str]) -> Result<(), String> {
    if words.len() > MAX_BIND_WORDS {
        return Err(format!(
            "{} words; HAProxy 1.6 reads at most {MAX_BIND_WORDS} on a line",
            words.len()
        ));
    }
    let mut given: Vec<&str> = Vec::new();
    let mut verify = None;
    let mut words = words.iter().copied();
    while let Some(word) = words.next() {
        given.push(word);
        if word == "verify" {
            match words.next() {
                Some(mode @ ("none" | "optional" | "required")) => {
                    verify = Some(mode);
                    continue;
                }
                _ => return Err("`verify` takes none, optional or required".into()),
            }
        }
        if BIND_WITH_VALUE.contains(&word) {
            let Some(value) = words.next() else {
                return Err(format!("`{word}` needs a value after it"));
            };
            bind_value(word, value)?;
        } else if !BIND_FLAGS.contains(&word) {
            return Err(format!(
                "`{word}` is not a bind option of HAProxy 1.6 (the image's); expected options \
                 such as `ssl crt /etc/haproxy/haproxy.pem no-sslv3`"
            ));
        }
    }
    let has = |option: &str| given.contains(&option);
    if has("ssl") && !has("crt") && !has("crt-list") {
        return Err("`ssl` needs a certificate: `crt FILE` (or `crt-list FILE`)".into());
    }
    if matches!(verify, Some("optional" | "required")) && !has("ca-file") {
        return Err("`verify` of the clients needs their CA: `ca-file FILE`".into());
    }
    if has("generate-certificates") && !has("ca-sign-file") {
        return Err(
            "`generate-certificates` needs the CA that signs them: `ca-sign-file FILE`".into(),
        );
    }
    Ok(())
}

/// Checks the value of a bind option that takes one.
fn bind_value(option: &str, value: &str) -> Result<(), String> {
    let whole = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let ok = match option {
        "backlog" | "maxconn" | "mss" | "id" | "uid" | "gid" => whole(value),
        "nice" => value
            .strip_prefix('-')
            .unwrap_or(value)
            .parse::<u16>()
            .is_ok_and(|n| n <= 1024),
        "tcp-ut" => {
            let digits = value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            whole(digits)
                && matches!(
                    &value[digits.len()..],
                    "" | "us" | "ms" | "s" | "m" | "h" | "d"
                )
        }
        "level" => matches!(value, "user" | "operator" | "admin"),
        "mode" => whole(value) && value.bytes().all(|b| b < b'8'),
        "process" => {
            matches!(value, "all" | "odd" | "even")
                || value
                    .split_once('-')
                    .map_or(whole(value), |(a, b)| whole(a) && whole(b))
        }
        "namespace" => {
            return Err(
                "`namespace` names a network namespace of the host, which the container \
                 (host networking) does not have"
                    .into(),
            );
        }
        "user" | "group" => value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("`{option} {value}`: not a value `{option}` takes"))
    }
}

/// Checks server options; the first unknown one is named (what follows it
/// cannot be told apart from its value).
fn server_options(words: &[&str], out: &mut dyn FnMut(String)) {
    let mut words = words.iter();
    while let Some(word) = words.next() {
        if SERVER_WITH_VALUE.contains(word) {
            words.next();
        } else if !SERVER_FLAGS.contains(word) {
            out(format!("`{word}` is not a server option of HAProxy 1.6"));
            return;
        }
    }
}

/// Checks each fetch and converter of a sample expression such as
/// `req.hdr(host),field(1,:),lower`.
fn samples(expression: &str, out: &mut dyn FnMut(String)) {
    let mut depth = 0;
    let mut start = 0;
    let mut names = Vec::new();
    for (i, c) in expression.char_indices() {
        match c {
            '(' => {
                if depth == 0 {
                    names.push(&expression[start..i]);
                }
                depth += 1;
            }
            ')' => depth -= 1,
            ',' if depth == 0 => {
                if !expression[start..i].ends_with(')') {
                    names.push(&expression[start..i]);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if !expression[start..].ends_with(')') && !expression[start..].is_empty() {
        names.push(&expression[start..]);
    }
    for name in names {
        let name = name.trim_start_matches(',');
        if !SAMPLES.contains(&name) {
            out(format!(
                "`{name}` is not a sample fetch or converter of HAProxy 1.6"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_are_sorted_and_without_repeats() {
        for list in [
            &BIND_WITH_VALUE[..],
            &BIND_FLAGS,
            GLOBAL,
            PROXY,
            SERVER_WITH_VALUE,
            SERVER_FLAGS,
            HTTP_REQUEST_ACTIONS,
            SAMPLES,
        ] {
            let mut sorted = list.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted, list);
        }
    }

    #[test]
    fn a_configuration_of_16_keywords_passes() {
        let config = "global\n    daemon\n    maxconn 10\n\ndefaults\n    mode http\n    \
                      timeout connect 5s\n    option http-keep-alive\n\nfrontend f\n    \
                      bind 10.0.0.1:80 ssl crt /x.pem no-sslv3\n    \
                      http-request set-var(txn.host) req.hdr(host),field(1,:),lower\n    \
                      acl a var(txn.host) -m str x\n    \
                      use_backend b if { path_beg /x/ }\n\nbackend b\n    \
                      default-server weight 100\n    \
                      server n_1 10.0.0.2:80 maxconn 128 weight 5 check\n";
        assert_eq!(outside(config), Vec::<String>::new());
    }

    #[test]
    fn what_came_after_16_is_named_with_its_line() {
        let config = "global\n    hard-stop-after 30s\n\nfrontend f\n    \
                      bind :80 quic\n    http-request return status 200\n    \
                      http-after-response set-header X y\n    \
                      acl a req.hdr(host),host_only x\n\nbackend b\n    \
                      server s 10.0.0.1:80 check init-addr none\n\nring r\n";
        let found = outside(config);
        let expected = [
            "line 2: `hard-stop-after` is not a global keyword",
            "line 5: `quic` is not a bind option",
            "line 6: `http-request return` is not an action",
            "line 7: `http-after-response` is not a proxy keyword",
            "line 8: `host_only` is not a sample fetch or converter",
            "line 11: `init-addr` is not a server option",
            "line 13: `ring` is not a section",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (found, expected) in found.iter().zip(expected) {
            assert!(found.starts_with(expected), "{found}");
        }
    }

    #[test]
    fn bind_options_take_values_of_their_form_and_what_they_need() {
        let check = |text: &str| bind_options(&text.split_whitespace().collect::<Vec<_>>());
        for good in [
            "ssl crt /x.pem no-sslv3 ciphers HIGH:!aNULL",
            "ssl crt /x.pem verify required ca-file /ca.pem",
            "ssl crt /x.pem generate-certificates ca-sign-file /ca.pem",
            "maxconn 100 backlog 10 nice -5 level admin mode 0600 process 1-2 tcp-ut 30s",
        ] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("ssl", "`ssl` needs a certificate"),
            ("ssl crt /x.pem verify required", "needs their CA"),
            (
                "ssl crt /x.pem generate-certificates",
                "`ca-sign-file FILE`",
            ),
            ("maxconn lots", "`maxconn lots`: not a value"),
            ("backlog -5", "`backlog -5`: not a value"),
            ("level god", "`level god`"),
            ("namespace x", "network namespace"),
            ("mode 0999", "`mode 0999`"),
        ] {
            let error = check(bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
        let many = vec!["accept-proxy"; 65].join(" ");
        assert!(check(&many).unwrap_err().contains("at most 64"));
    }
}
