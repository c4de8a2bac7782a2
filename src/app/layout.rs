//! Where everything is on screen, computed from the model alone: the view draws into these
//! rectangles and `update` maps a mouse click back through them, so that a click lands on
//! exactly the row that was drawn under the pointer.
//!
//! Top to bottom, in the heights of [`Model::bands`]: header, lookup, blocklist, the bottom
//! band, status line, action bar. The bottom band holds the activity pane and the change feed
//! side by side from [`SIDE_BY_SIDE`] columns, and the one with focus on narrower screens (the
//! activity pane unless the feed has it). The history and the journal view take the place of
//! the lookup, the blocklist and the bottom band together ([`Screen::panes`]).

use ratatui::layout::Rect;

use super::model::{Focus, Model, Overlay};

/// From this width the activity pane and the feed share the bottom band.
pub const SIDE_BY_SIDE: u16 = 120;
/// The activity pane's share of the bottom band when the feed is beside it (percent).
pub const ACTIVITY_SHARE: u16 = 55;

/// The screen's areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    pub header: Rect,
    pub lookup: Rect,
    pub list: Rect,
    /// The bottom band, whole.
    pub bottom: Rect,
    /// The activity pane, when it is on screen.
    pub activity: Option<Rect>,
    /// The feed, when it is on screen.
    pub feed: Option<Rect>,
    /// The lookup, the blocklist and the bottom band together: where the history and the journal
    /// view are drawn.
    pub panes: Rect,
    pub status: Rect,
    pub bar: Rect,
}

/// The areas of the screen for `model` (its size and focus).
pub fn screen(model: &Model) -> Screen {
    let bands = model.bands();
    let width = model.width;
    let mut y = 0u16;
    let mut band = |height: u16| {
        let rect = Rect::new(0, y, width, height);
        y = y.saturating_add(height);
        rect
    };
    let header = band(bands.header);
    let lookup = band(bands.lookup);
    let list = band(bands.blocklist);
    let bottom = band(bands.activity);
    let status = band(bands.status);
    let bar = band(bands.bar);
    let (activity, feed) = if width >= SIDE_BY_SIDE {
        let left = width * ACTIVITY_SHARE / 100;
        (
            Some(Rect {
                width: left,
                ..bottom
            }),
            Some(Rect {
                x: bottom.x + left,
                width: width - left,
                ..bottom
            }),
        )
    } else if model.focus == Focus::Feed {
        (None, Some(bottom))
    } else {
        (Some(bottom), None)
    };
    let panes = Rect {
        height: lookup.height + list.height + bottom.height,
        ..lookup
    };
    Screen {
        header,
        lookup,
        list,
        bottom,
        activity,
        feed,
        panes,
        status,
        bar,
    }
}

/// Inside a pane's borders.
pub fn inner(pane: Rect) -> Rect {
    Rect {
        x: pane.x.saturating_add(1),
        y: pane.y.saturating_add(1),
        width: pane.width.saturating_sub(2),
        height: pane.height.saturating_sub(2),
    }
}

/// Where the rows of a bordered table are drawn: inside the borders, below its column header.
pub fn table_body(pane: Rect) -> Rect {
    let inner = inner(pane);
    Rect {
        y: inner.y.saturating_add(1),
        height: inner.height.saturating_sub(1),
        ..inner
    }
}

/// The journal's batch list and the history view inside their borders (`inner`): the table
/// (its column header first), and the two lines about the row at the cursor below it.
pub fn table_and_detail(inner: Rect) -> (Rect, Rect) {
    let table_h = inner.height.saturating_sub(2);
    let table = Rect {
        height: table_h,
        ..inner
    };
    let detail = Rect {
        y: inner.y + table_h,
        height: inner.height - table_h,
        ..inner
    };
    (table, detail)
}

/// Where the rows of the journal's batch list or of the history view are drawn: the table of
/// [`table_and_detail`], below its column header.
pub fn view_body(panes: Rect) -> Rect {
    let (table, _) = table_and_detail(inner(panes));
    Rect {
        y: table.y.saturating_add(1),
        height: table.height.saturating_sub(1),
        ..table
    }
}

/// Where the feed's lines are drawn: inside its borders, below the latest burst alert when
/// there is one.
pub fn feed_body(model: &Model, feed: Rect) -> Rect {
    let inner = inner(feed);
    let alert = u16::from(!model.feed.alerts.is_empty()).min(inner.height);
    Rect {
        y: inner.y + alert,
        height: inner.height - alert,
        ..inner
    }
}

/// What is under a point of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spot {
    /// Nothing a click acts on (the header, the status line, the bar, a border's corner).
    Nothing,
    Lookup,
    /// The blocklist pane; the row under the pointer as a position in the table's view.
    Table(Option<usize>),
    /// The activity pane; the line under the pointer.
    Activity(Option<usize>),
    /// The feed; the line under the pointer as a position among the lines shown.
    Feed(Option<usize>),
    /// The journal's batch list; the batch under the pointer as a position in its view.
    Journal(Option<usize>),
    /// A batch of the journal opened (its items have no cursor).
    JournalItems,
    /// The history view; the change under the pointer.
    History(Option<usize>),
}

/// The row of `body` at screen row `y`, as a position of `window` (the positions drawn there).
fn row_at(body: Rect, y: u16, window: std::ops::Range<usize>) -> Option<usize> {
    if y < body.y || y >= body.y + body.height {
        return None;
    }
    let pos = window.start + usize::from(y - body.y);
    (pos < window.end).then_some(pos)
}

fn within(rect: Rect, x: u16, y: u16) -> bool {
    x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height
}

/// What is drawn at column `x`, row `y` (0-based) beneath any popup: the pane, and the row of
/// its list, exactly as the view draws them.
pub fn spot(model: &Model, x: u16, y: u16) -> Spot {
    if !model.fits() {
        return Spot::Nothing;
    }
    let screen = screen(model);
    if let Overlay::History(view) = &model.overlay {
        if !within(screen.panes, x, y) {
            return Spot::Nothing;
        }
        let body = view_body(screen.panes);
        let rows = usize::from(body.height);
        return Spot::History(row_at(body, y, view.window(rows)));
    }
    if let Some(journal) = &model.journal {
        if !within(screen.panes, x, y) {
            return Spot::Nothing;
        }
        if journal.items.is_some() {
            return Spot::JournalItems;
        }
        let body = view_body(screen.panes);
        let rows = usize::from(body.height);
        return Spot::Journal(row_at(body, y, journal.window(rows)));
    }
    if within(screen.lookup, x, y) {
        return Spot::Lookup;
    }
    if within(screen.list, x, y) {
        let body = table_body(screen.list);
        let window = model.list.window(usize::from(body.height));
        return Spot::Table(row_at(body, y, window));
    }
    if let Some(area) = screen.activity
        && within(area, x, y)
    {
        let body = inner(area);
        let len = model.activity.lines.len();
        let window = model.activity.scroll.window(len, usize::from(body.height));
        return Spot::Activity(row_at(body, y, window));
    }
    if let Some(area) = screen.feed
        && within(area, x, y)
    {
        let body = feed_body(model, area);
        let window = model
            .feed
            .scroll
            .window(model.feed.shown_len(), usize::from(body.height));
        return Spot::Feed(row_at(body, y, window));
    }
    Spot::Nothing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::model::Connection;

    fn model(width: u16, height: u16) -> Model {
        let mut m = Model::new(Connection::default(), false, false, 0);
        m.width = width;
        m.height = height;
        m
    }

    #[test]
    fn the_bands_stack_and_fill_the_screen() {
        for (w, h) in [(80, 24), (120, 40), (200, 60)] {
            let m = model(w, h);
            let s = screen(&m);
            assert_eq!(s.header.y, 0);
            assert_eq!(s.lookup.y, s.header.bottom());
            assert_eq!(s.list.y, s.lookup.bottom());
            assert_eq!(s.bottom.y, s.list.bottom());
            assert_eq!(s.status.y, s.bottom.bottom());
            assert_eq!(s.bar.y, s.status.bottom());
            assert_eq!(s.bar.bottom(), h);
            assert_eq!(s.panes.bottom(), s.status.y);
            // The table's body holds exactly the rows the table shows.
            assert_eq!(
                usize::from(table_body(s.list).height),
                m.bands().table_rows()
            );
            assert_eq!(
                usize::from(inner(s.bottom).height),
                m.bands().activity_rows()
            );
            assert_eq!(usize::from(view_body(s.panes).height), m.journal_rows());
            assert_eq!(usize::from(view_body(s.panes).height), m.history_rows());
        }
    }

    #[test]
    fn the_bottom_band_is_shared_from_its_width_on() {
        let mut m = model(80, 24);
        let s = screen(&m);
        assert_eq!((s.activity, s.feed), (Some(s.bottom), None));
        m.focus = Focus::Feed;
        let s = screen(&m);
        assert_eq!((s.activity, s.feed), (None, Some(s.bottom)));
        let m = model(120, 40);
        let s = screen(&m);
        let (a, f) = (s.activity.unwrap(), s.feed.unwrap());
        assert_eq!((a.x, a.width, f.x, f.width), (0, 66, 66, 54));
    }
}
