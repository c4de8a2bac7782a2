//! The dashboard's state. Plain data: no I/O, no terminal, no async. Untrusted strings are stored
//! twice where they are shown: the raw value (for API calls) and the sanitized one (for the screen).

use std::collections::BTreeSet;
use std::time::Duration;

use tui_input::Input;

use crate::client::engine::{ItemResult, Progress};
use crate::client::{ItemStatus, Operation, Pair};
use crate::display::sanitize;
use crate::tim::ids::UserId;

/// Rows per blocklist page (`n`/`p`), the size of one black_list_get page.
pub const PAGE_ROWS: usize = 100;
/// Activity lines kept.
pub const ACTIVITY_KEEP: usize = 500;
/// Feed lines kept.
pub const FEED_KEEP: usize = 1000;
/// Lookup history kept.
pub const HISTORY_KEEP: usize = 100;
/// Targets shown in a confirmation.
pub const SAMPLE: usize = 5;

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

/// One blocklist entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Raw ID, for API calls.
    pub to: UserId,
    /// Sanitized ID, for the screen.
    pub to_shown: String,
    /// Sanitized nickname, once portrait_get answered.
    pub nick: Option<String>,
    /// The nickname as the service gave it, for exports.
    pub nick_raw: Option<String>,
    /// When it was added (Unix seconds).
    pub added: u64,
}

impl Row {
    pub fn new(to: UserId, added: u64) -> Row {
        Row {
            to_shown: sanitize(to.as_str()).into_owned(),
            to,
            nick: None,
            nick_raw: None,
            added,
        }
    }
}

/// How the table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// In the order entries were added (the service's order).
    #[default]
    Added,
    /// Newest first.
    Newest,
    /// By ID.
    Id,
}

impl Sort {
    pub fn next(self) -> Sort {
        match self {
            Sort::Added => Sort::Newest,
            Sort::Newest => Sort::Id,
            Sort::Id => Sort::Added,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Added => "oldest first",
            Sort::Newest => "newest first",
            Sort::Id => "by ID",
        }
    }
}

/// The blocklist pane.
#[derive(Debug, Clone, Default)]
pub struct Blocklist {
    /// Whose list this is.
    pub owner: Option<UserId>,
    pub rows: Vec<Row>,
    /// Indices into `rows` that pass the filter, in the sort order.
    pub view: Vec<usize>,
    /// Cursor position within `view`.
    pub cursor: usize,
    /// First `view` position drawn (kept by the view so the cursor stays visible).
    pub scroll: usize,
    /// Marked entries by ID (kept across filtering and sorting).
    pub marks: BTreeSet<UserId>,
    /// Where a `v` range started.
    pub anchor: Option<usize>,
    pub filter: String,
    pub sort: Sort,
    /// Every page has arrived.
    pub complete: bool,
    /// A lookup is streaming pages in.
    pub loading: bool,
    /// The list's sequence at the last page.
    pub sequence: u64,
    /// The feed reported a change to this list made elsewhere since it was loaded.
    pub stale: bool,
}

impl Blocklist {
    /// Rebuilds `view` after rows, filter or sort changed, keeping the cursor on the same entry.
    pub fn rebuild_view(&mut self) {
        let current = self.current().map(|r| r.to.clone());
        self.rebuild_view_at(current);
    }

    /// Rebuilds `view`, putting the cursor on `keep` if it is still listed (else where it was).
    /// Call this instead of [`Blocklist::rebuild_view`] after `rows` shrank, when `view` is stale.
    pub fn rebuild_view_at(&mut self, keep: Option<UserId>) {
        let current = keep;
        let needle = self.filter.to_lowercase();
        let mut view: Vec<usize> = (0..self.rows.len())
            .filter(|&i| {
                needle.is_empty() || {
                    let row = &self.rows[i];
                    row.to.as_str().to_lowercase().contains(&needle)
                        || row
                            .nick
                            .as_ref()
                            .is_some_and(|n| n.to_lowercase().contains(&needle))
                }
            })
            .collect();
        match self.sort {
            Sort::Added => {}
            Sort::Newest => {
                view.sort_by(|&a, &b| self.rows[b].added.cmp(&self.rows[a].added).then(b.cmp(&a)))
            }
            Sort::Id => view.sort_by(|&a, &b| self.rows[a].to.cmp(&self.rows[b].to)),
        }
        self.view = view;
        self.cursor = current
            .and_then(|id| self.view.iter().position(|&i| self.rows[i].to == id))
            .unwrap_or(self.cursor)
            .min(self.view.len().saturating_sub(1));
    }

    pub fn current(&self) -> Option<&Row> {
        self.view.get(self.cursor).map(|&i| &self.rows[i])
    }

    pub fn page(&self) -> usize {
        self.cursor / PAGE_ROWS
    }

    pub fn pages(&self) -> usize {
        self.view.len().div_ceil(PAGE_ROWS).max(1)
    }

    /// The `view` positions of the current page.
    pub fn page_range(&self) -> std::ops::Range<usize> {
        let start = self.page() * PAGE_ROWS;
        start..(start + PAGE_ROWS).min(self.view.len())
    }

    pub fn is_marked(&self, row: &Row) -> bool {
        self.marks.contains(&row.to)
    }

    /// The IDs an unblock acts on: the marked ones, or the current row when nothing is marked.
    pub fn targets(&self) -> Vec<UserId> {
        if self.marks.is_empty() {
            self.current()
                .map(|r| vec![r.to.clone()])
                .unwrap_or_default()
        } else {
            // In table order, so confirmations read like the screen.
            let mut ids: Vec<UserId> = self
                .rows
                .iter()
                .filter(|r| self.marks.contains(&r.to))
                .map(|r| r.to.clone())
                .collect();
            // Marks of entries no longer listed are kept too.
            for m in &self.marks {
                if !ids.contains(m) {
                    ids.push(m.clone());
                }
            }
            ids
        }
    }
}

/// A destructive action waiting for `y`/`n`: data, not code, until it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAction {
    pub op: Operation,
    pub pairs: Vec<Pair>,
    /// What the action is, in words ("unblock 3 marked entries of alice").
    pub title: String,
    /// A warning to read before confirming.
    pub warning: Option<String>,
}

/// A batch in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    pub id: u64,
    pub op: Operation,
    pub total: usize,
    pub progress: Progress,
    pub cancelling: bool,
    /// Quit once the batch has stopped.
    pub quit_after: bool,
}

impl Running {
    /// Time left at the current pace, once there is a pace to go by.
    pub fn eta(&self) -> Option<Duration> {
        let done = self.progress.finished;
        if done == 0 || done >= self.total {
            return None;
        }
        let per_item = self.progress.elapsed.as_secs_f64() / done as f64;
        Some(Duration::from_secs_f64(
            per_item * (self.total - done) as f64,
        ))
    }
}

/// Failures of a batch that share a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureGroup {
    pub code: i64,
    pub meaning: &'static str,
    /// (pair, sanitized pair text, sanitized info)
    pub items: Vec<(Pair, String, String)>,
}

/// The outcome of the last batch, for the summary popup, `R` and `U`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutcome {
    pub op: Operation,
    pub total: usize,
    pub done: Vec<Pair>,
    pub already: usize,
    pub failures: Vec<FailureGroup>,
    pub unfinished: Vec<Pair>,
    /// In words: completed, cancelled, stopped by ...
    pub end: String,
    pub journal_batch: Option<String>,
    pub elapsed: Duration,
    pub calls: u64,
    /// Every item as the engine reported it (raw), for exports.
    pub items: Vec<ItemResult>,
}

impl BatchOutcome {
    pub fn failed_pairs(&self) -> Vec<Pair> {
        self.failures
            .iter()
            .flat_map(|g| g.items.iter().map(|(p, _, _)| p.clone()))
            .chain(self.unfinished.iter().cloned())
            .collect()
    }

    pub fn failed_count(&self) -> usize {
        self.failures.iter().map(|g| g.items.len()).sum()
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

/// What sits on top of the panes.
#[derive(Debug, Clone, Default)]
pub enum Overlay {
    #[default]
    None,
    Help,
    /// `:` command line.
    Palette(Input),
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
    /// `w`: who blocks the looked-up user.
    Blockers(Blockers),
    /// `e`: where to export what is on screen.
    Export {
        input: Input,
        what: ExportWhat,
        error: Option<String>,
    },
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
}

/// A verdict of the inspector, sanitized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictLine {
    pub allowed: bool,
    pub why: String,
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

/// The inspector popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspector {
    pub req: u64,
    pub a: UserId,
    pub b: UserId,
    /// `None` while loading; `Err` with the reason when it failed.
    pub result: Option<Result<Inspection, String>>,
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
}

/// One change seen on the feed, sanitized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLine {
    pub time: String,
    /// `blocked` or `unblocked`.
    pub verb: &'static str,
    pub from: String,
    pub to: String,
    pub platform: String,
    /// Part of a flagged burst.
    pub burst: bool,
    /// Raw values, for exports.
    pub raw: (String, String, u64),
}

/// The live change feed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Feed {
    pub lines: Vec<FeedLine>,
    /// Burst alerts, newest last, sanitized.
    pub alerts: Vec<String>,
    /// Accounts currently flagged by the burst detector (raw IDs).
    pub flagged: Vec<String>,
    pub rejected: usize,
    /// `webhooks on ADDR`, `watching alice`, or nothing.
    pub source: Option<String>,
    pub scroll: usize,
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
    pub read_only: bool,
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
    /// Request number of the current lookup; answers to older ones are dropped.
    pub lookup_req: u64,
    pub user: Option<UserSummary>,
    pub list: Blocklist,
    pub running: Option<Running>,
    pub last: Option<BatchOutcome>,
    pub activity: Vec<ActivityLine>,
    /// Scroll offset of the activity pane from the bottom.
    pub activity_scroll: usize,
    /// Batch numbers handed out.
    pub batch_seq: u64,
    pub should_quit: bool,
    /// Unix seconds, refreshed on ticks and worker messages (for relative times).
    pub now: u64,
    pub feed: Feed,
    /// Requests numbered for the inspector and the reverse lookup (stale answers are dropped).
    pub side_req: u64,
    /// Watch mode: the looked-up user's sequence is polled and the list refreshed when it moves.
    pub watching: bool,
    /// The last finished reverse lookup, kept for exporting after its window is left.
    pub last_blockers: Option<Blockers>,
}

impl Model {
    pub fn new(connection: Connection, read_only: bool, monochrome: bool, now: u64) -> Model {
        Model {
            connection,
            read_only,
            monochrome,
            width: 80,
            height: 24,
            now,
            ..Model::default()
        }
    }

    /// Whether the terminal is big enough for the layout.
    pub fn fits(&self) -> bool {
        self.width >= 80 && self.height >= 24
    }

    pub fn log(&mut self, level: Level, text: impl Into<String>) {
        self.activity.push(ActivityLine {
            time: crate::display::utc(self.now)[11..19].to_owned(),
            level,
            text: text.into(),
        });
        if self.activity.len() > ACTIVITY_KEEP {
            let extra = self.activity.len() - ACTIVITY_KEEP;
            self.activity.drain(..extra);
        }
    }

    /// Applies a finished item to the table, so the list updates in place.
    pub fn apply_item(&mut self, item: &ItemResult) {
        if self.list.owner.as_ref() != Some(&item.pair.from) {
            return;
        }
        let to = &item.pair.to;
        match (item.status.clone(), self_op(self)) {
            (ItemStatus::Done | ItemStatus::Already, Some(Operation::Unblock)) => {
                let keep = self.list.current().map(|r| r.to.clone());
                self.list.rows.retain(|r| &r.to != to);
                self.list.marks.remove(to);
                self.list.rebuild_view_at(keep);
            }
            (ItemStatus::Done, Some(Operation::Block))
                if !self.list.rows.iter().any(|r| &r.to == to) =>
            {
                self.list.rows.push(Row::new(to.clone(), self.now));
                self.list.rebuild_view();
            }
            _ => {}
        }
    }
}

fn self_op(model: &Model) -> Option<Operation> {
    model.running.as_ref().map(|r| r.op)
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
        let activity = (height / 5).max(5);
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
    pub fn bands(&self) -> Bands {
        Bands::for_height(self.height)
    }
}

impl Blocklist {
    /// The `view` positions a table of `rows` rows shows: from `scroll`, kept inside the current
    /// page and moved just enough for the cursor to be visible. With a valid `scroll` (what
    /// `update` keeps) this is `scroll..scroll + rows`, cut at the page's end; the view draws
    /// exactly this range.
    pub fn window(&self, rows: usize) -> std::ops::Range<usize> {
        let page = self.page_range();
        if page.is_empty() {
            return page.start..page.start;
        }
        let rows = rows.max(1);
        let last = page.end - 1;
        let cursor = self.cursor.clamp(page.start, last);
        let mut start = self.scroll.clamp(page.start, last);
        if cursor < start {
            start = cursor;
        } else if cursor >= start + rows {
            start = cursor + 1 - rows;
        }
        start..(start + rows).min(page.end)
    }
}

impl Model {
    /// Feed lines that fit in the feed pane: its inner height, less the row of the latest burst
    /// alert when there is one. The view draws this many, scrolled by `feed.scroll`.
    pub fn feed_rows(&self) -> usize {
        let alert = u16::from(!self.feed.alerts.is_empty());
        usize::from(self.bands().activity.saturating_sub(2 + alert)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::engine::Progress;

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
        model.list.cursor = 3;
        model.running = Some(Running {
            id: 1,
            op: Operation::Unblock,
            total: 2,
            progress: Progress::default(),
            cancelling: false,
            quit_after: false,
        });
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
}
