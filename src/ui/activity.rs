//! The activity pane: what happened, newest at the bottom, each line with a time and a level
//! symbol (`✓` done, `!` warning, `✗` error, `·` information). When it shares its band with
//! nothing (narrow screens), its title says that Tab leads to the feed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::line_fit;
use super::text::scrub;
use super::theme::{Theme, level_symbol};
use crate::app::model::{Focus, Model};

/// `alone`: the feed is not on screen, and the title points to it.
pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect, alone: bool) {
    let focused = model.focus == Focus::Activity;
    let (prefix, style) = theme.title_prefix(focused);
    let rows = model.bands().activity_rows();
    let total = model.activity.lines.len();
    let back = model.activity.scroll.below(total, rows);
    let mut title = vec![
        Span::styled(prefix, style),
        Span::styled("Activity ", style),
    ];
    if back > 0 {
        title.push(Span::styled(format!("· {back} newer below "), theme.dim));
    }
    if alone {
        title.push(Span::styled(
            format!(
                "· {}: feed ",
                model.keymap.key(crate::app::command::Command::FocusNext)
            ),
            theme.dim,
        ));
    }
    let block = theme.pane(title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }

    let shown = model
        .activity
        .scroll
        .window(total, rows.min(usize::from(inner.height)));
    let room = usize::from(inner.width);
    // The cursor (Enter opens its line whole) shows on the time of its line while focused.
    let cursor = model.activity.scroll.log_cursor(total).filter(|_| focused);
    let lines: Vec<Line> = model.activity.lines[shown.clone()]
        .iter()
        .zip(shown)
        .map(|(line, n)| {
            let level = theme.level(line.level);
            let time = if cursor == Some(n) {
                theme.cursor
            } else {
                theme.dim
            };
            line_fit(
                vec![
                    Span::styled(scrub(&line.time), time),
                    Span::raw(" "),
                    Span::styled(level_symbol(line.level), level),
                    Span::raw(" "),
                    Span::styled(scrub(&line.text), level),
                ],
                room,
            )
        })
        .collect();
    if lines.is_empty() {
        let hint = Line::styled("nothing yet", theme.dim);
        frame.render_widget(Paragraph::new(hint), inner);
        return;
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
