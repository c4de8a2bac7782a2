//! The help, laid out from [`crate::app::help`] (what it says comes from the command table). It
//! is laid out in as many columns as the screen holds, in the roomiest form that fits:
//!
//! 1. every text in full (wrapped under its key), blank lines between groups;
//! 2. the same without the blank lines;
//! 3. one line per key, texts cut with `…`;
//! 4. compact: keys of a family on one line (`j/k g G PgUp PgDn  move`), the commands listed
//!    without their texts, several to a line.
//!
//! When even the compact form does not fit, every text is shown in full in one column that
//! scrolls (j/k, PgUp/PgDn, g/G) one item at a time, its title saying which items are in sight.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Clear;

use super::popups::centered;
use super::text::{clip, fit, line_fit, width, wrap, wrap_hanging};
use super::theme::Theme;
use crate::app::command::Command;
use crate::app::help::{Entry, Section, sections};
use crate::app::model::{Model, Scroll};

/// Narrowest help column.
const COLUMN_MIN: usize = 34;
/// Space between columns.
const GAP: usize = 2;
/// Widest key label aligned in the label column (longer ones push their text right).
const KEY_LABEL: usize = 6;
/// Fewest columns of text beside a label that pushed it right.
const TEXT_MIN: usize = 8;

/// How the help is written.
#[derive(Debug, Clone, Copy)]
struct Form {
    compact: bool,
    wrap: bool,
    blanks: bool,
}

const FORMS: [Form; 4] = [
    Form {
        compact: false,
        wrap: true,
        blanks: true,
    },
    Form {
        compact: false,
        wrap: true,
        blanks: false,
    },
    Form {
        compact: false,
        wrap: false,
        blanks: false,
    },
    Form {
        compact: true,
        wrap: false,
        blanks: false,
    },
];

/// Rows that stay together in one column (a heading with its first entry, an entry with its
/// wrapped text); a blank chunk separates groups and is dropped at the top or bottom of a column.
struct Chunk {
    rows: Vec<Line<'static>>,
    blank: bool,
}

/// The rows of one entry: the label in the label column (or pushing its text right, or on its own
/// row when it is too wide), the text beside it, wrapped under it or cut.
fn entry_rows(
    entry: &Entry,
    lw: usize,
    col_w: usize,
    wrap_text: bool,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let label_w = width(&entry.label);
    let rest_w = col_w.saturating_sub(lw).max(1);
    let (head, first_w) = if label_w + 2 <= lw {
        (
            format!("{}{}", entry.label, " ".repeat(lw - label_w)),
            rest_w,
        )
    } else if label_w + 2 + TEXT_MIN <= col_w {
        (format!("{}  ", entry.label), col_w - label_w - 2)
    } else {
        // Too wide to share a row: the label alone, the text under it.
        let mut rows: Vec<Line<'static>> = if wrap_text {
            wrap(&entry.label, col_w)
                .into_iter()
                .map(|l| Line::styled(l, theme.key))
                .collect()
        } else {
            return vec![Line::styled(
                clip(&entry.label, col_w).into_owned(),
                theme.key,
            )];
        };
        let indent = " ".repeat(lw);
        rows.extend(
            wrap(&entry.help, rest_w)
                .into_iter()
                .map(|l| Line::from(vec![Span::raw(indent.clone()), Span::styled(l, theme.text)])),
        );
        return rows;
    };
    let texts = if wrap_text {
        wrap_hanging(&entry.help, first_w, rest_w)
    } else {
        vec![clip(&entry.help, first_w).into_owned()]
    };
    let indent = " ".repeat(lw);
    texts
        .into_iter()
        .enumerate()
        .map(|(n, text)| {
            let lead = if n == 0 {
                Span::styled(head.clone(), theme.key)
            } else {
                Span::raw(indent.clone())
            };
            line_fit(vec![lead, Span::styled(text, theme.text)], col_w)
        })
        .collect()
}

/// Pieces flowed into rows of `col_w` columns, `sep` between pieces on a row; a piece wider than
/// a row is cut. With `one_row`, whatever does not fit the first row is cut instead.
fn flow(
    pieces: Vec<Span<'static>>,
    sep: Span<'static>,
    col_w: usize,
    one_row: bool,
) -> Vec<Line<'static>> {
    let mut rows: Vec<Line<'static>> = Vec::with_capacity(4);
    let mut row: Vec<Span<'static>> = Vec::with_capacity(8);
    let mut used = 0;
    for piece in pieces {
        let w = piece.width();
        let gap = if row.is_empty() { 0 } else { sep.width() };
        if !row.is_empty() && used + gap + w > col_w && !one_row {
            rows.push(Line::from(std::mem::take(&mut row)));
            used = 0;
        }
        if !row.is_empty() {
            row.push(sep.clone());
            used += sep.width();
        }
        row.push(piece);
        used += w;
    }
    if !row.is_empty() {
        rows.push(Line::from(row));
    }
    rows.into_iter().map(|l| line_fit(l.spans, col_w)).collect()
}

/// A section's heading and its items (an entry with its wrapped rows, an "as above" line).
fn section_rows(
    section: &Section,
    form: Form,
    col_w: usize,
    theme: &Theme,
) -> (Line<'static>, Vec<Vec<Line<'static>>>) {
    let cap = if section.commands {
        col_w / 3
    } else {
        KEY_LABEL
    };
    let lw = section
        .entries
        .iter()
        .map(|e| width(&e.label))
        .filter(|&w| w <= cap)
        .max()
        .unwrap_or(0)
        + 2;
    let mut groups: Vec<Vec<Line<'static>>> = Vec::with_capacity(section.entries.len() + 1);
    if section.commands && form.compact {
        let pieces = section
            .entries
            .iter()
            .map(|e| Span::styled(e.label.clone(), theme.key))
            .collect();
        groups.extend(
            flow(pieces, Span::styled(" · ", theme.dim), col_w, false)
                .into_iter()
                .map(|row| vec![row]),
        );
    } else {
        groups.extend(
            section
                .entries
                .iter()
                .map(|e| entry_rows(e, lw, col_w, form.wrap, theme)),
        );
    }
    if !section.also.is_empty() {
        // Keys listed in an earlier group that work here too.
        let mut pieces = vec![Span::styled("as above:", theme.dim)];
        pieces.extend(section.also.iter().map(|l| Span::styled(*l, theme.key)));
        let mut rows = flow(pieces, Span::raw(" "), col_w, !form.wrap).into_iter();
        let mut also: Vec<Line<'static>> = rows.next().into_iter().collect();
        // Further rows continue under the keys.
        let indent = width("as above: ");
        also.extend(rows.map(|row| {
            let mut spans = vec![Span::raw(" ".repeat(indent))];
            spans.extend(row.spans);
            line_fit(spans, col_w)
        }));
        groups.push(also);
    }
    let heading = Line::styled(fit(section.title, col_w).into_owned(), theme.heading);
    (heading, groups)
}

fn chunks(sections: &[Section], form: Form, col_w: usize, theme: &Theme) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::with_capacity(64);
    for (n, section) in sections.iter().enumerate() {
        if form.blanks && n > 0 {
            out.push(Chunk {
                rows: vec![Line::raw("")],
                blank: true,
            });
        }
        let (heading, groups) = section_rows(section, form, col_w, theme);
        let mut groups = groups.into_iter();
        let mut first = vec![heading];
        first.extend(groups.next().unwrap_or_default());
        out.push(Chunk {
            rows: first,
            blank: false,
        });
        out.extend(groups.map(|rows| Chunk { rows, blank: false }));
    }
    out
}

/// Every item of the full help, each with its rows, in one column: what the scroll form scrolls
/// through (as many as [`crate::app::help::items`] counts).
fn scroll_items(model: &Model, col_w: usize, theme: &Theme) -> Vec<Vec<Line<'static>>> {
    let mut items = Vec::with_capacity(80);
    for section in sections(&model.keymap, model.read_only, false) {
        let (heading, groups) = section_rows(&section, FORMS[0], col_w, theme);
        items.push(vec![heading]);
        items.extend(groups);
    }
    items
}

/// The chunks in `cols` columns of at most `height` rows, filled in order; `None` when they do not
/// all fit.
fn fill(chunks: &[Chunk], cols: usize, height: usize) -> Option<Vec<Vec<Line<'static>>>> {
    let mut columns: Vec<Vec<Line<'static>>> = vec![Vec::with_capacity(height)];
    let mut left_out = false;
    for chunk in chunks {
        let column = columns.last_mut().expect("a column");
        if chunk.blank {
            if !column.is_empty() && column.len() < height {
                column.extend(chunk.rows.iter().cloned());
            }
            continue;
        }
        if column.len() + chunk.rows.len() > height {
            if columns.len() == cols || chunk.rows.len() > height {
                left_out = true;
                break;
            }
            columns.push(Vec::with_capacity(height));
        }
        columns
            .last_mut()
            .expect("a column")
            .extend(chunk.rows.iter().cloned());
    }
    for column in &mut columns {
        while column.last().is_some_and(|l| l.width() == 0) {
            column.pop();
        }
    }
    (!left_out).then_some(columns)
}

/// The help: every key for where it works, in as many columns as the screen holds, or in one
/// column scrolled to `scroll` when that is the only way to show it whole.
pub fn draw(model: &Model, scroll: Scroll, theme: &Theme, frame: &mut Frame, area: Rect) {
    // Full width on a narrow screen, a margin on a wide one.
    let w = if area.width <= 84 {
        area.width
    } else {
        (area.width - 4).min(140)
    };
    let inner_w = usize::from(w.saturating_sub(2));
    let inner_h = usize::from(area.height.saturating_sub(2)).max(1);
    let cols = ((inner_w + GAP) / (COLUMN_MIN + GAP)).max(1);
    let col_w = (inner_w.saturating_sub((cols - 1) * GAP) / cols).max(1);

    // The roomiest form that fits, in columns of even height.
    let mut columns = None;
    for form in FORMS {
        let chunks = chunks(
            &sections(&model.keymap, model.read_only, form.compact),
            form,
            col_w,
            theme,
        );
        let rows: usize = chunks
            .iter()
            .filter(|c| !c.blank)
            .map(|c| c.rows.len())
            .sum();
        let lowest = rows.div_ceil(cols).min(inner_h);
        columns = (lowest..=inner_h).find_map(|h| fill(&chunks, cols, h));
        if columns.is_some() {
            break;
        }
    }
    let Some(columns) = columns else {
        scrolled(model, scroll, theme, frame, area, w);
        return;
    };

    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    let rect = centered(area, w, rows as u16 + 2);
    let block = theme.popup(" Help — keys for where the cursor is ");
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    for (i, column) in columns.into_iter().enumerate() {
        let x = inner.x + (i * (col_w + GAP)) as u16;
        draw_column(column, x, col_w, inner, frame);
    }
}

fn draw_column(column: Vec<Line<'static>>, x: u16, col_w: usize, inner: Rect, frame: &mut Frame) {
    for (row, line) in column.into_iter().enumerate() {
        let y = inner.y + row as u16;
        if y >= inner.bottom() || x >= inner.right() {
            break;
        }
        let cell_w = (col_w as u16).min(inner.right() - x);
        frame.render_widget(
            line_fit(line.spans, usize::from(cell_w)),
            Rect::new(x, y, cell_w, 1),
        );
    }
}

/// The whole help in one column, from item `scroll.offset` on, as many items as fit.
fn scrolled(model: &Model, scroll: Scroll, theme: &Theme, frame: &mut Frame, area: Rect, w: u16) {
    let col_w = usize::from(w.saturating_sub(2)).max(1);
    let height = usize::from(area.height.saturating_sub(2)).max(1);
    let items = scroll_items(model, col_w, theme);
    let first = scroll.offset.min(items.len().saturating_sub(1));
    let mut rows: Vec<Line<'static>> = Vec::with_capacity(height);
    // The last item shown whole (the one after it may show its first rows).
    let mut last = first;
    for (n, item) in items.iter().enumerate().skip(first) {
        if rows.len() >= height {
            break;
        }
        if rows.len() + item.len() <= height {
            last = n;
        }
        rows.extend(item.iter().take(height - rows.len()).cloned());
    }
    let rect = centered(area, w, height as u16 + 2);
    let keys = &model.keymap;
    let title = format!(
        " Help — items {}–{} of {} · {} {}/{} scroll ",
        first + 1,
        last + 1,
        items.len(),
        keys.label(Command::Down).unwrap_or("j/k"),
        keys.key(Command::PageUp),
        keys.key(Command::PageDown)
    );
    let block = theme.popup(&title);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    draw_column(rows, inner.x, col_w, inner, frame);
}
