//! The `:journal` view: reading the team's recent batches (in the worker), the list's cursor,
//! filter and sort, a batch's items, and closing. `U` on a batch is in `batch.rs`, beside the
//! undo of the last batch whose confirmation it shares.

use tui_input::Input;

use super::super::command::Command;
use super::super::model::{
    JOURNAL_LIMIT, JournalBatch, JournalItems, JournalLoad, JournalView, Model, Motion, Overlay,
    Scroll,
};
use super::super::msg::{Effect, Msg};
use crate::client::journal::BatchState;
use crate::display::sanitize;

/// `J` or `:journal`: opens the view and reads the journal (again, when it is open).
pub(super) fn open(model: &mut Model) -> Vec<Effect> {
    model.journal_req += 1;
    let req = model.journal_req;
    match model.journal.as_mut() {
        Some(view) => {
            view.req = req;
            view.since = model.ms;
            view.load = JournalLoad::Loading;
            view.items = None;
        }
        None => model.journal = Some(JournalView::loading(req, model.ms)),
    }
    vec![Effect::LoadJournal {
        req,
        limit: JOURNAL_LIMIT,
    }]
}

/// `r` in the journal: the list read again, or the batch opened.
pub(super) fn refresh(model: &mut Model) -> Vec<Effect> {
    model.journal_req += 1;
    let req = model.journal_req;
    let ms = model.ms;
    let Some(view) = model.journal.as_mut() else {
        return Vec::new();
    };
    view.since = ms;
    match view.items.as_mut() {
        Some(items) => {
            items.req = req;
            items.load = JournalLoad::Loading;
            vec![Effect::LoadJournalBatch {
                req,
                id: items.id.clone(),
            }]
        }
        None => {
            view.req = req;
            view.load = JournalLoad::Loading;
            vec![Effect::LoadJournal {
                req,
                limit: JOURNAL_LIMIT,
            }]
        }
    }
}

/// After a batch of this dashboard ends, an open journal is read again: it holds that batch now.
pub(super) fn after_batch(model: &mut Model) -> Vec<Effect> {
    if model.journal.as_ref().is_some_and(|v| v.items.is_none()) {
        refresh(model)
    } else {
        Vec::new()
    }
}

fn batch_of(model: &Model, state: BatchState) -> JournalBatch {
    JournalBatch::new(state, model.connection.sdkappid, &model.connection.base_url)
}

pub(super) fn on_msg(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let rows = model.journal_rows();
    match msg {
        Msg::Journal { req, result } => {
            if model.journal.as_ref().is_none_or(|v| v.req != req) {
                return Vec::new();
            }
            match result {
                Ok(states) => {
                    let batches: Vec<JournalBatch> =
                        states.into_iter().map(|s| batch_of(model, s)).collect();
                    if let Some(view) = model.journal.as_mut() {
                        view.set_batches(batches, rows);
                    }
                }
                Err(e) => {
                    let text = sanitize(&e.text).into_owned();
                    model.log(
                        crate::app::model::Level::Error,
                        format!("the journal could not be read: {text}"),
                    );
                    if let Some(view) = model.journal.as_mut() {
                        // What was shown before is not the journal any more: nothing is drawn
                        // as if it were.
                        view.batches.clear();
                        view.view.clear();
                        view.scroll = Scroll::default();
                        view.items = None;
                        view.load = JournalLoad::Failed(text);
                    }
                }
            }
        }
        Msg::JournalBatch { req, result } => {
            let fresh = model
                .journal
                .as_ref()
                .and_then(|v| v.items.as_ref())
                .is_some_and(|i| i.req == req && i.load == JournalLoad::Loading);
            if !fresh {
                return Vec::new();
            }
            let batch = result.map(|s| batch_of(model, s));
            let Some(view) = model.journal.as_mut() else {
                return Vec::new();
            };
            match batch {
                Ok(batch) => {
                    let lines = batch.item_lines();
                    view.replace(batch);
                    if let Some(items) = view.items.as_mut() {
                        items.lines = lines;
                        items.load = JournalLoad::Loaded;
                    }
                }
                Err(e) => {
                    if let Some(items) = view.items.as_mut() {
                        items.lines.clear();
                        items.scroll = Scroll::default();
                        items.load = JournalLoad::Failed(sanitize(&e.text).into_owned());
                    }
                }
            }
        }
        _ => {}
    }
    Vec::new()
}

/// A moving key in the journal: the list's cursor, or the opened batch's window.
pub(super) fn motion(model: &mut Model, motion: Motion) {
    let (rows, item_rows) = (model.journal_rows(), model.journal_item_rows());
    let Some(view) = model.journal.as_mut() else {
        return;
    };
    match view.items.as_mut() {
        Some(items) => items.scroll.scroll(motion, items.lines.len(), item_rows),
        None => view.move_cursor(motion, rows),
    }
}

/// Enter on a batch: its items.
pub(super) fn open_items(model: &mut Model) -> Vec<Effect> {
    let Some(view) = model.journal.as_mut() else {
        return Vec::new();
    };
    let Some(batch) = view.current() else {
        return Vec::new();
    };
    view.items = Some(JournalItems {
        id: batch.state.id().to_string(),
        lines: batch.item_lines(),
        scroll: Scroll::default(),
        req: 0,
        load: JournalLoad::Loaded,
    });
    Vec::new()
}

/// Esc: from a batch's items back to the list (at the same row), from the list out.
pub(super) fn close(model: &mut Model) -> Vec<Effect> {
    if let Some(view) = model.journal.as_mut()
        && view.items.take().is_none()
    {
        model.journal = None;
    }
    Vec::new()
}

pub(super) fn sort(model: &mut Model) {
    let rows = model.journal_rows();
    if let Some(view) = model.journal.as_mut() {
        let next = view.sort.next();
        view.set_sort(next, rows);
    }
}

/// `/` opens the filter line over the list; `:filter TEXT` sets it at once.
pub(super) fn filter(model: &mut Model, text: Option<String>) {
    match text {
        Some(text) => set_filter(model, &text),
        None => {
            let current = model
                .journal
                .as_ref()
                .map(|v| v.filter.clone())
                .unwrap_or_default();
            model.overlay = Overlay::Filter(Input::new(current));
        }
    }
}

pub(super) fn set_filter(model: &mut Model, text: &str) {
    let rows = model.journal_rows();
    if let Some(view) = model.journal.as_mut() {
        view.set_filter(text, rows);
    }
}

/// Keeps the list's cursor and window valid after a resize.
pub(super) fn follow(model: &mut Model) {
    let rows = model.journal_rows();
    if let Some(view) = model.journal.as_mut() {
        view.follow(rows);
    }
}

/// Whether `command` acts on the journal rather than on the panes beneath it.
pub(super) fn owns(model: &Model, command: Command) -> bool {
    // A history opened over the journal has these keys to itself.
    model.journal.is_some()
        && !matches!(model.overlay, Overlay::History(_))
        && matches!(
            command,
            Command::Refresh | Command::Sort | Command::Filter | Command::Open
        )
}
