//! Who may talk to the server: requests for this host only (DNS rebinding), from no page but
//! this one (Origin, Fetch metadata), and for the API only with the token.

use std::net::IpAddr;

use http::HeaderMap;
use http::header::{HOST, ORIGIN};

/// The hosts a request may name besides loopback and IP literals (`--ui-allow-host`).
#[derive(Clone, Debug, Default)]
pub struct Hosts {
    names: Vec<String>,
}

impl Hosts {
    pub fn new(names: &[String]) -> Self {
        Self { names: names.iter().map(|n| n.trim().to_ascii_lowercase()).collect() }
    }

    /// Whether `Host` names this server: `127.0.0.1`, `[::1]`, `localhost`, any IP literal
    /// or an allowed name, each with any port. A name that resolves elsewhere today and here
    /// tomorrow (DNS rebinding) is refused unless the user allowed it.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        if self.names.contains(&host) {
            return true;
        }
        let Some(name) = host_name(&host) else {
            return false;
        };
        name == "localhost" || is_ip_literal(name) || self.names.iter().any(|n| n == name)
    }
}

/// The host part of a `Host` value: without the port, brackets kept for IPv6.
fn host_name(host: &str) -> Option<&str> {
    if host.starts_with('[') {
        let end = host.find(']')?;
        let rest = &host[end + 1..];
        return (rest.is_empty() || is_port(rest.strip_prefix(':')?)).then(|| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if is_port(port) && !name.contains(':') => Some(name),
        Some(_) => None,
        None => Some(host),
    }
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_ip_literal(name: &str) -> bool {
    match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => name.parse::<std::net::Ipv4Addr>().is_ok(),
    }
}

/// Why a request is refused before it reaches a handler.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Host,
    Origin,
}

/// The Host check every request passes.
pub fn check_host(headers: &HeaderMap, hosts: &Hosts) -> Result<(), Refusal> {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).ok_or(Refusal::Host)?;
    if hosts.allows(host) { Ok(()) } else { Err(Refusal::Host) }
}

/// The API's extra check: no other site's page may call it, even with a stolen token in hand.
pub fn check_origin(headers: &HeaderMap) -> Result<(), Refusal> {
    let site = headers.get("sec-fetch-site").map(|v| v.as_bytes());
    if site.is_some_and(|s| s.eq_ignore_ascii_case(b"cross-site")) {
        return Err(Refusal::Origin);
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let host = headers.get(HOST).map(|h| h.as_bytes()).ok_or(Refusal::Origin)?;
    let origin = origin.as_bytes();
    let same = [b"http://".as_slice(), b"https://"]
        .iter()
        .any(|scheme| origin.strip_prefix(*scheme).is_some_and(|rest| rest == host));
    if same { Ok(()) } else { Err(Refusal::Origin) }
}

/// The address to print for a listener: a wildcard bind is reached through loopback.
pub fn reachable(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn loopback_ip_literals_and_allowed_names_pass_the_host_check() {
        let hosts = Hosts::new(&["box.lan".to_owned()]);
        for ok in [
            "127.0.0.1:8788",
            "127.0.0.1",
            "localhost:1420",
            "LOCALHOST",
            "[::1]:8788",
            "[::1]",
            "192.168.1.20:8788",
            "[fe80::1]:80",
            "box.lan",
            "box.lan:8788",
            "BOX.LAN:8788",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8788",
            "localhost.evil.example",
            "127.0.0.1.nip.io:8788",
            "box.lan.evil.example",
            "::1",
            "[::1]x",
            "127.0.0.1:",
            "127.0.0.1:99999999",
            "",
            "[zz]:80",
        ] {
            assert!(!hosts.allows(bad), "{bad}");
        }
        assert!(check_host(&headers(&[]), &hosts).is_err());
        assert!(check_host(&headers(&[("host", "127.0.0.1:1")]), &hosts).is_ok());
    }

    #[test]
    fn only_the_page_itself_may_be_the_origin() {
        let ok = |pairs: &[(&'static str, &'static str)]| check_origin(&headers(pairs)).is_ok();
        assert!(ok(&[("host", "127.0.0.1:8788")]));
        assert!(ok(&[("host", "127.0.0.1:8788"), ("origin", "http://127.0.0.1:8788")]));
        assert!(ok(&[("host", "box.lan"), ("origin", "https://box.lan")]));
        assert!(ok(&[("host", "127.0.0.1:8788"), ("sec-fetch-site", "same-origin")]));
        assert!(!ok(&[("host", "127.0.0.1:8788"), ("origin", "http://127.0.0.1:8789")]));
        assert!(!ok(&[("host", "127.0.0.1:8788"), ("origin", "http://evil.example")]));
        assert!(!ok(&[("host", "127.0.0.1:8788"), ("origin", "null")]));
        assert!(!ok(&[("host", "127.0.0.1:8788"), ("origin", "http://127.0.0.1:8788/")]));
        assert!(!ok(&[("origin", "http://127.0.0.1:8788")]));
        assert!(!ok(&[("host", "127.0.0.1:8788"), ("sec-fetch-site", "cross-site")]));
    }

    #[test]
    fn wildcard_binds_print_loopback() {
        assert_eq!(reachable("0.0.0.0".parse().unwrap()).to_string(), "127.0.0.1");
        assert_eq!(reachable("::".parse().unwrap()).to_string(), "127.0.0.1");
        assert_eq!(reachable("10.0.0.2".parse().unwrap()).to_string(), "10.0.0.2");
    }
}
