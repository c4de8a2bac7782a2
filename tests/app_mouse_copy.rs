//! The mouse and the clipboard in `app::update`, with no terminal: a click focuses the pane under
//! the pointer and puts the cursor on exactly the row drawn there, the wheel scrolls the pane
//! under the pointer, a click never answers a question; `c` copies the IDs at hand as an
//! `Effect::Copy`, or says why it cannot.

mod common {
    pub mod dashboard;
}

use blockdeck::app::layout::{self, Spot};
use blockdeck::app::model::{COPY_MAX_BASE64, Focus, Overlay};
use blockdeck::app::{Effect, Msg};
use blockdeck::feed::ChangeKind;
use common::dashboard::*;
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Msg {
    Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn click(d: &mut Dash, column: u16, row: u16) -> Vec<Effect> {
    d.send(mouse(MouseEventKind::Down(MouseButton::Left), column, row))
}

fn wheel(d: &mut Dash, column: u16, row: u16, down: bool) -> Vec<Effect> {
    let kind = if down {
        MouseEventKind::ScrollDown
    } else {
        MouseEventKind::ScrollUp
    };
    d.send(mouse(kind, column, row))
}

/// The screen as the view draws the model, line by line.
fn screen_lines(d: &Dash) -> Vec<String> {
    let m = &d.model;
    let mut terminal = Terminal::new(TestBackend::new(m.width, m.height)).unwrap();
    terminal
        .draw(|frame| blockdeck::ui::view(m, frame))
        .unwrap();
    let buf = terminal.backend().buffer().clone();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect::<String>()
        })
        .collect()
}

/// The ID drawn on a table row of the screen (after its mark box).
fn id_on(line: &str) -> Option<String> {
    let at = line.find("[ ] ").or_else(|| line.find("[x] "))?;
    line[at + 4..].split_whitespace().next().map(str::to_owned)
}

fn current_id(d: &Dash) -> String {
    d.model.list.current().unwrap().to.as_str().to_owned()
}

fn copied(fx: &[Effect]) -> &str {
    match fx {
        [Effect::Copy(text)] => text,
        other => panic!("no copy: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The mouse

#[test]
fn a_click_focuses_the_pane_under_the_pointer() {
    let mut d = Dash::alice(50);
    assert_eq!(d.model.focus, Focus::Blocklist);
    let s = layout::screen(&d.model);
    assert!(click(&mut d, 10, s.lookup.y + 1).is_empty());
    assert_eq!(d.model.focus, Focus::Lookup);
    let activity = s.activity.unwrap();
    click(&mut d, 10, activity.y + 2);
    assert_eq!(d.model.focus, Focus::Activity);
    // The table's column header focuses it, and leaves its cursor alone.
    d.press_n(ch('j'), 0);
    click(&mut d, 10, s.list.y + 1);
    assert_eq!(d.model.focus, Focus::Blocklist);
    assert_eq!(d.model.list.cursor(), 0);
    // The header, the status line and the bar do nothing.
    for y in [s.header.y, s.status.y, s.bar.y] {
        click(&mut d, 10, y);
        assert_eq!(d.model.focus, Focus::Blocklist, "row {y}");
    }

    // Wide: the activity pane and the feed side by side, each focused by a click on it.
    let mut d = Dash::alice(50).size(120, 40);
    let s = layout::screen(&d.model);
    let (activity, feed) = (s.activity.unwrap(), s.feed.unwrap());
    click(&mut d, feed.x + 3, feed.y + 2);
    assert_eq!(d.model.focus, Focus::Feed);
    click(&mut d, activity.x + 3, activity.y + 2);
    assert_eq!(d.model.focus, Focus::Activity);
}

#[test]
fn a_click_on_a_row_of_a_scrolled_table_selects_the_row_drawn_there() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut d = Dash::alice(250).size(w, h);
        d.press_n(ch('j'), 40);
        d.press_n(ch('k'), 2);
        let before = d.model.list.window(d.model.bands().table_rows());
        assert!(before.start > 0, "the window has scrolled: {before:?}");
        let body = layout::table_body(layout::screen(&d.model).list);
        let lines = screen_lines(&d);
        for offset in [0, body.height / 2, body.height - 1] {
            let y = body.y + offset;
            let drawn = id_on(&lines[usize::from(y)]).expect("a table row");
            assert!(click(&mut d, 30, y).is_empty());
            assert_eq!(current_id(&d), drawn, "{w}x{h} row {y}");
            assert_eq!(d.model.list.cursor(), before.start + usize::from(offset));
            // The window stays where it was: the row stays under the pointer.
            assert_eq!(
                d.model.list.window(d.model.bands().table_rows()),
                before,
                "{w}x{h}"
            );
        }
        assert_eq!(d.model.focus, Focus::Blocklist);
    }
}

#[test]
fn a_click_below_the_last_row_only_focuses() {
    let mut d = Dash::alice(3);
    d.focus(Focus::Lookup);
    let body = layout::table_body(layout::screen(&d.model).list);
    click(&mut d, 30, body.y + body.height - 1);
    assert_eq!(
        (d.model.focus, d.model.list.cursor()),
        (Focus::Blocklist, 0)
    );
    assert_eq!(
        layout::spot(&d.model, 30, body.y + body.height - 1),
        Spot::Table(None)
    );
}

#[test]
fn a_click_on_an_activity_or_feed_line_puts_the_cursor_on_it() {
    let mut d = Dash::alice(20).size(120, 40);
    for i in 0..30 {
        d.send(Msg::Note(format!("note {i}")));
    }
    for i in 0..20 {
        d.send(Msg::FeedChange(feed_event(
            ChangeKind::Block,
            &format!("mallory{i}"),
            "trent",
            NOW,
        )));
    }
    let s = layout::screen(&d.model);
    let activity = layout::inner(s.activity.unwrap());
    let lines = screen_lines(&d);
    let y = activity.y + 1;
    click(&mut d, activity.x + 2, y);
    assert_eq!(d.model.focus, Focus::Activity);
    let log = &d.model.activity;
    let at = log.scroll.log_cursor(log.lines.len()).unwrap();
    assert!(
        lines[usize::from(y)].contains(&log.lines[at].text),
        "{:?} is not on row {y}: {}",
        log.lines[at].text,
        lines[usize::from(y)]
    );
    // Enter opens the line clicked.
    d.press(enter());
    match &d.model.overlay {
        Overlay::Entry(entry) => assert_eq!(entry.paragraphs[0].1, log_text(&d, at)),
        other => panic!("no line opened: {other:?}"),
    }
    d.press(esc());

    let feed = layout::feed_body(&d.model, s.feed.unwrap());
    let y = feed.y + 2;
    click(&mut d, feed.x + 2, y);
    assert_eq!(d.model.focus, Focus::Feed);
    let Some(blockdeck::app::model::FeedEntry::Change(line)) = d.model.feed.selected() else {
        panic!("no change selected");
    };
    assert!(
        lines[usize::from(y)].contains(&line.from),
        "{} is not on row {y}: {}",
        line.from,
        lines[usize::from(y)]
    );
}

fn log_text(d: &Dash, at: usize) -> String {
    d.model.activity.lines[at].text.clone()
}

#[test]
fn the_wheel_scrolls_the_pane_under_the_pointer_by_three_rows() {
    let mut d = Dash::alice(250);
    let s = layout::screen(&d.model);
    let rows = d.model.bands().table_rows();
    wheel(&mut d, 30, s.list.y + 3, true);
    // The window moved by three rows; the cursor, at its top, came along.
    assert_eq!(d.model.list.window(rows).start, 3);
    assert_eq!(d.model.list.cursor(), 3);
    wheel(&mut d, 30, s.list.y + 3, true);
    assert_eq!(d.model.list.window(rows).start, 6);
    d.press_n(ch('j'), 2);
    assert_eq!(d.model.list.cursor(), 8);
    // Back up: the cursor stays on its row while it is in sight.
    wheel(&mut d, 30, s.list.y + 3, false);
    assert_eq!(
        (d.model.list.window(rows).start, d.model.list.cursor()),
        (3, 8)
    );
    for _ in 0..5 {
        wheel(&mut d, 30, s.list.y + 3, false);
    }
    assert_eq!(d.model.list.window(rows).start, 0);

    // Over the activity pane it scrolls that pane, whatever has focus.
    for i in 0..30 {
        d.send(Msg::Note(format!("note {i}")));
    }
    let (len, arows) = (
        d.model.activity.lines.len(),
        d.model.bands().activity_rows(),
    );
    let activity = s.activity.unwrap();
    wheel(&mut d, 10, activity.y + 1, false);
    assert_eq!(d.model.activity.scroll.below(len, arows), 3);
    assert_eq!(d.model.focus, Focus::Blocklist);
    wheel(&mut d, 10, activity.y + 1, true);
    assert_eq!(d.model.activity.scroll.below(len, arows), 0);
    assert!(
        d.model.activity.scroll.tail,
        "back at the end, the log follows it"
    );
}

#[test]
fn the_wheel_scrolls_the_help_and_a_click_leaves_it_open() {
    let mut d = Dash::alice(20);
    d.press(ch('?'));
    wheel(&mut d, 5, 5, true);
    match &d.model.overlay {
        Overlay::Help(scroll) => assert_eq!(scroll.offset, 3),
        other => panic!("help closed: {other:?}"),
    }
    click(&mut d, 5, 5);
    assert!(matches!(d.model.overlay, Overlay::Help(_)));
    assert_eq!(d.model.list.cursor(), 0);
}

#[test]
fn no_click_or_wheel_anywhere_answers_a_confirmation() {
    let mut d = Dash::alice(20);
    d.mark(2);
    d.press(ch('x'));
    assert!(d.checked(Default::default()));
    d.wait(2_000);
    let before = d.pending().cloned().expect("a confirmation");
    let (w, h) = (d.model.width, d.model.height);
    for y in 0..h {
        for x in 0..w {
            for kind in [
                MouseEventKind::Down(MouseButton::Left),
                MouseEventKind::Down(MouseButton::Right),
                MouseEventKind::Up(MouseButton::Left),
                MouseEventKind::ScrollDown,
                MouseEventKind::ScrollUp,
            ] {
                let fx = d.send(mouse(kind, x, y));
                assert!(fx.is_empty(), "{kind:?} at {x},{y}: {fx:?}");
            }
        }
    }
    assert_eq!(d.pending().map(|p| p.pairs.clone()), Some(before.pairs));
    assert!(d.model.running.is_none());
    assert_eq!(d.model.list.marks.len(), 2);
    // The question still answers to its key.
    let fx = d.press(ch('y'));
    assert!(matches!(fx.as_slice(), [Effect::RunBatch { .. }]), "{fx:?}");
}

#[test]
fn a_click_while_a_line_is_typed_does_nothing() {
    let mut d = Dash::alice(50);
    d.press(ch('/'));
    d.type_text("user");
    let s = layout::screen(&d.model);
    click(&mut d, 10, s.lookup.y + 1);
    click(&mut d, 30, layout::table_body(s.list).y + 4);
    assert!(matches!(d.model.overlay, Overlay::Filter(_)));
    assert_eq!(
        (d.model.focus, d.model.list.cursor()),
        (Focus::Blocklist, 0)
    );
}

#[test]
fn clicks_select_in_the_journal_and_the_history_views() {
    let mut d = Dash::alice(20);
    let req = d.command("history alice");
    let req = match req.as_slice() {
        [Effect::History { req, .. }] => *req,
        other => panic!("{other:?}"),
    };
    d.answer_history(req, history_of("alice", 40));
    let body = layout::view_body(layout::screen(&d.model).panes);
    click(&mut d, 20, body.y + 4);
    assert_eq!(d.history().scroll.cursor, 4);
    wheel(&mut d, 20, body.y + 4, true);
    assert_eq!(d.history().window(d.model.history_rows()).start, 3);
    assert_eq!(d.history().scroll.cursor, 4);
    // A click on the header of the screen does not close or move it.
    click(&mut d, 20, 0);
    assert_eq!(d.history().scroll.cursor, 4);
}

// ---------------------------------------------------------------------------------------------
// Copy

#[test]
fn c_copies_the_id_at_the_cursor() {
    let mut d = Dash::alice(20);
    d.press_n(ch('j'), 3);
    let want = current_id(&d);
    let fx = d.press(ch('c'));
    assert_eq!(copied(&fx), want);
    let said = &d.model.activity.last().unwrap().text;
    assert!(
        said.contains(&format!("copied {want} to the clipboard")),
        "{said}"
    );
    assert!(said.contains("OSC 52"), "{said}");
}

#[test]
fn c_copies_the_marked_ids_one_per_line_in_table_order() {
    let mut d = Dash::alice(20);
    d.press_n(ch('j'), 2);
    d.mark(3);
    let want: Vec<String> = d.model.list.view[2..5]
        .iter()
        .map(|&i| d.model.list.rows[i].to.as_str().to_owned())
        .collect();
    let fx = d.press(ch('c'));
    assert_eq!(copied(&fx), want.join("\n"));
    let said = &d.model.activity.last().unwrap().text;
    assert!(said.contains("copied 3 IDs to the clipboard"), "{said}");
    // The command line does the same.
    assert_eq!(copied(&d.command("copy")), want.join("\n"));
}

#[test]
fn with_osc52_off_c_says_why_and_copies_nothing() {
    let mut d = Dash::alice(20);
    d.model.osc52 = false;
    assert!(d.press(ch('c')).is_empty());
    let notice = d.model.notice.clone().unwrap_or_default();
    assert!(notice.contains("osc52 = false"), "{notice}");
    assert!(d.command("copy").is_empty());
    assert!(!d.effects.iter().any(|e| matches!(e, Effect::Copy(_))));
}

#[test]
fn c_on_the_feed_the_inspector_and_the_history_copies_their_accounts() {
    let mut d = Dash::alice(20);
    d.send(Msg::FeedChange(feed_event(
        ChangeKind::Block,
        "mallory",
        "trent",
        NOW,
    )));
    d.focus(Focus::Feed);
    assert_eq!(copied(&d.press(ch('c'))), "mallory trent");

    let mut d = Dash::alice(20);
    let row = current_id(&d);
    d.inspect_row();
    assert_eq!(copied(&d.press(ch('c'))), format!("alice {row}"));

    let mut d = Dash::alice(20);
    let req = match d.command("history alice").as_slice() {
        [Effect::History { req, .. }] => *req,
        other => panic!("{other:?}"),
    };
    d.answer_history(req, history_of("alice", 10));
    d.press(ch('j'));
    let other = d.history().current().unwrap().other.clone();
    assert_eq!(copied(&d.press(ch('c'))), other);
}

#[test]
fn nothing_with_a_control_character_or_too_long_is_copied() {
    let mut d = Dash::alice(20);
    d.send(Msg::FeedChange(feed_event(
        ChangeKind::Block,
        "evil\u{1b}]52;c;AAAA\u{7}",
        "trent",
        NOW,
    )));
    d.focus(Focus::Feed);
    assert!(d.press(ch('c')).is_empty());
    let notice = d.model.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("control or invisible character"),
        "{notice}"
    );
    assert!(!notice.contains('\u{1b}'), "{notice:?}");

    // Thousands of IDs make more base64 than terminals are sure to take.
    let mut d = Dash::alice(6_000);
    d.press(ch('*'));
    let total: usize = d
        .model
        .list
        .rows
        .iter()
        .map(|r| r.to.as_str().len() + 1)
        .sum();
    assert!(total.div_ceil(3) * 4 > COPY_MAX_BASE64);
    assert!(d.press(ch('c')).is_empty());
    let notice = d.model.notice.clone().unwrap_or_default();
    assert!(notice.contains("6000 IDs"), "{notice}");
    assert!(notice.contains("mark fewer rows"), "{notice}");
}

#[test]
fn c_on_the_activity_pane_says_where_it_works() {
    let mut d = Dash::alice(20);
    d.focus(Focus::Activity);
    // `c` is not bound there: it does nothing, and `:copy` says why.
    assert!(d.press(ch('c')).is_empty());
    assert!(d.command("copy").is_empty());
    // The command line stays open with the reason.
    match &d.model.overlay {
        Overlay::Palette(line) => {
            let error = line.error.clone().unwrap_or_default();
            assert!(error.contains("nothing to copy here"), "{error}");
        }
        other => panic!("the command line closed: {other:?}"),
    }
}
