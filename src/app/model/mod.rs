//! The dashboard's state, by area. Plain data: no I/O, no terminal, no async. Untrusted strings
//! are stored twice where they are shown: the raw value (for API calls and exports) and the
//! sanitized one (for the screen).

mod batch;
mod clip;
mod feed;
mod history;
mod inspect;
mod journal;
mod rates;
mod scroll;
mod table;

use std::ops::Range;

use tui_input::Input;

pub use batch::{
    BatchOutcome, Checks, ConfirmLine, Ended, FailureGroup, Held, PendingAction, Running, SAMPLE,
    TextLine, original_places,
};
pub use clip::{COPY_MAX_BASE64, Clip, base64_len};
pub use feed::{ALERTS_KEEP, FEED_KEEP, Feed, FeedEntry, FeedLine, TeamLine, TeamMove};
pub use history::{Direction, HISTORY_LIMIT, HistoryLine, HistoryLoad, HistoryView};
pub use inspect::{Blockers, Inspection, Inspector, VerdictLine};
pub use journal::{
    ItemLine, JOURNAL_LIMIT, JournalBatch, JournalItems, JournalLoad, JournalSort, JournalView,
    changed_pairs,
};
pub use rates::{
    BlockRate, CALL_SLOT_MS, CALL_SLOTS, CallRate, RATE_MINUTES, RATE_REFRESH_MS, RateScope,
    RateState, Rates,
};
pub use scroll::{Motion, Scroll};
pub use table::{Blocklist, Column, ListKind, LoadFailure, PAGE_ROWS, Row, Sort};

use crate::client::engine::ItemResult;
pub use crate::client::ops::IncompleteBatch;
use crate::client::{ItemStatus, Operation};
use crate::display::clock_time;
use crate::tim::ids::UserId;

/// Activity lines kept.
pub const ACTIVITY_KEEP: usize = 500;
/// Lookup history kept.
pub const HISTORY_KEEP: usize = 100;
/// Places kept to go back to (Esc, Backspace); the oldest go first.
pub const BACK_KEEP: usize = 50;
/// How long a confirmation is on screen before a key can answer it.
pub const ARMING_MS: u64 = 400;
/// How long a wait goes unremarked before a spinner and the elapsed time show.
pub const BUSY_AFTER_MS: u64 = 300;
/// Time between two frames of a spinner.
pub const SPINNER_MS: u64 = 200;

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Lookup,
    Blocklist,
    Activity,
    /// The live change feed (webhooks or watch mode).
    Feed,
}

impl Focus {
    pub fn next(self) -> Focus {
        match self {
            Focus::Lookup => Focus::Blocklist,
            Focus::Blocklist => Focus::Activity,
            Focus::Activity => Focus::Feed,
            Focus::Feed => Focus::Lookup,
        }
    }

    pub fn prev(self) -> Focus {
        match self {
            Focus::Lookup => Focus::Feed,
            Focus::Blocklist => Focus::Lookup,
            Focus::Activity => Focus::Blocklist,
            Focus::Feed => Focus::Activity,
        }
    }
}

/// What the looked-up account is, as far as it is known yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub id: UserId,
    /// Sanitized ID for the screen.
    pub id_shown: String,
    /// `None` until account_check answers.
    pub exists: Option<bool>,
    /// Sanitized nickname.
    pub nick: Option<String>,
    /// Barred from sending friend requests.
    pub forbid_send: bool,
    pub friends: Option<u64>,
}

impl UserSummary {
    /// A user being looked up: nothing known yet.
    pub fn looking_up(id: UserId) -> UserSummary {
        UserSummary {
            id_shown: crate::display::sanitize(id.as_str()).into_owned(),
            id,
            exists: None,
            nick: None,
            forbid_send: false,
            friends: None,
        }
    }
}

/// A line of the activity pane (already sanitized).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityLine {
    /// `HH:MM:SS` UTC.
    pub time: String,
    pub level: Level,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Warning,
    Error,
}

/// The activity pane: what happened, newest last, and the window over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    pub lines: Vec<ActivityLine>,
    pub scroll: Scroll,
}

impl Default for Log {
    fn default() -> Log {
        Log {
            lines: Vec::new(),
            scroll: Scroll::following(),
        }
    }
}

impl Log {
    /// Adds a line, dropping the oldest beyond [`ACTIVITY_KEEP`].
    pub fn push(&mut self, line: ActivityLine) {
        self.lines.push(line);
        if self.lines.len() > ACTIVITY_KEEP {
            let extra = self.lines.len() - ACTIVITY_KEEP;
            self.lines.drain(..extra);
            self.scroll.dropped(extra);
        }
    }

    pub fn last(&self) -> Option<&ActivityLine> {
        self.lines.last()
    }
}

/// The `:` command line.
#[derive(Debug, Clone, Default)]
pub struct PaletteLine {
    pub input: Input,
    /// Why the last Enter did not run it (shown on the line until the text changes).
    pub error: Option<String>,
    /// The choices of the last Tab.
    pub completion: Option<Completion>,
}

impl PaletteLine {
    pub fn new(text: &str) -> PaletteLine {
        PaletteLine {
            input: Input::new(text.to_owned()),
            ..PaletteLine::default()
        }
    }
}

/// What Tab offered for the word at the cursor; Tab again puts the next choice in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The choices, as they would be typed (quoted where needed).
    pub choices: Vec<String>,
    /// The choice in the line now, if Tab has cycled to one.
    pub shown: Option<usize>,
    /// Where the word being completed is in the line (bytes).
    pub word: Range<usize>,
}

/// What sits on top of the panes.
#[derive(Debug, Clone, Default)]
pub enum Overlay {
    #[default]
    None,
    /// The help, scrolled when it does not fit.
    Help(Scroll),
    /// `:` command line.
    Palette(PaletteLine),
    /// `/` filter being typed (the table filters live).
    Filter(Input),
    /// `b`: IDs to block, typed or pasted; with the problem of the last attempt.
    BlockPrompt {
        input: Input,
        error: Option<String>,
    },
    Confirm(PendingAction),
    /// The summary of the last batch.
    Result,
    /// `q` while a batch runs.
    QuitConfirm,
    /// `i`: the relationship between two users.
    Inspector(Inspector),
    /// `e`: where to export what is on screen.
    Export {
        input: Input,
        what: ExportWhat,
        error: Option<String>,
    },
    /// Enter on an activity or feed line: the line whole.
    Entry(Entry),
    /// `H`: the changes recorded about an account, drawn in place of the panes.
    History(HistoryView),
}

/// An activity or feed line opened whole: a title and paragraphs (sanitized), each with the level
/// that styles it; scrolled when longer than the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub title: String,
    pub paragraphs: Vec<(Level, String)>,
    pub scroll: Scroll,
}

/// What `e` exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportWhat {
    /// The blocklist as filtered and sorted on screen.
    List,
    /// The last batch's items.
    Batch,
    /// The change feed.
    Feed,
    /// The blockers found by the reverse lookup.
    Blockers,
}

impl ExportWhat {
    pub fn label(self) -> &'static str {
        match self {
            ExportWhat::List => "the blocklist as shown",
            ExportWhat::Batch => "the last batch's results",
            ExportWhat::Feed => "the change feed",
            ExportWhat::Blockers => "the blockers found",
        }
    }

    /// The word in a default file name.
    pub fn file_word(self) -> &'static str {
        match self {
            ExportWhat::List => "blocklist",
            ExportWhat::Batch => "batch",
            ExportWhat::Feed => "feed",
            ExportWhat::Blockers => "blockers",
        }
    }
}

/// Where the moderator was before Enter opened an account or `w` listed its blockers: what Esc
/// brings back as it was (the account, the table with its cursor, filter, sort and marks).
#[derive(Debug, Clone)]
pub struct Place {
    pub user: Option<UserSummary>,
    pub list: Blocklist,
    /// The reverse lookup the table showed, when it listed blockers.
    pub reverse: Option<Blockers>,
    pub focus: Focus,
}

impl Place {
    /// The place in the title's path: the account whose list it is, or `who blocks X`.
    pub fn label(list: &Blocklist) -> String {
        let owner = list
            .owner
            .as_ref()
            .map(|o| crate::display::sanitize(o.as_str()).into_owned())
            .unwrap_or_default();
        match list.kind {
            ListKind::Blocklist => owner,
            ListKind::Blockers => format!("who blocks {owner}"),
        }
    }
}

/// Where the dashboard is connected, for the header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connection {
    /// Profile name or "demo".
    pub label: String,
    pub base_url: String,
    pub sdkappid: u64,
    pub admin: String,
}

/// The whole dashboard.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub connection: Connection,
    /// The team's rules from the profile: a reason required, protected accounts.
    pub rules: crate::moderation::Rules,
    pub read_only: bool,
    /// Where read-only mode was switched on, for the messages that refuse a change.
    pub read_only_source: String,
    /// `NO_COLOR`: markers and reverse video instead of colour.
    pub monochrome: bool,
    pub width: u16,
    pub height: u16,
    pub focus: Focus,
    pub overlay: Overlay,
    pub lookup: Input,
    pub history: Vec<String>,
    /// Position while browsing history with ↑/↓.
    pub history_pos: Option<usize>,
    /// Changes to `history` counted: the runtime keeps the history on disk when this moves.
    pub history_rev: u64,
    /// Accounts the lookup line's hint names before the first lookup, each with what it shows
    /// (the demo's fixtures, from its seed).
    pub suggestions: Vec<(String, String)>,
    /// Request number of the current lookup; answers to older ones are dropped.
    pub lookup_req: u64,
    /// When the lookup still waiting for answers started (`ms`).
    pub lookup_since: Option<u64>,
    pub user: Option<UserSummary>,
    pub list: Blocklist,
    pub running: Option<Running>,
    pub last: Option<BatchOutcome>,
    pub activity: Log,
    /// Why the last key could not do what it asks (shown until the next key).
    pub notice: Option<String>,
    /// Batch numbers handed out.
    pub batch_seq: u64,
    pub should_quit: bool,
    /// Unix seconds, refreshed on ticks and worker messages (for relative times).
    pub now: u64,
    /// Milliseconds since start (monotonic), refreshed before every message.
    pub ms: u64,
    /// When the window on top opened (`ms`): a confirmation counts a key only after it has been
    /// on screen for [`ARMING_MS`].
    pub overlay_since: u64,
    pub feed: Feed,
    /// Requests numbered for the inspector and the reverse lookup (stale answers are dropped).
    pub side_req: u64,
    /// When the latest of those started (`ms`).
    pub side_since: u64,
    /// Watch mode: the looked-up user's sequence is polled and the list refreshed when it moves.
    pub watching: bool,
    /// The reverse lookup the table shows, while it lists blockers.
    pub reverse: Option<Blockers>,
    /// The last finished reverse lookup, kept for exporting after its table is left.
    pub last_blockers: Option<Blockers>,
    /// The filter a fresh filter line offers on ↑ (the one kept when `/` was pressed).
    pub filter_recall: String,
    /// Where Esc goes back to, the latest last (at most [`BACK_KEEP`]).
    pub back: Vec<Place>,
    /// Requests numbered for the checks before a change (stale answers are dropped).
    pub check_req: u64,
    /// Batches of this app that the journal holds unfinished, newest first.
    pub incomplete: Vec<IncompleteBatch>,
    /// `:journal`: the team's recent batches, drawn in place of the panes while open.
    pub journal: Option<JournalView>,
    /// Reads of the journal numbered (stale answers are dropped).
    pub journal_req: u64,
    /// Reads of an account's history numbered (stale answers are dropped).
    pub history_req: u64,
    /// Blocks per minute from the change store, for the sparklines.
    pub rates: Rates,
    /// Whether `c` may copy through OSC 52 (`osc52 = false` in the config file turns it off).
    pub osc52: bool,
    /// The keys in use: the command table's, with the config file's `[keys]` over them.
    pub keymap: crate::app::keymap::Keymap,
    /// The colours of the config file's `[theme]` (unused under `NO_COLOR`).
    pub theme: crate::ui::theme::Theme,
}

impl Model {
    pub fn new(connection: Connection, read_only: bool, monochrome: bool, now: u64) -> Model {
        Model {
            connection,
            read_only,
            read_only_source: "--read-only".to_owned(),
            monochrome,
            width: 80,
            height: 24,
            now,
            osc52: true,
            ..Model::default()
        }
    }

    /// Since when something on screen waits on the network (`ms`): the lookup, the inspector, the
    /// reverse lookup, a batch.
    pub fn busy_since(&self) -> Option<u64> {
        let side = match &self.overlay {
            Overlay::Inspector(view) if view.result.is_none() => Some(self.side_since),
            Overlay::Confirm(pending) if matches!(pending.checks, Checks::Running { .. }) => {
                Some(self.overlay_since)
            }
            Overlay::History(view) if view.load == HistoryLoad::Loading => Some(view.since),
            _ => None,
        };
        let reverse = self
            .reverse
            .as_ref()
            .filter(|r| !r.done)
            .map(|_| self.side_since);
        let journal = self.journal.as_ref().and_then(|j| {
            let items = j
                .items
                .as_ref()
                .is_some_and(|i| i.load == JournalLoad::Loading);
            (j.load == JournalLoad::Loading || items).then_some(j.since)
        });
        [
            self.lookup_since,
            side,
            reverse,
            journal,
            self.running.as_ref().map(|r| r.since),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// How long `since` has been waiting, once that is worth showing.
    pub fn waited(&self, since: u64) -> Option<u64> {
        let waited = self.ms.saturating_sub(since);
        (waited >= BUSY_AFTER_MS).then_some(waited)
    }

    /// When the screen next changes by itself (`ms`): a question arming, a spinner's next frame,
    /// the next read of the block rates. `None` when nothing moves, so that an idle dashboard
    /// writes nothing.
    pub fn next_wake(&self) -> Option<u64> {
        let arming =
            matches!(self.overlay, Overlay::Confirm(_) | Overlay::QuitConfirm) && !self.armed();
        let arms = arming.then_some(self.overlay_since + ARMING_MS);
        let spins = self.busy_since().map(|since| {
            let show = since + BUSY_AFTER_MS;
            if self.ms < show {
                show
            } else {
                (self.ms / SPINNER_MS + 1) * SPINNER_MS
            }
        });
        [arms, spins, self.rates.next_due()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether the window on top has been on screen long enough for a key to answer it.
    pub fn armed(&self) -> bool {
        self.ms >= self.overlay_since + ARMING_MS
    }

    /// Whether the terminal is big enough for the layout.
    pub fn fits(&self) -> bool {
        self.width >= 80 && self.height >= 24
    }

    pub fn log(&mut self, level: Level, text: impl Into<String>) {
        self.activity.push(ActivityLine {
            time: clock_time(self.now),
            level,
            text: text.into(),
        });
    }

    /// The path the title shows: the places Esc goes back to, then this one.
    pub fn path(&self) -> Vec<String> {
        let mut path: Vec<String> = self.back.iter().map(|p| Place::label(&p.list)).collect();
        path.push(Place::label(&self.list));
        path
    }

    /// Applies a finished item to the table, so the list updates in place.
    pub fn apply_item(&mut self, item: &ItemResult) {
        if self.list.kind == ListKind::Blockers {
            self.apply_to_blockers(item);
            return;
        }
        if self.list.owner.as_ref() != Some(&item.pair.from) {
            return;
        }
        let op = self.running.as_ref().map(|r| r.op);
        let to = &item.pair.to;
        match (&item.status, op) {
            (ItemStatus::Done | ItemStatus::Already, Some(Operation::Unblock)) => {
                if let Some(taken) = self.list.remove(to)
                    && let Some(running) = self.running.as_mut()
                {
                    running.removed.push(taken);
                }
            }
            (ItemStatus::Done, Some(Operation::Block)) => {
                // An undo puts the row back where it stood, nickname and all; its time is now.
                let back = self
                    .running
                    .as_mut()
                    .and_then(|r| batch::take_restored(&mut r.restore, to));
                match back {
                    Some((pos, mut row)) => {
                        row.added = self.now;
                        self.list.insert(pos.min(self.list.rows.len()), row);
                    }
                    None => self.list.add(to, self.now),
                }
            }
            _ => {}
        }
        self.list.follow(self.bands().table_rows());
    }

    /// A finished item in a table of who blocks the owner: an unblock of the owner takes its
    /// blocker off, a block of the owner puts it (back) on.
    fn apply_to_blockers(&mut self, item: &ItemResult) {
        if self.list.owner.as_ref() != Some(&item.pair.to) {
            return;
        }
        let op = self.running.as_ref().map(|r| r.op);
        let from = &item.pair.from;
        match (&item.status, op) {
            (ItemStatus::Done | ItemStatus::Already, Some(Operation::Unblock)) => {
                self.list.remove(from);
                if let Some(r) = self.reverse.as_mut() {
                    r.found.retain(|(b, _)| b != from);
                }
            }
            (ItemStatus::Done, Some(Operation::Block)) => {
                self.list.add_blocker(from.clone(), false, false);
                if let Some(r) = self.reverse.as_mut()
                    && !r.found.iter().any(|(b, _)| b == from)
                {
                    r.found.push((from.clone(), false));
                }
            }
            _ => {}
        }
        self.list.follow(self.bands().table_rows());
    }

    /// The UserIDs on screen, most relevant first, without repeats: the looked-up user, the
    /// rows as shown, the inspector's pair, the blockers found, the last batch's targets, the
    /// feed's accounts, the lookup history. What the command line completes from.
    pub fn ids_on_screen(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut add = |id: &str| {
            if seen.insert(id.to_owned()) {
                out.push(id.to_owned());
            }
        };
        if let Some(user) = &self.user {
            add(user.id.as_str());
        }
        for &i in &self.list.view {
            add(self.list.rows[i].to.as_str());
        }
        match &self.overlay {
            Overlay::Inspector(view) => {
                add(view.a.as_str());
                add(view.b.as_str());
            }
            Overlay::History(view) => {
                add(view.account.as_str());
                for line in &view.lines {
                    if crate::tim::ids::validate(&line.other).is_ok() {
                        add(&line.other);
                    }
                }
            }
            _ => {}
        }
        if let Some(view) = &self.reverse {
            view.found.iter().for_each(|(b, _)| add(b.as_str()));
        }
        if let Some(view) = &self.last_blockers {
            view.found.iter().for_each(|(b, _)| add(b.as_str()));
        }
        if let Some(last) = &self.last {
            last.items.iter().for_each(|i| add(i.pair.to.as_str()));
        }
        for line in self.feed.changes().rev() {
            for id in [&line.raw.from, &line.raw.to] {
                if crate::tim::ids::validate(id).is_ok() {
                    add(id);
                }
            }
        }
        for h in self.history.iter().rev() {
            add(h);
        }
        out
    }
}

/// Heights of the screen's bands, shared by the view (to draw) and `update` (to scroll).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bands {
    pub header: u16,
    pub lookup: u16,
    pub blocklist: u16,
    pub activity: u16,
    pub status: u16,
    pub bar: u16,
}

impl Bands {
    pub fn for_height(height: u16) -> Bands {
        let (header, lookup, status, bar) = (1, 4, 1, 1);
        // The bottom band gets a sixth of the screen, between 5 and 10 rows: the rest goes to the
        // table, which is what a moderator reads.
        let activity = (height / 6).clamp(5, 10);
        let blocklist = height.saturating_sub(header + lookup + activity + status + bar);
        Bands {
            header,
            lookup,
            blocklist,
            activity,
            status,
            bar,
        }
    }

    /// Table rows that fit in the blocklist pane (borders and the column header excluded).
    pub fn table_rows(&self) -> usize {
        usize::from(self.blocklist.saturating_sub(3)).max(1)
    }

    /// Activity lines that fit (borders excluded).
    pub fn activity_rows(&self) -> usize {
        usize::from(self.activity.saturating_sub(2)).max(1)
    }
}

impl Model {
    /// What `e` exports now: the window on top, else the pane with focus.
    pub fn export_what(&self) -> ExportWhat {
        match (&self.overlay, self.focus) {
            (Overlay::Result, _) => ExportWhat::Batch,
            (_, Focus::Feed) => ExportWhat::Feed,
            (_, Focus::Activity) if self.last.is_some() => ExportWhat::Batch,
            _ if self.list.kind == ListKind::Blockers => ExportWhat::Blockers,
            _ => ExportWhat::List,
        }
    }
}

impl Model {
    pub fn bands(&self) -> Bands {
        Bands::for_height(self.height)
    }

    /// Feed lines that fit in the feed pane: its inner height, less the row of the latest burst
    /// alert when there is one. The view draws this many, scrolled by `feed.scroll`.
    pub fn feed_rows(&self) -> usize {
        let alert = u16::from(!self.feed.alerts.is_empty());
        usize::from(self.bands().activity.saturating_sub(2 + alert)).max(1)
    }

    /// Batches the journal view shows at once: the screen less the header, the status line, the
    /// action bar, the borders, the column header and the two lines about the current batch.
    pub fn journal_rows(&self) -> usize {
        usize::from(self.height.saturating_sub(8)).max(1)
    }

    /// Items an opened batch shows at once: as [`Model::journal_rows`], less its summary line.
    pub fn journal_item_rows(&self) -> usize {
        usize::from(self.height.saturating_sub(7)).max(1)
    }

    /// Rows of the help's window: the screen above the action bar, less a margin and borders.
    pub fn help_rows(&self) -> usize {
        usize::from(self.height.saturating_sub(1 + 2)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Pair;

    fn id(s: &str) -> UserId {
        UserId::parse(s).unwrap()
    }

    #[test]
    fn finished_unblocks_leave_the_table_in_place() {
        let mut model = Model::new(Connection::default(), false, false, 100);
        model.list.owner = Some(id("alice"));
        for (i, to) in ["a", "b", "c", "d"].iter().enumerate() {
            model.list.rows.push(Row::new(id(to), i as u64));
        }
        model.list.rebuild_view();
        model.list.scroll.cursor = 3;
        model.running = Some(Running::new(1, Operation::Unblock, 2, 0));
        for to in ["a", "d"] {
            model.apply_item(&ItemResult {
                pair: Pair::new(id("alice"), id(to)),
                status: ItemStatus::Done,
                code: 0,
                info: String::new(),
                attempts: 1,
            });
        }
        let left: Vec<&str> = model
            .list
            .view
            .iter()
            .map(|&i| model.list.rows[i].to.as_str())
            .collect();
        assert_eq!(left, ["b", "c"]);
        // The cursor was on "d", which went: it stays in range.
        assert_eq!(model.list.current().map(|r| r.to.as_str()), Some("c"));
    }

    #[test]
    fn ids_on_screen_come_once_each_the_looked_up_user_first() {
        let mut model = Model::new(Connection::default(), false, false, 100);
        model.user = Some(UserSummary::looking_up(id("alice")));
        model.list.owner = Some(id("alice"));
        for to in ["bob", "carol"] {
            model.list.rows.push(Row::new(id(to), 1));
        }
        model.list.rebuild_view();
        model.history = vec!["bob".into(), "dave".into()];
        assert_eq!(model.ids_on_screen(), ["alice", "bob", "carol", "dave"]);
    }
}
