//! Carries out the dashboard's effects: each one becomes a client operation ([`crate::client::ops`])
//! in a task of its own, so the screen never waits for the network, and each result or event
//! becomes a message. The worker knows no protocol: it only maps effects to operations and
//! results to messages.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::{self, UnboundedSender};
use tokio_util::sync::CancellationToken;

use crate::app::model::{HISTORY_LIMIT, RATE_MINUTES, RateScope};
use crate::app::msg::{Effect, HistoryRead, Msg, Stored};
use crate::client::engine::{Engine, Event};
use crate::client::failure::Failure;
use crate::client::journal::changes::{Changes, Scope};
use crate::client::journal::{BatchId, Location};
use crate::client::ops::{self, Candidates, JournalPlan, ListEvent};
use crate::client::{Operation, Pair};
use crate::tim::ids::UserId;

/// Entries per black_list_get page requested by the dashboard (one page of its table).
const LIST_PAGE: u64 = 100;

pub struct Worker {
    engine: Arc<Engine>,
    journal: JournalPlan,
    tx: UnboundedSender<Msg>,
    lookup: Option<CancellationToken>,
    batch: Option<CancellationToken>,
    blockers: Option<CancellationToken>,
    watch: Option<CancellationToken>,
    /// The checks of the question open (a new question cancels those of the last).
    checks: Option<CancellationToken>,
    /// The change store in the journal's database, kept open once it is there.
    store: Arc<Mutex<Option<Changes>>>,
    /// Where the lookup history is kept between runs, and what was last handed to it.
    lookups: Option<KeptLookups>,
}

/// The lookup history's file and the writes made to it.
struct KeptLookups {
    path: std::path::PathBuf,
    /// The history revision last handed over.
    rev: u64,
    /// The revision last written (a later write never gives way to an earlier one), and whether
    /// a failure has been said already.
    written: Arc<Mutex<(u64, bool)>>,
}

/// Cancels what `slot` holds and puts a fresh token there.
fn renew(slot: &mut Option<CancellationToken>) -> CancellationToken {
    let token = CancellationToken::new();
    if let Some(old) = slot.replace(token.clone()) {
        old.cancel();
    }
    token
}

impl Worker {
    pub fn new(engine: Arc<Engine>, journal: JournalPlan, tx: UnboundedSender<Msg>) -> Worker {
        Worker {
            engine,
            journal,
            tx,
            lookup: None,
            batch: None,
            blockers: None,
            watch: None,
            checks: None,
            store: Arc::new(Mutex::new(None)),
            lookups: None,
        }
    }

    /// Keeps the lookup history in `path` from now on; `rev` is the revision already there.
    pub fn keep_lookups(&mut self, path: std::path::PathBuf, rev: u64) {
        self.lookups = Some(KeptLookups {
            path,
            rev,
            written: Arc::new(Mutex::new((rev, false))),
        });
    }

    /// Writes the lookup history when `rev` is new, off the event loop; an entry that is the
    /// secret key is left out (the client holding the key says which). A failure is said once in
    /// the activity pane.
    pub fn keep_history(&mut self, rev: u64, history: &[String]) {
        let Some(kept) = self.lookups.as_mut() else {
            return;
        };
        if rev == kept.rev {
            return;
        }
        kept.rev = rev;
        let (path, written, entries) = (kept.path.clone(), kept.written.clone(), history.to_vec());
        let (client, tx) = (self.engine.client().clone(), self.tx.clone());
        tokio::task::spawn_blocking(move || {
            let mut done = written.lock().unwrap_or_else(|p| p.into_inner());
            if done.0 > rev {
                return;
            }
            match crate::lookups::save(&path, &entries, |e| client.holds_key(e)) {
                Ok(()) => *done = (rev, false),
                Err(e) if !done.1 => {
                    done.1 = true;
                    tracing::warn!("lookup history {}: {e}", path.display());
                    let _ = tx.send(Msg::Warning(format!(
                        "the lookup history cannot be kept in {}: {e}",
                        path.display()
                    )));
                }
                Err(_) => {}
            }
        });
    }

    /// Starts what the effect asks for; answers arrive later as messages.
    pub fn handle(&mut self, effect: Effect) {
        let (engine, tx) = (self.engine.clone(), self.tx.clone());
        match effect {
            Effect::Lookup { req, user } => {
                let cancel = renew(&mut self.lookup);
                tokio::spawn(lookup(engine, req, user, tx, cancel));
            }
            Effect::RunBatch {
                id,
                op,
                pairs,
                resume,
                approval,
            } => {
                let cancel = renew(&mut self.batch);
                let plan = self.journal.clone();
                let run = BatchRun {
                    id,
                    op,
                    pairs,
                    resume,
                    approval,
                };
                tokio::spawn(batch(engine, plan, run, tx, cancel));
            }
            Effect::Preflight { req, op, pairs } => {
                let cancel = renew(&mut self.checks);
                tokio::spawn(async move {
                    let result = ops::preflight(&engine, op, &pairs, cancel.clone()).await;
                    if cancel.is_cancelled() {
                        return;
                    }
                    if let Err(e) = &result {
                        tracing::warn!("checking a {op} of {} pair(s) failed: {e}", pairs.len());
                    }
                    let _ = tx.send(Msg::Checked { req, result });
                });
            }
            Effect::ScanJournal => {
                let plan = self.journal.clone();
                tokio::task::spawn_blocking(move || {
                    let result = plan.incomplete().map_err(|e| {
                        tracing::warn!("reading the journal failed: {e}");
                        Failure::local(e.to_string())
                    });
                    let _ = tx.send(Msg::Incomplete(result));
                });
            }
            Effect::LoadJournal { req, limit } => {
                let plan = self.journal.clone();
                tokio::task::spawn_blocking(move || {
                    let result = plan.recent(limit).map_err(|e| {
                        tracing::warn!("reading the journal's recent batches failed: {e}");
                        Failure::local(e.to_string())
                    });
                    let _ = tx.send(Msg::Journal { req, result });
                });
            }
            Effect::LoadJournalBatch { req, id } => {
                let plan = self.journal.clone();
                tokio::task::spawn_blocking(move || {
                    let result = id
                        .parse::<BatchId>()
                        .map_err(|e| Failure::local(e.to_string()))
                        .and_then(|batch| {
                            plan.batch(&batch).map_err(|e| {
                                tracing::warn!("reading batch {id} of the journal failed: {e}");
                                Failure::local(e.to_string())
                            })
                        });
                    let _ = tx.send(Msg::JournalBatch { req, result });
                });
            }
            Effect::CancelBatch => self.cancel_batch(),
            Effect::Inspect { req, a, b } => {
                tokio::spawn(async move {
                    let result = ops::inspect(&engine, &a, &b).await.map_err(|e| {
                        tracing::warn!("inspecting {} and {} failed: {e}", a.as_str(), b.as_str());
                        Failure::from(e)
                    });
                    let _ = tx.send(Msg::Inspected { req, result });
                });
            }
            Effect::FindBlockers {
                req,
                target,
                candidates,
            } => {
                let cancel = renew(&mut self.blockers);
                let store = self.journal.path.clone();
                let lookup = Lookup {
                    req,
                    target,
                    candidates,
                    store,
                };
                tokio::spawn(find_blockers(engine, lookup, tx, cancel));
            }
            Effect::CancelBlockers => cancel(&mut self.blockers),
            Effect::BlockerNicks { req, ids } => {
                tokio::spawn(async move {
                    let nicks = match ops::nicknames(&engine, &ids).await {
                        Ok(nicks) => nicks,
                        Err(e) => {
                            // The table shows the IDs without nicknames: said, not fatal.
                            let _ = tx.send(Msg::Warning(format!(
                                "the blockers' nicknames could not be read: {e}"
                            )));
                            return;
                        }
                    };
                    let _ = tx.send(Msg::BlockerNicks { req, nicks });
                });
            }
            Effect::Watch(user) => {
                cancel(&mut self.watch);
                match user {
                    Some(user) => {
                        let cancel = renew(&mut self.watch);
                        tokio::spawn(watch(engine, user, tx, cancel));
                    }
                    None => {
                        let _ = tx.send(Msg::FeedSource(None));
                    }
                }
            }
            Effect::Export {
                path,
                contents,
                rows,
            } => {
                tokio::task::spawn_blocking(move || {
                    let result =
                        crate::private::write(std::path::Path::new(&path), contents.as_bytes())
                            .map(|()| rows)
                            .map_err(|e| {
                                tracing::warn!("export to {path} failed: {e}");
                                Failure::local(e.to_string())
                            });
                    let _ = tx.send(Msg::Exported { path, result });
                });
            }
            Effect::History { req, account } => {
                let (store, at) = (self.store.clone(), self.journal.path.clone());
                tokio::task::spawn_blocking(move || {
                    let result = read_store(&store, &at, |changes| {
                        let mut found = changes.latest(Some(account.as_str()), HISTORY_LIMIT)?;
                        found.reverse();
                        Ok(HistoryRead {
                            changes: found,
                            reach: changes.reach()?,
                        })
                    });
                    if let Err(e) = &result {
                        tracing::warn!("reading the history of {}: {}", account.as_str(), e.text);
                    }
                    let _ = tx.send(Msg::History { req, result });
                });
            }
            Effect::BlockRate { req, scope } => {
                let (store, at) = (self.store.clone(), self.journal.path.clone());
                tokio::task::spawn_blocking(move || {
                    let now_ms = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
                    let scope = match &scope {
                        RateScope::App => Scope::App,
                        RateScope::Account(account) => Scope::Account(account.as_str()),
                    };
                    let result = read_store(&store, &at, |changes| {
                        changes.blocks_per_minute(scope, now_ms, RATE_MINUTES)
                    });
                    if let Err(e) = &result {
                        tracing::warn!("reading blocks per minute ({scope:?}): {}", e.text);
                    }
                    let _ = tx.send(Msg::BlockRate { req, result });
                });
            }
            // The runtime writes it to the terminal; nothing to do here.
            Effect::Copy(_) => {}
            Effect::Quit => {
                for slot in [
                    &mut self.lookup,
                    &mut self.blockers,
                    &mut self.watch,
                    &mut self.checks,
                ] {
                    cancel(slot);
                }
            }
        }
    }

    pub fn cancel_batch(&mut self) {
        cancel(&mut self.batch);
    }
}

/// Reads the change store at `at` with `read`, opening it first if it is not open yet: `Absent`
/// while the journal holds none. A read that fails closes it, so that the next one opens it anew.
/// Blocks: call it from `spawn_blocking`.
fn read_store<T>(
    slot: &Mutex<Option<Changes>>,
    at: &Location,
    read: impl FnOnce(&Changes) -> std::io::Result<T>,
) -> Result<Stored<T>, Failure> {
    let mut slot = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if slot.is_none() {
        match Changes::open_existing(at) {
            Ok(Some(store)) => *slot = Some(store),
            Ok(None) => return Ok(Stored::Absent(no_store(at))),
            Err(e) => return Err(Failure::local(e.to_string())),
        }
    }
    let Some(store) = slot.as_ref() else {
        return Err(Failure::local("the change store could not be opened"));
    };
    match read(store) {
        Ok(found) => Ok(Stored::Found(found)),
        Err(e) => {
            *slot = None;
            Err(Failure::local(e.to_string()))
        }
    }
}

/// Why the journal at `at` holds no change store, in words.
fn no_store(at: &Location) -> String {
    if at.is_database() {
        format!("no change store yet: {at} does not exist")
    } else {
        format!(
            "the journal {at} is a JSON Lines file, which cannot hold changes: an SQLite              journal (.db) or a postgres:// URL can"
        )
    }
}

fn cancel(slot: &mut Option<CancellationToken>) {
    if let Some(token) = slot.take() {
        token.cancel();
    }
}

/// A lookup: the account's facts, then its blocklist page by page with the nicknames of each.
async fn lookup(
    engine: Arc<Engine>,
    req: u64,
    user: UserId,
    tx: UnboundedSender<Msg>,
    cancel: CancellationToken,
) {
    let info = match ops::account(&engine, &user).await {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!("looking {} up failed: {e}", user.as_str());
            let _ = tx.send(Msg::LookupFailed {
                req,
                error: Failure::from(&e),
            });
            return;
        }
    };
    let exists = info.exists;
    let _ = tx.send(Msg::Account { req, info });
    if !exists {
        let _ = tx.send(Msg::Page {
            req,
            entries: Vec::new(),
            last: true,
            sequence: 0,
        });
        return;
    }
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let listing = ops::list(&engine, &user, LIST_PAGE, true, events_tx, cancel.clone());
    let forward = |event: ListEvent| {
        let msg = match event {
            ListEvent::Page { page, last, .. } => Msg::Page {
                req,
                sequence: page.sequence,
                entries: page
                    .items
                    .into_iter()
                    .map(|i| (i.to_account, i.add_black_time_stamp))
                    .collect(),
                last,
            },
            ListEvent::Nicknames { nicks, error, .. } => {
                if let Some(e) = error {
                    tracing::warn!("reading nicknames of {}'s list failed: {e}", user.as_str());
                }
                Msg::Nicks { req, nicks }
            }
        };
        let _ = tx.send(msg);
    };
    let outcome = ops::drain(listing, &mut events, forward).await;
    if let Err(e) = outcome
        && !cancel.is_cancelled()
    {
        tracing::warn!("reading {}'s list failed: {e}", user.as_str());
        let _ = tx.send(Msg::LookupFailed {
            req,
            error: Failure::from(&e),
        });
    }
}

/// A batch the dashboard asked for: new, or the rest of journal batch `resume`.
struct BatchRun {
    id: u64,
    op: Operation,
    pairs: Vec<Pair>,
    resume: Option<String>,
    approval: crate::moderation::Approval,
}

/// A journaled batch, its progress and items relayed as they come. A resumed batch re-checks
/// each pair first, so that nothing already done is sent twice.
async fn batch(
    engine: Arc<Engine>,
    plan: JournalPlan,
    run: BatchRun,
    tx: UnboundedSender<Msg>,
    cancel: CancellationToken,
) {
    let BatchRun {
        id,
        op,
        pairs,
        resume,
        approval,
    } = run;
    let opened = match &resume {
        Some(batch) => batch
            .parse::<BatchId>()
            .map_err(|e| e.to_string())
            .and_then(|batch| {
                plan.resume(&batch, &approval.why)
                    .map_err(|e| e.to_string())
            }),
        None => plan.begin(op, &pairs, &approval).map_err(|e| e.to_string()),
    };
    let mut batch = match opened {
        Ok(batch) => batch,
        Err(e) => {
            tracing::error!("a {op} batch of {} pair(s) did not start: {e}", pairs.len());
            let _ = tx.send(Msg::BatchFailed {
                id,
                error: Failure::local(e),
            });
            return;
        }
    };
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let precheck = resume.is_some();
    let run = batch.run(&engine, op, pairs, precheck, Some(events_tx), cancel);
    let report = ops::drain(run, &mut events, |event| {
        let _ = tx.send(match event {
            Event::Progress(progress) => Msg::BatchProgress { id, progress },
            Event::Item(item) => Msg::BatchItem { id, item },
        });
    })
    .await;
    log_report(batch.id().as_str(), &report);
    let _ = tx.send(Msg::BatchDone {
        id,
        report,
        journal: Some(batch.id().to_string()),
    });
}

/// A batch's end in the log file: its counts, and every failure with its full cause.
fn log_report(batch: &str, report: &crate::client::engine::Report) {
    let failed: Vec<_> = report.failed().collect();
    tracing::info!(
        "batch {batch}: {} of {} pair(s) ended as wanted, {} failed, {} unfinished, {} call(s), end {:?}",
        report.succeeded(),
        report.items.len(),
        failed.len(),
        report.unfinished().count(),
        report.calls,
        report.end
    );
    for item in failed {
        tracing::warn!(
            "batch {batch}: {} -> {} failed with {}: {}",
            item.pair.from.as_str(),
            item.pair.to.as_str(),
            item.code,
            item.info
        );
    }
}

/// A reverse lookup asked for.
struct Lookup {
    req: u64,
    target: UserId,
    candidates: Candidates,
    /// The change store, read first for the blockers it recorded.
    store: crate::client::journal::Location,
}

/// The reverse lookup: what the change store recorded, the candidates resolved, then all
/// checked (the recorded ones first), its progress relayed. A store that cannot be read is said
/// and the sweep goes on without it.
async fn find_blockers(
    engine: Arc<Engine>,
    lookup: Lookup,
    tx: UnboundedSender<Msg>,
    cancel: CancellationToken,
) {
    let Lookup {
        req,
        target,
        candidates,
        store,
    } = lookup;
    let who = target.clone();
    let read = tokio::task::spawn_blocking(move || ops::Recorded::read(&store, &who)).await;
    let recorded = match read {
        Ok(Ok(recorded)) => recorded,
        Ok(Err(e)) => {
            let _ = tx.send(Msg::Warning(format!(
                "who blocks {}: the change history could not be read ({e}); the candidates are \
                 swept without it",
                crate::display::sanitize(target.as_str())
            )));
            None
        }
        Err(_) => None,
    };
    let candidates = match candidates.resolve(&engine, &target).await {
        Ok(list) => list,
        Err(error) => {
            tracing::warn!("who blocks {}: {error}", target.as_str());
            let _ = tx.send(Msg::BlockersDone {
                req,
                result: Err(error),
            });
            return;
        }
    };
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let lookup = ops::blockers(&engine, &target, candidates, recorded, events_tx, cancel);
    let result = ops::drain(lookup, &mut events, |event| {
        let _ = tx.send(Msg::Blockers { req, event });
    })
    .await
    .map_err(|e| {
        tracing::warn!("who blocks {}: {e}", target.as_str());
        Failure::from(e)
    });
    let _ = tx.send(Msg::BlockersDone { req, result });
}

/// Watch mode: polls the user's blocklist sequence and reports changes.
async fn watch(
    engine: Arc<Engine>,
    user: UserId,
    tx: UnboundedSender<Msg>,
    cancel: CancellationToken,
) {
    use crate::feed::WatchMsg;
    let _ = tx.send(Msg::FeedSource(Some(format!("watching {}", user.as_str()))));
    let (watch_tx, mut watch_rx) = mpsc::unbounded_channel();
    let every = std::time::Duration::from_secs(5);
    let poll = crate::feed::watch(&engine, &user, every, watch_tx, cancel.clone());
    ops::drain(poll, &mut watch_rx, |msg| {
        let forwarded = tx.send(match msg {
            WatchMsg::Started { user, sequence } | WatchMsg::Changed { user, sequence } => {
                Msg::ListChanged { user, sequence }
            }
            WatchMsg::Error { error, .. } => {
                tracing::warn!("watching {}: {error}", user.as_str());
                Msg::WatchFailed {
                    error: Failure::from(&error),
                }
            }
        });
        if forwarded.is_err() {
            cancel.cancel();
        }
    })
    .await;
}
