//! One scrolling component for every list-like pane: a window of rows over a list, with a
//! cursor (the blocklist table) or without one (the activity pane, the feed, the help). Lists
//! without a cursor can follow their end as rows are added, like a log at its bottom; scrolled
//! back, they stay where the reader left them.

use std::ops::Range;

/// How a key moves a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Motion {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    /// Half a window up (Ctrl-U).
    HalfUp,
    /// Half a window down (Ctrl-D).
    HalfDown,
}

/// Half a window of `rows`, at least one row.
fn half(rows: usize) -> usize {
    (rows / 2).max(1)
}

impl Motion {
    /// `pos` moved within `0..len`, a page being `rows` rows.
    pub fn apply(self, pos: usize, len: usize, rows: usize) -> usize {
        let last = len.saturating_sub(1);
        let rows = rows.max(1);
        match self {
            Motion::Up => pos.saturating_sub(1),
            Motion::Down => (pos + 1).min(last),
            Motion::Top => 0,
            Motion::Bottom => last,
            Motion::PageUp => pos.saturating_sub(rows),
            Motion::PageDown => (pos + rows).min(last),
            Motion::HalfUp => pos.saturating_sub(half(rows)),
            Motion::HalfDown => (pos + half(rows)).min(last),
        }
        .min(last)
    }
}

/// A window over a list: the first row shown and, for lists with one, the cursor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scroll {
    /// The first row shown (kept valid by the methods below).
    pub offset: usize,
    /// The selected row, for lists with a cursor.
    pub cursor: usize,
    /// Without a cursor: the window follows the end as rows are added.
    pub tail: bool,
}

impl Scroll {
    /// A window that follows the end of its list (a log).
    pub fn following() -> Scroll {
        Scroll {
            tail: true,
            ..Scroll::default()
        }
    }

    // ---------------------------------------------------------------- lists without a cursor

    /// The rows of a list of `len` that a window of `rows` shows.
    pub fn window(&self, len: usize, rows: usize) -> Range<usize> {
        let last_start = len.saturating_sub(rows);
        let start = if self.tail {
            last_start
        } else {
            self.offset.min(last_start)
        };
        start..(start + rows).min(len)
    }

    /// How many rows of `len` follow the window ("N newer below").
    pub fn below(&self, len: usize, rows: usize) -> usize {
        len - self.window(len, rows).end
    }

    /// Moves the window over a list of `len` shown `rows` at a time.
    pub fn scroll(&mut self, motion: Motion, len: usize, rows: usize) {
        let last_start = len.saturating_sub(rows);
        let start = self.window(len, rows).start;
        let start = match motion {
            Motion::Up => start.saturating_sub(1),
            Motion::Down => start + 1,
            Motion::Top => 0,
            Motion::Bottom => last_start,
            Motion::PageUp => start.saturating_sub(rows.max(1)),
            Motion::PageDown => start + rows.max(1),
            Motion::HalfUp => start.saturating_sub(half(rows)),
            Motion::HalfDown => start + half(rows),
        }
        .min(last_start);
        self.offset = start;
        // At the end, the window follows the rows that come.
        self.tail = start == last_start;
    }

    /// `n` rows were dropped from the front of the list (a log at its cap): the window and the
    /// cursor keep showing the same rows.
    pub fn dropped(&mut self, n: usize) {
        self.offset = self.offset.saturating_sub(n);
        self.cursor = self.cursor.saturating_sub(n);
    }

    // ------------------------------------------------------------------ logs with a cursor

    /// The selected line of a log of `len`: the newest while the window follows the end.
    pub fn log_cursor(&self, len: usize) -> Option<usize> {
        match len {
            0 => None,
            _ if self.tail => Some(len - 1),
            _ => Some(self.cursor.min(len - 1)),
        }
    }

    /// Moves a log's cursor; the window moves just enough to keep it in sight, and follows the
    /// end again once the cursor is on the newest line.
    pub fn log_select(&mut self, motion: Motion, len: usize, rows: usize) {
        let Some(from) = self.log_cursor(len) else {
            return;
        };
        let rows = rows.max(1);
        let start = self.window(len, rows).start;
        let cursor = motion.apply(from, len, rows);
        self.cursor = cursor;
        self.offset = if cursor < start {
            cursor
        } else if cursor >= start + rows {
            cursor + 1 - rows
        } else {
            start
        };
        self.tail = cursor + 1 == len;
    }

    /// Puts a log's cursor on line `pos` (a click), the window staying where it is.
    pub fn log_pick(&mut self, pos: usize, len: usize, rows: usize) {
        if pos >= len {
            return;
        }
        self.offset = self.window(len, rows).start;
        self.cursor = pos;
        self.tail = pos + 1 == len;
    }

    /// Moves a log's window by `n` rows (the wheel); the cursor stays on its line while it is in
    /// sight, else it is kept at the window's edge.
    pub fn log_wheel(&mut self, down: bool, n: usize, len: usize, rows: usize) {
        let Some(cursor) = self.log_cursor(len) else {
            return;
        };
        let motion = if down { Motion::Down } else { Motion::Up };
        for _ in 0..n {
            self.scroll(motion, len, rows);
        }
        if !self.tail {
            let w = self.window(len, rows);
            self.cursor = cursor.clamp(w.start, w.end.saturating_sub(1));
        }
    }

    // ---------------------------------------------------------------- lists with a cursor

    /// Moves the window over a list of `len` with a cursor by `n` rows (the wheel); the cursor
    /// stays on its row while it is in sight, else it is kept at the window's edge. Call the
    /// list's `follow` afterwards.
    pub fn wheel(&mut self, down: bool, n: usize, len: usize, rows: usize) {
        if len == 0 {
            return;
        }
        let rows = rows.max(1);
        let start = self.window_in(0..len, rows).start;
        let last_start = len.saturating_sub(rows);
        let start = if down {
            (start + n).min(last_start)
        } else {
            start.saturating_sub(n)
        };
        self.offset = start;
        let end = (start + rows).min(len);
        self.cursor = self.cursor.clamp(start, end - 1);
    }

    /// Moves the cursor over a list of `len`; the window then follows it within `bounds` (the
    /// cursor's page, for the table) with [`Scroll::follow`].
    pub fn select(&mut self, motion: Motion, len: usize, rows: usize) {
        self.cursor = motion.apply(self.cursor, len, rows);
    }

    /// Keeps the cursor inside `0..len` and the window inside `bounds` with the cursor in it.
    /// A cursor that left the window by up to half a window (`j` on the last row, `k` on the
    /// first) moves it just enough: by one row for one row, which the terminal can scroll
    /// instead of rewriting the window. A cursor that jumped farther (a page, `g`/`G`, another
    /// page of the list, a filter) is put half a window from the edge it came in by.
    pub fn follow(&mut self, len: usize, bounds: Range<usize>, rows: usize) {
        let rows = rows.max(1);
        self.cursor = self.cursor.min(len.saturating_sub(1));
        let mut offset = self
            .offset
            .clamp(bounds.start, bounds.end.max(bounds.start));
        if self.cursor < offset || self.cursor >= offset + rows {
            let past = if self.cursor < offset {
                offset - self.cursor
            } else {
                self.cursor + 1 - (offset + rows)
            };
            offset = if past > rows / 2 {
                self.cursor.saturating_sub(rows / 2)
            } else if self.cursor < offset {
                self.cursor
            } else {
                self.cursor + 1 - rows
            };
            let last_start = bounds.end.saturating_sub(rows).max(bounds.start);
            offset = offset.clamp(bounds.start, last_start);
            if self.cursor < offset {
                offset = self.cursor;
            } else if self.cursor >= offset + rows {
                offset = self.cursor + 1 - rows;
            }
        }
        self.offset = offset.max(bounds.start);
    }

    /// The rows a window of `rows` shows within `bounds`, the cursor in sight: from `offset`,
    /// moved just enough. With a valid `offset` (what [`Scroll::follow`] keeps) this is
    /// `offset..offset + rows`, cut at the end of `bounds`.
    pub fn window_in(&self, bounds: Range<usize>, rows: usize) -> Range<usize> {
        if bounds.is_empty() {
            return bounds.start..bounds.start;
        }
        let rows = rows.max(1);
        let last = bounds.end - 1;
        let cursor = self.cursor.clamp(bounds.start, last);
        let mut start = self.offset.clamp(bounds.start, last);
        if cursor < start {
            start = cursor;
        } else if cursor >= start + rows {
            start = cursor + 1 - rows;
        }
        start..(start + rows).min(bounds.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_follows_its_end_until_scrolled_back() {
        let mut s = Scroll::following();
        assert_eq!(s.window(3, 5), 0..3);
        assert_eq!(s.window(12, 5), 7..12);
        s.scroll(Motion::Up, 12, 5);
        assert_eq!((s.window(12, 5), s.below(12, 5), s.tail), (6..11, 1, false));
        // New rows do not move a window scrolled back.
        assert_eq!(s.window(20, 5), 6..11);
        assert_eq!(s.below(20, 5), 9);
        s.scroll(Motion::PageDown, 20, 5);
        assert_eq!(s.window(20, 5), 11..16);
        s.scroll(Motion::Bottom, 20, 5);
        assert!(s.tail);
        assert_eq!(s.window(25, 5), 20..25);
        s.scroll(Motion::Top, 25, 5);
        assert_eq!((s.window(25, 5), s.tail), (0..5, false));
        s.scroll(Motion::PageUp, 25, 5);
        assert_eq!(s.window(25, 5), 0..5);
        // Scrolling down to the last row follows the end again.
        for _ in 0..30 {
            s.scroll(Motion::Down, 25, 5);
        }
        assert!(s.tail);
    }

    #[test]
    fn a_log_cursor_follows_the_newest_line_until_moved_back() {
        let mut s = Scroll::following();
        assert_eq!(s.log_cursor(0), None);
        assert_eq!(s.log_cursor(12), Some(11));
        s.log_select(Motion::Up, 12, 5);
        // The cursor moves within the window first.
        assert_eq!(
            (s.log_cursor(12), s.window(12, 5), s.tail),
            (Some(10), 7..12, false)
        );
        for _ in 0..4 {
            s.log_select(Motion::Up, 12, 5);
        }
        assert_eq!((s.log_cursor(12), s.window(12, 5)), (Some(6), 6..11));
        // New lines do not move a cursor moved back.
        assert_eq!((s.log_cursor(20), s.window(20, 5)), (Some(6), 6..11));
        s.log_select(Motion::Top, 20, 5);
        assert_eq!((s.log_cursor(20), s.window(20, 5)), (Some(0), 0..5));
        s.log_select(Motion::PageDown, 20, 5);
        assert_eq!((s.log_cursor(20), s.window(20, 5)), (Some(5), 1..6));
        s.log_select(Motion::Bottom, 20, 5);
        assert!(s.tail);
        assert_eq!((s.log_cursor(25), s.window(25, 5)), (Some(24), 20..25));
        // Lines dropped at the cap keep the cursor on its line.
        s.log_select(Motion::Up, 25, 5);
        s.dropped(3);
        assert_eq!(s.log_cursor(22), Some(20));
    }

    #[test]
    fn dropping_rows_from_the_front_keeps_the_rows_in_sight() {
        let mut s = Scroll::default();
        s.scroll(Motion::PageDown, 100, 10);
        s.scroll(Motion::PageDown, 100, 10);
        assert_eq!(s.window(100, 10), 20..30);
        s.dropped(5);
        assert_eq!(s.window(95, 10), 15..25);
        s.dropped(50);
        assert_eq!(s.window(45, 10), 0..10);
    }

    #[test]
    fn a_cursor_stays_in_sight_within_its_bounds() {
        let mut s = Scroll::default();
        let (len, rows) = (250, 10);
        for _ in 0..120 {
            s.select(Motion::Down, len, rows);
            let page = (s.cursor / 100) * 100..((s.cursor / 100) * 100 + 100).min(len);
            s.follow(len, page.clone(), rows);
            let w = s.window_in(page.clone(), rows);
            assert!(w.contains(&s.cursor), "{s:?} {w:?}");
            assert!(page.start <= w.start && w.end <= page.end, "{s:?} {w:?}");
            assert_eq!(w.start, s.offset);
        }
        // Leaving the window by one row moves it by one row, both ways.
        let mut s = Scroll::default();
        for _ in 0..10 {
            s.select(Motion::Down, len, rows);
            s.follow(len, 0..100, rows);
        }
        assert_eq!((s.cursor, s.offset), (10, 1));
        for expected in 2..=30 {
            s.select(Motion::Down, len, rows);
            s.follow(len, 0..100, rows);
            assert_eq!((s.cursor, s.offset), (expected + 9, expected));
        }
        for _ in 0..9 {
            s.select(Motion::Up, len, rows);
            s.follow(len, 0..100, rows);
        }
        assert_eq!((s.cursor, s.offset), (30, 30));
        s.select(Motion::Up, len, rows);
        s.follow(len, 0..100, rows);
        assert_eq!((s.cursor, s.offset), (29, 29));
        // A few rows past the edge: just enough.
        s.cursor = 41;
        s.follow(len, 0..100, rows);
        assert_eq!(s.offset, 32);
        // Farther: half a window from the edge the cursor came in by.
        s.cursor = 80;
        s.follow(len, 0..100, rows);
        assert_eq!(s.offset, 75);
        s.cursor = 10;
        s.follow(len, 0..100, rows);
        assert_eq!(s.offset, 5);
        s.select(Motion::Top, len, rows);
        s.follow(len, 0..100, rows);
        assert_eq!((s.cursor, s.offset), (0, 0));
        // The window stays within its bounds (the cursor's page).
        s.cursor = 99;
        s.follow(len, 0..100, rows);
        assert_eq!(s.offset, 90);
        s.select(Motion::Down, len, rows);
        s.follow(len, 100..200, rows);
        assert_eq!((s.cursor, s.offset), (100, 100));
        s.select(Motion::Bottom, len, rows);
        s.follow(len, 200..250, rows);
        assert_eq!((s.cursor, s.offset), (249, 240));
        assert_eq!(Motion::PageDown.apply(245, 250, 10), 249);
        assert_eq!(Motion::HalfDown.apply(10, 250, 10), 15);
        assert_eq!(Motion::HalfUp.apply(10, 250, 10), 5);
        assert_eq!(Motion::HalfUp.apply(3, 250, 10), 0);
        assert_eq!(Motion::HalfDown.apply(248, 250, 10), 249);
        assert_eq!(Motion::HalfDown.apply(0, 250, 1), 1);
        assert_eq!(Motion::Down.apply(0, 0, 10), 0);
    }
}
