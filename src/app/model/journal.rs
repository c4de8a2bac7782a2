//! The `:journal` view: the team's recent batches as the journal holds them, filtered and
//! sorted like the blocklist table, and one batch's items. Journal text is untrusted: every
//! string shown is sanitized once, here, when the batches arrive; the raw batch is kept for
//! filtering and for an undo.

use std::collections::HashSet;

use super::scroll::{Motion, Scroll};
use crate::client::journal::{BatchState, Counts, same_endpoint};
use crate::client::{ItemStatus, Operation, Pair};
use crate::display::{sanitize, utc};

/// Batches read from the journal, newest first.
pub const JOURNAL_LIMIT: usize = 500;

/// Whether something read from the journal has arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalLoad {
    /// Being read (since [`JournalView::since`]).
    Loading,
    /// It could not be read: why (sanitized). Nothing is drawn as data.
    Failed(String),
    Loaded,
}

/// How the batch list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JournalSort {
    #[default]
    Newest,
    Oldest,
    /// By moderator, newest first within each.
    Moderator,
}

impl JournalSort {
    pub fn next(self) -> JournalSort {
        match self {
            JournalSort::Newest => JournalSort::Oldest,
            JournalSort::Oldest => JournalSort::Moderator,
            JournalSort::Moderator => JournalSort::Newest,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JournalSort::Newest => "newest first",
            JournalSort::Oldest => "oldest first",
            JournalSort::Moderator => "by moderator",
        }
    }
}

/// One batch of the list: the raw state, and its text for the screen (sanitized).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalBatch {
    pub state: BatchState,
    pub id_shown: String,
    /// `2026-11-22 01:35:00Z`.
    pub when: String,
    /// The moderator, with the OS account beside it when different.
    pub who: String,
    pub counts: Counts,
    /// `completed`, `not ended`, … with `· resumed 2×` when resumed.
    pub state_shown: String,
    /// `reason "…", ticket T`, or empty.
    pub why: String,
    /// Whether it was made on the app the dashboard is connected to.
    pub this_app: bool,
    /// The pairs it changed (status done), in intent order: what an undo reverses.
    pub changed: Vec<Pair>,
}

impl JournalBatch {
    /// The batch for the screen; `sdkappid` and `base_url` are the dashboard's app.
    pub fn new(state: BatchState, sdkappid: u64, base_url: &str) -> JournalBatch {
        let intent = &state.intent;
        let moderator = state.moderator();
        let who = if moderator != intent.os_user {
            format!("{} ({})", sanitize(moderator), sanitize(&intent.os_user))
        } else {
            sanitize(moderator).into_owned()
        };
        let mut state_shown = state.state_label();
        if !state.resumes.is_empty() {
            state_shown.push_str(&format!(" · resumed {}×", state.resumes.len()));
        }
        let why = if intent.why.is_given() {
            sanitize(&intent.why.describe()).into_owned()
        } else {
            String::new()
        };
        JournalBatch {
            id_shown: sanitize(state.id().as_str()).into_owned(),
            when: utc(intent.time),
            who,
            counts: state.counts(),
            state_shown,
            why,
            this_app: intent.sdkappid == sdkappid && same_endpoint(&intent.base_url, base_url),
            changed: changed_pairs(&state),
            state,
        }
    }

    pub fn op(&self) -> Operation {
        self.state.intent.operation
    }

    /// Whether the batch passes `filter`: its moderator (or OS account, or a resumer's), its
    /// reason or ticket, its ID, or a UserID it touches.
    pub fn matches(&self, filter: &str) -> bool {
        if filter.is_empty() {
            return true;
        }
        let needle = filter.to_lowercase();
        let state = &self.state;
        state.is_by(filter)
            || state.moderator().to_lowercase().contains(&needle)
            || state.intent.os_user.to_lowercase().contains(&needle)
            || state.mentions(filter)
            || state.id().as_str().to_lowercase().contains(&needle)
            || state.touches(filter)
    }

    /// Every target once, in intent order, with how it stands (sanitized).
    pub fn item_lines(&self) -> Vec<ItemLine> {
        let mut seen = HashSet::with_capacity(self.state.intent.targets.len());
        self.state
            .intent
            .targets
            .iter()
            .filter(|p| seen.insert(*p))
            .map(|pair| {
                let item = self.state.items.get(pair);
                let (status, failed) = match item.map(|i| &i.status) {
                    None | Some(ItemStatus::Unfinished) => ("pending".to_owned(), false),
                    Some(ItemStatus::Done) => ("done".to_owned(), false),
                    Some(ItemStatus::Already) => ("already".to_owned(), false),
                    Some(ItemStatus::Relation {
                        a_blocks_b,
                        b_blocks_a,
                    }) => {
                        let mut s = if *a_blocks_b { "blocks" } else { "no block" }.to_owned();
                        match b_blocks_a {
                            Some(true) => s.push_str(", blocked back"),
                            Some(false) => s.push_str(", not back"),
                            None => {}
                        }
                        (s, false)
                    }
                    Some(ItemStatus::Failed { .. }) => ("failed".to_owned(), true),
                };
                let (code, info) = match item {
                    Some(i) => match &i.status {
                        ItemStatus::Failed { code, info } => (Some(*code), info.as_str()),
                        _ if i.code != 0 || !i.info.is_empty() => (Some(i.code), i.info.as_str()),
                        _ => (None, ""),
                    },
                    None => (None, ""),
                };
                let code_shown = match code {
                    // A failure's code is named; another answer's code is only reported.
                    Some(code) if !failed => code.to_string(),
                    Some(code) => {
                        let name = crate::tim::codes::lookup(code).name;
                        if name.is_empty() {
                            code.to_string()
                        } else {
                            format!("{code} {name}")
                        }
                    }
                    None => String::new(),
                };
                ItemLine {
                    pair: pair.to_string(),
                    status,
                    failed,
                    code: code_shown,
                    info: sanitize(info).into_owned(),
                }
            })
            .collect()
    }
}

/// The pairs `state` changed: those whose latest record is `done` (not already so, not a
/// check, not failed, not pending), each once, in intent order.
pub fn changed_pairs(state: &BatchState) -> Vec<Pair> {
    let mut seen = HashSet::with_capacity(state.intent.targets.len());
    state
        .intent
        .targets
        .iter()
        .filter(|p| seen.insert(*p))
        .filter(|p| {
            state
                .items
                .get(*p)
                .is_some_and(|i| i.status == ItemStatus::Done)
        })
        .cloned()
        .collect()
}

/// One item of a batch, for the screen (sanitized).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemLine {
    /// `from → to`.
    pub pair: String,
    /// `done`, `already`, `failed`, `pending`, or a check's answer.
    pub status: String,
    pub failed: bool,
    /// `30003 AccountNotFound`, or empty.
    pub code: String,
    pub info: String,
}

/// A batch opened from the list (Enter): its items, scrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalItems {
    /// The batch's raw ID (its place in the list may change when the list is read again).
    pub id: String,
    pub lines: Vec<ItemLine>,
    pub scroll: Scroll,
    /// `r` reads the batch again: request `req`.
    pub req: u64,
    pub load: JournalLoad,
}

/// The `:journal` view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalView {
    /// The read in progress or last answered; older answers are dropped.
    pub req: u64,
    /// When the latest read started (the model's `ms`).
    pub since: u64,
    pub load: JournalLoad,
    pub batches: Vec<JournalBatch>,
    /// Indices into `batches` that pass the filter, in the sort order.
    pub view: Vec<usize>,
    pub scroll: Scroll,
    pub filter: String,
    pub sort: JournalSort,
    /// The batch opened, if any.
    pub items: Option<JournalItems>,
}

impl JournalView {
    /// A view waiting for read `req`.
    pub fn loading(req: u64, since: u64) -> JournalView {
        JournalView {
            req,
            since,
            load: JournalLoad::Loading,
            batches: Vec::new(),
            view: Vec::new(),
            scroll: Scroll::default(),
            filter: String::new(),
            sort: JournalSort::default(),
            items: None,
        }
    }

    /// The batch at the cursor.
    pub fn current(&self) -> Option<&JournalBatch> {
        self.view.get(self.scroll.cursor).map(|&i| &self.batches[i])
    }

    /// The batch that `U` acts on: the one opened, else the one at the cursor.
    pub fn selected(&self) -> Option<&JournalBatch> {
        match &self.items {
            Some(items) => self.find(&items.id),
            None => self.current(),
        }
    }

    pub fn find(&self, id: &str) -> Option<&JournalBatch> {
        self.batches.iter().find(|b| b.state.id().as_str() == id)
    }

    /// The batches as read, replacing those shown; the cursor stays on its batch.
    pub fn set_batches(&mut self, batches: Vec<JournalBatch>, rows: usize) {
        let keep = self.current().map(|b| b.state.id().clone());
        self.batches = batches;
        self.load = JournalLoad::Loaded;
        self.rebuild(keep.as_ref().map(|id| id.as_str()), rows);
    }

    /// Replaces one batch read again (if it is listed).
    pub fn replace(&mut self, batch: JournalBatch) {
        if let Some(slot) = self
            .batches
            .iter_mut()
            .find(|b| b.state.id() == batch.state.id())
        {
            *slot = batch;
        }
    }

    /// Rebuilds `view` after the batches, the filter or the sort changed, the cursor on `keep`
    /// if it is still listed.
    fn rebuild(&mut self, keep: Option<&str>, rows: usize) {
        let mut view: Vec<usize> = (0..self.batches.len())
            .filter(|&i| self.batches[i].matches(&self.filter))
            .collect();
        // The batches come newest first in the journal's order; the sorts are stable, so that
        // batches started in the same second keep the order they were started in.
        let time = |i: usize| self.batches[i].state.intent.time;
        match self.sort {
            JournalSort::Newest => view.sort_by_key(|&i| std::cmp::Reverse(time(i))),
            JournalSort::Oldest => {
                view.reverse();
                view.sort_by_key(|&i| time(i));
            }
            JournalSort::Moderator => {
                view.sort_by_key(|&i| std::cmp::Reverse(time(i)));
                view.sort_by_cached_key(|&i| self.batches[i].state.moderator().to_lowercase());
            }
        }
        self.view = view;
        if let Some(pos) = keep.and_then(|id| {
            self.view
                .iter()
                .position(|&i| self.batches[i].state.id().as_str() == id)
        }) {
            self.scroll.cursor = pos;
        }
        self.follow(rows);
    }

    fn keep(&self) -> Option<String> {
        self.current().map(|b| b.state.id().to_string())
    }

    pub fn set_filter(&mut self, text: &str, rows: usize) {
        let keep = self.keep();
        self.filter = text.to_owned();
        self.rebuild(keep.as_deref(), rows);
    }

    pub fn set_sort(&mut self, sort: JournalSort, rows: usize) {
        let keep = self.keep();
        self.sort = sort;
        self.rebuild(keep.as_deref(), rows);
    }

    pub fn move_cursor(&mut self, motion: Motion, rows: usize) {
        self.scroll.select(motion, self.view.len(), rows);
        self.follow(rows);
    }

    /// Keeps the cursor in the view and the window on it.
    pub fn follow(&mut self, rows: usize) {
        let len = self.view.len();
        self.scroll.follow(len, 0..len, rows);
    }

    /// The `view` positions a window of `rows` rows shows.
    pub fn window(&self, rows: usize) -> std::ops::Range<usize> {
        self.scroll.window_in(0..self.view.len(), rows)
    }
}
