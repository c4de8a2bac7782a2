//! The TIM secret key: where it may come from and how it is kept out of sight.
//!
//! The key signs every UserSig, so whoever holds it can act as the app's admin. It is read from
//! the environment variable [`SECRET_ENV`] or from a key file that only its owner can read (the
//! same rule ssh applies to private keys). [`SecretKey`] has no `Display` and no `Serialize`,
//! its `Debug` prints a placeholder, and no error produced here ever contains the key.

use std::ffi::OsString;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use rand::RngCore;

/// Environment variable that holds the secret key when no key file is given.
pub const SECRET_ENV: &str = "BLOCKDECK_SECRET_KEY";

/// A key file larger than this cannot be a TIM secret key (those are 64 characters).
const MAX_KEY_FILE_BYTES: u64 = 4096;

/// Number of random bytes behind a generated key; hex-encoded they give 64 characters,
/// the length of the keys the Chat console hands out.
const RANDOM_KEY_BYTES: usize = 32;

/// The secret key of one SDKAppID.
///
/// The string is used as-is (its UTF-8 bytes key the HMAC; it is not hex-decoded). The only way
/// to read it is [`SecretKey::expose`], which keeps every use easy to find.
#[derive(Clone)]
pub struct SecretKey(String);

impl SecretKey {
    /// Wraps a key string, refusing an empty or whitespace-only key and one that contains control
    /// characters (a line break inside a key is nearly always a pasted file with extra lines).
    pub fn new(key: String) -> Result<Self, SecretError> {
        check_key_text(&key, &KeySource::Given)?;
        Ok(SecretKey(key))
    }

    /// Generates a fresh key of 64 lowercase hex characters from the operating system's random
    /// source. Meant for the sandbox and the demo, where no real key exists.
    pub fn random() -> Self {
        let mut bytes = [0u8; RANDOM_KEY_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        let key = hex_lower(&bytes);
        bytes.fill(0);
        SecretKey(key)
    }

    /// The key string itself. Call this only where the key is fed to the HMAC.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `text` is this key (compared in constant time): what keeps a key pasted into the
    /// lookup line out of the history written to disk.
    pub fn is(&self, text: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.0.len() == text.len() && bool::from(self.0.as_bytes().ct_eq(text.as_bytes()))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        // Best effort: overwrite the bytes before the allocation is returned, so the key does not
        // linger in freed memory. `black_box` keeps the compiler from discarding the writes.
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.fill(0);
        std::hint::black_box(&bytes);
    }
}

/// Where a key was looked for; used only to word error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeySource {
    Given,
    Env,
    File(PathBuf),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Given => f.write_str("the secret key"),
            KeySource::Env => write!(f, "the secret key in {SECRET_ENV}"),
            KeySource::File(path) => write!(f, "key file {}", path.display()),
        }
    }
}

/// Why no usable secret key could be obtained. Messages name the cause and the remedy and never
/// contain the key.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Neither a key file nor the environment variable was provided.
    #[error(
        "no secret key: set {SECRET_ENV} or pass --key-file PATH (a file readable only by you)"
    )]
    NotConfigured,
    /// The key (from wherever it came) is empty or only whitespace.
    #[error("{source_desc} is empty; put the secret key of the app (from the Chat console) there")]
    Empty {
        /// Where the key came from, e.g. `key file /x/y`.
        source_desc: String,
    },
    /// A webhook token that is given but empty.
    #[error(
        "{source_desc} is empty: an empty webhook token would turn the Sign check off; \
         set the token from the Chat console's callback settings, or unset it"
    )]
    EmptyToken { source_desc: String },
    /// The key holds a byte-order mark or whitespace inside it.
    #[error(
        "{source_desc} holds a byte-order mark or a space inside the key (an editor's or a \
         paste's doing); it must hold only the key's characters"
    )]
    StrayCharacter { source_desc: String },
    /// The key contains a control character such as a line break inside it.
    #[error(
        "{source_desc} contains a line break or other control character inside the key; \
         it must hold only the secret key, on one line"
    )]
    ControlCharacter {
        /// Where the key came from.
        source_desc: String,
    },
    /// The key is not valid UTF-8 text.
    #[error("{source_desc} is not UTF-8 text; it must hold only the secret key")]
    NotUtf8 {
        /// Where the key came from.
        source_desc: String,
    },
    /// The key file does not exist.
    #[error(
        "key file {} does not exist; create it with the secret key and run `chmod 600 {}`, \
         or set {SECRET_ENV} instead",
        path.display(), path.display()
    )]
    KeyFileMissing {
        /// The path that was given.
        path: PathBuf,
    },
    /// The key file exists but is readable by group or others.
    #[error(
        "key file {} is readable by group or others (mode {mode:04o}); run `chmod 600 {}`",
        path.display(), path.display()
    )]
    KeyFilePermissions {
        /// The path that was given.
        path: PathBuf,
        /// The permission bits found (`mode & 0o7777`).
        mode: u32,
    },
    /// The key file is far larger than any secret key.
    #[error(
        "key file {} is {size} bytes, too large to be a secret key; \
         it must hold only the key (64 characters)",
        path.display()
    )]
    KeyFileTooLarge {
        /// The path that was given.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// The key file is not a regular file (a directory, a socket, ...).
    #[error(
        "key file {} is not a regular file; point --key-file at the file holding the key",
        path.display()
    )]
    KeyFileNotRegular {
        /// The path that was given.
        path: PathBuf,
    },
    /// Reading the key file failed for another reason (permission denied, I/O error).
    #[error(
        "cannot read key file {}: {reason}; check the path and that you own the file",
        path.display()
    )]
    KeyFileUnreadable {
        /// The path that was given.
        path: PathBuf,
        /// The operating system's explanation.
        reason: String,
    },
}

/// Loads the secret key: from `key_file` when given, otherwise from [`SECRET_ENV`].
///
/// A key file must be owner-only (on unix: no group or other permission bits); surrounding
/// whitespace and the trailing newline are removed.
pub fn load(key_file: Option<&Path>) -> Result<SecretKey, SecretError> {
    load_from(key_file, std::env::var_os(SECRET_ENV))
}

/// [`load`] with the environment variable's value passed in, so that it can be tested without
/// changing the process environment.
fn load_from(
    key_file: Option<&Path>,
    env_value: Option<OsString>,
) -> Result<SecretKey, SecretError> {
    match key_file {
        Some(path) => read_key_file(path),
        None => {
            let value = env_value.ok_or(SecretError::NotConfigured)?;
            let text = value.into_string().map_err(|_| SecretError::NotUtf8 {
                source_desc: KeySource::Env.to_string(),
            })?;
            key_from_text(text, KeySource::Env)
        }
    }
}

fn read_key_file(path: &Path) -> Result<SecretKey, SecretError> {
    let text = read_private_text(path)?;
    key_from_text(text, KeySource::File(path.to_path_buf()))
}

/// The environment variable of the webhook token.
pub const CALLBACK_TOKEN_ENV: &str = "BLOCKDECK_CALLBACK_TOKEN";

/// The webhook token, from `file` (owner-only, like a key file) or else `BLOCKDECK_CALLBACK_TOKEN`;
/// `None` when neither is given. A token that is given but empty is refused: it would turn the
/// `Sign` check off.
pub fn load_callback_token(file: Option<&Path>) -> Result<Option<String>, SecretError> {
    let (text, source) = match file {
        Some(path) => (
            read_private_text(path)?,
            format!("the token file {}", path.display()),
        ),
        None => match std::env::var(CALLBACK_TOKEN_ENV) {
            Ok(text) => (text, CALLBACK_TOKEN_ENV.to_owned()),
            Err(std::env::VarError::NotPresent) => return Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(SecretError::NotUtf8 {
                    source_desc: CALLBACK_TOKEN_ENV.to_owned(),
                });
            }
        },
    };
    let token = text.trim();
    if token.is_empty() {
        return Err(SecretError::EmptyToken {
            source_desc: source,
        });
    }
    if token
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\u{feff}')
    {
        return Err(SecretError::ControlCharacter {
            source_desc: source,
        });
    }
    Ok(Some(token.to_owned()))
}

/// An owner-only regular file's text, read without following a swap of the path.
fn read_private_text(path: &Path) -> Result<String, SecretError> {
    let unreadable = |err: std::io::Error| {
        if err.kind() == std::io::ErrorKind::NotFound {
            SecretError::KeyFileMissing {
                path: path.to_path_buf(),
            }
        } else {
            SecretError::KeyFileUnreadable {
                path: path.to_path_buf(),
                reason: err.to_string(),
            }
        }
    };

    let not_regular = || SecretError::KeyFileNotRegular {
        path: path.to_path_buf(),
    };

    // Look before opening: opening a named pipe would block until someone writes to it.
    if !std::fs::metadata(path).map_err(unreadable)?.is_file() {
        return Err(not_regular());
    }
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    // Check the opened file again, so that the checks and the read see the same file even if the
    // path was replaced in between.
    let meta = file.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    check_permissions(path, &meta)?;
    if meta.len() > MAX_KEY_FILE_BYTES {
        return Err(SecretError::KeyFileTooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
        });
    }

    let mut bytes = Vec::new();
    let read = (&mut file)
        .take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes);
    if let Err(err) = read {
        bytes.fill(0);
        return Err(unreadable(err));
    }
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        let size = bytes.len() as u64;
        bytes.fill(0);
        return Err(SecretError::KeyFileTooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    String::from_utf8(bytes).map_err(|err| {
        let mut bytes = err.into_bytes();
        bytes.fill(0);
        SecretError::NotUtf8 {
            source_desc: KeySource::File(path.to_path_buf()).to_string(),
        }
    })
}

#[cfg(unix)]
fn check_permissions(path: &Path, meta: &std::fs::Metadata) -> Result<(), SecretError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(SecretError::KeyFilePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), SecretError> {
    // Other platforms have no mode bits to inspect; access is governed by ACLs there.
    Ok(())
}

/// Trims surrounding whitespace and validates the remaining key.
fn key_from_text(text: String, source: KeySource) -> Result<SecretKey, SecretError> {
    let trimmed = text.trim();
    let result = check_key_text(trimmed, &source).map(|()| SecretKey(trimmed.to_owned()));
    let mut bytes = text.into_bytes();
    bytes.fill(0);
    std::hint::black_box(&bytes);
    result
}

fn check_key_text(key: &str, source: &KeySource) -> Result<(), SecretError> {
    if key.trim().is_empty() {
        return Err(SecretError::Empty {
            source_desc: source.to_string(),
        });
    }
    if key.chars().any(char::is_control) {
        return Err(SecretError::ControlCharacter {
            source_desc: source.to_string(),
        });
    }
    if key
        .chars()
        .any(|c| c == '\u{feff}' || c.is_whitespace() || c == '\u{200b}')
    {
        return Err(SecretError::StrayCharacter {
            source_desc: source.to_string(),
        });
    }
    Ok(())
}

/// Why a key that passed the checks may still be wrong: the Chat console's keys are 64
/// hexadecimal characters. Shown before the first call, as the likely cause of a 70009.
pub fn format_warning(key: &SecretKey) -> Option<String> {
    let key = key.expose();
    let len = key.chars().count();
    let hex = key.chars().all(|c| c.is_ascii_hexdigit());
    match (len == 64, hex) {
        (true, true) => None,
        (false, true) => Some(format!(
            "the secret key is {len} characters long; the Chat console's keys are 64 \
             hexadecimal characters, so the service will likely refuse it (70009): copy it again"
        )),
        _ => Some(
            "the secret key holds characters that are not hexadecimal; the Chat console's keys \
             are 64 hexadecimal characters, so the service will likely refuse it (70009): copy \
             it again"
                .to_owned(),
        ),
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    #[test]
    fn keys_with_stray_characters_are_refused_and_odd_formats_named() {
        for bad in ["\u{feff}5bd2850f", "5bd2 850f", "5bd2\u{200b}850f"] {
            assert!(
                matches!(
                    SecretKey::new(bad.to_owned()),
                    Err(SecretError::StrayCharacter { .. })
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            format_warning(&SecretKey::new(KEY.to_owned()).unwrap()),
            None
        );
        let short = SecretKey::new(KEY[..63].to_owned()).unwrap();
        assert!(format_warning(&short).unwrap().contains("63 characters"));
        let odd = SecretKey::new(format!("{}zz", &KEY[..62])).unwrap();
        assert!(format_warning(&odd).unwrap().contains("not hexadecimal"));
    }

    #[test]
    fn callback_tokens_come_from_owner_only_files_and_are_never_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_key_file(&dir, b"s3cret-token\n", 0o600);
        assert_eq!(
            load_callback_token(Some(&path)).unwrap().as_deref(),
            Some("s3cret-token")
        );
        let path = write_key_file(&dir, b" \n", 0o600);
        let err = load_callback_token(Some(&path)).unwrap_err();
        assert!(matches!(err, SecretError::EmptyToken { .. }), "{err}");
        assert!(err.to_string().contains("Sign check off"), "{err}");
        #[cfg(unix)]
        {
            let path = write_key_file(&dir, b"s3cret-token", 0o644);
            assert!(matches!(
                load_callback_token(Some(&path)),
                Err(SecretError::KeyFilePermissions { .. })
            ));
        }
    }

    fn write_key_file(dir: &tempfile::TempDir, contents: &[u8], mode: u32) -> PathBuf {
        let path = dir.path().join("tim.key");
        // Start afresh each time: a previous call may have left a read-only file behind.
        let _ = std::fs::remove_file(&path);
        std::fs::write(&path, contents).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = mode;
        path
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let key = SecretKey::new(KEY.to_owned()).unwrap();
        let shown = format!("{key:?}");
        assert_eq!(shown, "SecretKey(<redacted>)");
        assert!(!shown.contains(KEY));
        let nested = format!("{:?}", Some(&key));
        assert!(!nested.contains("5bd2"));
    }

    #[test]
    fn expose_returns_the_exact_key() {
        let key = SecretKey::new(KEY.to_owned()).unwrap();
        assert_eq!(key.expose(), KEY);
        assert_eq!(key.clone().expose(), KEY);
    }

    #[test]
    fn new_rejects_empty_whitespace_and_control_characters() {
        assert!(matches!(
            SecretKey::new(String::new()),
            Err(SecretError::Empty { .. })
        ));
        assert!(matches!(
            SecretKey::new(" \t\n ".into()),
            Err(SecretError::Empty { .. })
        ));
        assert!(matches!(
            SecretKey::new("abc\ndef".into()),
            Err(SecretError::ControlCharacter { .. })
        ));
        assert!(SecretKey::new("k".into()).is_ok());
    }

    #[test]
    fn random_keys_are_64_lowercase_hex_and_differ() {
        let a = SecretKey::random();
        let b = SecretKey::random();
        assert_eq!(a.expose().len(), 64);
        assert!(
            a.expose()
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn hex_encoding_is_correct() {
        assert_eq!(hex_lower(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex_lower(&[]), "");
    }

    #[cfg(unix)]
    #[test]
    fn key_file_readable_by_others_is_refused_with_chmod_advice() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_key_file(&dir, format!("{KEY}\n").as_bytes(), 0o644);
        let err = load_from(Some(&path), None).unwrap_err();
        assert!(
            matches!(err, SecretError::KeyFilePermissions { mode: 0o644, .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("readable by group or others"), "{msg}");
        assert!(msg.contains("(mode 0644)"), "{msg}");
        assert!(
            msg.contains(&format!("chmod 600 {}", path.display())),
            "{msg}"
        );
        assert!(!msg.contains(KEY));
    }

    #[cfg(unix)]
    #[test]
    fn group_only_bits_are_refused_too() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o640, 0o604, 0o620, 0o601] {
            let path = write_key_file(&dir, KEY.as_bytes(), mode);
            let err = load_from(Some(&path), None).unwrap_err();
            assert!(
                matches!(err, SecretError::KeyFilePermissions { .. }),
                "mode {mode:o}"
            );
        }
    }

    #[test]
    fn owner_only_key_file_is_accepted_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_key_file(&dir, format!("  {KEY}\r\n\n").as_bytes(), 0o600);
        // The environment value is ignored when a key file is given.
        let key = load_from(Some(&path), Some("other".into())).unwrap();
        assert_eq!(key.expose(), KEY);
        let path = write_key_file(&dir, KEY.as_bytes(), 0o400);
        assert_eq!(load_from(Some(&path), None).unwrap().expose(), KEY);
    }

    #[test]
    fn missing_key_file_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.key");
        let err = load_from(Some(&path), Some(KEY.into())).unwrap_err();
        assert!(matches!(err, SecretError::KeyFileMissing { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("does not exist"), "{msg}");
        assert!(msg.contains("nope.key"), "{msg}");
    }

    #[test]
    fn empty_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_key_file(&dir, b"\n  \n", 0o600);
        let err = load_from(Some(&path), None).unwrap_err();
        assert!(matches!(err, SecretError::Empty { .. }), "{err:?}");
        assert!(err.to_string().starts_with("key file "), "{err}");
    }

    #[test]
    fn key_file_with_two_lines_is_refused_without_echoing_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_key_file(&dir, format!("{KEY}\n# comment\n").as_bytes(), 0o600);
        let err = load_from(Some(&path), None).unwrap_err();
        assert!(
            matches!(err, SecretError::ControlCharacter { .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains(KEY));
    }

    #[test]
    fn oversized_and_binary_key_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_key_file(&dir, &vec![b'a'; 5000], 0o600);
        assert!(matches!(
            load_from(Some(&path), None),
            Err(SecretError::KeyFileTooLarge { size: 5000, .. })
        ));
        let path = write_key_file(&dir, &[0xff, 0xfe, 0x41], 0o600);
        assert!(matches!(
            load_from(Some(&path), None),
            Err(SecretError::NotUtf8 { .. })
        ));
    }

    #[test]
    fn directory_as_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_from(Some(dir.path()), None).unwrap_err();
        assert!(
            matches!(err, SecretError::KeyFileNotRegular { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn environment_value_is_used_without_a_key_file() {
        let key = load_from(None, Some(format!("{KEY}\n").into())).unwrap();
        assert_eq!(key.expose(), KEY);
        let err = load_from(None, Some("   ".into())).unwrap_err();
        assert!(err.to_string().contains(SECRET_ENV), "{err}");
    }

    #[test]
    fn nothing_configured_explains_both_sources() {
        let err = load_from(None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no secret key: set BLOCKDECK_SECRET_KEY or pass --key-file PATH \
             (a file readable only by you)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_environment_value_is_refused() {
        use std::os::unix::ffi::OsStringExt;
        let err = load_from(None, Some(OsString::from_vec(vec![0x66, 0xff]))).unwrap_err();
        assert!(matches!(err, SecretError::NotUtf8 { .. }), "{err:?}");
    }
}
