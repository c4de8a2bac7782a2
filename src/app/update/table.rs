//! Moving around: focus, the cursor in the table and its pages, scrolling the activity pane, the
//! feed and the help; marks, the sort and the filter.

use tui_input::Input;

use super::super::command::{Args, Command};
use super::super::model::{Focus, Model, Motion, Overlay, PAGE_ROWS};
use super::super::msg::Effect;

fn motion_of(command: Command) -> Motion {
    match command {
        Command::Up => Motion::Up,
        Command::Down => Motion::Down,
        Command::Top => Motion::Top,
        Command::Bottom => Motion::Bottom,
        Command::PageUp => Motion::PageUp,
        _ => Motion::PageDown,
    }
}

/// Keeps the table's cursor and window valid (after a resize or a change of rows).
pub(super) fn follow(model: &mut Model) {
    let rows = model.bands().table_rows();
    model.list.follow(rows);
}

pub(super) fn focus(model: &mut Model, command: Command) -> Vec<Effect> {
    model.focus = if command == Command::FocusNext {
        model.focus.next()
    } else {
        model.focus.prev()
    };
    Vec::new()
}

/// A moving key: the help's window when it is open, else the pane with focus.
pub(super) fn motion(model: &mut Model, command: Command) -> Vec<Effect> {
    let motion = motion_of(command);
    if matches!(model.overlay, Overlay::Help(_)) {
        // The help scrolls by item (a heading, a key, a command), one item per step.
        let items = super::super::help::items(model.read_only);
        let rows = model.help_rows();
        if let Overlay::Help(scroll) = &mut model.overlay {
            scroll.scroll(motion, items + rows - 1, rows);
        }
        return Vec::new();
    }
    match model.focus {
        Focus::Feed => {
            let (len, rows) = (model.feed.lines.len(), model.feed_rows());
            model.feed.scroll.scroll(motion, len, rows);
        }
        Focus::Activity => {
            let (len, rows) = (model.activity.lines.len(), model.bands().activity_rows());
            model.activity.scroll.scroll(motion, len, rows);
        }
        Focus::Blocklist | Focus::Lookup => {
            let rows = model.bands().table_rows();
            model.list.move_cursor(motion, rows);
        }
    }
    Vec::new()
}

/// `n`/`p`: the first row of the next or previous page of 100.
pub(super) fn page(model: &mut Model, command: Command) -> Vec<Effect> {
    let list = &mut model.list;
    let page = list.page();
    let target = if command == Command::NextPage {
        (page + 1).min(list.pages() - 1)
    } else {
        page.saturating_sub(1)
    };
    let rows = model.bands().table_rows();
    model.list.move_to(target * PAGE_ROWS, rows);
    Vec::new()
}

pub(super) fn marks(model: &mut Model, command: Command) -> Vec<Effect> {
    let list = &mut model.list;
    match command {
        Command::Mark => {
            if let Some(row) = list.current() {
                let id = row.to.clone();
                if !list.marks.remove(&id) {
                    list.marks.insert(id);
                }
                return motion(model, Command::Down);
            }
        }
        Command::MarkRange => match list.anchor.take() {
            // The view emptied (a filter) since the range began: nothing to mark.
            _ if list.view.is_empty() => {}
            None => list.anchor = Some(list.cursor()),
            Some(anchor) => {
                let last = list.view.len() - 1;
                let (a, b) = (
                    anchor.min(list.cursor()).min(last),
                    anchor.max(list.cursor()).min(last),
                );
                let ids = list.ids_in(a..b + 1);
                list.marks.extend(ids);
            }
        },
        Command::MarkAll => {
            let ids = list.ids_in(0..list.view.len());
            list.marks.extend(ids);
        }
        _ => {
            list.marks.clear();
            list.anchor = None;
        }
    }
    Vec::new()
}

pub(super) fn sort(model: &mut Model) -> Vec<Effect> {
    let rows = model.bands().table_rows();
    let next = model.list.sort.next();
    model.list.set_sort(next, rows);
    Vec::new()
}

/// `/` opens the filter line on the table; `:filter TEXT` sets it at once.
pub(super) fn filter(model: &mut Model, args: Args) -> Vec<Effect> {
    model.focus = Focus::Blocklist;
    match args {
        Args::Text(text) => set_filter(model, &text),
        _ => model.overlay = Overlay::Filter(Input::new(model.list.filter.clone())),
    }
    Vec::new()
}

fn set_filter(model: &mut Model, text: &str) {
    let rows = model.bands().table_rows();
    model.list.set_filter(text, rows);
}

/// The filter line changed: the table filters as it is typed.
pub(super) fn filter_typed(model: &mut Model) {
    if let Overlay::Filter(input) = &model.overlay {
        let text = input.value().to_owned();
        set_filter(model, &text);
    }
}

/// Enter on the filter line: the filter stays.
pub(super) fn keep_filter(model: &mut Model, text: &str) -> Vec<Effect> {
    set_filter(model, text);
    Vec::new()
}

pub(super) fn clear_filter(model: &mut Model) {
    set_filter(model, "");
}
