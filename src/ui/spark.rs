//! Sparklines, drawn with ratatui's own [`Sparkline`] one row high. Each value is scaled to the
//! eight heights of a cell so that any value above zero shows (a single block in a minute is
//! never drawn as none); zero is a dim `·`. A label says what the line counts, over how long,
//! and its peak. What was not read, or could not be, is never drawn as a line of zeros.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, SparklineBar};

use super::text::{line_width, width};
use super::theme::Theme;
use crate::app::model::{BlockRate, RateState};

/// How many minutes of a block rate are drawn, the most that fit first.
const MINUTES: [usize; 4] = [60, 30, 15, 10];
/// What a zero is drawn as.
const ZERO: &str = "·";

/// The heights of `values` in eighths of a cell: the largest is a full cell, any other above
/// zero at least an eighth; zero is absent (drawn as [`ZERO`]).
pub fn bars(values: &[u64]) -> Vec<SparklineBar> {
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            let ticks = (v > 0).then(|| (v.saturating_mul(8)).div_ceil(max.max(1)).clamp(1, 8));
            SparklineBar::from(ticks)
        })
        .collect()
}

/// Draws `values` into `area` (one bar a column, the oldest first).
pub fn draw(values: &[u64], theme: &Theme, frame: &mut Frame, area: Rect) {
    let widget = Sparkline::default()
        .data(bars(values))
        .max(8)
        .style(theme.gauge)
        .absent_value_symbol(ZERO)
        .absent_value_style(theme.dim);
    frame.render_widget(widget, area);
}

/// What a block rate shows in `room` columns: a label and the newest minutes that fit, or a
/// sentence, or nothing.
enum Shown<'a> {
    Spark { label: String, values: &'a [u64] },
    Words(Span<'static>),
    Nothing,
}

fn shown<'a>(rate: &'a BlockRate, theme: &Theme, room: usize) -> Shown<'a> {
    match &rate.state {
        // Not read yet, or nowhere to read from: nothing to say here.
        RateState::Unread | RateState::NoStore => Shown::Nothing,
        RateState::Failed(_) => {
            let text = "✗ blocks/min could not be read";
            if width(text) + 2 <= room {
                Shown::Words(Span::styled(text, theme.error))
            } else {
                Shown::Nothing
            }
        }
        RateState::Counts(counts) => {
            for n in MINUTES {
                let values = &counts[counts.len().saturating_sub(n)..];
                let minutes = values.len();
                let peak = values.iter().copied().max().unwrap_or(0);
                if peak == 0 {
                    let text = format!("no blocks recorded in {minutes} min");
                    if width(&text) + 2 <= room {
                        return Shown::Words(Span::styled(text, theme.dim));
                    }
                    continue;
                }
                let label = format!("blocks/min, {minutes} min, peak {peak}");
                if width(&label) + 3 + minutes <= room {
                    return Shown::Spark { label, values };
                }
            }
            Shown::Nothing
        }
    }
}

/// Draws a block rate at the right end of the one-row `area` (a pane's border): ` label ▁▂█ `.
/// Returns the columns it took.
pub fn rate_at_right(rate: &BlockRate, theme: &Theme, frame: &mut Frame, area: Rect) -> u16 {
    let room = usize::from(area.width);
    let (line, values) = match shown(rate, theme, room) {
        Shown::Nothing => return 0,
        Shown::Words(span) => (Line::from(vec![Span::raw(" "), span, Span::raw(" ")]), None),
        Shown::Spark { label, values } => {
            let spans = vec![
                Span::raw(" "),
                Span::styled(label, theme.text),
                Span::raw(" "),
                Span::raw(" ".repeat(values.len())),
                Span::raw(" "),
            ];
            (Line::from(spans), Some(values))
        }
    };
    let w = line_width(&line) as u16;
    let at = Rect {
        x: area.right() - w,
        width: w,
        height: 1,
        ..area
    };
    frame.render_widget(Paragraph::new(line), at);
    if let Some(values) = values {
        let n = values.len() as u16;
        draw(
            values,
            theme,
            frame,
            Rect {
                x: at.right() - 1 - n,
                width: n,
                ..at
            },
        );
    }
    w
}

/// Values merged pairwise (their mean) until at most `room` are left.
pub fn squeeze(values: &[f64], room: usize) -> Vec<f64> {
    let mut out = values.to_vec();
    while out.len() > room.max(1) {
        out = out
            .chunks(2)
            .map(|c| c.iter().sum::<f64>() / c.len() as f64)
            .collect();
    }
    out
}
