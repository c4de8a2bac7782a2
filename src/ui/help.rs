//! The help, made from the key map: each binding once, under the first group where it works (a
//! key that works anywhere only under "Anywhere"); a group whose keys were all listed above names
//! them on one line; then the palette's commands. It is laid out in as many columns as the screen
//! holds, in the roomiest form that fits:
//!
//! 1. every text in full (wrapped under its key), blank lines between groups;
//! 2. the same without the blank lines;
//! 3. one line per key, texts cut with `…`;
//! 4. compact: keys of a family on one line (`j/k g G PgUp PgDn  move`), the commands listed
//!    without their texts, several to a line.
//!
//! When even the compact form does not fit, what fits is shown and the last line says that a
//! taller terminal shows the rest.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Clear;

use super::popups::centered;
use super::text::{clip, fit, line_fit, width, wrap, wrap_hanging};
use super::theme::Theme;
use crate::app::keymap::{self, Action, Binding, COMMANDS, Context};
use crate::app::model::Model;

/// Narrowest help column.
const COLUMN_MIN: usize = 34;
/// Space between columns.
const GAP: usize = 2;
/// Widest key label aligned in the label column (longer ones push their text right).
const KEY_LABEL: usize = 6;
/// Fewest columns of text beside a label that pushed it right.
const TEXT_MIN: usize = 8;
/// The last line when something was left out.
pub const CUT: &str = "… (a taller terminal shows the rest)";
/// The heading of the palette's commands.
pub const COMMANDS_TITLE: &str = "Commands (after :)";

/// Keys that the compact form lists on one line, with what they do together.
const FAMILIES: &[(&[Action], &str)] = &[
    (
        &[
            Action::Down,
            Action::Up,
            Action::Top,
            Action::Bottom,
            Action::PageUp,
            Action::PageDown,
        ],
        "move, top/end, page",
    ),
    (
        &[
            Action::Mark,
            Action::MarkRange,
            Action::MarkAll,
            Action::ClearMarks,
        ],
        "mark, range, all, clear",
    ),
    (
        &[Action::FocusNext, Action::FocusPrev],
        "next / previous pane",
    ),
];

/// A key (or a command) and what it does.
struct Entry {
    label: String,
    help: String,
}

/// A group of the help.
struct Section {
    title: &'static str,
    entries: Vec<Entry>,
    /// Keys listed in an earlier group that work here too (shown only when `entries` is empty).
    also: Vec<&'static str>,
    commands: bool,
}

/// Whether `label` is one of the keys written in `labels` (`k` in `j/k`, `G` in `j/k g G`).
fn written_in(labels: &str, label: &str) -> bool {
    labels.split(['/', ' ']).any(|part| part == label)
}

fn sections(read_only: bool, compact: bool) -> Vec<Section> {
    let groups = keymap::help(read_only);
    let mut out: Vec<Section> = Vec::with_capacity(groups.len() + 1);
    let mut listed: Vec<*const Binding> = Vec::with_capacity(64);
    // Keys that work anywhere are listed once, under "Anywhere", even where another binding of the
    // same key shows it in the action bar (Ctrl-C on the lookup line).
    let anywhere_keys: Vec<&'static str> = groups
        .iter()
        .flat_map(|(_, bindings)| bindings.iter())
        .filter(|b| b.contexts.contains(&Context::Global))
        .map(|b| b.label)
        .collect();
    for (title, bindings) in &groups {
        let anywhere = *title == "Anywhere";
        let mut entries: Vec<Entry> = Vec::with_capacity(bindings.len());
        let mut also: Vec<&'static str> = Vec::new();
        // The entry each family's keys gather in.
        let mut family_entry: Vec<(usize, usize)> = Vec::new();
        for &b in bindings {
            let ptr: *const Binding = b;
            let general = b.contexts.contains(&Context::Global) || anywhere_keys.contains(&b.label);
            if general && !anywhere {
                continue;
            }
            if listed.contains(&ptr) {
                if !also.iter().any(|l| written_in(l, b.label)) {
                    also.push(b.label);
                }
                continue;
            }
            listed.push(ptr);
            if compact
                && let Some(f) = FAMILIES
                    .iter()
                    .position(|(acts, _)| acts.contains(&b.action))
            {
                match family_entry.iter().find(|(fam, _)| *fam == f) {
                    Some(&(_, at)) => {
                        let entry = &mut entries[at];
                        if !written_in(&entry.label, b.label) {
                            entry.label.push(' ');
                            entry.label.push_str(b.label);
                        }
                    }
                    None => {
                        family_entry.push((f, entries.len()));
                        entries.push(Entry {
                            label: b.label.to_owned(),
                            help: FAMILIES[f].1.to_owned(),
                        });
                    }
                }
                continue;
            }
            if let Some(last) = entries.last_mut()
                && written_in(&last.label, b.label)
            {
                last.help.push_str(", ");
                last.help.push_str(b.help);
                continue;
            }
            entries.push(Entry {
                label: b.label.to_owned(),
                help: b.help.to_owned(),
            });
        }
        if entries.is_empty() && also.is_empty() {
            continue;
        }
        out.push(Section {
            title,
            entries,
            also,
            commands: false,
        });
    }
    out.push(Section {
        title: COMMANDS_TITLE,
        entries: COMMANDS
            .iter()
            .filter(|(_, _, mutates)| !(read_only && *mutates))
            .map(|(command, help, _)| Entry {
                label: format!(":{command}"),
                help: (*help).to_owned(),
            })
            .collect(),
        also: Vec::new(),
        commands: true,
    });
    out
}

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

fn chunks(sections: &[Section], form: Form, col_w: usize, theme: &Theme) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::with_capacity(64);
    for (n, section) in sections.iter().enumerate() {
        if form.blanks && n > 0 {
            out.push(Chunk {
                rows: vec![Line::raw("")],
                blank: true,
            });
        }
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
        if section.entries.is_empty() && !section.also.is_empty() {
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

/// The chunks in `cols` columns of at most `height` rows, filled in order. With `cut`, what does
/// not fit is left out and the last row says so; without, `None` when it does not all fit.
fn fill(
    chunks: &[Chunk],
    cols: usize,
    height: usize,
    cut: bool,
    theme: &Theme,
) -> Option<Vec<Vec<Line<'static>>>> {
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
    if !left_out {
        return Some(columns);
    }
    if !cut {
        return None;
    }
    let last = columns.last_mut().expect("a column");
    last.truncate(height.saturating_sub(1));
    while last.last().is_some_and(|l| l.width() == 0) {
        last.pop();
    }
    last.push(Line::styled(CUT, theme.dim));
    Some(columns)
}

/// The help: every key for where it works, in as many columns as the screen holds.
pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
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
        let chunks = chunks(&sections(model.read_only, form.compact), form, col_w, theme);
        let rows: usize = chunks
            .iter()
            .filter(|c| !c.blank)
            .map(|c| c.rows.len())
            .sum();
        let lowest = rows.div_ceil(cols).min(inner_h);
        columns = (lowest..=inner_h).find_map(|h| fill(&chunks, cols, h, false, theme));
        if columns.is_some() {
            break;
        }
    }
    let columns = columns.unwrap_or_else(|| {
        let last = FORMS[FORMS.len() - 1];
        let chunks = chunks(&sections(model.read_only, last.compact), last, col_w, theme);
        fill(&chunks, cols, inner_h, true, theme).unwrap_or_default()
    });

    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    let rect = centered(area, w, rows as u16 + 2);
    let block = theme.popup(" Help — keys for where the cursor is ");
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    for (i, column) in columns.into_iter().enumerate() {
        let x = inner.x + (i * (col_w + GAP)) as u16;
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
}
