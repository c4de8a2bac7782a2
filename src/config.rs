//! Profiles and resolved settings.
//!
//! A TOML file (by default confy's location for the app `blockdeck`, e.g.
//! `~/.config/blockdeck/config.toml`, or `$BLOCKDECK_CONFIG`) holds named [`Profile`]s: which
//! endpoint to call, which SDKAppID and admin to act as, rate limits and timeouts. The global
//! command-line flags ([`Overrides`]) are laid over the chosen profile, and
//! [`Settings::resolve`] turns the result into validated [`Settings`] for the client.
//!
//! The secret key is never part of this file. It comes from `BLOCKDECK_SECRET_KEY` or from the
//! key file a profile names (see [`crate::secret`]); a setting that looks like a secret is
//! refused with an error saying so. The file is still written owner-only (0600, in a 0700
//! directory when the directory is new), and it is replaced atomically so an interrupted write
//! never leaves half a file behind.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::client::journal::Location;
use crate::secret::{self, SECRET_ENV, SecretError, SecretKey};

/// Environment variable that points at another config file.
pub const CONFIG_ENV: &str = "BLOCKDECK_CONFIG";

/// Admin account used when neither a flag nor the profile names one.
pub const DEFAULT_ADMIN: &str = "administrator";

/// Calls per second allowed for each API unless configured otherwise (the standard TIM quota).
pub const DEFAULT_RATE_LIMIT: u32 = 200;

/// Client timeout per call unless configured otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;

/// The TIM backend's own timeout; a client timeout must be strictly longer.
pub const BACKEND_TIMEOUT_SECS: u64 = 3;

// ---------------------------------------------------------------------------------------------
// Regions
// ---------------------------------------------------------------------------------------------

/// A Tencent Cloud Chat data-centre region. An SDKAppID lives in exactly one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    China,
    Singapore,
    Seoul,
    Tokyo,
    Frankfurt,
    Mumbai,
    SiliconValley,
    Jakarta,
}

impl Region {
    /// Every region, in the order the documentation lists them.
    pub const ALL: [Region; 8] = [
        Region::China,
        Region::Singapore,
        Region::Seoul,
        Region::Tokyo,
        Region::Frankfurt,
        Region::Mumbai,
        Region::SiliconValley,
        Region::Jakarta,
    ];

    /// The name used in the config file and on the command line, e.g. `silicon-valley`.
    pub fn name(self) -> &'static str {
        match self {
            Region::China => "china",
            Region::Singapore => "singapore",
            Region::Seoul => "seoul",
            Region::Tokyo => "tokyo",
            Region::Frankfurt => "frankfurt",
            Region::Mumbai => "mumbai",
            Region::SiliconValley => "silicon-valley",
            Region::Jakarta => "jakarta",
        }
    }

    /// The region's main REST API domain.
    pub fn primary_domain(self) -> &'static str {
        match self {
            Region::China => "console.tim.qq.com",
            Region::Singapore => "adminapisgp.im.qcloud.com",
            Region::Seoul => "adminapikr.im.qcloud.com",
            Region::Tokyo => "adminapijpn.im.qcloud.com",
            Region::Frankfurt => "adminapiger.im.qcloud.com",
            Region::Mumbai => "adminapiind.im.qcloud.com",
            Region::SiliconValley => "adminapiusa.im.qcloud.com",
            Region::Jakarta => "adminapiidn.im.qcloud.com",
        }
    }

    /// The region's backup domain, where Tencent publishes one (Tokyo has none).
    pub fn backup_domain(self) -> Option<&'static str> {
        match self {
            Region::China => Some("adminapi.my-imcloud.com"),
            Region::Singapore => Some("adminapisgp.my-imcloud.com"),
            Region::Seoul => Some("adminapikr.my-imcloud.com"),
            Region::Tokyo => None,
            Region::Frankfurt => Some("adminapiger.my-imcloud.com"),
            Region::Mumbai => Some("adminapiind.my-imcloud.com"),
            Region::SiliconValley => Some("adminapiusa.my-imcloud.com"),
            Region::Jakarta => Some("adminapiidn.my-imcloud.com"),
        }
    }

    /// `https://` plus the primary domain, without a trailing slash.
    pub fn base_url(self) -> String {
        format!("https://{}", self.primary_domain())
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A region name that matches none of [`Region::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseRegionError {
    /// What was given.
    pub input: String,
}

impl fmt::Display for ParseRegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown region `{}`; valid regions: {} (or give --base-url URL for any other endpoint)",
            self.input,
            region_names()
        )
    }
}

impl std::error::Error for ParseRegionError {}

impl FromStr for Region {
    type Err = ParseRegionError;

    /// Accepts the names case-insensitively, with `-`, `_` or a space between words
    /// (`silicon-valley`, `Silicon_Valley`, `SILICON VALLEY`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted: String = s
            .trim()
            .chars()
            .map(|c| match c {
                '_' | ' ' => '-',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        Region::ALL
            .into_iter()
            .find(|region| region.name() == wanted)
            .ok_or_else(|| ParseRegionError {
                input: s.to_owned(),
            })
    }
}

fn region_names() -> String {
    Region::ALL.map(Region::name).join(", ")
}

// ---------------------------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------------------------

/// One named set of connection settings in the config file.
///
/// Every field is optional; what a profile leaves out comes from the flags or the defaults.
/// Unknown settings are refused so that a misspelt name is reported instead of ignored.
/// There is deliberately no field for the secret key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    /// Data-centre region; gives the endpoint when `base_url` is not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    /// Any endpoint: a backup domain, a proxy, or `http://127.0.0.1:8080` for the sandbox.
    /// Beats `region` when both are set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The app's SDKAppID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdkappid: Option<u64>,
    /// The app admin account to act as (default `administrator`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<String>,
    /// Calls per second for each API (default 200); account_check always gets half.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// An optional single cap, in calls per second, across all APIs together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_rate_limit: Option<u32>,
    /// The share of the limits, in percent (1–100, default 100), that blockdeck may use at most:
    /// the rest is left to the app's own backend and other clients on purpose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_share: Option<u32>,
    /// Refuse every action that changes a blocklist.
    #[serde(skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// File holding the secret key (owner-only). A relative path is taken relative to the
    /// config file's directory; a leading `~/` means the home directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// Per-call timeout in seconds (default 10); must exceed the backend's own 3 s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Refuse a change that comes without a reason or a ticket, before anything is sent.
    #[serde(skip_serializing_if = "is_false")]
    pub require_reason: bool,
    /// Accounts that batches leave alone unless named (`--include-protected ID`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub protected: Vec<String>,
    /// A file of more protected accounts, one UserID per line (relative to the config file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protected_file: Option<PathBuf>,
    /// Where batches are journaled: a SQLite file (relative to the config file's directory), or
    /// a team's PostgreSQL database as a `postgres://` URL. `--journal` beats it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Profile {
    /// Checks the values that have limits, so that `init_profile` never writes a profile that
    /// `Settings::resolve` would later refuse. `origin` names the profile in messages.
    fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        if let Some(url) = &self.base_url {
            normalize_base_url(url, origin)?;
        }
        if let Some(secs) = self.timeout_secs {
            check_timeout(secs, origin)?;
        }
        if let Some(limit) = self.rate_limit {
            check_rate_limit(limit, origin)?;
        }
        if let Some(limit) = self.shared_rate_limit {
            check_rate_limit(limit, origin)?;
        }
        if let Some(share) = self.limit_share {
            check_limit_share(share, origin)?;
        }
        if let Some(journal) = &self.journal {
            parse_journal(journal, origin)?;
        }
        Ok(())
    }
}

/// The whole config file: named profiles and which one to use by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfigFile {
    /// The moderator's name in the journal (`BLOCKDECK_MODERATOR` beats it; default the OS
    /// account).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderator: Option<String>,
    /// Profile used when `--profile` is not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<String>,
    /// Whether the dashboard takes clicks and the wheel (default on); `false` leaves the mouse to
    /// the terminal, whose own selection then works without Shift.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mouse: Option<bool>,
    /// Whether `c` copies through the terminal's clipboard sequence, OSC 52 (default on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub osc52: Option<bool>,
    /// Profiles by name, written as `[profiles.NAME]` tables.
    pub profiles: BTreeMap<String, Profile>,
    /// `[keys]`: actions given other keys (action name → a key or a list of keys).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: crate::app::keymap::KeysTable,
    /// `[theme]`: a preset and the colours of roles.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub theme: crate::ui::theme::ThemeTable,
}

/// How the dashboard looks and answers keys: the `[keys]` and `[theme]` of the config file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Look {
    pub keymap: crate::app::keymap::Keymap,
    /// The colours (unused under `NO_COLOR`).
    pub theme: crate::ui::theme::Theme,
}

impl ConfigFile {
    /// Whether the dashboard takes the mouse (`mouse`, default on).
    pub fn mouse(&self) -> bool {
        self.mouse.unwrap_or(true)
    }

    /// Whether `c` copies through OSC 52 (`osc52`, default on).
    pub fn osc52(&self) -> bool {
        self.osc52.unwrap_or(true)
    }
}

/// Where the config file is: `$BLOCKDECK_CONFIG` if set and non-empty, else confy's location
/// for the app `blockdeck` (on Linux `~/.config/blockdeck/config.toml`), else `blockdeck.toml`
/// in the current directory when no home directory can be determined.
pub fn default_path() -> PathBuf {
    default_path_from(std::env::var_os(CONFIG_ENV))
}

fn default_path_from(env_value: Option<OsString>) -> PathBuf {
    match env_value {
        Some(value) if !value.is_empty() => PathBuf::from(value),
        _ => confy::get_configuration_file_path("blockdeck", "config")
            .unwrap_or_else(|_| PathBuf::from("blockdeck.toml")),
    }
}

/// Where the journal of changes goes by default (see [`crate::client::journal::default_path`]).
pub fn default_journal_path() -> PathBuf {
    crate::client::journal::default_path()
}

/// A journal named in a profile: a `postgres://` URL, or a file path.
fn parse_journal(text: &str, origin: &str) -> Result<Location, ConfigError> {
    Location::parse(text).map_err(|message| ConfigError::BadJournal {
        origin: origin.to_owned(),
        message,
    })
}

/// The journal: `--journal`, else the profile's (a file relative to the config file), else the
/// default file.
fn journal_of(
    overrides: &Overrides,
    profile: &Profile,
    config_path: &Path,
    in_profile: &str,
) -> Result<Location, ConfigError> {
    Ok(match (&overrides.journal, &profile.journal) {
        (Some(path), _) => journal_from_flag(path)?,
        (None, Some(text)) => match parse_journal(text, in_profile)? {
            Location::File(path) => Location::File(resolve_profile_path(&path, config_path)),
            url => url,
        },
        (None, None) => Location::File(default_journal_path()),
    })
}

/// The journal given by `--journal`: a URL when it reads as one, else a path as given.
pub fn journal_from_flag(path: &Path) -> Result<Location, ConfigError> {
    match path.to_str() {
        Some(text) => parse_journal(text, "--journal"),
        None => Ok(Location::File(path.to_owned())),
    }
}

impl ConfigFile {
    /// Reads the config file. A missing file is an empty config; it is not created.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
            Err(err) => {
                return Err(ConfigError::Unreadable {
                    path: path.to_path_buf(),
                    reason: err.to_string(),
                });
            }
        };
        if text.trim().is_empty() {
            return Ok(ConfigFile::default());
        }
        // Parsed from the text read above: one read, and a missing file is never created.
        let file = toml::from_str::<ConfigFile>(&text)
            .map_err(|err| parse_error(path, &text, err.message(), err.span()))?;
        // `[keys]` and `[theme]` are checked now, so that every command refuses a bad one with
        // its line.
        file.look().map_err(|problem| {
            let (line, column) = line_column(&text, problem.span.start);
            ConfigError::Setting {
                path: path.to_path_buf(),
                line: Some(line),
                column: Some(column),
                message: problem.message,
            }
        })?;
        Ok(file)
    }

    /// The keys and the colours the file asks for.
    pub fn look(&self) -> Result<Look, crate::app::keymap::Problem> {
        Ok(Look {
            keymap: crate::app::keymap::Keymap::from_config(&self.keys)?,
            theme: crate::ui::theme::Theme::from_config(&self.theme)?,
        })
    }

    /// Writes the config file owner-only (0600), replacing it atomically: the new contents go
    /// to a fresh 0600 file in the same directory, which is then renamed over the old one. A
    /// missing directory is created 0700. When `path` is a symbolic link, the file it points
    /// to is replaced and the link kept.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let write_error = |reason: String| ConfigError::Write {
            path: path.to_path_buf(),
            reason,
        };
        let target = follow_symlink(path);
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        crate::private::create_dirs(&dir)
            .map_err(|err| write_error(format!("cannot create {}: {err}", dir.display())))?;
        let (temp_path, temp_file) =
            create_temp_file(&dir, &target).map_err(|err| write_error(err.to_string()))?;

        let result = self
            .write_to(&temp_path, &temp_file)
            .and_then(|()| fs::rename(&temp_path, &target).map_err(|err| err.to_string()));
        drop(temp_file);
        if let Err(reason) = result {
            let _ = fs::remove_file(&temp_path);
            return Err(write_error(reason));
        }
        sync_dir(&dir);
        Ok(())
    }

    fn write_to(&self, temp_path: &Path, temp_file: &File) -> Result<(), String> {
        #[cfg(unix)]
        let stored = {
            use std::os::unix::fs::PermissionsExt;
            confy::store_path_perms(temp_path, self, fs::Permissions::from_mode(0o600))
        };
        #[cfg(not(unix))]
        let stored = confy::store_path(temp_path, self);
        stored.map_err(|err| error_chain(&err))?;
        temp_file.sync_all().map_err(|err| err.to_string())
    }

    /// The profile names, sorted.
    pub fn profile_names(&self) -> Vec<String> {
        self.profiles.keys().cloned().collect()
    }

    /// Picks the profile to use: the one named by `--profile` (which must exist), else
    /// `default_profile` (which must exist), else the only profile if there is exactly one,
    /// else none.
    fn select(
        &self,
        requested: Option<&str>,
        path: &Path,
    ) -> Result<Option<(String, Profile)>, ConfigError> {
        let found = |name: &str| {
            self.profiles
                .get(name)
                .map(|profile| (name.to_owned(), profile.clone()))
        };
        if let Some(name) = requested {
            return found(name)
                .map(Some)
                .ok_or_else(|| ConfigError::UnknownProfile {
                    name: name.to_owned(),
                    path: path.to_path_buf(),
                    available: self.profile_names(),
                });
        }
        if let Some(name) = &self.default_profile {
            return found(name)
                .map(Some)
                .ok_or_else(|| ConfigError::MissingDefaultProfile {
                    name: name.clone(),
                    path: path.to_path_buf(),
                    available: self.profile_names(),
                });
        }
        if self.profiles.len() == 1 {
            return Ok(self
                .profiles
                .iter()
                .next()
                .map(|(name, profile)| (name.clone(), profile.clone())));
        }
        Ok(None)
    }
}

/// Adds the profile `name` to the config file at `path` (replacing one of the same name),
/// optionally makes it the default, and saves the file (0600). Values with limits (timeout,
/// rate limits, base URL) are checked first, so a profile that could not be used is not written.
/// A relative `key_file` is taken relative to the current directory and stored as an absolute
/// path (in the file, a relative path would mean relative to the config file's directory).
pub fn init_profile(
    path: &Path,
    name: &str,
    mut profile: Profile,
    make_default: bool,
) -> Result<(), ConfigError> {
    if name.trim().is_empty() || name.trim() != name || name.chars().any(char::is_control) {
        return Err(ConfigError::BadProfileName {
            name: name.to_owned(),
        });
    }
    profile.validate(&format!("profile `{name}`"))?;
    let relative_key_file = profile
        .key_file
        .as_ref()
        .filter(|key_file| key_file.is_relative() && !key_file.starts_with("~"));
    if let Some(key_file) = relative_key_file {
        let absolute = std::path::absolute(key_file).map_err(|err| ConfigError::Write {
            path: path.to_path_buf(),
            reason: format!(
                "cannot make key file path {} absolute: {err}",
                key_file.display()
            ),
        })?;
        profile.key_file = Some(absolute);
    }
    let mut file = ConfigFile::load(path)?;
    file.profiles.insert(name.to_owned(), profile);
    if make_default {
        file.default_profile = Some(name.to_owned());
    }
    file.save(path)
}

// ---------------------------------------------------------------------------------------------
// Flags and resolved settings
// ---------------------------------------------------------------------------------------------

/// The global command-line flags that can override a profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--profile NAME`
    pub profile: Option<String>,
    /// `--base-url URL`
    pub base_url: Option<String>,
    /// `--region NAME`
    pub region: Option<Region>,
    /// `--sdkappid N`
    pub sdkappid: Option<u64>,
    /// `--admin ID`
    pub admin: Option<String>,
    /// `--key-file PATH`
    pub key_file: Option<PathBuf>,
    /// `--read-only` (can only switch read-only mode on, never off)
    pub read_only: bool,
    /// `--insecure-http`: a plain http:// base URL outside loopback is allowed
    pub insecure_http: bool,
    /// `--config PATH`
    pub config: Option<PathBuf>,
    /// `--journal PATH|URL`
    pub journal: Option<PathBuf>,
    /// `--rate-limit N`
    pub rate_limit: Option<u32>,
    /// `--timeout SECS`
    pub timeout_secs: Option<u64>,
}

/// Validated settings, ready for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The profile in use, if any.
    pub profile_name: Option<String>,
    /// Endpoint without a trailing slash, e.g. `https://adminapisgp.im.qcloud.com`.
    pub base_url: String,
    /// The configured region, if any (informational when a base URL was given explicitly).
    pub region: Option<Region>,
    /// The app's SDKAppID.
    pub sdkappid: u64,
    /// The admin account calls are made as.
    pub admin: String,
    /// Calls per second for each API.
    pub rate_limit: u32,
    /// Optional cap in calls per second across all APIs.
    pub shared_rate_limit: Option<u32>,
    /// The share of the limits blockdeck may use, in percent (100 = all of them).
    pub limit_share: u32,
    /// Whether mutating actions are refused.
    pub read_only: bool,
    /// Key file to read the secret from; `None` means `BLOCKDECK_SECRET_KEY`.
    pub key_file: Option<PathBuf>,
    /// Per-call timeout.
    pub timeout: Duration,
    /// Journal of changes: a SQLite file, or a PostgreSQL database.
    pub journal: Location,
    /// The config file the settings were read from (it may not exist).
    pub config_path: PathBuf,
    /// Who makes the changes, as the journal names them.
    pub moderator: String,
    /// Whether a change needs a reason or a ticket.
    pub require_reason: bool,
    /// Accounts batches leave alone unless named.
    pub protected: crate::moderation::Protected,
    /// The dashboard takes clicks and the wheel (`mouse` in the config file).
    pub mouse: bool,
    /// `c` copies through OSC 52 (`osc52` in the config file).
    pub osc52: bool,
    /// The keys and colours of the config file.
    pub look: Look,
}

impl Settings {
    /// Resolves the settings from the config file and the flags.
    ///
    /// The config file is `overrides.config`, else [`default_path`]. The profile is the one
    /// named by `--profile` (an error if the file has none of that name), else the file's
    /// `default_profile`, else the only profile if there is exactly one, else none (flags only).
    ///
    /// Each flag beats the profile's value. The endpoint is taken from the most specific level
    /// that sets one: `--base-url`, then `--region`, then the profile's `base_url`, then its
    /// `region`; so at the same level a base URL beats a region. Defaults: admin
    /// `administrator`, 200 calls/s per API, 10 s timeout, journal at [`default_journal_path`].
    pub fn resolve(overrides: &Overrides) -> Result<Settings, ConfigError> {
        let config_path = overrides.config.clone().unwrap_or_else(default_path);
        let file = ConfigFile::load(&config_path)?;
        Self::resolve_from(&file, config_path, overrides)
    }

    fn resolve_from(
        file: &ConfigFile,
        config_path: PathBuf,
        overrides: &Overrides,
    ) -> Result<Settings, ConfigError> {
        let selected = file.select(overrides.profile.as_deref(), &config_path)?;
        let (profile_name, profile) = match selected {
            Some((name, profile)) => (Some(name), profile),
            None => (None, Profile::default()),
        };
        // When no profile was picked although the file has several, the errors below name them.
        let unused_profiles = if profile_name.is_none() {
            file.profile_names()
        } else {
            Vec::new()
        };
        let in_profile = match &profile_name {
            Some(name) => format!("profile `{name}` in {}", config_path.display()),
            None => format!("config file {}", config_path.display()),
        };

        let region = overrides.region.or(profile.region);
        let base_url = if let Some(url) = &overrides.base_url {
            check_plain_http(normalize_base_url(url, "--base-url")?, overrides)?
        } else if let Some(region) = overrides.region {
            region.base_url()
        } else if let Some(url) = &profile.base_url {
            check_plain_http(normalize_base_url(url, &in_profile)?, overrides)?
        } else if let Some(region) = profile.region {
            region.base_url()
        } else {
            return Err(ConfigError::MissingEndpoint {
                profile: profile_name,
                path: config_path,
                unused_profiles,
            });
        };

        let Some(sdkappid) = overrides.sdkappid.or(profile.sdkappid) else {
            return Err(ConfigError::MissingSdkAppId {
                profile: profile_name,
                path: config_path,
                unused_profiles,
            });
        };

        let admin = overrides
            .admin
            .clone()
            .or(profile.admin.clone())
            .unwrap_or_else(|| DEFAULT_ADMIN.to_owned());

        let rate_limit = match (overrides.rate_limit, profile.rate_limit) {
            (Some(limit), _) => check_rate_limit(limit, "--rate-limit")?,
            (None, Some(limit)) => check_rate_limit(limit, &in_profile)?,
            (None, None) => DEFAULT_RATE_LIMIT,
        };
        let shared_rate_limit = profile
            .shared_rate_limit
            .map(|limit| check_rate_limit(limit, &in_profile))
            .transpose()?;
        let limit_share = profile
            .limit_share
            .map(|share| check_limit_share(share, &in_profile))
            .transpose()?
            .unwrap_or(100);

        let timeout_secs = match (overrides.timeout_secs, profile.timeout_secs) {
            (Some(secs), _) => check_timeout(secs, "--timeout")?,
            (None, Some(secs)) => check_timeout(secs, &in_profile)?,
            (None, None) => DEFAULT_TIMEOUT_SECS,
        };

        let key_file = match (&overrides.key_file, &profile.key_file) {
            (Some(path), _) => Some(path.clone()),
            (None, Some(path)) => Some(resolve_profile_path(path, &config_path)),
            (None, None) => None,
        };

        let moderator = crate::moderation::moderator(file.moderator.as_deref())
            .map_err(|message| ConfigError::Moderation { message })?;
        let protected_file = profile
            .protected_file
            .as_ref()
            .map(|path| resolve_profile_path(path, &config_path));
        let protected = crate::moderation::Protected::load(
            &profile.protected,
            protected_file.as_deref(),
            &in_profile,
        )
        .map_err(|message| ConfigError::Moderation { message })?;

        let look = file.look().map_err(|problem| ConfigError::Setting {
            path: config_path.clone(),
            line: None,
            column: None,
            message: problem.message,
        })?;
        Ok(Settings {
            mouse: file.mouse(),
            osc52: file.osc52(),
            look,
            moderator,
            require_reason: profile.require_reason,
            protected,
            profile_name,
            base_url,
            region,
            sdkappid,
            admin,
            rate_limit,
            shared_rate_limit,
            limit_share,
            read_only: overrides.read_only || profile.read_only,
            key_file,
            timeout: Duration::from_secs(timeout_secs),
            journal: journal_of(overrides, &profile, &config_path, &in_profile)?,
            config_path,
        })
    }

    /// The journal alone, as [`Settings::resolve`] would find it: for reading the journal, which
    /// needs no endpoint or SDKAppID.
    pub fn resolve_journal(overrides: &Overrides) -> Result<Location, ConfigError> {
        let config_path = overrides.config.clone().unwrap_or_else(default_path);
        let file = ConfigFile::load(&config_path)?;
        let (in_profile, profile) = match file.select(overrides.profile.as_deref(), &config_path)? {
            Some((name, profile)) => (
                format!("profile `{name}` in {}", config_path.display()),
                profile,
            ),
            None => (
                format!("config file {}", config_path.display()),
                Profile::default(),
            ),
        };
        journal_of(overrides, &profile, &config_path, &in_profile)
    }

    /// Where batches are journaled, with what each intent records about the app.
    pub fn journal_plan(&self) -> crate::client::ops::JournalPlan {
        crate::client::ops::JournalPlan {
            path: self.journal.clone(),
            profile: self.profile_name.clone(),
            sdkappid: self.sdkappid,
            base_url: self.base_url.clone(),
            moderator: self.moderator.clone(),
            require_reason: self.require_reason,
            protected: self.protected.clone(),
        }
    }

    /// Where read-only mode was switched on, in words, for the messages that refuse a change.
    pub fn read_only_source(&self) -> String {
        read_only_source(self.profile_name.as_deref())
    }

    /// Calls per second for account_check, which TIM always limits to half the others.
    /// The limits the client keeps to, after the profile's share: calls/s per API and across
    /// all APIs (never below 1).
    pub fn client_limits(&self) -> (u32, Option<u32>) {
        let share =
            |limit: u32| (u64::from(limit) * u64::from(self.limit_share) / 100).max(1) as u32;
        (share(self.rate_limit), self.shared_rate_limit.map(share))
    }

    pub fn account_check_rate_limit(&self) -> u32 {
        crate::tim::wire::Api::AccountCheck.rate_limit(self.rate_limit)
    }

    /// Reads the secret key from the key file, or from `BLOCKDECK_SECRET_KEY` without one.
    pub fn load_secret(&self) -> Result<SecretKey, SecretError> {
        secret::load(self.key_file.as_deref())
    }

    /// Where the secret key will be read from, without reading it.
    pub fn key_source(&self) -> String {
        match &self.key_file {
            Some(path) => format!("key file {}", path.display()),
            None => format!("environment {SECRET_ENV}"),
        }
    }

    /// A human summary for `blockdeck config show`. It names where the secret key comes from
    /// but never contains the key.
    pub fn describe(&self) -> String {
        let mut lines: Vec<(&str, String)> = Vec::new();
        lines.push((
            "profile",
            match &self.profile_name {
                Some(name) => name.clone(),
                None => "(none: flags and defaults only)".to_owned(),
            },
        ));
        lines.push(("base URL", self.base_url.clone()));
        if let Some(region) = self.region {
            let note = if region.base_url() == self.base_url {
                String::new()
            } else {
                " (not used: the base URL was given explicitly)".to_owned()
            };
            lines.push(("region", format!("{region}{note}")));
        }
        lines.push(("SDKAppID", self.sdkappid.to_string()));
        lines.push(("admin", self.admin.clone()));
        lines.push((
            "rate limit",
            format!(
                "{} calls/s per API (account_check {})",
                self.rate_limit,
                self.account_check_rate_limit()
            ),
        ));
        lines.push((
            "shared cap",
            match self.shared_rate_limit {
                Some(limit) => format!("{limit} calls/s across all APIs"),
                None => "none".to_owned(),
            },
        ));
        lines.push((
            "limit share",
            if self.limit_share >= 100 {
                "100% (blockdeck may use the whole limit, and yields when the service \
                 refuses calls for the rate)"
                    .to_owned()
            } else {
                let (per_api, shared) = self.client_limits();
                format!(
                    "{}%: at most {per_api} calls/s per API{}; the rest is left to the app's \
                     own traffic",
                    self.limit_share,
                    shared.map_or(String::new(), |s| format!(", {s} across all"))
                )
            },
        ));
        lines.push(("read-only", yes_no(self.read_only).to_owned()));
        lines.push(("timeout", format!("{} s", self.timeout.as_secs())));
        lines.push(("secret key", self.key_source()));
        lines.push(("journal", self.journal.to_string()));
        lines.push(("config file", self.config_path.display().to_string()));
        lines.push((
            "mouse",
            if self.mouse {
                "on"
            } else {
                "off (mouse = false)"
            }
            .to_owned(),
        ));
        lines.push((
            "copy (OSC 52)",
            if self.osc52 {
                "on"
            } else {
                "off (osc52 = false)"
            }
            .to_owned(),
        ));
        lines.push((
            "keys",
            match self.look.keymap.remapped() {
                0 => "the defaults".to_owned(),
                n => format!("{n} action(s) remapped in [keys]"),
            },
        ));

        let width = lines
            .iter()
            .map(|(label, _)| label.len())
            .max()
            .unwrap_or(0)
            + 1;
        let mut out = String::new();
        for (label, value) in lines {
            out.push_str(&format!("{:<width$} {value}\n", format!("{label}:")));
        }
        out
    }
}

/// Where read-only mode comes from: the profile (when there is one) or the flag.
pub fn read_only_source(profile: Option<&str>) -> String {
    match profile {
        Some(p) => format!("profile {p} or --read-only"),
        None => "--read-only".to_owned(),
    }
}

/// The one refusal of a change in read-only mode, for the CLI and the dashboard alike.
pub fn read_only_refusal(source: &str, what: &str) -> String {
    format!("read-only mode ({source}) refuses to {what}; nothing was sent")
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why the configuration could not be read, resolved or written. Every message names the file
/// or flag concerned and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file exists but cannot be read.
    #[error(
        "cannot read config file {}: {reason}; check the file's permissions, \
         or use another file with --config PATH or {CONFIG_ENV}",
        path.display()
    )]
    Unreadable {
        /// The config file.
        path: PathBuf,
        /// The operating system's explanation.
        reason: String,
    },
    /// The file is not valid TOML, or a value has the wrong type.
    #[error(
        "config file {}{}: {message}; correct that line, or remove the file and run \
         `blockdeck config init` to write a fresh one",
        path.display(), location(*line, *column)
    )]
    Parse {
        /// The config file.
        path: PathBuf,
        /// 1-based line of the problem, when known.
        line: Option<usize>,
        /// 1-based column of the problem, when known.
        column: Option<usize>,
        /// The parser's description of the problem.
        message: String,
    },
    /// A `[keys]` or `[theme]` setting that cannot be used; the message says what to do.
    #[error("config file {}{}: {message}", path.display(), location(*line, *column))]
    Setting {
        path: PathBuf,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    /// The file has a setting blockdeck does not know (usually a misspelling).
    #[error(
        "config file {}{}: unknown setting `{field}` (valid here: {expected}); \
         check the spelling{}",
        path.display(), location(*line, *column), top_level_hint(expected)
    )]
    UnknownField {
        /// The config file.
        path: PathBuf,
        /// The unknown setting's name.
        field: String,
        /// The settings allowed at that place.
        expected: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
    },
    /// The file has a setting that looks like the secret key. The value is never repeated.
    #[error(
        "config file {}{}: `{field}` looks like a secret key, and the secret never goes in \
         the config file; delete that line, then set {SECRET_ENV} or put `key_file = \"PATH\"` \
         in the profile, naming a file only you can read (chmod 600). If the file was shared, \
         treat the key as leaked and rotate it in the Chat console",
        path.display(), location(*line, *column)
    )]
    SecretInConfig {
        /// The config file.
        path: PathBuf,
        /// The offending setting's name.
        field: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
    },
    /// `--profile NAME` names a profile the file does not have.
    #[error(
        "no profile `{name}` in {} ({}); create it with `blockdeck config init --profile {name}`",
        path.display(), list_profiles(available)
    )]
    UnknownProfile {
        /// The requested profile.
        name: String,
        /// The config file.
        path: PathBuf,
        /// The profiles the file has.
        available: Vec<String>,
    },
    /// `default_profile` names a profile the file does not have.
    #[error(
        "default_profile = \"{name}\" in {} names no profile ({}); fix default_profile, pass \
         --profile NAME, or create it with `blockdeck config init --profile {name}`",
        path.display(), list_profiles(available)
    )]
    MissingDefaultProfile {
        /// The name in `default_profile`.
        name: String,
        /// The config file.
        path: PathBuf,
        /// The profiles the file has.
        available: Vec<String>,
    },
    /// Neither a flag nor the profile gives the SDKAppID.
    #[error(
        "no SDKAppID: pass --sdkappid N or set sdkappid in {} (`blockdeck config init` writes one)",
        profile_in(profile.as_deref(), path, unused_profiles)
    )]
    MissingSdkAppId {
        /// The profile in use, if any.
        profile: Option<String>,
        /// The config file.
        path: PathBuf,
        /// The file's profiles when none was chosen (several and no `default_profile`).
        unused_profiles: Vec<String>,
    },
    /// Neither a flag nor the profile says which endpoint to call.
    #[error(
        "no endpoint: pass --region NAME ({}) or --base-url URL, or set region or base_url \
         in {} (`blockdeck config init` writes one)",
        region_names(), profile_in(profile.as_deref(), path, unused_profiles)
    )]
    MissingEndpoint {
        /// The profile in use, if any.
        profile: Option<String>,
        /// The config file.
        path: PathBuf,
        /// The file's profiles when none was chosen (several and no `default_profile`).
        unused_profiles: Vec<String>,
    },
    /// A plain http:// base URL outside loopback.
    #[error(
        "base URL `{url}` is plain http:// to a host outside this machine: the UserSig (an admin \
         credential) would travel in clear text. Use https://, or pass --insecure-http if the \
         network between is trusted"
    )]
    PlainHttp { url: String },
    /// A base URL that cannot be used.
    #[error(
        "base URL `{url}` from {origin} {problem}; give a full URL such as \
         https://adminapisgp.im.qcloud.com or http://127.0.0.1:8080, or use --region NAME instead"
    )]
    BadBaseUrl {
        /// The URL as given.
        url: String,
        /// Where it came from: a flag or a profile.
        origin: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A timeout not longer than the backend's own.
    #[error(
        "timeout of {secs} s from {origin} is too short: the TIM backend itself waits up to \
         {BACKEND_TIMEOUT_SECS} s, so the client must wait longer; use at least {} s \
         ({DEFAULT_TIMEOUT_SECS} is a good value)",
        BACKEND_TIMEOUT_SECS + 1
    )]
    BadTimeout {
        /// The value given.
        secs: u64,
        /// Where it came from: a flag or a profile.
        origin: String,
    },
    /// A rate limit of zero.
    #[error(
        "rate limit 0 from {origin} would allow no calls at all; use at least 1 \
         (the standard TIM quota is {DEFAULT_RATE_LIMIT} calls/s per API)"
    )]
    BadRateLimit {
        /// Where it came from: a flag or a profile.
        origin: String,
    },
    #[error(
        "limit_share = {share} in {origin} is not a percentage blockdeck can use: give 1 to 100 \
         (80 leaves a fifth of the limit to the app's own traffic)"
    )]
    BadLimitShare { share: u32, origin: String },
    /// The moderator's name, or the protected accounts, cannot be used.
    #[error("{message}")]
    Moderation { message: String },
    /// A journal that is neither a usable file path nor a usable PostgreSQL URL.
    #[error("the journal in {origin} cannot be used: {message}")]
    BadJournal { origin: String, message: String },
    /// A profile name that cannot be used.
    #[error(
        "profile name `{name}` is not usable: it must be non-empty, without surrounding spaces \
         or control characters; pick a name such as `prod-sgp`"
    )]
    BadProfileName {
        /// The name given.
        name: String,
    },
    /// The config file could not be written.
    #[error(
        "cannot write config file {}: {reason}; check that its directory is writable by you, \
         or use another file with --config PATH or {CONFIG_ENV}",
        path.display()
    )]
    Write {
        /// The config file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(", line {line}, column {column}"),
        (Some(line), None) => format!(", line {line}"),
        _ => String::new(),
    }
}

fn list_profiles(names: &[String]) -> String {
    if names.is_empty() {
        "the file has no profiles".to_owned()
    } else {
        let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
        format!("profiles there: {}", quoted.join(", "))
    }
}

fn profile_in(profile: Option<&str>, path: &Path, unused_profiles: &[String]) -> String {
    match profile {
        Some(name) => format!("profile {name} of {}", path.display()),
        None if unused_profiles.is_empty() => format!("a profile of {}", path.display()),
        None => {
            let quoted: Vec<String> = unused_profiles
                .iter()
                .map(|name| format!("`{name}`"))
                .collect();
            format!(
                "a profile of {} (no profile was chosen: pick one of {} with --profile NAME, \
                 or set default_profile)",
                path.display(),
                quoted.join(", ")
            )
        }
    }
}

fn top_level_hint(expected: &str) -> &'static str {
    if expected.contains("`profiles`") {
        "; connection settings go in a table named [profiles.NAME]"
    } else {
        ""
    }
}

/// Builds the error for a TOML problem from the parser's bare message and byte span, so that
/// the offending line of the file is never echoed (it might hold a pasted secret).
fn parse_error(
    path: &Path,
    text: &str,
    message: &str,
    span: Option<std::ops::Range<usize>>,
) -> ConfigError {
    let (line, column) = match span {
        Some(span) => {
            let (line, column) = line_column(text, span.start);
            (Some(line), Some(column))
        }
        None => (None, None),
    };
    let path = path.to_path_buf();
    if let Some((field, expected)) = unknown_field(message) {
        if looks_like_secret(&field) {
            return ConfigError::SecretInConfig {
                path,
                field,
                line,
                column,
            };
        }
        return ConfigError::UnknownField {
            path,
            field,
            expected,
            line,
            column,
        };
    }
    let message = message
        .lines()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    ConfigError::Parse {
        path,
        line,
        column,
        message,
    }
}

/// Splits serde's "unknown field `x`, expected one of `a`, `b`" into the name and the list.
fn unknown_field(message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest
        .trim_start_matches(',')
        .trim()
        .trim_start_matches("expected one of")
        .trim_start_matches("expected")
        .trim();
    let expected = if expected.is_empty() || expected == "nothing" {
        "nothing".to_owned()
    } else {
        expected.to_owned()
    };
    Some((field.to_owned(), expected))
}

/// Whether a setting's name suggests it holds a credential (`secret_key`, `key`, `api-key`,
/// `password`, `usersig`, ...). `key_file` is a known setting and never reaches this check.
fn looks_like_secret(field: &str) -> bool {
    let name = field.to_ascii_lowercase().replace('-', "_");
    ["secret", "password", "passwd", "token", "usersig"]
        .iter()
        .any(|word| name.contains(word))
        || name == "key"
        || name == "sig"
        || name.ends_with("_key")
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// An error's message followed by its causes, for errors whose own message is terse.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Validation helpers
// ---------------------------------------------------------------------------------------------

/// Trims surrounding whitespace and trailing slashes and checks the scheme and host.
/// Refuses a plain `http://` base URL whose host is not loopback, unless `--insecure-http`:
/// the UserSig, an admin credential, would cross the network in clear text.
fn check_plain_http(url: String, overrides: &Overrides) -> Result<String, ConfigError> {
    if !is_clear_text_off_loopback(&url) || overrides.insecure_http {
        return Ok(url);
    }
    Err(ConfigError::PlainHttp { url })
}

/// True for a plain `http://` URL whose host is not loopback: what it carries crosses the
/// network in clear text.
pub fn is_clear_text_off_loopback(url: &str) -> bool {
    let Some(rest) = url
        .get(..7)
        .filter(|s| s.eq_ignore_ascii_case("http://"))
        .map(|_| &url[7..])
    else {
        return false;
    };
    let host = if let Some(v6) = rest.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        rest.split([':', '/']).next().unwrap_or_default()
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !loopback
}

fn normalize_base_url(url: &str, origin: &str) -> Result<String, ConfigError> {
    let bad = |problem: &'static str| ConfigError::BadBaseUrl {
        url: url.to_owned(),
        origin: origin.to_owned(),
        problem,
    };
    let trimmed = url.trim().trim_end_matches('/');
    let lower = trimmed.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &trimmed["https://".len()..]
    } else if lower.starts_with("http://") {
        &trimmed["http://".len()..]
    } else {
        return Err(bad("does not start with http:// or https://"));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad("has no host name"));
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains spaces or control characters"));
    }
    if rest.contains(['/', '?', '#']) {
        return Err(bad(
            "has a path, a query or a fragment (blockdeck adds /v4/... itself)",
        ));
    }
    Ok(trimmed.to_owned())
}

fn check_timeout(secs: u64, origin: &str) -> Result<u64, ConfigError> {
    if secs <= BACKEND_TIMEOUT_SECS {
        return Err(ConfigError::BadTimeout {
            secs,
            origin: origin.to_owned(),
        });
    }
    Ok(secs)
}

fn check_limit_share(share: u32, origin: &str) -> Result<u32, ConfigError> {
    if !(1..=100).contains(&share) {
        return Err(ConfigError::BadLimitShare {
            share,
            origin: origin.to_owned(),
        });
    }
    Ok(share)
}

fn check_rate_limit(limit: u32, origin: &str) -> Result<u32, ConfigError> {
    if limit == 0 {
        return Err(ConfigError::BadRateLimit {
            origin: origin.to_owned(),
        });
    }
    Ok(limit)
}

/// A path from a profile: `~/...` is under the home directory, a relative path is relative to
/// the config file's directory.
fn resolve_profile_path(path: &Path, config_path: &Path) -> PathBuf {
    if let (Ok(rest), Some(home)) = (path.strip_prefix("~"), dirs::home_dir()) {
        return home.join(rest);
    }
    match config_path.parent() {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }
}

// ---------------------------------------------------------------------------------------------
// Owner-only atomic writes
// ---------------------------------------------------------------------------------------------

/// The file a symbolic link points to, so that saving keeps the link; `path` itself otherwise.
fn follow_symlink(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// Creates a new, empty, owner-only file next to `target`, with a name no other writer uses.
fn create_temp_file(dir: &Path, target: &Path) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let stem = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".to_owned());
    let mut attempt = 0;
    loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(
            ".{stem}.{}.{unique}.{nanos}.tmp",
            std::process::id()
        ));
        match crate::private::options()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => {
                // The umask may have removed bits the writer needs; set exactly 0600.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    if let Err(err) = file.set_permissions(fs::Permissions::from_mode(0o600)) {
                        let _ = fs::remove_file(&path);
                        return Err(err);
                    }
                }
                return Ok((path, file));
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => {
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Makes a rename durable where the platform allows it; failures are harmless and ignored.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    const SAMPLE: &str = r#"
default_profile = "prod-sgp"

[profiles.prod-sgp]
region = "singapore"
sdkappid = 1400000001
admin = "moderator"
rate_limit = 150
shared_rate_limit = 300
limit_share = 80
key_file = "/etc/blockdeck/prod.key"
timeout_secs = 15

[profiles.sandbox]
base_url = "http://127.0.0.1:8080/"
sdkappid = 1400000000
read_only = true
"#;

    fn write_config(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("config.toml");
        fs::write(&path, text).unwrap();
        path
    }

    fn overrides_for(path: &Path) -> Overrides {
        Overrides {
            config: Some(path.to_path_buf()),
            journal: Some(PathBuf::from("/tmp/journal-for-tests.jsonl")),
            ..Overrides::default()
        }
    }

    #[cfg(unix)]
    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn regions_have_the_documented_domains() {
        let expected = [
            (
                "china",
                "console.tim.qq.com",
                Some("adminapi.my-imcloud.com"),
            ),
            (
                "singapore",
                "adminapisgp.im.qcloud.com",
                Some("adminapisgp.my-imcloud.com"),
            ),
            (
                "seoul",
                "adminapikr.im.qcloud.com",
                Some("adminapikr.my-imcloud.com"),
            ),
            ("tokyo", "adminapijpn.im.qcloud.com", None),
            (
                "frankfurt",
                "adminapiger.im.qcloud.com",
                Some("adminapiger.my-imcloud.com"),
            ),
            (
                "mumbai",
                "adminapiind.im.qcloud.com",
                Some("adminapiind.my-imcloud.com"),
            ),
            (
                "silicon-valley",
                "adminapiusa.im.qcloud.com",
                Some("adminapiusa.my-imcloud.com"),
            ),
            (
                "jakarta",
                "adminapiidn.im.qcloud.com",
                Some("adminapiidn.my-imcloud.com"),
            ),
        ];
        assert_eq!(Region::ALL.len(), expected.len());
        for (region, (name, primary, backup)) in Region::ALL.into_iter().zip(expected) {
            assert_eq!(region.to_string(), name);
            assert_eq!(region.primary_domain(), primary);
            assert_eq!(region.backup_domain(), backup);
            assert_eq!(region.base_url(), format!("https://{primary}"));
            assert_eq!(name.parse::<Region>().unwrap(), region);
        }
    }

    #[test]
    fn region_names_parse_case_insensitively_and_errors_list_them() {
        assert_eq!("Singapore".parse::<Region>(), Ok(Region::Singapore));
        assert_eq!(
            "SILICON_VALLEY".parse::<Region>(),
            Ok(Region::SiliconValley)
        );
        assert_eq!(
            " silicon valley ".parse::<Region>(),
            Ok(Region::SiliconValley)
        );
        let err = "sgp".parse::<Region>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("unknown region `sgp`"), "{msg}");
        for region in Region::ALL {
            assert!(msg.contains(region.name()), "{msg}");
        }
    }

    #[test]
    fn sample_with_two_profiles_parses() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(&dir, SAMPLE);
        let file = ConfigFile::load(&path).unwrap();
        assert_eq!(file.default_profile.as_deref(), Some("prod-sgp"));
        assert_eq!(file.profile_names(), ["prod-sgp", "sandbox"]);
        let prod = &file.profiles["prod-sgp"];
        assert_eq!(prod.region, Some(Region::Singapore));
        assert_eq!(prod.sdkappid, Some(1_400_000_001));
        assert_eq!(prod.admin.as_deref(), Some("moderator"));
        assert_eq!(prod.rate_limit, Some(150));
        assert_eq!(prod.shared_rate_limit, Some(300));
        assert_eq!(
            prod.key_file.as_deref(),
            Some(Path::new("/etc/blockdeck/prod.key"))
        );
        assert_eq!(prod.timeout_secs, Some(15));
        assert!(!prod.read_only);
        let sandbox = &file.profiles["sandbox"];
        assert_eq!(sandbox.base_url.as_deref(), Some("http://127.0.0.1:8080/"));
        assert!(sandbox.read_only);
        assert_eq!(sandbox.region, None);

        // The default profile is used when no --profile is given.
        let settings = Settings::resolve(&overrides_for(&path)).unwrap();
        assert_eq!(settings.profile_name.as_deref(), Some("prod-sgp"));
        assert_eq!(settings.base_url, "https://adminapisgp.im.qcloud.com");
        assert_eq!(settings.admin, "moderator");
        assert_eq!(settings.rate_limit, 150);
        assert_eq!(settings.account_check_rate_limit(), 75);
        assert_eq!(settings.shared_rate_limit, Some(300));
        assert_eq!(settings.limit_share, 80);
        assert_eq!(settings.client_limits(), (120, Some(240)));
        assert!(
            settings
                .describe()
                .contains("80%: at most 120 calls/s per API, 240 across all")
        );
        assert_eq!(settings.timeout, Duration::from_secs(15));
        assert_eq!(settings.config_path, path);

        let settings = Settings::resolve(&Overrides {
            profile: Some("sandbox".into()),
            ..overrides_for(&path)
        })
        .unwrap();
        assert_eq!(settings.base_url, "http://127.0.0.1:8080");
        assert!(settings.read_only);
        assert_eq!(settings.admin, DEFAULT_ADMIN);
        assert_eq!(settings.rate_limit, DEFAULT_RATE_LIMIT);
        assert_eq!(settings.timeout, Duration::from_secs(DEFAULT_TIMEOUT_SECS));
    }

    #[test]
    fn missing_file_is_empty_and_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("config.toml");
        assert_eq!(ConfigFile::load(&path).unwrap(), ConfigFile::default());
        assert!(!path.exists());
        assert!(!path.parent().unwrap().exists());

        // Flags alone are enough without any file.
        let settings = Settings::resolve(&Overrides {
            region: Some(Region::Tokyo),
            sdkappid: Some(7),
            ..overrides_for(&path)
        })
        .unwrap();
        assert_eq!(settings.profile_name, None);
        assert_eq!(settings.base_url, "https://adminapijpn.im.qcloud.com");
        assert!(!path.exists());
    }

    #[test]
    fn misspelt_setting_is_rejected_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(&dir, "[profiles.prod]\nsdkappid = 1\nregoin = \"tokyo\"\n");
        let err = ConfigFile::load(&path).unwrap_err();
        assert!(matches!(err, ConfigError::UnknownField { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("line 3, column 1"), "{msg}");
        assert!(msg.contains("unknown setting `regoin`"), "{msg}");
        assert!(msg.contains("`region`"), "{msg}");
    }

    #[test]
    fn profile_settings_at_top_level_get_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(&dir, "sdkappid = 1\n");
        let msg = ConfigFile::load(&path).unwrap_err().to_string();
        assert!(msg.contains("unknown setting `sdkappid`"), "{msg}");
        assert!(msg.contains("[profiles.NAME]"), "{msg}");
    }

    #[test]
    fn secret_in_config_is_refused_without_repeating_it() {
        let dir = tempfile::tempdir().unwrap();
        for field in ["secret_key", "key", "secret", "SecretKey", "api-key"] {
            let path = write_config(
                &dir,
                &format!("[profiles.prod]\nsdkappid = 1\n{field} = \"{KEY}\"\n"),
            );
            let err = ConfigFile::load(&path).unwrap_err();
            assert!(
                matches!(err, ConfigError::SecretInConfig { .. }),
                "{field}: {err:?}"
            );
            let msg = err.to_string();
            assert!(
                msg.contains("the secret never goes in the config file"),
                "{msg}"
            );
            assert!(msg.contains("BLOCKDECK_SECRET_KEY"), "{msg}");
            assert!(msg.contains("key_file"), "{msg}");
            assert!(msg.contains("line 3"), "{msg}");
            assert!(!msg.contains(KEY), "{msg}");
            assert!(!format!("{err:?}").contains(KEY));
        }
        // At the top level too.
        let path = write_config(&dir, &format!("secret_key = \"{KEY}\"\n"));
        let err = ConfigFile::load(&path).unwrap_err();
        assert!(matches!(err, ConfigError::SecretInConfig { .. }), "{err:?}");
    }

    #[test]
    fn syntax_errors_give_position_but_not_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(&dir, &format!("[profiles.prod]\nsdkappid = {KEY}\n"));
        let err = ConfigFile::load(&path).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("line 2"), "{msg}");
        assert!(msg.contains("blockdeck config init"), "{msg}");
        assert!(!msg.contains(KEY), "{msg}");

        let path = write_config(&dir, "[profiles.prod]\nregion = \"mars\"\n");
        let msg = ConfigFile::load(&path).unwrap_err().to_string();
        assert!(msg.contains("line 2"), "{msg}");
        assert!(msg.contains("mars"), "{msg}");
        assert!(msg.contains("singapore"), "{msg}");
    }

    #[test]
    fn mouse_and_osc52_are_on_unless_the_file_turns_them_off() {
        let dir = tempfile::tempdir().unwrap();
        let profile = "[profiles.p]\nbase_url = \"http://127.0.0.1:9\"\nsdkappid = 1\n";
        let resolve = |text: &str| {
            let path = write_config(&dir, text);
            Settings::resolve(&overrides_for(&path))
        };
        let on = resolve(profile).unwrap();
        assert!(on.mouse && on.osc52);
        let off = resolve(&format!("mouse = false\nosc52 = false\n{profile}")).unwrap();
        assert!(!off.mouse && !off.osc52);
        // Anything but a boolean is refused, naming the line.
        let msg = resolve(&format!("mouse = \"no\"\n{profile}"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("line 1"), "{msg}");
    }

    #[test]
    fn the_journal_comes_from_the_flag_else_the_profile_else_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let with = |journal: &str| {
            let text = format!(
                "[profiles.p]\nbase_url = \"http://127.0.0.1:9\"\nsdkappid = 1\njournal = \"{journal}\"\n"
            );
            let path = write_config(&dir, &text);
            Settings::resolve(&Overrides {
                journal: None,
                ..overrides_for(&path)
            })
        };
        let team =
            with("postgres://ana:pw-MUST-NOT-SHOW@db.internal/blockdeck?sslmode=verify-full")
                .unwrap();
        let Location::Postgres(url) = &team.journal else {
            panic!("{:?}", team.journal);
        };
        assert_eq!(
            url.to_string(),
            "postgres://ana@db.internal/blockdeck?sslmode=verify-full"
        );
        let shown = team.describe();
        assert!(!shown.contains("pw-MUST-NOT-SHOW"), "{shown}");
        // A file in the profile is taken relative to the config file.
        let file = with("team.db").unwrap();
        assert_eq!(file.journal, Location::File(dir.path().join("team.db")));
        // A URL that cannot be used is an error naming the profile, before anything runs.
        let err = with("postgres://ana@db/x?sslmode=sometimes")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("profile `p`") && err.contains("sslmode"),
            "{err}"
        );
        // The flag beats the profile.
        let path = write_config(
            &dir,
            "[profiles.p]\nbase_url = \"http://127.0.0.1:9\"\nsdkappid = 1\njournal = \"team.db\"\n",
        );
        let settings = Settings::resolve(&Overrides {
            journal: Some(PathBuf::from(
                "postgres:///blockdeck?host=/var/run/postgresql",
            )),
            ..overrides_for(&path)
        })
        .unwrap();
        assert!(matches!(settings.journal, Location::Postgres(_)));
    }

    #[test]
    fn flags_override_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(&dir, SAMPLE);
        let settings = Settings::resolve(&Overrides {
            profile: Some("prod-sgp".into()),
            sdkappid: Some(42),
            admin: Some("other_admin".into()),
            key_file: Some(PathBuf::from("flag.key")),
            read_only: true,
            rate_limit: Some(20),
            timeout_secs: Some(4),
            journal: Some(PathBuf::from("/var/tmp/j.jsonl")),
            ..overrides_for(&path)
        })
        .unwrap();
        assert_eq!(settings.sdkappid, 42);
        assert_eq!(settings.admin, "other_admin");
        assert_eq!(settings.key_file.as_deref(), Some(Path::new("flag.key")));
        assert!(settings.read_only);
        assert_eq!(settings.rate_limit, 20);
        assert_eq!(settings.account_check_rate_limit(), 10);
        assert_eq!(settings.timeout, Duration::from_secs(4));
        assert_eq!(
            settings.journal,
            Location::File(PathBuf::from("/var/tmp/j.jsonl"))
        );
        // Not overridable by a flag: kept from the profile.
        assert_eq!(settings.shared_rate_limit, Some(300));
        // A flag region replaces the profile's.
        let settings = Settings::resolve(&Overrides {
            region: Some(Region::Frankfurt),
            ..overrides_for(&path)
        })
        .unwrap();
        assert_eq!(settings.base_url, "https://adminapiger.im.qcloud.com");
        assert_eq!(settings.region, Some(Region::Frankfurt));
    }

    #[test]
    fn base_url_beats_region() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(
            &dir,
            "[profiles.p]\nsdkappid = 1\nregion = \"seoul\"\nbase_url = \"https://adminapikr.my-imcloud.com/\"\n",
        );
        let settings = Settings::resolve(&overrides_for(&path)).unwrap();
        assert_eq!(settings.base_url, "https://adminapikr.my-imcloud.com");
        assert_eq!(settings.region, Some(Region::Seoul));
        assert!(
            settings.describe().contains("seoul (not used"),
            "{}",
            settings.describe()
        );

        // Both as flags: the base URL wins too.
        let settings = Settings::resolve(&Overrides {
            region: Some(Region::Mumbai),
            base_url: Some("http://127.0.0.1:9000".into()),
            ..overrides_for(&path)
        })
        .unwrap();
        assert_eq!(settings.base_url, "http://127.0.0.1:9000");

        // A region flag beats the profile's base URL: the flag is the more specific level.
        let settings = Settings::resolve(&Overrides {
            region: Some(Region::Mumbai),
            ..overrides_for(&path)
        })
        .unwrap();
        assert_eq!(settings.base_url, "https://adminapiind.im.qcloud.com");
    }

    #[test]
    fn missing_sdkappid_says_how_to_provide_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(&dir, "[profiles.prod]\nregion = \"china\"\n");
        let err = Settings::resolve(&overrides_for(&path)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "no SDKAppID: pass --sdkappid N or set sdkappid in profile prod of {} \
                 (`blockdeck config init` writes one)",
                path.display()
            )
        );
    }

    #[test]
    fn missing_endpoint_says_how_to_provide_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.toml");
        let err = Settings::resolve(&Overrides {
            sdkappid: Some(1),
            ..overrides_for(&path)
        })
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, ConfigError::MissingEndpoint { .. }),
            "{err:?}"
        );
        assert!(msg.contains("--region NAME"), "{msg}");
        assert!(msg.contains("--base-url URL"), "{msg}");
        assert!(msg.contains("silicon-valley"), "{msg}");
    }

    #[test]
    fn unknown_profile_lists_the_existing_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(&dir, SAMPLE);
        let err = Settings::resolve(&Overrides {
            profile: Some("nope".into()),
            ..overrides_for(&path)
        })
        .unwrap_err();
        assert!(matches!(err, ConfigError::UnknownProfile { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("no profile `nope`"), "{msg}");
        assert!(msg.contains("`prod-sgp`, `sandbox`"), "{msg}");
        assert!(
            msg.contains("blockdeck config init --profile nope"),
            "{msg}"
        );

        let empty = dir.path().join("empty.toml");
        let msg = Settings::resolve(&Overrides {
            profile: Some("nope".into()),
            ..overrides_for(&empty)
        })
        .unwrap_err()
        .to_string();
        assert!(msg.contains("the file has no profiles"), "{msg}");
    }

    #[test]
    fn profile_choice_without_flag() {
        let dir = tempfile::tempdir().unwrap();
        // Exactly one profile: used without being named.
        let path = write_config(&dir, "[profiles.only]\nsdkappid = 5\nregion = \"tokyo\"\n");
        let settings = Settings::resolve(&overrides_for(&path)).unwrap();
        assert_eq!(settings.profile_name.as_deref(), Some("only"));
        assert_eq!(settings.sdkappid, 5);

        // Two profiles and no default: none is used.
        let path = write_config(
            &dir,
            "[profiles.a]\nsdkappid = 5\n[profiles.b]\nsdkappid = 6\n",
        );
        let err = Settings::resolve(&Overrides {
            region: Some(Region::China),
            ..overrides_for(&path)
        })
        .unwrap_err();
        assert!(
            matches!(err, ConfigError::MissingSdkAppId { profile: None, .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("pick one of `a`, `b` with --profile NAME"),
            "{msg}"
        );

        // A default that names nothing is an error, not silently ignored.
        let path = write_config(
            &dir,
            "default_profile = \"c\"\n[profiles.a]\nsdkappid = 5\n",
        );
        let msg = Settings::resolve(&overrides_for(&path))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("default_profile = \"c\""), "{msg}");
        assert!(msg.contains("`a`"), "{msg}");
    }

    #[test]
    fn timeout_not_longer_than_the_backend_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(
            &dir,
            "[profiles.p]\nsdkappid = 1\nregion = \"china\"\ntimeout_secs = 3\n",
        );
        let err = Settings::resolve(&overrides_for(&path)).unwrap_err();
        assert!(
            matches!(err, ConfigError::BadTimeout { secs: 3, .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("profile `p`"), "{msg}");
        assert!(msg.contains("at least 4 s"), "{msg}");

        for secs in [0, 1, 3] {
            let err = Settings::resolve(&Overrides {
                timeout_secs: Some(secs),
                ..overrides_for(&path)
            })
            .unwrap_err();
            assert!(err.to_string().contains("--timeout"), "{err}");
        }
        let ok = Settings::resolve(&Overrides {
            timeout_secs: Some(4),
            ..overrides_for(&path)
        })
        .unwrap();
        assert_eq!(ok.timeout, Duration::from_secs(4));

        let err = init_profile(
            &dir.path().join("new.toml"),
            "p",
            Profile {
                timeout_secs: Some(2),
                ..Profile::default()
            },
            false,
        )
        .unwrap_err();
        assert!(matches!(err, ConfigError::BadTimeout { secs: 2, .. }));
        assert!(!dir.path().join("new.toml").exists());
    }

    #[test]
    fn bad_base_url_and_zero_rate_limit_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.toml");
        for url in [
            "adminapisgp.im.qcloud.com",
            "ftp://x",
            "https://",
            "http:///x",
            "https://proxy.example.com/tim",
            "https://a.example.com?x=1",
        ] {
            let err = Settings::resolve(&Overrides {
                base_url: Some(url.into()),
                sdkappid: Some(1),
                ..overrides_for(&path)
            })
            .unwrap_err();
            assert!(matches!(err, ConfigError::BadBaseUrl { .. }), "{url}");
            let msg = err.to_string();
            assert!(msg.contains("--base-url"), "{msg}");
            assert!(msg.contains("http://127.0.0.1:8080"), "{msg}");
        }
        let ok = Settings::resolve(&Overrides {
            base_url: Some(" HTTPS://proxy.example.com// ".into()),
            sdkappid: Some(1),
            ..overrides_for(&path)
        })
        .unwrap();
        assert_eq!(ok.base_url, "HTTPS://proxy.example.com");
        // Plain http:// only to loopback, unless --insecure-http.
        for (url, insecure, fine) in [
            ("http://127.0.0.1:8080", false, true),
            ("http://[::1]:8080", false, true),
            ("http://localhost:8080", false, true),
            ("http://console.tim.qq.com", false, false),
            ("http://10.0.0.7:8080", false, false),
            ("http://10.0.0.7:8080", true, true),
        ] {
            let got = Settings::resolve(&Overrides {
                base_url: Some(url.into()),
                sdkappid: Some(1),
                insecure_http: insecure,
                ..overrides_for(&path)
            });
            assert_eq!(got.is_ok(), fine, "{url}: {got:?}");
            if let Err(e) = got {
                assert!(e.to_string().contains("--insecure-http"), "{e}");
            }
        }

        let err = Settings::resolve(&Overrides {
            region: Some(Region::China),
            sdkappid: Some(1),
            rate_limit: Some(0),
            ..overrides_for(&path)
        })
        .unwrap_err();
        assert!(matches!(err, ConfigError::BadRateLimit { .. }), "{err:?}");
        assert!(err.to_string().contains("--rate-limit"), "{err}");
    }

    #[test]
    fn saved_file_is_owner_only_and_holds_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let key_path = dir.path().join("prod.key");
        fs::write(&key_path, KEY).unwrap();
        let path = dir.path().join("conf").join("config.toml");
        let profile = Profile {
            region: Some(Region::Singapore),
            sdkappid: Some(1_400_000_001),
            key_file: Some(key_path.clone()),
            ..Profile::default()
        };
        init_profile(&path, "prod-sgp", profile.clone(), true).unwrap();

        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains(KEY), "{text}");
        assert!(text.contains(&key_path.display().to_string()), "{text}");
        assert!(text.contains("region = \"singapore\""), "{text}");
        #[cfg(unix)]
        {
            assert_eq!(mode_of(&path), 0o600);
            assert_eq!(mode_of(path.parent().unwrap()), 0o700);
        }

        // It reads back to the same thing, and no temporary file is left behind.
        let file = ConfigFile::load(&path).unwrap();
        assert_eq!(file.default_profile.as_deref(), Some("prod-sgp"));
        assert_eq!(file.profiles["prod-sgp"], profile);
        let entries: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(entries, [OsString::from("config.toml")]);
    }

    #[cfg(unix)]
    #[test]
    fn saving_over_a_readable_file_makes_it_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(&dir, SAMPLE);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        // Reading a group-readable file is fine: it holds no secret.
        assert_eq!(ConfigFile::load(&path).unwrap().profiles.len(), 2);

        init_profile(
            &path,
            "sandbox",
            Profile {
                base_url: Some("http://127.0.0.1:9999".into()),
                sdkappid: Some(3),
                ..Profile::default()
            },
            false,
        )
        .unwrap();
        assert_eq!(mode_of(&path), 0o600);
        let file = ConfigFile::load(&path).unwrap();
        assert_eq!(file.default_profile.as_deref(), Some("prod-sgp"));
        assert_eq!(file.profiles.len(), 2);
        assert_eq!(file.profiles["sandbox"].sdkappid, Some(3));
        assert_eq!(file.profiles["prod-sgp"].sdkappid, Some(1_400_000_001));
    }

    #[cfg(unix)]
    #[test]
    fn saving_through_a_symlink_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = write_config(&dir, "");
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        init_profile(&link, "p", Profile::default(), false).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(fs::read_to_string(&real).unwrap().contains("[profiles.p]"));
    }

    #[test]
    fn bad_profile_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        for name in ["", " x", "a\nb"] {
            let err = init_profile(&path, name, Profile::default(), false).unwrap_err();
            assert!(
                matches!(err, ConfigError::BadProfileName { .. }),
                "{name:?}"
            );
        }
        assert!(!path.exists());
    }

    #[test]
    fn unwritable_location_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, "").unwrap();
        let path = blocker.join("config.toml");
        let err = ConfigFile::default().save(&path).unwrap_err();
        assert!(matches!(err, ConfigError::Write { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("cannot write config file"), "{msg}");
        assert!(msg.contains("--config PATH"), "{msg}");
    }

    #[test]
    fn init_stores_a_relative_key_file_as_absolute() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let profile = Profile {
            key_file: Some(PathBuf::from("some.key")),
            ..Profile::default()
        };
        init_profile(&path, "p", profile, false).unwrap();
        let stored = ConfigFile::load(&path).unwrap().profiles["p"]
            .key_file
            .clone()
            .unwrap();
        assert_eq!(stored, std::env::current_dir().unwrap().join("some.key"));
    }

    #[test]
    fn relative_key_file_in_a_profile_is_beside_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(
            &dir,
            "[profiles.p]\nsdkappid = 1\nregion = \"china\"\nkey_file = \"keys/prod.key\"\n",
        );
        let settings = Settings::resolve(&overrides_for(&path)).unwrap();
        assert_eq!(
            settings.key_file.as_deref(),
            Some(dir.path().join("keys/prod.key").as_path())
        );
    }

    #[test]
    fn describe_names_the_key_source_but_not_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let key_path = dir.path().join("k");
        fs::write(&key_path, KEY).unwrap();
        let path = write_config(&dir, SAMPLE);
        let settings = Settings::resolve(&Overrides {
            key_file: Some(key_path.clone()),
            ..overrides_for(&path)
        })
        .unwrap();
        let text = settings.describe();
        assert!(
            text.contains(&format!("key file {}", key_path.display())),
            "{text}"
        );
        assert!(!text.contains(KEY), "{text}");
        assert!(text.contains("prod-sgp"), "{text}");
        assert!(text.contains("https://adminapisgp.im.qcloud.com"), "{text}");
        assert!(text.contains("1400000001"), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");

        let settings = Settings::resolve(&Overrides {
            profile: Some("sandbox".into()),
            ..overrides_for(&path)
        })
        .unwrap();
        let text = settings.describe();
        assert!(text.contains("environment BLOCKDECK_SECRET_KEY"), "{text}");
        assert!(text.contains("read-only:"), "{text}");
        assert!(!text.contains("region:"), "{text}");
        assert!(text.contains("mouse:"), "{text}");
        assert!(text.contains("copy (OSC 52):"), "{text}");
        assert!(
            text.contains("keys:") && text.contains("the defaults"),
            "{text}"
        );
    }

    #[test]
    fn the_readme_example_of_keys_and_colours_is_a_valid_config_file() {
        let readme = include_str!("../README.md");
        let section = readme
            .split("### Keys and colours")
            .nth(1)
            .expect("README has a Keys and colours section");
        let example = section
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("the section has a TOML example");
        let file: ConfigFile = toml::from_str(example).expect("the example parses");
        assert_eq!((file.mouse(), file.osc52()), (false, true));
        let look = file.look().expect("its keys and colours are valid");
        assert!(look.keymap.remapped() > 0);
    }

    #[test]
    fn default_paths() {
        assert!(
            default_journal_path().ends_with("blockdeck/journal.db"),
            "{}",
            default_journal_path().display()
        );
        assert_eq!(
            default_path_from(Some("/x/y.toml".into())),
            Path::new("/x/y.toml")
        );
        let confy_path = default_path_from(None);
        if dirs::home_dir().is_some() {
            assert!(
                confy_path.ends_with("blockdeck/config.toml"),
                "{confy_path:?}"
            );
        }
        assert_eq!(default_path_from(Some(OsString::new())), confy_path);
    }

    #[test]
    fn keys_and_theme_are_read_and_a_bad_one_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[profiles.sandbox]\nbase_url = \"http://127.0.0.1:8080\"\nsdkappid = 1400000000\n\n\
                    [keys]\nunblock = \"d\"\n\n[theme]\npreset = \"light\"\nerror = 160\n";
        let path = write_config(&dir, text);
        let settings = Settings::resolve(&overrides_for(&path)).unwrap();
        assert_eq!(
            settings
                .look
                .keymap
                .label(crate::app::command::Command::Unblock),
            Some("d")
        );
        assert_eq!(
            settings.look.theme.error.fg,
            Some(ratatui::style::Color::Indexed(160))
        );
        // Written back (by `config init`) the tables stay.
        let file = ConfigFile::load(&path).unwrap();
        file.save(&path).unwrap();
        assert_eq!(ConfigFile::load(&path).unwrap(), file);

        for (bad, line, says) in [
            (
                "[keys]\nsort = \"o\"\nunblok = \"d\"\n",
                3,
                "no action is called `unblok`",
            ),
            ("[keys]\nunblock = \"ctrl-\"\n", 2, "keys are written like"),
            (
                "\n[keys]\nunblock = \"i\"\n",
                3,
                "already the key of inspect",
            ),
            ("[keys]\nsubmit = \"s\"\n", 2, "letters are text"),
            ("[theme]\ncursor = \"mauve\"\n", 2, "#rrggbb"),
            (
                "[theme]\n\nshade = \"red\"\n",
                3,
                "no role is called `shade`",
            ),
            ("[keys]\nunblock = 5\n", 2, "a key in quotes"),
            ("[theme]\nerror = true\n", 2, "an index from 0 to 255"),
        ] {
            let path = write_config(&dir, bad);
            let msg = Settings::resolve(&overrides_for(&path))
                .unwrap_err()
                .to_string();
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(msg.contains(&format!("line {line},")), "{bad}: {msg}");
            assert!(msg.contains(says), "{msg}");
        }
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\nx", 1), (1, 1));
        assert_eq!(line_column("ab", 99), (1, 3));
    }
}
