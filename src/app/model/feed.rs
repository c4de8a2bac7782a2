//! The live change feed: blocklist changes from webhooks (or watch mode), burst alerts.

use super::scroll::Scroll;
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

/// The live change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub lines: Vec<FeedLine>,
    /// The window over `lines` (following the newest unless scrolled back).
    pub scroll: Scroll,
    /// Burst alerts, newest last, sanitized.
    pub alerts: Vec<String>,
    /// Accounts currently flagged by the burst detector (raw IDs).
    pub flagged: Vec<String>,
    pub rejected: usize,
    /// `webhooks on ADDR`, `watching alice`, or nothing.
    pub source: Option<String>,
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
        }
    }
}

impl Feed {
    /// Adds a line, dropping the oldest beyond [`FEED_KEEP`].
    pub fn push(&mut self, line: FeedLine) {
        self.lines.push(line);
        if self.lines.len() > FEED_KEEP {
            let extra = self.lines.len() - FEED_KEEP;
            self.lines.drain(..extra);
            self.scroll.dropped(extra);
        }
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

    /// Whether an event touches an account the burst detector flagged.
    pub fn is_flagged(&self, event: &FeedEvent) -> bool {
        self.flagged
            .iter()
            .any(|f| f == &event.from || f == &event.to)
    }
}
