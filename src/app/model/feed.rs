//! The live change feed: blocklist changes from webhooks (or watch mode), teammates' batches
//! from the team's journal, burst alerts.

use super::scroll::Scroll;
use crate::client::journal::BatchSummary;
use crate::display::{clock_time, sanitize};
use crate::feed::FeedEvent;

/// Feed lines kept.
pub const FEED_KEEP: usize = 1000;
/// Burst alerts kept.
pub const ALERTS_KEEP: usize = 50;

/// One change seen on the feed: sanitized for the screen, raw for exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLine {
    /// `HH:MM:SS` UTC.
    pub time: String,
    /// `blocked` or `unblocked`.
    pub verb: &'static str,
    pub from: String,
    pub to: String,
    pub platform: String,
    /// Part of a flagged burst.
    pub burst: bool,
    /// The event as it arrived.
    pub raw: FeedEvent,
}

impl FeedLine {
    pub fn of(event: FeedEvent, burst: bool) -> FeedLine {
        FeedLine {
            time: clock_time(event.received),
            verb: event.kind.past_tense(),
            from: sanitize(&event.from).into_owned(),
            to: sanitize(&event.to).into_owned(),
            platform: sanitize(&event.platform).into_owned(),
            burst,
            raw: event,
        }
    }
}

/// How a teammate's batch moved, as the team's journal announced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamMove {
    Started,
    Resumed,
    Ended,
}

impl TeamMove {
    /// From the journal's announcement (`intent`, `resume`, `end`).
    pub fn of_kind(kind: &str) -> Option<TeamMove> {
        match kind {
            "intent" => Some(TeamMove::Started),
            "resume" => Some(TeamMove::Resumed),
            "end" => Some(TeamMove::Ended),
            _ => None,
        }
    }
}

/// A teammate's batch on the feed: `ana started unblock of 120 pairs (raid cleanup)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamLine {
    /// `HH:MM:SS` UTC of the announcement.
    pub time: String,
    pub moved: TeamMove,
    /// What the line says after the time, sanitized.
    pub text: String,
    pub batch: BatchSummary,
}

impl TeamLine {
    pub fn of(moved: TeamMove, batch: BatchSummary, now: u64) -> TeamLine {
        let who = match moved {
            TeamMove::Resumed => batch.resumes.last().map_or(batch.moderator(), |r| {
                r.moderator.as_deref().unwrap_or(&r.os_user)
            }),
            _ => batch.moderator(),
        };
        let who = sanitize(who).into_owned();
        let c = batch.counts;
        let what = format!("{} of {} pair(s)", batch.operation.verb(), c.total);
        let mut text = match moved {
            TeamMove::Started => format!("{who} started {what}"),
            TeamMove::Resumed => format!("{who} resumed {what}"),
            TeamMove::Ended => format!(
                "{who}'s {what}: {}, done {} already {} failed {} pending {}",
                batch.state_label(),
                c.done,
                c.already,
                c.failed,
                c.pending
            ),
        };
        if moved != TeamMove::Ended && batch.why.is_given() {
            text.push_str(&format!(" ({})", sanitize(&batch.why.describe())));
        }
        TeamLine {
            time: clock_time(now),
            moved,
            text,
            batch,
        }
    }
}

/// One line of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEntry {
    /// A blocklist change.
    Change(FeedLine),
    /// A teammate's batch started, resumed or ended.
    Team(TeamLine),
}

impl FeedEntry {
    pub fn change(&self) -> Option<&FeedLine> {
        match self {
            FeedEntry::Change(line) => Some(line),
            FeedEntry::Team(_) => None,
        }
    }

    pub fn change_mut(&mut self) -> Option<&mut FeedLine> {
        match self {
            FeedEntry::Change(line) => Some(line),
            FeedEntry::Team(_) => None,
        }
    }
}

impl From<TeamLine> for FeedEntry {
    fn from(line: TeamLine) -> FeedEntry {
        FeedEntry::Team(line)
    }
}

impl From<FeedLine> for FeedEntry {
    fn from(line: FeedLine) -> FeedEntry {
        FeedEntry::Change(line)
    }
}

/// The live change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub lines: Vec<FeedEntry>,
    /// The window over `lines` (following the newest unless scrolled back).
    pub scroll: Scroll,
    /// Burst alerts, newest last, sanitized.
    pub alerts: Vec<String>,
    /// Accounts currently flagged by the burst detector (raw IDs).
    pub flagged: Vec<String>,
    pub rejected: usize,
    /// `webhooks on ADDR`, `watching alice`, or nothing.
    pub source: Option<String>,
    /// `/` on the feed: only changes with an account containing this (any case) are shown.
    pub filter: String,
}

impl Default for Feed {
    fn default() -> Feed {
        Feed {
            lines: Vec::new(),
            scroll: Scroll::following(),
            alerts: Vec::new(),
            flagged: Vec::new(),
            rejected: 0,
            source: None,
            filter: String::new(),
        }
    }
}

impl Feed {
    /// Adds a line, dropping the oldest beyond [`FEED_KEEP`].
    pub fn push(&mut self, line: impl Into<FeedEntry>) {
        self.lines.push(line.into());
        if self.lines.len() > FEED_KEEP {
            let extra = self.lines.len() - FEED_KEEP;
            // The window keeps showing the same lines: it moves by the dropped ones it counts.
            let shown = self.lines[..extra]
                .iter()
                .filter(|e| self.passes(e))
                .count();
            self.lines.drain(..extra);
            self.scroll.dropped(shown);
        }
    }

    /// Whether `entry` passes the filter: a change with an account containing it.
    pub fn passes(&self, entry: &FeedEntry) -> bool {
        self.filter.is_empty() || entry.change().is_some_and(|line| self.change_passes(line))
    }

    fn change_passes(&self, line: &FeedLine) -> bool {
        let needle = self.filter.to_lowercase();
        needle.is_empty()
            || line.raw.from.to_lowercase().contains(&needle)
            || line.raw.to.to_lowercase().contains(&needle)
    }

    /// The positions in `lines` of the lines shown (those that pass the filter), oldest first:
    /// what the window and the cursor move over.
    pub fn shown(&self) -> Vec<usize> {
        (0..self.lines.len())
            .filter(|&i| self.passes(&self.lines[i]))
            .collect()
    }

    /// How many lines are shown.
    pub fn shown_len(&self) -> usize {
        if self.filter.is_empty() {
            self.lines.len()
        } else {
            self.lines.iter().filter(|e| self.passes(e)).count()
        }
    }

    /// The line at the cursor (the newest while the window follows the end).
    pub fn selected(&self) -> Option<&FeedEntry> {
        let shown = self.shown();
        let at = self.scroll.log_cursor(shown.len())?;
        Some(&self.lines[shown[at]])
    }

    /// Sets the filter; the window follows the newest line again.
    pub fn set_filter(&mut self, text: &str) {
        if self.filter != text {
            self.filter = text.to_owned();
            self.scroll = Scroll::following();
        }
    }

    /// The blocklist changes shown (those that pass the filter), oldest first.
    pub fn changes_shown(&self) -> impl DoubleEndedIterator<Item = &FeedLine> {
        self.changes().filter(|line| self.change_passes(line))
    }

    /// Adds a burst alert (sanitized), dropping the oldest beyond [`ALERTS_KEEP`].
    pub fn alert(&mut self, text: String, account: String) {
        self.alerts.push(text);
        if self.alerts.len() > ALERTS_KEEP {
            self.alerts.remove(0);
        }
        if !self.flagged.contains(&account) {
            self.flagged.push(account);
        }
    }

    /// The blocklist changes, oldest first.
    pub fn changes(&self) -> impl DoubleEndedIterator<Item = &FeedLine> {
        self.lines.iter().filter_map(FeedEntry::change)
    }

    /// Whether an event touches an account the burst detector flagged.
    pub fn is_flagged(&self, event: &FeedEvent) -> bool {
        self.flagged
            .iter()
            .any(|f| f == &event.from || f == &event.to)
    }
}
