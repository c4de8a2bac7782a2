//! Width-aware text helpers for the view: measuring, cutting to a column with an ellipsis,
//! wrapping, and the last line of defence against unsafe characters.
//!
//! Text from the model is sanitized already; [`scrub`] only re-checks it (no copy when it is
//! clean) so that a string that skipped `display::sanitize` still cannot reach a cell raw.

use std::borrow::Cow;

use ratatui::text::{Line, Span};

use crate::display::{is_unsafe, sanitize};

/// Display width of `s` in terminal columns (CJK and emoji count two).
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// Display width of one character.
pub fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    width(c.encode_utf8(&mut buf))
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
    for c in s.chars() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
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
        let w = piece.width();
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
        for c in word.chars() {
            let cw = char_width(c);
            if used + cw > max_of(&lines) && used > 0 {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
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

/// Columns the whole of a typed line takes when drawn by [`input_window`].
pub fn typed_width(value: &str) -> usize {
    let mut shown = String::with_capacity(value.len());
    for c in value.chars() {
        typed_piece(c, &mut shown);
    }
    width(&shown)
}

/// A typed line (lookup, filter, palette, block prompt) as safe text scrolled horizontally so that
/// the cursor (a character index into `value`) fits in `max` columns, with the cursor's column
/// within the returned text.
pub fn input_window(value: &str, cursor: usize, max: usize) -> (String, u16) {
    let max = max.max(1);
    // (start byte in `shown`, width) of each typed character, in order.
    let mut shown = String::with_capacity(value.len());
    let mut pieces: Vec<(usize, usize)> = Vec::with_capacity(value.chars().count());
    for c in value.chars() {
        let start = shown.len();
        typed_piece(c, &mut shown);
        pieces.push((start, width(&shown[start..])));
    }
    let cursor = cursor.min(pieces.len());
    let cursor_col: usize = pieces[..cursor].iter().map(|p| p.1).sum();
    // Drop characters from the front until the cursor (and a cell for it) fits.
    let mut first = 0;
    let mut dropped = 0;
    while cursor_col - dropped >= max && first < cursor {
        dropped += pieces[first].1;
        first += 1;
    }
    let mut used = 0;
    let mut end = first;
    while end < pieces.len() && used + pieces[end].1 <= max {
        used += pieces[end].1;
        end += 1;
    }
    let from = pieces.get(first).map_or(shown.len(), |p| p.0);
    let to = pieces.get(end).map_or(shown.len(), |p| p.0);
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
}
