//! Where Hookscope keeps its data.

use std::path::PathBuf;

/// Environment variable that overrides the data dir when no flag is given.
pub const DATA_DIR_ENV: &str = "HOOKSCOPE_DATA_DIR";

/// The data dir: the explicit one, else `HOOKSCOPE_DATA_DIR`, else the OS data dir.
pub fn data_dir(explicit: Option<PathBuf>) -> PathBuf {
    explicit
        .or_else(|| std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()).map(PathBuf::from))
        .unwrap_or_else(default_data_dir)
}

/// The OS data dir for Hookscope (e.g. `~/.local/share/hookscope` on Linux).
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("hookscope")
}
