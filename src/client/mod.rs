//! Talking to a real endpoint: the HTTP client, the bulk engine (the one scheduler of every
//! call), the journal of what was changed, and the operations built on them that the dashboard
//! and the CLI share.

pub mod congestion;
pub mod engine;
pub mod failure;
pub mod http;
pub mod items;
pub mod journal;
pub mod ops;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::tim::codes::Op;
use crate::tim::ids::UserId;
use crate::tim::wire::Api;

/// What a batch does to each of its pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Put `to` on `from`'s blocklist.
    Block,
    /// Take `to` off `from`'s blocklist.
    Unblock,
    /// Read the relation between `from` and `to` (both directions unless `single`).
    Check { single: bool },
}

impl Operation {
    /// The REST call that carries this operation.
    pub fn api(self) -> Api {
        match self {
            Operation::Block => Api::BlackListAdd,
            Operation::Unblock => Api::BlackListDelete,
            Operation::Check { .. } => Api::BlackListCheck,
        }
    }

    /// How the error catalog reads this operation's per-item codes.
    pub fn code_op(self) -> Op {
        match self {
            Operation::Block => Op::Add,
            Operation::Unblock => Op::Delete,
            Operation::Check { .. } => Op::Other,
        }
    }

    pub fn mutates(self) -> bool {
        !matches!(self, Operation::Check { .. })
    }

    /// The operation that undoes this one (a check undoes nothing).
    pub fn inverse(self) -> Option<Operation> {
        match self {
            Operation::Block => Some(Operation::Unblock),
            Operation::Unblock => Some(Operation::Block),
            Operation::Check { .. } => None,
        }
    }

    /// The operation in one word: `block`, `unblock`, `check`.
    pub fn verb(self) -> &'static str {
        match self {
            Operation::Block => "block",
            Operation::Unblock => "unblock",
            Operation::Check { .. } => "check",
        }
    }

    /// What was done to a pair: `blocked`, `unblocked`, `checked`.
    pub fn past_tense(self) -> &'static str {
        match self {
            Operation::Block => "blocked",
            Operation::Unblock => "unblocked",
            Operation::Check { .. } => "checked",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb())
    }
}

/// One (From_Account, To_Account) pair of a batch. Serialised as `["from","to"]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "(UserId, UserId)", into = "(UserId, UserId)")]
pub struct Pair {
    pub from: UserId,
    pub to: UserId,
}

impl Pair {
    pub fn new(from: UserId, to: UserId) -> Pair {
        Pair { from, to }
    }
}

impl From<(UserId, UserId)> for Pair {
    fn from((from, to): (UserId, UserId)) -> Pair {
        Pair { from, to }
    }
}

impl From<Pair> for (UserId, UserId) {
    fn from(pair: Pair) -> (UserId, UserId) {
        (pair.from, pair.to)
    }
}

/// `from → to`, sanitized for a screen (IDs are untrusted text).
impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} → {}",
            crate::display::sanitize(self.from.as_str()),
            crate::display::sanitize(self.to.as_str())
        )
    }
}

/// How one pair ended, as recorded in the journal and reported to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ItemStatus {
    /// The change was applied by this batch.
    Done,
    /// The pair was already as desired (confirmed by the service's answer or by a check).
    Already,
    /// A check's answer: does `from` block `to`, and `to` block `from` (None in Single mode).
    Relation {
        a_blocks_b: bool,
        b_blocks_a: Option<bool>,
    },
    /// The item failed with this code and will not be retried.
    Failed { code: i64, info: String },
    /// The item was not finished because the batch was cancelled or stopped.
    Unfinished,
}

impl ItemStatus {
    /// Whether the pair is now in the state the batch wanted.
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            ItemStatus::Done | ItemStatus::Already | ItemStatus::Relation { .. }
        )
    }
}
