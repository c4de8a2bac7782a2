//! The two bottom lines: the status line (a batch's progress, or marks, focus and hints), and the
//! action bar, generated from the key map for the keys that work right now.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::{line_fit, span_width, width};
use super::theme::Theme;
use crate::app::command::{self, Binding, Command, Invocation, Spec};
use crate::app::model::{Ended, Focus, Model, Running};
use crate::app::update;

/// The action bar: `key label` pairs two spaces apart, for the commands that can run now (the
/// command table decides). When they do not all fit, the last ones give way to `…`, but `? help`
/// stays. After a key that could not do what it asks, the bar says why until the next key.
pub fn draw_bar(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let room = usize::from(area.width);
    // The contexts `update` looks keys up in, so the bar shows exactly the keys that work.
    let bindings = command::bar(model, &update::contexts(model));
    let pair_width = |(s, b): &(&Spec, &Binding)| width(b.label) + 1 + width(s.short);
    let help = bindings
        .iter()
        .copied()
        .find(|(s, _)| s.command == Command::Help);
    let all: usize = bindings.iter().map(|p| pair_width(p) + 2).sum();
    let fits_all = all.saturating_sub(2) <= room;
    let mut left = if fits_all {
        room
    } else {
        // Room for `  …` and `  ? help` at the end.
        room.saturating_sub(3 + help.map_or(0, |p| pair_width(&p) + 2))
    };
    let mut spans: Vec<Span> = Vec::with_capacity(bindings.len() * 4 + 4);
    let push = |spans: &mut Vec<Span>, (s, b): (&'static Spec, &'static Binding)| {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(b.label, theme.key));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(s.short, theme.text));
    };
    for &pair in &bindings {
        if !fits_all && pair.0.command == Command::Help {
            continue;
        }
        let need = pair_width(&pair) + if spans.is_empty() { 0 } else { 2 };
        if need > left {
            break;
        }
        left -= need;
        push(&mut spans, pair);
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

/// The rows a notice takes at the bottom: one when it fits the bar's line, else two.
pub fn notice_rows(notice: &str, room: usize) -> usize {
    if width(notice) + 2 <= room { 1 } else { 2 }
}

/// Why the last key could not do what it asks, over the bottom rows of `area`, wrapped (and cut
/// with `…` only beyond them).
pub fn draw_notice(notice: &str, theme: &Theme, frame: &mut Frame, area: Rect) {
    let room = usize::from(area.width).saturating_sub(2).max(1);
    let text = super::text::scrub(notice);
    let mut rows = super::text::wrap(&text, room);
    let keep = usize::from(area.height).max(1);
    if rows.len() > keep {
        rows.truncate(keep);
        let last = rows.pop().unwrap_or_default();
        rows.push(format!(
            "{}…",
            super::text::clip(&last, room.saturating_sub(1))
        ));
    }
    for (i, row) in rows.into_iter().enumerate() {
        let mark = if i == 0 { "✗ " } else { "  " };
        let spans = vec![
            Span::styled(mark, theme.error),
            Span::styled(row, theme.warning),
        ];
        let rect = Rect {
            y: area.y + i as u16,
            height: 1,
            ..area
        };
        frame.render_widget(line_fit(spans, usize::from(area.width)), rect);
    }
}

/// Whether `command`, run by its key now, would do something (the command table's rule).
pub fn available(model: &Model, command: Command) -> bool {
    command::availability(model, &Invocation::key(command)).is_ok()
}

/// The status line when no line is being typed.
pub fn draw_status(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let room = usize::from(area.width);
    let line = match &model.running {
        Some(running) => progress(model, running, theme, room),
        None => {
            // The hints give up their words first, then the batch its verdict's words (its counts
            // stay), before anything is cut.
            let fits = |spans: &Vec<Span>| spans.iter().map(span_width).sum::<usize>() <= room;
            let spans = [(true, true), (false, true), (false, false)]
                .into_iter()
                .map(|(words, verdict)| idle(model, theme, words, verdict))
                .find(fits)
                .unwrap_or_else(|| idle(model, theme, false, false));
            line_fit(spans, room)
        }
    };
    frame.render_widget(line, area);
}

/// `unblock 340/1000 ███░░░  34% · 198 calls/s · 12 retries · 3 failed · ETA 4s · cancelling…`;
/// the bar and the percentage take what room is left.
fn progress<'a>(model: &Model, running: &Running, theme: &Theme, room: usize) -> Line<'a> {
    let p = &running.progress;
    let total = running.total.max(p.total);
    let head = format!("{} {}/{}", running.op.verb(), p.finished, total);
    let eta = running
        .eta(model.ms)
        .map_or_else(|| "—".to_owned(), duration);
    // What it does now: waits before sending again (and why), waits for answers that are late,
    // or goes at its pace.
    let doing = |short: bool| match running.wait_left(model.ms) {
        Some(left) if !left.is_zero() => {
            let w = p.waiting.as_ref().expect("a wait");
            let why = crate::tim::codes::lookup(w.code).name;
            let left = left.as_secs_f64();
            if short {
                format!(" · {} retry in {left:.1} s ({} {why}) · ", w.items, w.code)
            } else {
                format!(
                    " · retrying {} item(s) after {} {why}, in {left:.1} s · ",
                    w.items, w.code
                )
            }
        }
        _ => {
            let late = running.in_flight() > 0 && model.waited(running.progress_at).is_some();
            let waiting = if late {
                let spin = super::text::waiting(model, Some(running.progress_at));
                format!(" · {} answer(s) awaited{spin}", running.in_flight())
            } else {
                String::new()
            };
            // A pace cut below the ceiling (the app's limit is busy with other traffic) says so.
            let pace = match p.pace.as_ref().and_then(|v| v.short().map(|s| (v, s))) {
                Some((_, words)) if !short => format!(" ({words})"),
                Some((v, _)) => format!(" ↓{:.0}/s", v.rate),
                None => String::new(),
            };
            format!(
                " · {:.0} calls/s{pace} · {} retries{waiting} · ",
                p.calls_per_sec, p.retries
            )
        }
    };
    let failed = format!("{} failed", p.failed);
    let after = format!(" · ETA {eta}");
    let cancelling = if running.cancelling {
        " · cancelling…"
    } else {
        ""
    };
    let fixed = width(&head) + width(&failed) + width(&after) + width(cancelling);
    // The long words while they fit, else the short ones.
    let doing = Some(doing(false))
        .filter(|d| fixed + width(d) <= room)
        .unwrap_or_else(|| doing(true));
    let text_width = fixed + width(&doing);
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
    spans.push(Span::raw(doing));
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
fn idle<'a>(model: &Model, theme: &Theme, words: bool, verdict: bool) -> Vec<Span<'a>> {
    let sep = || Span::styled(" · ", theme.dim);
    let mut out = Vec::with_capacity(12);
    let marks = model.list.marks.len();
    if marks > 0 {
        out.push(Span::styled(format!("{marks} marked"), theme.marked_box));
        out.push(sep());
    }
    out.push(Span::styled(
        match model.focus {
            // The history and the journal view cover the panes: they have the keys.
            _ if matches!(model.overlay, crate::app::model::Overlay::History(_)) => "[History]",
            _ if model.journal.is_some() => "[Journal]",
            Focus::Lookup => "[Lookup]",
            Focus::Blocklist if model.list.kind == crate::app::model::ListKind::Blockers => {
                "[Who blocks]"
            }
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
    // Batches the journal holds unfinished, and the way to finish them.
    let unfinished = model.incomplete.len();
    if unfinished > 0 && available(model, Command::Resume) {
        out.push(sep());
        let what = if words {
            format!("{unfinished} unfinished batch(es) in the journal")
        } else {
            format!("{unfinished} unfinished")
        };
        out.push(Span::styled(what, theme.warning));
        out.push(Span::styled(" — ", theme.dim));
        out.push(Span::styled(":resume", theme.key));
    }
    if let Some(last) = &model.last {
        out.push(sep());
        // The verdict and counts the summary and the activity line use.
        let (failed, unfinished) = (last.failed_count(), last.unfinished.len());
        let mut counts = Vec::with_capacity(2);
        if failed + unfinished == 0 {
            counts.push(format!("{} done", last.done.len()));
        }
        if failed > 0 {
            counts.push(format!("{failed} failed"));
        }
        if unfinished > 0 {
            counts.push(format!("{unfinished} unfinished"));
        }
        let what = if verdict {
            format!(
                "last {}: {}, {}",
                last.op.verb(),
                last.ended.words(),
                counts.join(", ")
            )
        } else {
            format!("last {}: {}", last.op.verb(), counts.join(", "))
        };
        let style = match last.ended {
            Ended::Completed => theme.success,
            Ended::CompletedWithFailures | Ended::Cancelled => theme.warning,
            Ended::Failed | Ended::Stopped => theme.error,
        };
        out.push(Span::styled(what, style));
        let mut hints: Vec<(Command, &str)> = Vec::with_capacity(3);
        for (command, word) in [
            (Command::RetryFailed, "retry"),
            (Command::Undo, "undo"),
            (Command::ShowResult, "summary"),
        ] {
            // Offered only where it would do something: never R for failures no retry fixes.
            if available(model, command) {
                hints.push((command, word));
            }
        }
        for (i, (command, word)) in hints.into_iter().enumerate() {
            let Some(label) = model.keymap.label(command) else {
                continue;
            };
            out.push(if i == 0 {
                Span::styled(" — ", theme.dim)
            } else {
                sep()
            });
            out.push(Span::styled(label, theme.key));
            if words {
                out.push(Span::raw(format!(" {word}")));
            }
        }
    }
    out
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
