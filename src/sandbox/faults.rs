//! Injected latency and faults: how the sandbox imitates a slow or flaky service.
//!
//! A fault spec is a comma-separated list of `KIND:PROBABILITY`, for example
//! `30006:0.05,30008:0.02,502:0.01,timeout:0.01`:
//!
//! - a TIM error code (e.g. `30006`, `60007`, `70169`): on the batch calls (black_list_add,
//!   black_list_delete, black_list_check, friend_check) a code in the 30000s fails each item
//!   independently with that probability, leaving the other items applied — as the real service's
//!   write conflicts and internal errors do; any other code, or any code on a non-batch call, fails the
//!   whole call with `ActionStatus:"FAIL"` and nothing applied.
//! - `502`: the call answers HTTP 502 with a gateway's HTML page and nothing applied.
//! - `timeout`: the call hangs (for `--hang-ms`) before answering. Half of the hung calls are applied
//!   before hanging and half are not, because a client that timed out cannot know which happened.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use rand::Rng;

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// A TIM error code, per item on batch calls for 30000-range codes, otherwise for the whole call.
    Code(i64),
    /// HTTP 502 from the gateway.
    BadGateway,
    /// A hung request.
    Timeout,
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::Code(code) => write!(f, "{code}"),
            FaultKind::BadGateway => f.write_str("502"),
            FaultKind::Timeout => f.write_str("timeout"),
        }
    }
}

impl FaultKind {
    /// Whether this fault, on a batch call, strikes items one by one rather than the whole call.
    pub fn is_per_item(self) -> bool {
        matches!(self, FaultKind::Code(code) if (30000..40000).contains(&code))
    }
}

/// The parsed `--faults` value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    pub entries: Vec<(FaultKind, f64)>,
}

impl FaultSpec {
    pub fn none() -> FaultSpec {
        FaultSpec::default()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Draws at most one call-wide fault (502, timeout, or a whole-call code) for a call.
    /// `batch` says whether the call carries items, which turns 30000-range codes into item faults.
    pub fn draw_call(&self, rng: &mut impl Rng, batch: bool) -> Option<FaultKind> {
        // One uniform draw against the stacked probabilities keeps the kinds mutually exclusive
        // and each at exactly its own probability.
        let roll: f64 = rng.random();
        let mut edge = 0.0;
        for &(kind, p) in &self.entries {
            if batch && kind.is_per_item() {
                continue;
            }
            edge += p;
            if roll < edge {
                return Some(kind);
            }
        }
        None
    }

    /// Draws a per-item fault code for one item of a batch call.
    pub fn draw_item(&self, rng: &mut impl Rng) -> Option<i64> {
        let roll: f64 = rng.random();
        let mut edge = 0.0;
        for &(kind, p) in &self.entries {
            if let FaultKind::Code(code) = kind
                && kind.is_per_item()
            {
                edge += p;
                if roll < edge {
                    return Some(code);
                }
            }
        }
        None
    }

    /// Whether any per-item fault is configured (saves a random draw per item otherwise).
    pub fn has_item_faults(&self) -> bool {
        self.entries.iter().any(|(kind, _)| kind.is_per_item())
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (kind, p)) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{kind}:{p}")?;
        }
        Ok(())
    }
}

impl FromStr for FaultSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut entries = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (kind, p) = part.split_once(':').ok_or_else(|| {
                format!("fault `{part}` has no probability; write KIND:P, e.g. 30006:0.05")
            })?;
            let kind = match kind.trim() {
                "timeout" | "hang" => FaultKind::Timeout,
                "502" => FaultKind::BadGateway,
                code => {
                    let code: i64 = code.parse().map_err(|_| {
                        format!("fault kind `{code}` is not a TIM error code, `502` or `timeout`")
                    })?;
                    if code <= 0 {
                        return Err(format!(
                            "fault code {code} must be a positive TIM error code"
                        ));
                    }
                    FaultKind::Code(code)
                }
            };
            let p: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("fault probability `{p}` is not a number between 0 and 1"))?;
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("fault probability {p} must be between 0 and 1"));
            }
            entries.push((kind, p));
        }
        let call_total: f64 = entries
            .iter()
            .filter(|(k, _)| !k.is_per_item())
            .map(|(_, p)| p)
            .sum();
        let item_total: f64 = entries
            .iter()
            .filter(|(k, _)| k.is_per_item())
            .map(|(_, p)| p)
            .sum();
        if call_total > 1.0 + 1e-9 || item_total > 1.0 + 1e-9 {
            return Err("fault probabilities add up to more than 1".to_owned());
        }
        Ok(FaultSpec { entries })
    }
}

/// The `--latency-ms N[-M]` value: a fixed or uniformly drawn delay per call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latency(pub RangeInclusive<u64>);

impl Latency {
    pub fn zero() -> Latency {
        Latency(0..=0)
    }

    pub fn draw_ms(&self, rng: &mut impl Rng) -> u64 {
        let (lo, hi) = (*self.0.start(), *self.0.end());
        if lo == hi {
            lo
        } else {
            rng.random_range(lo..=hi)
        }
    }
}

impl FromStr for Latency {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parse = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("latency `{text}` is not N or N-M milliseconds"))
        };
        let (lo, hi) = match text.split_once('-') {
            Some((lo, hi)) => (parse(lo)?, parse(hi)?),
            None => {
                let n = parse(text)?;
                (n, n)
            }
        };
        if lo > hi {
            return Err(format!(
                "latency range {lo}-{hi} is reversed; write the smaller first"
            ));
        }
        Ok(Latency(lo..=hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn parses_the_documented_example() {
        let spec: FaultSpec = "30006:0.05,30008:0.02,502:0.01,timeout:0.01"
            .parse()
            .unwrap();
        assert_eq!(
            spec.entries,
            vec![
                (FaultKind::Code(30006), 0.05),
                (FaultKind::Code(30008), 0.02),
                (FaultKind::BadGateway, 0.01),
                (FaultKind::Timeout, 0.01),
            ]
        );
        assert_eq!(
            spec.to_string(),
            "30006:0.05,30008:0.02,502:0.01,timeout:0.01"
        );
    }

    #[test]
    fn rejects_bad_specs_with_reasons() {
        for (bad, needle) in [
            ("30006", "no probability"),
            ("abc:0.1", "not a TIM error code"),
            ("30006:2", "between 0 and 1"),
            ("30006:x", "not a number"),
            ("502:0.6,timeout:0.6", "more than 1"),
        ] {
            let err = bad.parse::<FaultSpec>().unwrap_err();
            assert!(err.contains(needle), "{bad}: {err}");
        }
    }

    #[test]
    fn draws_follow_their_probabilities() {
        let spec: FaultSpec = "30008:0.2,502:0.1,timeout:0.05,60007:0.05".parse().unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        let n = 100_000;
        let (mut gw, mut hang, mut rate, mut item) = (0, 0, 0, 0);
        for _ in 0..n {
            match spec.draw_call(&mut rng, true) {
                Some(FaultKind::BadGateway) => gw += 1,
                Some(FaultKind::Timeout) => hang += 1,
                Some(FaultKind::Code(60007)) => rate += 1,
                Some(other) => panic!("item fault {other} drawn as a call fault"),
                None => {}
            }
            if spec.draw_item(&mut rng) == Some(30008) {
                item += 1;
            }
        }
        let near = |count: i32, p: f64| ((count as f64 / n as f64) - p).abs() < 0.01;
        assert!(near(gw, 0.1), "502: {gw}");
        assert!(near(hang, 0.05), "timeout: {hang}");
        assert!(near(rate, 0.05), "60007: {rate}");
        assert!(near(item, 0.2), "30008 items: {item}");
        // On a call without items, a 30000-range code fails the whole call.
        let mut hits = 0;
        for _ in 0..n {
            if spec.draw_call(&mut rng, false) == Some(FaultKind::Code(30008)) {
                hits += 1;
            }
        }
        assert!(near(hits, 0.2), "30008 whole-call: {hits}");
    }

    #[test]
    fn latency_ranges() {
        assert_eq!("50".parse::<Latency>().unwrap(), Latency(50..=50));
        assert_eq!("10-30".parse::<Latency>().unwrap(), Latency(10..=30));
        assert!("30-10".parse::<Latency>().is_err());
        assert!("fast".parse::<Latency>().is_err());
        let mut rng = StdRng::seed_from_u64(1);
        let lat: Latency = "10-30".parse().unwrap();
        for _ in 0..1000 {
            assert!((10..=30).contains(&lat.draw_ms(&mut rng)));
        }
    }
}
