//! Batches: a change waiting for `y`/`n`, a batch running, and the outcome of the last one.

use std::time::Duration;

use crate::client::engine::{BatchEnd, ItemResult, Progress, Report};
use crate::client::{ItemStatus, Operation, Pair};
use crate::display::sanitize;
use crate::tim::codes;

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
        }
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
    /// Every item as the engine reported it (raw), for exports.
    pub items: Vec<ItemResult>,
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
            items: report.items.clone(),
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
