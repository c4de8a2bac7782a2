//! What flows into `update` (messages) and out of it (effects).

use crossterm::event::{KeyEvent, MouseEvent};

use crate::client::engine::{ItemResult, Progress, Report};
use crate::client::failure::Failure;
use crate::client::journal::changes::{Change, Reach};
use crate::client::ops::{
    AccountFacts, BlockersEvent, BlockersReport, Candidates, IncompleteBatch, Preflight,
};
use crate::client::{Operation, Pair};
use crate::inspect::Relationship;
use crate::tim::ids::UserId;

/// Everything `update` reacts to.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    /// A click or a turn of the wheel (only with mouse reporting on; never an answer to a
    /// question).
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Keys that arrived together, faster than anyone types (an unbracketed paste, type-ahead
    /// delivered at once): text in a line, never an answer to a confirmation.
    KeyBurst(Vec<KeyEvent>),
    /// A second passed (only while something moves on screen).
    Tick(u64),
    /// Milliseconds since the dashboard started (a monotonic clock, for arming and spinners).
    Clock(u64),
    /// The dashboard is on screen (once, at start).
    Started,
    /// The batches the journal holds unfinished, or why it could not be read.
    Incomplete(Result<Vec<IncompleteBatch>, Failure>),
    /// The checks before change `req` answered.
    Checked {
        req: u64,
        result: Result<Preflight, Failure>,
    },
    /// Lookup `req`: the account's facts.
    Account {
        req: u64,
        /// Raw (the nickname is sanitized by `update`).
        info: AccountFacts,
    },
    /// Lookup `req`: a page of the blocklist (raw IDs and add times).
    Page {
        req: u64,
        entries: Vec<(String, u64)>,
        last: bool,
        sequence: u64,
    },
    /// Lookup `req`: nicknames of listed entries (raw).
    Nicks {
        req: u64,
        nicks: Vec<(String, String)>,
    },
    /// Lookup `req` failed.
    LookupFailed {
        req: u64,
        error: Failure,
    },
    /// Batch `id` moved on.
    BatchProgress {
        id: u64,
        progress: Progress,
    },
    /// An item of batch `id` reached its final status.
    BatchItem {
        id: u64,
        item: ItemResult,
    },
    /// Batch `id` ended, with its journal batch ID.
    BatchDone {
        id: u64,
        report: Report,
        journal: Option<String>,
    },
    /// Batch `id` could not start (journal unwritable, say).
    BatchFailed {
        id: u64,
        error: Failure,
    },
    /// Inspector request `req` answered.
    Inspected {
        req: u64,
        result: Result<Relationship, Failure>,
    },
    /// Reverse lookup `req` moved on.
    Blockers {
        req: u64,
        event: BlockersEvent,
    },
    /// Reverse lookup `req`: the nicknames of the blockers it found (raw), those that have one.
    BlockerNicks {
        req: u64,
        nicks: Vec<(String, String)>,
    },
    /// Reverse lookup `req` ended, or why it could not run.
    BlockersDone {
        req: u64,
        result: Result<BlockersReport, Failure>,
    },
    /// Something the moderator should know before acting (a secret key not in the console's
    /// format, say); logged as a warning.
    Warning(String),
    /// A line for the activity pane (untrusted: sanitized when logged).
    Note(String),
    /// A change arrived on the feed (raw; `update` sanitizes).
    FeedChange(crate::feed::FeedEvent),
    /// A webhook was refused (bad signature, say).
    FeedRejected {
        reason: String,
    },
    /// The burst detector flagged an account.
    Burst(crate::feed::Burst),
    /// Where the feed comes from (`webhooks on 127.0.0.1:9000`, `watching alice`).
    FeedSource(Option<String>),
    /// The team's journal announced another process's batch (raw; `update` sanitizes).
    TeamBatch {
        moved: crate::app::model::TeamMove,
        batch: crate::client::journal::BatchSummary,
    },
    /// A watch-mode poll failed (watching goes on).
    WatchFailed {
        error: Failure,
    },
    /// Watch mode saw the looked-up user's list change.
    ListChanged {
        user: UserId,
        sequence: u64,
    },
    /// Journal read `req` answered: the recent batches, newest first, or why they could not be
    /// read (raw: `update` sanitizes).
    Journal {
        req: u64,
        result: Result<Vec<crate::client::journal::BatchState>, Failure>,
    },
    /// Journal read `req` of one batch answered.
    JournalBatch {
        req: u64,
        result: Result<crate::client::journal::BatchState, Failure>,
    },
    /// An export was written (rows), or why not.
    Exported {
        path: String,
        result: Result<usize, Failure>,
    },
    /// History read `req` answered: the changes with the account on either side, newest first
    /// (raw: `update` sanitizes), and how far the store reaches back; or that there is no store,
    /// or why it could not be read.
    History {
        req: u64,
        result: Result<Stored<HistoryRead>, Failure>,
    },
    /// Block-rate read `req` answered: blocks per minute over the last
    /// [`RATE_MINUTES`](crate::app::model::RATE_MINUTES), oldest first.
    BlockRate {
        req: u64,
        result: Result<Stored<Vec<u64>>, Failure>,
    },
}

/// What a read of the change store found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored<T> {
    /// The journal holds no change store (not yet, or it is a JSON Lines file that cannot hold
    /// one): where it would be, and why there is none, in words (raw).
    Absent(String),
    Found(T),
}

/// An account's history, as the change store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRead {
    /// Newest first, at most [`HISTORY_LIMIT`](crate::app::model::HISTORY_LIMIT).
    pub changes: Vec<Change>,
    /// How far the store reaches back (`None`: it holds no change at all).
    pub reach: Option<Reach>,
}

/// Everything `update` asks the worker (or the runtime) to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Look a user up: account, nickname, friends, then the blocklist page by page, then nicknames.
    Lookup { req: u64, user: UserId },
    /// Run a batch through the engine, journaled: a new batch, or (`resume`) the rest of the
    /// journal's batch of that ID, each pair checked first.
    RunBatch {
        id: u64,
        op: Operation,
        pairs: Vec<Pair>,
        resume: Option<String>,
        /// Why, and which protected accounts it may touch.
        approval: crate::moderation::Approval,
    },
    /// Check a change before it is confirmed: accounts that do not exist, pairs already so.
    Preflight {
        req: u64,
        op: Operation,
        pairs: Vec<Pair>,
    },
    /// Read which batches the journal holds unfinished.
    ScanJournal,
    /// Read the journal's most recent batches (at most `limit`), every moderator's.
    LoadJournal { req: u64, limit: usize },
    /// Read one batch of the journal again.
    LoadJournalBatch { req: u64, id: String },
    /// Cancel the running batch between requests.
    CancelBatch,
    /// Find the relationship between two users.
    Inspect { req: u64, a: UserId, b: UserId },
    /// Find who blocks `target` among candidates.
    FindBlockers {
        req: u64,
        target: UserId,
        candidates: Candidates,
    },
    /// Stop the reverse lookup.
    CancelBlockers,
    /// Read the nicknames of the blockers reverse lookup `req` found.
    BlockerNicks { req: u64, ids: Vec<String> },
    /// Start or stop watching a user's list (`None` stops).
    Watch(Option<UserId>),
    /// Read what the change store recorded about `account`, both ways.
    History { req: u64, account: UserId },
    /// Read blocks per minute from the change store.
    BlockRate {
        req: u64,
        scope: crate::app::model::RateScope,
    },
    /// Write `contents` (`rows` rows, a CSV header not counted) to `path`.
    Export {
        path: String,
        contents: String,
        rows: usize,
    },
    /// Put `text` on the clipboard of the terminal the moderator sits at (OSC 52, written by the
    /// runtime, which owns the terminal). The text holds no control character.
    Copy(String),
    /// Leave the dashboard.
    Quit,
}

impl Effect {
    /// Whether carrying out this effect changes blocklists.
    pub fn mutates(&self) -> bool {
        matches!(self, Effect::RunBatch { op, .. } if op.mutates())
    }
}
