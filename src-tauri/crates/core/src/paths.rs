//! Where Hookscope keeps its data, and how it creates what it keeps there: captured payloads
//! and exports are readable by their owner only (a 0700 data dir, 0600 files).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Environment variable that overrides the data dir when no flag is given.
pub const DATA_DIR_ENV: &str = "HOOKSCOPE_DATA_DIR";
/// The lock file in a data dir that serialises first-run set-up across processes.
pub const LOCK_FILE: &str = "hookscope.lock";

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

/// Creates `dir` (and its missing parents) with the dir itself readable by its owner only, and
/// tightens an existing one that is not. Parents keep the usual mode: they are not ours.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {
            restrict(dir, 0o700)
        }
        Err(e) => Err(e),
    }
}

/// Opens `path` for writing, creating it readable by its owner only; an existing file is
/// truncated and tightened to the same mode.
pub fn create_private_file(path: &Path) -> std::io::Result<File> {
    let file = private_options().write(true).truncate(true).open(path)?;
    restrict_file(&file)?;
    Ok(file)
}

/// [`std::fs::write`], but the file is readable by its owner only (see
/// [`create_private_file`]).
pub fn write_private_file(
    path: impl AsRef<Path>,
    contents: impl AsRef<[u8]>,
) -> std::io::Result<()> {
    let mut file = create_private_file(path.as_ref())?;
    file.write_all(contents.as_ref())?;
    file.flush()
}

/// Creates `path` owner-only when it does not exist yet; leaves its contents alone and
/// tightens it when it does. For files another program fills (SQLite's database), whose
/// companions (its log and shared-memory files) then get the same mode.
pub fn ensure_private_file(path: &Path) -> std::io::Result<()> {
    let file = private_options().write(true).open(path)?;
    restrict_file(&file)
}

/// Tightens an existing file or dir to `mode` when it grants more; missing is fine.
pub fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let current = match std::fs::metadata(path) {
            Ok(meta) => meta.permissions().mode(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if current & 0o777 & !mode != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(current & mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// An exclusive lock on the data dir's [`LOCK_FILE`], held until the returned file is dropped
/// (or the process ends): first-run set-up done by two processes at once (the app and a CLI
/// command) runs one after the other.
pub fn lock_data_dir(dir: &Path) -> std::io::Result<File> {
    let file = private_options().read(true).write(true).open(dir.join(LOCK_FILE))?;
    restrict_file(&file)?;
    file.lock()?;
    Ok(file)
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// The mode given at creation does not apply to a file that already existed.
fn restrict_file(file: &File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_data_dir_is_owner_only_and_its_parents_are_not_touched() {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = root.path().join("a/b/hookscope");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(root.path()), 0o755);
        create_private_dir(&dir).unwrap();
    }

    #[test]
    fn an_existing_data_dir_and_files_are_tightened() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);

        let file = dir.join("export.har");
        std::fs::write(&file, "old contents").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private_file(&file, "new").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");

        let db = dir.join("db");
        std::fs::write(&db, "kept").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o664)).unwrap();
        ensure_private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(std::fs::read_to_string(&db).unwrap(), "kept", "contents left alone");
    }

    #[test]
    fn new_files_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        write_private_file(dir.path().join("a"), "x").unwrap();
        ensure_private_file(&dir.path().join("b")).unwrap();
        drop(lock_data_dir(dir.path()).unwrap());
        for name in ["a", "b", LOCK_FILE] {
            assert_eq!(mode(&dir.path().join(name)), 0o600, "{name}");
        }
    }

    #[test]
    fn the_data_dir_lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock_data_dir(dir.path()).unwrap();
        let other = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.path().join(LOCK_FILE))
            .unwrap();
        assert!(other.try_lock().is_err(), "a second holder waits");
        drop(held);
        other.try_lock().unwrap();
    }
}
