//! Pure rendering of a [`Model`] into a [`Frame`]: one file per pane or popup, styles in
//! [`theme`]. The view reads the model and nothing else (no clock, no I/O) and draws only
//! sanitized text, cut to its column with an ellipsis.
//!
//! Layout, top to bottom: header, lookup, blocklist, the bottom band, status line, action bar;
//! popups on top. Where each area is comes from [`layout::screen`], which `update` reads too to
//! map a mouse click to the row drawn under it.
//!
//! [`draw::Painter`] is the draw path that puts frames on the terminal.

mod activity;
mod blocklist;
pub mod draw;
mod feed;
mod header;
mod help;
mod history;
mod inspect;
mod journal;
mod lookup;
mod popups;
mod spark;
mod statusbar;
mod text;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

pub use inspect::inspector_layout;
pub use popups::entry_layout;
pub use theme::Theme;

use crate::app::layout;
use crate::app::model::{Model, Overlay};

/// Smallest terminal the layout is made for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
pub use crate::app::layout::SIDE_BY_SIDE;

/// Draws the whole dashboard, the terminal's cursor included (where text is typed, hidden
/// elsewhere).
pub fn view(model: &Model, frame: &mut Frame) {
    if let Some(cursor) = render(model, frame) {
        frame.set_cursor_position(cursor);
    }
}

/// Draws the whole dashboard into `frame` and returns where the terminal's cursor goes (`None`:
/// hidden), for a draw path that places the cursor itself ([`draw::Painter`]).
pub fn render(model: &Model, frame: &mut Frame) -> Option<Position> {
    let area = frame.area();
    if !model.fits() || area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let (w, h) = if model.fits() {
            (area.width, area.height)
        } else {
            (model.width, model.height)
        };
        too_small(w, h, frame, area);
        return None;
    }
    let theme = Theme::for_model(model);
    let layout::Screen {
        header,
        lookup,
        list,
        panes,
        status,
        bar,
        ..
    } = layout::screen(model);

    header::draw(model, &theme, frame, header);
    let mut cursor = None;
    match (&model.overlay, &model.journal) {
        // The history and the journal view take the panes' place.
        (Overlay::History(view), _) => history::draw(model, view, &theme, frame, panes),
        (_, Some(view)) => journal::draw(model, view, &theme, frame, panes),
        _ => {
            cursor = lookup::draw(model, &theme, frame, lookup);
            blocklist::draw(model, &theme, frame, list);
            bottom(model, &theme, frame);
        }
    }
    // Why a key could not do what it asks: on the bar line, or on both bottom lines when it
    // needs them (until the next key).
    let notice_rows = model
        .notice
        .as_deref()
        .map(|n| statusbar::notice_rows(n, usize::from(area.width)));
    match (&model.overlay, notice_rows) {
        (_, Some(2)) => {}
        (Overlay::Palette(line), _) => {
            cursor = Some(popups::palette_line(model, line, &theme, frame, status));
        }
        (Overlay::Filter(input), _) => {
            cursor = Some(popups::filter_line(model, input, &theme, frame, status));
        }
        (Overlay::Export { input, what, error }, _) => {
            let at = popups::export_line(*what, input, error.as_deref(), &theme, frame, status);
            cursor = Some(at);
        }
        _ => statusbar::draw_status(model, &theme, frame, status),
    }
    match (&model.notice, notice_rows) {
        (Some(notice), Some(rows)) => {
            let rect = Rect {
                y: bar.y + 1 - rows as u16,
                height: rows as u16,
                ..bar
            };
            statusbar::draw_notice(notice, &theme, frame, rect);
        }
        _ => statusbar::draw_bar(model, &theme, frame, bar),
    }

    let above_bar = popup_area(model);
    match &model.overlay {
        Overlay::Help(scroll) => help::draw(model, *scroll, &theme, frame, above_bar),
        Overlay::BlockPrompt { input, error } => {
            cursor = popups::block_prompt(model, input, error.as_deref(), &theme, frame, above_bar);
        }
        Overlay::Confirm(action) => popups::confirm(model, action, &theme, frame, above_bar),
        Overlay::Result => popups::result(model, &theme, frame, above_bar),
        Overlay::QuitConfirm => popups::quit_confirm(model, &theme, frame, above_bar),
        Overlay::Inspector(view) => inspect::inspector(model, view, &theme, frame, above_bar),
        Overlay::Entry(entry) => popups::entry(entry, &model.keymap, &theme, frame, above_bar),
        Overlay::None
        | Overlay::Palette(_)
        | Overlay::Filter(_)
        | Overlay::Export { .. }
        | Overlay::History(_) => {}
    }
    cursor
}

/// Where popups are drawn: all but the action bar, which stays in sight to say which keys answer
/// them.
pub fn popup_area(model: &Model) -> Rect {
    Rect {
        x: 0,
        y: 0,
        width: model.width,
        height: model.height.saturating_sub(model.bands().bar),
    }
}

/// The bottom band: activity and feed side by side when the screen is wide enough, else the one
/// with focus (the activity pane unless the feed has it), its title pointing to the other.
fn bottom(model: &Model, theme: &Theme, frame: &mut Frame) {
    let screen = layout::screen(model);
    let alone = screen.activity.is_none() || screen.feed.is_none();
    if let Some(area) = screen.activity {
        activity::draw(model, theme, frame, area, alone);
    }
    if let Some(area) = screen.feed {
        feed::draw(model, theme, frame, area, alone);
    }
}

/// The only thing drawn below 80×24: a plain, centred sentence.
fn too_small(width: u16, height: u16, frame: &mut Frame, area: Rect) {
    let message = format!(
        "terminal too small: {MIN_WIDTH}×{MIN_HEIGHT} needed, this one is {width}×{height}"
    );
    let lines = text::wrap(&message, usize::from(area.width));
    let top = area.height.saturating_sub(lines.len() as u16) / 2;
    let rect = Rect {
        y: area.y + top,
        height: area.height - top,
        ..area
    };
    let paragraph = Paragraph::new(lines.into_iter().map(Line::from).collect::<Vec<_>>())
        .centered()
        .wrap(Wrap { trim: true });
    frame.render_widget(paragraph, rect);
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Position;
    use ratatui::style::{Color, Modifier};
    use tui_input::Input;

    use super::*;
    use crate::app::model::{
        BatchOutcome, Blockers, Connection, ExportWhat, FailureGroup, FeedLine, Focus, Inspection,
        Inspector, Level, PendingAction, Row, Running, Sort, VerdictLine,
    };
    use crate::client::engine::Progress;
    use crate::client::{Operation, Pair};
    use crate::display::{is_unsafe, sanitize};
    use crate::tim::ids::UserId;

    /// 2026-11-22 01:35:00Z
    const NOW: u64 = 1_795_311_300;
    const HOSTILE: &str = "evil\u{1b}]0;owned\u{7}\u{1b}[2J\u{202e}nimda\nroot\r\u{9b}1m";

    fn id(s: &str) -> UserId {
        UserId::parse(s).unwrap()
    }

    fn start(width: u16, height: u16) -> Model {
        let connection = Connection {
            label: "demo".into(),
            base_url: "http://127.0.0.1:5080".into(),
            sdkappid: 1_400_000_000,
            admin: "administrator".into(),
        };
        let mut model = Model::new(connection, false, false, NOW);
        model.width = width;
        model.height = height;
        model
    }

    /// `alice` looked up, `n` entries loaded, nicknames as `update` stores them (sanitized).
    fn with_list(width: u16, height: u16, n: usize, loading: bool) -> Model {
        let mut model = start(width, height);
        model.lookup = Input::new("alice".into());
        model.user = Some(crate::app::model::UserSummary {
            id: id("alice"),
            id_shown: "alice".into(),
            exists: Some(true),
            nick: Some("Alice 李".into()),
            forbid_send: true,
            friends: Some(12),
        });
        model.list.owner = Some(id("alice"));
        model.list.rows = (0..n)
            .map(|i| {
                let mut row = Row::new(
                    id(&format!("user_{i:04}")),
                    NOW - 86_400 * 3 - i as u64 * 60,
                );
                row.nick = Some(match i % 4 {
                    0 => format!("nick {i}"),
                    1 => sanitize(HOSTILE).into_owned(),
                    2 => "李小龙".repeat(60),
                    _ => String::new(),
                });
                row
            })
            .collect();
        model.list.loading = loading;
        model.list.complete = !loading;
        model.list.rebuild_view();
        model.focus = Focus::Blocklist;
        model.log(Level::Info, "looking up alice");
        model.log(Level::Success, format!("alice: {n} entries loaded"));
        model.log(Level::Warning, "nicknames: 3 unknown");
        model.log(Level::Error, "page 3: timeout (retrying)");
        model
    }

    fn render(model: &Model) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(model.width, model.height)).unwrap();
        terminal.draw(|frame| view(model, frame)).unwrap();
        terminal
    }

    fn buffer(model: &Model) -> Buffer {
        render(model).backend().buffer().clone()
    }

    fn lines(buf: &Buffer) -> Vec<String> {
        (0..buf.area.height)
            .map(|y| {
                let mut line = String::new();
                let mut x = 0;
                while x < buf.area.width {
                    let symbol = buf[(x, y)].symbol();
                    line.push_str(symbol);
                    // A wide character covers the next cell too.
                    x += text::width(symbol).max(1) as u16;
                }
                line.trim_end().to_owned()
            })
            .collect()
    }

    fn screen(buf: &Buffer) -> String {
        lines(buf).join("\n")
    }

    /// No cell holds a control, invisible or direction-changing character.
    fn assert_safe(buf: &Buffer) {
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                let symbol = buf[(x, y)].symbol();
                assert!(
                    symbol.chars().all(|c| c == '\\' || !is_unsafe(c)),
                    "unsafe {symbol:?} at {x},{y}\n{}",
                    screen(buf)
                );
            }
        }
    }

    /// The screen column where `needle` starts in `line`.
    fn col_of(line: &str, needle: &str) -> u16 {
        text::width(&line[..line.find(needle).unwrap()]) as u16
    }

    fn bar_line(buf: &Buffer) -> String {
        lines(buf).pop().unwrap()
    }

    /// The row of the screen whose text contains `needle`.
    fn row_of(buf: &Buffer, needle: &str) -> u16 {
        lines(buf)
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} not on screen\n{}", screen(buf))) as u16
    }

    fn running(model: &mut Model, cancelling: bool) {
        model.running = Some(Running {
            id: 1,
            op: Operation::Unblock,
            total: 1000,
            progress: Progress {
                total: 1000,
                finished: 340,
                succeeded: 337,
                failed: 3,
                retries: 12,
                calls: 400,
                calls_per_sec: 198.4,
                elapsed: Duration::from_millis(2_060),
                ..Progress::default()
            },
            cancelling,
            quit_after: false,
            since: 0,
            progress_at: 0,
            removed: Vec::new(),
            restore: Vec::new(),
            call_rate: Default::default(),
        });
    }

    fn outcome() -> BatchOutcome {
        let pair = |to: &str| Pair::new(id("alice"), id(to));
        let items = |n: usize, info: &str| {
            (0..n)
                .map(|i| {
                    let p = pair(&format!("user_{i:04}"));
                    let shown = format!("alice → user_{i:04}");
                    (p, shown, sanitize(info).into_owned())
                })
                .collect::<Vec<_>>()
        };
        BatchOutcome {
            op: Operation::Unblock,
            total: 20,
            done: vec![pair("user_0100"), pair("user_0101")],
            already: 1,
            failures: vec![
                FailureGroup {
                    code: 30001,
                    meaning: "the account does not exist",
                    items: items(7, HOSTILE),
                },
                FailureGroup {
                    code: 20006,
                    meaning: "rate limited",
                    items: items(2, "too many requests"),
                },
            ],
            unfinished: vec![pair("user_0200")],
            ended: crate::app::model::Ended::CompletedWithFailures,
            stop_reason: None,
            journal_batch: Some("b-20261122-0135".into()),
            elapsed: Duration::from_secs(4),
            calls: 12,
            pace: None,
            items: Default::default(),
            removed: Vec::new(),
            call_rate: Default::default(),
        }
    }

    fn confirm_action(n: usize) -> PendingAction {
        PendingAction::new(
            Operation::Unblock,
            (0..n)
                .map(|i| Pair::new(id("alice"), id(&format!("user_{i:04}"))))
                .collect(),
            format!("unblock {n} marked entries of alice"),
            Some("alice's list is still loading: entries not loaded yet are not included".into()),
        )
    }

    /// Every state the tests draw, at one size.
    fn states(width: u16, height: u16) -> Vec<(&'static str, Model)> {
        let mut out = vec![("start", start(width, height))];
        out.push(("mid-load", with_list(width, height, 250, true)));

        let mut marked = with_list(width, height, 250, false);
        marked.list.filter = "user_00".into();
        marked.list.rebuild_view();
        for row in marked.list.rows.iter().take(5) {
            marked.list.marks.insert(row.to.clone());
        }
        marked.list.scroll.cursor = 2;
        out.push(("marks+filter", marked));

        let overlays = [
            ("help", Overlay::Help(Default::default())),
            (
                "palette",
                Overlay::Palette(crate::app::model::PaletteLine::new(&format!(
                    "user {HOSTILE}"
                ))),
            ),
            ("filter", Overlay::Filter(Input::new("user_01".into()))),
            (
                "block prompt",
                Overlay::BlockPrompt {
                    input: Input::new(format!("bob, carol\n{HOSTILE}")),
                    error: Some(
                        sanitize(&format!("line 2: {HOSTILE} is not a UserID")).into_owned(),
                    ),
                },
            ),
            ("confirm", Overlay::Confirm(confirm_action(12))),
            ("result", Overlay::Result),
            ("quit", Overlay::QuitConfirm),
        ];
        for (name, overlay) in overlays {
            let mut m = with_list(width, height, 250, false);
            m.last = Some(outcome());
            m.overlay = overlay;
            out.push((name, m));
        }

        let mut run = with_list(width, height, 250, false);
        running(&mut run, true);
        out.push(("running", run));

        let mut done = with_list(width, height, 250, false);
        done.last = Some(outcome());
        out.push(("after batch", done));

        let mut ro = with_list(width, height, 250, false);
        ro.read_only = true;
        out.push(("read-only", ro));

        let mut mono = with_list(width, height, 250, false);
        mono.monochrome = true;
        out.push(("monochrome", mono));

        out.push(("feed", with_feed(width, height, 30, true)));
        let mut quiet = with_list(width, height, 10, false);
        quiet.focus = Focus::Feed;
        out.push(("empty feed", quiet));
        for (name, result) in [
            ("inspector loading", None),
            ("inspector", Some(Ok(inspection(true, true)))),
            ("inspector hostile", Some(Ok(hostile_inspection()))),
            (
                "inspector error",
                Some(Err(
                    sanitize(&format!("friend_check failed: {HOSTILE}")).into_owned()
                )),
            ),
        ] {
            let mut m = with_list(width, height, 250, false);
            m.overlay = inspector_overlay(result);
            out.push((name, m));
        }
        out.push(("blockers", with_blockers(width, height, false, 40)));
        out.push(("blockers done", with_blockers(width, height, true, 3)));
        let mut e = with_feed(width, height, 5, false);
        e.overlay = export_overlay(HOSTILE, Some(&format!("cannot write {HOSTILE}")));
        out.push(("export", e));
        out
    }

    /// `alice` with `n` feed lines (every fourth part of a burst), the feed focused, webhooks as
    /// its source and two refused calls; with `alert`, two burst alerts (the latest is shown).
    fn with_feed(width: u16, height: u16, n: usize, alert: bool) -> Model {
        let mut model = with_list(width, height, 250, false);
        model.focus = Focus::Feed;
        model.feed.source = Some("webhooks on 127.0.0.1:9000".into());
        model.feed.rejected = 2;
        model.feed.lines = (0..n)
            .map(|i| {
                let from = if i % 4 == 0 { "mallory" } else { "bob" };
                let kind = if i % 5 == 4 {
                    crate::feed::ChangeKind::Unblock
                } else {
                    crate::feed::ChangeKind::Block
                };
                let event = crate::feed::FeedEvent {
                    received: NOW + i as u64,
                    kind,
                    from: from.into(),
                    to: format!("user_{i:04}"),
                    platform: "RESTAPI".into(),
                    client_ip: None,
                    sdkappid: None,
                };
                FeedLine::of(event, i % 4 == 0).into()
            })
            .collect();
        if alert {
            model.feed.alerts = vec![
                "burst: eve blocked 20 accounts in 60 s".into(),
                "burst: mallory blocked 30 accounts in 60 s".into(),
            ];
            model.feed.flagged = vec!["mallory".into()];
        }
        model
    }

    fn verdict(allowed: bool, why: &str) -> VerdictLine {
        VerdictLine {
            allowed,
            why: why.into(),
        }
    }

    /// alice and bob, both existing, not friends, with the blocks given.
    fn inspection(a_blocks_b: bool, b_blocks_a: bool) -> Inspection {
        let both = a_blocks_b && b_blocks_a;
        Inspection {
            a_shown: "alice".into(),
            b_shown: "bob".into(),
            a_nick: Some("Alice 李".into()),
            b_nick: None,
            a_exists: true,
            b_exists: true,
            a_blocks_b,
            b_blocks_a,
            friendship: "not friends".into(),
            a_messages_b: verdict(
                !b_blocks_a,
                "alice cannot message bob: they have blocked each other, so neither can start a conversation.",
            ),
            b_messages_a: verdict(
                !a_blocks_b,
                "bob cannot message alice: they have blocked each other, so neither can start a conversation.",
            ),
            a_requests_b: verdict(
                !(a_blocks_b || b_blocks_a),
                "alice cannot send bob a friend request: they have blocked each other.",
            ),
            b_requests_a: verdict(
                !(a_blocks_b || b_blocks_a),
                "bob cannot send alice a friend request: they have blocked each other.",
            ),
            notes: if both {
                vec!["alice and bob block each other. Whether they were friends before cannot be known: blocking removes a friendship both ways and leaves no trace of it.".into()]
            } else {
                Vec::new()
            },
        }
    }

    /// An inspection whose names and reasons are hostile: sanitized as `update` stores them,
    /// except B's nickname, which skipped the sanitizer (a bug elsewhere).
    fn hostile_inspection() -> Inspection {
        let evil = sanitize(HOSTILE).into_owned();
        Inspection {
            a_shown: evil.clone(),
            a_nick: Some(evil.clone()),
            b_nick: Some(HOSTILE.into()),
            friendship: format!("{evil} has bob as a friend (one way)"),
            notes: vec![format!("{evil} is barred by the admin")],
            ..inspection(true, false)
        }
    }

    fn inspector_overlay(result: Option<Result<Inspection, String>>) -> Overlay {
        Overlay::Inspector(Inspector {
            req: 1,
            a: id("alice"),
            b: id("bob"),
            result,
            scroll: Default::default(),
        })
    }

    /// The reverse lookup of alice: 3000 of 20000 checked, `found` blockers (every third mutual).
    fn blockers_view(done: bool, found: usize) -> Blockers {
        Blockers {
            req: 2,
            target: id("alice"),
            source: "250 listed users and the user's friends".into(),
            checked: if done { 20_000 } else { 3000 },
            total: 20_000,
            calls_per_sec: 198.4,
            found: (0..found)
                .map(|i| (id(&format!("blocker_{i:03}")), i % 3 == 0))
                .collect(),
            failed: if done {
                (0..3)
                    .map(|i| (id(&format!("ghost_{i}")), 30003, String::new()))
                    .collect()
            } else {
                Vec::new()
            },
            done,
            error: done.then(|| "black_list_check: rate limited (20006)".to_owned()),
            recorded: None,
            history: None,
            candidates: None,
        }
    }

    /// `w` on alice's list: the table of her blockers, her list kept to go back to.
    fn with_blockers(width: u16, height: u16, done: bool, found: usize) -> Model {
        let mut model = with_list(width, height, 250, false);
        let view = blockers_view(done, found);
        model.back.push(crate::app::model::Place {
            user: model.user.clone(),
            list: model.list.clone(),
            reverse: None,
            focus: Focus::Blocklist,
        });
        model.list = crate::app::model::Blocklist::blockers(id("alice"));
        for (i, (b, mutual)) in view.found.iter().enumerate() {
            model.list.add_blocker(b.clone(), *mutual, i == 1);
        }
        model.list.loading = !done;
        model.list.complete = done;
        model.reverse = Some(view);
        model
    }

    fn export_overlay(name: &str, error: Option<&str>) -> Overlay {
        Overlay::Export {
            input: Input::new(name.into()),
            what: ExportWhat::Feed,
            error: error.map(|e| sanitize(e).into_owned()),
        }
    }

    #[test]
    fn every_state_renders_safely_at_both_sizes() {
        for (width, height) in [(80, 24), (120, 40)] {
            for (name, model) in states(width, height) {
                let buf = buffer(&model);
                assert_safe(&buf);
                // The header is drawn, or a popup covers it and the action bar still shows.
                let top = &lines(&buf)[0];
                assert!(
                    top.starts_with("blockdeck") || (name == "help" && !bar_line(&buf).is_empty()),
                    "{name} at {width}×{height}\n{}",
                    screen(&buf)
                );
            }
        }
    }

    #[test]
    fn raw_hostile_text_in_the_model_is_still_escaped() {
        // Strings that skipped the sanitizer (a bug elsewhere) are escaped by the view too.
        let mut model = with_list(80, 24, 10, false);
        model.log(Level::Error, HOSTILE);
        model.list.rows[0].nick = Some(HOSTILE.into());
        model.list.filter = HOSTILE.into();
        model.connection.admin = HOSTILE.into();
        model.lookup = Input::new(HOSTILE.into());
        model.focus = Focus::Lookup;
        let buf = buffer(&model);
        assert_safe(&buf);
        assert!(screen(&buf).contains("\\u{1b}"), "{}", screen(&buf));
    }

    #[test]
    fn start_screen_invites_a_lookup_and_puts_the_cursor_on_the_line() {
        let model = start(80, 24);
        let mut terminal = render(&model);
        let buf = terminal.backend().buffer().clone();
        let text = screen(&buf);
        assert!(text.contains("▶ Lookup"), "{text}");
        assert!(
            text.contains("look a user up: type an ID and press Enter"),
            "{text}"
        );
        assert!(
            lines(&buf)[0]
                .starts_with("blockdeck  demo · http://127.0.0.1:5080 · SDKAppID 1400000000")
        );
        let wide = screen(&buffer(&start(120, 40)));
        assert!(
            wide.contains(
                "demo · http://127.0.0.1:5080 · SDKAppID 1400000000 · admin administrator"
            )
        );
        assert!(!text.contains("READ-ONLY"));
        // Header, then the lookup pane's border, then `> ` at column 1.
        terminal
            .backend_mut()
            .assert_cursor_position(Position::new(3, 2));
    }

    #[test]
    fn cursor_follows_the_typed_text() {
        let mut model = start(80, 24);
        model.lookup = Input::new("李alice".into());
        let mut terminal = render(&model);
        terminal
            .backend_mut()
            .assert_cursor_position(Position::new(3 + 7, 2));
    }

    #[test]
    fn mid_load_list_says_so() {
        let model = with_list(80, 24, 250, true);
        let buf = buffer(&model);
        let text = screen(&buf);
        assert!(
            text.contains("▶ Blocklist of alice — loaded 250 · loading… · page 1/3"),
            "{text}"
        );
        assert!(text.contains("blocks 250+"), "{text}");
        assert!(text.contains("12 friends"), "{text}");
        assert!(text.contains("barred from friend re"), "{text}");
        // The cursor row is the first one, with its marker.
        let y = row_of(&buf, "user_0000");
        assert!(
            lines(&buf)[y as usize].starts_with("┃> [ ] user_0000"),
            "{text}"
        );
        // Long CJK nicknames are cut to their column with an ellipsis, not spilled.
        let y = row_of(&buf, "user_0002");
        assert!(
            lines(&buf)[y as usize].contains("李小龙李小龙李小龙李小龙…"),
            "{text}"
        );
        assert!(text.contains("3d ago"), "{text}");
        assert!(text.contains("2026-11-19 01:35:00Z"), "{text}");
        // Level symbols, not colour alone.
        assert!(text.contains("✓ alice: 250 entries loaded"), "{text}");
        assert!(text.contains("✗ page 3: timeout"), "{text}");
        assert!(text.contains("! nicknames: 3 unknown"), "{text}");
    }

    #[test]
    fn empty_table_messages() {
        let mut model = with_list(80, 24, 0, true);
        assert!(screen(&buffer(&model)).contains("loading…"));
        model.list.loading = false;
        model.list.complete = true;
        assert!(screen(&buffer(&model)).contains("no entries"));
        let mut model = with_list(80, 24, 20, false);
        model.list.filter = "zzz".into();
        model.list.rebuild_view();
        let text = screen(&buffer(&model));
        assert!(text.contains("no entry matches the filter"), "{text}");
        assert!(text.contains("filter \"zzz\""), "{text}");
    }

    #[test]
    fn marked_rows_show_a_box_and_the_cursor_row_is_reversed_in_monochrome() {
        let mut model = with_list(80, 24, 50, false);
        model.monochrome = true;
        model.list.marks.insert(id("user_0001"));
        model.list.marks.insert(id("user_0003"));
        model.list.scroll.cursor = 3;
        let buf = buffer(&model);
        let text = screen(&buf);
        for (needle, marked) in [
            ("user_0001", true),
            ("user_0002", false),
            ("user_0003", true),
        ] {
            let line = &lines(&buf)[row_of(&buf, needle) as usize];
            assert_eq!(line.contains("[x]"), marked, "{needle}: {line}");
            assert_eq!(line.contains("[ ]"), !marked, "{needle}: {line}");
        }
        assert!(text.contains("2 marked"), "{text}");
        let cursor_y = row_of(&buf, "> [x] user_0003");
        let other_y = row_of(&buf, "user_0002");
        // The cursor highlights the marker and the ID.
        for x in std::iter::once(1).chain(7..7 + "user_0003".len() as u16) {
            assert!(
                buf[(x, cursor_y)].modifier.contains(Modifier::REVERSED),
                "x={x}"
            );
        }
        for x in 1..79 {
            assert!(
                !buf[(x, other_y)].modifier.contains(Modifier::REVERSED),
                "x={x}"
            );
        }
        // Marked rows are bold.
        let marked_y = row_of(&buf, "user_0001");
        assert!(buf[(10, marked_y)].modifier.contains(Modifier::BOLD));
        // No colour anywhere.
        for cell in buf.content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
        }
    }

    #[test]
    fn colour_theme_marks_in_yellow_and_highlights_the_cursor_row() {
        let mut model = with_list(80, 24, 50, false);
        model.list.marks.insert(id("user_0001"));
        let buf = buffer(&model);
        let y = row_of(&buf, "user_0001");
        let x = col_of(&lines(&buf)[y as usize], "[x]");
        assert_eq!(buf[(x + 1, y)].fg, Color::Yellow);
        let cursor_y = row_of(&buf, "> [ ] user_0000");
        let id_x = col_of(&lines(&buf)[cursor_y as usize], "user_0000");
        // The ID's text is highlighted, not the padding of its column.
        for x in id_x..id_x + "user_0000".len() as u16 {
            assert_eq!(buf[(x, cursor_y)].bg, Color::Blue, "x={x}");
        }
        assert_eq!(buf[(id_x + 10, cursor_y)].bg, Color::Reset);
    }

    #[test]
    fn the_cursor_stays_visible_on_later_pages() {
        let mut model = with_list(120, 40, 1000, false);
        model.list.scroll.cursor = 950;
        // A stale scroll from another page: the view still shows the cursor's row.
        model.list.scroll.offset = 3;
        let buf = buffer(&model);
        let text = screen(&buf);
        assert!(text.contains("page 10/10"), "{text}");
        assert!(text.contains("> [ ] user_0950"), "{text}");
        assert!(!text.contains("user_0899"), "{text}");
        // A valid scroll is drawn as it is: first drawn row = scroll.
        model.list.scroll.offset = 940;
        let buf = buffer(&model);
        let table_top = row_of(&buf, "To_Account") + 1;
        assert!(
            lines(&buf)[table_top as usize].contains("user_0940"),
            "{}",
            screen(&buf)
        );
        let rows = model.bands().table_rows();
        assert!(
            lines(&buf)[table_top as usize + rows - 1]
                .contains(&format!("user_{:04}", 940 + rows - 1))
        );
        assert!(!text.contains(&format!("user_{:04}", 940 + rows)));
    }

    #[test]
    fn action_bar_follows_the_key_map_and_read_only_mode() {
        let model = with_list(80, 24, 10, false);
        let bar = bar_line(&buffer(&model));
        assert!(bar.contains("x unblock"), "{bar}");
        assert!(bar.contains("space mark"), "{bar}");
        assert!(bar.contains("? help"), "{bar}");

        let mut ro = with_list(80, 24, 10, false);
        ro.read_only = true;
        let buf = buffer(&ro);
        let bar = bar_line(&buf);
        assert!(!bar.contains("unblock"), "{bar}");
        assert!(!bar.contains("block"), "{bar}");
        assert!(lines(&buf)[0].contains("READ-ONLY"));
        ro.overlay = Overlay::Help(Default::default());
        let help = screen(&buffer(&ro));
        assert!(!help.contains("unblock the marked rows"), "{help}");
        assert!(!help.contains("block IDs for the looked-up user"), "{help}");
        // The commands come last: scrolled to the end.
        ro.overlay = Overlay::Help(crate::app::model::Scroll {
            offset: crate::app::help::items(&Default::default(), true) - 12,
            ..Default::default()
        });
        let help = screen(&buffer(&ro));
        assert!(help.contains(":user ID"), "{help}");
        assert!(!help.contains(":unblock"), "{help}");

        let mut lookup = start(80, 24);
        lookup.focus = Focus::Lookup;
        assert!(bar_line(&buffer(&lookup)).starts_with("Enter submit"));
    }

    #[test]
    fn a_paced_batch_says_why_its_pace_was_cut() {
        use crate::client::congestion::{RateView, Reason};
        let pace = RateView {
            rate: 78.4,
            ceiling: 200.0,
            window: 12,
            rtt: Some(Duration::from_millis(50)),
            cuts: 3,
            reason: Reason::Refused(60007),
        };
        let mut model = with_list(120, 40, 250, false);
        running(&mut model, false);
        model.running.as_mut().unwrap().progress.pace = Some(pace);
        let status = lines(&buffer(&model))[38].clone();
        assert!(status.contains("(paced to 78/s after 60007)"), "{status}");
        // Narrow: the short form.
        let mut model = with_list(80, 24, 250, false);
        running(&mut model, false);
        model.running.as_mut().unwrap().progress.pace = Some(pace);
        let status = lines(&buffer(&model))[22].clone();
        assert!(status.contains("↓78/s"), "{status}");
        // The summary says where it settled and why.
        let mut model = with_list(120, 40, 250, false);
        let mut last = outcome();
        last.pace = Some(pace);
        model.last = Some(last);
        model.overlay = Overlay::Result;
        let text = lines(&buffer(&model)).join("\n");
        assert!(
            text.contains("pace settled at 78 calls/s: cut 3× after 60007"),
            "{text}"
        );
    }

    #[test]
    fn running_batch_shows_a_gauge() {
        let mut model = with_list(80, 24, 250, false);
        running(&mut model, false);
        let buf = buffer(&model);
        let status = &lines(&buf)[22];
        assert!(status.starts_with("unblock 340/1000 █"), "{status}");
        for part in ["34%", "198 calls/s", "12 retries", "3 failed", "ETA 4s"] {
            assert!(status.contains(part), "{part}: {status}");
        }
        assert!(bar_line(&buf).starts_with("Ctrl-C/Esc cancel batch"));
        running(&mut model, true);
        let buf = buffer(&model);
        assert!(
            lines(&buf)[22].contains("cancelling…"),
            "{}",
            lines(&buf)[22]
        );
    }

    #[test]
    fn status_line_hints_after_a_batch() {
        let mut model = with_list(80, 24, 10, false);
        model.last = Some(outcome());
        model.list.marks.insert(id("user_0001"));
        let status = lines(&buffer(&model))[22].clone();
        // The same counts as the summary; the hints give up their words to fit 80 columns.
        assert_eq!(
            status,
            "1 marked · [Blocklist] · last unblock: 9 failed, 1 unfinished — R · U · ="
        );
        model.width = 120;
        let status = lines(&buffer(&model))[22].clone();
        assert_eq!(
            status.trim_end(),
            "1 marked · [Blocklist] · last unblock: completed with failures, 9 failed, 1 \
             unfinished — R retry · U undo · = summary"
        );
    }

    #[test]
    fn confirmation_shows_action_count_sample_warning_and_y_n() {
        let mut model = with_list(80, 24, 250, false);
        model.overlay = Overlay::Confirm(confirm_action(12));
        let buf = buffer(&model);
        let text = screen(&buf);
        assert!(
            text.contains("unblock 12 marked entries of alice"),
            "{text}"
        );
        assert!(text.contains("12 entries:"), "{text}");
        assert!(text.contains("alice → user_0004"), "{text}");
        assert!(!text.contains("alice → user_0005"), "{text}");
        assert!(text.contains("and 7 more"), "{text}");
        assert!(text.contains("! alice's list is still loading"), "{text}");
        // Just opened: `y` is not taken yet, and says so; the bar offers only the way out.
        assert!(
            text.contains("y confirm (in a moment) · n/Esc cancel"),
            "{text}"
        );
        assert!(!text.contains("Enter"), "{text}");
        assert!(bar_line(&buf).starts_with("n/Esc cancel"));
        // Once it has been on screen a moment, `y` answers it.
        model.ms = crate::app::model::ARMING_MS;
        let buf = buffer(&model);
        let text = screen(&buf);
        assert!(text.contains("y confirm · n/Esc cancel"), "{text}");
        assert!(bar_line(&buf).starts_with("y confirm  n/Esc cancel"));
    }

    #[test]
    fn result_groups_failures_by_code() {
        let mut model = with_list(80, 24, 250, false);
        model.last = Some(outcome());
        model.overlay = Overlay::Result;
        let buf = buffer(&model);
        let text = screen(&buf);
        assert!(text.contains("completed with failures"), "{text}");
        assert!(
            text.contains("✓ done 2 · already 1 · ✗ failed 9 · unfinished 1"),
            "{text}"
        );
        assert!(
            text.contains("✗ 30001 (7) — the account does not exist"),
            "{text}"
        );
        assert!(text.contains("permanent: a retry cannot fix"), "{text}");
        // At 80×24 fewer items per group make room for everything else; the service's words
        // wrap under the pair rather than being cut.
        assert!(text.contains("alice → user_0000"), "{text}");
        assert!(text.contains("\\u{a}root\\u{d}"), "{text}");
        assert!(text.contains("more"), "{text}");
        assert!(text.contains("! not sent (1)"), "{text}");
        assert!(text.contains("R retries what a retry can fix"), "{text}");
        assert_safe(&buf);
        model.height = 40;
        model.width = 120;
        let text = screen(&buffer(&model));
        assert!(text.contains("✗ 20006 (2) — rate limited"), "{text}");
        assert!(text.contains("alice → user_0004"), "{text}");
        assert!(text.contains("and 2 more"), "{text}");
    }

    #[test]
    fn typed_lines_take_the_cursor() {
        let mut model = with_list(80, 24, 250, false);
        model.overlay = Overlay::Filter(Input::new("user_01".into()));
        let mut terminal = render(&model);
        let buf = terminal.backend().buffer().clone();
        assert!(
            lines(&buf)[22].starts_with("/user_01"),
            "{}",
            lines(&buf)[22]
        );
        terminal
            .backend_mut()
            .assert_cursor_position(Position::new(8, 22));
        assert!(bar_line(&buf).starts_with("Enter submit  Esc cancel"));

        model.overlay = Overlay::Palette(crate::app::model::PaletteLine::new("user bob"));
        let mut terminal = render(&model);
        assert!(lines(terminal.backend().buffer())[22].starts_with(":user bob"));
        terminal
            .backend_mut()
            .assert_cursor_position(Position::new(9, 22));

        model.overlay = Overlay::BlockPrompt {
            input: Input::new("bob carol".into()),
            error: Some("line 1: \"x y\" is not a UserID".into()),
        };
        let mut terminal = render(&model);
        let buf = terminal.backend().buffer().clone();
        let text = screen(&buf);
        assert!(
            text.contains("Block for alice: IDs separated by spaces, commas or new lines"),
            "{text}"
        );
        assert!(text.contains("✗ line 1"), "{text}");
        let y = row_of(&buf, "> bob carol");
        let x = col_of(&lines(&buf)[y as usize], "> bob");
        terminal
            .backend_mut()
            .assert_cursor_position(Position::new(x + 2 + 9, y));
    }

    #[test]
    fn help_lists_every_key_group_and_the_commands() {
        let titles: Vec<&str> = crate::app::command::help_groups(&Default::default(), false)
            .into_iter()
            .map(|(title, _)| title)
            .chain([crate::app::help::COMMANDS_TITLE])
            .collect();
        let commands: Vec<String> = crate::app::command::palette_names(false)
            .map(|(_, p)| format!(":{}", p.name))
            .collect();
        for (width, height) in [(80, 24), (120, 40)] {
            let mut model = with_list(width, height, 10, false);
            model.overlay = Overlay::Help(Default::default());
            let buf = buffer(&model);
            let text = screen(&buf);
            println!("{text}");
            assert_safe(&buf);
            if width == 120 {
                // Everything, and every text in full: the only `…` are those written in the texts.
                let missing: Vec<&str> = titles
                    .iter()
                    .copied()
                    .chain(commands.iter().map(String::as_str))
                    .chain(["Ctrl-C/Esc"])
                    .filter(|needle| !text.contains(needle))
                    .collect();
                assert!(missing.is_empty(), "{missing:?}\n{text}");
                // In columns, one line per key (texts longer than a column end in `…`): no
                // scrolling at this size.
                assert!(!text.contains("items 1–"), "{text}");
                // A group whose keys are all listed above still names them.
                assert!(text.contains("as above: e c Enter j/k g G"), "{text}");
            } else {
                // Too much for 80×24: one column to scroll, nothing cut.
                assert!(text.contains("items 1–"), "{text}");
                assert!(text.contains("Blocklist"), "{text}");
                assert!(!text.contains('…') || text.contains("ID…"), "{text}");
            }
        }
    }

    #[test]
    fn a_help_too_long_for_the_screen_scrolls_through_every_item() {
        let mut model = with_list(80, 24, 10, false);
        let items = crate::app::help::items(&Default::default(), false);
        let mut seen = String::new();
        let mut offset = 0;
        while offset < items {
            let scroll = crate::app::model::Scroll {
                offset,
                ..Default::default()
            };
            model.overlay = Overlay::Help(scroll);
            let text = screen(&buffer(&model));
            assert!(
                text.contains(&format!("items {}–", offset + 1)),
                "{offset}: {text}"
            );
            seen.push_str(&text);
            offset += 10;
        }
        // Every command line command is in sight at some offset.
        for (_, p) in crate::app::command::palette_names(false) {
            assert!(seen.contains(&format!(":{}", p.name)), ":{}", p.name);
        }
    }

    #[test]
    fn a_notice_says_why_whole_on_one_or_both_bottom_lines() {
        let mut model = with_list(80, 24, 10, false);
        model.notice = Some(
            "R retry: nothing to retry: its failures are permanent (30013 BlocklistFull); no \
             retry fixes them (= shows why)"
                .into(),
        );
        let text = screen(&buffer(&model));
        let lines: Vec<&str> = text.lines().collect();
        let n = lines.len();
        assert!(
            lines[n - 2].starts_with("✗ R retry: nothing to retry"),
            "{text}"
        );
        assert!(lines[n - 1].contains("(= shows why)"), "{text}");
        assert!(!lines[n - 2..].concat().contains('…'), "{text}");
        // A short one leaves the status line alone.
        model.notice = Some("x unblock: not now".into());
        let text = screen(&buffer(&model));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[lines.len() - 1].trim_end(), "✗ x unblock: not now");
        assert!(lines[lines.len() - 2].contains("[Blocklist]"), "{text}");
    }

    #[test]
    fn quit_confirmation_asks_y_n() {
        let mut model = with_list(80, 24, 10, false);
        running(&mut model, false);
        model.overlay = Overlay::QuitConfirm;
        let text = screen(&buffer(&model));
        assert!(
            text.contains("a batch is running: cancel it and quit? y/n"),
            "{text}"
        );
    }

    #[test]
    fn too_small_says_so_and_draws_nothing_else() {
        let mut model = with_list(79, 24, 250, false);
        model.overlay = Overlay::Help(Default::default());
        let buf = buffer(&model);
        let text: Vec<String> = lines(&buf).into_iter().filter(|l| !l.is_empty()).collect();
        assert_eq!(text.len(), 1, "{text:?}");
        assert_eq!(
            text[0].trim(),
            "terminal too small: 80×24 needed, this one is 79×24"
        );
        assert_eq!(row_of(&buf, "too small"), 11);
        let model = start(100, 20);
        let text = screen(&buffer(&model));
        assert!(text.contains("this one is 100×20"), "{text}");
    }

    #[test]
    fn sort_and_marks_appear_in_the_title_when_there_is_room() {
        let mut model = with_list(120, 40, 30, false);
        model.list.sort = Sort::Newest;
        model.list.rebuild_view();
        model.list.marks.insert(id("user_0001"));
        let text = screen(&buffer(&model));
        assert!(
            text.contains("▶ Blocklist of alice — loaded 30 · complete · page 1/1 · sort newest first · 1 marked"),
            "{text}"
        );
        // At 80 columns the sort gives way first; the marks stay.
        model.width = 80;
        model.height = 24;
        model.list.filter = "user".into();
        model.list.rebuild_view();
        let text = screen(&buffer(&model));
        assert!(text.contains("filter \"user\" · 1 marked"), "{text}");
    }

    /// The panes sit exactly in `model.bands()`, the heights `update` scrolls by, and the table
    /// shows `table_rows()` rows. (`--nocapture` prints the screens.)
    #[test]
    fn panes_follow_the_bands() {
        for (width, height) in [(80, 24), (120, 40)] {
            let mut model = with_list(width, height, 250, true);
            model.list.marks.insert(id("user_0001"));
            model.list.marks.insert(id("user_0002"));
            model.list.scroll.cursor = 1;
            let buf = buffer(&model);
            println!("{}", screen(&buf));
            let lines = lines(&buf);
            let b = model.bands();
            let lookup = usize::from(b.header);
            let list = lookup + usize::from(b.lookup);
            let activity = list + usize::from(b.blocklist);
            let status = activity + usize::from(b.activity);
            assert!(lines[lookup].starts_with("┌ Lookup"));
            assert!(lines[list - 1].starts_with("└"));
            assert!(lines[list].starts_with("┏ ▶ Blocklist"));
            assert!(lines[activity - 1].starts_with("┗"));
            assert!(lines[activity].starts_with("┌ Activity"));
            assert!(lines[status - 1].starts_with("└"));
            assert_eq!(lines[status], "2 marked · [Blocklist]");
            assert_eq!(status + 2, usize::from(height));
            // Column headings, then exactly `table_rows()` entries.
            assert!(lines[list + 1].contains("To_Account"));
            let rows = b.table_rows();
            assert!(lines[list + 2].contains("user_0000"));
            assert!(lines[list + 1 + rows].contains(&format!("user_{:04}", rows - 1)));
        }
    }

    /// The rows of the bottom band.
    fn band(model: &Model) -> std::ops::Range<usize> {
        let b = model.bands();
        let top = usize::from(b.header + b.lookup + b.blocklist);
        top..top + usize::from(b.activity)
    }

    #[test]
    fn the_feed_shares_the_band_when_wide_and_takes_it_when_focused() {
        // 120 wide: both, side by side.
        let model = with_feed(120, 40, 30, true);
        let buf = buffer(&model);
        let rows = band(&model);
        let title = &lines(&buf)[rows.start];
        assert!(title.starts_with("┌ Activity"), "{title}");
        assert!(
            title.contains("┏ ▶ Feed — webhooks on 127.0.0.1:9000 · 2 refused"),
            "{title}"
        );
        assert!(!title.contains("Tab:"), "{title}");
        assert_eq!(screen(&buf).matches('▶').count(), 1);

        // 80 wide: one of them, naming the other.
        let mut model = with_feed(80, 24, 30, true);
        let buf = buffer(&model);
        let title = &lines(&buf)[band(&model).start];
        assert!(title.starts_with("┏ ▶ Feed — webhooks on"), "{title}");
        assert!(title.contains("· 2 refused · Tab: activity"), "{title}");
        assert!(!screen(&buf).contains("Activity"), "{}", screen(&buf));
        model.focus = Focus::Blocklist;
        let buf = buffer(&model);
        let title = &lines(&buf)[band(&model).start];
        assert!(title.starts_with("┌ Activity · Tab: feed"), "{title}");
        assert!(!screen(&buf).contains("Feed —"), "{}", screen(&buf));
        assert!(lines(&buf)[22].contains("[Blocklist]"));
    }

    #[test]
    fn feed_lines_are_newest_last_with_the_latest_alert_on_top() {
        for (width, height) in [(80, 24), (120, 40)] {
            let mut model = with_feed(width, height, 30, true);
            let buf = buffer(&model);
            let all = lines(&buf);
            let rows = band(&model);
            let x = if width >= SIDE_BY_SIDE {
                col_of(&all[rows.start], "┏")
            } else {
                0
            };
            let cell = |row: usize| all[row].chars().skip(usize::from(x)).collect::<String>();
            // The alert first, in its style; then the newest lines, the last at the bottom.
            let first = cell(rows.start + 1);
            assert!(
                first.contains("⚠ burst: mallory blocked 30 accounts in 60 s"),
                "{first}"
            );
            assert!(!screen(&buf).contains("burst: eve"));
            let alert_y = (rows.start + 1) as u16;
            assert!(buf[(x + 2, alert_y)].modifier.contains(Modifier::BOLD));
            let last = cell(rows.end - 2);
            assert!(last.contains("bob unblocked user_0029 (RESTAPI)"), "{last}");
            assert_eq!(model.feed_rows(), rows.len() - 3);
            let oldest = 30 - model.feed_rows();
            assert!(cell(rows.start + 2).contains(&format!("user_{oldest:04}")));
            // Burst lines: a ⚠ and a style that is not only a colour, in both themes.
            for mono in [false, true] {
                model.monochrome = mono;
                let buf = buffer(&model);
                let y = row_of(&buf, "mallory blocked user_0028");
                let line = &lines(&buf)[y as usize];
                assert!(
                    line.contains("01:35:28 ⚠ mallory blocked user_0028"),
                    "{line}"
                );
                let mx = col_of(line, "mallory blocked user_0028");
                assert!(
                    buf[(mx, y)].modifier.contains(Modifier::BOLD),
                    "mono={mono}"
                );
                let y = row_of(&buf, "bob unblocked user_0029");
                let line = &lines(&buf)[y as usize];
                assert!(
                    line.contains("01:35:29   bob unblocked user_0029"),
                    "{line}"
                );
                assert!(!line.contains('⚠'));
                let bx = col_of(line, "bob unblocked");
                assert!(!buf[(bx, y)].modifier.contains(Modifier::BOLD));
            }
            // Scrolled back three lines: the newest three are below, and the title says so.
            model.monochrome = false;
            let (len, rows) = (model.feed.lines.len(), model.feed_rows());
            for _ in 0..3 {
                model
                    .feed
                    .scroll
                    .scroll(crate::app::model::Motion::Up, len, rows);
            }
            let buf = buffer(&model);
            let text = screen(&buf);
            assert!(text.contains("· 3 newer below"), "{text}");
            assert!(!text.contains("user_0027"), "{text}");
            assert!(text.contains("bob blocked user_0026 (RESTAPI)"), "{text}");
            // A scroll past the top stops at the oldest line.
            model
                .feed
                .scroll
                .scroll(crate::app::model::Motion::Top, len, rows);
            let text = screen(&buffer(&model));
            assert!(text.contains("user_0000"), "{text}");
        }
    }

    #[test]
    fn an_empty_feed_says_how_to_start_one() {
        let mut model = with_list(80, 24, 10, false);
        model.focus = Focus::Feed;
        let text = screen(&buffer(&model));
        assert!(text.contains("▶ Feed — no webhooks: start with"), "{text}");
        assert!(
            text.contains("no webhooks: start with --listen-callbacks ADDR, or :watch on"),
            "{text}"
        );
        model.feed.source = Some("watching alice".into());
        let text = screen(&buffer(&model));
        assert!(
            text.contains("▶ Feed — watching alice · Tab: activity"),
            "{text}"
        );
        assert!(text.contains("no changes yet"), "{text}");
    }

    #[test]
    fn hostile_feed_lines_are_shown_escaped() {
        for (width, height) in [(80, 24), (120, 40)] {
            let mut model = with_feed(width, height, 5, true);
            let evil = sanitize(HOSTILE).into_owned();
            model.feed.lines[4].change_mut().unwrap().from = evil.clone();
            model.feed.lines[4].change_mut().unwrap().to = evil;
            // Raw text that skipped the sanitizer is escaped by the view too.
            model.feed.lines[3].change_mut().unwrap().platform = HOSTILE.into();
            model.feed.alerts.push(HOSTILE.into());
            model.feed.source = Some(HOSTILE.into());
            let buf = buffer(&model);
            assert_safe(&buf);
            let text = screen(&buf);
            assert!(text.contains("evil\\u{1b}]0;owned"), "{text}");
            assert!(text.contains("(evil\\u{1b}"), "{text}");
        }
    }

    #[test]
    fn teammates_batches_sit_among_the_changes_with_their_marker() {
        for (width, height) in [(80, 24), (120, 40)] {
            let mut model = with_feed(width, height, 3, true);
            let batch = crate::client::journal::BatchSummary {
                id: "20261122T013500Z-aaaa".parse().unwrap(),
                time: 0,
                operation: crate::client::Operation::Unblock,
                moderator: Some("bo\u{1b}[2J".into()),
                os_user: "ops".into(),
                ssh_client: None,
                profile: None,
                sdkappid: 1,
                base_url: String::new(),
                why: crate::moderation::Why::default(),
                counts: Default::default(),
                resumes: Vec::new(),
                ended: None,
            };
            model.feed.push(crate::app::model::TeamLine::of(
                crate::app::model::TeamMove::Started,
                batch,
                7_507,
            ));
            let buf = buffer(&model);
            assert_safe(&buf);
            let text = screen(&buf);
            let line = text
                .lines()
                .find(|l| l.contains("02:05:07 ◆ "))
                .unwrap_or_else(|| panic!("no team line:\n{text}"));
            assert!(
                line.contains("◆ bo\\u{1b}[2J started unblock of 0 pair(s)"),
                "{line}"
            );
        }
    }

    #[test]
    fn the_inspector_shows_both_directions_and_only_the_unblocks_that_apply() {
        for (width, height) in [(80, 24), (120, 40)] {
            let mut model = with_list(width, height, 10, false);
            model.overlay = inspector_overlay(Some(Ok(inspection(true, true))));
            let buf = buffer(&model);
            let text = screen(&buf);
            println!("{text}");
            for needle in [
                "Inspect alice ↔ bob",
                "alice (Alice 李) exists",
                "bob exists",
                "alice blocks bob: yes",
                "bob blocks alice: yes",
                "friendship: not friends",
                "✗ alice → bob message — alice cannot message bob",
                "✗ bob → alice message",
                "✗ alice → bob friend request",
                "✗ bob → alice friend request",
                "• alice and bob block each other.",
                "x unblock alice→bob · X unblock bob→alice · H history of bob · Esc close",
            ] {
                assert!(
                    text.contains(needle),
                    "{needle} at {width}×{height}\n{text}"
                );
            }
            assert!(text.contains("leaves no trace of"), "{text}");
            let bar = bar_line(&buf);
            assert!(
                bar.contains("x unblock A→B") && bar.contains("X unblock B→A"),
                "{bar}"
            );

            // Only A blocks B: no X, in the popup or the bar.
            model.overlay = inspector_overlay(Some(Ok(inspection(true, false))));
            let buf = buffer(&model);
            let text = screen(&buf);
            assert!(
                text.contains("x unblock alice→bob · H history of bob · Esc close"),
                "{text}"
            );
            assert!(text.contains("bob blocks alice: no"), "{text}");
            assert!(text.contains("✓ alice → bob message"), "{text}");
            assert!(!text.contains("X unblock"), "{text}");
            assert!(!bar_line(&buf).contains("X unblock"), "{}", bar_line(&buf));

            // Neither blocks: only Esc.
            model.overlay = inspector_overlay(Some(Ok(inspection(false, false))));
            let buf = buffer(&model);
            let text = screen(&buf);
            assert!(!text.contains("unblock"), "{text}");
            assert!(text.contains("Esc close"), "{text}");
            assert!(!bar_line(&buf).contains("unblock"), "{}", bar_line(&buf));

            // Read-only: never.
            model.read_only = true;
            model.overlay = inspector_overlay(Some(Ok(inspection(true, true))));
            let buf = buffer(&model);
            let text = screen(&buf);
            assert!(!text.contains("x unblock"), "{text}");
            assert!(!text.contains("X unblock"), "{text}");
            assert!(text.contains("Esc close"), "{text}");
            assert!(!bar_line(&buf).contains("unblock"), "{}", bar_line(&buf));
        }
    }

    #[test]
    fn the_inspector_says_when_it_waits_or_failed() {
        let mut model = with_list(80, 24, 10, false);
        model.overlay = inspector_overlay(None);
        let buf = buffer(&model);
        let text = screen(&buf);
        assert!(text.contains("Inspect alice ↔ bob"), "{text}");
        assert!(
            text.contains("checking both directions, friendship and accounts…"),
            "{text}"
        );
        assert!(!text.contains("unblock"), "{text}");
        assert!(!bar_line(&buf).contains("unblock"), "{}", bar_line(&buf));
        model.overlay = inspector_overlay(Some(Err(
            "friend_check for alice failed: rate limited (20006)".into(),
        )));
        let text = screen(&buffer(&model));
        assert!(
            text.contains("✗ friend_check for alice failed: rate limited (20006)"),
            "{text}"
        );
        assert!(text.contains("Esc close"), "{text}");
    }

    #[test]
    fn hostile_names_in_the_inspector_are_shown_escaped() {
        for (width, height) in [(80, 24), (120, 40)] {
            let mut model = with_list(width, height, 10, false);
            model.overlay = inspector_overlay(Some(Ok(hostile_inspection())));
            let buf = buffer(&model);
            assert_safe(&buf);
            let text = screen(&buf);
            assert!(text.contains("evil\\u{1b}]0;owned"), "{text}");
            assert!(text.contains("\\u{202e}nimda"), "{text}");
            assert!(text.contains("Esc close"), "{text}");
        }
    }

    #[test]
    fn the_reverse_lookup_is_a_table_that_fills_as_blockers_are_found() {
        for (width, height) in [(80, 24), (120, 40)] {
            let model = with_blockers(width, height, false, 40);
            let buf = buffer(&model);
            let text = screen(&buf);
            println!("{text}");
            // The path back, what the table is, how far the checks are.
            assert!(
                text.contains("▶ alice › Who blocks alice — 40 found"),
                "{text}"
            );
            if width == 120 {
                assert!(text.contains("checked 3000/20000 · 198 calls/s"), "{text}");
                assert!(
                    text.contains("candidates: 250 listed users and the user's friends"),
                    "{text}"
                );
            }
            // The lookup pane still counts alice's own list, not the blockers.
            assert!(text.contains("exists · blocks 250"), "{text}");
            assert!(text.contains("Blocker"), "{text}");
            assert!(text.contains("Relation  Found by"), "{text}");
            assert!(text.contains("blocker_000"), "{text}");
            let row = lines(&buf)
                .into_iter()
                .find(|l| l.contains("blocker_000"))
                .unwrap();
            assert!(row.contains("both ways"), "{row}");
            let row = lines(&buf)
                .into_iter()
                .find(|l| l.contains("blocker_001"))
                .unwrap();
            assert!(
                row.contains("one way") && row.contains("◷ history"),
                "{row}"
            );
            // Table keys, not a popup's.
            let bar = bar_line(&buf);
            assert!(bar.contains("space mark"), "{bar}");
            assert!(bar.contains("x unblock"), "{bar}");

            let model = with_blockers(width, height, true, 3);
            let buf = buffer(&model);
            let text = screen(&buf);
            println!("{text}");
            assert!(text.contains("3 found"), "{text}");
            assert!(text.contains("stopped"), "{text}");
            if width == 120 {
                assert!(text.contains("3 could not be checked"), "{text}");
                assert!(
                    text.contains("✗ black_list_check: rate limited (20006)"),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn the_export_line_takes_the_cursor_and_shows_its_error() {
        let mut model = with_feed(80, 24, 5, false);
        model.overlay = export_overlay("feed.txt", Some("the file name must end in .csv or .json"));
        let mut terminal = render(&model);
        let buf = terminal.backend().buffer().clone();
        let status = &lines(&buf)[22];
        assert!(
            status.starts_with("export the change feed to: feed.txt  ✗ the file name must end"),
            "{status}"
        );
        let x = col_of(status, "✗");
        assert_eq!(buf[(x, 22)].fg, Color::Red);
        terminal
            .backend_mut()
            .assert_cursor_position(Position::new(35, 22));
        assert!(bar_line(&buf).starts_with("Enter submit  Esc cancel"));
        // A long name keeps room for itself: the error is cut first.
        model.overlay = export_overlay(&"x".repeat(60), Some(&"y".repeat(60)));
        let buf = buffer(&model);
        let status = &lines(&buf)[22];
        assert!(status.contains(&"x".repeat(19)), "{status}");
        assert!(status.ends_with('…'), "{status}");
    }

    #[test]
    fn a_command_line_longer_than_twenty_columns_is_shown_whole_beside_its_hint() {
        let mut model = with_list(120, 40, 10, false);
        let text = "blockers mallory trent oscar";
        model.overlay = Overlay::Palette(crate::app::model::PaletteLine::new(text));
        let buf = buffer(&model);
        let status = &lines(&buf)[38];
        assert!(
            status.starts_with(&format!(":{text}  — :blockers")),
            "{status}"
        );
    }

    #[test]
    fn a_list_changed_elsewhere_says_so_in_its_title() {
        for (width, height) in [(80, 24), (120, 40)] {
            let mut model = with_list(width, height, 250, false);
            model.list.marks.insert(id("user_0001"));
            model.list.stale = true;
            let text = screen(&buffer(&model));
            assert!(
                text.contains("1 marked · changed elsewhere: r refreshes"),
                "{text}"
            );
        }
    }

    #[test]
    fn the_status_line_says_when_the_list_is_watched() {
        let mut model = with_list(80, 24, 10, false);
        model.watching = true;
        assert_eq!(lines(&buffer(&model))[22], "[Blocklist] · watching");
    }

    /// Every frame of a session drawn through the painter (scroll regions on and off) reaches an
    /// emulated terminal as the plain frame: the table scrolled row by row both ways, across
    /// pages, marked, filtered; the activity pane scrolled beside the feed and alone.
    #[test]
    fn the_painter_shows_every_frame_of_a_session() {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

        use crate::app::{self, Msg};

        let key = |c: KeyCode| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
        let ch = |c: char| key(KeyCode::Char(c));
        let mut session: Vec<Msg> = Vec::new();
        session.extend((0..45).map(|_| ch('j')));
        session.extend((0..40).map(|_| ch('k')));
        session.extend([
            ch(' '),
            ch(' '),
            ch('n'),
            ch('k'),
            ch('j'),
            ch('G'),
            ch('k'),
            ch('g'),
        ]);
        session.extend([
            ch('/'),
            ch('1'),
            ch('2'),
            key(KeyCode::Esc),
            ch('p'),
            key(KeyCode::Tab),
        ]);
        session.extend((0..12).map(|_| ch('k')));
        session.extend((0..12).map(|_| ch('j')));
        for (width, height) in [(120, 40), (100, 30), (80, 24)] {
            let mut model = with_list(width, height, 250, false);
            for i in 0..30 {
                model.now += 17;
                model.log(Level::Info, format!("line {i}: {}", "x".repeat(i % 9)));
            }
            let mut scrolled = draw::testing::Vt::new(width, height, true);
            let mut plain = draw::testing::Vt::new(width, height, false);
            let (mut bytes, mut plain_bytes, mut scrolls) = (0, 0, 0);
            for msg in session.clone() {
                app::update(&mut model, msg);
                let expected = buffer(&model);
                bytes += scrolled.draw(|frame| super::render(&model, frame));
                plain_bytes += plain.draw(|frame| super::render(&model, frame));
                scrolled.assert_shows(&expected);
                plain.assert_shows(&expected);
                scrolls += usize::from(scrolled.painter.last_shift().is_some());
            }
            assert!(scrolls >= 20, "{width}x{height}: {scrolls} scrolls");
            assert!(
                bytes * 3 < plain_bytes * 2,
                "{width}x{height}: {bytes} vs {plain_bytes}"
            );
        }
    }
}
