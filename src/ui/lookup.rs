//! The lookup pane: the `> ` line where a user ID is typed, and what is known about that user.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};

use super::text::{clip, input_window, line_fit, scrub, span_width};
use super::theme::Theme;
use crate::app::model::{Focus, ListKind, Model, Overlay};

const PROMPT: &str = "> ";

/// Draws the pane; returns where the cursor goes when the line has focus.
pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) -> Option<Position> {
    let focused = model.focus == Focus::Lookup;
    let (prefix, style) = theme.title_prefix(focused);
    let title = vec![Span::styled(prefix, style), Span::styled("Lookup ", style)];
    let title_w: u16 = title.iter().map(|s| span_width(s) as u16).sum();
    let block = theme.pane(title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The looked-up account's blocks per minute, on the border after the title, once the change
    // store is known to be there.
    let rates = &model.rates;
    if rates.store_seen() && model.list.owner.is_some() && rates.account_of == model.list.owner {
        let room = area.width.saturating_sub(title_w + 3);
        let border = Rect {
            x: area.right().saturating_sub(1 + room),
            y: area.y,
            width: room,
            height: 1,
        };
        super::spark::rate_at_right(&rates.account, theme, frame, border);
    }
    if inner.height == 0 || inner.width <= PROMPT.len() as u16 {
        return None;
    }

    let room = usize::from(inner.width) - PROMPT.len();
    let (typed, col) = input_window(model.lookup.value(), model.lookup.cursor(), room);
    let line = Line::from(vec![Span::styled(PROMPT, theme.key), Span::raw(typed)]);
    frame.render_widget(line, Rect { height: 1, ..inner });
    let cursor = (focused && matches!(model.overlay, Overlay::None))
        .then(|| Position::new(inner.x + PROMPT.len() as u16 + col, inner.y));

    if inner.height >= 2 {
        let summary = line_fit(
            summary(model, theme, usize::from(inner.width)),
            usize::from(inner.width),
        );
        frame.render_widget(
            summary,
            Rect {
                y: inner.y + 1,
                height: 1,
                ..inner
            },
        );
    }
    cursor
}

/// How many earlier lookups the hint names.
const HINT_RECENT: usize = 4;

/// Before the first lookup: what to do, and accounts to try when some are known (the seed's
/// suggestions in the demo, else the latest lookups of earlier runs), in `room` columns: the
/// words after the suggested accounts give way from the last one back, then the line is cut.
fn hint<'a>(model: &'a Model, theme: &Theme, room: usize) -> Vec<Span<'a>> {
    let head = Span::styled(
        format!(
            "type a user ID and press {}",
            model.keymap.key(crate::app::command::Command::Submit)
        ),
        theme.dim,
    );
    if !model.suggestions.is_empty() {
        let line = |words: usize| {
            let mut out = vec![head.clone(), Span::styled("; try ", theme.dim)];
            for (i, (id, shows)) in model.suggestions.iter().enumerate() {
                if i > 0 {
                    out.push(Span::styled(" · ", theme.dim));
                }
                out.push(Span::styled(scrub(id), theme.key));
                if i < words && !shows.is_empty() {
                    out.push(Span::styled(format!(" ({})", scrub(shows)), theme.dim));
                }
            }
            out
        };
        let all = model.suggestions.len();
        return (0..=all)
            .rev()
            .map(line)
            .find(|l| l.iter().map(span_width).sum::<usize>() <= room)
            .unwrap_or_else(|| line(0));
    }
    if model.history.is_empty() {
        return vec![head, Span::styled(" to see their blocklist", theme.dim)];
    }
    let mut out = vec![head, Span::styled("; recent: ", theme.dim)];
    for (i, id) in model.history.iter().rev().take(HINT_RECENT).enumerate() {
        if i > 0 {
            out.push(Span::styled(" · ", theme.dim));
        }
        out.push(Span::styled(scrub(id), theme.key));
    }
    out
}

/// Narrowest a nickname is cut to (quotes included) to make room for the facts after it.
const NICK_MIN: usize = 8;

/// `alice  “Alice” · exists · blocks 250+ · 12 friends · barred from friend requests`, in `room`
/// columns: the nickname gives way first, then the end of the line.
fn summary<'a>(model: &'a Model, theme: &Theme, room: usize) -> Vec<Span<'a>> {
    let Some(user) = &model.user else {
        return hint(model, theme, room);
    };
    let sep = || Span::styled(" · ", theme.dim);
    let id = Span::styled(scrub(&user.id_shown), theme.heading);
    let mut out = Vec::with_capacity(16);
    // A table of blockers stands in for the user's list: the count is the list's, kept to go
    // back to.
    let owner_list = match model.list.kind {
        ListKind::Blocklist => Some(&model.list),
        ListKind::Blockers => model
            .back
            .iter()
            .rev()
            .map(|p| &p.list)
            .find(|l| l.kind == ListKind::Blocklist && l.owner == model.list.owner),
    };
    let list = owner_list.unwrap_or(&model.list);
    let failed = list.failure.is_some();
    out.push(match (user.exists, failed) {
        (Some(true), _) => Span::styled("exists", theme.success),
        (Some(false), _) => Span::styled("does not exist", theme.error),
        (None, true) => Span::styled("lookup failed", theme.error),
        (None, false) => {
            let waiting = super::text::waiting(model, model.lookup_since);
            Span::styled(format!("checking…{waiting}"), theme.dim)
        }
    });
    let loaded = list.rows.len();
    // A count that is not known is never written as a number.
    let blocks = if failed && loaded == 0 {
        "blocks unknown".to_owned()
    } else if failed {
        format!("blocks {loaded}+ (list incomplete)")
    } else if list.loading && loaded == 0 {
        "blocks …".to_owned()
    } else if list.loading || (!list.complete && loaded > 0) {
        format!("blocks {loaded}+")
    } else {
        format!("blocks {loaded}")
    };
    if owner_list.is_some() {
        out.push(sep());
        out.push(if failed {
            Span::styled(blocks, theme.error)
        } else {
            Span::raw(blocks)
        });
    }
    if let Some(friends) = user.friends {
        out.push(sep());
        out.push(Span::raw(if friends == 1 {
            "1 friend".to_owned()
        } else {
            format!("{friends} friends")
        }));
    }
    if user.forbid_send {
        out.push(sep());
        out.push(Span::styled("barred from friend requests", theme.warning));
    }
    let facts: usize = out.iter().map(span_width).sum();
    let mut line = Vec::with_capacity(out.len() + 4);
    let id_w = span_width(&id);
    line.push(id);
    if let Some(nick) = user.nick.as_deref().filter(|n| !n.is_empty()) {
        // Two spaces and two quotes around it, and ` · ` after it.
        let left = room.saturating_sub(id_w + 4 + 3 + facts).max(NICK_MIN - 2);
        line.push(Span::raw("  “"));
        line.push(Span::raw(clip(nick, left)));
        line.push(Span::raw("”"));
    }
    line.push(sep());
    line.extend(out);
    line
}
