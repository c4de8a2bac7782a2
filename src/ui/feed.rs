//! The feed pane: blocklist changes seen live (webhooks, or watch mode), newest at the bottom, as
//! `01:35:07   bob blocked carol (RESTAPI)`. Changes of a flagged burst carry a `⚠` and the burst
//! style; the latest burst alert sits on the pane's first row. When it shares its band with nothing
//! (narrow screens), its title says that Tab leads to the activity pane. Teammates' batches, as
//! the team's journal announces them, carry a `◆`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::{clip, line_fit, scrub, span_width, width, wrap};
use super::theme::Theme;
use crate::app::model::{FeedEntry, Focus, Model};

/// What the title says when nothing feeds the pane.
pub const NO_SOURCE: &str = "no webhooks: start with --listen-callbacks ADDR, or :watch on";
/// The marker of a change that is part of a burst.
pub const BURST: &str = "⚠";
/// The marker of a teammate's batch.
pub const TEAM: &str = "◆";
/// Narrowest the source is cut to in the title.
const SOURCE_MIN: usize = 12;

/// `alone`: the activity pane is not on screen, and the title points to it.
pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect, alone: bool) {
    let feed = &model.feed;
    let focused = model.focus == Focus::Feed;
    let (prefix, style) = theme.title_prefix(focused);
    let alert = feed.alerts.last();
    let inner_h = usize::from(area.height.saturating_sub(2));
    let rows = inner_h.saturating_sub(usize::from(alert.is_some()));
    let shown = feed.shown();
    let total = shown.len();
    let back = feed.scroll.below(total, rows);

    // The title: the source gives way to the counts and the hint.
    let mut extras: Vec<Span> = Vec::with_capacity(4);
    if !feed.filter.is_empty() {
        extras.push(Span::styled(
            format!(
                "· filter \"{}\" {} of {} ",
                clip(&feed.filter, 16),
                total,
                feed.lines.len()
            ),
            theme.heading,
        ));
    }
    if feed.rejected > 0 {
        extras.push(Span::styled(
            format!("· {} refused ", feed.rejected),
            theme.warning,
        ));
    }
    if back > 0 {
        extras.push(Span::styled(format!("· {back} newer below "), theme.dim));
    }
    if alone {
        extras.push(Span::styled(
            format!(
                "· {}: activity ",
                model.keymap.key(crate::app::command::Command::FocusNext)
            ),
            theme.dim,
        ));
    }
    let room = usize::from(area.width.saturating_sub(2));
    let fixed = width(prefix) + width("Feed — ") + 1 + extras.iter().map(span_width).sum::<usize>();
    let source_room = room.saturating_sub(fixed).max(SOURCE_MIN);
    let source = match &feed.source {
        Some(source) => Span::styled(clip(source, source_room).into_owned(), style),
        None => Span::styled(clip(NO_SOURCE, source_room).into_owned(), theme.dim),
    };
    let mut title = vec![
        Span::styled(prefix, style),
        Span::styled("Feed — ", style),
        source,
        Span::raw(" "),
    ];
    title.extend(extras);
    let block = theme.pane(line_fit(title, room).spans, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Blocks per minute across the app, on the bottom border.
    if area.height >= 3 {
        let border = Rect {
            x: area.x + 2,
            y: area.bottom() - 1,
            width: area.width.saturating_sub(3),
            height: 1,
        };
        super::spark::rate_at_right(&model.rates.app, theme, frame, border);
    }
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let room = usize::from(inner.width);

    let mut lines: Vec<Line> = Vec::with_capacity(inner_h);
    if let Some(alert) = alert {
        lines.push(line_fit(
            vec![
                Span::styled(format!("{BURST} "), theme.alert),
                Span::styled(scrub(alert), theme.alert),
            ],
            room,
        ));
    }
    if total == 0 {
        let hint = if !feed.filter.is_empty() {
            format!(
                "no change with an account containing \"{}\" ({} shows every change)",
                scrub(&feed.filter),
                model.keymap.key(crate::app::command::Command::ClearFilter)
            )
        } else if feed.source.is_some() {
            "no changes yet".to_owned()
        } else {
            NO_SOURCE.to_owned()
        };
        for l in wrap(&hint, room).into_iter().take(rows) {
            lines.push(Line::styled(l, theme.dim));
        }
    } else {
        // The cursor (Enter opens its change whole) shows on the time of its line while focused.
        let cursor = feed.scroll.log_cursor(total).filter(|_| focused);
        let window = feed.scroll.window(total, rows);
        lines.extend(
            shown[window.clone()]
                .iter()
                .zip(window)
                .map(|(&i, n)| entry_line(&feed.lines[i], theme, room, cursor == Some(n))),
        );
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `01:35:07 ⚠ mallory blocked user_0042 (RESTAPI)` for a change (the marker column blank for
/// ordinary ones), `01:35:07 ◆ ana started unblock of 120 pair(s) (reason "raid")` for a
/// teammate's batch from the team's journal.
fn entry_line<'a>(entry: &'a FeedEntry, theme: &Theme, room: usize, at_cursor: bool) -> Line<'a> {
    let (time, marker, marker_style, body) = match entry {
        FeedEntry::Change(line) => {
            let (marker, text) = if line.burst {
                (BURST, theme.burst)
            } else {
                (" ", theme.text)
            };
            let body = vec![
                Span::styled(scrub(&line.from), text),
                Span::styled(format!(" {} ", line.verb), text),
                Span::styled(scrub(&line.to), text),
                Span::styled(format!(" ({})", scrub(&line.platform)), theme.dim),
            ];
            (&line.time, marker, text, body)
        }
        FeedEntry::Team(line) => (
            &line.time,
            TEAM,
            theme.dim,
            vec![Span::styled(scrub(&line.text), theme.text)],
        ),
    };
    let mut spans = vec![
        Span::styled(
            scrub(time),
            if at_cursor { theme.cursor } else { theme.dim },
        ),
        Span::raw(" "),
        Span::styled(marker, marker_style),
        Span::raw(" "),
    ];
    spans.extend(body);
    line_fit(spans, room)
}
