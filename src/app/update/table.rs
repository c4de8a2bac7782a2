//! Moving around: focus, the cursor in the table and its pages, scrolling the activity pane, the
//! feed and the help; marks, the sort and the filter.

use tui_input::Input;

use super::super::command::{Args, Command};
use super::super::model::{
    Entry, FeedEntry, Focus, Level, Model, Motion, Overlay, PAGE_ROWS, Scroll,
};
use super::super::msg::Effect;
use crate::display::sanitize;

fn motion_of(command: Command) -> Motion {
    match command {
        Command::Up => Motion::Up,
        Command::Down => Motion::Down,
        Command::Top => Motion::Top,
        Command::Bottom => Motion::Bottom,
        Command::PageUp => Motion::PageUp,
        Command::HalfPageUp => Motion::HalfUp,
        Command::HalfPageDown => Motion::HalfDown,
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
        let items = super::super::help::items(&model.keymap, model.read_only);
        let rows = model.help_rows();
        if let Overlay::Help(scroll) = &mut model.overlay {
            scroll.scroll(motion, items + rows - 1, rows);
        }
        return Vec::new();
    }
    // An opened line and the inspector scroll when they are longer than the screen.
    if let Overlay::Entry(entry) = &model.overlay {
        let (len, rows) = crate::ui::entry_layout(model, entry);
        if let Overlay::Entry(entry) = &mut model.overlay {
            entry.scroll.scroll(motion, len, rows);
        }
        return Vec::new();
    }
    if let Overlay::Inspector(view) = &model.overlay {
        let (len, rows) = crate::ui::inspector_layout(model, view);
        if let Overlay::Inspector(view) = &mut model.overlay {
            view.scroll.scroll(motion, len, rows);
        }
        return Vec::new();
    }
    if matches!(model.overlay, Overlay::History(_)) {
        super::history::motion(model, motion);
        return Vec::new();
    }
    if model.journal.is_some() {
        super::journal::motion(model, motion);
        return Vec::new();
    }
    match model.focus {
        Focus::Feed => {
            let (len, rows) = (model.feed.shown_len(), model.feed_rows());
            model.feed.scroll.log_select(motion, len, rows);
        }
        Focus::Activity => {
            let (len, rows) = (model.activity.lines.len(), model.bands().activity_rows());
            model.activity.scroll.log_select(motion, len, rows);
        }
        Focus::Blocklist | Focus::Lookup => {
            let rows = model.bands().table_rows();
            model.list.move_cursor(motion, rows);
        }
    }
    Vec::new()
}

/// Enter on the activity pane or the feed: the line at the cursor, whole.
pub(super) fn open(model: &mut Model) -> Vec<Effect> {
    let entry = match model.focus {
        Focus::Feed => 'feed: {
            let Some(entry) = model.feed.selected() else {
                return Vec::new();
            };
            let line = match entry {
                FeedEntry::Change(line) => line,
                FeedEntry::Team(team) => {
                    let mut paragraphs = vec![
                        (Level::Info, team.text.clone()),
                        (Level::Info, team.batch.summary_line()),
                    ];
                    paragraphs.push((
                        Level::Info,
                        format!(
                            "from the team's journal: {} lists it, `journal show {}` on the command line",
                            model.keymap.key(Command::Journal),
                            sanitize(team.batch.id.as_str())
                        ),
                    ));
                    break 'feed Entry {
                        title: format!("Team batch · {} UTC", team.time),
                        paragraphs,
                        scroll: Scroll::default(),
                    };
                }
            };
            let event = &line.raw;
            let mut paragraphs = vec![
                (
                    Level::Info,
                    format!("{} {} {}", line.from, line.verb, line.to),
                ),
                (
                    Level::Info,
                    format!(
                        "received {} · platform {}",
                        crate::display::utc(event.received),
                        line.platform
                    ),
                ),
            ];
            if let Some(ip) = &event.client_ip {
                paragraphs.push((Level::Info, format!("client IP {}", sanitize(ip))));
            }
            if let Some(app) = event.sdkappid {
                paragraphs.push((Level::Info, format!("SDKAppID {app}")));
            }
            if line.burst {
                paragraphs.push((
                    Level::Warning,
                    "part of a burst the detector flagged (see the alert on the feed)".to_owned(),
                ));
            }
            Entry {
                title: format!("Change · {} UTC", line.time),
                paragraphs,
                scroll: Scroll::default(),
            }
        }
        _ => {
            let log = &model.activity;
            let Some(line) = log
                .scroll
                .log_cursor(log.lines.len())
                .map(|i| &log.lines[i])
            else {
                return Vec::new();
            };
            let level = match line.level {
                Level::Info => "information",
                Level::Success => "done",
                Level::Warning => "warning",
                Level::Error => "error",
            };
            Entry {
                title: format!("Activity · {} UTC · {level}", line.time),
                paragraphs: vec![(line.level, line.text.clone())],
                scroll: Scroll::default(),
            }
        }
    };
    model.overlay = Overlay::Entry(entry);
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
    let next = model.list.sort.next_for(model.list.kind);
    model.list.set_sort(next, rows);
    Vec::new()
}

/// `/` opens the filter line on the table (on the feed when it has focus); `:filter TEXT` sets
/// it at once.
pub(super) fn filter(model: &mut Model, args: Args) -> Vec<Effect> {
    if model.focus != Focus::Feed {
        model.focus = Focus::Blocklist;
    }
    match args {
        Args::Text(text) => set_filter(model, &text),
        // A fresh filter each time: the one kept is offered by ↑ on the line.
        _ => {
            let kept = if model.focus == Focus::Feed {
                &model.feed.filter
            } else if model.list.filter.is_empty() {
                &model.list.last_filter
            } else {
                &model.list.filter
            };
            model.filter_recall = kept.clone();
            model.overlay = Overlay::Filter(Input::default());
            set_filter(model, "");
        }
    }
    Vec::new()
}

/// ↑ on the filter line: the filter kept before (the feed's: its current one) in place of the
/// text typed.
pub(super) fn recall_filter(model: &mut Model) -> Vec<Effect> {
    let old = model.filter_recall.clone();
    if let Overlay::Filter(input) = &mut model.overlay {
        *input = Input::new(old);
    }
    filter_typed(model);
    Vec::new()
}

fn set_filter(model: &mut Model, text: &str) {
    if model.journal.is_some() {
        super::journal::set_filter(model, text);
        return;
    }
    if model.focus == Focus::Feed {
        model.feed.set_filter(text);
        return;
    }
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
