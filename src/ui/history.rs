//! The history view, drawn in place of the panes: an account's recorded changes as a table,
//! newest first (`→` for what the account did, `←` for what was done to it), the change at the
//! cursor in words on the two lines below. A store that could not be read says so where the
//! table would be, never as an empty history; no store at all says how changes get recorded.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::text::{clip, fit, wrap};
use super::theme::Theme;
use crate::app::command::Command;
use crate::app::model::{HistoryLine, HistoryLoad, HistoryView, Model};
use crate::client::journal::changes::Reach;
use crate::display::ago;

/// `2026-11-22 01:35:00Z`.
const WHEN: u16 = 20;
/// `unfriended by`.
const CHANGE: u16 = 13;
/// `RESTAPI`, `Android`.
const PLATFORM: u16 = 10;

/// What the dashboard says about how changes get into the store.
pub const RECORDED_BY: &str = "Changes are recorded by `blockdeck relay` as the service's \
    webhooks report them, into the journal's database (the demo runs one).";

/// `2026-12-01 10:00Z`: when the store's first change happened.
pub(super) fn reach_time(reach: &Reach) -> String {
    let full = reach.first_utc();
    // Minutes are enough to say how far back it reaches.
    format!("{}Z", &full[..16])
}

/// ` ▶ History of alice — 12 changes · store reaches back to 2026-12-01 10:00Z `, cut to `room`.
fn title(model: &Model, view: &HistoryView, prefix: &str, room: usize) -> String {
    let mut parts: Vec<String> = Vec::with_capacity(3);
    match &view.load {
        HistoryLoad::Loading if view.lines.is_empty() => parts.push(format!(
            "reading the change store…{}",
            super::text::waiting(model, Some(view.since))
        )),
        HistoryLoad::Loading => parts.push(format!(
            "reading it again…{}",
            super::text::waiting(model, Some(view.since))
        )),
        HistoryLoad::NoStore(_) => parts.push("no change store".to_owned()),
        HistoryLoad::Failed(_) => parts.push("could not be read".to_owned()),
        HistoryLoad::Loaded => {}
    }
    // A history read again keeps what it shows until the answer.
    if view.load == HistoryLoad::Loaded || !view.lines.is_empty() {
        let n = view.lines.len();
        parts.push(match n {
            _ if view.cut() => format!("latest {n} changes"),
            0 => "no change recorded".to_owned(),
            1 => "1 change".to_owned(),
            n => format!("{n} changes"),
        });
        parts.push(match &view.reach {
            Some(reach) => format!("store reaches back to {}", reach_time(reach)),
            None => "the store holds no change yet".to_owned(),
        });
    }
    let mut title = format!("{prefix}History of {}", view.account_shown);
    if !parts.is_empty() {
        title.push_str(" — ");
        title.push_str(&parts.join(" · "));
    }
    let mut title = fit(&title, room.saturating_sub(1)).into_owned();
    title.push(' ');
    title
}

pub fn draw(model: &Model, view: &HistoryView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let (prefix, style) = theme.title_prefix(true);
    let room = usize::from(area.width.saturating_sub(2));
    let block = theme.pane(
        vec![Span::styled(title(model, view, prefix, room), style)],
        true,
    );
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
    let room = usize::from(text_area.width);
    let say = |lines: Vec<Line<'static>>, frame: &mut Frame| {
        frame.render_widget(Paragraph::new(lines), text_area);
    };
    let words = |text: &str, style| -> Vec<Line<'static>> {
        wrap(text, room)
            .into_iter()
            .map(|l| Line::styled(l, style))
            .collect()
    };
    match &view.load {
        HistoryLoad::Failed(text) => {
            let refresh = model.keymap.key(Command::Refresh);
            let mut lines = words("✗ the change store could not be read", theme.error);
            lines.extend(words(text, theme.text));
            lines.push(Line::raw(""));
            lines.extend(words(&format!("{refresh} reads it again"), theme.dim));
            say(lines, frame);
            return;
        }
        HistoryLoad::NoStore(why) => {
            let mut lines = words("No change store to read the history from.", theme.heading);
            lines.extend(words(why, theme.text));
            lines.push(Line::raw(""));
            lines.extend(words(RECORDED_BY, theme.dim));
            say(lines, frame);
            return;
        }
        HistoryLoad::Loading if view.lines.is_empty() => {
            let text = format!(
                "reading the change store…{}",
                super::text::waiting(model, Some(view.since))
            );
            say(words(&text, theme.dim), frame);
            return;
        }
        HistoryLoad::Loaded if view.lines.is_empty() => {
            let mut lines = words(
                &format!(
                    "No recorded change has {} on either side.",
                    view.account_shown
                ),
                theme.heading,
            );
            let reach = match &view.reach {
                Some(reach) => format!(
                    "The store reaches back to {} ({} change(s) in all).",
                    reach_time(reach),
                    reach.changes
                ),
                None => "The store holds no change yet.".to_owned(),
            };
            lines.extend(words(&reach, theme.text));
            lines.push(Line::raw(""));
            lines.extend(words(RECORDED_BY, theme.dim));
            say(lines, frame);
            return;
        }
        _ => {}
    }
    let (table_area, below) = crate::app::layout::table_and_detail(inner);
    let detail_area = Rect {
        x: text_area.x,
        width: text_area.width,
        ..below
    };
    table(view, theme, frame, table_area);
    if let Some(line) = view.current() {
        detail(model, view, line, theme, frame, detail_area);
    }
}

fn table(view: &HistoryView, theme: &Theme, frame: &mut Frame, area: Rect) {
    // The cursor, when, the arrow, the change, the account, the platform: six columns.
    let fixed = 1 + WHEN + 1 + CHANGE + PLATFORM + 5;
    // Wide enough for a UserID (32 bytes) and some escapes; the rest stays blank.
    let account_w = area.width.saturating_sub(fixed).clamp(8, 40);
    let widths = [
        Constraint::Length(1),
        Constraint::Length(WHEN),
        Constraint::Length(1),
        Constraint::Length(CHANGE),
        Constraint::Length(account_w),
        Constraint::Length(PLATFORM),
    ];
    let header = Row::new([
        Cell::from(""),
        Cell::from("When (UTC)"),
        Cell::from(""),
        Cell::from("Change"),
        Cell::from("Account"),
        Cell::from("Platform"),
    ])
    .style(theme.heading);
    let rows_shown = usize::from(area.height.saturating_sub(1));
    let window = view.window(rows_shown);
    let rows = window.map(|pos| {
        let line = &view.lines[pos];
        let at_cursor = pos == view.scroll.cursor;
        let cursor_style = if at_cursor {
            theme.text.patch(theme.cursor)
        } else {
            theme.text
        };
        Row::new([
            Cell::from(if at_cursor { ">" } else { " " }).style(cursor_style),
            Cell::from(Span::styled(line.when.clone(), cursor_style)),
            Cell::from(line.direction.arrow()),
            Cell::from(line.words()),
            Cell::from(clip(&line.other_shown, usize::from(account_w)).into_owned()),
            Cell::from(Span::styled(
                clip(&line.platform, usize::from(PLATFORM)).into_owned(),
                theme.dim,
            )),
        ])
    });
    frame.render_widget(Table::new(rows, widths).header(header), area);
}

/// The change at the cursor in words, and when, how long ago, from where.
fn detail(
    model: &Model,
    view: &HistoryView,
    line: &HistoryLine,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let room = usize::from(area.width);
    let sentence = line.sentence(&view.account_shown);
    let secs = u64::try_from(line.time_ms / 1000).unwrap_or(0);
    let mut facts = format!(
        "{} · {} · {}",
        line.when,
        ago(secs, model.now),
        line.platform
    );
    if let Some(ip) = &line.client_ip {
        facts.push_str(" · client IP ");
        facts.push_str(ip);
    }
    let lines = vec![
        Line::styled(fit(&sentence, room).into_owned(), theme.text),
        Line::styled(fit(&facts, room).into_owned(), theme.dim),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}
