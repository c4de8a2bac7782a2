//! The change store: every blocklist and friendship change the service's webhooks reported, as
//! `blockdeck relay` received them, in the journal's database (an SQLite file or the team's
//! PostgreSQL). It answers what the service's API cannot: who blocked an account and when, what
//! happened to it in the last day, how fast blocks arrive.
//!
//! A post is kept once, by its digest ([`Post::digest`]); its changes, one row per pair, are
//! written in the same transaction, so a post is either wholly kept or not at all. Each change
//! has a sequence number that only grows: a reader asks for what came after the last it saw.
//! PostgreSQL announces each commit on [`CHANNEL`]; SQLite readers poll, which costs one indexed
//! read of the newest sequence number.

use std::io;
use std::path::Path;

use super::{Location, PgUrl, pg};
use crate::feed::{ChangeKind, Post};

/// The channel PostgreSQL announces new changes on; the payload is the newest sequence number.
pub const CHANNEL: &str = "blockdeck_changes";
/// The most changes one read returns.
pub const READ_MAX: usize = 10_000;

/// One change, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Grows with every change stored.
    pub seq: i64,
    /// When it happened (Unix milliseconds): the webhook's `EventTime`, else when it arrived.
    pub time_ms: i64,
    pub kind: ChangeKind,
    /// Untrusted text, to be sanitized before display.
    pub from: String,
    /// Untrusted text, to be sanitized before display.
    pub to: String,
    /// `OptPlatform` of the webhook. Untrusted text.
    pub platform: String,
    /// `ClientIP` of the webhook. Untrusted text.
    pub client_ip: Option<String>,
}

impl Change {
    /// The change as the live feed shows it.
    pub fn to_event(&self) -> crate::feed::FeedEvent {
        crate::feed::FeedEvent {
            received: u64::try_from(self.time_ms / 1000).unwrap_or(0),
            kind: self.kind,
            from: self.from.clone(),
            to: self.to.clone(),
            platform: self.platform.clone(),
            client_ip: self.client_ip.clone(),
            sdkappid: None,
        }
    }
}

/// The last recorded blocklist change of one account about another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastChange {
    /// The account whose blocklist changed.
    pub from: String,
    /// [`ChangeKind::Block`] or [`ChangeKind::Unblock`].
    pub kind: ChangeKind,
    pub time_ms: i64,
}

/// How far the store reaches back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// The first change stored (Unix milliseconds).
    pub first_ms: i64,
    /// Changes stored in all.
    pub changes: i64,
}

impl Reach {
    /// When the first change stored happened, in UTC: `2026-11-30 08:00:00Z`.
    pub fn first_utc(&self) -> String {
        crate::display::utc(u64::try_from(self.first_ms / 1000).unwrap_or(0))
    }
}

/// Which changes a per-minute count takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Every account.
    App,
    /// Changes with this account on either side.
    Account(&'a str),
}

/// An open change store.
pub struct Changes {
    conn: Conn,
    at: Location,
}

enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(pg::Session),
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Changes({})", self.at)
    }
}

/// Columns of a change, as selected by every read.
const COLUMNS: &str = "c.seq, c.time, c.kind, c.from_id, c.to_id, p.platform, p.client_ip";
const FROM: &str = "changes c JOIN posts p ON p.id = c.post";

/// `$1` → `?1`: SQLite takes numbered parameters with `?`.
fn for_sqlite(sql: &str) -> String {
    sql.replace('$', "?")
}

fn bad_kind(word: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the change store holds an unknown kind {word:?}"),
    )
}

type Row = (i64, i64, String, String, String, String, Option<String>);

fn change_of(row: Row) -> io::Result<Change> {
    let (seq, time_ms, kind, from, to, platform, client_ip) = row;
    Ok(Change {
        seq,
        time_ms,
        kind: ChangeKind::of_word(&kind).ok_or_else(|| bad_kind(&kind))?,
        from,
        to,
        platform,
        client_ip,
    })
}

fn sqlite_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn pg_row(r: &postgres::Row) -> Row {
    (
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        r.get(5),
        r.get(6),
    )
}

/// Parameters of a read, owned so that they can travel to PostgreSQL's thread.
#[derive(Clone)]
enum Param {
    Int(i64),
    Text(String),
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Param::Int(n) => n.to_sql(),
            Param::Text(t) => t.to_sql(),
        }
    }
}

fn pg_params(params: &[Param]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| match p {
            Param::Int(n) => n as &(dyn postgres::types::ToSql + Sync),
            Param::Text(t) => t as &(dyn postgres::types::ToSql + Sync),
        })
        .collect()
}

fn not_a_database(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is a JSON Lines journal, which cannot hold the change history: name an SQLite \
             file (.db) or a postgres:// URL",
            path.display()
        ),
    )
}

impl Changes {
    /// Opens the store in the journal's database at `at`, bringing its schema up to date.
    pub fn open(at: &Location) -> io::Result<Changes> {
        let conn = match at {
            Location::File(path) if !super::is_sqlite(path) => return Err(not_a_database(path)),
            Location::File(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::private::create_dirs(dir)?;
                }
                Conn::Sqlite(super::open_sqlite(path)?)
            }
            Location::Postgres(url) => Conn::Postgres(super::open_postgres(url)?),
        };
        Ok(Changes {
            conn,
            at: at.clone(),
        })
    }

    /// Opens the store only if it exists already (a missing SQLite file is not created).
    pub fn open_existing(at: &Location) -> io::Result<Option<Changes>> {
        match at {
            Location::File(path) if !super::is_sqlite(path) || !path.exists() => Ok(None),
            _ => Changes::open(at).map(Some),
        }
    }

    pub fn location(&self) -> &Location {
        &self.at
    }

    fn error(&self, doing: &str, e: impl std::fmt::Display) -> io::Error {
        io::Error::other(format!("cannot {doing} the change store {}: {e}", self.at))
    }

    /// Stores each post once, received at `received_ms`, in one transaction: `true` for a post
    /// new to the store, `false` for one it holds already (a redelivery). Nothing of the
    /// transaction is kept unless all of it is.
    pub fn record(&mut self, posts: &[Post], received_ms: i64) -> io::Result<Vec<bool>> {
        match &mut self.conn {
            Conn::Sqlite(conn) => {
                let result = record_sqlite(conn, posts, received_ms);
                result.map_err(|e| io::Error::other(format!("the change store: {e}")))
            }
            Conn::Postgres(session) => {
                let posts = posts.to_vec();
                session.call("write to", move |c| record_postgres(c, &posts, received_ms))
            }
        }
    }

    /// Runs a read that returns changes.
    fn changes(&self, sql: String, params: Vec<Param>) -> io::Result<Vec<Change>> {
        let rows: Vec<Row> = match &self.conn {
            Conn::Sqlite(conn) => {
                let mut stmt = conn
                    .prepare_cached(&for_sqlite(&sql))
                    .map_err(|e| self.error("read", e))?;
                let rows = stmt
                    .query_map(rusqlite::params_from_iter(params.iter()), sqlite_row)
                    .map_err(|e| self.error("read", e))?;
                rows.collect::<rusqlite::Result<_>>()
                    .map_err(|e| self.error("read", e))?
            }
            Conn::Postgres(session) => session.call("read", move |c| {
                Ok(c.query(&sql, &pg_params(&params))?
                    .iter()
                    .map(pg_row)
                    .collect())
            })?,
        };
        rows.into_iter().map(change_of).collect()
    }

    /// Runs a read of one row of integers.
    fn integers(&self, sql: &str, params: Vec<Param>, n: usize) -> io::Result<Vec<Option<i64>>> {
        match &self.conn {
            Conn::Sqlite(conn) => conn
                .query_row(
                    &for_sqlite(sql),
                    rusqlite::params_from_iter(params.iter()),
                    |r| (0..n).map(|i| r.get(i)).collect(),
                )
                .map_err(|e| self.error("read", e)),
            Conn::Postgres(session) => {
                let sql = sql.to_owned();
                session.call("read", move |c| {
                    let row = c.query_one(&sql, &pg_params(&params))?;
                    Ok((0..n).map(|i| row.get(i)).collect())
                })
            }
        }
    }

    /// Runs a read of (integer, integer) rows.
    fn pairs(&self, sql: String, params: Vec<Param>) -> io::Result<Vec<(i64, i64)>> {
        match &self.conn {
            Conn::Sqlite(conn) => {
                let mut stmt = conn
                    .prepare_cached(&for_sqlite(&sql))
                    .map_err(|e| self.error("read", e))?;
                let rows = stmt
                    .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .map_err(|e| self.error("read", e))?;
                rows.collect::<rusqlite::Result<_>>()
                    .map_err(|e| self.error("read", e))
            }
            Conn::Postgres(session) => session.call("read", move |c| {
                Ok(c.query(&sql, &pg_params(&params))?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect())
            }),
        }
    }

    /// The newest sequence number (0 for an empty store).
    pub fn last_seq(&self) -> io::Result<i64> {
        let found = self.integers("SELECT max(seq) FROM changes", Vec::new(), 1)?;
        Ok(found[0].unwrap_or(0))
    }

    /// The changes after `seq`, oldest first, at most `limit` (and [`READ_MAX`]).
    pub fn after(&self, seq: i64, limit: usize) -> io::Result<Vec<Change>> {
        let limit = limit.min(READ_MAX) as i64;
        self.changes(
            format!("SELECT {COLUMNS} FROM {FROM} WHERE c.seq > $1 ORDER BY c.seq LIMIT $2"),
            vec![Param::Int(seq), Param::Int(limit)],
        )
    }

    /// The newest `limit` changes (at most [`READ_MAX`]), oldest first; with `account`, those
    /// with it on either side only.
    pub fn latest(&self, account: Option<&str>, limit: usize) -> io::Result<Vec<Change>> {
        self.history(account, i64::MIN, limit)
    }

    /// The changes from `since_ms` on, oldest first, at most the newest `limit` (and
    /// [`READ_MAX`]); with `account`, those with it on either side only.
    pub fn history(
        &self,
        account: Option<&str>,
        since_ms: i64,
        limit: usize,
    ) -> io::Result<Vec<Change>> {
        let limit = limit.min(READ_MAX) as i64;
        let (sql, params) = match account {
            // Both sides are read by their own index and joined: an OR of the two columns
            // would make PostgreSQL and SQLite scan.
            Some(account) => (
                format!(
                    "SELECT * FROM (
                       SELECT {COLUMNS} FROM {FROM} WHERE c.from_id = $1 AND c.time >= $2
                       UNION
                       SELECT {COLUMNS} FROM {FROM} WHERE c.to_id = $1 AND c.time >= $2
                       ORDER BY 1 DESC LIMIT $3
                     ) AS newest ORDER BY 1"
                ),
                vec![
                    Param::Text(account.to_owned()),
                    Param::Int(since_ms),
                    Param::Int(limit),
                ],
            ),
            None => (
                format!(
                    "SELECT * FROM (
                       SELECT {COLUMNS} FROM {FROM} WHERE c.time >= $1
                       ORDER BY c.seq DESC LIMIT $2
                     ) AS newest ORDER BY 1"
                ),
                vec![Param::Int(since_ms), Param::Int(limit)],
            ),
        };
        self.changes(sql, params)
    }

    /// For every account with a recorded blocklist change about `target`, the last one: those
    /// whose last change is a block had `target` on their blocklist when it was recorded.
    pub fn last_about(&self, target: &str) -> io::Result<Vec<LastChange>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE c.seq IN (
               SELECT max(seq) FROM changes
               WHERE to_id = $1 AND kind IN ('block', 'unblock')
               GROUP BY from_id
             ) ORDER BY c.seq"
        );
        let changes = self.changes(sql, vec![Param::Text(target.to_owned())])?;
        Ok(changes
            .into_iter()
            .map(|c| LastChange {
                from: c.from,
                kind: c.kind,
                time_ms: c.time_ms,
            })
            .collect())
    }

    /// The first change stored and how many there are; `None` while the store is empty.
    pub fn reach(&self) -> io::Result<Option<Reach>> {
        let found = self.integers("SELECT min(time), count(*) FROM changes", Vec::new(), 2)?;
        Ok(match (found[0], found[1]) {
            (Some(first_ms), Some(changes)) if changes > 0 => Some(Reach { first_ms, changes }),
            _ => None,
        })
    }

    /// Blocks per minute over the `minutes` minutes that end with the one holding `now_ms`,
    /// oldest first.
    pub fn blocks_per_minute(
        &self,
        scope: Scope<'_>,
        now_ms: i64,
        minutes: usize,
    ) -> io::Result<Vec<u64>> {
        let minutes = minutes.clamp(1, 24 * 60);
        let end = (now_ms.div_euclid(60_000) + 1) * 60_000;
        let start = end - 60_000 * minutes as i64;
        let (sql, params) = match scope {
            Scope::App => (
                "SELECT (time - $1) / 60000, count(*) FROM changes \
                 WHERE kind = 'block' AND time >= $1 AND time < $2 GROUP BY 1"
                    .to_owned(),
                vec![Param::Int(start), Param::Int(end)],
            ),
            Scope::Account(account) => (
                "SELECT m, count(*) FROM (
                   SELECT seq, (time - $1) / 60000 AS m FROM changes
                   WHERE from_id = $3 AND kind = 'block' AND time >= $1 AND time < $2
                   UNION
                   SELECT seq, (time - $1) / 60000 AS m FROM changes
                   WHERE to_id = $3 AND kind = 'block' AND time >= $1 AND time < $2
                 ) AS touching GROUP BY m"
                    .to_owned(),
                vec![
                    Param::Int(start),
                    Param::Int(end),
                    Param::Text(account.to_owned()),
                ],
            ),
        };
        let mut counts = vec![0u64; minutes];
        for (minute, n) in self.pairs(sql, params)? {
            if let Some(slot) = usize::try_from(minute).ok().and_then(|m| counts.get_mut(m)) {
                *slot = u64::try_from(n).unwrap_or(0);
            }
        }
        Ok(counts)
    }
}

fn record_sqlite(
    conn: &mut rusqlite::Connection,
    posts: &[Post],
    received_ms: i64,
) -> rusqlite::Result<Vec<bool>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut new = Vec::with_capacity(posts.len());
    {
        let mut post_stmt = tx.prepare_cached(
            "INSERT INTO posts (digest, received, command, platform, client_ip, sdkappid) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (digest) DO NOTHING",
        )?;
        let mut change_stmt = tx.prepare_cached(
            "INSERT INTO changes (post, time, kind, from_id, to_id) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for post in posts {
            let first = post.events.first();
            let inserted = post_stmt.execute(rusqlite::params![
                post.digest,
                received_ms,
                post.kind.command(),
                first.map_or("Unknown", |e| e.platform.as_str()),
                first.and_then(|e| e.client_ip.as_deref()),
                first.and_then(|e| e.sdkappid).map(|n| n as i64),
            ])?;
            new.push(inserted == 1);
            if inserted == 1 {
                let id = tx.last_insert_rowid();
                let time = post.time_ms as i64;
                for event in &post.events {
                    change_stmt.execute(rusqlite::params![
                        id,
                        time,
                        post.kind.word(),
                        event.from,
                        event.to
                    ])?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(new)
}

fn record_postgres(
    client: &mut postgres::Client,
    posts: &[Post],
    received_ms: i64,
) -> Result<Vec<bool>, postgres::Error> {
    let mut tx = client.transaction()?;
    let post_stmt = tx.prepare(
        "INSERT INTO posts (digest, received, command, platform, client_ip, sdkappid) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (digest) DO NOTHING RETURNING id",
    )?;
    let change_stmt = tx.prepare(
        "INSERT INTO changes (post, time, kind, from_id, to_id) \
         SELECT $1, $2, $3, f, t FROM unnest($4::text[], $5::text[]) AS pairs (f, t)",
    )?;
    let mut new = Vec::with_capacity(posts.len());
    for post in posts {
        let first = post.events.first();
        let sdkappid = first.and_then(|e| e.sdkappid).map(|n| n as i64);
        let inserted = tx.query_opt(
            &post_stmt,
            &[
                &post.digest,
                &received_ms,
                &post.kind.command(),
                &first.map_or("Unknown", |e| e.platform.as_str()),
                &first.and_then(|e| e.client_ip.as_deref()),
                &sdkappid,
            ],
        )?;
        new.push(inserted.is_some());
        if let Some(row) = inserted {
            let id: i64 = row.get(0);
            let froms: Vec<&str> = post.events.iter().map(|e| e.from.as_str()).collect();
            let tos: Vec<&str> = post.events.iter().map(|e| e.to.as_str()).collect();
            tx.execute(
                &change_stmt,
                &[&id, &(post.time_ms as i64), &post.kind.word(), &froms, &tos],
            )?;
        }
    }
    if new.iter().any(|n| *n) {
        tx.execute(
            "SELECT pg_notify($1, (SELECT max(seq) FROM changes)::text)",
            &[&CHANNEL],
        )?;
    }
    tx.commit()?;
    Ok(new)
}

/// Waits for changes after `seq` in a PostgreSQL store and tells `on` of each, for as long as
/// `wanted()` says; a lost connection is said (as `Err`) and made again after a pause that
/// doubles up to a minute. Blocks: run it on a thread of its own.
pub fn listen_postgres(
    url: &PgUrl,
    mut seq: i64,
    wanted: impl Fn() -> bool,
    mut on: impl FnMut(Result<Vec<Change>, String>),
) {
    use postgres::fallible_iterator::FallibleIterator;
    let mut pause = std::time::Duration::from_secs(1);
    while wanted() {
        let once = (|| -> io::Result<()> {
            let store = Changes::open(&Location::Postgres(url.clone()))?;
            let mut client = pg::connect_blocking(url)?;
            let lost = |e: postgres::Error| {
                io::Error::other(format!(
                    "the change store {url} stopped answering: {}",
                    pg::describe(&e)
                ))
            };
            client
                .batch_execute(&format!("LISTEN {CHANNEL}"))
                .map_err(lost)?;
            pause = std::time::Duration::from_secs(1);
            // What came while nobody listened, then what is announced.
            let mut announced = true;
            while wanted() {
                if announced {
                    loop {
                        let changes = store.after(seq, READ_MAX)?;
                        let full = changes.len() == READ_MAX;
                        if let Some(last) = changes.last() {
                            seq = last.seq;
                            on(Ok(changes));
                        }
                        if !full {
                            break;
                        }
                    }
                }
                let mut notes = client.notifications();
                announced = notes
                    .timeout_iter(std::time::Duration::from_secs(1))
                    .next()
                    .map_err(lost)?
                    .is_some();
                // Those already there are covered by the one read.
                while notes.iter().next().map_err(lost)?.is_some() {}
            }
            Ok(())
        })();
        let Err(e) = once else { return };
        on(Err(format!("{e}; trying again in {} s", pause.as_secs())));
        let until = std::time::Instant::now() + pause;
        while wanted() && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        pause = (pause * 2).min(std::time::Duration::from_secs(60));
    }
}

/// Polls an SQLite store for changes after `seq` every `every` and tells `on` of them, for as
/// long as `wanted()` says. A poll that finds nothing new reads one index entry.
pub fn poll_sqlite(
    path: &Path,
    mut seq: i64,
    every: std::time::Duration,
    wanted: impl Fn() -> bool,
    mut on: impl FnMut(Result<Vec<Change>, String>),
) {
    let at = Location::File(path.to_owned());
    let mut store: Option<Changes> = None;
    let mut failing = false;
    while wanted() {
        if store.is_none() {
            match Changes::open(&at) {
                Ok(s) => store = Some(s),
                Err(e) if !failing => {
                    failing = true;
                    on(Err(e.to_string()));
                }
                Err(_) => {}
            }
        }
        if let Some(s) = &store {
            match s.after(seq, READ_MAX) {
                Ok(changes) => {
                    failing = false;
                    if let Some(last) = changes.last() {
                        seq = last.seq;
                        let full = changes.len() == READ_MAX;
                        on(Ok(changes));
                        if full {
                            continue;
                        }
                    }
                }
                Err(e) => {
                    store = None;
                    if !failing {
                        failing = true;
                        on(Err(e.to_string()));
                    }
                }
            }
        }
        let until = std::time::Instant::now() + every;
        while wanted() && std::time::Instant::now() < until {
            std::thread::sleep(every.min(std::time::Duration::from_millis(100)));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::feed::{Checks, sign};

    /// A signed post of `kind` from `from` to each of `to`, as the relay accepts it.
    pub(crate) fn post(kind: ChangeKind, from: &str, to: &[&str], event_time: Option<u64>) -> Post {
        let pairs: Vec<_> = to
            .iter()
            .map(|t| serde_json::json!({"From_Account": from, "To_Account": t}))
            .collect();
        let mut body = serde_json::json!({"CallbackCommand": kind.command(), "PairList": pairs});
        if let Some(t) = event_time {
            body["EventTime"] = t.into();
        }
        let time = "1700000000";
        let query = format!(
            "SdkAppid=1400000000&CallbackCommand={}&ClientIP=10.0.0.1&OptPlatform=RESTAPI\
             &RequestTime={time}&Sign={}",
            kind.command(),
            sign("tok", time)
        );
        Checks {
            token: Some("tok".into()),
            sdkappid: Some(1_400_000_000),
        }
        .accept(Some(&query), body.to_string().as_bytes(), 1_700_000_000)
        .unwrap()
        .unwrap()
    }

    fn store() -> (tempfile::TempDir, Changes) {
        let dir = tempfile::tempdir().unwrap();
        let at = Location::File(dir.path().join("journal.db"));
        (dir, Changes::open(&at).unwrap())
    }

    #[test]
    fn a_post_is_kept_once_and_read_back_in_order() {
        let (_dir, mut store) = store();
        let block = post(ChangeKind::Block, "alice", &["bob", "carol"], Some(1_000));
        let unblock = post(ChangeKind::Unblock, "alice", &["bob"], Some(2_000));
        assert_eq!(
            store.record(&[block.clone(), unblock], 5).unwrap(),
            [true, true]
        );
        assert_eq!(store.record(&[block], 6).unwrap(), [false]);
        let all = store.after(0, 100).unwrap();
        let seen: Vec<_> = all
            .iter()
            .map(|c| (c.kind, c.from.as_str(), c.to.as_str(), c.time_ms))
            .collect();
        assert_eq!(
            seen,
            [
                (ChangeKind::Block, "alice", "bob", 1_000),
                (ChangeKind::Block, "alice", "carol", 1_000),
                (ChangeKind::Unblock, "alice", "bob", 2_000),
            ]
        );
        assert_eq!(store.last_seq().unwrap(), all[2].seq);
        assert_eq!(store.after(all[0].seq, 1).unwrap(), all[1..2]);
        assert_eq!(all[0].platform, "RESTAPI");
        assert_eq!(all[0].client_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(
            store.reach().unwrap(),
            Some(Reach {
                first_ms: 1_000,
                changes: 3
            })
        );
    }

    #[test]
    fn the_last_change_about_an_account_decides() {
        let (_dir, mut store) = store();
        store
            .record(
                &[
                    post(ChangeKind::Block, "alice", &["x"], Some(1)),
                    post(ChangeKind::Block, "bob", &["x"], Some(2)),
                    post(ChangeKind::Unblock, "alice", &["x"], Some(3)),
                    post(ChangeKind::FriendAdd, "carol", &["x"], Some(4)),
                    post(ChangeKind::Block, "dave", &["y"], Some(5)),
                ],
                10,
            )
            .unwrap();
        let last: Vec<_> = store
            .last_about("x")
            .unwrap()
            .into_iter()
            .map(|l| (l.from, l.kind))
            .collect();
        assert_eq!(
            last,
            [
                ("bob".to_owned(), ChangeKind::Block),
                ("alice".to_owned(), ChangeKind::Unblock)
            ]
        );
        // Both directions, and only from `since` on.
        let x: Vec<_> = store
            .history(Some("x"), 2, 10)
            .unwrap()
            .into_iter()
            .map(|c| c.time_ms)
            .collect();
        assert_eq!(x, [2, 3, 4]);
        let dave: Vec<_> = store.history(Some("dave"), 0, 10).unwrap();
        assert_eq!(dave.len(), 1);
        // The newest `limit`, oldest first.
        let newest: Vec<_> = store
            .latest(None, 2)
            .unwrap()
            .into_iter()
            .map(|c| c.time_ms)
            .collect();
        assert_eq!(newest, [4, 5]);
    }

    #[test]
    fn blocks_are_counted_per_minute() {
        let (_dir, mut store) = store();
        let minute = 60_000u64;
        let base = 1_000 * minute;
        store
            .record(
                &[
                    post(ChangeKind::Block, "a", &["x", "y"], Some(base + 10)),
                    post(ChangeKind::Block, "b", &["x"], Some(base + 2 * minute + 5)),
                    post(
                        ChangeKind::Unblock,
                        "a",
                        &["x"],
                        Some(base + 2 * minute + 6),
                    ),
                    post(ChangeKind::Block, "x", &["c"], Some(base + 3 * minute)),
                ],
                0,
            )
            .unwrap();
        let now = (base + 3 * minute + 30) as i64;
        assert_eq!(
            store.blocks_per_minute(Scope::App, now, 4).unwrap(),
            [2, 0, 1, 1]
        );
        assert_eq!(
            store
                .blocks_per_minute(Scope::Account("x"), now, 4)
                .unwrap(),
            [1, 0, 1, 1]
        );
        assert_eq!(
            store
                .blocks_per_minute(Scope::Account("a"), now, 2)
                .unwrap(),
            [0, 0]
        );
    }

    #[test]
    fn a_lines_journal_cannot_hold_changes() {
        let dir = tempfile::tempdir().unwrap();
        let err = Changes::open(&Location::File(dir.path().join("journal.jsonl"))).unwrap_err();
        assert!(err.to_string().contains("postgres://"), "{err}");
        assert!(
            Changes::open_existing(&Location::File(dir.path().join("none.db")))
                .unwrap()
                .is_none()
        );
    }
}
