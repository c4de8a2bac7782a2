//! The blocklist pane: a title that says what is shown, and a table of the visible part of the
//! current page. Only the rows on screen are built, whatever the size of the list.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::text::{clip, fit, scrub, width, wrap};
use super::theme::Theme;
use crate::app::command::{Command, Keymap};
use crate::app::model::{Blockers, Column, Focus, ListKind, LoadFailure, Model};
use crate::display::{ago, sanitize, utc};

/// Width of the "blocked since" column: `364d ago 2026-11-22 01:35:00Z`.
const SINCE: u16 = 29;
/// Widest To_Account column (a UserID is at most 32 bytes).
const ID_MAX: u16 = 32;
/// Width of a blocker's relation: `both ways`.
const RELATION: u16 = 9;
/// Width of where a blocker was found: `◷ history`.
const FOUND: u16 = 9;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let list = &model.list;
    let focused = model.focus == Focus::Blocklist;
    let (prefix, style) = theme.title_prefix(focused);
    let room = usize::from(area.width.saturating_sub(2));
    let title = title(prefix, model, room);
    let mut block = theme.pane(vec![Span::styled(title, style)], focused);
    if let (ListKind::Blockers, Some(view)) = (list.kind, &model.reverse) {
        let (text, bad) = reverse_footer(view, model.keymap.key(Command::Export));
        let text = format!(" {} ", fit(&text, room.saturating_sub(4)));
        let style = if bad { theme.warning } else { theme.dim };
        block = block.title_bottom(Line::styled(text, style));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 || inner.width < 10 {
        return;
    }

    let text_area = Rect {
        x: inner.x + 2,
        width: inner.width - 2,
        ..inner
    };
    if list.rows.is_empty()
        && let Some(failure) = &list.failure
    {
        // A list that could not be read is said so where it would be, never shown as empty.
        failed(failure, &model.keymap, theme, frame, text_area);
        return;
    }
    if list.view.is_empty() {
        let text = if let (ListKind::Blockers, Some(view)) = (list.kind, &model.reverse) {
            let target = sanitize(view.target.as_str());
            match (&view.error, view.done, list.rows.is_empty()) {
                (Some(e), _, true) => format!("✗ {e}"),
                (_, false, true) if view.total == 0 => format!(
                    "gathering candidates…{}",
                    super::text::waiting(model, Some(model.side_since))
                ),
                (_, false, true) => format!(
                    "checking… none found yet{}",
                    super::text::waiting(model, Some(model.side_since))
                ),
                (_, true, true) => format!("nobody among the candidates blocks {target}"),
                _ => "no entry matches the filter".to_owned(),
            }
        } else if list.owner.is_none() {
            format!(
                "look a user up: type an ID and press {}",
                model.keymap.key(Command::Submit)
            )
        } else if list.loading && list.rows.is_empty() {
            format!(
                "loading…{}",
                super::text::waiting(model, model.lookup_since)
            )
        } else if list.rows.is_empty() {
            "no entries".to_owned()
        } else {
            "no entry matches the filter".to_owned()
        };
        let line = Line::styled(
            fit(&text, usize::from(inner.width - 2)).into_owned(),
            theme.dim,
        );
        frame.render_widget(
            Paragraph::new(line),
            Rect {
                height: 1,
                ..text_area
            },
        );
        return;
    }

    // Exact column widths, so that every cell is cut with an ellipsis rather than clipped.
    let blockers = list.kind == ListKind::Blockers;
    // Room for the sort's mark after "Found by" too.
    let last_w = if blockers {
        RELATION + 1 + FOUND + 2
    } else {
        SINCE
    };
    let fixed = 1 + 3 + last_w + 4;
    let flexible = inner.width.saturating_sub(fixed);
    let id_w = (flexible * 2 / 5).clamp(flexible.min(12), ID_MAX);
    let nick_w = flexible - id_w;
    let widths = [
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(id_w),
        Constraint::Length(nick_w),
        Constraint::Length(last_w),
    ];
    // The sorted column says so, with its direction.
    let (sorted, down) = list.sort.column();
    let heading = |name: &str, column: Column, w: u16| -> String {
        let mark = if sorted == column {
            if down { " ▼" } else { " ▲" }
        } else {
            ""
        };
        fit(&format!("{name}{mark}"), usize::from(w)).into_owned()
    };
    let (id_name, last_name) = if blockers {
        (
            "Blocker",
            format!(
                "{:<RELATION$} Found by",
                "Relation",
                RELATION = usize::from(RELATION)
            ),
        )
    } else {
        ("To_Account", "Blocked since".to_owned())
    };
    let header = Row::new([
        Cell::from(""),
        Cell::from(""),
        Cell::from(heading(id_name, Column::Id, id_w)),
        Cell::from(heading("Nickname", Column::Nick, nick_w)),
        Cell::from(heading(&last_name, Column::Added, last_w)),
    ])
    .style(theme.heading);

    // The rows a click maps back to (see `app::layout`).
    let rows_shown = usize::from(crate::app::layout::table_body(area).height);
    let window = list.window(rows_shown);
    let pending = list.pending_range();
    let rows = window.map(|pos| {
        let row = &list.rows[list.view[pos]];
        let marked = list.is_marked(row);
        let in_range = pending.as_ref().is_some_and(|r| r.contains(&pos));
        let at_cursor = pos == list.cursor();
        let style = if marked { theme.marked_row } else { theme.text };
        // The cursor highlights the marker and the ID's text, not the whole row nor the column's
        // padding: moving it then rewrites two short runs of cells, a small fraction of a row over
        // a slow link.
        let cursor_style = if at_cursor {
            style.patch(if focused {
                theme.cursor
            } else {
                theme.cursor_idle
            })
        } else {
            style
        };
        let marker = if at_cursor && focused { ">" } else { " " };
        let mark = if marked {
            Cell::from(Span::styled("[x]", theme.marked_box))
        } else if in_range {
            // The range `v` began: what the next `v` marks.
            Cell::from(Span::styled("[v]", theme.marked_box))
        } else {
            Cell::from("[ ]")
        };
        let since = if blockers {
            let relation = if row.mutual { "both ways" } else { "one way" };
            let found = if row.recorded { "◷ history" } else { "sweep" };
            format!(
                "{relation:<RELATION$} {found}",
                RELATION = usize::from(RELATION)
            )
        } else {
            format!("{:<8} {}", ago(row.added, model.now), utc(row.added))
        };
        Row::new([
            Cell::from(marker).style(cursor_style),
            mark,
            Cell::from(Span::styled(
                clip(&row.to_shown, usize::from(id_w)),
                cursor_style,
            )),
            Cell::from(clip(row.nick.as_deref().unwrap_or(""), usize::from(nick_w))),
            Cell::from(fit(&since, usize::from(last_w)).into_owned()),
        ])
        .style(style)
    });
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, inner);
}

/// The title's facts after `Blocklist of <owner> — `, each with a rank: when the title is too
/// wide, facts are dropped from the highest rank down (sort first; marks and filter never).
/// The cause of a failed lookup, what to do, and `r`, wrapped in the table's place.
fn failed(failure: &LoadFailure, keymap: &Keymap, theme: &Theme, frame: &mut Frame, area: Rect) {
    let room = usize::from(area.width).max(1);
    let refresh = keymap.key(Command::Refresh);
    let head = if failure.pages == 0 {
        format!("✗ the lookup failed: {}", failure.kind.label())
    } else {
        format!(
            "✗ reading the list stopped at page {}: {}",
            failure.pages + 1,
            failure.kind.label()
        )
    };
    let mut lines: Vec<Line> = wrap(&head, room)
        .into_iter()
        .map(|l| Line::styled(l, theme.error))
        .collect();
    lines.extend(wrap(&failure.text, room).into_iter().map(Line::raw));
    lines.push(Line::raw(""));
    let remedy = format!("{}; {refresh} tries again", failure.kind.remedy());
    lines.extend(
        wrap(&remedy, room)
            .into_iter()
            .map(|l| Line::styled(l, theme.dim)),
    );
    frame.render_widget(Paragraph::new(lines), area);
}

fn title_parts(model: &Model) -> Vec<(u8, String)> {
    let list = &model.list;
    let refresh = model.keymap.key(Command::Refresh);
    if let (ListKind::Blockers, Some(view)) = (list.kind, &model.reverse) {
        return reverse_parts(model, view);
    }
    // A lookup that failed before any page came has nothing to count, page or sort.
    if list.failure.as_ref().is_some_and(|f| f.pages == 0) {
        return vec![(0, format!("lookup failed: {refresh} tries again"))];
    }
    let state = if list.complete {
        "complete".to_owned()
    } else if list.loading {
        "loading…".to_owned()
    } else if let Some(f) = &list.failure {
        format!("page {} failed: {refresh} tries again", f.pages + 1)
    } else {
        "incomplete".to_owned()
    };
    let mut parts = vec![
        (2, format!("loaded {}", list.rows.len())),
        (if list.failure.is_some() { 0 } else { 1 }, state),
        (3, format!("page {}/{}", list.page() + 1, list.pages())),
    ];
    table_parts(model, &mut parts);
    if list.stale {
        parts.push((0, format!("changed elsewhere: {refresh} refreshes")));
    }
    parts
}

/// What every table's title says of its sort, filter, marks and the range begun.
fn table_parts(model: &Model, parts: &mut Vec<(u8, String)>) {
    let list = &model.list;
    parts.push((4, format!("sort {}", list.sort.label_for(list.kind))));
    if !list.filter.is_empty() {
        parts.push((0, format!("filter \"{}\"", scrub(&list.filter))));
    }
    if !list.marks.is_empty() {
        parts.push((0, format!("{} marked", list.marks.len())));
    }
    if let Some(range) = list.pending_range() {
        let v = model.keymap.key(Command::MarkRange);
        let esc = model.keymap.key(Command::Back);
        parts.push((
            0,
            format!("range of {}: {v} marks it, {esc} cancels", range.len()),
        ));
    }
}

/// The title's facts for a table of blockers: how many, how far the checks are.
fn reverse_parts(model: &Model, view: &Blockers) -> Vec<(u8, String)> {
    let list = &model.list;
    let state = match (&view.error, view.done) {
        (Some(_), _) => "stopped".to_owned(),
        (None, true) => format!("complete: {} checked", view.checked),
        (None, false) if view.total == 0 => "gathering candidates…".to_owned(),
        (None, false) => format!(
            "checked {}/{} · {:.0} calls/s",
            view.checked, view.total, view.calls_per_sec
        ),
    };
    let mut parts = vec![(2, format!("{} found", list.rows.len())), (1, state)];
    table_parts(model, &mut parts);
    parts
}

/// The bottom line of a table of blockers: where the candidates came from, what the history
/// said, what could not be checked; and whether it tells of a problem.
fn reverse_footer(view: &Blockers, export: &str) -> (String, bool) {
    // What went wrong first: the line is cut at its end.
    let mut parts = Vec::with_capacity(4);
    if let Some(e) = &view.error {
        parts.push(format!("✗ {e}"));
    }
    if !view.failed.is_empty() {
        parts.push(format!(
            "{} could not be checked ({export} exports them)",
            view.failed.len()
        ));
    }
    if let Some(words) = super::inspect::history_words(view) {
        parts.push(words);
    }
    parts.push(format!("candidates: {}", scrub(&view.source)));
    let bad = view.error.is_some() || !view.failed.is_empty();
    (parts.join(" · "), bad)
}

/// ` ▶ alice › Blocklist of bob — loaded 3 · complete · page 1/1 · sort oldest first ` within
/// `room` columns: the path Esc goes back along, then what the table is and its facts. A path too
/// long gives way at its start, so that where the moderator is stays in sight.
fn title(prefix: &str, model: &Model, room: usize) -> String {
    let max = room.saturating_sub(1);
    let places = model.back.len();
    let mut skip = 0;
    loop {
        let title = title_with_path(prefix, model, skip, room);
        if width(&title) <= max || skip >= places {
            let mut title = fit(&title, max).into_owned();
            title.push(' ');
            return title;
        }
        skip += 1;
    }
}

/// The title with the path from its `skip`th place on.
fn title_with_path(prefix: &str, model: &Model, skip: usize, room: usize) -> String {
    let list = &model.list;
    let mut title = String::with_capacity(room + 8);
    title.push_str(prefix);
    if skip > 0 {
        title.push_str("… › ");
    }
    for place in model.back.iter().skip(skip) {
        title.push_str(&crate::app::model::Place::label(&place.list));
        title.push_str(" › ");
    }
    let Some(owner) = &list.owner else {
        title.push_str("Blocklist");
        return title;
    };
    title.push_str(match list.kind {
        ListKind::Blocklist => "Blocklist of ",
        ListKind::Blockers => "Who blocks ",
    });
    title.push_str(&sanitize(owner.as_str()));
    let parts = title_parts(model);
    let mut keep = vec![true; parts.len()];
    let head = width(&title) + 1;
    let total = |keep: &[bool]| -> usize {
        let shown = parts.iter().zip(keep).filter(|(_, k)| **k);
        head + shown.map(|((_, p), _)| width(p) + 3).sum::<usize>()
    };
    for rank in (1..=4).rev() {
        if total(&keep) <= room {
            break;
        }
        for (k, (r, _)) in keep.iter_mut().zip(&parts) {
            if *r == rank {
                *k = false;
            }
        }
    }
    let mut first = true;
    for ((_, part), _) in parts.iter().zip(&keep).filter(|(_, k)| **k) {
        title.push_str(if first { " — " } else { " · " });
        title.push_str(part);
        first = false;
    }
    title
}
