//! The lookup line's history kept between runs: one UserID a line, oldest first, in the state
//! directory beside the default journal (`~/.local/state/blockdeck/lookups`; the demo keeps its
//! own, `demo-lookups`, so that practice never fills the real one).
//!
//! The file is owner-only (0600, its directory 0700) and replaced whole (a temporary file renamed
//! over it), so a crash leaves the old list or the new one, never half of one. It holds at most
//! [`HISTORY_KEEP`] entries, only valid UserIDs (anything else is dropped when it is read), and
//! never the secret key: the writer is handed a test for it by whoever holds the key.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub use crate::app::model::HISTORY_KEEP;
use crate::tim::ids;

/// The moderator's history file.
pub fn default_path() -> PathBuf {
    crate::client::journal::default_path().with_file_name("lookups")
}

/// The demo's history file, apart from the moderator's.
pub fn demo_path() -> PathBuf {
    crate::client::journal::default_path().with_file_name("demo-lookups")
}

/// The entries of a history file's text: valid UserIDs only, each once (where it was last), the
/// newest [`HISTORY_KEEP`], oldest first.
pub fn parse(text: &str) -> Vec<String> {
    keep(text.lines())
}

/// [`parse`] of entries one by one.
fn keep<'a>(entries: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in entries {
        if ids::validate(line).is_err() {
            continue;
        }
        out.retain(|e| e != line);
        out.push(line.to_owned());
    }
    let extra = out.len().saturating_sub(HISTORY_KEEP);
    out.drain(..extra);
    out
}

/// The history in `path`; none when there is no file yet. Entries `secret` says are the key are
/// dropped too.
pub fn load(path: &Path, secret: impl Fn(&str) -> bool) -> io::Result<Vec<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(keep(
            String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|e| !secret(e)),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Writes `entries` (oldest first) to `path`: the newest [`HISTORY_KEEP`] valid UserIDs, none
/// that `secret` says is the key; the directory is made owner-only if missing, and the file is
/// replaced by renaming a complete owner-only temporary file over it.
pub fn save(path: &Path, entries: &[String], secret: impl Fn(&str) -> bool) -> io::Result<()> {
    let kept = keep(
        entries
            .iter()
            .map(String::as_str)
            .filter(|e| !e.contains(['\n', '\r']) && !secret(e)),
    );
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        crate::private::create_dirs(dir)?;
    }
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = (|| {
        let mut file = crate::private::options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        crate::private::tighten(&file)?;
        for entry in &kept {
            writeln!(file, "{entry}")?;
        }
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(_: &str) -> bool {
        false
    }

    #[test]
    fn load_keeps_valid_ids_once_and_the_newest_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lookups");
        assert_eq!(
            load(&path, never).unwrap(),
            Vec::<String>::new(),
            "no file yet"
        );
        let mut text = String::from("alice\n\nbad\u{1b}id\nbob\nalice\n");
        text.push_str(&"x".repeat(40));
        text.push_str("\nnon-ascii-李\n");
        std::fs::write(&path, text).unwrap();
        assert_eq!(load(&path, never).unwrap(), vec!["bob", "alice"]);
        let many: String = (0..HISTORY_KEEP + 20).map(|i| format!("u{i}\n")).collect();
        std::fs::write(&path, many).unwrap();
        let loaded = load(&path, never).unwrap();
        assert_eq!(loaded.len(), HISTORY_KEEP);
        assert_eq!(loaded[0], "u20");
        assert_eq!(loaded.last().unwrap(), &format!("u{}", HISTORY_KEEP + 19));
    }

    #[cfg(unix)]
    #[test]
    fn save_is_owner_only_bounded_and_never_holds_the_key() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/blockdeck/lookups");
        let key = crate::secret::SecretKey::new("K3y".to_owned()).unwrap();
        let mut entries: Vec<String> = (0..HISTORY_KEEP + 5).map(|i| format!("u{i}")).collect();
        entries.push("K3y".to_owned());
        entries.push("carol".to_owned());
        save(&path, &entries, |e| key.is(e)).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.lines().any(|l| l == "K3y"), "the key was written");
        let back = load(&path, never).unwrap();
        assert_eq!(back.len(), HISTORY_KEEP);
        assert_eq!(back.last().unwrap(), "carol");
        // Replaced whole, and nothing left beside it.
        save(&path, &["dave".to_owned()], never).unwrap();
        assert_eq!(load(&path, never).unwrap(), vec!["dave"]);
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("lookups")]);
        // A key found in the file (written by hand, say) is not loaded either.
        std::fs::write(&path, "K3y\nerin\n").unwrap();
        assert_eq!(load(&path, |e| key.is(e)).unwrap(), vec!["erin"]);
    }

    #[test]
    fn a_file_that_cannot_be_read_or_written_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be.
        let path = dir.path().join("lookups");
        std::fs::create_dir(&path).unwrap();
        assert!(load(&path, never).is_err());
        assert!(save(&path, &["alice".to_owned()], never).is_err());
    }
}
