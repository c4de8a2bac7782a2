//! The one draw path, used by the dashboard, its benchmark and its terminal tests: ratatui's
//! buffer diff, plus the terminal's scroll regions for rows that moved.
//!
//! ratatui compares each frame with the last one cell by cell, so a list that scrolls by one row
//! rewrites every row that moved. [`Painter::draw`] looks, after rendering, for a band of
//! full-width rows that is the last frame shifted up or down by 1 to [`MAX_SHIFT`] rows (what
//! ncurses calls scroll detection). When scrolling that band costs fewer bytes than rewriting it,
//! the terminal scrolls it (ratatui's `scroll_region_up`/`down`: DECSTBM, then SU or SD; the lines
//! keep their content and the exposed ones come in blank, the colours reset first) and the diff
//! starts from the last frame shifted the same way, exposed rows blank, so that only what still
//! differs is written: the new row, the cursor's highlight moving, a counter.
//!
//! The diff is ratatui's own ([`Buffer::diff_iter`]) with two changes: a short run of unchanged
//! ASCII cells between two changes on a row is written again rather than jumped (a cursor move
//! costs 6 to 9 bytes), and the rest of a wide character that a change covers only in part is
//! written over (terminals blank it in the current colours; ratatui's diff sees nothing to write).
//!
//! The screen always ends up showing the frame, as plain ratatui would draw it; only the bytes
//! differ. Scroll regions scroll whole lines, so rows are compared whole: a row shared with a pane
//! that did not move is not part of a band. Terminals without scroll regions get plain diffs: see
//! [`scroll_regions_from_env`].

use std::io::{self, Write};
use std::ops::Range;

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, BufferDiff, Cell, CellDiffOption, CellWidth};
use ratatui::layout::{Position, Rect, Size};
use ratatui::style::{Color, Modifier};
use ratatui::{Frame, Terminal};

/// Farthest a band is looked for shifted, in rows.
pub const MAX_SHIFT: u16 = 3;
/// Turns scroll regions off (`0`, `off`, `false`, `no`) or on (`1`, `on`, `true`, `yes`) whatever
/// `TERM` says.
pub const ENV: &str = "BLOCKDECK_SCROLL_REGIONS";
/// Resets colours and attributes, so that the lines a scroll exposes are blank in the default
/// colours.
const SGR_RESET: &[u8] = b"\x1b[0m";
/// Bytes a scroll costs besides the rows it leaves to write: the reset, the region, the scroll
/// and the region's reset.
const SCROLL_COST: usize = SGR_RESET.len() + 8 + 4 + 3;
/// Estimated bytes of a cursor move (`ESC [ row ; col H`) and of a change of colours.
const MOVE_COST: usize = 7;
const STYLE_COST: usize = 10;
/// How far a band is tried beyond the rows that match exactly, at each end.
const EXTEND: usize = 2;

/// A band of rows scrolled: `rows` (screen rows, end excluded) moved `by` rows up or down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub rows: Range<u16>,
    pub by: u16,
    pub up: bool,
}

impl Shift {
    /// What the screen shows after the scroll, given what it showed before: the band moved,
    /// its exposed rows blank.
    pub fn apply(&self, buffer: &mut Buffer) {
        let w = usize::from(buffer.area.width);
        let (top, bottom) = (usize::from(self.rows.start), usize::from(self.rows.end));
        let by = usize::from(self.by);
        let band = &mut buffer.content[top * w..bottom * w];
        let exposed = if self.up {
            band.rotate_left(by * w);
            band.len() - by * w..band.len()
        } else {
            band.rotate_right(by * w);
            0..by * w
        };
        band[exposed].fill(Cell::EMPTY);
    }
}

/// Whether to use scroll regions, from the environment: [`ENV`] when set, else on unless `TERM`
/// is unset, empty or `dumb`.
pub fn scroll_regions_from_env() -> bool {
    decide(
        std::env::var(ENV).ok().as_deref(),
        std::env::var("TERM").ok().as_deref(),
    )
}

fn decide(switch: Option<&str>, term: Option<&str>) -> bool {
    match switch.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("0" | "off" | "false" | "no") => false,
        Some("1" | "on" | "true" | "yes") => true,
        _ => !matches!(term.map(str::trim), None | Some("" | "dumb")),
    }
}

/// Draws frames into a [`Terminal`], scrolling bands of rows that moved when it may.
///
/// It keeps the frame on screen itself and writes the diff from it (ratatui's own
/// [`Buffer::diff_iter`]), so that it can start the diff from the frame scrolled; nothing else may
/// draw into the terminal meanwhile (clear it with [`Painter::clear`]).
#[derive(Debug, Default)]
pub struct Painter {
    scroll_regions: bool,
    /// The frame on screen; none before the first frame, after a clear and after a failed write.
    shown: Option<Buffer>,
    /// What a failed write left on screen is unknown: the next frame clears it first.
    unknown: bool,
    /// Whether the terminal's cursor is hidden, when known.
    cursor_hidden: Option<bool>,
    last_shift: Option<Shift>,
}

impl Painter {
    /// A painter that scrolls bands of rows when `scroll_regions`, else writes plain diffs.
    pub fn new(scroll_regions: bool) -> Painter {
        Painter {
            scroll_regions,
            ..Painter::default()
        }
    }

    /// A painter as the environment says: see [`scroll_regions_from_env`].
    pub fn from_env() -> Painter {
        Painter::new(scroll_regions_from_env())
    }

    pub fn scroll_regions(&self) -> bool {
        self.scroll_regions
    }

    /// The frame on screen.
    pub fn shown(&self) -> Option<&Buffer> {
        self.shown.as_ref()
    }

    /// The band the last frame scrolled, if it did.
    pub fn last_shift(&self) -> Option<&Shift> {
        self.last_shift.as_ref()
    }

    /// Clears the screen; the next frame is written whole.
    pub fn clear<B: Backend>(&mut self, terminal: &mut Terminal<B>) -> Result<(), B::Error> {
        self.forget();
        terminal.backend_mut().clear_region(ClearType::All)?;
        Backend::flush(terminal.backend_mut())
    }

    /// Forgets what is on screen, for a caller that cleared the terminal itself.
    pub fn forget(&mut self) {
        self.shown = None;
        self.cursor_hidden = None;
    }

    /// Draws one frame: `render` draws into it and says where the terminal's cursor goes (`None`
    /// hides it). The steps are [`Terminal::try_draw`]'s — resize to the terminal, render, write
    /// the diff, then show and place or hide the cursor, reset the buffer for the next frame and
    /// flush — with the scroll before the diff, and the diff from the frame this painter keeps
    /// rather than from ratatui's previous buffer. The cursor is hidden or shown only when that
    /// changes (ratatui hides it again on every frame), and ratatui's frame counter, which
    /// nothing here reads, stays where it is.
    pub fn draw<B, F>(&mut self, terminal: &mut Terminal<B>, render: F) -> Result<(), B::Error>
    where
        B: Backend + Write,
        B::Error: From<io::Error>,
        F: FnOnce(&mut Frame) -> Option<Position>,
    {
        if std::mem::take(&mut self.unknown) {
            self.clear(terminal)?;
        }
        // A resize clears the screen (ratatui does it here).
        terminal.autoresize()?;
        let mut frame = terminal.get_frame();
        let area = frame.area();
        let cursor = render(&mut frame);
        let next = std::mem::replace(terminal.current_buffer_mut(), Buffer::empty(Rect::ZERO));
        let mut base = match self.shown.take() {
            Some(shown) if shown.area == area => shown,
            _ => {
                self.cursor_hidden = None;
                Buffer::empty(area)
            }
        };
        let written = self.write(terminal, &mut base, &next, cursor);
        // The next frame renders into a reset buffer, as after ratatui's swap.
        base.reset();
        *terminal.current_buffer_mut() = base;
        match written {
            Ok(()) => self.shown = Some(next),
            Err(e) => {
                self.unknown = true;
                self.cursor_hidden = None;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Turns the screen from `base` into `next`: scrolls a band of rows when that saves bytes,
    /// writes the cells that differ, places the cursor.
    fn write<B>(
        &mut self,
        terminal: &mut Terminal<B>,
        base: &mut Buffer,
        next: &Buffer,
        cursor: Option<Position>,
    ) -> Result<(), B::Error>
    where
        B: Backend + Write,
        B::Error: From<io::Error>,
    {
        self.last_shift = None;
        let backend = terminal.backend_mut();
        if self.scroll_regions
            && let Some(shift) = find_shift(base, next)
        {
            backend.write_all(SGR_RESET)?;
            if shift.up {
                backend.scroll_region_up(shift.rows.clone(), shift.by)?;
            } else {
                backend.scroll_region_down(shift.rows.clone(), shift.by)?;
            }
            shift.apply(base);
            self.last_shift = Some(shift);
        }
        let mut updates = Filled::new(base, next).peekable();
        // ratatui's backends reset colours after every draw, even one of nothing.
        if updates.peek().is_some() {
            backend.draw(updates)?;
        }
        match cursor {
            None => {
                if self.cursor_hidden != Some(true) {
                    terminal.hide_cursor()?;
                    self.cursor_hidden = Some(true);
                }
            }
            Some(position) => {
                if self.cursor_hidden != Some(false) {
                    terminal.show_cursor()?;
                    self.cursor_hidden = Some(false);
                }
                terminal.set_cursor_position(position)?;
            }
        }
        Backend::flush(terminal.backend_mut())
    }
}

/// ratatui's diff from `base` to `next`, with two changes:
/// - short runs of unchanged plain ASCII cells between two changes on a row are written again: a
///   cursor move costs 6 to 9 bytes, a space one;
/// - a wide character of `base` that a change covers only in part is written over whole: the
///   terminal blanks what is left of it (in the current colours), where ratatui's diff sees
///   nothing to write.
struct Filled<'a> {
    diff: std::iter::Peekable<BufferDiff<'a, 'a>>,
    base: &'a Buffer,
    next: &'a Buffer,
    /// The last cell yielded.
    last: Option<(u16, u16, &'a Cell)>,
    /// Cells of `next` to yield before the next change: their row and columns.
    extra: Option<(u16, Range<u16>)>,
    /// The row and the column after the last cell yielded: changes before it were written.
    written: Option<(u16, u16)>,
}

impl<'a> Filled<'a> {
    fn new(base: &'a Buffer, next: &'a Buffer) -> Filled<'a> {
        Filled {
            diff: base.diff_iter(next).peekable(),
            base,
            next,
            last: None,
            extra: None,
            written: None,
        }
    }

    /// Whether writing the cells between the last cell yielded and the change at `(x, y)` costs
    /// fewer bytes than moving the cursor over them.
    fn worth_filling(&self, x: u16, y: u16, to: &Cell) -> bool {
        let Some((lx, ly, last)) = self.last else {
            return false;
        };
        if ly != y || x <= lx + 1 || !plain_ascii(last) {
            return false;
        }
        let digits = |n: u16| n.checked_ilog10().map_or(1, |d| d as usize + 1);
        let move_cost = 4 + digits(y + 1) + digits(x + 1);
        let gap = lx + 1..x;
        if gap.len() >= move_cost {
            return false;
        }
        let first = &self.next[(lx + 1, y)];
        for gx in gap {
            let cell = &self.next[(gx, y)];
            let unchanged = *cell == self.base[(gx, y)];
            if !unchanged || !plain_ascii(cell) || !same_style(cell, first) {
                return false;
            }
        }
        let switch = |a: &Cell, b: &Cell| if same_style(a, b) { 0 } else { STYLE_COST };
        let fill = usize::from(x - lx - 1) + switch(last, first) + switch(first, to);
        fill < move_cost + switch(last, to)
    }

    /// The columns after a cell written at `(x, y)` that the terminal blanks: the rest of a wide
    /// character of `base` that the cell covers only in part.
    fn orphaned(&self, x: u16, y: u16, cell: &Cell) -> Option<Range<u16>> {
        let width = self.next.area.width;
        let end = (x + cell.cell_width().max(1)).min(width);
        let covered = (x..end).map(|p| p + self.base[(p, y)].cell_width());
        let orphan_end = covered.max()?.min(width);
        (orphan_end > end).then_some(end..orphan_end)
    }

    /// Notes `item` as written (and what it orphans) and yields it.
    fn yielded(&mut self, item: (u16, u16, &'a Cell)) -> Option<(u16, u16, &'a Cell)> {
        let (x, y, cell) = item;
        self.last = Some(item);
        self.written = Some((y, x + cell.cell_width().max(1)));
        if let Some(orphan) = self.orphaned(x, y, cell) {
            match &mut self.extra {
                Some((ey, cols)) if *ey == y => cols.end = cols.end.max(orphan.end),
                _ => self.extra = Some((y, orphan)),
            }
        }
        Some(item)
    }
}

impl<'a> Iterator for Filled<'a> {
    type Item = (u16, u16, &'a Cell);

    fn next(&mut self) -> Option<Self::Item> {
        while let Some((y, cols)) = &mut self.extra {
            if cols.start >= cols.end {
                self.extra = None;
                break;
            }
            let (x, y) = (cols.start, *y);
            let cell = &self.next[(x, y)];
            cols.start = x + cell.cell_width().max(1);
            if !is_skip(cell) {
                return self.yielded((x, y, cell));
            }
        }
        loop {
            let &(x, y, cell) = self.diff.peek()?;
            if self.written.is_some_and(|(wy, wx)| wy == y && x < wx) {
                // Written already, as part of a wide character's remains.
                self.diff.next();
                continue;
            }
            if self.worth_filling(x, y, cell) {
                let (lx, _, _) = self.last.expect("a cell before the gap");
                self.extra = Some((y, lx + 1..x));
                return self.next();
            }
            let item = self.diff.next()?;
            return self.yielded(item);
        }
    }
}

fn is_skip(cell: &Cell) -> bool {
    #[allow(deprecated)]
    let skip = cell.skip;
    skip || cell.diff_option == CellDiffOption::Skip
}

/// A printable ASCII character in a cell of its own, which every terminal writes one column wide.
fn plain_ascii(cell: &Cell) -> bool {
    let symbol = cell.symbol().as_bytes();
    !is_skip(cell)
        && cell.diff_option == CellDiffOption::None
        && symbol.len() == 1
        && (0x20..0x7f).contains(&symbol[0])
}

fn same_style(a: &Cell, b: &Cell) -> bool {
    a.fg == b.fg
        && a.bg == b.bg
        && a.underline_color == b.underline_color
        && a.modifier == b.modifier
}

/// The band of `new` that is `old` shifted, when scrolling it saves bytes over rewriting it; the
/// one that saves the most.
pub fn find_shift(old: &Buffer, new: &Buffer) -> Option<Shift> {
    if old.area != new.area {
        return None;
    }
    let w = usize::from(new.area.width);
    let h = usize::from(new.area.height);
    if w == 0 || h < 2 {
        return None;
    }
    let rows = Rows { old, new, w };
    let same: Vec<bool> = (0..h).map(|y| rows.prev(y) == rows.next(y)).collect();
    if same.iter().filter(|s| !**s).count() < 2 {
        return None;
    }
    let mut plain: Vec<Option<usize>> = vec![None; h];
    let mut blank: Vec<Option<usize>> = vec![None; h];
    let mut best: Option<(usize, Shift)> = None;
    for by in 1..=usize::from(MAX_SHIFT).min(h - 1) {
        for up in [true, false] {
            // New row `y` would show old row `src(y)`.
            let src = |y: usize| if up { y + by } else { y - by };
            let ys = if up { 0..h - by } else { by..h };
            // Only rows that changed are compared: a run of rows that did not change gains
            // nothing, and a few unchanged rows inside a band are bridged by the extension below.
            let matched: Vec<bool> = (0..h)
                .map(|y| ys.contains(&y) && !same[y] && rows.next(y) == rows.prev(src(y)))
                .collect();
            let mut shifted: Vec<Option<usize>> = vec![None; h];
            let mut y = ys.start;
            while y < ys.end {
                if !matched[y] {
                    y += 1;
                    continue;
                }
                let a = y;
                while y < ys.end && matched[y] {
                    y += 1;
                }
                let b = y;
                // The band's moved rows: the run, extended by a few rows at each end.
                for lo in a.saturating_sub(EXTEND).max(ys.start)..=a {
                    for hi in b..=(b + EXTEND).min(ys.end) {
                        let (band, exposed) = if up {
                            (lo..hi + by, hi..hi + by)
                        } else {
                            (lo - by..hi, lo - by..lo)
                        };
                        if band.len() < 2 {
                            continue;
                        }
                        let before: usize = band
                            .clone()
                            .map(|y| {
                                *plain[y].get_or_insert_with(|| cost(rows.prev(y), rows.next(y)))
                            })
                            .sum();
                        let mut after = SCROLL_COST;
                        for y in exposed {
                            after += *blank[y].get_or_insert_with(|| blank_cost(rows.next(y)));
                        }
                        for y in lo..hi {
                            if !matched[y] {
                                after += *shifted[y]
                                    .get_or_insert_with(|| cost(rows.prev(src(y)), rows.next(y)));
                            }
                        }
                        if after < before && best.as_ref().is_none_or(|(s, _)| before - after > *s)
                        {
                            best = Some((
                                before - after,
                                Shift {
                                    rows: band.start as u16..band.end as u16,
                                    by: by as u16,
                                    up,
                                },
                            ));
                        }
                    }
                }
            }
        }
    }
    best.map(|(_, shift)| shift)
}

struct Rows<'a> {
    old: &'a Buffer,
    new: &'a Buffer,
    w: usize,
}

impl Rows<'_> {
    fn prev(&self, y: usize) -> &[Cell] {
        &self.old.content[y * self.w..(y + 1) * self.w]
    }

    fn next(&self, y: usize) -> &[Cell] {
        &self.new.content[y * self.w..(y + 1) * self.w]
    }
}

/// Roughly the bytes that turn row `from` into row `to`: the symbols of the cells that differ, a
/// cursor move for each run of them, a colour change where the style changes.
fn cost(from: &[Cell], to: &[Cell]) -> usize {
    cost_of(from.iter().zip(to))
}

/// [`cost`] from a blank row.
fn blank_cost(to: &[Cell]) -> usize {
    cost_of(to.iter().map(|cell| (&Cell::EMPTY, cell)))
}

fn cost_of<'a>(cells: impl Iterator<Item = (&'a Cell, &'a Cell)>) -> usize {
    let mut bytes = 0;
    let mut in_run = false;
    let mut style = (Color::Reset, Color::Reset, Modifier::empty());
    for (a, b) in cells {
        if a == b {
            in_run = false;
            continue;
        }
        if !in_run {
            bytes += MOVE_COST;
            in_run = true;
        }
        let s = (b.fg, b.bg, b.modifier);
        if s != style {
            bytes += STYLE_COST;
            style = s;
        }
        bytes += b.symbol().len();
    }
    bytes
}

/// The crossterm backend on a screen of known size: the size and the cursor position come from
/// here instead of from tty queries, every byte of output from `CrosstermBackend` into `W`. For
/// measuring what the draw path writes (the render benchmark) and for feeding a terminal emulator
/// (the tests).
pub struct FixedScreen<W: Write> {
    inner: CrosstermBackend<W>,
    size: Size,
    cursor: Position,
}

impl<W: Write> FixedScreen<W> {
    pub fn new(out: W, size: Size) -> FixedScreen<W> {
        FixedScreen {
            inner: CrosstermBackend::new(out),
            size,
            cursor: Position::ORIGIN,
        }
    }

    /// A new size, as a resize of the terminal.
    pub fn resize(&mut self, size: Size) {
        self.size = size;
    }
}

impl<W: Write> Backend for FixedScreen<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.cursor = position.into();
        self.inner.set_cursor_position(self.cursor)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        Ok(self.size)
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size,
            pixels: Size::new(0, 0),
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }

    fn scroll_region_up(&mut self, region: std::ops::Range<u16>, n: u16) -> io::Result<()> {
        self.inner.scroll_region_up(region, n)
    }

    fn scroll_region_down(&mut self, region: std::ops::Range<u16>, n: u16) -> io::Result<()> {
        self.inner.scroll_region_down(region, n)
    }
}

/// Bytes the draw path writes itself (the style reset before a scroll).
impl<W: Write> Write for FixedScreen<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

/// A terminal emulated by `vt100` behind the real crossterm backend, for tests of what reaches
/// the screen.
#[cfg(test)]
pub(crate) mod testing {
    use std::io::{self, Write};
    use std::num::NonZeroU16;

    use ratatui::Terminal;
    use ratatui::buffer::Buffer;
    use ratatui::layout::{Position, Size};
    use ratatui::style::{Color, Modifier};
    use std::cell::RefCell;
    use std::rc::Rc;

    use ratatui::Frame;

    use super::{FixedScreen, Painter};

    /// Bytes written, kept for the emulator.
    #[derive(Clone, Default)]
    pub struct Sink(Rc<RefCell<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A painter drawing into an emulated terminal.
    pub struct Vt {
        pub terminal: Terminal<FixedScreen<Sink>>,
        pub painter: Painter,
        pub parser: vt100::Parser,
        sink: Sink,
    }

    fn nz(n: u16) -> NonZeroU16 {
        NonZeroU16::new(n).expect("a screen of at least one cell")
    }

    impl Vt {
        pub fn new(width: u16, height: u16, scroll_regions: bool) -> Vt {
            let sink = Sink::default();
            let screen = FixedScreen::new(sink.clone(), Size::new(width, height));
            Vt {
                terminal: Terminal::new(screen).expect("a fixed-size screen"),
                painter: Painter::new(scroll_regions),
                parser: vt100::Parser::new(nz(height), nz(width), 0),
                sink,
            }
        }

        /// The terminal changes size (the emulator keeps what fits, as terminals do).
        pub fn resize(&mut self, width: u16, height: u16) {
            self.terminal.backend_mut().resize(Size::new(width, height));
            self.parser.set_size(nz(height), nz(width));
        }

        /// Draws a frame; returns the bytes written.
        pub fn draw(&mut self, render: impl FnOnce(&mut Frame) -> Option<Position>) -> usize {
            self.painter
                .draw(&mut self.terminal, render)
                .expect("drawing into memory");
            let bytes = std::mem::take(&mut *self.sink.0.borrow_mut());
            self.parser.process(&bytes);
            bytes.len()
        }

        /// The frame last drawn.
        pub fn frame(&self) -> &Buffer {
            self.painter.shown().expect("a frame was drawn")
        }

        /// Panics unless the emulated screen shows `expected` cell by cell: text, colours and
        /// attributes.
        pub fn assert_shows(&self, expected: &Buffer) {
            let screen = self.parser.screen();
            let area = expected.area;
            let (rows, cols) = screen.size();
            assert_eq!(
                (rows.get(), cols.get()),
                (area.height, area.width),
                "screen size"
            );
            for y in 0..area.height {
                let mut x = 0;
                while x < area.width {
                    let want = &expected[(x, y)];
                    let got = screen.cell(y, x).expect("a cell on screen");
                    let blank = |s: &str| {
                        if s.is_empty() {
                            " ".to_owned()
                        } else {
                            s.to_owned()
                        }
                    };
                    let m = want.modifier;
                    let same = blank(got.contents()) == blank(want.symbol())
                        && got.fgcolor() == vt_color(want.fg)
                        && got.bgcolor() == vt_color(want.bg)
                        && got.bold() == m.contains(Modifier::BOLD)
                        && got.dim() == m.contains(Modifier::DIM)
                        && got.italic() == m.contains(Modifier::ITALIC)
                        && got.underline() == m.contains(Modifier::UNDERLINED)
                        && got.inverse() == m.contains(Modifier::REVERSED);
                    if !same {
                        let which = if self.painter.scroll_regions() {
                            "with scroll regions"
                        } else {
                            "plain"
                        };
                        panic!(
                            "{which}: the screen differs from the frame at ({x}, {y}): want \
                             {want:?}, got {got:?}\n{}",
                            self.parser.screen().contents()
                        );
                    }
                    x += if got.is_wide() { 2 } else { 1 };
                }
            }
        }

        /// Panics unless the cursor is where the frame put it, or hidden.
        pub fn assert_cursor(&self, cursor: Option<Position>) {
            let screen = self.parser.screen();
            match cursor {
                None => assert!(screen.hide_cursor(), "the cursor is hidden"),
                Some(p) => {
                    assert!(!screen.hide_cursor(), "the cursor shows");
                    assert_eq!(screen.cursor_position(), (p.y, p.x), "the cursor's place");
                }
            }
        }
    }

    /// The colour a terminal stores for `color` as crossterm writes it.
    fn vt_color(color: Color) -> vt100::Color {
        let idx = |n| vt100::Color::Idx(n);
        match color {
            Color::Reset => vt100::Color::Default,
            Color::Black => idx(0),
            Color::Red => idx(1),
            Color::Green => idx(2),
            Color::Yellow => idx(3),
            Color::Blue => idx(4),
            Color::Magenta => idx(5),
            Color::Cyan => idx(6),
            Color::Gray => idx(7),
            Color::DarkGray => idx(8),
            Color::LightRed => idx(9),
            Color::LightGreen => idx(10),
            Color::LightYellow => idx(11),
            Color::LightBlue => idx(12),
            Color::LightMagenta => idx(13),
            Color::LightCyan => idx(14),
            Color::White => idx(15),
            Color::Indexed(n) => idx(n),
            Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ratatui::layout::Rect;
    use ratatui::style::{Style, Stylize};
    use ratatui::text::{Line, Span};
    use ratatui::widgets::{Block, Paragraph};

    use super::testing::Vt;
    use super::*;

    /// Line `i` of a long list: distinct, coloured by kind, some with wide characters.
    fn item(i: usize) -> Line<'static> {
        let text = match i % 6 {
            0 => format!("user_{i:04} blocked since 2026-0{}-1{}", i % 9 + 1, i % 10),
            1 => format!("wx_{:012x} 李小龙的粉丝 {i}", i * 7919),
            2 => format!("guest-{i:05} 🐼熊猫 · {}", "x".repeat(i % 13)),
            3 => format!("{i} ゆい さくら"),
            4 => String::new(),
            _ => format!("lucky_cat{i} — {}", "abc ".repeat(i % 5)),
        };
        let style = match i % 4 {
            0 => Style::new(),
            1 => Style::new().cyan(),
            2 => Style::new().yellow().bold(),
            _ => Style::new().on_blue().italic(),
        };
        Line::from(vec![
            Span::styled(format!("{i:>4} "), Style::new().dim()),
            Span::styled(text, style),
        ])
    }

    /// A screen like the dashboard's: a title row, a bordered list over `band` (scrolled to
    /// `offset`, the row `cursor` highlighted), optionally a pane beside it over the same rows,
    /// and a footer below.
    #[derive(Debug, Clone)]
    struct Scene {
        offset: usize,
        cursor: usize,
        band: Range<u16>,
        /// The side pane's width and its own offset.
        side: Option<(u16, usize)>,
        title: String,
        terminal_cursor: Option<Position>,
    }

    impl Scene {
        fn new(band: Range<u16>) -> Scene {
            Scene {
                offset: 10,
                cursor: 12,
                band,
                side: None,
                title: "list".into(),
                terminal_cursor: None,
            }
        }

        fn render(&self, frame: &mut Frame) -> Option<Position> {
            let area = frame.area();
            let title = Line::from(format!("{} · row {}", self.title, self.cursor)).bold();
            frame.render_widget(title, Rect { height: 1, ..area });
            let band = Rect {
                y: self.band.start.min(area.height),
                height: self
                    .band
                    .end
                    .min(area.height)
                    .saturating_sub(self.band.start),
                ..area
            };
            let (list, side) = match self.side {
                Some((w, _)) if w < band.width => (
                    Rect {
                        width: band.width - w,
                        ..band
                    },
                    Some(Rect {
                        x: band.width - w,
                        width: w,
                        ..band
                    }),
                ),
                _ => (band, None),
            };
            let block = Block::bordered()
                .border_style(Style::new().cyan())
                .title(" items ");
            let inner = block.inner(list);
            frame.render_widget(block, list);
            let lines: Vec<Line> = (self.offset..self.offset + usize::from(inner.height))
                .map(|i| {
                    let line = item(i);
                    if i == self.cursor {
                        line.reversed()
                    } else {
                        line
                    }
                })
                .collect();
            frame.render_widget(Paragraph::new(lines), inner);
            if let (Some(side), Some((_, offset))) = (side, self.side) {
                let lines: Vec<Line> = (offset..offset + usize::from(side.height))
                    .map(|i| Line::from(format!("│ feed {i:03} {}", "·".repeat(i % 7))).gray())
                    .collect();
                frame.render_widget(Paragraph::new(lines), side);
            }
            let footer_y = band.bottom();
            if footer_y < area.height {
                let footer = Rect {
                    y: footer_y,
                    height: area.height - footer_y,
                    ..area
                };
                let text = "q quit  j/k move  / filter  ? help".on_dark_gray();
                frame.render_widget(
                    Paragraph::new(vec![Line::from(text), Line::from("status: ok")]),
                    footer,
                );
            }
            self.terminal_cursor
        }
    }

    /// A painter with scroll regions and one without, drawing the same frames.
    struct Both {
        scrolled: Vt,
        plain: Vt,
    }

    impl Both {
        fn new(width: u16, height: u16) -> Both {
            Both {
                scrolled: Vt::new(width, height, true),
                plain: Vt::new(width, height, false),
            }
        }

        fn resize(&mut self, width: u16, height: u16) {
            self.scrolled.resize(width, height);
            self.plain.resize(width, height);
        }

        /// Draws `scene` with both; checks that both screens show the frame; returns the bytes
        /// each wrote.
        fn draw(&mut self, scene: &Scene) -> (usize, usize) {
            let scrolled = self.scrolled.draw(|f| scene.render(f));
            let plain = self.plain.draw(|f| scene.render(f));
            assert_eq!(self.scrolled.frame(), self.plain.frame(), "the same frame");
            self.plain.assert_shows(self.plain.frame());
            self.scrolled.assert_shows(self.plain.frame());
            self.scrolled.assert_cursor(scene.terminal_cursor);
            self.plain.assert_cursor(scene.terminal_cursor);
            (scrolled, plain)
        }
    }

    #[test]
    fn a_list_scrolled_by_one_to_three_rows_is_scrolled_on_screen() {
        for by in 1..=3usize {
            for up in [true, false] {
                let mut both = Both::new(60, 24);
                let mut scene = Scene::new(2..20);
                scene.offset = 20;
                both.draw(&scene);
                scene.offset = if up { 20 + by } else { 20 - by };
                let (scrolled, plain) = both.draw(&scene);
                let shift = both.scrolled.painter.last_shift().cloned();
                let shift = shift.unwrap_or_else(|| panic!("by {by} up {up}: no scroll"));
                assert_eq!((shift.by, shift.up), (by as u16, up), "{shift:?}");
                // Inside the border: the list's rows, not the title, the border or the footer.
                assert!(shift.rows.start >= 3 && shift.rows.end <= 19, "{shift:?}");
                assert!(
                    scrolled * 2 < plain,
                    "by {by} up {up}: {scrolled} vs {plain} bytes"
                );
            }
        }
    }

    #[test]
    fn a_cursor_moving_with_its_list_is_scrolled_with_it() {
        let mut both = Both::new(70, 30);
        let mut scene = Scene::new(1..26);
        scene.offset = 0;
        scene.cursor = 0;
        for step in 0..60 {
            // j held: the cursor reaches the bottom row, then the list scrolls under it.
            scene.cursor = step;
            scene.offset = step.saturating_sub(22);
            let (scrolled, plain) = both.draw(&scene);
            if step > 23 {
                assert!(both.scrolled.painter.last_shift().is_some(), "step {step}");
                assert!(scrolled < plain / 3, "step {step}: {scrolled} vs {plain}");
            }
        }
        for step in (0..60).rev() {
            // k held back up: the cursor on the top row, the list scrolling down.
            scene.cursor = step;
            scene.offset = scene.offset.min(step);
            both.draw(&scene);
        }
    }

    #[test]
    fn rows_shared_with_a_pane_that_did_not_move_are_not_scrolled() {
        let mut both = Both::new(80, 24);
        let mut scene = Scene::new(2..22);
        scene.side = Some((25, 0));
        both.draw(&scene);
        scene.offset += 1;
        both.draw(&scene);
        assert_eq!(both.scrolled.painter.last_shift(), None);
        // The pane beside moving with the list: the whole rows moved.
        scene.offset += 2;
        scene.side = Some((25, 2));
        both.draw(&scene);
        let shift = both.scrolled.painter.last_shift().expect("a scroll");
        assert_eq!((shift.by, shift.up), (2, true));
        // Moving against each other.
        scene.offset += 1;
        scene.side = Some((25, 1));
        both.draw(&scene);
        assert_eq!(both.scrolled.painter.last_shift(), None);
    }

    #[test]
    fn frames_that_did_not_scroll_are_plain_diffs() {
        let mut both = Both::new(60, 20);
        let mut scene = Scene::new(2..18);
        both.draw(&scene);
        assert_eq!(
            both.draw(&scene),
            (0, 0),
            "an unchanged frame writes nothing"
        );
        scene.title = "renamed".into();
        let (scrolled, plain) = both.draw(&scene);
        assert_eq!(scrolled, plain);
        assert_eq!(both.scrolled.painter.last_shift(), None);
        scene.cursor += 1;
        scene.terminal_cursor = Some(Position::new(5, 0));
        both.draw(&scene);
        assert_eq!(both.scrolled.painter.last_shift(), None);
        // Farther than MAX_SHIFT: written as it is.
        scene.offset += usize::from(MAX_SHIFT) + 1;
        scene.terminal_cursor = None;
        both.draw(&scene);
        assert_eq!(both.scrolled.painter.last_shift(), None);
    }

    #[test]
    fn a_resize_redraws_and_scrolling_resumes_after_it() {
        let mut both = Both::new(60, 20);
        let mut scene = Scene::new(2..18);
        both.draw(&scene);
        for (w, h) in [(72, 26), (50, 16), (50, 30), (90, 12)] {
            both.resize(w, h);
            scene.band = 1..h.saturating_sub(2);
            scene.offset += 1;
            both.draw(&scene);
            assert_eq!(both.scrolled.painter.last_shift(), None, "{w}x{h}");
            scene.offset += 1;
            both.draw(&scene);
            assert!(both.scrolled.painter.last_shift().is_some(), "{w}x{h}");
        }
    }

    #[test]
    fn the_painter_is_off_where_the_terminal_cannot_scroll_regions() {
        assert!(decide(None, Some("xterm-256color")));
        assert!(decide(None, Some("screen")));
        assert!(!decide(None, Some("dumb")));
        assert!(!decide(None, Some("")));
        assert!(!decide(None, None));
        assert!(!decide(Some("off"), Some("xterm")));
        assert!(!decide(Some("0"), Some("xterm")));
        assert!(decide(Some("on"), Some("dumb")));
        assert!(decide(Some("1"), None));
        // Anything else leaves it to TERM.
        assert!(decide(Some("maybe"), Some("xterm")));
        let mut both = Both::new(40, 12);
        let mut scene = Scene::new(1..10);
        both.draw(&scene);
        scene.offset += 1;
        both.draw(&scene);
        assert_eq!(both.plain.painter.last_shift(), None);
        assert!(!both.plain.painter.scroll_regions());
    }

    #[test]
    fn a_clear_writes_the_next_frame_whole() {
        let mut vt = Vt::new(40, 12, true);
        let scene = Scene::new(1..10);
        let first = vt.draw(|f| scene.render(f));
        vt.painter.clear(&mut vt.terminal).unwrap();
        let again = vt.draw(|f| scene.render(f));
        assert!(again + 10 >= first, "{again} vs {first}");
        let frame = vt.frame().clone();
        vt.assert_shows(&frame);
    }

    #[test]
    fn short_gaps_are_written_rather_than_jumped() {
        let area = Rect::new(0, 0, 30, 1);
        let base = Buffer::with_lines(["abc def ghi                   "]);
        let mut next = base.clone();
        next[(1, 0)].set_symbol("X");
        next[(5, 0)].set_symbol("Y");
        next[(25, 0)].set_symbol("Z");
        assert_eq!(next.area, area);
        let cells: Vec<(u16, &str)> = Filled::new(&base, &next)
            .map(|(x, _, c)| (x, c.symbol()))
            .collect();
        // b→X, then "c d" written again instead of a move, Y, then a move to Z.
        assert_eq!(
            cells,
            [(1, "X"), (2, "c"), (3, " "), (4, "d"), (5, "Y"), (25, "Z")]
        );
    }

    /// One change between two frames.
    #[derive(Debug, Clone)]
    enum Step {
        /// The list moves by this many rows (up for positive).
        Scroll(i8),
        /// The pane beside the list moves, or goes, or comes.
        Side(Option<(u16, usize)>),
        Cursor(usize),
        Title(String),
        TerminalCursor(Option<(u16, u16)>),
        Band(u16, u16),
        Resize(u16, u16),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (-4i8..=4).prop_map(Step::Scroll),
            1 => proptest::option::of((5u16..30, 0usize..20)).prop_map(Step::Side),
            2 => (0usize..80).prop_map(Step::Cursor),
            1 => "[a-z ]{0,12}".prop_map(Step::Title),
            1 => proptest::option::of((0u16..40, 0u16..12)).prop_map(Step::TerminalCursor),
            1 => (1u16..8, 8u16..30).prop_map(|(a, b)| Step::Band(a, b)),
            1 => (20u16..90, 6u16..30).prop_map(|(w, h)| Step::Resize(w, h)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Whatever the frames, the screen shows each one as plain ratatui would draw it.
        #[test]
        fn the_screen_always_shows_the_frame(steps in proptest::collection::vec(step(), 1..24)) {
            let (mut w, mut h) = (60u16, 20u16);
            let mut both = Both::new(w, h);
            let mut scene = Scene::new(2..18);
            scene.offset = 30;
            both.draw(&scene);
            for step in steps {
                match step {
                    Step::Scroll(n) => {
                        scene.offset = scene.offset.saturating_add_signed(isize::from(n));
                    }
                    Step::Side(side) => scene.side = side,
                    Step::Cursor(c) => scene.cursor = c,
                    Step::Title(t) => scene.title = t,
                    Step::TerminalCursor(c) => {
                        scene.terminal_cursor =
                            c.map(|(x, y)| Position::new(x.min(w - 1), y.min(h - 1)));
                    }
                    Step::Band(a, b) => scene.band = a..b,
                    Step::Resize(nw, nh) => {
                        (w, h) = (nw, nh);
                        both.resize(w, h);
                        scene.terminal_cursor = None;
                    }
                }
                both.draw(&scene);
            }
        }
    }
}
