//! Batches: a change waiting for `y`/`n`, a batch running, and the outcome of the last one.

use std::time::Duration;

use super::table::Row;
use crate::client::engine::{BatchEnd, Progress, Report};
use crate::client::{ItemStatus, Operation, Pair};
use crate::display::sanitize;
use crate::tim::codes;
use crate::tim::ids::UserId;

/// Targets shown in a confirmation.
pub const SAMPLE: usize = 5;

/// A destructive action waiting for `y`/`n`: data, not code, until it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAction {
    pub op: Operation,
    pub pairs: Vec<Pair>,
    /// What the action is, in words ("unblock 3 marked entries of alice").
    pub title: String,
    /// A warning to read before confirming.
    pub warning: Option<String>,
    /// What the checks before sending found.
    pub checks: Checks,
    /// The journal batch this finishes (a retry or a resume), instead of a new one.
    pub resume: Option<String>,
    /// Rows to put back where they stood when their block is done (an undo of an unblock).
    pub restore: Vec<(usize, Row)>,
    /// Why, and the protected accounts named to let through.
    pub approval: crate::moderation::Approval,
    /// The reason line (`r`), kept in `approval` when the batch starts.
    pub reason: TextLine,
    /// Whether the profile requires a reason: `y` waits for one.
    pub reason_required: bool,
    /// The line being typed in the confirmation, if any.
    pub typing: Option<ConfirmLine>,
    /// The protected account being named (`p`).
    pub include: TextLine,
    /// Pairs held out because they touch a protected account that is not named.
    pub protected: Vec<Pair>,
}

/// A line of text being typed, comparable by its text and cursor.
#[derive(Debug, Clone, Default)]
pub struct TextLine(pub tui_input::Input);

impl PartialEq for TextLine {
    fn eq(&self, other: &TextLine) -> bool {
        self.0.value() == other.0.value() && self.0.cursor() == other.0.cursor()
    }
}

impl Eq for TextLine {}

impl std::ops::Deref for TextLine {
    type Target = tui_input::Input;
    fn deref(&self) -> &tui_input::Input {
        &self.0
    }
}

impl std::ops::DerefMut for TextLine {
    fn deref_mut(&mut self) -> &mut tui_input::Input {
        &mut self.0
    }
}

/// A line typed inside a confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmLine {
    /// Why the change is made.
    Reason,
    /// A protected account to let through.
    Include,
}

impl PendingAction {
    /// A change of `pairs`, not checked yet.
    pub fn new(op: Operation, pairs: Vec<Pair>, title: String, warning: Option<String>) -> Self {
        PendingAction {
            op,
            pairs,
            title,
            warning,
            checks: Checks::default(),
            resume: None,
            restore: Vec::new(),
            approval: Default::default(),
            reason: Default::default(),
            reason_required: false,
            typing: None,
            include: Default::default(),
            protected: Vec::new(),
        }
    }

    /// The pairs `y` sends: all of them but those the checks held out. A retry or a resume
    /// sends every pair of its journal batch, so that the batch accounts for each: the engine
    /// checks each again first, records what is so already without changing it, and what fails
    /// is recorded failed.
    pub fn to_send(&self) -> Vec<Pair> {
        match &self.checks {
            Checks::Done(held) if self.resume.is_none() && !held.is_empty() => {
                let out: std::collections::HashSet<&Pair> = held.pairs().collect();
                self.pairs
                    .iter()
                    .filter(|p| !out.contains(p))
                    .cloned()
                    .collect()
            }
            _ => self.pairs.clone(),
        }
    }

    /// How many pairs `y` sends (what [`PendingAction::to_send`] returns, counted without
    /// building it: the held-out pairs are distinct pairs of `pairs`).
    pub fn sends(&self) -> usize {
        match &self.checks {
            Checks::Done(held) if self.resume.is_none() => self.pairs.len() - held.count(),
            _ => self.pairs.len(),
        }
    }

    /// Whether `y` can send now, or why not: the checks are still running, or they held out
    /// every pair. The keys named are those of `keys`.
    pub fn ready(&self, keys: &crate::app::keymap::Keymap) -> Result<(), String> {
        use crate::app::command::Command;
        if self.reason_required && self.reason.value().trim().is_empty() {
            return Err(format!(
                "the profile requires a reason for every change: press {}, type why, {}",
                keys.key(Command::Reason),
                keys.key(Command::Submit)
            ));
        }
        if self.pairs.is_empty() && !self.protected.is_empty() {
            return Err(format!(
                "every pair touches a protected account ({} held out): press {} and type the \
                 account to let it through, or {}",
                self.protected.len(),
                keys.key(Command::NameProtected),
                keys.key(Command::No)
            ));
        }
        match &self.checks {
            Checks::Running { .. } => Err(format!(
                "the targets are still being checked: {} sends once the checks are in",
                keys.key(Command::Yes)
            )),
            Checks::Done(held) if !self.pairs.is_empty() && self.sends() == 0 => Err(format!(
                "nothing left to send: the checks held out all {} pair(s) ({} closes)",
                held.count(),
                keys.key(Command::No)
            )),
            _ => Ok(()),
        }
    }
}

/// The checks made before a change is confirmed, where the dashboard can know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checks {
    /// Being checked (request `req`): `y` waits.
    Running { req: u64 },
    /// Checked: what is held out of the change, and why.
    Done(Held),
    /// The checks could not run (why, sanitized): the change goes as asked.
    Failed(String),
}

impl Default for Checks {
    fn default() -> Checks {
        Checks::Done(Held::default())
    }
}

/// Pairs held out of a change by the checks before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    /// A side of the pair is not an account in the app.
    pub missing: Vec<Pair>,
    /// The IDs that are not accounts, each once.
    pub missing_ids: Vec<UserId>,
    /// Already as the change wants it (blocked already, or not on the list).
    pub already: Vec<Pair>,
    /// Would not fit: the list would pass 1000 entries.
    pub overflow: Vec<Pair>,
    /// How many entries the list has now, when it is known.
    pub list_size: Option<usize>,
    /// Pairs whose check failed: sent as they are, the service decides.
    pub unchecked: Vec<Pair>,
}

impl Held {
    /// Every pair held out.
    pub fn pairs(&self) -> impl Iterator<Item = &Pair> {
        self.missing
            .iter()
            .chain(&self.already)
            .chain(&self.overflow)
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// How many pairs are held out.
    pub fn count(&self) -> usize {
        self.missing.len() + self.already.len() + self.overflow.len()
    }
}

/// Where rows taken off a list one after another stood in it before the first was taken:
/// `removed` holds each row with its place when it was taken (in that order). Putting them back
/// in the reverse order at those places rebuilds the list, which gives each its first place.
pub fn original_places(removed: &[(usize, Row)]) -> Vec<(usize, Row)> {
    // The list as it was, `None` for the rows never taken.
    let mut list: Vec<Option<usize>> = Vec::new();
    let most = removed.iter().map(|(p, _)| *p).max().unwrap_or(0) + removed.len();
    list.resize(most, None);
    for (k, (place, _)) in removed.iter().enumerate().rev() {
        list.insert((*place).min(list.len()), Some(k));
    }
    let mut places = vec![0; removed.len()];
    for (i, slot) in list.iter().enumerate() {
        if let Some(k) = slot {
            places[*k] = i;
        }
    }
    removed
        .iter()
        .zip(places)
        .map(|((_, row), place)| (place, row.clone()))
        .collect()
}

/// Takes `to`'s row out of `restore` (rows with their first places, from [`original_places`])
/// with its place in the list now: where it stood, less the rows before it not back yet.
pub fn take_restored(restore: &mut Vec<(usize, Row)>, to: &UserId) -> Option<(usize, Row)> {
    let at = restore.iter().position(|(_, row)| &row.to == to)?;
    let (place, row) = restore.remove(at);
    let absent = restore.iter().filter(|(p, _)| *p < place).count();
    Some((place - absent, row))
}

/// A batch in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    pub id: u64,
    pub op: Operation,
    pub total: usize,
    pub progress: Progress,
    pub cancelling: bool,
    /// Quit once the batch has stopped.
    pub quit_after: bool,
    /// When it started (the model's `ms`).
    pub since: u64,
    /// When the latest progress arrived (the model's `ms`).
    pub progress_at: u64,
    /// Rows an unblock took off the table, with where they stood: what an undo puts back.
    pub removed: Vec<(usize, Row)>,
    /// Rows a block puts back where they stood, with their nicknames (an undo of an unblock).
    pub restore: Vec<(usize, Row)>,
    /// Calls per second over the batch so far, from its progress.
    pub call_rate: super::CallRate,
}

impl Running {
    pub fn new(id: u64, op: Operation, total: usize, since: u64) -> Running {
        Running {
            id,
            op,
            total,
            progress: Progress::default(),
            cancelling: false,
            quit_after: false,
            since,
            progress_at: since,
            removed: Vec::new(),
            restore: Vec::new(),
            call_rate: super::CallRate::default(),
        }
    }

    /// Takes in a progress report of the batch, received at `ms` (the model's).
    pub fn progressed(&mut self, progress: Progress, ms: u64) {
        let at = u64::try_from(progress.elapsed.as_millis()).unwrap_or(u64::MAX);
        self.call_rate.record(at, progress.calls);
        self.progress = progress;
        self.progress_at = ms;
    }

    /// What is left of the batch's wait at `now` (the model's `ms`), when it waits.
    pub fn wait_left(&self, now: u64) -> Option<Duration> {
        let waiting = self.progress.waiting.as_ref()?;
        let passed = Duration::from_millis(now.saturating_sub(self.progress_at));
        Some(waiting.left.saturating_sub(passed))
    }

    /// Time left at `now` (the model's `ms`): the pace so far for what is left, plus what is left
    /// of a wait; once there is a pace to go by.
    pub fn eta(&self, now: u64) -> Option<Duration> {
        let done = self.progress.finished;
        if done == 0 || done >= self.total {
            return None;
        }
        let per_item = self.progress.elapsed.as_secs_f64() / done as f64;
        let pace = Duration::from_secs_f64(per_item * (self.total - done) as f64);
        Some(pace + self.wait_left(now).unwrap_or_default())
    }

    /// Calls sent and not answered yet.
    pub fn in_flight(&self) -> u64 {
        self.progress.calls.saturating_sub(self.progress.answered)
    }
}

/// Failures of a batch that share a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureGroup {
    pub code: i64,
    pub meaning: &'static str,
    /// (pair, sanitized pair text, sanitized info)
    pub items: Vec<(Pair, String, String)>,
}

/// How a batch ended, in the one word every view uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Every pair is as wanted.
    Completed,
    /// Done, but some pairs failed.
    CompletedWithFailures,
    /// Every pair that was tried failed.
    Failed,
    /// Stopped by an error that affects every call (authentication, lock-out).
    Stopped,
    /// Cancelled between requests; some pairs were not sent.
    Cancelled,
}

impl Ended {
    pub fn words(self) -> &'static str {
        match self {
            Ended::Completed => "completed",
            Ended::CompletedWithFailures => "completed with failures",
            Ended::Failed => "failed",
            Ended::Stopped => "stopped",
            Ended::Cancelled => "cancelled",
        }
    }
}

/// The outcome of the last batch, for the summary popup, `R` and `U`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutcome {
    pub op: Operation,
    pub total: usize,
    pub done: Vec<Pair>,
    pub already: usize,
    pub failures: Vec<FailureGroup>,
    pub unfinished: Vec<Pair>,
    pub ended: Ended,
    /// Why it stopped, when it did (sanitized, with the remedy).
    pub stop_reason: Option<String>,
    pub journal_batch: Option<String>,
    pub elapsed: Duration,
    pub calls: u64,
    /// The pace the batch settled at, and why.
    pub pace: Option<crate::client::congestion::RateView>,
    /// Every item as the engine reported it (raw), for exports.
    pub items: crate::client::items::Items,
    /// Rows it took off the table and where they stood (an unblock), for an undo.
    pub removed: Vec<(usize, Row)>,
    /// Calls per second over the batch, as its progress reported them.
    pub call_rate: super::CallRate,
}

impl BatchOutcome {
    /// The outcome of `report`, failures grouped by code, every text sanitized.
    pub fn of(report: &Report, journal: Option<String>) -> BatchOutcome {
        let mut done = Vec::new();
        let mut already = 0;
        let mut unfinished = Vec::new();
        let mut groups: Vec<FailureGroup> = Vec::new();
        for item in &report.items {
            match &item.status {
                ItemStatus::Done => done.push(item.pair.clone()),
                ItemStatus::Already | ItemStatus::Relation { .. } => already += 1,
                ItemStatus::Unfinished => unfinished.push(item.pair.clone()),
                ItemStatus::Failed { code, info } => {
                    let entry = (
                        item.pair.clone(),
                        item.pair.to_string(),
                        sanitize(info).into_owned(),
                    );
                    match groups.iter_mut().find(|g| g.code == *code) {
                        Some(g) => g.items.push(entry),
                        None => groups.push(FailureGroup {
                            code: *code,
                            meaning: codes::lookup(*code).meaning,
                            items: vec![entry],
                        }),
                    }
                }
            }
        }
        groups.sort_by_key(|g| g.code);
        let failed: usize = groups.iter().map(|g| g.items.len()).sum();
        let (ended, stop_reason) = match &report.end {
            BatchEnd::Completed if failed == 0 => (Ended::Completed, None),
            BatchEnd::Completed if done.is_empty() && already == 0 => (Ended::Failed, None),
            BatchEnd::Completed => (Ended::CompletedWithFailures, None),
            BatchEnd::Cancelled => (Ended::Cancelled, None),
            BatchEnd::Stopped { reason, .. } => {
                (Ended::Stopped, Some(sanitize(reason).into_owned()))
            }
        };
        BatchOutcome {
            op: report.operation,
            total: report.items.len(),
            done,
            already,
            failures: groups,
            unfinished,
            ended,
            stop_reason,
            journal_batch: journal,
            elapsed: report.elapsed,
            calls: report.calls,
            pace: report.pace,
            items: report.items.clone(),
            removed: Vec::new(),
            call_rate: super::CallRate::default(),
        }
    }

    /// Every pair that did not end as wanted: failed or not sent.
    pub fn failed_pairs(&self) -> Vec<Pair> {
        self.failures
            .iter()
            .flat_map(|g| g.items.iter().map(|(p, _, _)| p.clone()))
            .chain(self.unfinished.iter().cloned())
            .collect()
    }

    /// The pairs a retry can change: the ones not sent, and failures of a code that a retry can
    /// fix (never a full list or an unknown account).
    pub fn retryable_pairs(&self) -> Vec<Pair> {
        self.failures
            .iter()
            .filter(|g| crate::app::command::retry_can_fix(g.code))
            .flat_map(|g| g.items.iter().map(|(p, _, _)| p.clone()))
            .chain(self.unfinished.iter().cloned())
            .collect()
    }

    pub fn failed_count(&self) -> usize {
        self.failures.iter().map(|g| g.items.len()).sum()
    }

    /// The counts, the same words everywhere: `57 done · 1 already so · 3 failed · 0 unfinished of 61`.
    pub fn counts(&self) -> String {
        format!(
            "{} done · {} already so · {} failed · {} unfinished of {}",
            self.done.len(),
            self.already,
            self.failed_count(),
            self.unfinished.len(),
            self.total
        )
    }

    /// How it ended and its counts: `unblock completed with failures: 57 done · …`.
    pub fn headline(&self) -> String {
        format!(
            "{} {}: {}",
            self.op.verb(),
            self.ended.words(),
            self.counts()
        )
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn row(n: usize) -> Row {
        let to = UserId::parse(&format!("u{n}")).unwrap();
        Row {
            to_shown: to.as_str().to_owned(),
            to,
            nick: Some(format!("nick {n}")),
            nick_raw: None,
            added: n as u64,
            mutual: false,
            recorded: false,
        }
    }

    proptest! {
        /// Rows taken off in any order and put back in any other order end where they stood.
        #[test]
        fn rows_put_back_in_any_order_end_where_they_stood(
            n in 1usize..40,
            taken in proptest::collection::vec(any::<prop::sample::Index>(), 1..40),
            back in proptest::collection::vec(any::<prop::sample::Index>(), 40),
        ) {
            let original: Vec<Row> = (0..n).map(row).collect();
            let mut list = original.clone();
            let mut removed = Vec::new();
            for pick in taken.iter().take(n) {
                let at = pick.index(list.len());
                removed.push((at, list.remove(at)));
                if list.is_empty() {
                    break;
                }
            }
            let mut restore = original_places(&removed);
            let mut order: Vec<UserId> = removed.iter().map(|(_, r)| r.to.clone()).collect();
            // Put back in a shuffled order.
            for (i, pick) in back.iter().enumerate().take(order.len()) {
                let j = i + pick.index(order.len() - i);
                order.swap(i, j);
            }
            for to in &order {
                let (at, r) = take_restored(&mut restore, to).expect("a row to put back");
                list.insert(at.min(list.len()), r);
            }
            prop_assert!(restore.is_empty());
            prop_assert_eq!(list, original);
        }
    }
}
