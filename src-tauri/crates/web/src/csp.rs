//! The page's Content-Security-Policy: the desktop window's, read from `tauri.conf.json`, so
//! the browser and the webview hold the page to one policy.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};

const TAURI_CONF: &str = include_str!("../../../tauri.conf.json");

/// `key value; key value` in the order `app.security.csp` lists them.
pub fn policy() -> Result<String, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Conf {
        app: AppConf,
    }
    #[derive(serde::Deserialize)]
    struct AppConf {
        security: Security,
    }
    #[derive(serde::Deserialize)]
    struct Security {
        csp: Directives,
    }
    let conf: Conf = serde_json::from_str(TAURI_CONF)?;
    let parts: Vec<String> =
        conf.app.security.csp.0.iter().map(|(key, value)| format!("{key} {value}")).collect();
    Ok(parts.join("; "))
}

/// The directives in file order: a JSON object read pair by pair, since a map type would sort
/// them (or not, depending on serde_json's features elsewhere in the build).
struct Directives(Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for Directives {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Directives;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of CSP directives")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Directives, A::Error> {
                let mut out = Vec::new();
                while let Some(pair) = map.next_entry::<String, String>()? {
                    out.push(pair);
                }
                Ok(Directives(out))
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn policy_is_the_windows_in_file_order() {
        let csp = policy().unwrap();
        // Read back independently: every `"key": "value"` line of the csp object, in order.
        let start = TAURI_CONF.find("\"csp\"").unwrap();
        let end = start + TAURI_CONF[start..].find('}').unwrap();
        let expected: Vec<String> = TAURI_CONF[start..end]
            .lines()
            .skip(1)
            .filter_map(|line| {
                let (key, value) = line.trim().trim_end_matches(',').split_once(": ")?;
                Some(format!("{} {}", key.trim_matches('"'), value.trim_matches('"')))
            })
            .collect();
        assert!(expected.len() > 5, "{expected:?}");
        assert_eq!(csp, expected.join("; "));
        assert!(csp.starts_with("default-src 'self'; "), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
}
