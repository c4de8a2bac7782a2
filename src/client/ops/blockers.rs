//! "Who blocks X?": the service has no reverse index, so X is checked against a set of candidates
//! with black_list_check in Both mode, From = X, up to 1000 candidates per call. A candidate C
//! blocks X exactly when the relation is BWithA (or BothWay, when X blocks C too).
//!
//! When the change store that `blockdeck relay` records into is at hand, it answers first: the
//! accounts whose last recorded change about X is a block are checked before any other candidate
//! (confirming what was recorded), and the sweep checks only the candidates left.
//!
//! The lookup is a check batch of the [`Engine`] over the pairs (X, C): one rate limiter, one
//! retry policy and one cancellation path with every other batch.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::account::friends_of;
use super::drain;
use crate::client::engine::{BatchEnd, Engine, Event, ItemResult, RunOptions};
use crate::client::failure::Failure;
use crate::client::http::CallError;
use crate::client::journal::Location;
use crate::client::journal::changes::{Changes, Reach};
use crate::client::{ItemStatus, Operation, Pair};
use crate::tim::ids::{self, UserId};

/// What [`blockers`] reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockersEvent {
    /// After every answered call that settled candidates.
    Progress {
        /// Candidates answered (a failed item included).
        checked: usize,
        total: usize,
        found: usize,
        /// Calls answered.
        calls: u64,
        calls_per_sec: f64,
    },
    /// A candidate that has the target on their blocklist; `mutual` when the target blocks them too.
    Found { blocker: UserId, mutual: bool },
    /// Sent first when the change store was read: the accounts it names are checked first.
    Recorded(Recorded),
}

/// What the change store says about who blocks the target.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// Accounts whose last recorded blocklist change about the target is a block, oldest first.
    pub suspects: Vec<UserId>,
    /// How far back the store reaches; `None` while it holds nothing.
    pub reach: Option<Reach>,
}

impl Recorded {
    /// Reads the store at `at`; `None` when there is no store there (nothing was ever recorded).
    /// Blocks: call it off the async threads. Recorded IDs are the webhooks' words, checked here
    /// like any other input: one that is no valid UserID is left out.
    pub fn read(at: &Location, target: &UserId) -> std::io::Result<Option<Recorded>> {
        if !at.is_database() {
            return Ok(None);
        }
        let Some(store) = Changes::open_existing(at)? else {
            return Ok(None);
        };
        let suspects = store
            .last_about(target.as_str())?
            .into_iter()
            .filter(|last| last.kind == crate::feed::ChangeKind::Block)
            .filter_map(|last| UserId::parse(&last.from).ok())
            .collect();
        Ok(Some(Recorded {
            suspects,
            reach: store.reach()?,
        }))
    }
}

/// How the change store's answer held up.
#[derive(Debug, Clone, PartialEq)]
pub struct FromHistory {
    pub reach: Option<Reach>,
    /// Accounts the store named as blockers.
    pub suspects: usize,
    /// Of those, the ones black_list_check confirmed, in the store's order.
    pub confirmed: Vec<UserId>,
    /// Of those, the ones whose recorded block no longer holds (a change the store missed); a
    /// failed check is in `failed` instead.
    pub outdated: Vec<UserId>,
}

/// The outcome of a reverse lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockersReport {
    pub target: UserId,
    /// Candidates after dropping duplicates and the target itself.
    pub total: usize,
    /// Candidates answered, failed ones included; fewer than `total` only when cancelled.
    pub checked: usize,
    /// Candidates that block the target, in the candidates' order, with whether the block is
    /// mutual.
    pub blockers: Vec<(UserId, bool)>,
    /// Candidates whose check failed: ID, code, the service's words (30003: unknown account).
    pub failed: Vec<(UserId, i64, String)>,
    /// black_list_check calls answered.
    pub calls: u64,
    pub cancelled: bool,
    pub elapsed: Duration,
    /// What the change store answered, when it was read.
    pub history: Option<FromHistory>,
}

impl BlockersReport {
    /// Whether `blocker` was named by the change store before it was confirmed.
    pub fn from_history(&self, blocker: &UserId) -> bool {
        self.history
            .as_ref()
            .is_some_and(|h| h.confirmed.contains(blocker))
    }

    pub fn calls_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.calls as f64 / secs
        } else {
            0.0
        }
    }
}

/// Where a reverse lookup's candidates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidates {
    /// These IDs (the listed users, or IDs typed or pasted).
    Ids(Vec<UserId>),
    /// The target's friends (read with friend_get), plus these IDs.
    FriendsAnd(Vec<UserId>),
    /// A file of IDs, one per line (`#` starts a comment).
    File(PathBuf),
}

impl Candidates {
    /// The candidate IDs: read from the service or the file where needed. A file with a line that
    /// is not a UserID is refused whole, naming every bad line.
    pub async fn resolve(self, engine: &Engine, target: &UserId) -> Result<Vec<UserId>, Failure> {
        match self {
            Candidates::Ids(ids) => Ok(ids),
            Candidates::FriendsAnd(mut ids) => {
                let friends = friends_of(engine, target).await.map_err(|e| {
                    let mut failure = Failure::from(&e);
                    failure.text = format!("reading the friends of the user failed: {e}");
                    failure
                })?;
                ids.extend(friends);
                Ok(ids)
            }
            Candidates::File(path) => {
                let name = path.display().to_string();
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| Failure::local(format!("cannot read {name}: {e}")))?;
                let accepted = ids::parse_ids(&text)
                    .accept(&name, "UserIDs")
                    .map_err(Failure::local)?;
                Ok(accepted.values)
            }
        }
    }
}

/// Whether a check item (From = target, To = candidate) says the candidate blocks the target, and
/// then whether the block is mutual.
fn blocks_target(item: &ItemResult) -> Option<bool> {
    match item.status {
        ItemStatus::Relation {
            a_blocks_b,
            b_blocks_a: Some(true),
        } => Some(a_blocks_b),
        _ => None,
    }
}

/// Finds which `candidates` have `target` on their blocklist, asking those `recorded` names first.
///
/// Duplicates and the target itself are dropped. `Found` events stream as each call answers.
/// Items that failed with a temporary code are asked again with the engine's back-off; others
/// (30003 for an unknown account, say) land in `failed` and never count as blockers. Cancelling
/// stops between calls. Authentication errors and calls refused as a whole (the target does not
/// exist, say) end the lookup with the error.
pub async fn blockers(
    engine: &Engine,
    target: &UserId,
    candidates: Vec<UserId>,
    recorded: Option<Recorded>,
    events: mpsc::UnboundedSender<BlockersEvent>,
    cancel: CancellationToken,
) -> Result<BlockersReport, CallError> {
    let started = Instant::now();
    let mut seen = HashSet::new();
    let suspects: Vec<UserId> = recorded
        .as_ref()
        .map(|r| r.suspects.clone())
        .unwrap_or_default();
    if let Some(recorded) = recorded.clone() {
        let _ = events.send(BlockersEvent::Recorded(recorded));
    }
    let pairs: Vec<Pair> = suspects
        .iter()
        .cloned()
        .chain(candidates)
        .filter(|c| c != target && seen.insert(c.clone()))
        .map(|c| Pair::new(target.clone(), c))
        .collect();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let run = engine.run(
        Operation::Check { single: false },
        pairs,
        RunOptions {
            events: Some(tx),
            cancel,
            halt_on_refusal: true,
            ..RunOptions::default()
        },
    );
    let (mut checked, mut found) = (0, 0);
    let report = drain(run, &mut rx, |event| match event {
        Event::Item(item) => {
            if let Some(mutual) = blocks_target(&item) {
                found += 1;
                let _ = events.send(BlockersEvent::Found {
                    blocker: item.pair.to,
                    mutual,
                });
            }
        }
        Event::Progress(p) if p.finished > checked => {
            checked = p.finished;
            let _ = events.send(BlockersEvent::Progress {
                checked,
                total: p.total,
                found,
                calls: p.answered,
                calls_per_sec: p.calls_per_sec,
            });
        }
        Event::Progress(_) => {}
    })
    .await;
    if let BatchEnd::Stopped { code, info, .. } = &report.end {
        return Err(CallError::Api {
            code: *code,
            info: info.clone(),
        });
    }
    let mut out = BlockersReport {
        target: target.clone(),
        total: report.items.len(),
        checked: 0,
        blockers: Vec::new(),
        failed: Vec::new(),
        calls: report.calls,
        cancelled: report.end == BatchEnd::Cancelled,
        elapsed: started.elapsed(),
        history: recorded.map(|r| FromHistory {
            reach: r.reach,
            suspects: r.suspects.len(),
            confirmed: Vec::new(),
            outdated: Vec::new(),
        }),
    };
    let suspected: HashSet<&UserId> = suspects.iter().collect();
    for item in &report.items {
        match &item.status {
            ItemStatus::Unfinished => continue,
            ItemStatus::Failed { code, info } => {
                out.failed.push((item.pair.to.clone(), *code, info.clone()))
            }
            _ => {
                let blocks = blocks_target(&item);
                if let Some(mutual) = blocks {
                    out.blockers.push((item.pair.to.clone(), mutual));
                }
                if let Some(history) = &mut out.history
                    && suspected.contains(&item.pair.to)
                {
                    match blocks {
                        Some(_) => history.confirmed.push(item.pair.to.clone()),
                        None => history.outdated.push(item.pair.to.clone()),
                    }
                }
            }
        }
        out.checked += 1;
    }
    Ok(out)
}
