//! What sits on top of the panes: the `:`, `/` and export lines, the block prompt, the
//! confirmation, the summary of the last batch and the quit question, and the popup frame the
//! help and the inspection views share.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use tui_input::Input;

use super::statusbar::{available, duration};
use super::text::{fit, input_window, line_fit, scrub, span_width, typed_width, width, wrap};
use super::theme::Theme;
use crate::app::command::{self, Command, Context, Keymap};
use crate::app::model::{
    BatchOutcome, Checks, ConfirmLine, Entry, ExportWhat, Level, Model, Overlay, PaletteLine,
    PendingAction, SAMPLE,
};
use crate::client::{Operation, Pair};
use crate::display::sanitize;
use crate::tim::wire::MAX_BLOCKLIST;

/// Items listed per failure group in the summary.
const PER_GROUP: usize = 5;

/// A `width`×`height` rectangle centred in `area` (cut to it).
pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// Draws `lines` in a centred popup titled `title`, `inner_width` columns wide inside the border;
/// lines beyond the screen give way to a last `…`. Returns the inner area.
pub(super) fn popup(
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    title: &str,
    inner_width: u16,
    mut lines: Vec<Line<'_>>,
) -> Rect {
    // A row of the panes stays in sight above and below.
    let max_lines = usize::from(area.height.saturating_sub(4));
    if lines.len() > max_lines {
        lines.truncate(max_lines.saturating_sub(1));
        lines.push(Line::styled("…", theme.dim));
    }
    let rect = centered(area, inner_width + 2, lines.len() as u16 + 2);
    let block = theme.popup(title);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
    inner
}

/// Inner width of a popup that would like `want` columns, within `area` less a margin.
pub(super) fn popup_width(area: Rect, want: u16) -> u16 {
    want.min(area.width.saturating_sub(6)).max(10)
}

/// `alice → bob`, sanitized.
fn pair_text(pair: &Pair) -> String {
    pair.to_string()
}

/// `y confirm · n/Esc cancel`, from the command table; `y` shows as not yet active until the
/// question has been on screen long enough to be answered (a key before that does not count),
/// and while the checks before a change are still running.
fn confirm_keys(model: &Model, theme: &Theme) -> Line<'static> {
    if matches!(&model.overlay, Overlay::Confirm(p) if p.typing.is_some()) {
        let keys = &model.keymap;
        return Line::from(vec![
            Span::styled(keys.key(Command::Submit), theme.key),
            Span::styled(" keeps the line", theme.text),
            Span::styled(" · ", theme.dim),
            Span::styled(keys.key(Command::CancelLine), theme.key),
            Span::styled(
                format!(
                    " leaves it (then {}/{} answer)",
                    keys.key(Command::Yes),
                    keys.key(Command::No)
                ),
                theme.text,
            ),
        ]);
    }
    let not_yet = match &model.overlay {
        Overlay::Confirm(pending) if pending.ready(&model.keymap).is_err() => {
            if matches!(pending.checks, Checks::Running { .. }) {
                Some(" (after the checks)")
            } else {
                Some(" (nothing to send)")
            }
        }
        _ if !model.armed() => Some(" (in a moment)"),
        _ => None,
    };
    let mut spans = Vec::with_capacity(8);
    // The reason line belongs to a change, not to the question about quitting.
    let change = matches!(model.overlay, Overlay::Confirm(_));
    for (i, (spec, b)) in command::popup_keys(&model.keymap, Context::Confirm)
        .into_iter()
        .filter(|(spec, _)| change || spec.command != Command::Reason)
        .enumerate()
    {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.dim));
        }
        let waits = (spec.command == Command::Yes).then_some(not_yet).flatten();
        let (key, text) = if waits.is_some() {
            (theme.dim, theme.dim)
        } else {
            (theme.key, theme.text)
        };
        spans.push(Span::styled(b.label, key));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(spec.short, text));
        if let Some(why) = waits {
            spans.push(Span::styled(why, theme.dim));
        }
    }
    Line::from(spans)
}

/// Up to three of `items`, `a, b, c and 4 more`.
fn some_of<T: std::fmt::Display>(items: &[T], room: usize) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(3)
        .map(|i| sanitize(&i.to_string()).into_owned())
        .collect();
    let mut text = shown.join(", ");
    if items.len() > shown.len() {
        text.push_str(&format!(" and {} more", items.len() - shown.len()));
    }
    fit(&text, room).into_owned()
}

/// What the checks before a change found, as lines: a mark, the count and why, and some of the
/// pairs; then what `y` sends.
fn check_lines(
    model: &Model,
    action: &PendingAction,
    theme: &Theme,
    room: usize,
) -> Vec<Line<'static>> {
    let mut lines = Vec::with_capacity(8);
    let mut note = |mark: &'static str, style, text: String| {
        lines.extend(marked(mark, style, &text, room));
    };
    match &action.checks {
        Checks::Running { .. } => {
            let what = match action.op {
                Operation::Block => "do they exist, are they blocked already",
                _ => "do they exist, are they on the list",
            };
            let spin = super::text::waiting(model, Some(model.overlay_since));
            note(
                "… ",
                theme.dim,
                format!("checking the targets: {what}{spin}"),
            );
        }
        Checks::Failed(why) => note(
            "? ",
            theme.warning,
            format!(
                "the checks could not run ({why}): {} sends all {} as asked, and the service \
                 decides each",
                model.keymap.key(Command::Yes),
                action.pairs.len()
            ),
        ),
        Checks::Done(held) => {
            // A retry or a resume sends every pair of its journal batch: what the checks found
            // is recorded there, not held out.
            let resuming = action.resume.is_some();
            let (fails, so) = if resuming {
                ("will fail", "recorded as is")
            } else {
                ("held out", "held out")
            };
            if !held.missing.is_empty() {
                note(
                    "✗ ",
                    theme.error,
                    format!(
                        "{} {fails}, no such account in this app: {}",
                        held.missing.len(),
                        some_of(&held.missing_ids, room)
                    ),
                );
            }
            if !held.already.is_empty() {
                let state = match action.op {
                    Operation::Block => "blocked already",
                    _ => "not on the list",
                };
                note(
                    "· ",
                    theme.dim,
                    format!(
                        "{} {so}, {state}: {}",
                        held.already.len(),
                        some_of(&held.already, room)
                    ),
                );
            }
            if !held.overflow.is_empty() {
                let size = held.list_size.unwrap_or_default();
                note(
                    "✗ ",
                    theme.error,
                    format!(
                        "{} {fails}, would not fit (the list has {size} of {}): {}",
                        held.overflow.len(),
                        MAX_BLOCKLIST,
                        some_of(&held.overflow, room)
                    ),
                );
            }
            if !held.unchecked.is_empty() {
                note(
                    "? ",
                    theme.warning,
                    format!(
                        "{} could not be checked: sent as they are, the service decides",
                        held.unchecked.len()
                    ),
                );
            }
            let send = action.sends();
            if held.is_empty() {
                note(
                    "✓ ",
                    theme.success,
                    "checked: every account exists and every entry needs the change".to_owned(),
                );
            } else if resuming {
                note(
                    "→ ",
                    theme.text,
                    format!(
                        "{} sends all {send}, so that the journal batch accounts for each; what \
                         is so already is not changed",
                        model.keymap.key(Command::Yes)
                    ),
                );
            } else if send == 0 {
                note(
                    "✗ ",
                    theme.error,
                    format!(
                        "nothing left to send: {} closes",
                        model.keymap.key(Command::No)
                    ),
                );
            } else {
                note(
                    "→ ",
                    theme.text,
                    format!("{} sends the other {send}", model.keymap.key(Command::Yes)),
                );
            }
        }
    }
    lines
}

/// The confirmation of a destructive action: what, how many, a sample of the targets, what the
/// checks found, the warning, and `y`/`n` (never Enter). When the screen is short, the sample
/// gives way first: the checks, the warning and the keys always show.
pub fn confirm(
    model: &Model,
    action: &PendingAction,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let w = popup_width(area, 72);
    let room = usize::from(w);
    let mut head: Vec<Line> = Vec::with_capacity(4);
    for l in wrap(&action.title, room) {
        head.push(Line::styled(l, theme.heading));
    }
    let n = action.pairs.len();
    let what = match action.op {
        Operation::Check { .. } => "pair",
        _ => "entry",
    };
    let count = match (n, what) {
        (1, w) => format!("1 {w}:"),
        (n, "entry") => format!("{n} entries:"),
        (n, w) => format!("{n} {w}s:"),
    };
    head.push(Line::raw(count));
    let mut tail: Vec<Line> = check_lines(model, action, theme, room);
    tail.extend(rule_lines(model, action, theme, room));
    if let Some(warning) = &action.warning {
        tail.push(Line::raw(""));
        tail.extend(marked("! ", theme.warning, warning, room));
    }
    tail.push(Line::raw(""));
    tail.push(confirm_keys(model, theme));
    // The popup's frame and a row of the panes above and below take 4 rows.
    let room_rows = usize::from(area.height.saturating_sub(4));
    let spare = room_rows.saturating_sub(head.len() + tail.len());
    let more = n > SAMPLE.min(spare);
    let sample = if more {
        SAMPLE.min(spare.saturating_sub(1))
    } else {
        n
    };
    let mut lines = head;
    for pair in action.pairs.iter().take(sample) {
        lines.push(Line::raw(
            fit(&format!("  {}", pair_text(pair)), room).into_owned(),
        ));
    }
    if n > sample && spare > 0 {
        lines.push(Line::styled(
            format!("  and {} more", n - sample),
            theme.dim,
        ));
    }
    lines.extend(tail);
    popup(theme, frame, area, " Confirm ", w, lines);
}

/// `text` wrapped to `room` behind a two-cell `mark` (blank on the lines after the first).
fn marked(
    mark: &'static str,
    style: ratatui::style::Style,
    text: &str,
    room: usize,
) -> Vec<Line<'static>> {
    wrap(text, room.saturating_sub(2))
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let mark = if i == 0 { mark } else { "  " };
            Line::from(vec![Span::styled(mark, style), Span::styled(l, style)])
        })
        .collect()
}

/// The team's rules on a confirmation: the pairs held out for protected accounts, and the
/// reason line (open for typing, or required and empty, or what was typed).
fn rule_lines(
    model: &Model,
    action: &PendingAction,
    theme: &Theme,
    room: usize,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut note = |mark: &'static str, style, text: String| {
        lines.extend(marked(mark, style, &text, room));
    };
    if !action.protected.is_empty() {
        let mut accounts: Vec<&str> = action
            .protected
            .iter()
            .flat_map(|p| [p.from.as_str(), p.to.as_str()])
            .filter(|id| model.rules.protected.contains(id))
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        note(
            "⊘ ",
            theme.warning,
            format!(
                "{} held out: they touch protected account(s) {}; {} names one to let it through",
                count_pairs(action.protected.len()),
                some_of(&accounts, room.saturating_sub(40).max(12)),
                model.keymap.key(Command::NameProtected)
            ),
        );
        if action.typing == Some(ConfirmLine::Include) {
            note(
                "> ",
                theme.key,
                format!("include: {}▏", sanitize(action.include.value())),
            );
        }
    }
    let typed = action.reason.value();
    let label = if action.reason_required {
        "reason (required)"
    } else {
        "reason"
    };
    match (action.typing == Some(ConfirmLine::Reason), typed.is_empty()) {
        (true, _) => note(
            "> ",
            theme.key,
            format!(
                "{label}: {}▏ ({} keeps it)",
                sanitize(typed),
                model.keymap.key(Command::Submit)
            ),
        ),
        (false, false) => note("  ", theme.text, format!("{label}: {}", sanitize(typed))),
        (false, true) if action.reason_required => note(
            "! ",
            theme.warning,
            format!(
                "{label}: none yet; press {} and type why",
                model.keymap.key(Command::Reason)
            ),
        ),
        (false, true) => {}
    }
    lines
}

fn count_pairs(n: usize) -> String {
    if n == 1 {
        "1 pair".to_owned()
    } else {
        format!("{n} pairs")
    }
}

/// `q` while a batch runs.
pub fn quit_confirm(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = popup_width(area, 46);
    let mut lines: Vec<Line> = wrap(
        "a batch is running: cancel it and quit? y/n",
        usize::from(w),
    )
    .into_iter()
    .map(|l| Line::styled(l, theme.heading))
    .collect();
    lines.push(Line::raw(""));
    lines.push(confirm_keys(model, theme));
    popup(theme, frame, area, " Quit ", w, lines);
}

/// `b`: the IDs to block for the looked-up user, with the problem of the last attempt.
pub fn block_prompt(
    model: &Model,
    input: &Input,
    error: Option<&str>,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) -> Option<Position> {
    let w = popup_width(area, 76);
    let room = usize::from(w);
    let owner = model.list.owner.as_ref().map_or_else(
        || "(nobody looked up)".to_owned(),
        |o| sanitize(o.as_str()).into_owned(),
    );
    let mut lines: Vec<Line> = Vec::with_capacity(10);
    let ask = format!("Block for {owner}: IDs separated by spaces, commas or new lines");
    for l in wrap(&ask, room) {
        lines.push(Line::raw(l));
    }
    lines.push(Line::raw(""));
    let (typed, col) = input_window(input.value(), input.cursor(), room.saturating_sub(2));
    let input_row = lines.len();
    lines.push(Line::from(vec![
        Span::styled("> ", theme.key),
        Span::raw(typed),
    ]));
    if let Some(error) = error {
        lines.push(Line::raw(""));
        for (i, l) in wrap(error, room.saturating_sub(2)).into_iter().enumerate() {
            let mark = if i == 0 { "✗ " } else { "  " };
            lines.push(Line::from(vec![
                Span::styled(mark, theme.error),
                Span::styled(l, theme.error),
            ]));
        }
    }
    let inner = popup(theme, frame, area, " Block ", w, lines);
    let y = inner.y + input_row as u16;
    (y < inner.bottom()).then(|| Position::new(inner.x + 2 + col, y))
}

/// The `/` line, drawn over the status line, with the cursor and how much of the list passes.
pub fn filter_line(
    model: &Model,
    input: &Input,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) -> Position {
    let count = if model.journal.is_none() && model.focus == crate::app::model::Focus::Feed {
        format!(
            "  {} of {} feed lines match",
            model.feed.shown_len(),
            model.feed.lines.len()
        )
    } else if model.list.owner.is_some() {
        format!(
            "  {} of {} match",
            model.list.view.len(),
            model.list.rows.len()
        )
    } else {
        String::new()
    };
    // A fresh line offers the filter kept before.
    let count = if input.value().is_empty() && !model.filter_recall.is_empty() {
        format!(
            "{count}  ↑ \"{}\"",
            super::text::scrub(&model.filter_recall)
        )
    } else {
        count
    };
    typed_line(
        Span::styled("/", theme.key),
        input,
        Span::styled(count, theme.dim),
        true,
        frame,
        area,
    )
}

/// The `:` line over the status line: the text, and after it the problem of the last Enter, the
/// choices of the last Tab, or the usage of the command typed.
pub fn palette_line(
    model: &Model,
    line: &PaletteLine,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) -> Position {
    let after = if let Some(error) = &line.error {
        Span::styled(format!("  ✗ {}", scrub(error)), theme.error)
    } else if let Some(c) = &line.completion {
        let choices: Vec<String> = c
            .choices
            .iter()
            .enumerate()
            .map(|(i, choice)| {
                let choice = scrub(choice).into_owned();
                if c.shown == Some(i) {
                    format!("[{choice}]")
                } else {
                    choice
                }
            })
            .collect();
        Span::styled(format!("  {}", choices.join(" ")), theme.dim)
    } else {
        Span::styled(usage_hint(model, line.input.value()), theme.dim)
    };
    typed_line(
        Span::styled(":", theme.key),
        &line.input,
        after,
        false,
        frame,
        area,
    )
}

/// `  — inspect [A] B: the relationship between …` once the command's name is typed.
fn usage_hint(model: &Model, text: &str) -> String {
    let Some(name) = text.split_whitespace().next() else {
        return format!(
            "  {} lists the commands",
            model.keymap.key(Command::Complete)
        );
    };
    match command::by_name(name) {
        Some(spec) if !(model.read_only && spec.mutates) => {
            let usage = spec.palette.as_ref().map_or("", |p| p.usage);
            format!("  — :{usage}: {}", spec.help_in(&model.keymap))
        }
        _ => String::new(),
    }
}

/// `e`: `export the blocklist as shown to: alice-blocklist-….csv`, with the problem of the last
/// attempt after the file name.
pub fn export_line(
    what: ExportWhat,
    input: &Input,
    error: Option<&str>,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) -> Position {
    let prompt = Span::styled(format!("export {} to: ", what.label()), theme.key);
    let after = error.map_or_else(
        || Span::raw(""),
        |e| Span::styled(format!("  ✗ {}", scrub(e)), theme.error),
    );
    typed_line(prompt, input, after, false, frame, area)
}

/// Fewest columns left for the typed text when something follows it.
const TYPED_MIN: usize = 20;

/// A typed line over the status line: `prompt`, the text scrolled so that the cursor shows, and
/// `after` (at the right edge when `right`, else just after the text), cut before the text is;
/// returns where the cursor goes.
fn typed_line(
    prompt: Span<'_>,
    input: &Input,
    after: Span<'_>,
    right: bool,
    frame: &mut Frame,
    area: Rect,
) -> Position {
    let total = usize::from(area.width);
    let prompt_w = span_width(&prompt).min(total.saturating_sub(1));
    let prompt = Span::styled(fit(&prompt.content, prompt_w).into_owned(), prompt.style);
    let left = total - prompt_w;
    // The text needs its width and a cell for the cursor; what follows takes the rest, cut.
    let need = typed_width(input.value()) + 1;
    // The text keeps all it needs while that leaves TYPED_MIN columns for what follows; a longer
    // text keeps TYPED_MIN columns (scrolled to its cursor) and what follows takes the rest, cut.
    let reserve = if need + TYPED_MIN <= left {
        need
    } else {
        need.min(TYPED_MIN)
    };
    let after_w = span_width(&after).min(left.saturating_sub(reserve));
    let after = Span::styled(fit(&after.content, after_w).into_owned(), after.style);
    let room = left.saturating_sub(after_w).max(1);
    let (typed, col) = input_window(input.value(), input.cursor(), room);
    let pad = if right {
        room.saturating_sub(width(&typed))
    } else {
        0
    };
    let line = Line::from(vec![
        prompt,
        Span::raw(typed),
        Span::raw(" ".repeat(pad)),
        after,
    ]);
    frame.render_widget(line_fit(line.spans, total), area);
    Position::new(area.x + prompt_w as u16 + col, area.y)
}

/// The summary of the last batch: how it ended, the counts, and failures grouped by code.
pub fn result(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = popup_width(area, 90);
    let room = usize::from(w);
    let Some(last) = &model.last else {
        let lines = vec![Line::styled("no batch has run yet", theme.dim)];
        popup(theme, frame, area, " Last batch ", w.min(40), lines);
        return;
    };
    // Fewer items per failure group until the summary fits the screen.
    let fits = usize::from(area.height.saturating_sub(4));
    let mut per_group = PER_GROUP;
    let (mut lines, mut spark) = result_lines(model, last, theme, room, per_group);
    while lines.len() > fits && per_group > 1 {
        per_group -= 1;
        (lines, spark) = result_lines(model, last, theme, room, per_group);
    }
    let title = format!(" Last batch: {} ", last.op.verb());
    let inner = popup(theme, frame, area, &title, w, lines);
    // The calls per second go over the blank the line left for them.
    if let Some(spark) = spark
        && (spark.row as u16) + 1 < inner.height
    {
        let at = Rect {
            x: inner.x + spark.x,
            y: inner.y + spark.row as u16,
            width: spark.values.len() as u16,
            height: 1,
        };
        super::spark::draw(&spark.values, theme, frame, at);
    }
}

/// Where the summary's sparkline of calls per second goes: its line, its column, its values.
struct CallSpark {
    row: usize,
    x: u16,
    values: Vec<u64>,
}

/// `calls/s ▁▃▇█▇▅▂ peak 210 · 3s`: the line with a blank where the sparkline goes, and where
/// that is on it. Only for a batch whose progress covered a few slots, with calls in them.
fn call_rate_line<'a>(
    last: &BatchOutcome,
    theme: &Theme,
    room: usize,
) -> Option<(Line<'a>, u16, Vec<u64>)> {
    let per_second = last.call_rate.per_second();
    let peak = per_second.iter().copied().fold(0.0, f64::max);
    if per_second.len() < 4 || peak <= 0.0 {
        return None;
    }
    let head = "calls/s ";
    let over = std::time::Duration::from_millis(last.call_rate.covered_ms());
    let tail = format!(" peak {peak:.0} · over {}", duration(over));
    let left = room.checked_sub(width(head) + width(&tail))?;
    if left < 8 {
        return None;
    }
    let values: Vec<u64> = super::spark::squeeze(&per_second, left)
        .into_iter()
        .map(|v| v.round() as u64)
        .collect();
    let line = Line::from(vec![
        Span::styled(head, theme.dim),
        Span::raw(" ".repeat(values.len())),
        Span::styled(tail, theme.dim),
    ]);
    Some((line, width(head) as u16, values))
}

fn result_lines<'a>(
    model: &Model,
    last: &BatchOutcome,
    theme: &Theme,
    room: usize,
    per_group: usize,
) -> (Vec<Line<'a>>, Option<CallSpark>) {
    let mut lines: Vec<Line> = Vec::with_capacity(40);
    let mut spark = None;
    for l in wrap(last.ended.words(), room) {
        lines.push(Line::styled(l, theme.heading));
    }
    if let Some(reason) = &last.stop_reason {
        for l in wrap(reason, room) {
            lines.push(Line::styled(l, theme.error));
        }
    }
    let failed = last.failed_count();
    let counts = vec![
        Span::styled(format!("✓ done {}", last.done.len()), theme.success),
        Span::styled(" · ", theme.dim),
        Span::raw(format!("already {}", last.already)),
        Span::styled(" · ", theme.dim),
        Span::styled(
            format!("✗ failed {failed}"),
            if failed > 0 { theme.error } else { theme.text },
        ),
        Span::styled(" · ", theme.dim),
        Span::styled(
            format!("unfinished {}", last.unfinished.len()),
            if last.unfinished.is_empty() {
                theme.text
            } else {
                theme.warning
            },
        ),
        Span::styled(format!("  of {}", last.total), theme.dim),
    ];
    lines.push(line_fit(counts, room));
    let calls = if last.calls == 1 { "call" } else { "calls" };
    let mut facts = format!("{} {calls} in {}", last.calls, duration(last.elapsed));
    if let Some(journal) = &last.journal_batch {
        facts.push_str(" · journal batch ");
        facts.push_str(&scrub(journal));
    }
    lines.push(Line::styled(fit(&facts, room).into_owned(), theme.dim));
    if let Some((line, x, values)) = call_rate_line(last, theme, room) {
        spark = Some(CallSpark {
            row: lines.len(),
            x,
            values,
        });
        lines.push(line);
    }
    if let Some(pace) = last.pace.filter(|p| p.cuts > 0) {
        for l in wrap(&format!("pace {}", pace.settled()), room) {
            lines.push(Line::styled(l, theme.dim));
        }
    }

    for group in &last.failures {
        lines.push(Line::raw(""));
        let fix = if crate::app::command::retry_can_fix(group.code) {
            format!("{} retries these", model.keymap.key(Command::RetryFailed))
        } else {
            "permanent: a retry cannot fix these".to_owned()
        };
        let head = format!(
            "✗ {} ({}) — {} — {fix}",
            group.code,
            group.items.len(),
            scrub(group.meaning)
        );
        for l in wrap(&head, room) {
            lines.push(Line::styled(l, theme.error));
        }
        for (_, pair, info) in group.items.iter().take(per_group) {
            let pair = format!("  {}", scrub(pair));
            let pair_w = width(&pair).min(room);
            let mut spans = vec![Span::raw(fit(&pair, room).into_owned())];
            // The service's words in full: beside the pair when they fit, else under it.
            if !info.is_empty() && pair_w + 2 + width(info) <= room {
                spans.push(Span::styled(format!("  {info}"), theme.dim));
                lines.push(Line::from(spans));
            } else {
                lines.push(Line::from(spans));
                for l in wrap(info, room.saturating_sub(4)) {
                    lines.push(Line::styled(format!("    {l}"), theme.dim));
                }
            }
        }
        if group.items.len() > per_group {
            lines.push(Line::styled(
                format!("  and {} more", group.items.len() - per_group),
                theme.dim,
            ));
        }
    }
    if !last.unfinished.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("! not sent ({})", last.unfinished.len()),
            theme.warning,
        ));
        for pair in last.unfinished.iter().take(per_group) {
            lines.push(Line::raw(
                fit(&format!("  {}", pair_text(pair)), room).into_owned(),
            ));
        }
        if last.unfinished.len() > per_group {
            lines.push(Line::styled(
                format!("  and {} more", last.unfinished.len() - per_group),
                theme.dim,
            ));
        }
    }
    // Only what the command table allows now: no retry for failures no retry can fix.
    let mut hints = Vec::with_capacity(6);
    if available(model, Command::RetryFailed) {
        hints.push((Command::RetryFailed, "retries what a retry can fix"));
    }
    if available(model, Command::Undo) {
        hints.push((Command::Undo, "undoes the batch"));
    }
    if !hints.is_empty() {
        lines.push(Line::raw(""));
        let mut spans = vec![Span::styled("after closing: ", theme.dim)];
        for (i, (command, words)) in hints.into_iter().enumerate() {
            let Some(label) = model.keymap.label(command) else {
                continue;
            };
            if i > 0 {
                spans.push(Span::styled(" · ", theme.dim));
            }
            spans.push(Span::styled(label, theme.key));
            spans.push(Span::raw(format!(" {words}")));
        }
        lines.push(line_fit(spans, room));
    }
    (lines, spark)
}

/// The lines of an opened entry's body in a popup `room` columns wide: each paragraph wrapped,
/// its level's mark on its first line.
fn entry_body(entry: &Entry, room: usize) -> Vec<(Level, String)> {
    let mut out = Vec::with_capacity(entry.paragraphs.len() * 2);
    for (level, text) in &entry.paragraphs {
        for l in wrap(&scrub(text), room.max(1)) {
            out.push((*level, l));
        }
    }
    out
}

/// How many lines an opened entry's body has, and how many the screen shows at a time: what
/// its scrolling keys move within.
pub fn entry_layout(model: &Model, entry: &Entry) -> (usize, usize) {
    let (room, rows) = entry_frame(super::popup_area(model));
    (entry_body(entry, room).len(), rows)
}

/// The columns of an opened entry's popup in `area`, and the rows its body has (the frame, a row
/// of the panes above and below, and the blank line and hint below the body take the rest).
fn entry_frame(area: Rect) -> (usize, usize) {
    let room = usize::from(popup_width(area, 76));
    let rows = usize::from(area.height.saturating_sub(4))
        .saturating_sub(2)
        .max(1);
    (room, rows)
}

/// An activity or feed line opened whole: every word of it, wrapped; `j`/`k` scroll it when it
/// is longer than the screen.
pub fn entry(entry: &Entry, keymap: &Keymap, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = popup_width(area, 76);
    let (room, rows) = entry_frame(area);
    let body = entry_body(entry, room);
    let len = body.len();
    let shown = entry.scroll.window(len, rows);
    let mut lines: Vec<Line> = body[shown.clone()]
        .iter()
        .map(|(level, l)| Line::styled(l.clone(), theme.level(*level)))
        .collect();
    lines.push(Line::raw(""));
    let mut hint = Vec::with_capacity(6);
    if len > rows {
        hint.push(Span::styled("j/k", theme.key));
        hint.push(Span::raw(format!(
            " scroll · lines {}–{} of {len}",
            shown.start + 1,
            shown.end
        )));
        hint.push(Span::styled(" · ", theme.dim));
    }
    if let Some(label) = keymap.label(Command::Close) {
        hint.push(Span::styled(label, theme.key));
        hint.push(Span::raw(" close"));
    }
    lines.push(line_fit(hint, room));
    let title = format!(" {} ", fit(&scrub(&entry.title), room.saturating_sub(2)));
    popup(theme, frame, area, &title, w, lines);
}
