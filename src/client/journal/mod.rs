//! The journal: every batch the bulk engine runs, recorded so that an interrupted batch (a
//! killed process, a dropped SSH session) can be resumed, from any host that shares the journal,
//! and every item is accounted for.
//!
//! Each record is one JSON object with a `"type"` tag (`intent`, `chunk`, `resume`, `end`) and a
//! format version `"v": 1`:
//!
//! - `intent` — what a batch is about to do, committed (and synced) before its first request;
//! - `chunk` — one answered call: the raw per-item codes and the engine's decision for each item;
//! - `resume` — a later run picks the batch up again;
//! - `end` — the run stopped, with its outcome.
//!
//! The records are kept in one of three stores ([`Location`]): an SQLite database (the default),
//! a team's PostgreSQL database (see [`pg`]), both with index tables beside the records (see
//! `store`), or an append-only JSON Lines file, one record per line, written with a single
//! `write` under the file's lock so that processes sharing it never interleave inside a line; a
//! record cut short by a crash leaves a torn last line, which readers skip with a warning.
//!
//! The journal only ever receives IDs, codes and metadata: never a key, a UserSig or a URL query
//! (the base URL is stripped of query, fragment and credentials when written).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::SystemTime;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub mod changes;
pub mod pg;
mod store;

pub use pg::PgUrl;

use super::{ItemStatus, Operation, Pair};
use crate::display;
use crate::moderation::Why;
use crate::tim::ids::UserId;

/// The record format version this code writes and understands.
pub const FORMAT_VERSION: u32 = 1;

/// How many recent batch IDs an unknown-ID error lists.
const RECENT_SHOWN: usize = 5;

/// How many matches an ambiguous-prefix error lists.
const MATCHES_SHOWN: usize = 10;

/// The longest batch ID accepted when reading one back.
const MAX_BATCH_ID_BYTES: usize = 64;

// ---------------------------------------------------------------------------------------------
// Batch IDs and UTC formatting

/// The identity of one batch, e.g. `20261122T013500Z-3f9a`: the UTC start time to the second and
/// four random hex digits. IDs sort by start time.
///
/// Serialised as a plain string. Parsing accepts 1 to 64 ASCII letters, digits, `-`, `_` and `.`,
/// so that an ID read from a journal is always safe to show and to use in a file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BatchId(String);

impl BatchId {
    /// A fresh ID for a batch starting at `now`.
    pub fn generate(now: SystemTime) -> BatchId {
        let (y, mo, d, h, mi, s) = utc_parts(unix_secs(now));
        let suffix: u16 = rand::random();
        BatchId(format!(
            "{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z-{suffix:04x}"
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a string is not a batch ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchIdError {
    #[error("a batch ID cannot be empty")]
    Empty,
    #[error("a batch ID is at most {MAX_BATCH_ID_BYTES} characters (got {0})")]
    TooLong(usize),
    #[error(
        "a batch ID contains only letters, digits, '-', '_' and '.' (like 20261122T013500Z-3f9a)"
    )]
    BadChar,
}

fn validate_batch_id(id: &str) -> Result<(), BatchIdError> {
    if id.is_empty() {
        return Err(BatchIdError::Empty);
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(BatchIdError::BadChar);
    }
    if id.len() > MAX_BATCH_ID_BYTES {
        return Err(BatchIdError::TooLong(id.len()));
    }
    Ok(())
}

impl FromStr for BatchId {
    type Err = BatchIdError;

    fn from_str(s: &str) -> Result<BatchId, BatchIdError> {
        validate_batch_id(s)?;
        Ok(BatchId(s.to_owned()))
    }
}

impl TryFrom<String> for BatchId {
    type Error = BatchIdError;

    fn try_from(s: String) -> Result<BatchId, BatchIdError> {
        validate_batch_id(&s)?;
        Ok(BatchId(s))
    }
}

impl From<BatchId> for String {
    fn from(id: BatchId) -> String {
        id.0
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

use crate::clock::unix_secs;

fn now_secs() -> u64 {
    crate::clock::unix_now()
}

/// (year, month, day, hour, minute, second) in UTC.
fn utc_parts(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = (secs % 86_400) as u32;
    let (y, mo, d) = display::civil_from_days(days);
    (y, mo, d, rem / 3_600, rem / 60 % 60, rem % 60)
}

/// Untrusted text made safe to print (see [`display::sanitize`]).
fn esc(text: &str) -> String {
    display::sanitize(text).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Records

/// Who is running blockdeck: the OS user and, over SSH, the client's IP address.
fn whoami() -> (String, Option<String>) {
    let var = |name: &str| {
        std::env::var_os(name)
            .map(|v| v.to_string_lossy().into_owned())
            .filter(|v| !v.trim().is_empty())
    };
    let claimed = var("USER").or_else(|| var("LOGNAME"));
    // The account the process runs as, from its uid: `$USER` can say anything.
    let account = os_account();
    let user = match (account, claimed) {
        (Some(account), Some(claimed)) if claimed != account => {
            format!("{account} ($USER={claimed})")
        }
        (Some(account), _) => account,
        (None, Some(claimed)) => claimed,
        (None, None) => "unknown".to_owned(),
    };
    let client = var("SSH_CLIENT")
        .as_deref()
        .and_then(ssh_client_ip)
        .or_else(|| var("SSH_CONNECTION").as_deref().and_then(ssh_client_ip));
    (user, client)
}

/// The name of the account the process runs as: its uid (the owner of `/proc/self`) looked up in
/// `/etc/passwd`, or `uid N` when it is not listed; `None` where neither can be read.
pub fn os_account() -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let uid = fs::metadata("/proc/self").ok()?.uid();
        let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
        Some(passwd_name(&passwd, uid).unwrap_or_else(|| format!("uid {uid}")))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The name of `uid` in the text of `/etc/passwd` (`name:x:uid:gid:...`).
fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?.parse::<u32>().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_owned())
    })
}

/// The client address from the value of `SSH_CLIENT` (`ip port port`) or `SSH_CONNECTION`
/// (`ip port ip port`): the first field.
fn ssh_client_ip(value: &str) -> Option<String> {
    value.split_whitespace().next().map(str::to_owned)
}

/// A URL reduced to scheme, host, port and path: no query, fragment or `user:password@`.
fn strip_url(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

fn strip_url_credentials(url: &str) -> String {
    let url = strip_url(url);
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Whether two base URLs name the same endpoint (credentials, case and a trailing slash aside).
pub fn same_endpoint(a: &str, b: &str) -> bool {
    let norm = |u: &str| {
        strip_url_credentials(u)
            .trim_end_matches('/')
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

fn serialize_base_url<S: Serializer>(url: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&strip_url_credentials(url))
}

/// A batch is about to start: everything needed to resume it. Written and synced to disk before
/// the batch's first request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub batch: BatchId,
    /// Unix seconds.
    pub time: u64,
    /// The moderator's name (none in journals of versions before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderator: Option<String>,
    pub os_user: String,
    /// The SSH client's IP address, when running over SSH.
    pub ssh_client: Option<String>,
    /// Why the batch is made: a reason, a ticket.
    #[serde(default, flatten)]
    pub why: Why,
    pub profile: Option<String>,
    pub sdkappid: u64,
    /// The endpoint, without query (written stripped of query, fragment and credentials).
    #[serde(serialize_with = "serialize_base_url")]
    pub base_url: String,
    pub operation: Operation,
    /// The pairs, in the order the engine will send them.
    pub targets: Vec<Pair>,
}

impl Intent {
    /// An intent stamped with the current time, the OS account (from the uid, with `$USER` beside
    /// it when that differs) and the SSH client address (`SSH_CLIENT`, else `SSH_CONNECTION`).
    pub fn new(
        batch: BatchId,
        profile: Option<String>,
        sdkappid: u64,
        base_url: &str,
        operation: Operation,
        targets: Vec<Pair>,
    ) -> Intent {
        let (os_user, ssh_client) = whoami();
        Intent {
            batch,
            time: now_secs(),
            moderator: None,
            os_user,
            ssh_client,
            why: Why::default(),
            profile,
            sdkappid,
            base_url: strip_url_credentials(base_url),
            operation,
            targets,
        }
    }
}

/// One answered call of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    pub batch: BatchId,
    /// Unix seconds.
    pub time: u64,
    /// The REST command, e.g. `black_list_add`.
    pub api: String,
    /// Which attempt of this call answered (1 for the first).
    pub attempt: u32,
    pub items: Vec<ItemRecord>,
}

/// One item of an answered call: the raw code and info the service gave, and the engine's
/// decision.
///
/// On disk the decision is flattened into the item, e.g.
/// `{"from":"a","to":"b","code":0,"status":"done"}`; `info` is left out when empty, a relation
/// adds `a_blocks_b`/`b_blocks_a`, and a failure adds `fail_code`/`fail_info` only where they
/// differ from the raw `code`/`info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    pub from: UserId,
    pub to: UserId,
    pub code: i64,
    pub info: String,
    pub status: ItemStatus,
}

impl ItemRecord {
    pub fn pair(&self) -> Pair {
        Pair::new(self.from.clone(), self.to.clone())
    }
}

#[derive(Serialize)]
struct ItemOut<'a> {
    from: &'a UserId,
    to: &'a UserId,
    code: i64,
    #[serde(skip_serializing_if = "str::is_empty")]
    info: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    a_blocks_b: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    b_blocks_a: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fail_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fail_info: Option<&'a str>,
}

#[derive(Deserialize)]
struct ItemIn {
    from: UserId,
    to: UserId,
    code: i64,
    #[serde(default)]
    info: String,
    status: String,
    a_blocks_b: Option<bool>,
    b_blocks_a: Option<bool>,
    fail_code: Option<i64>,
    fail_info: Option<String>,
}

impl Serialize for ItemRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = ItemOut {
            from: &self.from,
            to: &self.to,
            code: self.code,
            info: &self.info,
            status: "",
            a_blocks_b: None,
            b_blocks_a: None,
            fail_code: None,
            fail_info: None,
        };
        out.status = match &self.status {
            ItemStatus::Done => "done",
            ItemStatus::Already => "already",
            ItemStatus::Relation {
                a_blocks_b,
                b_blocks_a,
            } => {
                out.a_blocks_b = Some(*a_blocks_b);
                out.b_blocks_a = *b_blocks_a;
                "relation"
            }
            ItemStatus::Failed { code, info } => {
                out.fail_code = (*code != self.code).then_some(*code);
                out.fail_info = (*info != self.info).then_some(info.as_str());
                "failed"
            }
            ItemStatus::Unfinished => "unfinished",
        };
        out.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ItemRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ItemRecord, D::Error> {
        use serde::de::Error;
        let item = ItemIn::deserialize(deserializer)?;
        let status = match item.status.as_str() {
            "done" => ItemStatus::Done,
            "already" => ItemStatus::Already,
            "relation" => ItemStatus::Relation {
                a_blocks_b: item
                    .a_blocks_b
                    .ok_or_else(|| D::Error::missing_field("a_blocks_b"))?,
                b_blocks_a: item.b_blocks_a,
            },
            "failed" => ItemStatus::Failed {
                code: item.fail_code.unwrap_or(item.code),
                info: item.fail_info.unwrap_or_else(|| item.info.clone()),
            },
            "unfinished" => ItemStatus::Unfinished,
            other => {
                return Err(D::Error::unknown_variant(
                    other,
                    &["done", "already", "relation", "failed", "unfinished"],
                ));
            }
        };
        Ok(ItemRecord {
            from: item.from,
            to: item.to,
            code: item.code,
            info: item.info,
            status,
        })
    }
}

/// A later run resumes an earlier batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    pub batch: BatchId,
    /// Unix seconds.
    pub time: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderator: Option<String>,
    pub os_user: String,
    pub ssh_client: Option<String>,
    /// Why it is resumed, when said.
    #[serde(default, flatten)]
    pub why: Why,
}

impl Resume {
    /// A resume of `batch` now, by the current OS user (see [`Intent::new`]).
    pub fn new(batch: BatchId) -> Resume {
        let (os_user, ssh_client) = whoami();
        Resume {
            batch,
            time: now_secs(),
            moderator: None,
            os_user,
            ssh_client,
            why: Why::default(),
        }
    }
}

/// How a run of a batch ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndOutcome {
    /// Every item has a final status (some may have failed).
    Completed,
    /// The user cancelled the batch.
    Cancelled,
    /// The process was asked to stop (a signal, a lost terminal) before the batch was done.
    Interrupted,
    /// The service refused to go on: an authentication or lock-out error.
    Stopped { code: i64, reason: String },
}

impl EndOutcome {
    /// A short label: `completed`, `cancelled`, `interrupted`, `stopped (70001)`.
    pub fn label(&self) -> String {
        match self {
            EndOutcome::Completed => "completed".into(),
            EndOutcome::Cancelled => "cancelled".into(),
            EndOutcome::Interrupted => "interrupted".into(),
            EndOutcome::Stopped { code, .. } => format!("stopped ({code})"),
        }
    }
}

/// A run of a batch ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct End {
    pub batch: BatchId,
    /// Unix seconds.
    pub time: u64,
    pub outcome: EndOutcome,
}

/// A record as read back.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Record {
    Intent(Intent),
    Chunk(Chunk),
    Resume(Resume),
    End(End),
}

/// A record as written: the tag and version first, then the record's own fields.
#[derive(Serialize)]
struct Envelope<'a, T> {
    #[serde(rename = "type")]
    kind: &'static str,
    v: u32,
    #[serde(flatten)]
    body: &'a T,
}

/// The full line for a record, newline included.
fn encode_line<T: Serialize>(kind: &'static str, body: &T) -> io::Result<Vec<u8>> {
    let mut line = serde_json::to_vec(&Envelope {
        kind,
        v: FORMAT_VERSION,
        body,
    })?;
    line.push(b'\n');
    Ok(line)
}

// ---------------------------------------------------------------------------------------------
// Where

/// Where a journal is kept: a file (SQLite, or JSON Lines by its name) or a PostgreSQL
/// database shared by a team. Shown without a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Postgres(PgUrl),
}

impl Location {
    /// A `postgres://` URL, or else a path.
    pub fn parse(text: &str) -> Result<Location, String> {
        if PgUrl::is_url(text) {
            PgUrl::parse(text).map(Location::Postgres)
        } else if text.trim().is_empty() {
            Err("the journal is empty: give a file path or a postgres:// URL".to_owned())
        } else {
            Ok(Location::File(PathBuf::from(text)))
        }
    }

    /// The file, for a journal kept in one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }

    /// True for an SQLite or a PostgreSQL journal (not a JSON Lines file).
    pub fn is_database(&self) -> bool {
        match self {
            Location::File(path) => is_sqlite(path),
            Location::Postgres(_) => true,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => write!(f, "{url}"),
        }
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Location {
        Location::File(path.to_owned())
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::File(path)
    }
}

impl From<&PathBuf> for Location {
    fn from(path: &PathBuf) -> Location {
        Location::File(path.clone())
    }
}

impl From<&Location> for Location {
    fn from(at: &Location) -> Location {
        at.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// An open journal, appended to: a JSON Lines file, an SQLite database, or a PostgreSQL one.
#[derive(Debug)]
pub struct Journal {
    sink: Sink,
    at: Location,
}

#[derive(Debug)]
enum Sink {
    Lines(File),
    Sqlite {
        conn: rusqlite::Connection,
        /// Whether commits are synced now (`synchronous = FULL`) or not (`NORMAL`).
        synced: bool,
    },
    Postgres(pg::Session),
}

/// The journal used unless another is chosen: `$XDG_STATE_HOME/blockdeck/journal.db` (SQLite) or
/// its platform equivalent, else `~/.local/state/blockdeck/journal.db`.
pub fn default_path() -> PathBuf {
    let base = dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|home| home.join(".local").join("state")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("blockdeck").join("journal.db")
}

/// True when `path` names an SQLite journal (`.db`, `.sqlite`, `.sqlite3`); any other name is a
/// JSON Lines file.
pub fn is_sqlite(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["db", "sqlite", "sqlite3"].contains(&e.to_ascii_lowercase().as_str()))
}

/// A journal of a later schema than this blockdeck knows is refused, not touched.
fn newer_schema(at: &dyn fmt::Display, version: i64, known: i64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "the journal {at} has schema version {version}, newer than this blockdeck's \
             {known}; use the blockdeck that wrote it"
        ),
    )
}

/// Opens the SQLite journal at `path` (created 0600), waits for other writers rather than
/// failing, and brings its schema up to date (`PRAGMA user_version` says how far it is).
pub(super) fn open_sqlite(path: &Path) -> io::Result<rusqlite::Connection> {
    let sql = |e: rusqlite::Error| io::Error::other(format!("the journal {}: {e}", path.display()));
    if !path.exists() {
        // Created owner-only before SQLite opens it.
        crate::private::options()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| io_context(path, "create", e))?;
    }
    let mut conn = rusqlite::Connection::open(path).map_err(sql)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sql)?;
    // WAL lets readers and one writer at a time share the file across processes. Switching to it
    // takes the database whole; another process opening it at the same moment makes SQLite say
    // "busy" without waiting, so the switch is tried again for a while.
    let mut tries = 0;
    loop {
        let mode: Result<String, _> =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0));
        match mode {
            Ok(_) => break,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && tries < 500 =>
            {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(sql(e)),
        }
    }
    // FULL: a commit is on disk before it returns (a journal appends chunks unsynced; see
    // `Journal::append`).
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sql)?;
    // The version is read and brought up to date under the write lock, so that two processes
    // opening a new journal at once do not both apply a step.
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sql)?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(sql)?;
    let known = store::MIGRATIONS.len() as i64;
    if version > known {
        return Err(newer_schema(&path.display(), version, known));
    }
    for (i, (step, _)) in store::MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(step).map_err(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(sql)?;
        if i + 1 == store::INDEXED_FROM && version > 0 {
            // A journal of an earlier version: its records fill the new tables.
            let n = store::sqlite::backfill(&tx).map_err(sql)?;
            tracing::info!("indexed {n} record(s) of the journal {}", path.display());
        }
    }
    tx.commit().map_err(sql)?;
    // The JSON Lines journal an earlier version kept under the same name comes in once.
    let lines = path.with_extension("jsonl");
    if lines.is_file()
        && let Some(n) = import_into(&conn, path, &lines)?
    {
        tracing::warn!(
            "imported {n} record(s) of the JSON Lines journal {} into {} (the file is left as it was)",
            lines.display(),
            path.display()
        );
    }
    Ok(conn)
}

/// Connects to a PostgreSQL journal and brings its schema up to date.
pub(super) fn open_postgres(url: &PgUrl) -> io::Result<pg::Session> {
    let session = pg::Session::connect(url)?;
    let (version, known) = session.call("prepare", |c| {
        let found = store::postgres::migrate(c)?;
        c.batch_execute("SET search_path TO blockdeck")?;
        Ok(found)
    })?;
    if version > known {
        return Err(newer_schema(url, version, known));
    }
    Ok(session)
}

/// Imports a JSON Lines journal into the SQLite or PostgreSQL one, once: every whole record in
/// file order (a torn last line is left out). The file is left where it is; the import is
/// remembered by its path. Returns how many records came in, or `None` when it was imported
/// before.
pub fn import_lines(into: impl Into<Location>, lines: &Path) -> io::Result<Option<usize>> {
    match into.into() {
        Location::File(db) => import_into(&open_sqlite(&db)?, &db, lines),
        Location::Postgres(url) => {
            let session = open_postgres(&url)?;
            let source = source_name(lines);
            let bytes = read_locked(lines).map_err(|e| io_context(lines, "read", e))?;
            session.call("import into", move |c| {
                store::postgres::import(c, &source, &bytes, now_secs() as i64)
            })
        }
    }
}

/// How an imported file is remembered: its full path.
fn source_name(lines: &Path) -> String {
    fs::canonicalize(lines)
        .unwrap_or_else(|_| lines.to_owned())
        .display()
        .to_string()
}

fn import_into(conn: &rusqlite::Connection, db: &Path, lines: &Path) -> io::Result<Option<usize>> {
    let sql = |e: rusqlite::Error| io::Error::other(format!("the journal {}: {e}", db.display()));
    let source = source_name(lines);
    // Under the write lock from the check to the commit: two processes never both import.
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sql)?;
    let imported = (|| {
        let done: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM imports WHERE source = ?1)",
                [&source],
                |r| r.get(0),
            )
            .map_err(sql)?;
        if done {
            return Ok(None);
        }
        let bytes = read_locked(lines).map_err(|e| io_context(lines, "read", e))?;
        let mut insert = conn
            .prepare("INSERT INTO records (batch, kind, time, body) VALUES (?1, ?2, ?3, ?4)")
            .map_err(sql)?;
        let mut count = 0;
        for (batch, kind, time, body) in store::whole_records(&bytes) {
            insert
                .execute(rusqlite::params![batch, kind, time, body])
                .map_err(sql)?;
            if let Some(row) = store::row_of_line(body.as_bytes()) {
                store::sqlite::index(conn, conn.last_insert_rowid(), &row).map_err(sql)?;
            }
            count += 1;
        }
        conn.execute(
            "INSERT INTO imports (source, time, records) VALUES (?1, ?2, ?3)",
            rusqlite::params![source, now_secs() as i64, count as i64],
        )
        .map_err(sql)?;
        Ok(Some(count))
    })();
    let end = match &imported {
        Ok(Some(_)) => "COMMIT",
        _ => "ROLLBACK",
    };
    conn.execute_batch(end).map_err(sql)?;
    imported
}

/// True when a journal is at `at`, or will be on opening it: an SQLite journal not made yet
/// whose JSON Lines predecessor is there to import. A PostgreSQL journal is always there (it is
/// made on first use).
pub fn exists(at: impl Into<Location>) -> bool {
    match at.into() {
        Location::File(path) => {
            path.exists() || (is_sqlite(&path) && path.with_extension("jsonl").is_file())
        }
        Location::Postgres(_) => true,
    }
}

/// The journal's records as JSON Lines bytes, whichever store holds them.
pub fn records_as_lines(at: impl Into<Location>) -> io::Result<Vec<u8>> {
    match at.into() {
        Location::File(path) if is_sqlite(&path) => read_sqlite(&path, None),
        Location::File(path) => read_locked(&path),
        Location::Postgres(url) => open_postgres(&url)?.call("read", store::postgres::all_records),
    }
}

/// The records of an SQLite journal (of the batches named, or all), in order, as JSON Lines
/// bytes.
fn read_sqlite(path: &Path, batches: Option<&[String]>) -> io::Result<Vec<u8>> {
    let conn = open_sqlite(path)?;
    let sql = |e: rusqlite::Error| io::Error::other(format!("the journal {}: {e}", path.display()));
    let mut bytes = Vec::new();
    if let Some(batches) = batches {
        for batch in batches {
            store::sqlite::records_of(&conn, batch, &mut bytes).map_err(sql)?;
        }
        return Ok(bytes);
    }
    let mut query = conn
        .prepare("SELECT body FROM records ORDER BY seq")
        .map_err(sql)?;
    let mut rows = query.query([]).map_err(sql)?;
    while let Some(row) = rows.next().map_err(sql)? {
        let body: String = row.get(0).map_err(sql)?;
        bytes.extend_from_slice(body.as_bytes());
        bytes.push(b'\n');
    }
    Ok(bytes)
}

/// An I/O error that names the journal and what was being done.
fn io_context(path: &Path, doing: &str, e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("cannot {doing} the journal {}: {e}", path.display()),
    )
}

/// Who holds a claim, in words: the moderator, the OS account, the host, the pid, since when.
fn holder_text(moderator: &str) -> String {
    format!(
        "{moderator} ({} on {}, pid {}, since {})",
        os_account().unwrap_or_else(|| "unknown".to_owned()),
        hostname(),
        std::process::id(),
        display::utc(now_secs())
    )
}

/// This machine's name, as the kernel has it.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this host".to_owned())
}

/// A claim refused: who has the batch.
fn held_by(id: &BatchId, holder: &str) -> io::Error {
    let by = match holder.trim() {
        "" => "another blockdeck process".to_owned(),
        h => display::sanitize(h).into_owned(),
    };
    io::Error::new(
        io::ErrorKind::WouldBlock,
        format!(
            "batch {id} is being run or resumed right now by {by}; wait for it to end \
             (`blockdeck journal` shows it), then resume what is left"
        ),
    )
}

/// What holds a claimed batch for as long as it is kept: a locked file beside a file journal;
/// for PostgreSQL the journal's own connection holds it (nothing to keep here).
#[derive(Debug)]
pub struct Claim {
    _file: Option<File>,
}

impl Journal {
    /// Opens (creating if needed) the journal at `at` for appending.
    ///
    /// For a file, missing parent directories are created private to the user (0700), the file
    /// is created 0600, and an existing file readable by group or others is tightened to 0600.
    /// Existing directories are left as they are. A PostgreSQL journal is connected to and its
    /// schema brought up to date.
    pub fn open(at: impl Into<Location>) -> io::Result<Journal> {
        let at = at.into();
        let path = match &at {
            Location::Postgres(url) => {
                return Ok(Journal {
                    sink: Sink::Postgres(open_postgres(url)?),
                    at,
                });
            }
            Location::File(path) => path.clone(),
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::private::create_dirs(parent)
                .map_err(|e| io_context(&path, "create the directory of", e))?;
        }
        if is_sqlite(&path) {
            return Ok(Journal {
                sink: Sink::Sqlite {
                    conn: open_sqlite(&path)?,
                    synced: true,
                },
                at,
            });
        }
        let path = path.as_path();
        let mut file = crate::private::options()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| io_context(path, "open", e))?;
        let meta = file.metadata().map_err(|e| io_context(path, "open", e))?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the journal {} is not a regular file; choose another path with --journal",
                    path.display()
                ),
            ));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o077 != 0 {
                file.set_permissions(fs::Permissions::from_mode(0o600))
                    .map_err(|e| io_context(path, "restrict the permissions of", e))?;
            }
        }
        // A record torn by a crash leaves the file without a final newline: start a fresh line
        // so that the next record is not glued to it. Writers hold the file's lock while they
        // append, so a record still being written by another process is never taken for one
        // torn.
        file.lock().map_err(|e| io_context(path, "lock", e))?;
        let len = file
            .metadata()
            .map_err(|e| io_context(path, "open", e))?
            .len();
        let repaired = if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::End(-1))
                .and_then(|_| file.read_exact(&mut last))
                .and_then(|()| match last[0] {
                    b'\n' => Ok(()),
                    _ => file.write_all(b"\n"),
                })
                .map_err(|e| io_context(path, "repair the end of", e))
        } else {
            Ok(())
        };
        file.unlock().map_err(|e| io_context(path, "unlock", e))?;
        repaired?;
        Ok(Journal {
            sink: Sink::Lines(file),
            at,
        })
    }

    pub fn location(&self) -> &Location {
        &self.at
    }

    /// Claims batch `id` for this process until the claim (and, for PostgreSQL, the journal) is
    /// let go of, or the process dies; a second claim anywhere is told who has it.
    ///
    /// A file journal locks `<journal>.locks/<id>` (one host); a PostgreSQL journal takes a
    /// session advisory lock on its connection (every host sharing it) and writes the holder in
    /// `claims`. Either way the holder is `moderator` with the OS account, host, pid and time.
    pub fn claim(&mut self, id: &BatchId, moderator: &str) -> io::Result<Claim> {
        let holder = holder_text(moderator);
        match &self.sink {
            Sink::Postgres(session) => {
                let batch = id.as_str().to_owned();
                let text = holder.clone();
                let got = session.call("claim the batch in", move |c| {
                    store::postgres::claim(c, &batch, &text, now_secs() as i64)
                })?;
                got.map_err(|holder| held_by(id, &holder))?;
                Ok(Claim { _file: None })
            }
            Sink::Lines(_) | Sink::Sqlite { .. } => {
                let path = self.at.file().expect("a file journal").to_owned();
                claim_file(&path, id, &holder).map(|file| Claim { _file: Some(file) })
            }
        }
    }

    /// Records that a batch is about to start, and waits until it is on disk.
    pub fn intent(&mut self, intent: &Intent) -> io::Result<()> {
        written_here(&intent.batch);
        self.append("intent", &intent.batch, intent, true, || {
            store::intent_row(intent)
        })
    }

    /// Records one answered call (not synced: a lost chunk only means re-checking its items).
    pub fn chunk(&mut self, chunk: &Chunk) -> io::Result<()> {
        self.append("chunk", &chunk.batch, chunk, false, || {
            store::chunk_row(chunk)
        })
    }

    /// Records that a batch is resumed, and waits until it is on disk.
    pub fn resume(&mut self, resume: &Resume) -> io::Result<()> {
        written_here(&resume.batch);
        self.append("resume", &resume.batch, resume, true, || {
            store::resume_row(resume)
        })
    }

    /// Records that the current run of `batch` ended now, and waits until it is on disk.
    pub fn end(&mut self, batch: &BatchId, outcome: EndOutcome) -> io::Result<()> {
        let end = End {
            batch: batch.clone(),
            time: now_secs(),
            outcome,
        };
        self.append("end", batch, &end, true, || store::end_row(&end))
    }

    fn append<T: Serialize>(
        &mut self,
        kind: &'static str,
        batch: &BatchId,
        body: &T,
        sync: bool,
        index: impl FnOnce() -> store::IndexRow,
    ) -> io::Result<()> {
        let line = encode_line(kind, body).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot encode for the journal {}: {e}", self.at),
            )
        })?;
        let file = match &mut self.sink {
            Sink::Lines(file) => file,
            Sink::Sqlite { conn, synced } => {
                // The record and its index rows in one transaction, committed before it returns.
                // As with the JSON Lines file, only the records a resume depends on (intent,
                // resume, end) wait for the disk: in WAL mode a synced commit also makes every
                // commit before it durable, and a lost chunk only means re-checking its items.
                let at = &self.at;
                let fail = |e: rusqlite::Error| {
                    io::Error::other(format!("cannot write to the journal {at}: {e}"))
                };
                if *synced != sync {
                    let mode = if sync { "FULL" } else { "NORMAL" };
                    conn.pragma_update(None, "synchronous", mode)
                        .map_err(fail)?;
                    *synced = sync;
                }
                let body = std::str::from_utf8(&line[..line.len() - 1]).expect("JSON is UTF-8");
                let tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(fail)?;
                tx.prepare_cached(
                    "INSERT INTO records (batch, kind, time, body) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut insert| {
                    insert.execute(rusqlite::params![
                        batch.as_str(),
                        kind,
                        now_secs() as i64,
                        body
                    ])
                })
                .map_err(fail)?;
                store::sqlite::index(&tx, tx.last_insert_rowid(), &index()).map_err(fail)?;
                return tx.commit().map_err(fail);
            }
            Sink::Postgres(session) => {
                // Every commit waits for the server's disk (its own `synchronous_commit`).
                let row = index();
                let batch = batch.as_str().to_owned();
                let body =
                    String::from_utf8(line[..line.len() - 1].to_vec()).expect("JSON is UTF-8");
                return session.call("write to", move |c| {
                    store::postgres::append(c, kind, &batch, now_secs() as i64, &body, &row)
                });
            }
        };
        let path = self.at.file().expect("a file journal").to_owned();
        // The whole line under the file's lock: appends from other processes land before or
        // after it, and a reader or an opening writer never sees half of it.
        file.lock().map_err(|e| io_context(&path, "lock", e))?;
        let before = file.metadata().map(|m| m.len());
        let mut written = file
            .write_all(&line)
            .and_then(|()| file.flush())
            .map_err(|e| io_context(&path, "write to", e));
        // A line cut short (a full disk) is taken back, so that the file never ends in half a
        // record.
        if written.is_err()
            && let Ok(len) = before
            && let Err(e) = file.set_len(len)
        {
            written = written.map_err(|w| io::Error::new(w.kind(), format!("{w}; and {e}")));
        }
        file.unlock().map_err(|e| io_context(&path, "unlock", e))?;
        written?;
        if sync {
            file.sync_data().map_err(|e| io_context(&path, "sync", e))?;
        }
        Ok(())
    }
}

/// Claims batch `id` of the file journal at `path`: an exclusive lock on `<journal>.locks/<id>`,
/// whose text names its holder.
fn claim_file(path: &Path, id: &BatchId, holder: &str) -> io::Result<File> {
    let dir = path.with_extension("locks");
    crate::private::create_dirs(&dir)?;
    let name: String = id
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut file = crate::private::options()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(dir.join(name))?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(holder.as_bytes())?;
            Ok(file)
        }
        Err(fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = (&file).take(1024).read_to_string(&mut text);
            Err(held_by(id, &text))
        }
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Announcements

/// The batches this process began or resumed: a listener does not announce them back to it.
static WRITTEN_HERE: std::sync::Mutex<Vec<BatchId>> = std::sync::Mutex::new(Vec::new());

fn written_here(batch: &BatchId) {
    let mut own = WRITTEN_HERE.lock().unwrap_or_else(|e| e.into_inner());
    if !own.contains(batch) {
        own.push(batch.clone());
    }
}

fn is_written_here(batch: &str) -> bool {
    let own = WRITTEN_HERE.lock().unwrap_or_else(|e| e.into_inner());
    own.iter().any(|b| b.as_str() == batch)
}

/// What a listener to the team's journal hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Listening (again): what teammates start and end from now on is heard.
    Listening,
    /// Another process's batch was started (`intent`), resumed (`resume`) or ended (`end`).
    Batch {
        kind: String,
        batch: Box<BatchSummary>,
    },
    /// The connection failed; it is tried again after a pause, which the text says.
    Lost(String),
}

/// The longest pause before listening again after a failure.
const LISTEN_BACKOFF_MAX: std::time::Duration = std::time::Duration::from_secs(60);

/// Listens to the PostgreSQL journal at `url` for the batches of other processes (teammates, or
/// the CLI on this host), telling `on` of each with its summary, for as long as `wanted()` says.
/// A lost connection is said and made again after a pause that doubles up to a minute. Blocks:
/// run it on a thread of its own (not inside an async runtime).
pub fn listen(url: &PgUrl, wanted: impl Fn() -> bool, mut on: impl FnMut(Heard)) {
    let mut pause = std::time::Duration::from_secs(1);
    while wanted() {
        let error = match listen_once(url, &wanted, &mut on, &mut pause) {
            Ok(()) => return,
            Err(e) => e,
        };
        on(Heard::Lost(format!(
            "{error}; listening again in {} s",
            pause.as_secs()
        )));
        let until = std::time::Instant::now() + pause;
        while wanted() && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        pause = (pause * 2).min(LISTEN_BACKOFF_MAX);
    }
}

/// One connection's worth of [`listen`]: `Ok` when no longer wanted.
fn listen_once(
    url: &PgUrl,
    wanted: &impl Fn() -> bool,
    on: &mut impl FnMut(Heard),
    pause: &mut std::time::Duration,
) -> io::Result<()> {
    use postgres::fallible_iterator::FallibleIterator;
    let lost = |e: postgres::Error| {
        io::Error::other(format!(
            "the team's journal {url} stopped answering: {}",
            pg::describe(&e)
        ))
    };
    let mut client = pg::connect_blocking(url)?;
    client
        .batch_execute(&format!(
            "SET search_path TO blockdeck; LISTEN {}",
            store::postgres::CHANNEL
        ))
        .map_err(lost)?;
    *pause = std::time::Duration::from_secs(1);
    on(Heard::Listening);
    while wanted() {
        let mut heard = Vec::new();
        {
            let mut notes = client.notifications();
            // The first waits up to a second (so that `wanted` is asked again soon); the rest
            // are those already there.
            let first = notes
                .timeout_iter(std::time::Duration::from_secs(1))
                .next()
                .map_err(lost)?;
            if let Some(note) = first {
                heard.push(note.payload().to_owned());
                let mut pending = notes.iter();
                while let Some(note) = pending.next().map_err(lost)? {
                    heard.push(note.payload().to_owned());
                }
            }
        }
        for payload in heard {
            let Some((kind, batch)) = payload.split_once(' ') else {
                continue;
            };
            if is_written_here(batch) {
                continue;
            }
            let summary = store::postgres::summary(&mut client, batch).map_err(lost)?;
            if let Some(batch) = summary.and_then(store::Summary::into_batch) {
                on(Heard::Batch {
                    kind: kind.to_owned(),
                    batch: Box::new(batch),
                });
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reading

/// What is known about one pair of a batch: its latest record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecordSummary {
    pub status: ItemStatus,
    pub code: i64,
    pub info: String,
    /// How many answered calls carried the pair, over every run of the batch.
    pub attempts: u32,
}

/// Item counts of a batch. `done` includes check answers; `pending` counts targets with no
/// final status yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub total: usize,
    pub done: usize,
    pub already: usize,
    pub failed: usize,
    pub pending: usize,
}

/// Everything the journal says about one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchState {
    pub intent: Intent,
    /// The latest record of each pair that has one.
    pub items: IndexMap<Pair, ItemRecordSummary>,
    pub resumes: Vec<Resume>,
    /// The latest `end` record: (unix seconds, outcome).
    pub end: Option<(u64, EndOutcome)>,
    /// How many chunk records the batch has.
    pub chunks: usize,
    /// Whether the latest run (the intent, or the latest resume) has an `end` record.
    ended_latest_run: bool,
}

/// How a target stands.
enum Standing<'a> {
    Pending,
    Failed(i64, &'a str),
    Success(&'a ItemStatus),
}

impl BatchState {
    fn new(intent: Intent) -> BatchState {
        BatchState {
            intent,
            items: IndexMap::new(),
            resumes: Vec::new(),
            end: None,
            chunks: 0,
            ended_latest_run: false,
        }
    }

    pub fn id(&self) -> &BatchId {
        &self.intent.batch
    }

    /// The targets, once each, in intent order, with how each stands.
    fn standings(&self) -> impl Iterator<Item = (&Pair, Standing<'_>)> {
        let mut seen = HashSet::with_capacity(self.intent.targets.len());
        self.intent
            .targets
            .iter()
            .filter(move |pair| seen.insert(*pair))
            .map(|pair| {
                let standing = match self.items.get(pair).map(|item| &item.status) {
                    None | Some(ItemStatus::Unfinished) => Standing::Pending,
                    Some(ItemStatus::Failed { code, info }) => Standing::Failed(*code, info),
                    Some(status) => Standing::Success(status),
                };
                (pair, standing)
            })
    }

    /// Targets with no record yet, or left unfinished by a cancel or stop.
    pub fn pending(&self) -> Vec<Pair> {
        self.standings()
            .filter(|(_, s)| matches!(s, Standing::Pending))
            .map(|(pair, _)| pair.clone())
            .collect()
    }

    /// Targets whose latest status is a failure, with its code and info.
    pub fn failed(&self) -> Vec<(Pair, i64, String)> {
        self.standings()
            .filter_map(|(pair, s)| match s {
                Standing::Failed(code, info) => Some((pair.clone(), code, info.to_owned())),
                _ => None,
            })
            .collect()
    }

    /// Pending and failed targets together, in intent order: what a resume re-checks.
    pub fn unfinished(&self) -> Vec<Pair> {
        self.standings()
            .filter(|(_, s)| !matches!(s, Standing::Success(_)))
            .map(|(pair, _)| pair.clone())
            .collect()
    }

    /// Whether the latest run ended with `completed` and no target is pending. Failed items do
    /// not make a batch incomplete: their status is final.
    pub fn is_complete(&self) -> bool {
        self.ended_latest_run
            && matches!(self.end, Some((_, EndOutcome::Completed)))
            && !self
                .standings()
                .any(|(_, s)| matches!(s, Standing::Pending))
    }

    /// The opposite of [`is_complete`](Self::is_complete): the latest run has no `end` (it was
    /// killed, or is still running elsewhere), or it was cancelled, interrupted or stopped, or
    /// targets are still pending.
    pub fn is_incomplete(&self) -> bool {
        !self.is_complete()
    }

    /// Whether the latest run (the first, or the latest resume) has recorded its end.
    pub fn latest_run_ended(&self) -> bool {
        self.ended_latest_run
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for (_, standing) in self.standings() {
            counts.total += 1;
            match standing {
                Standing::Pending => counts.pending += 1,
                Standing::Failed(..) => counts.failed += 1,
                Standing::Success(ItemStatus::Already) => counts.already += 1,
                Standing::Success(_) => counts.done += 1,
            }
        }
        counts
    }

    /// How the latest run stands: `completed`, `cancelled`, `stopped (70001)`, or `not ended`
    /// when it has no end record (killed, or still running in another process).
    pub fn state_label(&self) -> String {
        match &self.end {
            Some((_, outcome)) if self.ended_latest_run => outcome.label(),
            _ => "not ended".to_owned(),
        }
    }

    /// One line for the batch list (see [`BatchSummary::summary_line`]).
    pub fn summary_line(&self) -> String {
        self.summary().summary_line()
    }

    /// The moderator who began it (the OS account for journals that name none).
    pub fn moderator(&self) -> &str {
        self.intent
            .moderator
            .as_deref()
            .unwrap_or(&self.intent.os_user)
    }

    /// True when `name` began or resumed it (see [`BatchSummary::is_by`]).
    pub fn is_by(&self, name: &str) -> bool {
        self.people()
            .any(|(moderator, os_user)| is_named(name, moderator, os_user))
    }

    /// True when its reason or ticket, or a resume's, mentions `text`.
    pub fn mentions(&self, text: &str) -> bool {
        self.intent.why.mentions(text) || self.resumes.iter().any(|r| r.why.mentions(text))
    }

    /// (moderator, OS account) of the intent and of each resume.
    fn people(&self) -> impl Iterator<Item = (Option<&str>, &str)> {
        std::iter::once((
            self.intent.moderator.as_deref(),
            self.intent.os_user.as_str(),
        ))
        .chain(
            self.resumes
                .iter()
                .map(|r| (r.moderator.as_deref(), r.os_user.as_str())),
        )
    }

    /// What the batch list shows of it.
    pub fn summary(&self) -> BatchSummary {
        let intent = &self.intent;
        BatchSummary {
            id: intent.batch.clone(),
            time: intent.time,
            operation: intent.operation,
            moderator: intent.moderator.clone(),
            os_user: intent.os_user.clone(),
            ssh_client: intent.ssh_client.clone(),
            profile: intent.profile.clone(),
            sdkappid: intent.sdkappid,
            base_url: intent.base_url.clone(),
            why: intent.why.clone(),
            counts: self.counts(),
            resumes: self
                .resumes
                .iter()
                .map(|r| RunSummary {
                    time: r.time,
                    moderator: r.moderator.clone(),
                    os_user: r.os_user.clone(),
                    why: r.why.clone(),
                })
                .collect(),
            ended: match &self.end {
                Some((_, outcome)) if self.ended_latest_run => Some(outcome.label()),
                _ => None,
            },
        }
    }

    /// True when `user` is the From or the To of one of its pairs.
    pub fn touches(&self, user: &str) -> bool {
        self.intent
            .targets
            .iter()
            .any(|p| p.from.as_str() == user || p.to.as_str() == user)
    }
}

/// Whether `name` is the moderator's name or the OS account, ignoring case.
fn is_named(name: &str, moderator: Option<&str>, os_user: &str) -> bool {
    moderator.is_some_and(|m| m.eq_ignore_ascii_case(name)) || os_user.eq_ignore_ascii_case(name)
}

/// A resume, as the batch list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub time: u64,
    pub moderator: Option<String>,
    pub os_user: String,
    pub why: Why,
}

/// What the batch list shows of a batch, without its pairs: what a database journal answers
/// from its index tables, without reading the batch's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    pub id: BatchId,
    /// Unix seconds of its intent.
    pub time: u64,
    pub operation: Operation,
    pub moderator: Option<String>,
    pub os_user: String,
    pub ssh_client: Option<String>,
    pub profile: Option<String>,
    pub sdkappid: u64,
    pub base_url: String,
    pub why: Why,
    pub counts: Counts,
    pub resumes: Vec<RunSummary>,
    /// How the latest run ended (its label), if it has.
    pub ended: Option<String>,
}

impl BatchSummary {
    /// The moderator who began it (the OS account for journals that name none).
    pub fn moderator(&self) -> &str {
        self.moderator.as_deref().unwrap_or(&self.os_user)
    }

    /// True when `name` began or resumed it: the moderator's name or the OS account, ignoring
    /// case.
    pub fn is_by(&self, name: &str) -> bool {
        is_named(name, self.moderator.as_deref(), &self.os_user)
            || self
                .resumes
                .iter()
                .any(|r| is_named(name, r.moderator.as_deref(), &r.os_user))
    }

    /// True when its reason or ticket, or a resume's, mentions `text`.
    pub fn mentions(&self, text: &str) -> bool {
        self.why.mentions(text) || self.resumes.iter().any(|r| r.why.mentions(text))
    }

    /// `completed`, `cancelled`, `stopped (70001)`, or `not ended` (see
    /// [`BatchState::state_label`]).
    pub fn state_label(&self) -> String {
        self.ended.clone().unwrap_or_else(|| "not ended".to_owned())
    }

    /// See [`BatchState::is_complete`].
    pub fn is_complete(&self) -> bool {
        self.ended.as_deref() == Some("completed") && self.counts.pending == 0
    }

    pub fn is_incomplete(&self) -> bool {
        !self.is_complete()
    }

    /// One line for the batch list, e.g.
    /// `20261122T013500Z-3f9a  2026-11-22 01:35:00Z  block    5000 pairs  done 4990 already 3
    /// failed 7 pending 0  completed  by alice@10.0.0.5 profile prod-sgp`.
    pub fn summary_line(&self) -> String {
        let c = self.counts;
        let mut line = format!(
            "{}  {}  {:<7} {:>5} pairs  done {} already {} failed {} pending {}  {}",
            esc(self.id.as_str()),
            display::utc(self.time),
            self.operation.verb(),
            c.total,
            c.done,
            c.already,
            c.failed,
            c.pending,
            self.state_label(),
        );
        if !self.resumes.is_empty() {
            line.push_str(&format!(" (resumed {}×)", self.resumes.len()));
        }
        line.push_str("  by ");
        if let Some(moderator) = self.moderator.as_ref().filter(|m| **m != self.os_user) {
            line.push_str(&esc(moderator));
            line.push_str(" (");
            line.push_str(&esc(&self.os_user));
            line.push(')');
        } else {
            line.push_str(&esc(&self.os_user));
        }
        if let Some(client) = &self.ssh_client {
            line.push('@');
            line.push_str(&esc(client));
        }
        if let Some(profile) = &self.profile {
            line.push_str(" profile ");
            line.push_str(&esc(profile));
        }
        if self.why.is_given() {
            line.push_str("  ");
            line.push_str(&esc(&self.why.describe()));
        }
        line
    }
}

/// What [`find_batch`] looks a batch up by.
pub trait Listed {
    fn batch_id(&self) -> &BatchId;
    fn started(&self) -> u64;
    fn incomplete(&self) -> bool;
}

impl Listed for BatchState {
    fn batch_id(&self) -> &BatchId {
        self.id()
    }
    fn started(&self) -> u64 {
        self.intent.time
    }
    fn incomplete(&self) -> bool {
        self.is_incomplete()
    }
}

impl Listed for BatchSummary {
    fn batch_id(&self) -> &BatchId {
        &self.id
    }
    fn started(&self) -> u64 {
        self.time
    }
    fn incomplete(&self) -> bool {
        self.is_incomplete()
    }
}

/// The batch list of a journal: every batch (or those touching one account), in the order they
/// were started, and the lines that could not be used (a file journal's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub at: Location,
    pub batches: Vec<BatchSummary>,
    pub warnings: Vec<(usize, String)>,
}

impl Listing {
    /// [`find_batch`] over these batches, with errors naming the journal.
    pub fn find(&self, id: Option<&str>) -> Result<&BatchSummary, JournalError> {
        find_batch(&self.batches, id).map_err(|e| e.in_file(&self.at))
    }
}

/// Lists the journal's batches, of those touching `user` (as From or To) when given. A database
/// journal answers from its index tables, reading no record; a JSON Lines one is read whole.
pub fn list(at: impl Into<Location>, user: Option<&str>) -> Result<Listing, JournalError> {
    let at = at.into();
    let read_error = |error: io::Error| JournalError::Read {
        path: at.clone(),
        error,
    };
    let summaries = match &at {
        Location::File(path) if !is_sqlite(path) => {
            let read = read_batches(&at)?;
            return Ok(Listing {
                at: at.clone(),
                batches: read
                    .batches
                    .iter()
                    .filter(|b| user.is_none_or(|u| b.touches(u)))
                    .map(BatchState::summary)
                    .collect(),
                warnings: read.warnings,
            });
        }
        Location::File(path) => {
            if !exists(path) {
                return Err(JournalError::Missing { path: at.clone() });
            }
            let conn = open_sqlite(path).map_err(read_error)?;
            store::sqlite::summaries(&conn, user)
                .map_err(|e| read_error(io::Error::other(e.to_string())))?
        }
        Location::Postgres(url) => {
            let session = open_postgres(url).map_err(read_error)?;
            let user = user.map(str::to_owned);
            session
                .call("read", move |c| {
                    store::postgres::summaries(c, user.as_deref())
                })
                .map_err(read_error)?
        }
    };
    Ok(Listing {
        at: at.clone(),
        batches: summaries
            .into_iter()
            .filter_map(store::Summary::into_batch)
            .collect(),
        warnings: Vec::new(),
    })
}

/// Everything the journal says about the batches `ids`, in the order of `ids`. A
/// database journal reads only their records.
pub fn read_some(
    at: impl Into<Location>,
    ids: &[BatchId],
) -> Result<Vec<BatchState>, JournalError> {
    let at = at.into();
    let names: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
    let read_error = |error: io::Error| JournalError::Read {
        path: at.clone(),
        error,
    };
    let bytes = match &at {
        Location::File(path) if !is_sqlite(path) => {
            let wanted: HashSet<&BatchId> = ids.iter().collect();
            let mut batches = read_batches(&at)?.batches;
            batches.retain(|b| wanted.contains(b.id()));
            return Ok(in_order_of(batches, ids));
        }
        Location::File(path) => read_sqlite(path, Some(&names)).map_err(read_error)?,
        Location::Postgres(url) => open_postgres(url)
            .and_then(|s| s.call("read", move |c| store::postgres::records_of(c, &names)))
            .map_err(read_error)?,
    };
    Ok(in_order_of(parse_journal(&bytes).0, ids))
}

/// `batches` in the order of `ids`.
fn in_order_of(mut batches: Vec<BatchState>, ids: &[BatchId]) -> Vec<BatchState> {
    let rank: HashMap<&BatchId, usize> = ids.iter().enumerate().map(|(i, id)| (id, i)).collect();
    batches.sort_by_key(|b| rank.get(b.id()).copied());
    batches
}

/// Finds a batch as [`find_batch`] does (by ID, unique prefix, or the latest incomplete) and
/// reads everything the journal says about it.
pub fn read_batch(at: impl Into<Location>, id: Option<&str>) -> Result<BatchState, JournalError> {
    let at = at.into();
    // A whole ID in a database journal: its records alone, without listing the journal.
    if at.is_database()
        && exists(&at)
        && let Some(exact) = id.and_then(|id| id.parse::<BatchId>().ok())
        && let Some(batch) = read_some(&at, std::slice::from_ref(&exact))?.pop()
    {
        return Ok(batch);
    }
    let listing = list(&at, None)?;
    let found = listing.find(id)?.id.clone();
    read_some(&at, std::slice::from_ref(&found))?
        .pop()
        .ok_or_else(|| JournalError::NoSuchBatch {
            id: esc(found.as_str()),
            recent: Vec::new(),
            path: Some(at.clone()),
        })
}

/// The journal as read: its batches in the order they were started, and the lines that could
/// not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRead {
    pub path: Location,
    pub batches: Vec<BatchState>,
    /// (1-based line number, reason) of each line skipped.
    pub warnings: Vec<(usize, String)>,
}

impl JournalRead {
    /// [`find_batch`] over these batches, with errors naming the journal.
    pub fn find(&self, id: Option<&str>) -> Result<&BatchState, JournalError> {
        find_batch(&self.batches, id).map_err(|e| e.in_file(&self.path))
    }
}

/// Reads the whole journal. Unusable lines (a record torn by a crash, a foreign or newer
/// record, records of a batch whose intent is missing) are skipped and reported as warnings.
pub fn read_batches(at: impl Into<Location>) -> Result<JournalRead, JournalError> {
    let at = at.into();
    let read = match &at {
        Location::File(path) if is_sqlite(path) && !exists(path) => {
            Err(io::Error::from(io::ErrorKind::NotFound))
        }
        _ => records_as_lines(&at),
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(JournalError::Missing { path: at });
        }
        Err(error) => {
            return Err(JournalError::Read { path: at, error });
        }
    };
    let (batches, warnings) = parse_journal(&bytes);
    Ok(JournalRead {
        path: at,
        batches,
        warnings,
    })
}

/// The journal's bytes, read under a shared lock so that no record is caught half written.
fn read_locked(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    file.lock_shared()?;
    let mut bytes = Vec::new();
    let read = file.read_to_end(&mut bytes);
    file.unlock()?;
    read.map(|_| bytes)
}

/// Builds the batches from the journal's bytes.
fn parse_journal(bytes: &[u8]) -> (Vec<BatchState>, Vec<(usize, String)>) {
    let mut batches: IndexMap<BatchId, Building> = IndexMap::new();
    let mut warnings = Vec::new();
    let ends_with_newline = bytes.last() == Some(&b'\n');
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    // `split` yields an empty piece after a final newline; it is not a line.
    let count = if ends_with_newline {
        lines.len() - 1
    } else {
        lines.len()
    };
    for (index, raw) in lines.iter().take(count).enumerate() {
        let line_no = index + 1;
        let torn = !ends_with_newline && index + 1 == count;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record = match decode_line(raw) {
            Ok(record) => record,
            Err(reason) if torn => {
                warnings.push((
                    line_no,
                    format!("incomplete last line, probably cut short by a crash ({reason})"),
                ));
                continue;
            }
            Err(reason) => {
                warnings.push((line_no, reason));
                continue;
            }
        };
        apply(&mut batches, record, line_no, &mut warnings);
    }
    (batches.into_values().map(|b| b.state).collect(), warnings)
}

/// A batch being read, with its targets indexed for checking the pairs of chunks.
struct Building {
    state: BatchState,
    targets: HashSet<Pair>,
}

fn decode_line(raw: &[u8]) -> Result<Record, String> {
    let value: serde_json::Value =
        serde_json::from_slice(raw).map_err(|e| format!("not a JSON record: {e}"))?;
    let version = value
        .get("v")
        .ok_or_else(|| "not a blockdeck record (no \"v\" version field)".to_owned())?;
    if version.as_u64() != Some(u64::from(FORMAT_VERSION)) {
        return Err(format!(
            "record version {} is not understood by this blockdeck (it reads version \
             {FORMAT_VERSION}); a newer blockdeck may have written it",
            esc(&version.to_string())
        ));
    }
    serde_json::from_value(value).map_err(|e| format!("unusable record: {}", esc(&e.to_string())))
}

fn apply(
    batches: &mut IndexMap<BatchId, Building>,
    record: Record,
    line_no: usize,
    warnings: &mut Vec<(usize, String)>,
) {
    let record = match record {
        Record::Intent(intent) => {
            if batches.contains_key(&intent.batch) {
                warnings.push((
                    line_no,
                    format!(
                        "second intent for batch {}; the first is kept",
                        intent.batch
                    ),
                ));
            } else {
                let targets = intent.targets.iter().cloned().collect();
                let id = intent.batch.clone();
                let state = BatchState::new(intent);
                batches.insert(id, Building { state, targets });
            }
            return;
        }
        other => other,
    };
    let batch_id = match &record {
        Record::Intent(intent) => &intent.batch,
        Record::Chunk(chunk) => &chunk.batch,
        Record::Resume(resume) => &resume.batch,
        Record::End(end) => &end.batch,
    };
    let Some(Building { state, targets }) = batches.get_mut(batch_id) else {
        warnings.push((
            line_no,
            format!("record for batch {batch_id}, whose intent is missing; skipped"),
        ));
        return;
    };
    match record {
        Record::Intent(_) => {}
        Record::Chunk(chunk) => {
            state.chunks += 1;
            let mut foreign = 0usize;
            for item in chunk.items {
                let pair = item.pair();
                if !targets.contains(&pair) {
                    foreign += 1;
                    continue;
                }
                let attempts = state.items.get(&pair).map_or(0, |s| s.attempts) + 1;
                state.items.insert(
                    pair,
                    ItemRecordSummary {
                        status: item.status,
                        code: item.code,
                        info: item.info,
                        attempts,
                    },
                );
            }
            if foreign > 0 {
                warnings.push((
                    line_no,
                    format!(
                        "{foreign} item(s) for pairs that are not targets of batch {}; skipped",
                        state.intent.batch
                    ),
                ));
            }
        }
        Record::Resume(resume) => {
            state.resumes.push(resume);
            state.ended_latest_run = false;
        }
        Record::End(end) => {
            state.end = Some((end.time, end.outcome));
            state.ended_latest_run = true;
        }
    }
}

/// Finds a batch: by full ID or unique prefix, or without an ID the most recent incomplete one.
pub fn find_batch<'a, B: Listed>(
    batches: &'a [B],
    id: Option<&str>,
) -> Result<&'a B, JournalError> {
    let mut by_recency: Vec<&B> = batches.iter().collect();
    by_recency.sort_by(|a, b| (b.started(), b.batch_id()).cmp(&(a.started(), a.batch_id())));
    if by_recency.is_empty() {
        return Err(JournalError::NoBatches { path: None });
    }
    match id {
        Some(id) => {
            if let Some(exact) = by_recency.iter().find(|b| b.batch_id().as_str() == id) {
                return Ok(exact);
            }
            let matches: Vec<&B> = by_recency
                .iter()
                .copied()
                .filter(|b| b.batch_id().as_str().starts_with(id))
                .collect();
            match matches.as_slice() {
                [one] => Ok(one),
                [] => Err(JournalError::NoSuchBatch {
                    id: esc(id),
                    recent: by_recency
                        .iter()
                        .take(RECENT_SHOWN)
                        .map(|b| b.batch_id().clone())
                        .collect(),
                    path: None,
                }),
                many => Err(JournalError::Ambiguous {
                    prefix: esc(id),
                    total: many.len(),
                    matches: many
                        .iter()
                        .take(MATCHES_SHOWN)
                        .map(|b| b.batch_id().clone())
                        .collect(),
                    path: None,
                }),
            }
        }
        None => by_recency
            .iter()
            .copied()
            .find(|b| b.incomplete())
            .ok_or_else(|| JournalError::NothingIncomplete {
                latest: by_recency[0].batch_id().clone(),
                path: None,
            }),
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Why the journal could not be read or a batch not found.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "no journal at {path}: no batch has been run with it yet (if the journal lives elsewhere, \
         pass --journal PATH)"
    )]
    Missing { path: Location },
    #[error(
        "cannot read the journal {path}: {error} (check that it is a file you can read, or pass \
         --journal PATH)"
    )]
    Read { path: Location, error: io::Error },
    #[error("the journal{} holds no batch yet: nothing to resume", in_file(.path))]
    NoBatches { path: Option<Location> },
    #[error(
        "no batch {id} in the journal{}; the most recent are {} (list them all with `blockdeck \
         journal`)",
        in_file(.path),
        list_ids(.recent, .recent.len())
    )]
    NoSuchBatch {
        id: String,
        recent: Vec<BatchId>,
        path: Option<Location>,
    },
    #[error(
        "batch ID prefix {prefix} matches {total} batches in the journal{}: {}; give more of the ID",
        in_file(.path),
        list_ids(.matches, *.total)
    )]
    Ambiguous {
        prefix: String,
        total: usize,
        matches: Vec<BatchId>,
        path: Option<Location>,
    },
    #[error(
        "every batch in the journal{} is complete (the latest is {latest}); to re-check one, \
         give its ID",
        in_file(.path)
    )]
    NothingIncomplete {
        latest: BatchId,
        path: Option<Location>,
    },
}

impl JournalError {
    /// The same error, naming the journal file.
    fn in_file(mut self, file: &Location) -> JournalError {
        match &mut self {
            JournalError::NoBatches { path }
            | JournalError::NoSuchBatch { path, .. }
            | JournalError::Ambiguous { path, .. }
            | JournalError::NothingIncomplete { path, .. } => *path = Some(file.to_owned()),
            JournalError::Missing { .. } | JournalError::Read { .. } => {}
        }
        self
    }
}

fn in_file(path: &Option<Location>) -> String {
    path.as_ref().map(|p| format!(" {p}")).unwrap_or_default()
}

fn list_ids(ids: &[BatchId], total: usize) -> String {
    let mut text = ids
        .iter()
        .map(|id| esc(id.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    if total > ids.len() {
        text.push_str(&format!(" and {} more", total - ids.len()));
    }
    text
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_os_account_comes_from_the_uid() {
        let passwd =
            "root:x:0:0:root:/root:/bin/bash\n# comment\nalice:x:1000:1000::/home/alice:/bin/sh\n";
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 1000).as_deref(), Some("alice"));
        assert_eq!(passwd_name(passwd, 7), None);
        #[cfg(target_os = "linux")]
        assert!(os_account().is_some());
    }
    use std::time::UNIX_EPOCH;

    use std::time::Duration;

    fn uid(s: &str) -> UserId {
        UserId::parse(s).unwrap()
    }

    fn pair(a: &str, b: &str) -> Pair {
        Pair::new(uid(a), uid(b))
    }

    fn id(s: &str) -> BatchId {
        s.parse().unwrap()
    }

    fn intent(batch: &str, time: u64, targets: Vec<Pair>) -> Intent {
        Intent {
            batch: id(batch),
            time,
            moderator: None,
            os_user: "alice".into(),
            ssh_client: Some("10.0.0.5".into()),
            why: Why::default(),
            profile: Some("prod-sgp".into()),
            sdkappid: 1_400_000_000,
            base_url: "https://adminapisgp.im.qcloud.com".into(),
            operation: Operation::Block,
            targets,
        }
    }

    fn item(p: &Pair, code: i64, status: ItemStatus) -> ItemRecord {
        let info = match &status {
            ItemStatus::Failed { info, .. } => info.clone(),
            _ => String::new(),
        };
        ItemRecord {
            from: p.from.clone(),
            to: p.to.clone(),
            code,
            info,
            status,
        }
    }

    fn chunk(batch: &str, items: Vec<ItemRecord>) -> Chunk {
        Chunk {
            batch: id(batch),
            time: 1_795_311_301,
            api: "black_list_add".into(),
            attempt: 1,
            items,
        }
    }

    fn failed(code: i64) -> ItemStatus {
        ItemStatus::Failed {
            code,
            info: format!("error {code}"),
        }
    }

    fn journal_in(dir: &tempfile::TempDir) -> (Journal, PathBuf) {
        let path = dir
            .path()
            .join("state")
            .join("blockdeck")
            .join("journal.jsonl");
        (Journal::open(&path).unwrap(), path)
    }

    fn read(path: &Path) -> JournalRead {
        read_batches(path).unwrap()
    }

    /// Writes the same batches to `journal`: one finished, one interrupted (a chunk, no end).
    fn two_batches(journal: &mut Journal) {
        let (a, b) = (pair("alice", "bob"), pair("alice", "carol"));
        journal
            .intent(&intent(
                "20261122T013500Z-aaaa",
                1,
                vec![a.clone(), b.clone()],
            ))
            .unwrap();
        journal
            .chunk(&chunk(
                "20261122T013500Z-aaaa",
                vec![
                    item(&a, 0, ItemStatus::Done),
                    item(&b, 30001, ItemStatus::Already),
                ],
            ))
            .unwrap();
        journal
            .end(&id("20261122T013500Z-aaaa"), EndOutcome::Completed)
            .unwrap();
        journal
            .intent(&intent(
                "20261122T013600Z-bbbb",
                2,
                vec![a.clone(), b.clone()],
            ))
            .unwrap();
        journal
            .chunk(&chunk(
                "20261122T013600Z-bbbb",
                vec![item(&a, 0, ItemStatus::Done)],
            ))
            .unwrap();
    }

    /// The SQLite journal reads back exactly what the JSON Lines one does, is owner-only, keeps
    /// its schema version, and refuses a newer one.
    #[test]
    fn the_index_lists_what_the_records_say_and_finds_whole_ids_only() {
        let dir = tempfile::tempdir().unwrap();
        let (mut lines, lines_path) = journal_in(&dir);
        let db_path = dir.path().join("journal.db");
        let mut db = Journal::open(&db_path).unwrap();
        for journal in [&mut lines, &mut db] {
            two_batches(journal);
            let third = intent(
                "20261122T013700Z-cccc",
                1_795_311_420,
                vec![pair("u10", "x"), pair("u100", "x")],
            );
            journal.intent(&third).unwrap();
        }
        drop(db);
        // The summaries from the index equal those made from the records.
        let (from_index, from_records) = (
            list(&db_path, None).unwrap(),
            list(&lines_path, None).unwrap(),
        );
        assert_eq!(from_index.batches, from_records.batches);
        assert_eq!(from_index.batches.len(), 3);
        for user in ["u1", "u10", "x", "a", "alice", "carol"] {
            let ids = |at: &Path| -> Vec<BatchId> {
                list(at, Some(user))
                    .unwrap()
                    .batches
                    .into_iter()
                    .map(|b| b.id)
                    .collect()
            };
            assert_eq!(ids(&db_path), ids(&lines_path), "--user {user}");
        }
        // `u1` is no account of the third batch, though its IDs begin with it.
        let third = id("20261122T013700Z-cccc");
        assert!(
            !list(&db_path, Some("u1"))
                .unwrap()
                .batches
                .iter()
                .any(|b| b.id == third)
        );
        assert!(
            list(&db_path, Some("u10"))
                .unwrap()
                .batches
                .iter()
                .any(|b| b.id == third)
        );
        assert!(
            list(&db_path, Some("u100"))
                .unwrap()
                .batches
                .iter()
                .any(|b| b.id == third)
        );
        // A whole ID reads that batch; a prefix goes through the listing; a missing journal is
        // said, not made.
        assert_eq!(
            read_batch(&db_path, Some(third.as_str())).unwrap().id(),
            &third
        );
        assert_eq!(
            read_batch(&db_path, Some("20261122T0137")).unwrap().id(),
            &third
        );
        let missing = dir.path().join("none.db");
        assert!(matches!(
            read_batch(&missing, Some(third.as_str())),
            Err(JournalError::Missing { .. })
        ));
        assert!(!missing.exists());
    }

    #[test]
    fn the_sqlite_journal_holds_what_the_lines_journal_holds() {
        let dir = tempfile::tempdir().unwrap();
        let (mut lines, lines_path) = journal_in(&dir);
        two_batches(&mut lines);
        let db_path = dir.path().join("other").join("journal.db");
        let mut db = Journal::open(&db_path).unwrap();
        two_batches(&mut db);
        drop(db);
        let (a, b) = (read(&lines_path), read(&db_path));
        assert_eq!(a.batches, b.batches);
        assert!(b.warnings.is_empty(), "{:?}", b.warnings);
        assert!(b.batches[1].is_incomplete() && !b.batches[0].is_incomplete());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&db_path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // Opened again: the schema is not applied twice, and records append.
        let mut db = Journal::open(&db_path).unwrap();
        db.end(&id("20261122T013600Z-bbbb"), EndOutcome::Cancelled)
            .unwrap();
        drop(db);
        assert_eq!(
            read(&db_path).batches[1].end.as_ref().map(|e| e.1.clone()),
            Some(EndOutcome::Cancelled)
        );
        // A journal from a later blockdeck is refused, not touched.
        let conn = rusqlite::Connection::open(&db_path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Journal::open(&db_path).unwrap_err();
        assert!(err.to_string().contains("schema version 99"), "{err}");
    }

    /// A JSON Lines journal beside an SQLite one of the same name comes in once, whole records
    /// only; the file is left in place.
    #[test]
    fn a_lines_journal_is_imported_once() {
        let dir = tempfile::tempdir().unwrap();
        let (mut lines, lines_path) = journal_in(&dir);
        two_batches(&mut lines);
        drop(lines);
        // A torn last line (a crash mid-write) is left out.
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(&lines_path)
            .unwrap();
        f.write_all(b"{\"type\":\"chunk\",\"v\":1,\"batch").unwrap();
        drop(f);
        let db_path = lines_path.with_extension("db");
        let read_db = read(&db_path);
        assert_eq!(read_db.batches, read(&lines_path).batches);
        assert!(lines_path.exists(), "the file is left where it was");
        // Opening again imports nothing twice.
        drop(Journal::open(&db_path).unwrap());
        assert_eq!(read(&db_path).batches, read_db.batches);
        assert_eq!(import_lines(&db_path, &lines_path).unwrap(), None);
    }

    #[test]
    fn batch_id_format_and_order() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_311_300);
        let a = BatchId::generate(t);
        let s = a.as_str();
        assert_eq!(s.len(), 21, "{s}");
        assert!(s.starts_with("20261122T013500Z-"), "{s}");
        assert!(
            s[17..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        // A later second sorts after, whatever the random part.
        for _ in 0..50 {
            let later = BatchId::generate(t + Duration::from_secs(1));
            assert!(a < later);
        }
        let next_year = BatchId::generate(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
        assert!(next_year.as_str().starts_with("20270115T080000Z-"));
        assert!(a < next_year);
        assert_eq!(a.to_string().parse::<BatchId>().unwrap(), a);
        assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{s}\""));
    }

    #[test]
    fn batch_id_parsing_rejects_unsafe_text() {
        assert_eq!("".parse::<BatchId>(), Err(BatchIdError::Empty));
        assert_eq!("a\u{1b}[2J".parse::<BatchId>(), Err(BatchIdError::BadChar));
        assert_eq!("a/b".parse::<BatchId>(), Err(BatchIdError::BadChar));
        assert!(matches!(
            "x".repeat(65).parse::<BatchId>(),
            Err(BatchIdError::TooLong(65))
        ));
        assert!(serde_json::from_str::<BatchId>("\"a\\u202eb\"").is_err());
    }

    #[test]
    fn batch_ids_before_the_epoch_clamp_to_it() {
        let before = UNIX_EPOCH - Duration::from_secs(10);
        assert!(
            BatchId::generate(before)
                .as_str()
                .starts_with("19700101T000000Z-")
        );
    }

    #[test]
    fn ssh_client_is_the_first_field() {
        assert_eq!(
            ssh_client_ip("10.0.0.5 52311 22").as_deref(),
            Some("10.0.0.5")
        );
        assert_eq!(
            ssh_client_ip("fe80::1%eth0 52311 fe80::2 22").as_deref(),
            Some("fe80::1%eth0")
        );
        assert_eq!(
            ssh_client_ip("  192.168.1.9   1 22 ").as_deref(),
            Some("192.168.1.9")
        );
        assert_eq!(ssh_client_ip(""), None);
        assert_eq!(ssh_client_ip("   "), None);
    }

    #[test]
    fn intent_line_has_exactly_the_expected_fields() {
        let mut i = intent("20261122T013500Z-3f9a", 1_795_311_300, vec![pair("a", "b")]);
        i.base_url = "https://admin:pw@adminapisgp.im.qcloud.com/v4?usersig=SECRET&x=1#frag".into();
        let line = encode_line("intent", &i).unwrap();
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        let text = String::from_utf8(line).unwrap();
        assert!(text.starts_with("{\"type\":\"intent\",\"v\":1,"), "{text}");
        assert!(!text.contains("SECRET") && !text.contains("pw"), "{text}");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "type": "intent",
                "v": 1,
                "batch": "20261122T013500Z-3f9a",
                "time": 1_795_311_300u64,
                "os_user": "alice",
                "ssh_client": "10.0.0.5",
                "profile": "prod-sgp",
                "sdkappid": 1_400_000_000u64,
                "base_url": "https://adminapisgp.im.qcloud.com/v4",
                "operation": "block",
                "targets": [["a", "b"]],
            })
        );
    }

    #[test]
    fn intent_new_strips_the_url_and_names_the_user() {
        let i = Intent::new(
            id("b1"),
            None,
            1,
            "http://u:p@127.0.0.1:8080/?sdkappid=1&usersig=xyz",
            Operation::Check { single: true },
            vec![],
        );
        assert_eq!(i.base_url, "http://127.0.0.1:8080/");
        assert!(!i.os_user.is_empty());
        assert!(i.time > 1_700_000_000);
        assert_eq!(strip_url_credentials("http://h/p@x?q"), "http://h/p@x");
    }

    #[test]
    fn item_records_are_compact_and_round_trip() {
        let p = pair("a", "b");
        let cases = [
            (
                item(&p, 0, ItemStatus::Done),
                r#"{"from":"a","to":"b","code":0,"status":"done"}"#,
            ),
            (
                item(&p, 30_515, ItemStatus::Already),
                r#"{"from":"a","to":"b","code":30515,"status":"already"}"#,
            ),
            (
                item(
                    &p,
                    0,
                    ItemStatus::Relation {
                        a_blocks_b: true,
                        b_blocks_a: None,
                    },
                ),
                r#"{"from":"a","to":"b","code":0,"status":"relation","a_blocks_b":true}"#,
            ),
            (
                item(&p, 30_001, failed(30_001)),
                r#"{"from":"a","to":"b","code":30001,"info":"error 30001","status":"failed"}"#,
            ),
            (
                ItemRecord {
                    info: "raw".into(),
                    ..item(&p, 30_006, failed(70_001))
                },
                r#"{"from":"a","to":"b","code":30006,"info":"raw","status":"failed","fail_code":70001,"fail_info":"error 70001"}"#,
            ),
            (
                item(&p, 0, ItemStatus::Unfinished),
                r#"{"from":"a","to":"b","code":0,"status":"unfinished"}"#,
            ),
        ];
        for (record, json) in cases {
            assert_eq!(serde_json::to_string(&record).unwrap(), json);
            assert_eq!(serde_json::from_str::<ItemRecord>(json).unwrap(), record);
        }
        let relation = item(
            &p,
            0,
            ItemStatus::Relation {
                a_blocks_b: false,
                b_blocks_a: Some(true),
            },
        );
        let json = serde_json::to_string(&relation).unwrap();
        assert_eq!(serde_json::from_str::<ItemRecord>(&json).unwrap(), relation);
        assert!(
            serde_json::from_str::<ItemRecord>(
                r#"{"from":"a","to":"b","code":0,"status":"weird"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn writes_and_reads_back_a_batch() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, path) = journal_in(&dir);
        assert_eq!(journal.location(), &Location::from(&path));
        let targets = vec![pair("a", "x"), pair("b", "x"), pair("c", "x")];
        let b = "20261122T013500Z-3f9a";
        journal
            .intent(&intent(b, 1_795_311_300, targets.clone()))
            .unwrap();
        journal
            .chunk(&chunk(
                b,
                vec![
                    item(&targets[0], 0, ItemStatus::Done),
                    item(&targets[1], 30_515, ItemStatus::Already),
                    item(&targets[2], 40_001, failed(40_001)),
                ],
            ))
            .unwrap();
        journal.end(&id(b), EndOutcome::Completed).unwrap();
        drop(journal);

        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(text.lines().all(|l| l.starts_with("{\"type\":")));

        let read = read(&path);
        assert!(read.warnings.is_empty(), "{:?}", read.warnings);
        assert_eq!(read.batches.len(), 1);
        let batch = &read.batches[0];
        assert_eq!(batch.intent.targets, targets);
        assert_eq!(batch.chunks, 1);
        assert_eq!(batch.items.len(), 3);
        assert_eq!(batch.items[&targets[2]].code, 40_001);
        assert_eq!(batch.items[&targets[2]].attempts, 1);
        assert!(matches!(batch.end, Some((_, EndOutcome::Completed))));
        assert!(batch.pending().is_empty());
        assert_eq!(
            batch.failed(),
            vec![(targets[2].clone(), 40_001, "error 40001".to_owned())]
        );
        assert_eq!(batch.unfinished(), vec![targets[2].clone()]);
        assert!(batch.is_complete());
        assert!(!batch.is_incomplete());
        assert_eq!(
            batch.counts(),
            Counts {
                total: 3,
                done: 1,
                already: 1,
                failed: 1,
                pending: 0
            }
        );
        assert_eq!(
            batch.summary_line(),
            "20261122T013500Z-3f9a  2026-11-22 01:35:00Z  block       3 pairs  done 1 already 1 \
             failed 1 pending 0  completed  by alice@10.0.0.5 profile prod-sgp"
        );
    }

    #[test]
    fn latest_record_per_pair_wins() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, path) = journal_in(&dir);
        let targets = vec![pair("a", "x"), pair("b", "x")];
        journal.intent(&intent("b1", 10, targets.clone())).unwrap();
        journal
            .chunk(&chunk(
                "b1",
                vec![
                    item(&targets[0], 30_006, failed(30_006)),
                    item(&targets[1], 0, ItemStatus::Done),
                ],
            ))
            .unwrap();
        journal
            .chunk(&Chunk {
                attempt: 2,
                ..chunk("b1", vec![item(&targets[0], 0, ItemStatus::Done)])
            })
            .unwrap();
        journal.end(&id("b1"), EndOutcome::Completed).unwrap();
        let batch = &read(&path).batches[0];
        assert_eq!(batch.items[&targets[0]].status, ItemStatus::Done);
        assert_eq!(batch.items[&targets[0]].code, 0);
        assert_eq!(batch.items[&targets[0]].attempts, 2);
        assert_eq!(batch.items[&targets[1]].attempts, 1);
        assert_eq!(batch.chunks, 2);
        assert!(batch.failed().is_empty());
        assert!(batch.unfinished().is_empty());
        assert_eq!(batch.counts().done, 2);
    }

    #[test]
    fn torn_last_line_is_a_warning_and_the_next_writer_starts_a_new_line() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, path) = journal_in(&dir);
        let targets = vec![pair("a", "x"), pair("b", "x")];
        journal.intent(&intent("b1", 10, targets.clone())).unwrap();
        journal
            .chunk(&chunk("b1", vec![item(&targets[0], 0, ItemStatus::Done)]))
            .unwrap();
        drop(journal);
        // A chunk cut in half by SIGKILL.
        let whole = encode_line(
            "chunk",
            &chunk("b1", vec![item(&targets[1], 0, ItemStatus::Done)]),
        )
        .unwrap();
        let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&whole[..whole.len() / 2]).unwrap();
        drop(file);

        let first = read(&path);
        assert_eq!(first.warnings.len(), 1, "{:?}", first.warnings);
        assert_eq!(first.warnings[0].0, 3);
        assert!(
            first.warnings[0].1.contains("incomplete last line"),
            "{:?}",
            first.warnings
        );
        let batch = &first.batches[0];
        assert_eq!(batch.pending(), vec![targets[1].clone()]);
        assert!(batch.is_incomplete());
        assert_eq!(batch.state_label(), "not ended");

        // Resuming appends after the torn line without gluing onto it.
        let mut journal = Journal::open(&path).unwrap();
        journal.resume(&Resume::new(id("b1"))).unwrap();
        journal
            .chunk(&chunk("b1", vec![item(&targets[1], 0, ItemStatus::Done)]))
            .unwrap();
        journal.end(&id("b1"), EndOutcome::Completed).unwrap();
        let second = read(&path);
        assert_eq!(second.warnings.len(), 1, "{:?}", second.warnings);
        assert_eq!(second.warnings[0].0, 3);
        assert!(second.warnings[0].1.contains("not a JSON record"));
        let batch = &second.batches[0];
        assert_eq!(batch.resumes.len(), 1);
        assert!(batch.is_complete());
        assert_eq!(batch.counts().done, 2);
    }

    #[test]
    fn garbage_and_orphans_are_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, path) = journal_in(&dir);
        journal.chunk(&chunk("orphan", vec![])).unwrap();
        journal
            .intent(&intent("b1", 10, vec![pair("a", "x")]))
            .unwrap();
        drop(journal);
        let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"hello\n\n{\"type\":\"end\",\"v\":2}\n{\"type\":\"end\"}\n")
            .unwrap();
        file.write_all(b"{\"type\":\"party\",\"v\":1}\n").unwrap();
        drop(file);
        let mut journal = Journal::open(&path).unwrap();
        journal.intent(&intent("b1", 11, vec![])).unwrap();
        journal
            .chunk(&chunk(
                "b1",
                vec![item(&pair("z", "z"), 0, ItemStatus::Done)],
            ))
            .unwrap();

        let read = read(&path);
        let lines: Vec<usize> = read.warnings.iter().map(|w| w.0).collect();
        assert_eq!(lines, vec![1, 3, 5, 6, 7, 8, 9], "{:?}", read.warnings);
        assert!(read.warnings[0].1.contains("intent is missing"));
        assert!(read.warnings[2].1.contains("version 2"));
        assert!(read.warnings[3].1.contains("no \"v\""));
        assert!(read.warnings[5].1.contains("second intent"));
        assert!(read.warnings[6].1.contains("not targets"));
        assert_eq!(read.batches.len(), 1);
        assert_eq!(read.batches[0].intent.time, 10);
        assert!(read.batches[0].items.is_empty());
    }

    #[test]
    fn interrupted_and_resumed_batches() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, path) = journal_in(&dir);
        let t = vec![
            pair("a", "x"),
            pair("b", "x"),
            pair("c", "x"),
            pair("d", "x"),
        ];
        // b1: killed after one chunk, no end.
        journal.intent(&intent("b1", 100, t.clone())).unwrap();
        journal
            .chunk(&chunk(
                "b1",
                vec![
                    item(&t[0], 0, ItemStatus::Done),
                    item(&t[1], 40_001, failed(40_001)),
                ],
            ))
            .unwrap();
        // b2: cancelled, then resumed and completed.
        journal.intent(&intent("b2", 200, t.clone())).unwrap();
        journal
            .chunk(&chunk(
                "b2",
                vec![
                    item(&t[0], 0, ItemStatus::Done),
                    item(&t[1], 0, ItemStatus::Unfinished),
                    item(&t[2], 40_001, failed(40_001)),
                ],
            ))
            .unwrap();
        journal.end(&id("b2"), EndOutcome::Cancelled).unwrap();
        // b3: completed, then resumed (to retry failures) and killed.
        journal.intent(&intent("b3", 300, t[..1].to_vec())).unwrap();
        journal
            .chunk(&chunk("b3", vec![item(&t[0], 0, ItemStatus::Done)]))
            .unwrap();
        journal.end(&id("b3"), EndOutcome::Completed).unwrap();

        let r = read(&path);
        let b1 = &r.batches[0];
        assert_eq!(b1.pending(), vec![t[2].clone(), t[3].clone()]);
        assert_eq!(
            b1.failed(),
            vec![(t[1].clone(), 40_001, "error 40001".into())]
        );
        assert_eq!(b1.unfinished(), t[1..].to_vec());
        assert!(b1.is_incomplete());
        assert_eq!(b1.end, None);

        let b2 = &r.batches[1];
        assert_eq!(b2.pending(), vec![t[1].clone(), t[3].clone()]);
        assert_eq!(b2.unfinished(), t[1..].to_vec());
        assert!(b2.is_incomplete());
        assert_eq!(b2.state_label(), "cancelled");
        assert!(r.batches[2].is_complete());

        journal.resume(&Resume::new(id("b2"))).unwrap();
        journal
            .chunk(&chunk(
                "b2",
                vec![
                    item(&t[1], 0, ItemStatus::Done),
                    item(&t[2], 30_515, ItemStatus::Already),
                    item(&t[3], 0, ItemStatus::Done),
                ],
            ))
            .unwrap();
        journal.end(&id("b2"), EndOutcome::Completed).unwrap();
        journal.resume(&Resume::new(id("b3"))).unwrap();

        let r = read(&path);
        let b2 = &r.batches[1];
        assert_eq!(b2.resumes.len(), 1);
        assert!(b2.unfinished().is_empty());
        assert!(b2.is_complete());
        assert_eq!(
            b2.counts(),
            Counts {
                total: 4,
                done: 3,
                already: 1,
                failed: 0,
                pending: 0
            }
        );
        assert!(b2.summary_line().contains("completed (resumed 1×)"));
        // A resume with no end after it: the earlier completion no longer counts.
        let b3 = &r.batches[2];
        assert!(matches!(b3.end, Some((_, EndOutcome::Completed))));
        assert!(!b3.latest_run_ended());
        assert!(b3.is_incomplete());
        assert!(b3.unfinished().is_empty());
    }

    #[test]
    fn stopped_batch_is_incomplete() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, path) = journal_in(&dir);
        journal
            .intent(&intent("b1", 1, vec![pair("a", "b")]))
            .unwrap();
        let outcome = EndOutcome::Stopped {
            code: 70_001,
            reason: "UserSig expired".into(),
        };
        journal.end(&id("b1"), outcome.clone()).unwrap();
        let r = read(&path);
        assert_eq!(r.batches[0].end.as_ref().map(|e| &e.1), Some(&outcome));
        assert!(r.batches[0].is_incomplete());
        assert_eq!(r.batches[0].state_label(), "stopped (70001)");
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(r#""outcome":{"stopped":{"code":70001,"reason":"UserSig expired"}}"#)
        );
    }

    #[test]
    fn summary_line_escapes_untrusted_text() {
        let mut i = intent("b1", 0, vec![]);
        i.os_user = "mallory\u{1b}]0;pwned\u{7}".into();
        i.ssh_client = None;
        i.profile = Some("pro\u{202e}d".into());
        let line = BatchState::new(i).summary_line();
        assert!(
            !line.chars().any(|c| display::is_unsafe(c) && c != '\\'),
            "{line:?}"
        );
        assert!(
            line.ends_with("by mallory\\u{1b}]0;pwned\\u{7} profile pro\\u{202e}d"),
            "{line}"
        );
        assert!(line.contains("not ended"));
    }

    #[cfg(unix)]
    #[test]
    fn file_and_directories_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, path) = journal_in(&dir);
        journal.intent(&intent("b1", 1, vec![])).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(path.parent().unwrap().parent().unwrap()), 0o700);

        // An existing file open to others is tightened; an existing directory is left alone.
        let loose = dir.path().join("loose.jsonl");
        fs::write(&loose, b"").unwrap();
        fs::set_permissions(&loose, fs::Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        Journal::open(&loose).unwrap();
        assert_eq!(mode(&loose), 0o600);
        assert_eq!(mode(dir.path()), 0o755);
    }

    #[test]
    fn concurrent_appenders_never_split_lines() {
        let dir = tempfile::tempdir().unwrap();
        let (_, path) = journal_in(&dir);
        // Large records (about 40 kB each) make any interleaving inside a line visible.
        let targets: Vec<Pair> = (0..1_000)
            .map(|i| pair(&format!("user{i:05}"), &format!("target{i:05}")))
            .collect();
        let writers: Vec<_> = ["w1", "w2"]
            .into_iter()
            .map(|name| {
                let path = path.clone();
                let targets = targets.clone();
                std::thread::spawn(move || {
                    let mut journal = Journal::open(&path).unwrap();
                    journal.intent(&intent(name, 1, targets.clone())).unwrap();
                    for _ in 0..20 {
                        let items = targets
                            .iter()
                            .map(|p| item(p, 0, ItemStatus::Done))
                            .collect();
                        journal.chunk(&chunk(name, items)).unwrap();
                    }
                    journal.end(&id(name), EndOutcome::Completed).unwrap();
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        // And alternately through two handles in one thread.
        let mut one = Journal::open(&path).unwrap();
        let mut two = Journal::open(&path).unwrap();
        one.intent(&intent("w3", 2, targets.clone())).unwrap();
        two.intent(&intent("w4", 2, targets.clone())).unwrap();
        one.end(&id("w3"), EndOutcome::Completed).unwrap();
        two.end(&id("w4"), EndOutcome::Interrupted).unwrap();

        let r = read(&path);
        assert!(
            r.warnings.is_empty(),
            "{:?}",
            &r.warnings[..r.warnings.len().min(3)]
        );
        assert_eq!(
            fs::read_to_string(&path).unwrap().lines().count(),
            2 * 22 + 4
        );
        assert_eq!(r.batches.len(), 4);
        for b in &r.batches[..2] {
            assert_eq!(b.chunks, 20);
            assert!(b.is_complete());
            assert_eq!(b.items.values().map(|s| s.attempts).max(), Some(20));
        }
        assert_eq!(r.batches[2].pending().len(), 1_000);
        assert!(r.batches[3].is_incomplete());
    }

    #[test]
    fn find_batch_by_id_prefix_or_recency() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, path) = journal_in(&dir);
        let ids = [
            "20261120T090000Z-aaaa",
            "20261121T090000Z-bbbb",
            "20261122T090000Z-cccc",
            "20261122T090000Z-cddd",
        ];
        for (n, b) in ids.iter().enumerate() {
            journal
                .intent(&intent(b, 1_000 + n as u64, vec![pair("a", "b")]))
                .unwrap();
            journal
                .chunk(&chunk(b, vec![item(&pair("a", "b"), 0, ItemStatus::Done)]))
                .unwrap();
        }
        journal.end(&id(ids[0]), EndOutcome::Completed).unwrap();
        journal.end(&id(ids[2]), EndOutcome::Completed).unwrap();
        journal.end(&id(ids[3]), EndOutcome::Completed).unwrap();
        let r = read(&path);

        assert_eq!(r.find(Some(ids[1])).unwrap().id().as_str(), ids[1]);
        assert_eq!(r.find(Some("20261120")).unwrap().id().as_str(), ids[0]);
        assert_eq!(
            r.find(Some("20261122T090000Z-cd")).unwrap().id().as_str(),
            ids[3]
        );
        // Without an ID: the most recent incomplete batch (b has no end).
        assert_eq!(r.find(None).unwrap().id().as_str(), ids[1]);

        let err = r.find(Some("20261122")).unwrap_err();
        assert!(matches!(err, JournalError::Ambiguous { total: 2, .. }));
        let msg = err.to_string();
        assert!(
            msg.contains(ids[2]) && msg.contains(ids[3]) && !msg.contains(ids[0]),
            "{msg}"
        );
        assert!(msg.contains(&path.display().to_string()), "{msg}");

        let err = find_batch(&r.batches, Some("2025\u{1b}[2J")).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, JournalError::NoSuchBatch { .. }));
        assert!(msg.contains("2025\\u{1b}[2J"), "{msg}");
        assert!(!msg.contains('\u{1b}'));
        // The most recent first.
        let newest = msg.find(ids[3]).unwrap();
        assert!(newest < msg.find(ids[0]).unwrap(), "{msg}");

        // Once b is finished there is nothing left to resume.
        journal.end(&id(ids[1]), EndOutcome::Completed).unwrap();
        let r = read(&path);
        let err = r.find(None).unwrap_err();
        assert!(
            matches!(&err, JournalError::NothingIncomplete { latest, .. } if latest.as_str() == ids[3])
        );

        assert!(matches!(
            find_batch::<BatchState>(&[], None),
            Err(JournalError::NoBatches { .. })
        ));
        assert!(matches!(
            find_batch::<BatchState>(&[], Some("x")),
            Err(JournalError::NoBatches { .. })
        ));
    }

    #[test]
    fn no_such_batch_lists_only_the_five_most_recent() {
        let batches: Vec<BatchState> = (0..8)
            .map(|n| BatchState::new(intent(&format!("b{n}"), n, vec![])))
            .collect();
        let JournalError::NoSuchBatch { recent, .. } =
            find_batch(&batches, Some("zz")).unwrap_err()
        else {
            panic!("wrong error");
        };
        let recent: Vec<&str> = recent.iter().map(BatchId::as_str).collect();
        assert_eq!(recent, ["b7", "b6", "b5", "b4", "b3"]);
    }

    #[test]
    fn missing_journal_is_a_distinct_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.jsonl");
        let err = read_batches(&path).unwrap_err();
        assert!(matches!(err, JournalError::Missing { .. }));
        assert!(err.to_string().contains("none.jsonl"));
        assert!(err.to_string().contains("--journal"));
    }

    #[test]
    fn default_path_ends_in_blockdeck_journal() {
        assert!(default_path().ends_with("blockdeck/journal.db"));
    }
}
