//! The on-call inspection popups: the relationship between two users (`i`, `:inspect A B`) and the
//! reverse lookup "who blocks X?" (`w`, `:blockers`). The keys each popup answers are written at
//! its bottom and never cut: when the screen is short the explanations give way first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::popups::{popup, popup_width};
use super::text::{clip, fit, line_fit, scrub, span_width, width, wrap, wrap_hanging};
use super::theme::Theme;
use crate::app::command::Command;
use crate::app::model::{Blockers, Inspection, Inspector, Model, VerdictLine};
use crate::display::sanitize;

/// What the inspector says while it waits for its four calls.
pub const CHECKING: &str = "checking both directions, friendship and accounts…";

/// Lines a popup may have in `area` (a row of the panes stays in sight above and below).
fn max_lines(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(4)).max(3)
}

/// `body`, then `footer`, in at most `max` lines: the body is cut (ending in `…`) so that the
/// footer always shows.
fn with_footer<'a>(
    mut body: Vec<Line<'a>>,
    footer: Vec<Line<'a>>,
    max: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let room = max.saturating_sub(footer.len());
    if body.len() > room {
        body.truncate(room.saturating_sub(1));
        // A blank line does not end a cut body.
        while body.last().is_some_and(|l| l.width() == 0) {
            body.pop();
        }
        body.push(Line::styled("…", theme.dim));
    }
    body.extend(footer);
    body
}

/// `key words` hints, ` · ` apart, flowed into lines of `room` columns.
fn hints<'a>(items: Vec<(&'static str, String)>, theme: &Theme, room: usize) -> Vec<Line<'a>> {
    let mut lines: Vec<Line> = Vec::with_capacity(2);
    let mut spans: Vec<Span> = Vec::with_capacity(8);
    let mut used = 0;
    for (key, words) in items {
        let w = width(key) + 1 + width(&words);
        if used > 0 && used + 3 + w > room {
            lines.push(Line::from(std::mem::take(&mut spans)));
            used = 0;
        }
        if used > 0 {
            spans.push(Span::styled(" · ", theme.dim));
            used += 3;
        }
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::raw(format!(" {words}")));
        used += w;
    }
    if !spans.is_empty() {
        lines.push(Line::from(spans));
    }
    lines.into_iter().map(|l| line_fit(l.spans, room)).collect()
}

/// `label` wrapped in `room` columns after `mark ` (continuation lines indented under the text).
fn marked<'a>(
    mark: &'static str,
    style: ratatui::style::Style,
    text: &str,
    room: usize,
) -> Vec<Line<'a>> {
    let indent = width(mark) + 1;
    wrap(text, room.saturating_sub(indent))
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let head = if i == 0 {
                format!("{mark} ")
            } else {
                " ".repeat(indent)
            };
            Line::from(vec![Span::styled(head, style), Span::styled(l, style)])
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The inspector

/// The keys the inspector answers, as hint lines: `x`/`X` only for a direction that blocks
/// (and never in read-only mode), then close.
fn inspector_keys<'a>(
    model: &Model,
    view: &Inspector,
    theme: &Theme,
    room: usize,
) -> Vec<Line<'a>> {
    let mut keys: Vec<(&'static str, String)> = Vec::with_capacity(3);
    if let Some(Ok(i)) = &view.result {
        let (a, b) = (clip(&i.a_shown, 24), clip(&i.b_shown, 24));
        for (command, words) in [
            (Command::UnblockAB, format!("unblock {a}→{b}")),
            (Command::UnblockBA, format!("unblock {b}→{a}")),
        ] {
            // Offered where the command table allows it: that direction blocks, and changes are
            // allowed now.
            if let (true, Some(label)) = (
                super::statusbar::available(model, command),
                model.keymap.label(command),
            ) {
                keys.push((label, words));
            }
        }
    }
    if let (true, Some(label)) = (
        super::statusbar::available(model, Command::ShowHistory),
        model.keymap.label(Command::ShowHistory),
    ) {
        let b = clip(view.b.as_str(), 24);
        keys.push((label, format!("history of {b}")));
    }
    if let Some(label) = model.keymap.label(Command::Close) {
        keys.push((label, "close".to_owned()));
    }
    hints(keys, theme, room)
}

/// How the inspector's answer is laid out: whole with blank lines, whole without, or (when even
/// that does not fit) a window of `rows` over its `len` lines that `j`/`k` scroll.
enum Fit<'a> {
    Whole(Vec<Line<'a>>),
    Window { body: Vec<Line<'a>>, rows: usize },
}

fn fit_inspection<'a>(
    i: &'a Inspection,
    keys: &[Line<'a>],
    theme: &Theme,
    room: usize,
    max: usize,
) -> Fit<'a> {
    for blanks in [true, false] {
        let mut body = inspection_lines(i, theme, room, blanks, false);
        let footer = spaced(keys.to_vec(), blanks);
        if body.len() + footer.len() <= max {
            body.extend(footer);
            return Fit::Whole(body);
        }
    }
    let body = inspection_lines(i, theme, room, false, false);
    // The scrolling hint and the keys stay below the window.
    let rows = max.saturating_sub(keys.len() + 1).max(1);
    Fit::Window { body, rows }
}

/// How many lines the inspector's answer has and how many the screen shows: what its scrolling
/// keys move within (equal when it fits whole).
pub fn inspector_layout(model: &Model, view: &Inspector) -> (usize, usize) {
    let Some(Ok(i)) = &view.result else {
        return (0, 0);
    };
    let area = super::popup_area(model);
    let theme = Theme::for_model(model);
    let room = usize::from(popup_width(area, 76));
    let keys = inspector_keys(model, view, &theme, room);
    match fit_inspection(i, &keys, &theme, room, max_lines(area)) {
        Fit::Whole(lines) => (lines.len(), lines.len()),
        Fit::Window { body, rows } => (body.len(), rows),
    }
}

/// The inspector: what is known about A and B, the four verdicts with their reasons, the notes,
/// and the keys. Every line is whole: when the answer is longer than the screen, `j`/`k` scroll
/// it and the keys stay in sight.
pub fn inspector(model: &Model, view: &Inspector, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = popup_width(area, 76);
    let room = usize::from(w);
    let (a, b) = match &view.result {
        Some(Ok(i)) => (
            scrub(&i.a_shown).into_owned(),
            scrub(&i.b_shown).into_owned(),
        ),
        _ => (
            sanitize(view.a.as_str()).into_owned(),
            sanitize(view.b.as_str()).into_owned(),
        ),
    };
    // ` Inspect a ↔ b `: each ID gets half of what the words leave.
    let id_room = room.saturating_sub(14) / 2;
    let title = format!(" Inspect {} ↔ {} ", fit(&a, id_room), fit(&b, id_room));
    let keys = inspector_keys(model, view, theme, room);

    let max = max_lines(area);
    let lines = match &view.result {
        None => {
            let waiting = super::text::waiting(model, Some(model.side_since));
            let body = wrap(&format!("{CHECKING}{waiting}"), room)
                .into_iter()
                .map(|l| Line::styled(l, theme.dim))
                .collect();
            with_footer(body, spaced(keys, true), max, theme)
        }
        Some(Err(e)) => with_footer(
            marked("✗", theme.error, e, room),
            spaced(keys, true),
            max,
            theme,
        ),
        Some(Ok(i)) => match fit_inspection(i, &keys, theme, room, max) {
            Fit::Whole(lines) => lines,
            Fit::Window { body, rows } => {
                let shown = view.scroll.window(body.len(), rows);
                let hint = format!(
                    " scroll · lines {}–{} of {}",
                    shown.start + 1,
                    shown.end,
                    body.len()
                );
                let mut lines: Vec<Line> = body[shown].to_vec();
                lines.push(line_fit(
                    vec![
                        Span::styled("j/k", theme.key),
                        Span::styled(hint, theme.dim),
                    ],
                    room,
                ));
                lines.extend(keys);
                lines
            }
        },
    };
    popup(theme, frame, area, &title, w, lines);
}

/// The footer after a blank line, when blank lines are kept.
fn spaced(footer: Vec<Line<'_>>, blank: bool) -> Vec<Line<'_>> {
    if blank {
        std::iter::once(Line::raw("")).chain(footer).collect()
    } else {
        footer
    }
}

fn inspection_lines<'a>(
    i: &'a Inspection,
    theme: &Theme,
    room: usize,
    blanks: bool,
    one_line: bool,
) -> Vec<Line<'a>> {
    let (a, b) = (scrub(&i.a_shown), scrub(&i.b_shown));
    let mut lines: Vec<Line> = Vec::with_capacity(24);
    let sep = || Span::styled(" · ", theme.dim);

    // Who they are.
    for (id, nick, exists) in [(&a, &i.a_nick, i.a_exists), (&b, &i.b_nick, i.b_exists)] {
        let mut spans = vec![Span::styled(id.clone(), theme.heading)];
        if let Some(nick) = nick.as_deref().filter(|n| !n.is_empty()) {
            spans.push(Span::raw(format!(" ({})", clip(nick, 32))));
        }
        spans.push(Span::raw(" "));
        spans.push(if exists {
            Span::styled("exists", theme.success)
        } else {
            Span::styled("does not exist", theme.error)
        });
        lines.push(line_fit(spans, room));
    }

    // Their relation: on one line when it fits, else one fact a line.
    let yes_no = |v: bool| {
        if v {
            Span::styled("yes", theme.warning)
        } else {
            Span::styled("no", theme.text)
        }
    };
    let facts: Vec<Vec<Span>> = vec![
        vec![Span::raw(format!("{a} blocks {b}: ")), yes_no(i.a_blocks_b)],
        vec![Span::raw(format!("{b} blocks {a}: ")), yes_no(i.b_blocks_a)],
        vec![Span::raw(format!("friendship: {}", scrub(&i.friendship)))],
    ];
    let one: usize = facts.iter().flatten().map(span_width).sum::<usize>() + 3 * 2;
    if one <= room {
        let mut spans = Vec::with_capacity(8);
        for (n, fact) in facts.into_iter().enumerate() {
            if n > 0 {
                spans.push(sep());
            }
            spans.extend(fact);
        }
        lines.push(Line::from(spans));
    } else {
        lines.extend(facts.into_iter().map(|f| line_fit(f, room)));
    }

    // What each can do, and why.
    if blanks {
        lines.push(Line::raw(""));
    }
    for (verdict, label) in [
        (&i.a_messages_b, format!("{a} → {b} message")),
        (&i.b_messages_a, format!("{b} → {a} message")),
        (&i.a_requests_b, format!("{a} → {b} friend request")),
        (&i.b_requests_a, format!("{b} → {a} friend request")),
    ] {
        lines.extend(verdict_lines(verdict, &label, theme, room, one_line));
    }

    // What else to know.
    if !i.notes.is_empty() && blanks {
        lines.push(Line::raw(""));
    }
    for note in &i.notes {
        if one_line {
            lines.push(line_fit(
                vec![Span::raw("• "), Span::raw(scrub(note))],
                room,
            ));
        } else {
            lines.extend(marked("•", theme.text, note, room));
        }
    }
    lines
}

/// `✗ alice → bob message — alice cannot message bob: …`, the reason wrapped under the label.
fn verdict_lines<'a>(
    verdict: &VerdictLine,
    label: &str,
    theme: &Theme,
    room: usize,
    one_line: bool,
) -> Vec<Line<'a>> {
    let (mark, style) = if verdict.allowed {
        ("✓ ", theme.success)
    } else {
        ("✗ ", theme.error)
    };
    let head = format!("{label} — ");
    let used = width(mark) + width(&head);
    let why = scrub(&verdict.why);
    if one_line {
        return vec![line_fit(
            vec![
                Span::styled(mark, style),
                Span::styled(head, theme.heading),
                Span::raw(why.into_owned()),
            ],
            room,
        )];
    }
    // The label on its own line when it leaves too little room for the reason beside it.
    let (first, mut lines) = if used + 12 <= room {
        (room - used, Vec::new())
    } else {
        let line = line_fit(
            vec![
                Span::styled(mark, style),
                Span::styled(label.to_owned(), theme.heading),
            ],
            room,
        );
        (room.saturating_sub(2), vec![line])
    };
    for (n, l) in wrap_hanging(&why, first, room.saturating_sub(2))
        .into_iter()
        .enumerate()
    {
        if n == 0 && lines.is_empty() {
            lines.push(Line::from(vec![
                Span::styled(mark, style),
                Span::styled(head.clone(), theme.heading),
                Span::raw(l),
            ]));
        } else {
            lines.push(Line::from(vec![Span::raw("  "), Span::raw(l)]));
        }
    }
    lines
}

// ---------------------------------------------------------------------------------------------
// The reverse lookup (drawn as a table by the blocklist pane)

/// What the change store answered, in words: what it named while the checks run, how that held up
/// once they are done.
pub(super) fn history_words(view: &Blockers) -> Option<String> {
    let reach = |r: Option<crate::client::journal::changes::Reach>| match r {
        Some(r) => format!("history back to {}", super::history::reach_time(&r)),
        None => "the history is empty".to_owned(),
    };
    if let Some(h) = &view.history {
        if h.suspects == 0 {
            return Some(format!(
                "{RECORDED} the history names no blocker · {}",
                reach(h.reach)
            ));
        }
        let outdated = match h.outdated.len() {
            0 => String::new(),
            n => format!(" ({n} no longer)"),
        };
        return Some(format!(
            "{RECORDED} from the history: {} of {} recorded blocker(s) confirmed{outdated} · {}",
            h.confirmed.len(),
            h.suspects,
            reach(h.reach)
        ));
    }
    view.recorded.as_ref().map(|r| {
        format!(
            "{RECORDED} {} recorded blocker(s) checked first · {}",
            r.suspects.len(),
            reach(r.reach)
        )
    })
}

/// Marks a blocker that the change history named.
const RECORDED: &str = "◷";
