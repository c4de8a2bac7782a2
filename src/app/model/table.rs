//! The blocklist table: its rows (raw IDs for calls, sanitized text for the screen), the view
//! through the filter and the sort, the marks, and the cursor in pages of 100.

use std::collections::BTreeSet;
use std::ops::Range;

use super::scroll::{Motion, Scroll};
use crate::client::failure::FailureKind;
use crate::display::sanitize;
use crate::tim::ids::UserId;

/// Rows per blocklist page (`n`/`p`), the size of one black_list_get page.
pub const PAGE_ROWS: usize = 100;

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
    /// When it was added (Unix seconds); in a table of blockers, 0.
    pub added: u64,
    /// In a table of blockers: the block goes both ways.
    pub mutual: bool,
    /// In a table of blockers: the change store named this blocker before it was checked.
    pub recorded: bool,
}

impl Row {
    pub fn new(to: UserId, added: u64) -> Row {
        Row {
            to_shown: sanitize(to.as_str()).into_owned(),
            to,
            nick: None,
            nick_raw: None,
            added,
            mutual: false,
            recorded: false,
        }
    }

    /// Sets the nickname from the service's raw text.
    pub fn set_nick(&mut self, raw: &str) {
        self.nick = Some(sanitize(raw).into_owned());
        self.nick_raw = Some(raw.to_owned());
    }
}

/// How the table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// In the order entries were added (the service's order; blockers: as they were found).
    #[default]
    Added,
    /// Newest first.
    Newest,
    /// By ID.
    Id,
    /// By nickname (rows without one last), then by ID.
    Nick,
}

/// A column of the table, as the header names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Id,
    Nick,
    /// "Blocked since" (a blocklist) or the order found (blockers).
    Added,
}

impl Sort {
    /// The next order `s` gives in a table of `kind` (blockers have no times: no newest first).
    pub fn next_for(self, kind: ListKind) -> Sort {
        match (self, kind) {
            (Sort::Added, ListKind::Blocklist) => Sort::Newest,
            (Sort::Added, ListKind::Blockers) | (Sort::Newest, _) => Sort::Id,
            (Sort::Id, _) => Sort::Nick,
            (Sort::Nick, _) => Sort::Added,
        }
    }

    pub fn next(self) -> Sort {
        self.next_for(ListKind::Blocklist)
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Added => "oldest first",
            Sort::Newest => "newest first",
            Sort::Id => "by ID",
            Sort::Nick => "by nickname",
        }
    }

    /// The label in a table of `kind`.
    pub fn label_for(self, kind: ListKind) -> &'static str {
        match (self, kind) {
            (Sort::Added, ListKind::Blockers) => "as found",
            _ => self.label(),
        }
    }

    /// The column the order follows, and whether it runs downwards (largest first).
    pub fn column(self) -> (Column, bool) {
        match self {
            Sort::Added => (Column::Added, false),
            Sort::Newest => (Column::Added, true),
            Sort::Id => (Column::Id, false),
            Sort::Nick => (Column::Nick, false),
        }
    }
}

/// What the table lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListKind {
    /// The owner's blocklist: the accounts the owner blocks.
    #[default]
    Blocklist,
    /// The reverse lookup's answer: the accounts that block the owner.
    Blockers,
}

/// The blocklist pane.
#[derive(Debug, Clone, Default)]
pub struct Blocklist {
    /// What the rows are: who the owner blocks, or who blocks the owner.
    pub kind: ListKind,
    /// Whose list this is (of blockers: whom they block).
    pub owner: Option<UserId>,
    pub rows: Vec<Row>,
    /// Indices into `rows` that pass the filter, in the sort order.
    pub view: Vec<usize>,
    /// The cursor (a position in `view`) and the first row drawn.
    pub scroll: Scroll,
    /// Marked entries by ID (kept across filtering and sorting).
    pub marks: BTreeSet<UserId>,
    /// Where a `v` range started.
    pub anchor: Option<usize>,
    pub filter: String,
    /// The filter last cleared or replaced, offered again by ↑ on a fresh filter line.
    pub last_filter: String,
    pub sort: Sort,
    /// Every page has arrived.
    pub complete: bool,
    /// A lookup is streaming pages in.
    pub loading: bool,
    /// The list's sequence at the last page.
    pub sequence: u64,
    /// The feed reported a change to this list made elsewhere since it was loaded.
    pub stale: bool,
    /// Pages that arrived for this lookup.
    pub pages_loaded: usize,
    /// Why the lookup stopped before the list was complete.
    pub failure: Option<LoadFailure>,
}

/// A lookup that stopped: what went wrong, after how many pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailure {
    pub kind: FailureKind,
    /// The cause, sanitized.
    pub text: String,
    /// Pages read before it (0: the account itself could not be read).
    pub pages: usize,
}

impl Blocklist {
    /// The cursor's position in `view`.
    pub fn cursor(&self) -> usize {
        self.scroll.cursor
    }

    /// An empty table of the accounts that block `target`, filling as they are found.
    pub fn blockers(target: UserId) -> Blocklist {
        Blocklist {
            kind: ListKind::Blockers,
            owner: Some(target),
            loading: true,
            ..Blocklist::default()
        }
    }

    /// Adds a blocker found by the reverse lookup (once).
    pub fn add_blocker(&mut self, blocker: UserId, mutual: bool, recorded: bool) {
        if self.rows.iter().any(|r| r.to == blocker) {
            return;
        }
        let mut row = Row::new(blocker, 0);
        row.mutual = mutual;
        row.recorded = recorded;
        self.rows.push(row);
        self.rebuild_view();
    }

    /// The view positions of the range `v` started, from its anchor to the cursor.
    pub fn pending_range(&self) -> Option<Range<usize>> {
        let anchor = self.anchor?;
        let last = self.view.len().checked_sub(1)?;
        let (a, b) = (
            anchor.min(self.cursor()).min(last),
            anchor.max(self.cursor()).min(last),
        );
        Some(a..b + 1)
    }

    /// Empties the table for a new lookup of `owner`'s blocklist; marks and filter are kept when
    /// it is the same list again.
    pub fn reset(&mut self, owner: UserId) {
        let same = self.owner.as_ref() == Some(&owner) && self.kind == ListKind::Blocklist;
        self.kind = ListKind::Blocklist;
        self.owner = Some(owner);
        self.rows.clear();
        self.view.clear();
        self.scroll = Scroll::default();
        self.anchor = None;
        self.complete = false;
        self.loading = true;
        self.stale = false;
        self.pages_loaded = 0;
        self.failure = None;
        if !same {
            self.marks.clear();
            self.filter.clear();
        }
    }

    /// Rebuilds `view` after rows, filter or sort changed, keeping the cursor on the same entry.
    pub fn rebuild_view(&mut self) {
        let current = self.current().map(|r| r.to.clone());
        self.rebuild_view_at(current);
    }

    /// Rebuilds `view`, putting the cursor on `keep` if it is still listed (else where it was).
    /// Call this instead of [`Blocklist::rebuild_view`] after `rows` shrank, when `view` is stale.
    pub fn rebuild_view_at(&mut self, keep: Option<UserId>) {
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
            Sort::Nick => view.sort_by(|&a, &b| {
                let (ra, rb) = (&self.rows[a], &self.rows[b]);
                let key = |r: &Row| r.nick.as_ref().map(|n| n.to_lowercase());
                match (key(ra), key(rb)) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
                .then_with(|| ra.to.cmp(&rb.to))
            }),
        }
        self.view = view;
        self.scroll.cursor = keep
            .and_then(|id| self.view.iter().position(|&i| self.rows[i].to == id))
            .unwrap_or(self.scroll.cursor)
            .min(self.view.len().saturating_sub(1));
    }

    /// Filters by `text` (matched in IDs and nicknames, case-insensitively), with a window of
    /// `rows` rows.
    pub fn set_filter(&mut self, text: &str, rows: usize) {
        if !self.filter.is_empty() && text.is_empty() {
            self.last_filter = std::mem::take(&mut self.filter);
        }
        self.filter = text.to_owned();
        self.rebuild_view();
        self.follow(rows);
    }

    /// Orders the table by `sort`, the cursor staying on its entry.
    pub fn set_sort(&mut self, sort: Sort, rows: usize) {
        self.sort = sort;
        self.rebuild_view();
        self.follow(rows);
    }

    /// Moves the cursor, the window following it within its page.
    pub fn move_cursor(&mut self, motion: Motion, rows: usize) {
        self.scroll.select(motion, self.view.len(), rows);
        self.follow(rows);
    }

    /// Puts the cursor on `pos` of the view (clamped), the window following it.
    pub fn move_to(&mut self, pos: usize, rows: usize) {
        self.scroll.cursor = pos;
        self.follow(rows);
    }

    /// Keeps the cursor in the view and in the window. A step of one row past the window's edge
    /// moves the window by one row, across a page boundary too (the terminal scrolls it); a jump
    /// (`n`/`p`, `g`/`G`, a filter) shows the cursor's page from its start.
    pub fn follow(&mut self, rows: usize) {
        let len = self.view.len();
        self.scroll.cursor = self.scroll.cursor.min(len.saturating_sub(1));
        let cursor = self.scroll.cursor;
        let window = self.scroll.window_in(0..len, rows);
        let jumped = cursor + 1 < window.start || cursor > window.end;
        let bounds = if jumped { self.page_range() } else { 0..len };
        self.scroll.follow(len, bounds, rows);
    }

    pub fn current(&self) -> Option<&Row> {
        self.view.get(self.scroll.cursor).map(|&i| &self.rows[i])
    }

    pub fn page(&self) -> usize {
        self.scroll.cursor / PAGE_ROWS
    }

    pub fn pages(&self) -> usize {
        self.view.len().div_ceil(PAGE_ROWS).max(1)
    }

    /// The `view` positions of the current page.
    pub fn page_range(&self) -> Range<usize> {
        let start = self.page() * PAGE_ROWS;
        start..(start + PAGE_ROWS).min(self.view.len())
    }

    /// The `view` positions a table of `rows` rows shows, the cursor in sight. The view draws
    /// exactly this range.
    pub fn window(&self, rows: usize) -> Range<usize> {
        self.scroll.window_in(0..self.view.len(), rows)
    }

    pub fn is_marked(&self, row: &Row) -> bool {
        self.marks.contains(&row.to)
    }

    /// The IDs of the rows in view positions `range`.
    pub fn ids_in(&self, range: Range<usize>) -> Vec<UserId> {
        self.view[range]
            .iter()
            .map(|&i| self.rows[i].to.clone())
            .collect()
    }

    /// The IDs an unblock acts on: the marked ones, or the current row when nothing is marked.
    pub fn targets(&self) -> Vec<UserId> {
        if self.marks.is_empty() {
            return self
                .current()
                .map(|r| vec![r.to.clone()])
                .unwrap_or_default();
        }
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

    /// Takes `to` off the table (it was unblocked), the cursor staying where it was; returns the
    /// row and where it stood.
    pub fn remove(&mut self, to: &UserId) -> Option<(usize, Row)> {
        let keep = self.current().map(|r| r.to.clone());
        let at = self.rows.iter().position(|r| &r.to == to)?;
        let row = self.rows.remove(at);
        self.marks.remove(to);
        self.rebuild_view_at(keep);
        Some((at, row))
    }

    /// Puts `row` back at `pos` of the rows (or at the end), unless it is listed already.
    pub fn insert(&mut self, pos: usize, row: Row) {
        if self.rows.iter().any(|r| r.to == row.to) {
            return;
        }
        let pos = pos.min(self.rows.len());
        self.rows.insert(pos, row);
        self.rebuild_view();
    }

    /// Adds `to` (it was blocked at `now`) unless it is listed already.
    pub fn add(&mut self, to: &UserId, now: u64) {
        if !self.rows.iter().any(|r| &r.to == to) {
            self.rows.push(Row::new(to.clone(), now));
            self.rebuild_view();
        }
    }
}
