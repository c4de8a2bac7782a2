//! The `:journal` view, drawn in place of the panes: the team's recent batches as a table (the
//! current batch whole on the two lines below it), or one batch's items. A journal that could not
//! be read says so where the table would be, never as an empty table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::text::{clip, fit, scrub, wrap};
use super::theme::Theme;
use crate::app::command::{Command, Keymap};
use crate::app::model::{JournalBatch, JournalItems, JournalLoad, JournalView, Model};

/// `2026-11-22 01:35:00Z`.
const WHEN: u16 = 20;
/// `unblock`.
const OP: u16 = 7;
/// One count column (`pairs`, `done`, …) when the screen is wide.
const COUNT: u16 = 5;
/// From this inner width each count has a column; below, one column says `done/pairs`.
const WIDE: u16 = 110;

pub fn draw(model: &Model, view: &JournalView, theme: &Theme, frame: &mut Frame, area: Rect) {
    match &view.items {
        Some(items) => draw_items(model, view, items, theme, frame, area),
        None => draw_list(model, view, theme, frame, area),
    }
}

/// ` ▶ Journal — 37 batches · sort newest first · filter "ana" `, cut to `room`.
fn list_title(model: &Model, view: &JournalView, prefix: &str, room: usize) -> String {
    let mut parts: Vec<String> = Vec::with_capacity(4);
    match &view.load {
        // The spinner and the time waited are where the table will be.
        JournalLoad::Loading if view.batches.is_empty() => parts.push("loading…".to_owned()),
        JournalLoad::Loading => parts.push(format!(
            "reading it again…{}",
            super::text::waiting(model, Some(view.since))
        )),
        JournalLoad::Failed(_) => parts.push("could not be read".to_owned()),
        JournalLoad::Loaded => {}
    }
    if !matches!(view.load, JournalLoad::Failed(_)) && !view.batches.is_empty() {
        if view.filter.is_empty() {
            parts.push(format!("{} batches", view.batches.len()));
        } else {
            parts.push(format!(
                "{} of {} batches",
                view.view.len(),
                view.batches.len()
            ));
        }
        parts.push(format!("sort {}", view.sort.label()));
    }
    if !view.filter.is_empty() {
        parts.push(format!("filter \"{}\"", scrub(&view.filter)));
    }
    let mut title = format!("{prefix}Journal");
    if !parts.is_empty() {
        title.push_str(" — ");
        title.push_str(&parts.join(" · "));
    }
    let mut title = fit(&title, room.saturating_sub(1)).into_owned();
    title.push(' ');
    title
}

/// A one-line message where the table would be.
fn say(frame: &mut Frame, area: Rect, line: Line<'_>) {
    frame.render_widget(
        Paragraph::new(line),
        Rect {
            height: area.height.min(1),
            ..area
        },
    );
}

/// Why the journal could not be read, and `r`, wrapped.
fn failed(text: &str, what: &str, keymap: &Keymap, theme: &Theme, frame: &mut Frame, area: Rect) {
    let room = usize::from(area.width).max(1);
    let refresh = keymap.key(Command::Refresh);
    let mut lines: Vec<Line> = wrap(&format!("✗ {what} could not be read"), room)
        .into_iter()
        .map(|l| Line::styled(l, theme.error))
        .collect();
    lines.extend(wrap(text, room).into_iter().map(Line::raw));
    lines.push(Line::raw(""));
    lines.extend(
        wrap(
            &format!("check the journal file (--journal PATH); {refresh} reads it again"),
            room,
        )
        .into_iter()
        .map(|l| Line::styled(l, theme.dim)),
    );
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_list(model: &Model, view: &JournalView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let (prefix, style) = theme.title_prefix(true);
    let room = usize::from(area.width.saturating_sub(2));
    let title = list_title(model, view, prefix, room);
    let block = theme.pane(vec![Span::styled(title, style)], true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 4 || inner.width < 20 {
        return;
    }
    let text_area = Rect {
        x: inner.x + 2,
        width: inner.width - 2,
        ..inner
    };
    if let JournalLoad::Failed(text) = &view.load {
        failed(text, "the journal", &model.keymap, theme, frame, text_area);
        return;
    }
    if view.view.is_empty() {
        let text = match view.load {
            JournalLoad::Loading => {
                format!("loading…{}", super::text::waiting(model, Some(view.since)))
            }
            _ if view.batches.is_empty() => "the journal holds no batch yet".to_owned(),
            _ => "no batch matches the filter".to_owned(),
        };
        let text = fit(&text, usize::from(text_area.width)).into_owned();
        say(frame, text_area, Line::styled(text, theme.dim));
        return;
    }

    let (table_area, below) = crate::app::layout::table_and_detail(inner);
    let detail_area = Rect {
        x: text_area.x,
        width: text_area.width,
        ..below
    };
    table(view, theme, frame, table_area);
    if let Some(batch) = view.current() {
        detail(batch, theme, frame, detail_area);
    }
}

fn table(view: &JournalView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let wide = area.width >= WIDE;
    let counts: Vec<u16> = if wide { vec![COUNT; 5] } else { vec![10] };
    let columns = 6 + counts.len() as u16;
    let fixed = 1 + WHEN + OP + counts.iter().sum::<u16>() + (columns - 1);
    let flexible = area.width.saturating_sub(fixed);
    let who_w = (flexible * 3 / 10).max(6);
    let state_w = (flexible * 3 / 10).max(6);
    let why_w = flexible.saturating_sub(who_w + state_w);
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(WHEN),
        Constraint::Length(who_w),
        Constraint::Length(OP),
    ];
    widths.extend(counts.iter().map(|w| Constraint::Length(*w)));
    widths.extend([Constraint::Length(state_w), Constraint::Length(why_w)]);

    let mut heads: Vec<Cell> = vec![
        Cell::from(""),
        Cell::from("When (UTC)"),
        Cell::from(fit("Who", usize::from(who_w)).into_owned()),
        Cell::from("Op"),
    ];
    if wide {
        for h in ["pairs", " done", "alrdy", "fail", " pend"] {
            heads.push(Cell::from(format!("{h:>5}")));
        }
    } else {
        heads.push(Cell::from("done/pairs"));
    }
    heads.push(Cell::from(fit("State", usize::from(state_w)).into_owned()));
    heads.push(Cell::from(fit("Why", usize::from(why_w)).into_owned()));
    let header = Row::new(heads).style(theme.heading);

    let rows_shown = usize::from(area.height.saturating_sub(1));
    let window = view.window(rows_shown);
    let rows = window.map(|pos| {
        let batch = &view.batches[view.view[pos]];
        let at_cursor = pos == view.scroll.cursor;
        let cursor_style = if at_cursor {
            theme.text.patch(theme.cursor)
        } else {
            theme.text
        };
        let c = &batch.counts;
        let mut cells: Vec<Cell> = vec![
            Cell::from(if at_cursor { ">" } else { " " }).style(cursor_style),
            Cell::from(Span::styled(batch.when.clone(), cursor_style)),
            Cell::from(clip(&batch.who, usize::from(who_w)).into_owned()),
            Cell::from(batch.op().verb()),
        ];
        if wide {
            for n in [c.total, c.done, c.already, c.failed, c.pending] {
                cells.push(Cell::from(format!("{n:>5}")));
            }
        } else {
            let text = format!("{}/{}", c.done, c.total);
            cells.push(Cell::from(format!("{:>10}", fit(&text, 10))));
        }
        cells.push(Cell::from(
            clip(&batch.state_shown, usize::from(state_w)).into_owned(),
        ));
        cells.push(Cell::from(
            clip(&batch.why, usize::from(why_w)).into_owned(),
        ));
        Row::new(cells).style(theme.text)
    });
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, area);
}

/// The current batch whole, in two lines: its ID, counts and state; who (with the SSH client
/// and the profile), why, and whether another app's.
fn detail(batch: &JournalBatch, theme: &Theme, frame: &mut Frame, area: Rect) {
    let room = usize::from(area.width);
    let c = &batch.counts;
    let first = format!(
        "{} · {} {} pairs: {} done · {} already so · {} failed · {} pending · {}",
        batch.id_shown,
        batch.op().verb(),
        c.total,
        c.done,
        c.already,
        c.failed,
        c.pending,
        batch.state_shown
    );
    let intent = &batch.state.intent;
    let mut second = format!("by {}", batch.who);
    if let Some(client) = &intent.ssh_client {
        second.push('@');
        second.push_str(&crate::display::sanitize(client));
    }
    if let Some(profile) = &intent.profile {
        second.push_str(" · profile ");
        second.push_str(&crate::display::sanitize(profile));
    }
    if !batch.this_app {
        second.push_str(&format!(" · another app (SDKAppID {})", intent.sdkappid));
    }
    if !batch.why.is_empty() {
        second.push_str(" · ");
        second.push_str(&batch.why);
    }
    let lines = vec![
        Line::styled(fit(&first, room).into_owned(), theme.text),
        Line::styled(fit(&second, room).into_owned(), theme.dim),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_items(
    model: &Model,
    view: &JournalView,
    items: &JournalItems,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let (prefix, style) = theme.title_prefix(true);
    let room = usize::from(area.width.saturating_sub(2));
    let batch = view.find(&items.id);
    let id_shown = batch
        .map(|b| b.id_shown.clone())
        .unwrap_or_else(|| crate::display::sanitize(&items.id).into_owned());
    let rows = model.journal_item_rows();
    let len = items.lines.len();
    let window = items.scroll.window(len, rows);
    let mut title = format!("{prefix}Journal › batch {id_shown}");
    match &items.load {
        JournalLoad::Loading => title.push_str(&format!(
            " — reading it again…{}",
            super::text::waiting(model, Some(view.since))
        )),
        JournalLoad::Failed(_) => title.push_str(" — could not be read"),
        JournalLoad::Loaded if len > 0 => title.push_str(&format!(
            " — items {}–{} of {len}",
            window.start + 1,
            window.end
        )),
        JournalLoad::Loaded => {}
    }
    let mut title = fit(&title, room.saturating_sub(1)).into_owned();
    title.push(' ');
    let block = theme.pane(vec![Span::styled(title, style)], true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 4 || inner.width < 20 {
        return;
    }
    let text_area = Rect {
        x: inner.x + 2,
        width: inner.width - 2,
        ..inner
    };
    if let JournalLoad::Failed(text) = &items.load {
        failed(text, "the batch", &model.keymap, theme, frame, text_area);
        return;
    }
    if let Some(batch) = batch {
        let c = &batch.counts;
        let mut summary = format!(
            "{} by {} · {} · {} done · {} already · {} failed · {} pending · {}",
            batch.op().verb(),
            batch.who,
            batch.when,
            c.done,
            c.already,
            c.failed,
            c.pending,
            batch.state_shown
        );
        if !batch.why.is_empty() {
            summary.push_str(" · ");
            summary.push_str(&batch.why);
        }
        let summary = fit(&summary, usize::from(text_area.width)).into_owned();
        say(frame, text_area, Line::styled(summary, theme.dim));
    }
    let table_area = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    if len == 0 {
        let text = "the batch has no pairs";
        say(
            frame,
            Rect {
                x: text_area.x,
                width: text_area.width,
                ..table_area
            },
            Line::styled(text, theme.dim),
        );
        return;
    }
    let status_w: u16 = 9;
    let flexible = table_area.width.saturating_sub(1 + status_w + 4);
    let pair_w = (flexible * 2 / 5).max(10);
    let code_w = (flexible / 4).max(6);
    let info_w = flexible.saturating_sub(pair_w + code_w);
    let widths = [
        Constraint::Length(1),
        Constraint::Length(pair_w),
        Constraint::Length(status_w),
        Constraint::Length(code_w),
        Constraint::Length(info_w),
    ];
    let header = Row::new([
        Cell::from(""),
        Cell::from(fit("From → To", usize::from(pair_w)).into_owned()),
        Cell::from("Status"),
        Cell::from(fit("Code", usize::from(code_w)).into_owned()),
        Cell::from(fit("Info", usize::from(info_w)).into_owned()),
    ])
    .style(theme.heading);
    let rows = items.lines[window].iter().map(|line| {
        let status_style: Style = if line.failed {
            theme.error
        } else if line.status == "pending" {
            theme.warning
        } else {
            theme.text
        };
        Row::new([
            Cell::from(""),
            Cell::from(clip(&line.pair, usize::from(pair_w)).into_owned()),
            Cell::from(Span::styled(
                fit(&line.status, usize::from(status_w)).into_owned(),
                status_style,
            )),
            Cell::from(clip(&line.code, usize::from(code_w)).into_owned()),
            Cell::from(clip(&line.info, usize::from(info_w)).into_owned()),
        ])
    });
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, table_area);
}
