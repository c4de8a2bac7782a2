//! Congestion control for one API's calls: the pace at which a batch sends, and how many of its
//! calls may be in flight at once.
//!
//! The service's limit (200 calls/s per API) belongs to the app, not to blockdeck: the app's own
//! backend and other moderators draw on it too. So the configured limit is a ceiling, never a
//! target to hold: the pace starts there and is cut multiplicatively when the service says it is
//! over its limit (60007 and kin) or when answers slow down markedly, and probes back additively,
//! as TCP's congestion control does with its window. A cut happens at most once per round trip
//! (refusals of calls sent before the last cut say nothing new), and the pace never exceeds the
//! ceiling.
//!
//! The in-flight window follows from the pace and the measured latency (rate × round trip, with
//! headroom), so that the pace, not the window, is what limits a batch at any latency.
//!
//! Everything here is pure: time comes in as arguments, so the rules are tested on a simulated
//! clock.

use std::time::{Duration, Instant};

/// The factor a cut multiplies the pace by (CUBIC's, which keeps more of the rate than TCP
/// Reno's one half: the pace then averages about 85% of what is left between cuts).
pub const CUT: f64 = 0.7;
/// Additive increase: the share of the ceiling regained per second after a cut.
pub const PROBE_PER_SEC: f64 = 0.02;
/// Round trips longer than this probe proportionally slower (the same gain per round trip).
pub const PROBE_RTT: Duration = Duration::from_millis(250);
/// The pace never falls below this share of the ceiling (nor below one call per second).
pub const FLOOR_SHARE: f64 = 0.02;
/// Window before any round trip is measured.
pub const INITIAL_WINDOW: usize = 32;
/// Smallest window once round trips are measured.
pub const MIN_WINDOW: usize = 4;
/// Headroom of the window over rate × round trip, for jitter in the latency.
pub const HEADROOM: f64 = 1.25;
/// A round trip this many times the long-run one, and at least [`RISE_MIN`] above it, is a rise
/// of latency taken as congestion.
pub const RISE_FACTOR: f64 = 1.5;
pub const RISE_MIN: Duration = Duration::from_millis(20);
/// How far ahead of its slot a call may go with others (see [`Congestion::may_send`]).
pub const EARLY: Duration = Duration::from_millis(15);
/// How much later than its slot a call may still go: absorbs timer lateness so that the pace
/// is kept on average, while bounding any burst to a couple of calls.
const SLACK_INTERVALS: u32 = 2;

/// Why the pace is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// At the configured ceiling: nothing has pushed back.
    AtCeiling,
    /// Cut after the service refused a call for the rate (the code), and probing back up.
    Refused(i64),
    /// Cut after answers slowed from about `from_ms` to `to_ms`, and probing back up.
    Slower { from_ms: u64, to_ms: u64 },
}

/// What a batch shows of its pace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateView {
    /// Calls per second the pace allows now.
    pub rate: f64,
    /// The most it may use: the configured limit times the profile's share.
    pub ceiling: f64,
    /// Calls allowed in flight at once.
    pub window: usize,
    /// Smoothed round trip of recent answers.
    pub rtt: Option<Duration>,
    /// Cuts so far.
    pub cuts: u32,
    pub reason: Reason,
}

impl RateView {
    /// "settled at 78 calls/s: cut 3× after 60007 (…); ceiling 200/s", for summaries.
    pub fn settled(&self) -> String {
        format!("settled at {:.0} calls/s: {}", self.rate, self.why())
    }

    /// What cut the pace, in a few words for a status line; `None` at the ceiling.
    pub fn short(&self) -> Option<String> {
        match self.reason {
            Reason::AtCeiling => None,
            Reason::Refused(code) => Some(format!("paced to {:.0}/s after {code}", self.rate)),
            Reason::Slower { from_ms, to_ms } => Some(format!(
                "paced to {:.0}/s, answers {from_ms}→{to_ms} ms",
                self.rate
            )),
        }
    }

    /// "at its ceiling of 200/s", "cut 3× after 60007 (the service's rate limit); probing back up".
    pub fn why(&self) -> String {
        let ceiling = if self.ceiling.is_finite() {
            format!("ceiling {:.0}/s", self.ceiling)
        } else {
            "no ceiling set".to_owned()
        };
        match self.reason {
            Reason::AtCeiling if self.cuts == 0 => format!("at its {ceiling}"),
            Reason::AtCeiling => format!("back at its {ceiling} after {} cut(s)", self.cuts),
            Reason::Refused(code) => format!(
                "cut {}× after {code} (the app's limit is shared with other clients); {ceiling}",
                self.cuts
            ),
            Reason::Slower { from_ms, to_ms } => format!(
                "cut {}× as answers slowed from {from_ms} to {to_ms} ms; {ceiling}",
                self.cuts
            ),
        }
    }
}

/// Round-trip estimates: a fast average (TCP's srtt, 1/8), its variation, and a slow one that
/// stands for the normal latency.
#[derive(Debug, Clone, Copy)]
struct Rtt {
    srtt: f64,
    var: f64,
    slow: f64,
    /// Samples taken: the slow average is their plain mean until it has [`SLOW_GAIN`]'s worth.
    samples: u32,
}

/// The slow average's gain per sample (1/64); before 64 samples it is the plain mean.
const SLOW_GAIN: u32 = 64;
/// Samples before a rise is judged at all.
const WARM_UP: u32 = 16;

/// The pace and window of one API's calls.
#[derive(Debug, Clone)]
pub struct Congestion {
    /// Calls per second at most; `None` = no limit (no pacing, the window at its cap).
    ceiling: Option<f64>,
    rate: f64,
    next_send: Option<Instant>,
    /// Refusals of calls sent before this do not cut again.
    last_cut: Option<Instant>,
    last_probe: Option<Instant>,
    /// Without a ceiling: the pace found at the first refusal, the unit of probing from then on.
    found: Option<f64>,
    first_send: Option<Instant>,
    /// Calls sent in the current second and the one before, for the pace found without a
    /// ceiling.
    second: (Option<Instant>, u32, u32),
    rtt: Option<Rtt>,
    cuts: u32,
    reason: Reason,
}

impl Congestion {
    /// A pace of at most `ceiling` calls per second (0 = unlimited).
    pub fn new(ceiling: f64) -> Congestion {
        let ceiling = (ceiling > 0.0).then_some(ceiling);
        Congestion {
            ceiling,
            rate: ceiling.unwrap_or(f64::INFINITY),
            next_send: None,
            last_cut: None,
            last_probe: None,
            found: None,
            first_send: None,
            second: (None, 0, 0),
            rtt: None,
            cuts: 0,
            reason: Reason::AtCeiling,
        }
    }

    pub fn rate(&self) -> f64 {
        self.rate
    }

    fn floor(&self) -> f64 {
        match self.ceiling.or(self.found) {
            Some(c) => (c * FLOOR_SHARE).max(1.0).min(c),
            None => 1.0,
        }
    }

    fn interval(&self) -> Duration {
        if self.rate.is_finite() && self.rate > 0.0 {
            Duration::from_secs_f64(1.0 / self.rate)
        } else {
            Duration::ZERO
        }
    }

    /// The earliest time the next call may go; `None` when it may go now whatever the time.
    pub fn next_send(&self) -> Option<Instant> {
        self.next_send
    }

    /// Whether a call may go at `now`: its slot has come, or comes within [`EARLY`] (at most
    /// three slots ahead). Calls then go a few at a time, so that a batch wakes up every 20 ms
    /// or so rather than for every call, while the average pace stays exact.
    pub fn may_send(&self, now: Instant) -> bool {
        let early = EARLY.min(self.interval() * 3);
        self.next_send.is_none_or(|at| at <= now + early)
    }

    /// A call goes at `now`: the next one's slot is one interval after this one's. A call that
    /// goes late (the timer woke late, or nothing was waiting) keeps the schedule, within a slack
    /// of a couple of intervals, so that lateness is made up without bursts.
    pub fn on_send(&mut self, now: Instant) {
        self.first_send.get_or_insert(now);
        match self.second {
            (Some(start), n, _) if now < start + Duration::from_secs(1) => {
                self.second.1 = n + 1;
            }
            (Some(start), n, _) if now < start + Duration::from_secs(2) => {
                self.second = (Some(start + Duration::from_secs(1)), 1, n);
            }
            _ => self.second = (Some(now), 1, 0),
        }
        let interval = self.interval();
        if interval.is_zero() {
            return;
        }
        let earliest = now.checked_sub(interval * SLACK_INTERVALS).unwrap_or(now);
        let slot = self.next_send.map_or(now, |at| at.max(earliest));
        self.next_send = Some(slot + interval);
    }

    /// Calls allowed in flight at `now`, at most `cap`: enough for the pace at the measured
    /// round trip (rate × (srtt + 2·variation) × headroom). Before any answer is in, the round
    /// trip is at least the time since the first call went, and the window grows with it from
    /// [`INITIAL_WINDOW`], so that a long latency does not hold the first round trip to a trickle.
    pub fn window(&self, cap: usize, now: Instant) -> usize {
        let cap = cap.max(1);
        let rtt = match (self.rtt, self.first_send) {
            (Some(rtt), _) => rtt.srtt + 2.0 * rtt.var,
            (None, Some(first)) => now.saturating_duration_since(first).as_secs_f64(),
            (None, None) => 0.0,
        };
        if !self.rate.is_finite() {
            return if self.rtt.is_some() {
                cap
            } else {
                INITIAL_WINDOW.min(cap)
            };
        }
        let need = (self.rate * rtt * HEADROOM).ceil() as usize + 2;
        let least = if self.rtt.is_some() {
            MIN_WINDOW
        } else {
            INITIAL_WINDOW
        };
        need.clamp(least.min(cap), cap)
    }

    /// Before any answer is in: when the window grows past `in_flight` (see [`Self::window`]).
    pub fn window_grows_at(&self, in_flight: usize) -> Option<Instant> {
        let first = self.first_send?;
        if self.rtt.is_some() || !self.rate.is_finite() || self.rate <= 0.0 {
            return None;
        }
        let secs = in_flight.saturating_sub(1) as f64 / (self.rate * HEADROOM);
        Some(first + Duration::from_secs_f64(secs))
    }

    /// An answer arrived at `now` for a call sent at `sent` that took `rtt` on the wire;
    /// `refused` is the code when the service refused it for the rate.
    pub fn on_answer(&mut self, now: Instant, sent: Instant, rtt: Duration, refused: Option<i64>) {
        if let Some(code) = refused {
            self.cut(now, sent, Reason::Refused(code));
            return;
        }
        let sample = rtt.as_secs_f64();
        let est = match self.rtt {
            None => Rtt {
                srtt: sample,
                var: sample / 2.0,
                slow: sample,
                samples: 1,
            },
            Some(r) => {
                let samples = r.samples.saturating_add(1);
                Rtt {
                    srtt: r.srtt + (sample - r.srtt) / 8.0,
                    var: r.var + ((sample - r.srtt).abs() - r.var) / 4.0,
                    slow: r.slow + (sample - r.slow) / f64::from(samples.min(SLOW_GAIN)),
                    samples,
                }
            }
        };
        self.rtt = Some(est);
        if est.samples >= WARM_UP
            && est.srtt > est.slow * RISE_FACTOR
            && est.srtt - est.slow > RISE_MIN.as_secs_f64()
        {
            let reason = Reason::Slower {
                from_ms: (est.slow * 1000.0).round() as u64,
                to_ms: (est.srtt.max(sample) * 1000.0).round() as u64,
            };
            if self.cut(now, sent, reason) {
                // The new latency is the normal one from here on: one cut per rise, however
                // long the smoothed round trip takes to reach it.
                if let Some(r) = &mut self.rtt {
                    r.slow = r.srtt.max(sample);
                }
            }
            return;
        }
        self.probe(now);
    }

    /// Cuts the pace, unless the call was sent before the last cut (its news is old). Returns
    /// whether it cut.
    fn cut(&mut self, now: Instant, sent: Instant, reason: Reason) -> bool {
        if self.last_cut.is_some_and(|at| sent < at) {
            return false;
        }
        if !self.rate.is_finite() {
            // No ceiling: the pace found is what went out in the last second.
            let (_, now_n, last_n) = self.second;
            let found = f64::from(now_n.max(last_n)).max(1.0);
            self.found = Some(found);
            self.rate = found;
        }
        self.rate = (self.rate * CUT).max(self.floor());
        self.last_cut = Some(now);
        self.last_probe = Some(now);
        self.cuts += 1;
        self.reason = reason;
        // The slower pace applies from now: the slot already granted moves out accordingly.
        if let Some(at) = self.next_send {
            self.next_send = Some(at.max(now) + self.interval());
        }
        true
    }

    /// Additive increase: a share of the ceiling per second since the last probe, once a round
    /// trip has passed since the last cut, up to the ceiling.
    fn probe(&mut self, now: Instant) {
        let Some(unit) = self.ceiling.or(self.found) else {
            return;
        };
        let ceiling = self.ceiling.unwrap_or(f64::INFINITY);
        if self.rate >= ceiling {
            return;
        }
        let settle = self
            .rtt
            .map_or(Duration::ZERO, |r| Duration::from_secs_f64(r.srtt.max(0.0)));
        if self.last_cut.is_some_and(|at| now < at + settle) {
            return;
        }
        let since = self
            .last_probe
            .map_or(Duration::ZERO, |at| now.saturating_duration_since(at));
        self.last_probe = Some(now);
        // Probing is slower on long round trips: the service's refusals take a round trip to
        // arrive, and what the pace overshoots meanwhile is refused to the other clients too.
        let srtt = self.rtt.map_or(0.0, |r| r.srtt);
        let per_sec = PROBE_PER_SEC * (PROBE_RTT.as_secs_f64() / srtt.max(1e-6)).min(1.0);
        self.rate = (self.rate + unit * per_sec * since.as_secs_f64()).min(ceiling);
        if self.rate >= ceiling {
            self.reason = Reason::AtCeiling;
        }
    }

    pub fn view(&self, cap: usize, now: Instant) -> RateView {
        RateView {
            rate: self.rate,
            ceiling: self.ceiling.unwrap_or(f64::INFINITY),
            window: self.window(cap, now),
            rtt: self.rtt.map(|r| Duration::from_secs_f64(r.srtt.max(0.0))),
            cuts: self.cuts,
            reason: self.reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A simulated client beside a service whose limit is a token bucket of `limit` calls/s
    /// (holding a second's worth, as the sandbox's does), of which another client sends `other`
    /// calls/s evenly. Returns our calls/s over the last `measure` seconds and the share of the
    /// other client's calls the service refused.
    fn simulate(limit: f64, other: f64, secs: u64, measure: u64, rtt: Duration) -> (f64, f64) {
        let t0 = Instant::now();
        let mut c = Congestion::new(limit);
        let mut tokens = limit;
        let mut flight: std::collections::VecDeque<(Instant, Instant, bool)> = Default::default();
        let (mut ours, mut theirs, mut theirs_refused) = (0u64, 0u64, 0u64);
        let mut next_other = t0;
        let end = t0 + Duration::from_secs(secs);
        let measure_from = end - Duration::from_secs(measure);
        let mut now = t0;
        while now < end {
            tokens = (tokens + limit / 1000.0).min(limit);
            while now >= next_other {
                next_other += Duration::from_secs_f64(1.0 / other);
                theirs += 1;
                if tokens >= 1.0 {
                    tokens -= 1.0;
                } else {
                    theirs_refused += 1;
                }
            }
            while let Some(&(sent, due, refused)) = flight.front() {
                if due > now {
                    break;
                }
                flight.pop_front();
                c.on_answer(due, sent, rtt, refused.then_some(60007));
            }
            while c.may_send(now) && flight.len() < c.window(1024, now) {
                c.on_send(now);
                let refused = tokens < 1.0;
                if !refused {
                    tokens -= 1.0;
                }
                flight.push_back((now, now + rtt, refused));
                if now >= measure_from {
                    ours += 1;
                }
            }
            now += MS;
        }
        (
            ours as f64 / measure as f64,
            theirs_refused as f64 / theirs as f64,
        )
    }

    #[test]
    fn alone_the_pace_holds_the_ceiling() {
        let t0 = Instant::now();
        let mut c = Congestion::new(200.0);
        let mut now = t0;
        let mut sent = 0;
        for _ in 0..10_000 {
            if c.may_send(now) {
                c.on_send(now);
                sent += 1;
            }
            c.on_answer(now, now, 50 * MS, None);
            now += MS;
        }
        // Ten seconds at 200/s.
        assert!((1990..=2005).contains(&sent), "{sent}");
        assert_eq!(c.view(512, t0).reason, Reason::AtCeiling);
        assert_eq!(c.rate(), 200.0);
    }

    #[test]
    fn late_wake_ups_keep_the_pace_without_bursts() {
        let t0 = Instant::now();
        let mut c = Congestion::new(200.0);
        // Each wake-up comes 1 ms after the slot: the schedule is kept.
        let mut now = t0;
        let mut sends = Vec::new();
        while sends.len() < 200 {
            c.on_send(now);
            sends.push(now);
            now = c.next_send().unwrap() + MS;
        }
        let span = sends[199].duration_since(sends[0]);
        assert!(span <= Duration::from_millis(1000), "{span:?}");
        // After a long idle time, at most a couple of calls go back to back.
        let later = now + Duration::from_secs(10);
        let mut burst = 0;
        while c.may_send(later) {
            c.on_send(later);
            burst += 1;
        }
        // (The slack's two slots, this one, and the three within EARLY.)
        assert!((1..=6).contains(&burst), "{burst}");
    }

    #[test]
    fn a_refusal_cuts_once_per_round_trip_and_the_pace_probes_back() {
        let t0 = Instant::now();
        let mut c = Congestion::new(200.0);
        c.on_answer(t0, t0, 50 * MS, None);
        c.on_answer(t0 + 10 * MS, t0, 50 * MS, Some(60007));
        assert!((c.rate() - 140.0).abs() < 1e-9);
        // Calls sent before the cut are old news.
        c.on_answer(t0 + 20 * MS, t0 + 5 * MS, 50 * MS, Some(60007));
        assert!((c.rate() - 140.0).abs() < 1e-9);
        // A call sent after it is new news.
        c.on_answer(t0 + 80 * MS, t0 + 30 * MS, 50 * MS, Some(60011));
        assert!((c.rate() - 98.0).abs() < 1e-9);
        let view = c.view(512, t0);
        assert_eq!(view.cuts, 2);
        assert_eq!(view.reason, Reason::Refused(60011));
        assert!(view.why().contains("60011"), "{}", view.why());
        // Additive increase: 2% of the ceiling (4/s) per second.
        let mut now = t0 + 80 * MS;
        for _ in 0..100 {
            now += Duration::from_millis(100);
            c.on_answer(now, now, 50 * MS, None);
        }
        assert!((c.rate() - (98.0 + 40.0)).abs() < 1.0, "{}", c.rate());
        // Never above the ceiling.
        for _ in 0..1000 {
            now += Duration::from_millis(100);
            c.on_answer(now, now, 50 * MS, None);
        }
        assert_eq!(c.rate(), 200.0);
        assert_eq!(c.view(512, t0).reason, Reason::AtCeiling);
        assert!(c.view(512, t0).why().contains("back at its ceiling 200/s"));
    }

    #[test]
    fn the_pace_has_a_floor() {
        let t0 = Instant::now();
        let mut c = Congestion::new(200.0);
        let mut now = t0;
        for _ in 0..100 {
            now += Duration::from_millis(100);
            c.on_answer(now, now, 50 * MS, Some(60007));
        }
        assert_eq!(c.rate(), 4.0);
    }

    #[test]
    fn rising_latency_cuts_once_per_rise() {
        let t0 = Instant::now();
        let mut c = Congestion::new(200.0);
        let mut now = t0;
        for _ in 0..200 {
            now += 5 * MS;
            c.on_answer(now, now, 50 * MS, None);
        }
        assert_eq!(c.rate(), 200.0);
        // Answers now take 400 ms.
        for _ in 0..200 {
            now += 5 * MS;
            c.on_answer(now, now, 400 * MS, None);
        }
        let view = c.view(1024, now);
        assert_eq!(view.cuts, 1, "{view:?}");
        assert!(
            matches!(view.reason, Reason::Slower { from_ms, to_ms } if from_ms < 100 && to_ms > 100)
        );
        // Steady jitter is not a rise.
        let mut c = Congestion::new(200.0);
        for i in 0..5000u64 {
            now += 5 * MS;
            let rtt = Duration::from_millis(50 + (i * 7919) % 250);
            c.on_answer(now, now, rtt, None);
        }
        assert_eq!(c.view(1024, now).cuts, 0);
    }

    #[test]
    fn before_any_answer_the_window_grows_with_the_wait() {
        let t0 = Instant::now();
        let mut c = Congestion::new(200.0);
        c.on_send(t0);
        assert_eq!(c.window(1024, t0), INITIAL_WINDOW);
        // Half a second without an answer: the round trip is at least that.
        let w = c.window(1024, t0 + 500 * MS);
        assert!((125..=130).contains(&w), "{w}");
        let grows = c.window_grows_at(w).unwrap();
        assert!(grows > t0 + 500 * MS && c.window(1024, grows) > w);
        // The first answer replaces the guess with the measure.
        c.on_answer(t0 + 600 * MS, t0, 50 * MS, None);
        assert!(c.window(1024, t0 + 600 * MS) < 40);
    }

    #[test]
    fn the_window_follows_the_pace_and_the_round_trip() {
        let t0 = Instant::now();
        for (ms, least) in [(50u64, 10usize), (300, 60), (1000, 200), (3000, 600)] {
            let mut c = Congestion::new(200.0);
            assert_eq!(c.window(1024, t0), INITIAL_WINDOW);
            for _ in 0..50 {
                c.on_answer(t0, t0, Duration::from_millis(ms), None);
            }
            let w = c.window(1024, t0);
            // rate × rtt with headroom, but not wildly more.
            assert!(w >= least && w <= least * 2, "{ms} ms: window {w}");
        }
        // The cap bounds it, and an unlimited pace uses the cap.
        let mut c = Congestion::new(200.0);
        c.on_answer(t0, t0, Duration::from_secs(3), None);
        assert_eq!(c.window(256, t0), 256);
        assert_eq!(Congestion::new(0.0).window(40, t0), 40.min(INITIAL_WINDOW));
        let mut u = Congestion::new(0.0);
        u.on_answer(t0, t0, 50 * MS, None);
        assert_eq!(u.window(40, t0), 40);
        assert!(u.may_send(t0));
        u.on_send(t0);
        assert!(u.may_send(t0));
        // Without a ceiling, a refusal sets the pace from what went out in the last second.
        for i in 0..99 {
            u.on_send(t0 + Duration::from_millis(i));
        }
        u.on_answer(t0 + 200 * MS, t0 + 100 * MS, 50 * MS, Some(60007));
        assert!((u.rate() - 70.0).abs() < 1e-9, "{}", u.rate());
        let mut burst = 0;
        while u.may_send(t0 + 200 * MS) && burst < 100 {
            u.on_send(t0 + 200 * MS);
            burst += 1;
        }
        // Paced from now on: the slot now and the one within EARLY of it.
        assert_eq!(burst, 2);
    }

    #[test]
    fn beside_another_client_it_takes_most_of_what_is_left() {
        for ms in [50, 300, 1000] {
            let (got, lost) = simulate(200.0, 120.0, 180, 120, Duration::from_millis(ms));
            let left = 80.0;
            eprintln!(
                "{ms} ms: {got:.1}/s of {left}/s left; the other lost {:.3}%",
                lost * 100.0
            );
            assert!(
                got >= 0.8 * left && got <= left * 1.05,
                "{ms} ms: got {got:.1}/s of the {left}/s left"
            );
            assert!(
                lost <= 0.01,
                "{ms} ms: the other client lost {:.2}%",
                lost * 100.0
            );
        }
    }
}
