//! What the sparklines draw: blocks per minute as the change store counts them (across the app,
//! and for the looked-up account), read again at most every [`RATE_REFRESH_MS`]; and a batch's
//! calls per second, sampled from its progress into a bounded number of slots.

use crate::tim::ids::UserId;

/// Minutes one read of a block rate covers (the newest is the minute of the read).
pub const RATE_MINUTES: usize = 60;
/// Shortest time between two reads of the same block rate (the model's `ms`).
pub const RATE_REFRESH_MS: u64 = 10_000;
/// A read not answered after this long is asked again (the model's `ms`).
const RATE_LOST_MS: u64 = 6 * RATE_REFRESH_MS;
/// Slots a batch's calls per second are kept in: when a batch outlasts them, two neighbouring
/// slots become one and each covers twice the time.
pub const CALL_SLOTS: usize = 60;
/// How long a slot of calls per second covers at first (ms of the batch).
pub const CALL_SLOT_MS: u64 = 250;

/// Whose blocks a block rate counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateScope {
    /// Every account of the app.
    App,
    /// Blocks with this account on either side.
    Account(UserId),
}

/// What is known of a block rate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RateState {
    /// Not read yet.
    #[default]
    Unread,
    /// The journal holds no change store: nothing was ever recorded here.
    NoStore,
    /// The last read failed: why (sanitized). Never drawn as counts.
    Failed(String),
    /// Blocks per minute, oldest first, the last being the minute of the read.
    Counts(Vec<u64>),
}

/// One block rate and its reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockRate {
    /// The request of the latest read (answers to others are dropped).
    pub req: u64,
    /// When the latest read was asked (`ms`); `None`: it is due now.
    pub asked: Option<u64>,
    /// A read is on its way.
    pub waiting: bool,
    pub state: RateState,
}

impl BlockRate {
    /// Whether a read is due at `ms`: none on its way (or one lost), and none for a while.
    pub fn due(&self, ms: u64) -> bool {
        match self.asked {
            None => true,
            Some(at) if self.waiting => ms >= at + RATE_LOST_MS,
            Some(at) => ms >= at + RATE_REFRESH_MS,
        }
    }

    /// When the next read is due (`ms`), `None` when it is due now or lost.
    pub fn next_due(&self) -> Option<u64> {
        let at = self.asked?;
        Some(if self.waiting {
            at + RATE_LOST_MS
        } else {
            at + RATE_REFRESH_MS
        })
    }
}

/// The block rates the dashboard shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rates {
    /// Reads numbered, both rates together.
    pub req: u64,
    /// Reading has begun (the screen is up).
    pub started: bool,
    /// Across the app: the feed pane's title.
    pub app: BlockRate,
    /// The looked-up account's: the lookup pane.
    pub account: BlockRate,
    /// Whose `account` counts.
    pub account_of: Option<UserId>,
}

impl Rates {
    /// Whether the change store is known to be there (read, or failing to be read): the
    /// looked-up account's rate is read only then.
    pub fn store_seen(&self) -> bool {
        matches!(self.app.state, RateState::Counts(_) | RateState::Failed(_))
    }

    /// When the next read is due (`ms`): what the dashboard wakes up for while idle.
    pub fn next_due(&self) -> Option<u64> {
        if !self.started {
            return None;
        }
        let account = (self.account_of.is_some() && self.store_seen())
            .then(|| self.account.next_due())
            .flatten();
        [self.app.next_due(), account].into_iter().flatten().min()
    }
}

/// A batch's calls per second over time, from its progress: the cumulative count of calls at
/// the end of each slot, the calls between two reports spread evenly over the time between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRate {
    /// How long each slot covers (ms of the batch).
    pub slot_ms: u64,
    /// Thousandths of calls sent by the end of each full slot.
    pub ends: Vec<u64>,
    /// The latest progress: ms of the batch and calls sent by then.
    pub last: (u64, u64),
    /// Reports at distinct times: below three, the course of the batch is not known.
    pub points: u64,
}

impl Default for CallRate {
    fn default() -> CallRate {
        CallRate {
            slot_ms: CALL_SLOT_MS,
            ends: Vec::new(),
            last: (0, 0),
            points: 0,
        }
    }
}

impl CallRate {
    /// Takes in a progress report: `calls` sent by `at_ms` of the batch.
    pub fn record(&mut self, at_ms: u64, calls: u64) {
        let (t0, c0) = self.last;
        if at_ms < t0 || calls < c0 {
            return;
        }
        if at_ms > t0 || self.points == 0 {
            self.points += 1;
        }
        // Every slot that ended since the last report gets the share of the calls between
        // the two reports that falls before its end.
        loop {
            let end = (self.ends.len() as u64 + 1) * self.slot_ms;
            if end > at_ms {
                break;
            }
            let spread = (calls - c0) * 1000 * end.saturating_sub(t0);
            let share = match spread.checked_div(at_ms - t0) {
                Some(part) => c0 * 1000 + part,
                None => calls * 1000,
            };
            self.ends.push(share);
            if self.ends.len() > CALL_SLOTS {
                self.halve();
            }
        }
        self.last = (at_ms, calls);
    }

    /// Two neighbouring slots become one, covering twice the time.
    fn halve(&mut self) {
        self.ends = self.ends.iter().skip(1).step_by(2).copied().collect();
        self.slot_ms *= 2;
    }

    /// Calls per second of each full slot, oldest first, and of the slot under way when it has
    /// run at least half a slot; nothing while fewer than three reports say how the batch went.
    pub fn per_second(&self) -> Vec<f64> {
        if self.points < 3 {
            return Vec::new();
        }
        // Thousandths of calls per slot, to calls per second.
        let per = |milli: u64, ms: u64| milli as f64 / ms as f64;
        let mut out: Vec<f64> = Vec::with_capacity(self.ends.len() + 1);
        let mut before = 0;
        for &end in &self.ends {
            out.push(per(end.saturating_sub(before), self.slot_ms));
            before = end;
        }
        let start = self.ends.len() as u64 * self.slot_ms;
        let (at, calls) = self.last;
        let run = at.saturating_sub(start);
        if run * 2 >= self.slot_ms && run > 0 {
            out.push(per((calls * 1000).saturating_sub(before), run));
        }
        out
    }

    /// How long the samples cover (ms of the batch).
    pub fn covered_ms(&self) -> u64 {
        self.last.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_between_reports_are_spread_over_the_slots_they_span() {
        let mut rate = CallRate::default();
        rate.record(1_000, 40);
        rate.record(1_000, 40);
        // One report: how the batch went is not known yet.
        assert!(rate.per_second().is_empty());
        rate.record(1_200, 40);
        rate.record(1_500, 100);
        // Four slots of 250 ms, ten calls each; then 60 calls in the 300 ms from 1 200: 10 by
        // 1 250, the other 50 by 1 500.
        assert_eq!(rate.ends, [10_000, 20_000, 30_000, 40_000, 50_000, 100_000]);
        assert_eq!(rate.per_second(), [40.0, 40.0, 40.0, 40.0, 40.0, 200.0]);
    }

    #[test]
    fn a_long_batch_keeps_its_whole_course_in_a_bounded_number_of_slots() {
        let mut rate = CallRate::default();
        for s in 1..=3_600u64 {
            // 10 calls a second for the first half hour, 30 after.
            let calls = if s <= 1_800 {
                s * 10
            } else {
                18_000 + (s - 1_800) * 30
            };
            rate.record(s * 1_000, calls);
        }
        assert!(rate.ends.len() <= CALL_SLOTS, "{}", rate.ends.len());
        assert!(rate.slot_ms >= 60_000, "{}", rate.slot_ms);
        let per = rate.per_second();
        assert_eq!(per.first().copied(), Some(10.0));
        assert_eq!(per.last().copied(), Some(30.0));
        assert_eq!(rate.covered_ms(), 3_600_000);
    }

    #[test]
    fn a_read_is_due_after_the_refresh_time_or_when_lost() {
        let mut rate = BlockRate::default();
        assert!(rate.due(0));
        rate.asked = Some(1_000);
        rate.waiting = true;
        assert!(!rate.due(1_000 + RATE_REFRESH_MS));
        assert!(rate.due(1_000 + RATE_LOST_MS));
        rate.waiting = false;
        assert!(!rate.due(1_000 + RATE_REFRESH_MS - 1));
        assert!(rate.due(1_000 + RATE_REFRESH_MS));
        assert_eq!(rate.next_due(), Some(1_000 + RATE_REFRESH_MS));
    }
}
