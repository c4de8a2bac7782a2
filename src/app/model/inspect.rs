//! The on-call windows: the relationship inspector and the reverse lookup ("who blocks X?").

use crate::display::sanitize;
use crate::inspect::{Relationship, Verdict, consequences};
use crate::tim::ids::UserId;

/// A verdict of the inspector, sanitized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictLine {
    pub allowed: bool,
    pub why: String,
}

impl VerdictLine {
    fn of(v: &Verdict) -> VerdictLine {
        VerdictLine {
            allowed: v.allowed,
            why: sanitize(&v.why).into_owned(),
        }
    }
}

/// The inspector's answer, sanitized for the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub a_shown: String,
    pub b_shown: String,
    pub a_nick: Option<String>,
    pub b_nick: Option<String>,
    pub a_exists: bool,
    pub b_exists: bool,
    pub a_blocks_b: bool,
    pub b_blocks_a: bool,
    /// "mutual friends", "A has B as a friend (one way)", "not friends".
    pub friendship: String,
    pub a_messages_b: VerdictLine,
    pub b_messages_a: VerdictLine,
    pub a_requests_b: VerdictLine,
    pub b_requests_a: VerdictLine,
    pub notes: Vec<String>,
}

impl Inspection {
    /// A relationship in screen form: everything sanitized, the rules applied.
    pub fn of(rel: &Relationship) -> Inspection {
        let c = consequences(rel);
        let (a, b) = (
            sanitize(rel.a.as_str()).into_owned(),
            sanitize(rel.b.as_str()).into_owned(),
        );
        let friendship = match (rel.a_has_b, rel.b_has_a) {
            (true, true) => "mutual friends".to_owned(),
            (true, false) => format!("{a} has {b} as a friend (one way)"),
            (false, true) => format!("{b} has {a} as a friend (one way)"),
            (false, false) => "not friends".to_owned(),
        };
        Inspection {
            a_nick: rel.a_nick.as_deref().map(|n| sanitize(n).into_owned()),
            b_nick: rel.b_nick.as_deref().map(|n| sanitize(n).into_owned()),
            a_shown: a,
            b_shown: b,
            a_exists: rel.a_exists,
            b_exists: rel.b_exists,
            a_blocks_b: rel.a_blocks_b,
            b_blocks_a: rel.b_blocks_a,
            friendship,
            a_messages_b: VerdictLine::of(&c.a_messages_b),
            b_messages_a: VerdictLine::of(&c.b_messages_a),
            a_requests_b: VerdictLine::of(&c.a_requests_b),
            b_requests_a: VerdictLine::of(&c.b_requests_a),
            notes: c.notes.iter().map(|n| sanitize(n).into_owned()).collect(),
        }
    }
}

/// The inspector popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspector {
    pub req: u64,
    pub a: UserId,
    pub b: UserId,
    /// `None` while loading; `Err` with the reason (sanitized) when it failed.
    pub result: Option<Result<Inspection, String>>,
    /// The window over its lines, when they do not fit the screen.
    pub scroll: super::Scroll,
}

/// The reverse lookup ("who blocks X?").
#[derive(Debug, Clone, PartialEq)]
pub struct Blockers {
    pub req: u64,
    pub target: UserId,
    /// Where the candidates came from, in words.
    pub source: String,
    pub checked: usize,
    pub total: usize,
    pub calls_per_sec: f64,
    /// Raw blocker IDs with whether the block is mutual.
    pub found: Vec<(UserId, bool)>,
    /// Candidates whose check failed (raw): ID, code, the service's words.
    pub failed: Vec<(UserId, i64, String)>,
    pub done: bool,
    pub error: Option<String>,
    /// What the change store recorded, checked first, when it was read.
    pub recorded: Option<crate::client::ops::Recorded>,
    /// How the store's answer held up, once the lookup is done.
    pub history: Option<crate::client::ops::FromHistory>,
    /// The candidates it checks, for `r` to check them again.
    pub candidates: Option<crate::client::ops::Candidates>,
}

impl Blockers {
    /// Whether the store named `blocker` (it was checked first, and confirmed).
    pub fn from_history(&self, blocker: &UserId) -> bool {
        match (&self.history, &self.recorded) {
            (Some(h), _) => h.confirmed.contains(blocker),
            (None, Some(r)) => r.suspects.contains(blocker),
            (None, None) => false,
        }
    }

    pub fn new(req: u64, target: UserId, source: String) -> Blockers {
        Blockers {
            req,
            target,
            source,
            checked: 0,
            total: 0,
            calls_per_sec: 0.0,
            found: Vec::new(),
            failed: Vec::new(),
            done: false,
            error: None,
            recorded: None,
            history: None,
            candidates: None,
        }
    }
}
