//! The journal's database schema, shared by its two stores (an SQLite file, a PostgreSQL
//! database): the records as written, and the tables that answer queries without reading them
//! all.
//!
//! - `records`: every record, in order, as its JSON line (the source of truth; what `resume`
//!   and `journal show` read, one batch at a time);
//! - `batches`: one row per intent, without its pairs;
//! - `runs`: the intent (run 0) and each resume, with who, why, and how the run ended;
//! - `batch_users`: every account a batch touches, as From or To, one text per batch
//!   (`\nalice\nbob\n`, sorted), which `--user` searches: one row written per intent rather
//!   than one per account, since the intent is written before the batch's first request;
//! - `items`: the latest settled status of each pair that has one (the counts);
//! - `claims`: who holds a batch (PostgreSQL; the lock itself is an advisory lock);
//! - `imports`: JSON Lines journals already imported;
//! - `posts` and `changes`: the webhooks `blockdeck relay` received (one row per post, kept once
//!   by its digest) and every change they reported, one row per pair (see [`super::changes`]).
//!
//! Each change to the index tables is made in the same transaction as the record it comes from.

use std::collections::{HashMap, HashSet};

use super::{BatchId, Chunk, Counts, End, Intent, Resume, RunSummary};
use crate::client::{ItemStatus, Operation};
use crate::moderation::Why;

/// The schema's versions: (SQLite, PostgreSQL) for each, applied in order. A journal's version
/// says how many are in; one newer than this blockdeck knows is refused.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "CREATE TABLE records (
             seq INTEGER PRIMARY KEY AUTOINCREMENT,
             batch TEXT NOT NULL,
             kind TEXT NOT NULL,
             time INTEGER NOT NULL,
             body TEXT NOT NULL
         );
         CREATE INDEX records_batch ON records (batch, seq);
         CREATE TABLE imports (
             source TEXT PRIMARY KEY,
             time INTEGER NOT NULL,
             records INTEGER NOT NULL
         );",
        "CREATE TABLE records (
             seq BIGSERIAL PRIMARY KEY,
             batch TEXT NOT NULL,
             kind TEXT NOT NULL,
             time BIGINT NOT NULL,
             body TEXT NOT NULL
         );
         CREATE INDEX records_batch ON records (batch, seq);
         CREATE TABLE imports (
             source TEXT PRIMARY KEY,
             time BIGINT NOT NULL,
             records BIGINT NOT NULL
         );",
    ),
    (
        "CREATE TABLE batches (
             batch TEXT PRIMARY KEY,
             ord INTEGER NOT NULL,
             time INTEGER NOT NULL,
             operation TEXT NOT NULL,
             moderator TEXT,
             os_user TEXT NOT NULL,
             ssh_client TEXT,
             profile TEXT,
             sdkappid INTEGER NOT NULL,
             base_url TEXT NOT NULL,
             reason TEXT NOT NULL,
             ticket TEXT NOT NULL,
             total INTEGER NOT NULL
         );
         CREATE TABLE runs (
             batch TEXT NOT NULL,
             run INTEGER NOT NULL,
             time INTEGER NOT NULL,
             moderator TEXT,
             os_user TEXT NOT NULL,
             reason TEXT NOT NULL,
             ticket TEXT NOT NULL,
             ended INTEGER,
             outcome TEXT,
             PRIMARY KEY (batch, run)
         );
         CREATE TABLE batch_users (
             batch TEXT PRIMARY KEY,
             users TEXT NOT NULL
         );
         CREATE TABLE items (
             batch TEXT NOT NULL,
             from_id TEXT NOT NULL,
             to_id TEXT NOT NULL,
             status TEXT NOT NULL,
             PRIMARY KEY (batch, from_id, to_id)
         ) WITHOUT ROWID;",
        "CREATE TABLE batches (
             batch TEXT PRIMARY KEY,
             ord BIGINT NOT NULL,
             time BIGINT NOT NULL,
             operation TEXT NOT NULL,
             moderator TEXT,
             os_user TEXT NOT NULL,
             ssh_client TEXT,
             profile TEXT,
             sdkappid BIGINT NOT NULL,
             base_url TEXT NOT NULL,
             reason TEXT NOT NULL,
             ticket TEXT NOT NULL,
             total BIGINT NOT NULL
         );
         CREATE TABLE runs (
             batch TEXT NOT NULL,
             run INTEGER NOT NULL,
             time BIGINT NOT NULL,
             moderator TEXT,
             os_user TEXT NOT NULL,
             reason TEXT NOT NULL,
             ticket TEXT NOT NULL,
             ended BIGINT,
             outcome TEXT,
             PRIMARY KEY (batch, run)
         );
         CREATE TABLE batch_users (
             batch TEXT PRIMARY KEY,
             users TEXT NOT NULL
         );
         CREATE TABLE items (
             batch TEXT NOT NULL,
             from_id TEXT NOT NULL,
             to_id TEXT NOT NULL,
             status TEXT NOT NULL,
             PRIMARY KEY (batch, from_id, to_id)
         );
         CREATE TABLE claims (
             batch TEXT PRIMARY KEY,
             holder TEXT NOT NULL,
             since BIGINT NOT NULL
         );",
    ),
    (
        "CREATE TABLE posts (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             digest TEXT NOT NULL UNIQUE,
             received INTEGER NOT NULL,
             command TEXT NOT NULL,
             platform TEXT NOT NULL,
             client_ip TEXT,
             sdkappid INTEGER
         );
         CREATE TABLE changes (
             seq INTEGER PRIMARY KEY AUTOINCREMENT,
             post INTEGER NOT NULL REFERENCES posts (id),
             time INTEGER NOT NULL,
             kind TEXT NOT NULL,
             from_id TEXT NOT NULL,
             to_id TEXT NOT NULL
         );
         CREATE INDEX changes_from ON changes (from_id, seq);
         CREATE INDEX changes_to ON changes (to_id, seq);
         CREATE INDEX changes_time ON changes (time);",
        "CREATE TABLE posts (
             id BIGSERIAL PRIMARY KEY,
             digest TEXT NOT NULL UNIQUE,
             received BIGINT NOT NULL,
             command TEXT NOT NULL,
             platform TEXT NOT NULL,
             client_ip TEXT,
             sdkappid BIGINT
         );
         CREATE TABLE changes (
             seq BIGSERIAL PRIMARY KEY,
             post BIGINT NOT NULL REFERENCES posts (id),
             time BIGINT NOT NULL,
             kind TEXT NOT NULL,
             from_id TEXT NOT NULL,
             to_id TEXT NOT NULL
         );
         CREATE INDEX changes_from ON changes (from_id, seq);
         CREATE INDEX changes_to ON changes (to_id, seq);
         CREATE INDEX changes_time ON changes (time);",
    ),
];

/// The version from which the index tables exist: a journal brought up to it from an older one
/// has them filled from its records.
pub const INDEXED_FROM: usize = 2;

/// What one record changes in the index tables, owned (it may travel to the connection's
/// thread).
#[derive(Debug, Clone)]
pub enum IndexRow {
    Intent {
        batch: String,
        time: i64,
        operation: String,
        moderator: Option<String>,
        os_user: String,
        ssh_client: Option<String>,
        profile: Option<String>,
        sdkappid: i64,
        base_url: String,
        reason: String,
        ticket: String,
        /// Every account of its pairs, once each, sorted, each between newlines (see
        /// [`user_pattern`]).
        users: String,
        /// Distinct pairs.
        total: i64,
    },
    /// Settled statuses, the last for each pair (`pending` for one left unfinished).
    Items {
        batch: String,
        items: Vec<(String, String, &'static str)>,
    },
    Resume {
        batch: String,
        time: i64,
        moderator: Option<String>,
        os_user: String,
        reason: String,
        ticket: String,
    },
    End {
        batch: String,
        time: i64,
        outcome: String,
    },
}

/// The status word an item counts under.
fn status_word(status: &ItemStatus) -> &'static str {
    match status {
        ItemStatus::Done | ItemStatus::Relation { .. } => "done",
        ItemStatus::Already => "already",
        ItemStatus::Failed { .. } => "failed",
        ItemStatus::Unfinished => "pending",
    }
}

/// What `batch_users.users` holds for `user` exactly when the batch touches it. UserIDs are
/// printable ASCII, so a newline never occurs in one.
pub fn user_pattern(user: &str) -> String {
    format!("\n{user}\n")
}

pub fn intent_row(intent: &Intent) -> IndexRow {
    let targets = &intent.targets;
    let mut users: Vec<&str> = targets
        .iter()
        .flat_map(|p| [p.from.as_str(), p.to.as_str()])
        .collect();
    users.sort_unstable();
    users.dedup();
    let mut list = String::with_capacity(users.iter().map(|u| u.len() + 1).sum::<usize>() + 1);
    list.push('\n');
    for user in users {
        list.push_str(user);
        list.push('\n');
    }
    // Distinct pairs, counted over indices rather than copies of the pairs.
    let mut order: Vec<u32> = (0..targets.len() as u32).collect();
    let key = |i: &u32| {
        let p = &targets[*i as usize];
        (p.from.as_str(), p.to.as_str())
    };
    order.sort_unstable_by(|a, b| key(a).cmp(&key(b)));
    order.dedup_by(|a, b| key(a) == key(b));
    let total = order.len();
    IndexRow::Intent {
        batch: intent.batch.as_str().to_owned(),
        time: intent.time as i64,
        // As the record writes it (a check says whether it reads one direction or both).
        operation: serde_json::to_string(&intent.operation).expect("an operation serializes"),
        moderator: intent.moderator.clone(),
        os_user: intent.os_user.clone(),
        ssh_client: intent.ssh_client.clone(),
        profile: intent.profile.clone(),
        sdkappid: intent.sdkappid as i64,
        base_url: intent.base_url.clone(),
        reason: intent.why.reason.clone().unwrap_or_default(),
        ticket: intent.why.ticket.clone().unwrap_or_default(),
        users: list,
        total: total as i64,
    }
}

pub fn chunk_row(chunk: &Chunk) -> IndexRow {
    // The last word on each pair: a pair twice in one call keeps its later status.
    let mut seen = HashSet::with_capacity(chunk.items.len());
    let mut items: Vec<(String, String, &'static str)> = chunk
        .items
        .iter()
        .rev()
        .filter(|i| seen.insert((i.from.as_str(), i.to.as_str())))
        .map(|i| {
            (
                i.from.as_str().to_owned(),
                i.to.as_str().to_owned(),
                status_word(&i.status),
            )
        })
        .collect();
    items.reverse();
    IndexRow::Items {
        batch: chunk.batch.as_str().to_owned(),
        items,
    }
}

pub fn resume_row(resume: &Resume) -> IndexRow {
    IndexRow::Resume {
        batch: resume.batch.as_str().to_owned(),
        time: resume.time as i64,
        moderator: resume.moderator.clone(),
        os_user: resume.os_user.clone(),
        reason: resume.why.reason.clone().unwrap_or_default(),
        ticket: resume.why.ticket.clone().unwrap_or_default(),
    }
}

pub fn end_row(end: &End) -> IndexRow {
    IndexRow::End {
        batch: end.batch.as_str().to_owned(),
        time: end.time as i64,
        outcome: end.outcome.label(),
    }
}

fn why(reason: String, ticket: String) -> Why {
    Why {
        reason: Some(reason).filter(|r| !r.is_empty()),
        ticket: Some(ticket).filter(|t| !t.is_empty()),
    }
}

// ---------------------------------------------------------------------------------------------
// SQLite

pub mod sqlite {
    use super::*;
    use rusqlite::{Connection, params};

    /// Applies `row` (within the caller's transaction). `seq` is the record's own.
    pub fn index(conn: &Connection, seq: i64, row: &IndexRow) -> rusqlite::Result<()> {
        match row {
            IndexRow::Intent {
                batch,
                time,
                operation,
                moderator,
                os_user,
                ssh_client,
                profile,
                sdkappid,
                base_url,
                reason,
                ticket,
                users,
                total,
            } => {
                let added = conn
                    .prepare_cached(
                        "INSERT INTO batches (batch, ord, time, operation, moderator, os_user, \
                         ssh_client, profile, sdkappid, base_url, reason, ticket, total) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
                         ON CONFLICT (batch) DO NOTHING",
                    )?
                    .execute(params![
                        batch, seq, time, operation, moderator, os_user, ssh_client, profile,
                        sdkappid, base_url, reason, ticket, total
                    ])?;
                if added == 0 {
                    // A second intent for the batch: the first is kept, as the reader does.
                    return Ok(());
                }
                conn.prepare_cached(
                    "INSERT INTO runs (batch, run, time, moderator, os_user, reason, ticket) \
                     VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![batch, time, moderator, os_user, reason, ticket])?;
                conn.prepare_cached(
                    "INSERT INTO batch_users (batch, users) VALUES (?1, ?2) \
                     ON CONFLICT DO NOTHING",
                )?
                .execute(params![batch, users])?;
            }
            IndexRow::Items { batch, items } => {
                let mut upsert = conn.prepare_cached(
                    "INSERT INTO items (batch, from_id, to_id, status) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (batch, from_id, to_id) DO UPDATE SET status = excluded.status",
                )?;
                for (from, to, status) in items {
                    upsert.execute(params![batch, from, to, status])?;
                }
            }
            IndexRow::Resume {
                batch,
                time,
                moderator,
                os_user,
                reason,
                ticket,
            } => {
                conn.prepare_cached(
                    "INSERT INTO runs (batch, run, time, moderator, os_user, reason, ticket) \
                     SELECT ?1, coalesce(max(run), -1) + 1, ?2, ?3, ?4, ?5, ?6 FROM runs \
                     WHERE batch = ?1",
                )?
                .execute(params![batch, time, moderator, os_user, reason, ticket])?;
            }
            IndexRow::End {
                batch,
                time,
                outcome,
            } => {
                conn.prepare_cached(
                    "UPDATE runs SET ended = ?2, outcome = ?3 WHERE batch = ?1 AND \
                     run = (SELECT max(run) FROM runs WHERE batch = ?1)",
                )?
                .execute(params![batch, time, outcome])?;
            }
        }
        Ok(())
    }

    /// The summaries of every batch (of those touching `user`, when given), in the order
    /// they were started.
    pub fn summaries(
        conn: &Connection,
        user: Option<&str>,
    ) -> rusqlite::Result<Vec<super::Summary>> {
        let filter = if user.is_some() {
            "WHERE batch IN (SELECT batch FROM batch_users WHERE instr(users, ?1) > 0)"
        } else {
            "WHERE ?1 IS NULL"
        };
        let pattern = user.map(user_pattern);
        let user = pattern.as_deref();
        let mut out = Vec::new();
        let mut query = conn.prepare(&format!(
            "SELECT batch, time, operation, moderator, os_user, ssh_client, profile, sdkappid, \
             base_url, reason, ticket, total FROM batches {filter} ORDER BY ord"
        ))?;
        let mut rows = query.query([user])?;
        while let Some(r) = rows.next()? {
            out.push(super::Summary {
                batch: r.get(0)?,
                time: r.get(1)?,
                operation: r.get(2)?,
                moderator: r.get(3)?,
                os_user: r.get(4)?,
                ssh_client: r.get(5)?,
                profile: r.get(6)?,
                sdkappid: r.get(7)?,
                base_url: r.get(8)?,
                reason: r.get(9)?,
                ticket: r.get(10)?,
                total: r.get(11)?,
                runs: Vec::new(),
                counts: Vec::new(),
            });
        }
        let mut index: HashMap<String, usize> = out
            .iter()
            .enumerate()
            .map(|(i, s)| (s.batch.clone(), i))
            .collect();
        let mut runs = conn.prepare(&format!(
            "SELECT batch, run, time, moderator, os_user, reason, ticket, ended, outcome \
             FROM runs {filter} ORDER BY batch, run"
        ))?;
        let mut rows = runs.query([user])?;
        while let Some(r) = rows.next()? {
            let batch: String = r.get(0)?;
            if let Some(&i) = index.get(&batch) {
                out[i].runs.push(super::Run {
                    time: r.get(2)?,
                    moderator: r.get(3)?,
                    os_user: r.get(4)?,
                    reason: r.get(5)?,
                    ticket: r.get(6)?,
                    ended: r.get(7)?,
                    outcome: r.get(8)?,
                });
            }
        }
        // One pass in the table's own order (by batch), with no sort.
        let mut counts = conn.prepare(&format!(
            "SELECT batch, sum(status = 'done'), sum(status = 'already'), \
             sum(status = 'failed') FROM items {filter} GROUP BY batch"
        ))?;
        let mut rows = counts.query([user])?;
        while let Some(r) = rows.next()? {
            let batch: String = r.get(0)?;
            if let Some(&i) = index.get(&batch) {
                for (k, status) in STATUSES.iter().enumerate() {
                    out[i].counts.push(((*status).to_owned(), r.get(k + 1)?));
                }
            }
        }
        index.clear();
        Ok(out)
    }

    /// The records of `batch`, in order, as JSON lines.
    pub fn records_of(conn: &Connection, batch: &str, into: &mut Vec<u8>) -> rusqlite::Result<()> {
        let mut query =
            conn.prepare_cached("SELECT body FROM records WHERE batch = ?1 ORDER BY seq")?;
        let mut rows = query.query([batch])?;
        while let Some(row) = rows.next()? {
            let body: String = row.get(0)?;
            into.extend_from_slice(body.as_bytes());
            into.push(b'\n');
        }
        Ok(())
    }

    /// Fills the index tables from the records (a journal brought up from a version without
    /// them).
    pub fn backfill(conn: &Connection) -> rusqlite::Result<usize> {
        let mut query = conn.prepare("SELECT seq, body FROM records ORDER BY seq")?;
        let mut rows = query.query([])?;
        let mut count = 0;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let body: String = row.get(1)?;
            if let Some(index_row) = super::row_of_line(body.as_bytes()) {
                index(conn, seq, &index_row)?;
                count += 1;
            }
        }
        Ok(count)
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

pub mod postgres {
    use super::*;
    use ::postgres::{Client, GenericClient};

    /// The channel teammates' dashboards listen on; the payload is `KIND BATCH`.
    pub const CHANNEL: &str = "blockdeck_journal";

    /// Creates the schema `blockdeck` if needed and brings it up to date, under a lock that
    /// serializes every blockdeck starting at once. Returns the version found.
    pub fn migrate(client: &mut Client) -> Result<(i64, i64), ::postgres::Error> {
        let mut tx = client.transaction()?;
        // Any fixed key: every blockdeck takes the same one for its migrations.
        tx.execute("SELECT pg_advisory_xact_lock(7170531005)", &[])?;
        // The schema and its tables belong to the database's owner when the moderator's role is
        // a member of it: every member then reads and writes them, whoever started first.
        let owner: Option<String> = tx
            .query_one(
                "SELECT CASE WHEN pg_has_role(current_user, d.datdba, 'MEMBER') \
                 AND current_user <> pg_get_userbyid(d.datdba) \
                 THEN pg_get_userbyid(d.datdba)::text END \
                 FROM pg_database d WHERE d.datname = current_database()",
                &[],
            )?
            .get(0);
        if let Some(owner) = owner {
            tx.batch_execute(&format!(
                "SET LOCAL ROLE \"{}\"",
                owner.replace('"', "\"\"")
            ))?;
        }
        tx.batch_execute(
            "CREATE SCHEMA IF NOT EXISTS blockdeck;
             SET LOCAL search_path TO blockdeck;
             CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);",
        )?;
        let version: i64 = match tx.query_opt("SELECT version FROM schema_version", &[])? {
            Some(row) => i64::from(row.get::<_, i32>(0)),
            None => {
                tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[])?;
                0
            }
        };
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Ok((version, known));
        }
        for (i, (_, step)) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(step)?;
            tx.execute("UPDATE schema_version SET version = $1", &[&(i as i32 + 1)])?;
        }
        tx.commit()?;
        Ok((version, known))
    }

    /// Appends one record and its index rows in one transaction; teammates are told of an
    /// intent, a resume and an end when it commits.
    pub fn append(
        client: &mut Client,
        kind: &str,
        batch: &str,
        time: i64,
        body: &str,
        row: &IndexRow,
    ) -> Result<(), ::postgres::Error> {
        let mut tx = client.transaction()?;
        let seq: i64 = tx
            .query_one(
                "INSERT INTO records (batch, kind, time, body) VALUES ($1, $2, $3, $4) \
                 RETURNING seq",
                &[&batch, &kind, &time, &body],
            )?
            .get(0);
        index(&mut tx, seq, row)?;
        if kind != "chunk" {
            tx.execute(
                "SELECT pg_notify($1, $2)",
                &[&CHANNEL, &format!("{kind} {batch}")],
            )?;
        }
        tx.commit()
    }

    pub fn index(
        tx: &mut impl GenericClient,
        seq: i64,
        row: &IndexRow,
    ) -> Result<(), ::postgres::Error> {
        match row {
            IndexRow::Intent {
                batch,
                time,
                operation,
                moderator,
                os_user,
                ssh_client,
                profile,
                sdkappid,
                base_url,
                reason,
                ticket,
                users,
                total,
            } => {
                let added = tx.execute(
                    "INSERT INTO batches (batch, ord, time, operation, moderator, os_user, \
                     ssh_client, profile, sdkappid, base_url, reason, ticket, total) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT (batch) DO NOTHING",
                    &[
                        batch, &seq, time, operation, moderator, os_user, ssh_client, profile,
                        sdkappid, base_url, reason, ticket, total,
                    ],
                )?;
                if added == 0 {
                    return Ok(());
                }
                tx.execute(
                    "INSERT INTO runs (batch, run, time, moderator, os_user, reason, ticket) \
                     VALUES ($1, 0, $2, $3, $4, $5, $6)",
                    &[batch, time, moderator, os_user, reason, ticket],
                )?;
                tx.execute(
                    "INSERT INTO batch_users (batch, users) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                    &[batch, users],
                )?;
            }
            IndexRow::Items { batch, items } => {
                let from: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
                let to: Vec<&str> = items.iter().map(|i| i.1.as_str()).collect();
                let status: Vec<&str> = items.iter().map(|i| i.2).collect();
                tx.execute(
                    "INSERT INTO items (batch, from_id, to_id, status) \
                     SELECT $1, f, t, s FROM unnest($2::text[], $3::text[], $4::text[]) AS u(f, t, s) \
                     ON CONFLICT (batch, from_id, to_id) DO UPDATE SET status = excluded.status",
                    &[batch, &from, &to, &status],
                )?;
            }
            IndexRow::Resume {
                batch,
                time,
                moderator,
                os_user,
                reason,
                ticket,
            } => {
                tx.execute(
                    "INSERT INTO runs (batch, run, time, moderator, os_user, reason, ticket) \
                     SELECT $1, coalesce(max(run), -1) + 1, $2, $3, $4, $5, $6 FROM runs \
                     WHERE batch = $1",
                    &[batch, time, moderator, os_user, reason, ticket],
                )?;
            }
            IndexRow::End {
                batch,
                time,
                outcome,
            } => {
                tx.execute(
                    "UPDATE runs SET ended = $2, outcome = $3 WHERE batch = $1 AND \
                     run = (SELECT max(run) FROM runs WHERE batch = $1)",
                    &[batch, time, outcome],
                )?;
            }
        }
        Ok(())
    }

    /// Every batch, or those touching `user`, in the order they were started.
    pub fn summaries(
        client: &mut Client,
        user: Option<&str>,
    ) -> Result<Vec<super::Summary>, ::postgres::Error> {
        summaries_where(
            client,
            "WHERE $1::text IS NULL OR batch IN \
             (SELECT batch FROM batch_users WHERE strpos(users, $1) > 0)",
            user.map(user_pattern).as_deref(),
        )
    }

    /// Batch `batch`, if the journal has it.
    pub fn summary(
        client: &mut Client,
        batch: &str,
    ) -> Result<Option<super::Summary>, ::postgres::Error> {
        Ok(summaries_where(client, "WHERE batch = $1", Some(batch))?.pop())
    }

    /// The batches `filter` keeps (a `WHERE` clause on `batch`, with `$1` for `param`).
    fn summaries_where(
        client: &mut Client,
        filter: &str,
        param: Option<&str>,
    ) -> Result<Vec<super::Summary>, ::postgres::Error> {
        let user = param;
        let mut out: Vec<super::Summary> = client
            .query(
                &format!(
                    "SELECT batch, time, operation, moderator, os_user, ssh_client, profile, \
                     sdkappid, base_url, reason, ticket, total FROM batches {filter} ORDER BY ord"
                ),
                &[&user],
            )?
            .into_iter()
            .map(|r| super::Summary {
                batch: r.get(0),
                time: r.get(1),
                operation: r.get(2),
                moderator: r.get(3),
                os_user: r.get(4),
                ssh_client: r.get(5),
                profile: r.get(6),
                sdkappid: r.get(7),
                base_url: r.get(8),
                reason: r.get(9),
                ticket: r.get(10),
                total: r.get(11),
                runs: Vec::new(),
                counts: Vec::new(),
            })
            .collect();
        let index: HashMap<String, usize> = out
            .iter()
            .enumerate()
            .map(|(i, s)| (s.batch.clone(), i))
            .collect();
        for r in client.query(
            &format!(
                "SELECT batch, run, time, moderator, os_user, reason, ticket, ended, outcome \
                 FROM runs {filter} ORDER BY batch, run"
            ),
            &[&user],
        )? {
            if let Some(&i) = index.get(r.get::<_, &str>(0)) {
                out[i].runs.push(super::Run {
                    time: r.get(2),
                    moderator: r.get(3),
                    os_user: r.get(4),
                    reason: r.get(5),
                    ticket: r.get(6),
                    ended: r.get(7),
                    outcome: r.get(8),
                });
            }
        }
        for r in client.query(
            &format!(
                "SELECT batch, count(*) FILTER (WHERE status = 'done'), \
                 count(*) FILTER (WHERE status = 'already'), \
                 count(*) FILTER (WHERE status = 'failed') FROM items {filter} GROUP BY batch"
            ),
            &[&user],
        )? {
            if let Some(&i) = index.get(r.get::<_, &str>(0)) {
                for (k, status) in STATUSES.iter().enumerate() {
                    out[i].counts.push(((*status).to_owned(), r.get(k + 1)));
                }
            }
        }
        Ok(out)
    }

    pub fn records_of(
        client: &mut Client,
        batches: &[String],
    ) -> Result<Vec<u8>, ::postgres::Error> {
        let mut out = Vec::new();
        for batch in batches {
            for row in client.query(
                "SELECT body FROM records WHERE batch = $1 ORDER BY seq",
                &[batch],
            )? {
                out.extend_from_slice(row.get::<_, &str>(0).as_bytes());
                out.push(b'\n');
            }
        }
        Ok(out)
    }

    pub fn all_records(client: &mut Client) -> Result<Vec<u8>, ::postgres::Error> {
        let mut out = Vec::new();
        for row in client.query("SELECT body FROM records ORDER BY seq", &[])? {
            out.extend_from_slice(row.get::<_, &str>(0).as_bytes());
            out.push(b'\n');
        }
        Ok(out)
    }

    /// Takes batch `batch` for this connection, naming `holder`: a session lock, let go when
    /// the connection closes (the process ends, or dies). `Err(holder)` when another has it.
    pub fn claim(
        client: &mut Client,
        batch: &str,
        holder: &str,
        now: i64,
    ) -> Result<Result<(), String>, ::postgres::Error> {
        let got: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                &[&batch],
            )?
            .get(0);
        if got {
            client.execute(
                "INSERT INTO claims (batch, holder, since) VALUES ($1, $2, $3) \
                 ON CONFLICT (batch) DO UPDATE SET holder = excluded.holder, since = excluded.since",
                &[&batch, &holder, &now],
            )?;
            return Ok(Ok(()));
        }
        let holder = client
            .query_opt("SELECT holder FROM claims WHERE batch = $1", &[&batch])?
            .map(|r| r.get::<_, String>(0))
            .unwrap_or_default();
        Ok(Err(holder))
    }

    /// Imports JSON lines (whole records only) once, remembered by `source`. `None` when they
    /// were imported before.
    pub fn import(
        client: &mut Client,
        source: &str,
        lines: &[u8],
        now: i64,
    ) -> Result<Option<usize>, ::postgres::Error> {
        let mut tx = client.transaction()?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 1))",
            &[&source],
        )?;
        let done: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM imports WHERE source = $1)",
                &[&source],
            )?
            .get(0);
        if done {
            return Ok(None);
        }
        let mut count = 0i64;
        for (batch, kind, time, body) in super::whole_records(lines) {
            let seq: i64 = tx
                .query_one(
                    "INSERT INTO records (batch, kind, time, body) VALUES ($1, $2, $3, $4) \
                     RETURNING seq",
                    &[&batch, &kind, &time, &body],
                )?
                .get(0);
            if let Some(row) = super::row_of_line(body.as_bytes()) {
                index(&mut tx, seq, &row)?;
            }
            count += 1;
        }
        tx.execute(
            "INSERT INTO imports (source, time, records) VALUES ($1, $2, $3)",
            &[&source, &now, &count],
        )?;
        tx.commit()?;
        Ok(Some(count as usize))
    }
}

// ---------------------------------------------------------------------------------------------
// Reading back

/// The statuses a summary counts; any other (a pair left unfinished) is pending.
const STATUSES: [&str; 3] = ["done", "already", "failed"];

/// A batch as the index tables have it.
#[derive(Debug, Clone)]
pub struct Summary {
    pub batch: String,
    pub time: i64,
    pub operation: String,
    pub moderator: Option<String>,
    pub os_user: String,
    pub ssh_client: Option<String>,
    pub profile: Option<String>,
    pub sdkappid: i64,
    pub base_url: String,
    pub reason: String,
    pub ticket: String,
    pub total: i64,
    pub runs: Vec<Run>,
    /// (status word, how many).
    pub counts: Vec<(String, i64)>,
}

#[derive(Debug, Clone)]
pub struct Run {
    pub time: i64,
    pub moderator: Option<String>,
    pub os_user: String,
    pub reason: String,
    pub ticket: String,
    pub ended: Option<i64>,
    pub outcome: Option<String>,
}

impl Summary {
    /// The journal's own summary of the batch; `None` for a row this blockdeck cannot read (an
    /// unknown operation or ID).
    pub fn into_batch(self) -> Option<super::BatchSummary> {
        let id: BatchId = self.batch.parse().ok()?;
        let operation: Operation = serde_json::from_str(&self.operation).ok()?;
        let mut counts = Counts {
            total: self.total.max(0) as usize,
            ..Counts::default()
        };
        for (status, n) in &self.counts {
            let n = (*n).max(0) as usize;
            match status.as_str() {
                "done" => counts.done += n,
                "already" => counts.already += n,
                "failed" => counts.failed += n,
                _ => {}
            }
        }
        counts.pending = counts
            .total
            .saturating_sub(counts.done + counts.already + counts.failed);
        let ended = self
            .runs
            .last()
            .filter(|r| r.ended.is_some())
            .and_then(|r| r.outcome.clone());
        let resumes = self
            .runs
            .into_iter()
            .skip(1)
            .map(|r| RunSummary {
                time: r.time.max(0) as u64,
                moderator: r.moderator,
                os_user: r.os_user,
                why: why(r.reason, r.ticket),
            })
            .collect();
        Some(super::BatchSummary {
            id,
            time: self.time.max(0) as u64,
            operation,
            moderator: self.moderator,
            os_user: self.os_user,
            ssh_client: self.ssh_client,
            profile: self.profile,
            sdkappid: self.sdkappid.max(0) as u64,
            base_url: self.base_url,
            why: why(self.reason, self.ticket),
            counts,
            resumes,
            ended,
        })
    }
}

/// The index row of one JSON line, if it is a record this blockdeck reads.
pub fn row_of_line(line: &[u8]) -> Option<IndexRow> {
    Some(match super::decode_line(line).ok()? {
        super::Record::Intent(intent) => intent_row(&intent),
        super::Record::Chunk(chunk) => chunk_row(&chunk),
        super::Record::Resume(resume) => resume_row(&resume),
        super::Record::End(end) => end_row(&end),
    })
}

/// (batch, kind, time, line) of each whole JSON record of `bytes` (a torn last line and lines
/// that are not records are left out).
pub fn whole_records(bytes: &[u8]) -> impl Iterator<Item = (String, String, i64, String)> + '_ {
    bytes.split_inclusive(|&b| b == b'\n').filter_map(|raw| {
        let line = raw.strip_suffix(b"\n")?;
        let value = serde_json::from_slice::<serde_json::Value>(line).ok()?;
        let batch = value["batch"].as_str()?.to_owned();
        let kind = value["type"].as_str()?.to_owned();
        let time = value["time"].as_i64().unwrap_or(0);
        Some((
            batch,
            kind,
            time,
            String::from_utf8_lossy(line).into_owned(),
        ))
    })
}
