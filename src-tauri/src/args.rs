//! Command-line options of the app. tauri-driver passes test settings only as arguments,
//! so `--data-dir` and `--listen` mirror the CLI's.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    pub data_dir: Option<PathBuf>,
    /// Explicit listen address; without one the default port is tried, then any free port.
    pub listen: Option<SocketAddr>,
    pub max_body: Option<u64>,
    /// How long Flovi API calls may take (tests shorten it).
    pub flovi_timeout: Option<Duration>,
}

impl Args {
    /// Parses `--name value` and `--name=value`; unknown arguments are reported and skipped
    /// (WebDriver and desktop launchers add their own).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut out = Self::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (arg.clone(), None),
            };
            let known = ["--data-dir", "--listen", "--max-body", "--flovi-timeout"];
            if !known.contains(&name.as_str()) {
                tracing::warn!("ignoring unknown argument {arg:?}");
                continue;
            }
            let value =
                inline.or_else(|| args.next()).ok_or_else(|| format!("{name} needs a value"))?;
            match name.as_str() {
                "--data-dir" => out.data_dir = Some(PathBuf::from(value)),
                "--listen" => {
                    out.listen = Some(
                        value.parse().map_err(|_| format!("--listen: not an address: {value}"))?,
                    )
                }
                "--flovi-timeout" => {
                    let secs = value
                        .parse::<f64>()
                        .ok()
                        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
                        .ok_or_else(|| {
                            format!("--flovi-timeout: not a number of seconds: {value}")
                        })?;
                    out.flovi_timeout = Some(Duration::from_secs_f64(secs));
                }
                _ => {
                    out.max_body = Some(
                        value.parse().map_err(|_| format!("--max-body: not a number: {value}"))?,
                    )
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        Args::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn reads_both_spellings_and_skips_unknown() {
        let args = parse(&["--data-dir", "/d", "--x", "--listen=127.0.0.1:0"]).unwrap();
        assert_eq!(args.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(args.listen, Some("127.0.0.1:0".parse().unwrap()));
        let args = parse(&["--flovi-timeout=0.5"]).unwrap();
        assert_eq!(args.flovi_timeout, Some(Duration::from_millis(500)));
    }

    #[test]
    fn rejects_bad_values() {
        assert!(parse(&["--listen", "nope"]).is_err());
        assert!(parse(&["--data-dir"]).is_err());
        assert!(parse(&["--flovi-timeout", "0"]).is_err());
        assert!(parse(&["--flovi-timeout", "soon"]).is_err());
    }
}
