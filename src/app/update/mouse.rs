//! The mouse: a left click focuses the pane under the pointer and puts the cursor on the row
//! clicked; the wheel scrolls the pane under the pointer by [`WHEEL_ROWS`]. Where a click lands
//! comes from [`layout::spot`], the geometry the view draws with.
//!
//! A click never answers anything: over a popup (a confirmation above all) or a line being
//! typed it does nothing, wherever it lands. The wheel scrolls the windows that scroll by key
//! (the help, an opened line, the inspector).

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::super::layout::{self, Spot};
use super::super::model::{Focus, Model, Motion, Overlay};
use super::super::msg::Effect;

/// Rows one notch of the wheel scrolls.
pub const WHEEL_ROWS: usize = 3;

pub(super) fn on_mouse(model: &mut Model, event: MouseEvent) -> Vec<Effect> {
    if !model.fits() {
        return Vec::new();
    }
    let (x, y) = (event.column, event.row);
    match event.kind {
        MouseEventKind::Down(MouseButton::Left) => click(model, x, y),
        MouseEventKind::ScrollDown => wheel(model, x, y, true),
        MouseEventKind::ScrollUp => wheel(model, x, y, false),
        _ => {}
    }
    Vec::new()
}

/// Whether the panes (or the view in their place) are what a click reaches: no popup, no line
/// being typed.
fn panes_reachable(model: &Model) -> bool {
    matches!(model.overlay, Overlay::None | Overlay::History(_))
}

fn click(model: &mut Model, x: u16, y: u16) {
    if !panes_reachable(model) {
        return;
    }
    model.notice = None;
    match layout::spot(model, x, y) {
        Spot::Nothing | Spot::JournalItems => {}
        Spot::Lookup => model.focus = Focus::Lookup,
        Spot::Table(row) => {
            model.focus = Focus::Blocklist;
            if let Some(pos) = row {
                let rows = table_rows(model);
                model.list.move_to(pos, rows);
            }
        }
        Spot::Activity(line) => {
            model.focus = Focus::Activity;
            if let Some(pos) = line {
                let (len, rows) = (model.activity.lines.len(), model.bands().activity_rows());
                model.activity.scroll.log_pick(pos, len, rows);
            }
        }
        Spot::Feed(line) => {
            model.focus = Focus::Feed;
            if let Some(pos) = line {
                let (len, rows) = (model.feed.shown_len(), model.feed_rows());
                model.feed.scroll.log_pick(pos, len, rows);
            }
        }
        Spot::Journal(Some(pos)) => {
            let rows = model.journal_rows();
            if let Some(view) = model.journal.as_mut() {
                view.scroll.cursor = pos;
                view.follow(rows);
            }
        }
        Spot::History(Some(pos)) => {
            let rows = model.history_rows();
            if let Overlay::History(view) = &mut model.overlay {
                let len = view.lines.len();
                view.scroll.cursor = pos;
                view.scroll.follow(len, 0..len, rows);
            }
        }
        Spot::Journal(None) | Spot::History(None) => {}
    }
}

/// The rows the table shows, as the view draws them.
fn table_rows(model: &Model) -> usize {
    usize::from(layout::table_body(layout::screen(model).list).height)
}

fn wheel(model: &mut Model, x: u16, y: u16, down: bool) {
    let motion = if down { Motion::Down } else { Motion::Up };
    // Windows on top that scroll by key scroll by the wheel too, wherever the pointer is.
    match &model.overlay {
        Overlay::Help(_) => {
            let items = super::super::help::items(&model.keymap, model.read_only);
            let rows = model.help_rows();
            if let Overlay::Help(scroll) = &mut model.overlay {
                for _ in 0..WHEEL_ROWS {
                    scroll.scroll(motion, items + rows - 1, rows);
                }
            }
            return;
        }
        Overlay::Entry(entry) => {
            let (len, rows) = crate::ui::entry_layout(model, entry);
            if let Overlay::Entry(entry) = &mut model.overlay {
                for _ in 0..WHEEL_ROWS {
                    entry.scroll.scroll(motion, len, rows);
                }
            }
            return;
        }
        Overlay::Inspector(view) => {
            let (len, rows) = crate::ui::inspector_layout(model, view);
            if let Overlay::Inspector(view) = &mut model.overlay {
                for _ in 0..WHEEL_ROWS {
                    view.scroll.scroll(motion, len, rows);
                }
            }
            return;
        }
        _ if !panes_reachable(model) => return,
        _ => {}
    }
    match layout::spot(model, x, y) {
        Spot::Nothing | Spot::Lookup => {}
        Spot::Table(_) => {
            let rows = table_rows(model);
            let len = model.list.view.len();
            model.list.scroll.wheel(down, WHEEL_ROWS, len, rows);
            model.list.follow(rows);
        }
        Spot::Activity(_) => {
            let (len, rows) = (model.activity.lines.len(), model.bands().activity_rows());
            model.activity.scroll.log_wheel(down, WHEEL_ROWS, len, rows);
        }
        Spot::Feed(_) => {
            let (len, rows) = (model.feed.shown_len(), model.feed_rows());
            model.feed.scroll.log_wheel(down, WHEEL_ROWS, len, rows);
        }
        Spot::Journal(_) => {
            let rows = model.journal_rows();
            if let Some(view) = model.journal.as_mut() {
                view.scroll.wheel(down, WHEEL_ROWS, view.view.len(), rows);
                view.follow(rows);
            }
        }
        Spot::JournalItems => {
            let rows = model.journal_item_rows();
            if let Some(items) = model.journal.as_mut().and_then(|j| j.items.as_mut()) {
                for _ in 0..WHEEL_ROWS {
                    items.scroll.scroll(motion, items.lines.len(), rows);
                }
            }
        }
        Spot::History(_) => {
            let rows = model.history_rows();
            if let Overlay::History(view) = &mut model.overlay {
                let len = view.lines.len();
                view.scroll.wheel(down, WHEEL_ROWS, len, rows);
                view.scroll.follow(len, 0..len, rows);
            }
        }
    }
}
