//! The history view: what the change store recorded about one account, both ways (whom it
//! blocked, unblocked, befriended or unfriended, and who did that to it), newest first. Store
//! text is untrusted: each line is sanitized once, here, when the changes arrive; the other
//! account's raw ID is kept for looking it up.

use super::scroll::Scroll;
use super::{FeedEntry, Focus, Model, Overlay};
use crate::client::journal::changes::{Change, Reach};
use crate::display::{sanitize, utc};
use crate::feed::ChangeKind;
use crate::tim::ids::UserId;

/// The newest changes one history read returns.
pub const HISTORY_LIMIT: usize = 1000;

/// Which way a change went, seen from the account whose history it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The account changed its own blocklist or friends.
    Out,
    /// Another account did it to the account.
    In,
}

impl Direction {
    /// `→` for a change the account made, `←` for one made to it.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::Out => "→",
            Direction::In => "←",
        }
    }
}

/// One change of a history, for the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    /// When it happened (Unix milliseconds).
    pub time_ms: i64,
    /// `2026-12-01 10:00:07Z`.
    pub when: String,
    pub direction: Direction,
    pub kind: ChangeKind,
    /// The other account, as stored (untrusted: for looking it up, never for the screen).
    pub other: String,
    /// The other account, sanitized.
    pub other_shown: String,
    /// Sanitized.
    pub platform: String,
    /// Sanitized.
    pub client_ip: Option<String>,
}

impl HistoryLine {
    /// `change` as seen from `account`: a change it made goes out, one made to it comes in.
    pub fn of(change: &Change, account: &str) -> HistoryLine {
        let (direction, other) = if change.from == account {
            (Direction::Out, &change.to)
        } else {
            (Direction::In, &change.from)
        };
        HistoryLine {
            time_ms: change.time_ms,
            when: utc(u64::try_from(change.time_ms / 1000).unwrap_or(0)),
            direction,
            kind: change.kind,
            other: other.clone(),
            other_shown: sanitize(other).into_owned(),
            platform: sanitize(&change.platform).into_owned(),
            client_ip: change
                .client_ip
                .as_deref()
                .map(|ip| sanitize(ip).into_owned()),
        }
    }

    /// What happened, from the account's side: `blocked`, `blocked by`, `unfriended by`.
    pub fn words(&self) -> &'static str {
        match (self.direction, self.kind) {
            (Direction::Out, kind) => kind.past_tense(),
            (Direction::In, ChangeKind::Block) => "blocked by",
            (Direction::In, ChangeKind::Unblock) => "unblocked by",
            (Direction::In, ChangeKind::FriendAdd) => "befriended by",
            (Direction::In, ChangeKind::FriendDelete) => "unfriended by",
        }
    }

    /// The change as a sentence: `mallory blocked alice`.
    pub fn sentence(&self, account_shown: &str) -> String {
        match self.direction {
            Direction::Out => format!(
                "{account_shown} {} {}",
                self.kind.past_tense(),
                self.other_shown
            ),
            Direction::In => format!(
                "{} {} {account_shown}",
                self.other_shown,
                self.kind.past_tense()
            ),
        }
    }
}

/// Whether the history has arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryLoad {
    /// Being read (since [`HistoryView::since`]).
    Loading,
    /// The journal holds no change store: why, in words (sanitized).
    NoStore(String),
    /// It could not be read: why (sanitized). Nothing is drawn as changes.
    Failed(String),
    Loaded,
}

/// `H`, `:history [ID]`: one account's recorded changes, drawn in place of the panes.
#[derive(Debug, Clone)]
pub struct HistoryView {
    pub req: u64,
    pub account: UserId,
    /// Sanitized.
    pub account_shown: String,
    /// When the latest read started (`ms`).
    pub since: u64,
    pub load: HistoryLoad,
    /// Newest first.
    pub lines: Vec<HistoryLine>,
    /// How far the store reaches back, across every account (`None`: it holds nothing).
    pub reach: Option<Reach>,
    /// The cursor and the window over `lines`.
    pub scroll: Scroll,
    /// What Esc goes back to: the inspector or the history it was opened from.
    pub back: Option<Box<Overlay>>,
}

impl HistoryView {
    pub fn loading(req: u64, account: UserId, since: u64, back: Option<Box<Overlay>>) -> Self {
        HistoryView {
            req,
            account_shown: sanitize(account.as_str()).into_owned(),
            account,
            since,
            load: HistoryLoad::Loading,
            lines: Vec::new(),
            reach: None,
            scroll: Scroll::default(),
            back,
        }
    }

    /// The line at the cursor.
    pub fn current(&self) -> Option<&HistoryLine> {
        self.lines.get(self.scroll.cursor)
    }

    /// Whether the read may have left older changes out.
    pub fn cut(&self) -> bool {
        self.lines.len() >= HISTORY_LIMIT
    }

    /// Moves the cursor, the window of `rows` following it.
    pub fn move_cursor(&mut self, motion: super::Motion, rows: usize) {
        let len = self.lines.len();
        self.scroll.select(motion, len, rows);
        self.scroll.follow(len, 0..len, rows);
    }

    /// The lines a window of `rows` shows.
    pub fn window(&self, rows: usize) -> std::ops::Range<usize> {
        self.scroll.window_in(0..self.lines.len(), rows)
    }
}

impl Model {
    /// Rows of changes the history view shows at once: as [`Model::journal_rows`].
    pub fn history_rows(&self) -> usize {
        usize::from(self.height.saturating_sub(8)).max(1)
    }

    /// Whose history `H` opens here, or why none: in the inspector its second account, in a
    /// history the other account of the line, on the feed the account that made the change at
    /// the cursor, on the table the row at the cursor (the looked-up user when the list shows
    /// none), elsewhere the looked-up user.
    pub fn history_subject(&self) -> Result<UserId, String> {
        let parse = |raw: &str| {
            UserId::parse(raw)
                .map_err(|e| format!("{} is not an ID blockdeck can look up: {e}", sanitize(raw)))
        };
        match &self.overlay {
            Overlay::Inspector(view) => return Ok(view.b.clone()),
            Overlay::History(view) => {
                return match view.current() {
                    Some(line) => parse(&line.other),
                    None => Err("no change here: the history shows none".to_owned()),
                };
            }
            _ => {}
        }
        let owner = || {
            self.list
                .owner
                .clone()
                .ok_or_else(|| "look a user up first, or name one: :history ID".to_owned())
        };
        match self.focus {
            Focus::Feed => match self.feed.selected() {
                Some(FeedEntry::Change(line)) => parse(&line.raw.from),
                Some(FeedEntry::Team(_)) => Err(format!(
                    "this line is a teammate's batch, not an account's change: {} opens the \
                     history of the account that made a change",
                    self.keymap.key(crate::app::command::Command::ShowHistory)
                )),
                None => Err("no change on the feed yet".to_owned()),
            },
            Focus::Blocklist => match self.list.current() {
                Some(row) => Ok(row.to.clone()),
                None => owner(),
            },
            Focus::Lookup | Focus::Activity => owner(),
        }
    }
}
