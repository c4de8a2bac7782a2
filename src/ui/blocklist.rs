//! The blocklist pane: a title that says what is shown, and a table of the visible part of the
//! current page. Only the rows on screen are built, whatever the size of the list.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::text::{clip, fit, scrub, width, wrap};
use super::theme::Theme;
use crate::app::command::{Command, Keymap};
use crate::app::model::{Blocklist, Focus, LoadFailure, Model};
use crate::display::{ago, sanitize, utc};

/// Width of the "blocked since" column: `364d ago 2026-11-22 01:35:00Z`.
const SINCE: u16 = 29;
/// Widest To_Account column (a UserID is at most 32 bytes).
const ID_MAX: u16 = 32;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let list = &model.list;
    let focused = model.focus == Focus::Blocklist;
    let (prefix, style) = theme.title_prefix(focused);
    let room = usize::from(area.width.saturating_sub(2));
    let title = title(prefix, list, &model.keymap, room);
    let block = theme.pane(vec![Span::styled(title, style)], focused);
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
        let text = if list.owner.is_none() {
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
    let fixed = 1 + 3 + SINCE + 4;
    let flexible = inner.width.saturating_sub(fixed);
    let id_w = (flexible * 2 / 5).clamp(flexible.min(12), ID_MAX);
    let nick_w = flexible - id_w;
    let widths = [
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(id_w),
        Constraint::Length(nick_w),
        Constraint::Length(SINCE),
    ];
    let header = Row::new([
        Cell::from(""),
        Cell::from(""),
        Cell::from(fit("To_Account", usize::from(id_w))),
        Cell::from(fit("Nickname", usize::from(nick_w))),
        Cell::from("Blocked since"),
    ])
    .style(theme.heading);

    let rows_shown = usize::from(inner.height - 1);
    let window = list.window(rows_shown);
    let rows = window.map(|pos| {
        let row = &list.rows[list.view[pos]];
        let marked = list.is_marked(row);
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
        } else {
            Cell::from("[ ]")
        };
        let since = format!("{:<8} {}", ago(row.added, model.now), utc(row.added));
        Row::new([
            Cell::from(marker).style(cursor_style),
            mark,
            Cell::from(Span::styled(
                clip(&row.to_shown, usize::from(id_w)),
                cursor_style,
            )),
            Cell::from(clip(row.nick.as_deref().unwrap_or(""), usize::from(nick_w))),
            Cell::from(fit(&since, usize::from(SINCE)).into_owned()),
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

fn title_parts(list: &Blocklist, keymap: &Keymap) -> Vec<(u8, String)> {
    let refresh = keymap.key(Command::Refresh);
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
        (4, format!("sort {}", list.sort.label())),
    ];
    if !list.filter.is_empty() {
        parts.push((0, format!("filter \"{}\"", scrub(&list.filter))));
    }
    if !list.marks.is_empty() {
        parts.push((0, format!("{} marked", list.marks.len())));
    }
    if list.stale {
        parts.push((0, format!("changed elsewhere: {refresh} refreshes")));
    }
    parts
}

/// ` ▶ Blocklist of alice — loaded 250 · loading… · page 1/3 · sort oldest first ` within `room`
/// columns.
fn title(prefix: &str, list: &Blocklist, keymap: &Keymap, room: usize) -> String {
    let mut title = String::with_capacity(room + 8);
    title.push_str(prefix);
    title.push_str("Blocklist");
    if let Some(owner) = &list.owner {
        title.push_str(" of ");
        title.push_str(&sanitize(owner.as_str()));
        let parts = title_parts(list, keymap);
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
    }
    let mut title = fit(&title, room.saturating_sub(1)).into_owned();
    title.push(' ');
    title
}
