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
        }
    }

    /// Time left at the current pace, once there is a pace to go by.
    pub fn eta(&self) -> Option<Duration> {
        let done = self.progress.finished;
        if done == 0 || done >= self.total {
            return None;
        }
        let per_item = self.progress.elapsed.as_secs_f64() / done as f64;
        Some(Duration::from_secs_f64(
            per_item * (self.total - done) as f64,
        ))
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

/// The outcome of the last batch, for the summary popup, `R` and `U`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutcome {
    pub op: Operation,
    pub total: usize,
    pub done: Vec<Pair>,
    pub already: usize,
    pub failures: Vec<FailureGroup>,
    pub unfinished: Vec<Pair>,
    /// In words: completed, cancelled, stopped by ...
    pub end: String,
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
        let end = match &report.end {
            BatchEnd::Completed => "completed".to_owned(),
            BatchEnd::Cancelled => "cancelled".to_owned(),
            BatchEnd::Stopped { reason, .. } => sanitize(reason).into_owned(),
        };
        BatchOutcome {
            op: report.operation,
            total: report.items.len(),
            done,
            already,
            failures: groups,
            unfinished,
            end,
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
}
