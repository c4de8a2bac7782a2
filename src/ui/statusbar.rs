//! The two bottom lines: the status line (a batch's progress, or marks, focus and hints), and the
//! action bar, generated from the key map for the keys that work right now.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::{line_fit, width};
use super::theme::Theme;
use crate::app::keymap::{self, Action, KEYMAP};
use crate::app::model::{Focus, Model, Overlay, Running};
use crate::app::update;
use crate::client::Operation;

/// The action bar: `key label` pairs two spaces apart. When they do not all fit, the last ones
/// give way to `…`, but `? help` stays.
pub fn draw_bar(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let room = usize::from(area.width);
    // The contexts `update` looks keys up in, so the bar shows exactly the keys that work.
    // While a batch runs, changes wait: the bar leaves them out as in read-only mode.
    let bindings: Vec<&'static keymap::Binding> = keymap::bar(
        &update::contexts(model),
        model.read_only || model.running.is_some(),
    )
    .into_iter()
    .filter(|b| applies(model, b.action))
    .collect();
    let pair_width = |b: &keymap::Binding| width(b.label) + 1 + width(b.short);
    let help = bindings.iter().copied().find(|b| b.action == Action::Help);
    let all: usize = bindings.iter().map(|b| pair_width(b) + 2).sum();
    let fits_all = all.saturating_sub(2) <= room;
    let mut left = if fits_all {
        room
    } else {
        // Room for `  …` and `  ? help` at the end.
        room.saturating_sub(3 + help.map_or(0, |b| pair_width(b) + 2))
    };
    let mut spans: Vec<Span> = Vec::with_capacity(bindings.len() * 4 + 4);
    let push = |spans: &mut Vec<Span>, b: &'static keymap::Binding| {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(b.label, theme.key));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(b.short, theme.text));
    };
    for b in &bindings {
        if !fits_all && b.action == Action::Help {
            continue;
        }
        let need = pair_width(b) + if spans.is_empty() { 0 } else { 2 };
        if need > left {
            break;
        }
        left -= need;
        push(&mut spans, b);
    }
    if !fits_all {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled("…", theme.dim));
        if let Some(help) = help {
            push(&mut spans, help);
        }
    }
    frame.render_widget(line_fit(spans, room), area);
}

/// Whether a key of the bar can do something in the popup on screen: `x`/`X` in the inspector only
/// for a direction that blocks, `e` in the reverse lookup once it is done.
fn applies(model: &Model, action: Action) -> bool {
    match (&model.overlay, action) {
        (Overlay::Inspector(view), Action::UnblockAB | Action::UnblockBA) => {
            matches!(&view.result, Some(Ok(i))
                if if action == Action::UnblockAB { i.a_blocks_b } else { i.b_blocks_a })
        }
        (Overlay::Blockers(view), Action::Export) => view.done,
        _ => true,
    }
}

/// The status line when no line is being typed.
pub fn draw_status(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let room = usize::from(area.width);
    let line = match &model.running {
        Some(running) => progress(running, theme, room),
        None => line_fit(idle(model, theme), room),
    };
    frame.render_widget(line, area);
}

/// `unblock 340/1000 ███░░░  34% · 198 calls/s · 12 retries · 3 failed · ETA 4s · cancelling…`;
/// the bar and the percentage take what room is left.
fn progress<'a>(running: &Running, theme: &Theme, room: usize) -> Line<'a> {
    let p = &running.progress;
    let total = running.total.max(p.total);
    let head = format!("{} {}/{}", op_word(running.op), p.finished, total);
    let eta = running.eta().map_or_else(|| "—".to_owned(), duration);
    let rate = format!(
        " · {:.0} calls/s · {} retries · ",
        p.calls_per_sec, p.retries
    );
    let failed = format!("{} failed", p.failed);
    let after = format!(" · ETA {eta}");
    let cancelling = if running.cancelling {
        " · cancelling…"
    } else {
        ""
    };
    let text_width =
        width(&head) + width(&rate) + width(&failed) + width(&after) + width(cancelling);
    // A space, the bar, and ` 100%`.
    let left = room.saturating_sub(text_width);
    let mut spans = vec![Span::styled(head, theme.heading)];
    if left >= 12 {
        let bar = (left - 6).min(30);
        let done_items = p.finished.min(total);
        let done = (bar * done_items).checked_div(total).unwrap_or(0);
        let pct = (done_items * 100).checked_div(total).unwrap_or(0);
        spans.push(Span::raw(" "));
        spans.push(Span::styled("█".repeat(done), theme.gauge));
        spans.push(Span::styled("░".repeat(bar - done), theme.dim));
        spans.push(Span::raw(format!(" {pct:>3}%")));
    }
    spans.push(Span::raw(rate));
    let failed_style = if p.failed > 0 {
        theme.error
    } else {
        theme.text
    };
    spans.push(Span::styled(failed, failed_style));
    spans.push(Span::raw(after));
    if running.cancelling {
        spans.push(Span::styled(cancelling, theme.warning));
    }
    line_fit(spans, room)
}

/// `3 marked · [Blocklist] · watching · last batch: 3 failed — R retry · U undo · = summary`
fn idle<'a>(model: &Model, theme: &Theme) -> Vec<Span<'a>> {
    let sep = || Span::styled(" · ", theme.dim);
    let mut out = Vec::with_capacity(12);
    let marks = model.list.marks.len();
    if marks > 0 {
        out.push(Span::styled(format!("{marks} marked"), theme.marked_box));
        out.push(sep());
    }
    out.push(Span::styled(
        match model.focus {
            Focus::Lookup => "[Lookup]",
            Focus::Blocklist => "[Blocklist]",
            Focus::Activity => "[Activity]",
            Focus::Feed => "[Feed]",
        },
        theme.text,
    ));
    if model.watching {
        out.push(sep());
        out.push(Span::styled("watching", theme.success));
    }
    if let Some(last) = &model.last {
        let failed = last.failed_count() + last.unfinished.len();
        out.push(sep());
        let what = if failed > 0 {
            Span::styled(format!("last batch: {failed} failed"), theme.error)
        } else {
            Span::styled(
                format!("last {}: {} done", op_word(last.op), last.done.len()),
                theme.success,
            )
        };
        out.push(what);
        let mut hints: Vec<(Action, &str)> = Vec::with_capacity(3);
        if failed > 0 && !model.read_only {
            hints.push((Action::RetryFailed, "retry"));
        }
        if !last.done.is_empty() && last.op.mutates() && !model.read_only {
            hints.push((Action::Undo, "undo"));
        }
        hints.push((Action::ShowResult, "summary"));
        for (i, (action, word)) in hints.into_iter().enumerate() {
            let Some(label) = key_label(action) else {
                continue;
            };
            out.push(if i == 0 {
                Span::styled(" — ", theme.dim)
            } else {
                sep()
            });
            out.push(Span::styled(label, theme.key));
            out.push(Span::raw(format!(" {word}")));
        }
    }
    out
}

/// The key written for `action` in the key map.
pub fn key_label(action: Action) -> Option<&'static str> {
    KEYMAP.iter().find(|b| b.action == action).map(|b| b.label)
}

pub fn op_word(op: Operation) -> &'static str {
    match op {
        Operation::Block => "block",
        Operation::Unblock => "unblock",
        Operation::Check { .. } => "check",
    }
}

/// `4s`, `1m20s`, `2h05m`, to the nearest second.
pub fn duration(d: Duration) -> String {
    let s = (d.as_millis() as u64).div_ceil(1000).max(d.as_secs());
    let s = if d.as_millis() % 1000 < 500 {
        d.as_secs()
    } else {
        s
    };
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}
