//! Width-aware text helpers for the view: measuring, cutting to a column with an ellipsis,
//! wrapping, and the last line of defence against unsafe characters.
//!
//! Every measure here is the one ratatui's buffer draws with: text is split into grapheme
//! clusters (a base character with its combining marks, variation selectors, ZWJ joins, a pair of
//! regional indicators) and each cluster takes the cells [`CellWidth`] gives it. A cut never
//! falls inside a cluster, so `e` + U+0301, `➡️` (U+27A1 U+FE0F) or `🇯🇵` are kept or dropped
//! whole and a row's later columns stay where the widths say. (ratatui places the pieces of one
//! line by unicode-width's measure of each whole piece, which agrees with this except for the
//! halfwidth katakana sound marks U+FF9E/U+FF9F; table cells, one piece each, are unaffected.)
//!
//! Text from the model is sanitized already; [`scrub`] only re-checks it (no copy when it is
//! clean) so that a string that skipped `display::sanitize` still cannot reach a cell raw.

use std::borrow::Cow;

use ratatui::buffer::CellWidth;
use ratatui::text::{Line, Span};
use unicode_segmentation::UnicodeSegmentation;

use crate::display::{is_unsafe, sanitize};

/// Cells one grapheme cluster takes when drawn; none for a cluster holding a control character
/// (the buffer drops those).
pub fn grapheme_width(g: &str) -> usize {
    if g.contains(char::is_control) {
        0
    } else {
        usize::from(g.cell_width())
    }
}

/// The grapheme clusters of `s`, each with the cells it takes.
pub fn graphemes(s: &str) -> impl Iterator<Item = (&str, usize)> {
    s.graphemes(true).map(|g| (g, grapheme_width(g)))
}

/// Display width of `s` in terminal columns (CJK and emoji count two), as the buffer draws it.
pub fn width(s: &str) -> usize {
    if s.is_ascii() && !s.bytes().any(|b| b.is_ascii_control()) {
        return s.len();
    }
    graphemes(s).map(|(_, w)| w).sum()
}

/// Display width of a styled piece.
pub fn span_width(span: &Span<'_>) -> usize {
    width(&span.content)
}

/// Display width of a line of styled pieces.
pub fn line_width(line: &Line<'_>) -> usize {
    line.spans.iter().map(span_width).sum()
}

/// Whether `c` must not be drawn as it is. A backslash is safe on its own: sanitized text uses it
/// for its escapes.
fn dangerous(c: char) -> bool {
    c != '\\' && is_unsafe(c)
}

/// `s` unchanged when it holds nothing unsafe (the normal case: model text is sanitized), else
/// sanitized.
pub fn scrub(s: &str) -> Cow<'_, str> {
    if s.chars().any(dangerous) {
        Cow::Owned(sanitize(s).into_owned())
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` cut to `max` columns, ending in `…` when something was cut.
pub fn fit(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::with_capacity(max + 3);
    let mut used = 0;
    for (g, w) in graphemes(s) {
        if used + w > max - 1 {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push('…');
    Cow::Owned(out)
}

/// [`scrub`] then [`fit`]: what every variable cell goes through.
pub fn clip(s: &str, max: usize) -> Cow<'_, str> {
    match scrub(s) {
        Cow::Borrowed(b) => fit(b, max),
        Cow::Owned(o) => Cow::Owned(fit(&o, max).into_owned()),
    }
}

/// A line of styled pieces cut to `max` columns as a whole: the piece that crosses the edge ends
/// in `…` and the rest are dropped.
pub fn line_fit<'a>(pieces: Vec<Span<'a>>, max: usize) -> Line<'a> {
    let mut out = Vec::with_capacity(pieces.len());
    let mut left = max;
    for piece in pieces {
        let w = span_width(&piece);
        if w <= left {
            left -= w;
            out.push(piece);
            continue;
        }
        if left > 0 {
            let cut = fit(&piece.content, left).into_owned();
            out.push(Span::styled(cut, piece.style));
        }
        break;
    }
    Line::from(out)
}

/// `s` scrubbed and wrapped at spaces into lines of at most `max` columns; words longer than a line
/// are cut across lines.
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    wrap_hanging(s, max, max)
}

/// [`wrap`] with a first line of `first` columns and the others of `rest` (for text that starts
/// after a label and continues under it).
pub fn wrap_hanging(s: &str, first: usize, rest: usize) -> Vec<String> {
    let s = scrub(s);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    let max_of = |lines: &Vec<String>| if lines.is_empty() { first } else { rest }.max(1);
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let max = max_of(&lines);
        let ww = width(word);
        if used > 0 && used + 1 + ww <= max {
            line.push(' ');
            line.push_str(word);
            used += 1 + ww;
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        let max = max_of(&lines);
        if ww <= max {
            line.push_str(word);
            used = ww;
            continue;
        }
        for (g, gw) in graphemes(word) {
            if used + gw > max_of(&lines) && used > 0 {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push_str(g);
            used += gw;
        }
    }
    if used > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// How a typed character is drawn: line breaks and tabs from a paste as visible symbols, anything
/// else unsafe as its escape.
fn typed_piece(c: char, buf: &mut String) {
    match c {
        '\n' | '\r' => buf.push('↵'),
        '\t' => buf.push('⇥'),
        c if dangerous(c) => {
            let mut tmp = [0u8; 4];
            buf.push_str(&sanitize(c.encode_utf8(&mut tmp)));
        }
        c => buf.push(c),
    }
}

/// One grapheme cluster of a typed line as drawn: where its text starts in the shown line, the
/// cells it takes and how many characters of the typed value it stands for.
struct TypedPiece {
    start: usize,
    width: usize,
    chars: usize,
}

/// The typed line as drawn, and its pieces in order. A cluster that holds something shown as a
/// symbol or an escape is drawn character by character (the escape breaks the cluster anyway);
/// any other cluster is kept whole so that it is never split across the window's edge.
fn typed_pieces(value: &str) -> (String, Vec<TypedPiece>) {
    let mut shown = String::with_capacity(value.len());
    let mut pieces = Vec::with_capacity(value.len());
    for g in value.graphemes(true) {
        if g.chars()
            .any(|c| matches!(c, '\n' | '\r' | '\t') || dangerous(c))
        {
            for c in g.chars() {
                let start = shown.len();
                typed_piece(c, &mut shown);
                let width = width(&shown[start..]);
                pieces.push(TypedPiece {
                    start,
                    width,
                    chars: 1,
                });
            }
        } else {
            pieces.push(TypedPiece {
                start: shown.len(),
                width: grapheme_width(g),
                chars: g.chars().count(),
            });
            shown.push_str(g);
        }
    }
    (shown, pieces)
}

/// Columns the whole of a typed line takes when drawn by [`input_window`].
pub fn typed_width(value: &str) -> usize {
    typed_pieces(value).1.iter().map(|p| p.width).sum()
}

/// A typed line (lookup, filter, palette, block prompt) as safe text scrolled horizontally so that
/// the cursor (a character index into `value`) fits in `max` columns, with the cursor's column
/// within the returned text. A cursor inside a grapheme cluster is shown at the cluster's start.
pub fn input_window(value: &str, cursor: usize, max: usize) -> (String, u16) {
    let max = max.max(1);
    let (shown, pieces) = typed_pieces(value);
    // The pieces wholly before the cursor.
    let mut before = 0;
    let mut chars = 0;
    while before < pieces.len() && chars + pieces[before].chars <= cursor {
        chars += pieces[before].chars;
        before += 1;
    }
    let cursor_col: usize = pieces[..before].iter().map(|p| p.width).sum();
    // Drop pieces from the front until the cursor (and a cell for it) fits.
    let mut first = 0;
    let mut dropped = 0;
    while cursor_col - dropped >= max && first < before {
        dropped += pieces[first].width;
        first += 1;
    }
    let mut used = 0;
    let mut end = first;
    while end < pieces.len() && used + pieces[end].width <= max {
        used += pieces[end].width;
        end += 1;
    }
    let from = pieces.get(first).map_or(shown.len(), |p| p.start);
    let to = pieces.get(end).map_or(shown.len(), |p| p.start);
    let col = (cursor_col - dropped).min(max) as u16;
    (shown[from..to].to_owned(), col)
}

/// The frames of the spinner shown while something waits on the network.
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// ` ⠹ 2.4s` while `since` has waited long enough to be worth showing, else nothing.
pub fn waiting(model: &crate::app::Model, since: Option<u64>) -> String {
    let Some(waited) = since.and_then(|s| model.waited(s)) else {
        return String::new();
    };
    let frame = SPINNER[(model.ms / crate::app::model::SPINNER_MS) as usize % SPINNER.len()];
    format!(" {frame} {:.1}s", waited as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_by_display_width_with_an_ellipsis() {
        assert_eq!(fit("alice", 5), "alice");
        assert_eq!(fit("alice", 4), "ali…");
        assert_eq!(fit("李小龙李小龙", 7), "李小龙…");
        assert_eq!(width(&fit("李小龙李小龙", 6)), 5);
        assert_eq!(fit("abc", 0), "");
    }

    #[test]
    fn scrub_leaves_sanitized_text_alone_and_escapes_raw_text() {
        assert!(matches!(scrub("a\\u{1b}b"), Cow::Borrowed(_)));
        assert_eq!(scrub("a\u{1b}b"), "a\\u{1b}b");
        assert_eq!(clip("\u{202e}abcdef", 6), "\\u{20…");
    }

    #[test]
    fn wraps_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), vec![""]);
        assert_eq!(
            wrap_hanging("one two three four", 3, 9),
            vec!["one", "two three", "four"]
        );
    }

    #[test]
    fn input_window_keeps_the_cursor_visible() {
        assert_eq!(input_window("abc", 3, 10), ("abc".to_owned(), 3));
        let (text, col) = input_window("abcdefghij", 10, 5);
        assert_eq!((text.as_str(), col), ("ghij", 4));
        let (text, col) = input_window("a\nb\u{1b}", 4, 20);
        assert_eq!(text, "a↵b\\u{1b}");
        assert_eq!(col, 9);
    }

    /// Nicknames that per-character measuring gets wrong: VS16 emoji, a ZWJ family, a flag, a
    /// combining accent, CJK, halfwidth katakana with its sound mark, a keycap.
    const TRICKY: [&str; 9] = ["➡️", "🛡️", "👨‍👩‍👧", "🇯🇵", "e\u{301}", "李", "ｶﾞ", "1️⃣", "🏳️‍🌈"];

    /// Where ratatui's buffer puts the cell after `s` when it draws a cell's text: the truth
    /// every measure must agree with.
    fn drawn_width(s: &str) -> usize {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        use ratatui::widgets::Widget;
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, 1));
        Span::raw(format!("{s}|")).render(buf.area, &mut buf);
        (0..40).position(|x| buf[(x, 0)].symbol() == "|").unwrap()
    }

    #[test]
    fn widths_are_the_cells_the_buffer_draws() {
        assert_eq!(width("➡️"), 2);
        assert_eq!(width("🛡️"), 2);
        assert_eq!(width("👨‍👩‍👧"), 2);
        assert_eq!(width("🇯🇵"), 2);
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(width("李小龙"), 6);
        assert_eq!(width("a\u{1b}b"), 2, "the buffer drops a control character");
        for s in TRICKY {
            for text in [s.to_owned(), format!("a{s}b{s}{s}c")] {
                assert_eq!(width(&text), drawn_width(&text), "{text:?}");
                assert_eq!(span_width(&Span::raw(text.as_str())), width(&text));
            }
        }
        // The sanitizer's escapes are plain ASCII, measured as such.
        assert_eq!(width("👨\\u{200d}👩"), 2 + 8 + 2);
    }

    #[test]
    fn cuts_never_fall_inside_a_grapheme() {
        assert_eq!(fit("➡️➡️➡️", 4), "➡️…");
        assert_eq!(fit("➡️➡️➡️", 3), "➡️…");
        assert_eq!(fit("➡️➡️➡️", 2), "…");
        assert_eq!(fit("🇯🇵🇯🇵", 3), "🇯🇵…");
        assert_eq!(fit("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
        assert_eq!(fit("👨‍👩‍👧x", 3), "👨‍👩‍👧x");
        assert_eq!(fit("👨‍👩‍👧xy", 3), "👨‍👩‍👧…");
        for s in TRICKY {
            let text = format!("ab{s}{s}c{s}");
            for max in 0..=width(&text) + 1 {
                let cut = fit(&text, max);
                assert!(width(&cut) <= max, "{text:?} in {max}: {cut:?}");
                assert_eq!(width(&cut), drawn_width(&cut), "{cut:?}");
                let kept = cut.strip_suffix('…').unwrap_or(&cut);
                assert!(
                    text.starts_with(kept)
                        && text[kept.len()..].graphemes(true).count()
                            == text.graphemes(true).count() - kept.graphemes(true).count(),
                    "{text:?} cut inside a grapheme at {max}: {cut:?}"
                );
            }
        }
    }

    #[test]
    fn wraps_whole_graphemes() {
        assert_eq!(wrap("➡️➡️➡️", 4), vec!["➡️➡️", "➡️"]);
        assert_eq!(
            wrap("e\u{301}e\u{301}e\u{301}", 2),
            vec!["e\u{301}e\u{301}", "e\u{301}"]
        );
        for line in wrap("🇯🇵🇯🇵🇯🇵 ok", 3) {
            assert!(width(&line) <= 3, "{line:?}");
        }
    }

    #[test]
    fn line_fit_measures_pieces_by_grapheme() {
        let line = line_fit(vec![Span::raw("🛡️🛡️"), Span::raw("x")], 4);
        assert_eq!(line_width(&line), 4);
        let line = line_fit(vec![Span::raw("🛡️🛡️"), Span::raw("xy")], 5);
        assert_eq!(line.spans[1].content, "…");
    }

    #[test]
    fn input_window_moves_by_whole_graphemes() {
        // `➡️` is two characters typed and two cells drawn.
        assert_eq!(input_window("➡️", 2, 10), ("➡️".to_owned(), 2));
        assert_eq!(typed_width("a➡️b"), 4);
        // A cursor between the arrow and its selector stands before the arrow.
        assert_eq!(input_window("a➡️", 2, 10).1, 1);
        // Scrolling drops the arrow whole, never half of it.
        let (text, col) = input_window("➡️abc", 5, 4);
        assert_eq!((text.as_str(), col), ("abc", 3));
        let (text, col) = input_window("ab🇯🇵🇯🇵", 6, 4);
        assert_eq!((text.as_str(), col), ("🇯🇵", 2));
        // A joiner inside a typed cluster is still shown as its escape.
        let (text, _) = input_window("👨\u{200d}👩", 3, 40);
        assert_eq!(text, "👨\\u{200d}👩");
    }
}
