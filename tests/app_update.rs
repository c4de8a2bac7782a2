//! The dashboard's state machine, `app::update`, driven key by key and message by message with no
//! terminal, worker or clock: every binding of the key map in every one of its contexts, every
//! message, the confirmation of destructive actions, running batches, and read-only mode.

mod common {
    pub mod dashboard;
}

use std::collections::BTreeSet;

use blockdeck::app::keymap::{self, Action, Context, KEYMAP};
use blockdeck::app::model::{Focus, Level, Model, Overlay, PendingAction, Sort};
use blockdeck::app::msg::AccountInfo;
use blockdeck::app::update::contexts;
use blockdeck::app::{Effect, Msg};
use blockdeck::client::engine::BatchEnd;
use blockdeck::client::{Operation, Pair};
use blockdeck::display::is_unsafe;
use blockdeck::tim::codes;
use blockdeck::tim::ids::UserId;
use common::dashboard::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

// ---------------------------------------------------------------------------------------------
// Helpers

/// The cursor is inside the list, and `scroll` keeps it on screen within its page of 100.
#[track_caller]
fn assert_scroll_valid(m: &Model) {
    let list = &m.list;
    let rows = m.bands().table_rows();
    if list.view.is_empty() {
        assert_eq!(list.cursor, 0, "cursor on an empty view");
        return;
    }
    let page = list.page_range();
    assert!(
        list.cursor < list.view.len(),
        "cursor {} of {}",
        list.cursor,
        list.view.len()
    );
    assert!(
        page.contains(&list.cursor),
        "cursor {} outside page {page:?}",
        list.cursor
    );
    assert!(
        page.start <= list.scroll && list.scroll <= list.cursor && list.cursor < list.scroll + rows,
        "scroll {} with cursor {}, {rows} rows, page {page:?}",
        list.scroll,
        list.cursor
    );
}

fn ids(m: &Model) -> Vec<&str> {
    m.list
        .view
        .iter()
        .map(|&i| m.list.rows[i].to.as_str())
        .collect()
}

fn marks(m: &Model) -> Vec<&str> {
    m.list.marks.iter().map(UserId::as_str).collect()
}

fn current(m: &Model) -> &str {
    m.list.current().expect("a current row").to.as_str()
}

fn pairs_of(owner: &str, tos: &[&str]) -> Vec<Pair> {
    tos.iter().map(|to| pair(owner, to)).collect()
}

fn no_mutation(fx: &[Effect]) -> bool {
    !fx.iter().any(Effect::mutates)
}

/// A 33-byte ID: one byte too long.
fn too_long() -> String {
    "a".repeat(33)
}

// ---------------------------------------------------------------------------------------------
// The lookup line

#[test]
fn letters_typed_on_the_lookup_line_are_text() {
    let mut d = Dash::new();
    assert_eq!(d.model.focus, Focus::Lookup);
    let typed = "qxj?kG:/bvRU*= nyu";
    let fx = d.type_text(typed);
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(d.model.lookup.value(), typed);
    assert!(!d.model.should_quit);
    assert!(matches!(d.model.overlay, Overlay::None));
    assert_eq!(d.model.focus, Focus::Lookup);
    // Backspace edits the line rather than doing anything else.
    d.press(key(KeyCode::Backspace));
    assert_eq!(d.model.lookup.value(), &typed[..typed.len() - 1]);
}

#[test]
fn enter_on_the_lookup_line_looks_up_once_and_focuses_the_blocklist() {
    let mut d = Dash::new();
    d.type_text("alice");
    let fx = d.press(enter());
    assert_eq!(
        fx,
        vec![Effect::Lookup {
            req: 1,
            user: id("alice")
        }]
    );
    let m = &d.model;
    assert_eq!(m.focus, Focus::Blocklist);
    assert_eq!(m.history, vec!["alice".to_owned()]);
    assert_eq!(m.lookup.value(), "");
    assert_eq!(m.lookup_req, 1);
    assert!(m.list.loading && !m.list.complete);
    assert_eq!(m.list.owner, Some(id("alice")));
    let user = m.user.as_ref().unwrap();
    assert_eq!((user.id.as_str(), user.exists), ("alice", None));

    // The next lookup is request 2.
    d.focus(Focus::Lookup);
    d.type_text("  bob ");
    assert_eq!(
        d.press(enter()),
        vec![Effect::Lookup {
            req: 2,
            user: id("bob")
        }]
    );
    assert_eq!(d.model.history, vec!["alice".to_owned(), "bob".to_owned()]);
    // An empty line does nothing.
    d.focus(Focus::Lookup);
    assert!(d.press(enter()).is_empty());
    assert_eq!(d.model.lookup_req, 2);
}

#[test]
fn arrows_walk_the_lookup_history() {
    let mut d = Dash::new();
    for user in ["bob", "alice", "carol_91", "alice"] {
        d.look_up(user);
    }
    // A repeated lookup moves to the end instead of being listed twice.
    assert_eq!(d.model.history, ["bob", "carol_91", "alice"]);
    d.focus(Focus::Lookup);
    let up = key(KeyCode::Up);
    let down = key(KeyCode::Down);
    let mut seen = Vec::new();
    for k in [up, up, up, up, down, down, down] {
        assert!(d.press(k).is_empty());
        seen.push(d.model.lookup.value().to_owned());
    }
    assert_eq!(
        seen,
        ["alice", "carol_91", "bob", "bob", "carol_91", "alice", ""]
    );
    // Enter on a recalled entry looks it up again.
    d.press(up);
    d.press(up);
    assert_eq!(
        d.press(enter()),
        vec![Effect::Lookup {
            req: 5,
            user: id("carol_91")
        }]
    );
}

#[test]
fn down_without_a_recalled_entry_keeps_the_typed_text() {
    let mut d = Dash::new();
    d.look_up("bob");
    d.focus(Focus::Lookup);
    d.type_text("ali");
    d.press(key(KeyCode::Down));
    assert_eq!(d.model.lookup.value(), "ali");
}

#[test]
fn a_33_byte_id_is_refused_on_the_lookup_line() {
    let mut d = Dash::new();
    d.type_text(&too_long());
    let fx = d.press(enter());
    assert!(fx.is_empty(), "{fx:?}");
    let m = &d.model;
    assert_eq!(m.lookup_req, 0);
    assert_eq!(m.focus, Focus::Lookup);
    assert!(m.user.is_none() && m.history.is_empty());
    // The line keeps the text so it can be corrected.
    assert_eq!(m.lookup.value(), too_long());
    let line = m.activity.last().expect("an activity line");
    assert_eq!(line.level, Level::Error);
    assert!(line.text.contains("33 bytes"), "{}", line.text);
    // 32 bytes is fine.
    d.press(key(KeyCode::Backspace));
    assert!(matches!(
        d.press(enter()).as_slice(),
        [Effect::Lookup { req: 1, .. }]
    ));
}

#[test]
fn paste_goes_into_the_lookup_line() {
    let mut d = Dash::new();
    assert!(d.paste("  wx_5f3a9c0e\n").is_empty());
    assert_eq!(d.model.lookup.value(), "wx_5f3a9c0e");
    assert_eq!(
        d.press(enter()),
        vec![Effect::Lookup {
            req: 1,
            user: id("wx_5f3a9c0e")
        }]
    );
}

// ---------------------------------------------------------------------------------------------
// Answers of the worker

#[test]
fn answers_to_an_older_lookup_are_dropped() {
    let mut d = Dash::new();
    let a = d.look_up("bob");
    let b = d.look_up("alice");
    assert_eq!((a, b), (1, 2));
    let entries = roster(250);

    // Everything for lookup 1 arrives late: nothing changes.
    let before = d.model.clone();
    d.answer(a, &entries, usize::MAX);
    d.send(Msg::LookupFailed {
        req: a,
        error: "timeout".into(),
    });
    assert!(d.model.list.rows.is_empty());
    assert!(d.model.list.loading && !d.model.list.complete);
    assert_eq!(d.model.user, before.user);
    assert_eq!(d.model.activity, before.activity);

    // Lookup 2's pages are appended as they come.
    d.send(Msg::Page {
        req: b,
        entries: entries[..100].to_vec(),
        last: false,
        sequence: 9,
    });
    assert_eq!(d.model.list.rows.len(), 100);
    assert!(d.model.list.loading && !d.model.list.complete);
    d.send(Msg::Page {
        req: b,
        entries: entries[100..200].to_vec(),
        last: false,
        sequence: 9,
    });
    assert_eq!(d.model.list.rows.len(), 200);
    d.send(Msg::Page {
        req: b,
        entries: entries[200..].to_vec(),
        last: true,
        sequence: 9,
    });
    let list = &d.model.list;
    assert_eq!(list.rows.len(), 250);
    assert_eq!(list.view.len(), 250);
    assert!(list.complete && !list.loading);
    assert_eq!(list.sequence, 9);
    assert_eq!(list.rows[249].to.as_str(), "user_0249");
    assert_eq!(list.rows[249].added, added_at(249));
    assert!(
        d.logged("alice blocks 250 account(s)"),
        "{:?}",
        d.log_texts()
    );
}

#[test]
fn account_facts_are_stored_sanitized() {
    let mut d = Dash::new();
    let req = d.look_up("alice");
    d.send(Msg::Account {
        req,
        info: AccountInfo {
            exists: true,
            nick: Some(EVIL_OSC_NICK.into()),
            forbid_send: true,
            friends: Some(12),
        },
    });
    let user = d.model.user.as_ref().unwrap();
    assert_eq!(user.exists, Some(true));
    assert_eq!(user.nick.as_deref(), Some("\\u{1b}]0;pwned\\u{7}x"));
    assert!(user.forbid_send);
    assert_eq!(user.friends, Some(12));

    // An account that does not exist is said so.
    let req = d.look_up("ghost");
    d.send(Msg::Account {
        req,
        info: AccountInfo {
            exists: false,
            nick: None,
            forbid_send: false,
            friends: None,
        },
    });
    assert_eq!(d.model.user.as_ref().unwrap().exists, Some(false));
    let line = d.model.activity.last().unwrap();
    assert_eq!(line.level, Level::Warning);
    assert!(line.text.contains("ghost does not exist"), "{}", line.text);
}

#[test]
fn nicknames_are_filled_in_sanitized() {
    let mut d = Dash::new();
    let req = d.look_up("alice");
    let entries = roster(120);
    d.pages(req, &entries, usize::MAX);
    assert!(d.model.list.rows.iter().all(|r| r.nick.is_none()));
    d.send(Msg::Nicks {
        req,
        nicks: nicks_for(&entries),
    });
    let nick = |to: &str| {
        let row = d
            .model
            .list
            .rows
            .iter()
            .find(|r| r.to.as_str() == to)
            .unwrap();
        row.nick.clone()
    };
    assert_eq!(nick("evil_osc").as_deref(), Some("\\u{1b}]0;pwned\\u{7}x"));
    assert_eq!(
        nick("evil_bidi").as_deref(),
        Some("\\u{202e}nimda\\u{202c}")
    );
    assert_eq!(nick("carol_91").as_deref(), Some("Carol 李"));
    assert_eq!(nick("dave.smith"), None);
    for row in &d.model.list.rows {
        let text = row.nick.as_deref().unwrap_or_default();
        assert!(
            !text.chars().any(|c| c != '\\' && is_unsafe(c)),
            "{}: {text:?}",
            row.to.as_str()
        );
        assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'));
    }
}

#[test]
fn entries_with_ids_that_cannot_be_acted_on_are_left_out_and_counted() {
    let mut d = Dash::new();
    let req = d.look_up("alice");
    let entries = vec![
        ("bob".to_owned(), 1),
        ("bad\u{1b}[2Jid".to_owned(), 2),
        (too_long(), 3),
        ("carol_91".to_owned(), 4),
    ];
    d.send(Msg::Page {
        req,
        entries,
        last: true,
        sequence: 1,
    });
    assert_eq!(ids(&d.model), ["bob", "carol_91"]);
    assert!(d.logged("2 entr(ies)"), "{:?}", d.log_texts());
}

#[test]
fn a_failed_lookup_is_logged_as_an_error() {
    let mut d = Dash::new();
    let req = d.look_up("alice");
    d.send(Msg::LookupFailed {
        req,
        error: "request timed out \u{1b}[2J after 10s".into(),
    });
    assert!(!d.model.list.loading);
    let line = d.model.activity.last().unwrap();
    assert_eq!(line.level, Level::Error);
    assert!(
        line.text.starts_with("lookup failed: request timed out"),
        "{}",
        line.text
    );
    assert!(!line.text.contains('\u{1b}'), "{:?}", line.text);
}

// ---------------------------------------------------------------------------------------------
// The table

#[test]
fn movement_keys_clamp_and_keep_the_cursor_on_screen_within_its_page() {
    let mut d = Dash::alice(250);
    let rows = d.model.bands().table_rows();
    assert_eq!(rows, 9, "80×24 shows 9 table rows");
    let steps: Vec<(KeyEvent, usize)> = vec![
        (ch('k'), 0),
        (ch('j'), 1),
        (key(KeyCode::Down), 2),
        (key(KeyCode::Up), 1),
        (ch('k'), 0),
        (key(KeyCode::PageDown), rows),
        (key(KeyCode::PageDown), 2 * rows),
        (key(KeyCode::PageUp), rows),
        (key(KeyCode::PageUp), 0),
        (key(KeyCode::PageUp), 0),
        (ch('G'), 249),
        (ch('j'), 249),
        (key(KeyCode::PageDown), 249),
        (ch('g'), 0),
        (key(KeyCode::End), 249),
        (key(KeyCode::Home), 0),
        (ch('n'), 100),
        (ch('n'), 200),
        (ch('n'), 200),
        (ch('p'), 100),
        (ch('p'), 0),
        (ch('p'), 0),
        (KeyEvent::new(KeyCode::Char('G'), KeyModifiers::NONE), 249),
    ];
    for (k, want) in steps {
        assert!(d.press(k).is_empty());
        assert_eq!(d.model.list.cursor, want, "after {:?}", k.code);
        assert_scroll_valid(&d.model);
    }
    // The bottom of page 1 scrolls to show it, and PgDn there crosses into page 2.
    d.press(ch('g'));
    d.press_n(ch('j'), 99);
    assert_eq!(d.model.list.cursor, 99);
    assert_eq!(d.model.list.scroll, 99 + 1 - rows);
    d.press(key(KeyCode::PageDown));
    assert_eq!(d.model.list.cursor, 99 + rows);
    assert!(d.model.list.scroll >= 100);
    assert_scroll_valid(&d.model);
    d.press(ch('k'));
    d.press_n(ch('k'), rows);
    assert_eq!(d.model.list.cursor, 98);
    assert_scroll_valid(&d.model);
}

#[test]
fn scroll_stays_valid_through_a_long_mixed_sequence() {
    // A fixed pseudo-random walk over movement, marking, sorting, filtering and resizing.
    let mut d = Dash::alice(437);
    let mut seed: u64 = 0x5eed_1234;
    let keys = [
        ch('j'),
        ch('k'),
        ch('g'),
        ch('G'),
        key(KeyCode::PageUp),
        key(KeyCode::PageDown),
        ch('n'),
        ch('p'),
        ch(' '),
        ch('s'),
        ch('v'),
    ];
    for step in 0..2000 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let r = (seed >> 33) as usize;
        match r % 16 {
            0 => {
                let sizes = [(80, 24), (120, 40), (100, 30), (80, 60)];
                let (w, h) = sizes[r / 16 % sizes.len()];
                d.send(Msg::Resize(w, h));
            }
            1 => {
                d.press(ch('/'));
                d.press(ctrl('u'));
                d.type_text(["user_01", "evil", "", "3"][r / 16 % 4]);
                d.press(if r.is_multiple_of(3) { esc() } else { enter() });
            }
            _ => {
                d.press(keys[r / 16 % keys.len()]);
            }
        }
        assert!(d.effects.is_empty(), "step {step}: {:?}", d.effects);
        assert_scroll_valid(&d.model);
    }
}

#[test]
fn space_marks_the_row_and_moves_down() {
    let mut d = Dash::alice(250);
    d.press(ch(' '));
    assert_eq!(marks(&d.model), ["bob"]);
    assert_eq!(d.model.list.cursor, 1);
    d.press(ch(' '));
    assert_eq!(marks(&d.model), ["bob", "carol_91"]);
    // Space on a marked row unmarks it.
    d.press(ch('g'));
    d.press(ch(' '));
    assert_eq!(marks(&d.model), ["carol_91"]);
    // On the last row the cursor stays.
    d.press(ch('G'));
    d.press(ch(' '));
    assert_eq!(d.model.list.cursor, 249);
    assert!(d.model.list.marks.contains(&id("user_0249")));
}

#[test]
fn v_twice_marks_a_range_either_way() {
    let mut d = Dash::alice(250);
    d.press_n(ch('j'), 2);
    d.press(ch('v'));
    assert_eq!(d.model.list.anchor, Some(2));
    assert!(
        d.model.list.marks.is_empty(),
        "the first v only sets the anchor"
    );
    d.press_n(ch('j'), 3);
    d.press(ch('v'));
    assert_eq!(d.model.list.anchor, None);
    assert_eq!(
        d.model.list.marks,
        ["evil_osc", "evil_bidi", "@RBT#support", "dave.smith"]
            .map(id)
            .into_iter()
            .collect()
    );
    d.press(ch('u'));
    // Upwards, across a page boundary.
    d.press_n(ch('n'), 1);
    d.press_n(ch('j'), 2);
    d.press(ch('v'));
    d.press_n(ch('k'), 4);
    d.press(ch('v'));
    let want: BTreeSet<UserId> = (98..=102).map(|i| id(&format!("user_{i:04}"))).collect();
    assert_eq!(d.model.list.marks, want);
}

#[test]
fn v_after_the_view_emptied_does_not_panic() {
    let mut d = Dash::alice(250);
    d.press(ch('v'));
    d.press(ch('/'));
    d.type_text("no such user");
    d.press(enter());
    assert!(d.model.list.view.is_empty());
    d.press(ch('v'));
    assert!(d.model.list.marks.is_empty());
}

#[test]
fn star_marks_every_row_that_passes_the_filter_and_u_clears() {
    let mut d = Dash::alice(250);
    d.press(ch('/'));
    d.type_text("EVIL");
    d.press(enter());
    assert_eq!(ids(&d.model), ["evil_osc", "evil_bidi"]);
    d.press(ch('*'));
    assert_eq!(marks(&d.model), ["evil_bidi", "evil_osc"]);
    // Marks outlive the filter.
    d.press(ch('/'));
    d.press(esc());
    assert_eq!(d.model.list.view.len(), 250);
    assert_eq!(d.model.list.marks.len(), 2);
    d.press(ch('*'));
    assert_eq!(d.model.list.marks.len(), 250);
    d.press(ch('u'));
    assert!(d.model.list.marks.is_empty());
    assert_eq!(d.model.list.anchor, None);
}

#[test]
fn s_cycles_the_sort_and_keeps_the_cursor_on_its_entry() {
    let mut d = Dash::alice(30);
    d.press_n(ch('j'), 4);
    assert_eq!(current(&d.model), "@RBT#support");
    d.press(ch('s'));
    assert_eq!(d.model.list.sort, Sort::Newest);
    assert_eq!(ids(&d.model)[0], "user_0029");
    assert_eq!(current(&d.model), "@RBT#support");
    d.press(ch('s'));
    assert_eq!(d.model.list.sort, Sort::Id);
    let view = ids(&d.model);
    let mut sorted = view.clone();
    sorted.sort();
    assert_eq!(view, sorted);
    assert_eq!(view[0], "@RBT#support");
    assert_eq!(current(&d.model), "@RBT#support");
    d.press(ch('s'));
    assert_eq!(d.model.list.sort, Sort::Added);
    assert_eq!(ids(&d.model)[..3], ["bob", "carol_91", "evil_osc"]);
    assert_scroll_valid(&d.model);
}

#[test]
fn slash_filters_live_esc_clears_enter_keeps() {
    let mut d = Dash::alice(250);
    d.press(ch('/'));
    assert!(matches!(d.model.overlay, Overlay::Filter(_)));
    assert_eq!(contexts(&d.model), [Context::Typing]);
    let mut sizes = vec![d.model.list.view.len()];
    // Command letters are text here.
    for c in "user_01".chars() {
        assert!(d.press(ch(c)).is_empty());
        sizes.push(d.model.list.view.len());
        assert_scroll_valid(&d.model);
    }
    assert_eq!(d.model.list.filter, "user_01");
    assert_eq!(sizes.first(), Some(&250));
    assert_eq!(sizes.last(), Some(&100));
    assert!(sizes.windows(2).all(|w| w[1] <= w[0]), "{sizes:?}");
    assert!(ids(&d.model).iter().all(|i| i.starts_with("user_01")));
    // Esc clears it.
    d.press(esc());
    assert!(matches!(d.model.overlay, Overlay::None));
    assert_eq!(d.model.list.filter, "");
    assert_eq!(d.model.list.view.len(), 250);

    // Enter keeps it; the filter also matches nicknames, whatever the case.
    d.press(ch('/'));
    d.type_text("小明");
    d.press(enter());
    assert!(matches!(d.model.overlay, Overlay::None));
    assert_eq!(d.model.list.filter, "小明");
    assert_eq!(ids(&d.model), ["wx_5f3a9c0e"]);
    d.press(ch('/'));
    if let Overlay::Filter(input) = &d.model.overlay {
        assert_eq!(input.value(), "小明", "the filter is edited, not retyped");
    }
    d.press(key(KeyCode::Backspace));
    d.press(key(KeyCode::Backspace));
    d.type_text("bob");
    assert_eq!(ids(&d.model), ["bob"]);
    // Letters typed in the filter never act on the table.
    d.type_text("xqy");
    assert!(matches!(d.model.overlay, Overlay::Filter(_)));
    assert!(d.effects.is_empty() && !d.model.should_quit);
    // Paste goes into the filter too.
    d.press(esc());
    d.press(ch('/'));
    d.paste("evil_\n");
    assert_eq!(d.model.list.filter, "evil_ ");
    assert_eq!(d.model.list.view.len(), 0);
}

#[test]
fn tab_and_shift_tab_cycle_the_panes() {
    let mut d = Dash::new();
    let mut seen = vec![d.model.focus];
    for _ in 0..3 {
        d.press(key(KeyCode::Tab));
        seen.push(d.model.focus);
    }
    assert_eq!(
        seen,
        [
            Focus::Lookup,
            Focus::Blocklist,
            Focus::Activity,
            Focus::Lookup
        ]
    );
    let mut seen = vec![];
    for k in [
        back_tab(),
        KeyEvent::new(KeyCode::BackTab, KeyModifiers::NONE),
        back_tab(),
    ] {
        d.press(k);
        seen.push(d.model.focus);
    }
    assert_eq!(seen, [Focus::Activity, Focus::Blocklist, Focus::Lookup]);
    assert!(d.effects.is_empty());
}

#[test]
fn question_mark_opens_help_and_esc_enter_q_close_it() {
    let mut d = Dash::alice(10);
    for close in [esc(), enter(), ch('q')] {
        d.press(ch('?'));
        assert!(matches!(d.model.overlay, Overlay::Help));
        assert_eq!(contexts(&d.model), [Context::Help]);
        // Table keys do nothing under the help.
        d.press(ch('j'));
        d.press(ch('x'));
        assert_eq!(d.model.list.cursor, 0);
        assert!(matches!(d.model.overlay, Overlay::Help));
        assert!(d.press(close).is_empty());
        assert!(matches!(d.model.overlay, Overlay::None));
    }
    assert!(!d.model.should_quit);
}

#[test]
fn the_palette_runs_commands() {
    let mut d = Dash::alice(250);
    d.press(ch(':'));
    assert!(matches!(d.model.overlay, Overlay::Palette(_)));
    d.type_text("user bob");
    assert_eq!(
        d.press(enter()),
        vec![Effect::Lookup {
            req: 2,
            user: id("bob")
        }]
    );
    assert!(matches!(d.model.overlay, Overlay::None));
    assert_eq!(d.model.focus, Focus::Blocklist);
    assert_eq!(d.model.list.owner, Some(id("bob")));

    let mut d = Dash::alice(250);
    d.press(ch(':'));
    d.type_text("unblock evil_osc evil_bidi");
    assert!(d.press(enter()).is_empty());
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Unblock);
    assert_eq!(p.pairs, pairs_of("alice", &["evil_osc", "evil_bidi"]));

    let mut d = Dash::alice(250);
    d.press(ch(':'));
    d.type_text("block mallory,trent");
    assert!(d.press(enter()).is_empty());
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Block);
    assert_eq!(p.pairs, pairs_of("alice", &["mallory", "trent"]));
    assert!(p.warning.as_deref().unwrap().contains("friendship"));

    // Errors are logged and nothing happens.
    for (line, needle) in [
        ("frobnicate now", "unknown command :frobnicate"),
        ("user", ":user takes one UserID"),
        (&format!("user {}", too_long()), "33 bytes"),
        ("unblock", "at least one UserID"),
        ("unblock alice", "the user themself"),
    ] {
        let mut d = Dash::alice(20);
        d.press(ch(':'));
        d.type_text(line);
        assert!(d.press(enter()).is_empty(), "{line}");
        assert!(matches!(d.model.overlay, Overlay::None), "{line}");
        let last = d.model.activity.last().unwrap();
        assert_eq!(last.level, Level::Error, "{line}");
        assert!(last.text.contains(needle), "{line}: {}", last.text);
    }

    let mut d = Dash::alice(20);
    d.press(ch(':'));
    d.type_text("q");
    assert_eq!(d.press(enter()), vec![Effect::Quit]);
    assert!(d.model.should_quit);

    // Esc leaves the palette without running anything.
    let mut d = Dash::alice(20);
    d.press(ch(':'));
    d.type_text("q");
    assert!(d.press(esc()).is_empty());
    assert!(matches!(d.model.overlay, Overlay::None));
    assert!(!d.model.should_quit);
}

// ---------------------------------------------------------------------------------------------
// Destructive actions pass through a confirmation

#[test]
fn x_asks_first_and_only_y_sends() {
    let mut d = Dash::alice(250);
    d.mark(3);
    let want = pairs_of("alice", &["bob", "carol_91", "evil_osc"]);

    assert!(d.press(ch('x')).is_empty());
    let p = d.pending().expect("a confirmation");
    assert_eq!((p.op, p.pairs.clone()), (Operation::Unblock, want.clone()));
    assert!(p.title.contains('3'), "{}", p.title);
    assert_eq!(contexts(&d.model), [Context::Confirm]);

    // n and Esc cancel; nothing is sent.
    for cancel in [ch('n'), esc()] {
        assert!(d.press(cancel).is_empty());
        assert!(matches!(d.model.overlay, Overlay::None));
        assert!(d.model.running.is_none());
        assert_eq!(
            d.model.activity.last().unwrap().text,
            "cancelled: nothing was sent"
        );
        d.press(ch('x'));
    }
    // Enter, space and other letters never confirm.
    for k in [
        enter(),
        ch(' '),
        ch('x'),
        ch('q'),
        ch('Y'),
        ctrl('c'),
        key(KeyCode::Tab),
    ] {
        assert!(d.press(k).is_empty(), "{:?}", k.code);
        assert!(
            d.pending().is_some(),
            "{:?} closed the confirmation",
            k.code
        );
    }
    assert!(!d.model.should_quit);
    assert_eq!(d.model.list.marks.len(), 3);

    let fx = d.press(ch('y'));
    assert_eq!(
        fx,
        vec![Effect::RunBatch {
            id: 1,
            op: Operation::Unblock,
            pairs: want
        }]
    );
    assert!(matches!(d.model.overlay, Overlay::None));
    let running = d.model.running.as_ref().expect("running");
    assert_eq!(
        (running.id, running.op, running.total),
        (1, Operation::Unblock, 3)
    );
    assert!(!running.cancelling);
    assert_eq!(d.effects.iter().filter(|e| e.mutates()).count(), 1);
}

#[test]
fn x_without_marks_unblocks_the_current_row() {
    let mut d = Dash::alice(250);
    d.press_n(ch('j'), 3);
    d.press(ch('x'));
    let p = d.pending().unwrap();
    assert_eq!(p.pairs, pairs_of("alice", &["evil_bidi"]));
    assert!(p.title.contains("1 entry"), "{}", p.title);
    // Nothing to act on: nothing happens.
    let mut d = Dash::new();
    d.focus(Focus::Blocklist);
    assert!(d.press(ch('x')).is_empty());
    assert!(matches!(d.model.overlay, Overlay::None));
}

#[test]
fn b_prompts_for_ids_typed_or_pasted_and_confirms_with_a_warning() {
    let mut d = Dash::alice(250);
    assert!(d.press(ch('b')).is_empty());
    assert!(matches!(
        d.model.overlay,
        Overlay::BlockPrompt { error: None, .. }
    ));
    assert_eq!(contexts(&d.model), [Context::Typing]);
    // Letters are text, separators are spaces, commas and new lines.
    assert!(d.type_text("mallory, trent yvonne").is_empty());
    d.paste("\npeggy\r\nvictor,walter,,trent");
    assert!(d.pending().is_none());
    assert!(d.press(enter()).is_empty());
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Block);
    assert_eq!(
        p.pairs,
        pairs_of(
            "alice",
            &["mallory", "trent", "yvonne", "peggy", "victor", "walter"]
        ),
        "in order, once each"
    );
    assert!(
        p.warning.as_deref().unwrap().contains("friendship"),
        "{:?}",
        p.warning
    );
    // Enter does not confirm; y does.
    assert!(d.press(enter()).is_empty());
    let (_, op, pairs) = d.confirm();
    assert_eq!((op, pairs.len()), (Operation::Block, 6));
}

#[test]
fn a_bad_id_in_the_block_prompt_is_shown_there_and_nothing_is_confirmed() {
    for (typed, needle) in [
        (format!("mallory {}", too_long()), "#2"),
        (format!("mallory {}", too_long()), "33 bytes"),
        ("trent alice".to_owned(), "the user themself"),
        ("  ,, ".to_owned(), "at least one UserID"),
    ] {
        let mut d = Dash::alice(20);
        d.press(ch('b'));
        d.type_text(&typed);
        assert!(d.press(enter()).is_empty());
        match &d.model.overlay {
            Overlay::BlockPrompt { input, error } => {
                assert_eq!(input.value(), typed, "the text stays to be corrected");
                let error = error.as_deref().expect("an error");
                assert!(error.contains(needle), "{typed:?}: {error}");
            }
            other => panic!("{typed:?}: {other:?}"),
        }
        // Typing clears the error.
        d.press(key(KeyCode::Backspace));
        assert!(matches!(
            d.model.overlay,
            Overlay::BlockPrompt { error: None, .. }
        ));
        // Esc leaves the prompt; nothing was sent.
        d.press(esc());
        assert!(matches!(d.model.overlay, Overlay::None));
        assert!(d.effects.is_empty());
    }
    // A pasted control character is refused, and the error shows it escaped.
    let mut d = Dash::alice(20);
    d.press(ch('b'));
    d.paste("ok_1 evil\u{1b}[2J");
    d.press(enter());
    let Overlay::BlockPrompt {
        error: Some(error), ..
    } = &d.model.overlay
    else {
        panic!("{:?}", d.model.overlay);
    };
    assert!(
        error.contains("\\u{1b}") && !error.contains('\u{1b}'),
        "{error}"
    );
}

#[test]
fn b_and_paste_before_a_lookup_do_not_open_the_prompt() {
    let mut d = Dash::new();
    d.focus(Focus::Blocklist);
    assert!(d.press(ch('b')).is_empty());
    assert!(matches!(d.model.overlay, Overlay::None));
    assert!(d.logged("look a user up first"));
    d.paste("bob carol");
    assert!(matches!(d.model.overlay, Overlay::None));
}

#[test]
fn ids_pasted_on_the_table_open_the_block_prompt() {
    let mut d = Dash::alice(20);
    d.paste("mallory\ntrent\n");
    let Overlay::BlockPrompt { input, error: None } = &d.model.overlay else {
        panic!("{:?}", d.model.overlay);
    };
    assert_eq!(input.value(), "mallory trent");
    d.press(enter());
    assert_eq!(
        d.pending().unwrap().pairs,
        pairs_of("alice", &["mallory", "trent"])
    );
}

// ---------------------------------------------------------------------------------------------
// A running batch

#[test]
fn a_running_batch_updates_progress_and_the_table_in_place() {
    let mut d = Dash::alice(250);
    d.mark(5);
    d.press(ch('x'));
    let (bid, op, pairs) = d.confirm();
    assert_eq!(op, Operation::Unblock);

    let p = progress(5, 1, 0);
    d.send(Msg::BatchProgress {
        id: bid,
        progress: p.clone(),
    });
    assert_eq!(d.model.running.as_ref().unwrap().progress, p);

    d.send(Msg::BatchItem {
        id: bid,
        item: done(pairs[0].clone()),
    });
    let list = &d.model.list;
    assert_eq!(list.rows.len(), 249);
    assert!(!list.rows.iter().any(|r| r.to.as_str() == "bob"));
    assert!(!list.marks.contains(&id("bob")));
    assert_eq!(list.marks.len(), 4);
    assert_scroll_valid(&d.model);
    // "Already" unblocked is gone from the list too; a failure stays.
    d.send(Msg::BatchItem {
        id: bid,
        item: already(pairs[1].clone()),
    });
    d.send(Msg::BatchItem {
        id: bid,
        item: failed(pairs[2].clone(), 30003, "Err_SNS \u{1b}]0;x\u{7}"),
    });
    assert_eq!(ids(&d.model)[..2], ["evil_osc", "evil_bidi"]);
    assert_eq!(marks(&d.model), ["@RBT#support", "evil_bidi", "evil_osc"]);

    // Messages about another batch change nothing.
    let before = d.model.clone();
    d.send(Msg::BatchProgress {
        id: bid + 1,
        progress: progress(9, 9, 0),
    });
    d.send(Msg::BatchItem {
        id: bid + 1,
        item: done(pairs[3].clone()),
    });
    d.send(Msg::BatchFailed {
        id: bid + 1,
        error: "nope".into(),
    });
    d.send(Msg::BatchDone {
        id: bid + 1,
        report: report(op, vec![], BatchEnd::Completed),
        journal: None,
    });
    assert_eq!(d.model.running, before.running);
    assert_eq!(d.model.list.rows, before.list.rows);
    assert!(d.model.last.is_none());
    assert_eq!(d.model.activity, before.activity);

    d.send(Msg::BatchItem {
        id: bid,
        item: failed(pairs[3].clone(), 30008, "write conflict"),
    });
    d.send(Msg::BatchItem {
        id: bid,
        item: failed(pairs[4].clone(), 30003, "no such account"),
    });
    let items = vec![
        done(pairs[0].clone()),
        already(pairs[1].clone()),
        failed(pairs[2].clone(), 30003, "Err_SNS \u{1b}]0;x\u{7}"),
        failed(pairs[3].clone(), 30008, "write conflict"),
        failed(pairs[4].clone(), 30003, "no such account"),
    ];
    let fx = d.send(Msg::BatchDone {
        id: bid,
        report: report(op, items, BatchEnd::Completed),
        journal: Some(JOURNAL.into()),
    });
    assert!(fx.is_empty());
    let m = &d.model;
    assert!(m.running.is_none());
    assert!(matches!(m.overlay, Overlay::Result));
    let last = m.last.as_ref().expect("the outcome");
    assert_eq!(last.op, Operation::Unblock);
    assert_eq!((last.total, last.already), (5, 1));
    assert_eq!(last.done, vec![pairs[0].clone()]);
    assert!(last.unfinished.is_empty());
    assert_eq!(last.journal_batch.as_deref(), Some(JOURNAL));
    let groups: Vec<(i64, &str, Vec<Pair>)> = last
        .failures
        .iter()
        .map(|g| {
            (
                g.code,
                g.meaning,
                g.items.iter().map(|(p, _, _)| p.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![
            (
                30003,
                codes::lookup(30003).meaning,
                vec![pairs[2].clone(), pairs[4].clone()]
            ),
            (30008, codes::lookup(30008).meaning, vec![pairs[3].clone()]),
        ]
    );
    assert_eq!(last.failures[0].items[0].1, "alice → evil_osc");
    assert_eq!(last.failures[0].items[0].2, "Err_SNS \\u{1b}]0;x\\u{7}");
    // The summary line and one line per failed item.
    let summary = d
        .model
        .activity
        .iter()
        .find(|l| l.text.starts_with("unblock: "))
        .unwrap();
    assert_eq!(summary.level, Level::Warning);
    assert!(
        summary
            .text
            .contains("1 done, 1 already so, 3 failed, 0 unfinished")
            && summary.text.contains(JOURNAL),
        "{}",
        summary.text
    );
    let failures: Vec<&str> = d
        .log_texts()
        .into_iter()
        .filter(|t| t.contains(": error "))
        .collect();
    assert_eq!(failures.len(), 3, "{failures:?}");
    assert!(
        failures[0].starts_with("alice → evil_osc: error 30003"),
        "{}",
        failures[0]
    );
    assert!(
        failures
            .iter()
            .all(|t| !t.chars().any(|c| c != '\\' && is_unsafe(c)))
    );
    // Esc closes the summary; = opens it again.
    d.press(esc());
    assert!(matches!(d.model.overlay, Overlay::None));
    d.press(ch('='));
    assert!(matches!(d.model.overlay, Overlay::Result));
}

#[test]
fn the_cursor_stays_on_its_entry_while_rows_go() {
    let mut d = Dash::alice(30);
    d.mark(3);
    assert_eq!(current(&d.model), "evil_bidi");
    d.press(ch('x'));
    let (bid, _, pairs) = d.confirm();
    for p in &pairs {
        d.send(Msg::BatchItem {
            id: bid,
            item: done(p.clone()),
        });
        assert_eq!(current(&d.model), "evil_bidi");
        assert_scroll_valid(&d.model);
    }
    assert_eq!(d.model.list.cursor, 0);
    // When the row under the cursor goes, the cursor stays in range.
    d.press(ch('G'));
    d.send(Msg::BatchItem {
        id: bid,
        item: done(pair("alice", "user_0029")),
    });
    assert_eq!(current(&d.model), "user_0028");
    assert_scroll_valid(&d.model);
}

#[test]
fn ctrl_c_or_esc_cancels_a_running_batch_once() {
    for (first, second) in [
        (ctrl('c'), esc()),
        (esc(), ctrl('c')),
        (ctrl('c'), ctrl('c')),
    ] {
        for focus in [Focus::Blocklist, Focus::Lookup, Focus::Activity] {
            let mut d = Dash::alice(30);
            d.mark(3);
            d.press(ch('x'));
            let (bid, op, pairs) = d.confirm();
            d.focus(focus);
            assert_eq!(contexts(&d.model)[0], Context::Running);
            assert_eq!(d.press(first), vec![Effect::CancelBatch], "{focus:?}");
            assert!(d.model.running.as_ref().unwrap().cancelling);
            assert!(d.press(second).is_empty(), "{focus:?}");
            assert!(!d.model.should_quit, "cancelling is not quitting");
            assert_eq!(
                d.effects
                    .iter()
                    .filter(|e| **e == Effect::CancelBatch)
                    .count(),
                1
            );
            // The engine stops between requests and reports the rest as unfinished.
            let items = vec![
                done(pairs[0].clone()),
                unfinished(pairs[1].clone()),
                unfinished(pairs[2].clone()),
            ];
            d.finish(bid, op, items, BatchEnd::Cancelled);
            assert!(d.model.running.is_none());
            assert!(!d.model.should_quit);
            let last = d.model.last.as_ref().unwrap();
            assert_eq!(last.end, "cancelled");
            assert_eq!(last.unfinished, pairs[1..].to_vec());
            assert_eq!(
                d.model
                    .activity
                    .iter()
                    .rev()
                    .find(|l| l.text.starts_with("unblock:"))
                    .unwrap()
                    .level,
                Level::Error
            );
        }
    }
}

#[test]
fn a_second_batch_cannot_be_asked_for_while_one_runs() {
    let mut d = Dash::alice(30);
    d.mark(2);
    d.press(ch('x'));
    d.confirm();
    d.press(ch('x'));
    assert!(matches!(d.model.overlay, Overlay::None));
    assert!(d.logged("a batch is running"));
    d.press(ch(':'));
    d.type_text("block mallory");
    d.press(enter());
    assert!(d.pending().is_none());
    assert_eq!(d.effects.iter().filter(|e| e.mutates()).count(), 1);
}

#[test]
fn q_while_running_asks_and_y_cancels_then_quits_when_the_batch_ends() {
    let mut d = Dash::alice(30);
    d.mark(3);
    d.press(ch('x'));
    let (bid, op, pairs) = d.confirm();

    // n keeps running.
    assert!(d.press(ch('q')).is_empty());
    assert!(matches!(d.model.overlay, Overlay::QuitConfirm));
    assert!(d.press(ch('n')).is_empty());
    assert!(matches!(d.model.overlay, Overlay::None));
    assert!(d.model.running.as_ref().is_some_and(|r| !r.cancelling));

    d.press(ch('q'));
    assert!(d.press(enter()).is_empty(), "Enter does not answer");
    assert!(matches!(d.model.overlay, Overlay::QuitConfirm));
    assert_eq!(d.press(ch('y')), vec![Effect::CancelBatch]);
    let r = d.model.running.as_ref().unwrap();
    assert!(r.cancelling && r.quit_after);
    assert!(!d.model.should_quit, "not before the batch has stopped");
    d.send(Msg::BatchItem {
        id: bid,
        item: done(pairs[0].clone()),
    });
    assert!(!d.model.should_quit);
    let fx = d.send(Msg::BatchDone {
        id: bid,
        report: report(
            op,
            vec![
                done(pairs[0].clone()),
                unfinished(pairs[1].clone()),
                unfinished(pairs[2].clone()),
            ],
            BatchEnd::Cancelled,
        ),
        journal: Some(JOURNAL.into()),
    });
    assert_eq!(fx, vec![Effect::Quit]);
    assert!(d.model.should_quit);
    // The outcome is still recorded (for the message printed after the terminal is restored).
    assert_eq!(d.model.last.as_ref().unwrap().unfinished.len(), 2);
}

#[test]
fn quitting_while_already_cancelling_quits_when_the_batch_ends() {
    let mut d = Dash::alice(30);
    d.mark(2);
    d.press(ch('x'));
    let (bid, op, pairs) = d.confirm();
    assert_eq!(d.press(ctrl('c')), vec![Effect::CancelBatch]);
    d.press(ch('q'));
    assert!(
        d.press(ch('y')).is_empty(),
        "the cancel was already asked for"
    );
    let items = pairs.iter().cloned().map(unfinished).collect();
    d.finish(bid, op, items, BatchEnd::Cancelled);
    assert!(d.model.should_quit);
    assert_eq!(d.effects.last(), Some(&Effect::Quit));
}

#[test]
fn y_quits_even_if_the_batch_ended_while_the_quit_question_was_open() {
    let mut d = Dash::alice(30);
    d.mark(2);
    d.press(ch('x'));
    let (bid, op, pairs) = d.confirm();
    d.press(ch('q'));
    let items = pairs.iter().cloned().map(done).collect();
    d.finish(bid, op, items, BatchEnd::Completed);
    assert!(d.model.running.is_none());
    assert_eq!(d.press(ch('y')), vec![Effect::Quit]);
    assert!(d.model.should_quit);
}

#[test]
fn a_batch_that_cannot_start_is_logged_and_ends() {
    let mut d = Dash::alice(30);
    d.mark(2);
    d.press(ch('x'));
    let (bid, _, _) = d.confirm();
    let fx = d.send(Msg::BatchFailed {
        id: bid,
        error: "cannot open the journal /root/j.jsonl: Permission denied".into(),
    });
    assert!(fx.is_empty());
    assert!(d.model.running.is_none());
    let line = d.model.activity.last().unwrap();
    assert_eq!(line.level, Level::Error);
    assert!(line.text.contains("Permission denied"), "{}", line.text);
    assert_eq!(d.model.list.rows.len(), 30);

    // With a quit asked for, it quits.
    let mut d = Dash::alice(30);
    d.mark(2);
    d.press(ch('x'));
    let (bid, _, _) = d.confirm();
    d.press(ch('q'));
    d.press(ch('y'));
    assert_eq!(
        d.send(Msg::BatchFailed {
            id: bid,
            error: "x".into()
        }),
        vec![Effect::Quit]
    );
    assert!(d.model.should_quit);
}

// ---------------------------------------------------------------------------------------------
// Retry and undo

#[test]
fn r_retries_exactly_the_failed_and_unfinished_pairs() {
    let mut d = Dash::after_unblock(250);
    assert!(d.press(ch('R')).is_empty());
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Unblock);
    assert_eq!(p.pairs, pairs_of("alice", &["evil_bidi", "@RBT#support"]));
    let (id2, op, pairs) = d.confirm();
    assert_eq!((id2, op), (2, Operation::Unblock));
    assert_eq!(pairs, pairs_of("alice", &["evil_bidi", "@RBT#support"]));
}

#[test]
fn u_after_an_unblock_blocks_the_done_pairs_again_with_a_warning() {
    let mut d = Dash::after_unblock(250);
    assert!(d.press(ch('U')).is_empty());
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Block);
    // Only what this batch changed: not the entry that was already off the list.
    assert_eq!(p.pairs, pairs_of("alice", &["bob", "carol_91"]));
    assert!(
        p.warning.as_deref().unwrap().contains("friendship"),
        "{:?}",
        p.warning
    );
    d.press(ch('n'));
    assert!(d.pending().is_none());
    assert!(d.effects.iter().filter(|e| e.mutates()).count() == 1);
}

#[test]
fn u_after_a_block_unblocks_and_warns_that_friendships_are_not_restored() {
    let mut d = Dash::alice(20);
    d.press(ch('b'));
    d.type_text("mallory trent");
    d.press(enter());
    let (bid, op, pairs) = d.confirm();
    assert_eq!(op, Operation::Block);
    d.finish(
        bid,
        op,
        pairs.iter().cloned().map(done).collect(),
        BatchEnd::Completed,
    );
    // Blocked entries appear in the table as they are done.
    assert!(ids(&d.model).contains(&"mallory") && ids(&d.model).contains(&"trent"));
    assert_eq!(d.model.list.rows.len(), 22);
    d.press(esc());
    d.press(ch('U'));
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Unblock);
    assert_eq!(p.pairs, pairs);
    assert_eq!(
        p.warning.as_deref(),
        Some("friendships removed by the block are not restored")
    );
}

#[test]
fn r_and_u_without_anything_to_do_say_so() {
    let mut d = Dash::alice(20);
    assert!(d.press(ch('R')).is_empty());
    assert!(d.logged("no batch to retry yet"));
    assert!(d.press(ch('U')).is_empty());
    assert!(d.logged("no batch to undo yet"));
    assert!(d.press(ch('=')).is_empty());
    assert!(matches!(d.model.overlay, Overlay::None));

    d.mark(2);
    d.press(ch('x'));
    let (bid, op, pairs) = d.confirm();
    d.finish(
        bid,
        op,
        pairs.iter().cloned().map(already).collect(),
        BatchEnd::Completed,
    );
    d.press(esc());
    d.press(ch('R'));
    assert!(d.logged("the last batch has no failed items"));
    d.press(ch('U'));
    assert!(d.logged("the last batch changed nothing to undo"));
    assert!(d.pending().is_none());
}

// ---------------------------------------------------------------------------------------------
// Read-only mode

#[test]
fn read_only_mode_ignores_every_mutating_key() {
    let outcome = Dash::after_unblock(50).model.last;
    let mut d = Dash::read_only();
    d.load("alice", 50);
    d.model.last = outcome;
    d.mark(3);
    for focus in [Focus::Blocklist, Focus::Activity] {
        d.focus(focus);
        for k in ['x', 'b', 'R', 'U'] {
            let before = d.model.clone();
            assert!(d.press(ch(k)).is_empty(), "{k}");
            assert!(matches!(d.model.overlay, Overlay::None), "{k} in {focus:?}");
            assert_eq!(d.model.list.marks, before.list.marks);
            assert!(d.model.running.is_none());
        }
    }
    d.focus(Focus::Blocklist);
    d.paste("mallory trent");
    assert!(matches!(d.model.overlay, Overlay::None));
    assert!(d.effects.iter().all(|e| !e.mutates()));
    // Looking around still works.
    d.press(ch('j'));
    d.press(ch('='));
    assert!(matches!(d.model.overlay, Overlay::Result));
}

#[test]
fn read_only_mode_refuses_block_and_unblock_commands() {
    let mut d = Dash::read_only();
    d.load("alice", 50);
    for line in ["block mallory", "unblock bob"] {
        d.press(ch(':'));
        d.type_text(line);
        assert!(d.press(enter()).is_empty());
        assert!(matches!(d.model.overlay, Overlay::None), "{line}");
        let last = d.model.activity.last().unwrap();
        assert!(last.text.contains("read-only"), "{line}: {}", last.text);
    }
    d.press(ch(':'));
    d.type_text("user bob");
    assert!(matches!(
        d.press(enter()).as_slice(),
        [Effect::Lookup { .. }]
    ));
}

fn forced(op: Operation) -> PendingAction {
    PendingAction {
        op,
        pairs: pairs_of("alice", &["mallory", "bob"]),
        title: format!("{op} 2 account(s) for alice"),
        warning: None,
    }
}

#[test]
fn read_only_gate_refuses_a_confirmed_change_that_got_through() {
    for op in [Operation::Block, Operation::Unblock] {
        let mut d = Dash::read_only();
        d.load("alice", 20);
        d.model.overlay = Overlay::Confirm(forced(op));
        assert_eq!(contexts(&d.model), [Context::Confirm]);
        let fx = d.press(ch('y'));
        assert!(fx.is_empty(), "{op}: {fx:?}");
        assert!(d.model.running.is_none(), "{op}: nothing runs");
        let line = d.model.activity.last().unwrap();
        assert_eq!(line.level, Level::Warning);
        assert!(
            line.text.contains("read-only mode: the change was refused"),
            "{}",
            line.text
        );
        // The dashboard is usable afterwards.
        assert!(matches!(d.model.overlay, Overlay::None));
        d.press(ch('j'));
        assert_eq!(d.model.list.cursor, 1);
    }
    // The same confirmation is carried out when not read-only.
    let mut d = Dash::alice(20);
    d.model.overlay = Overlay::Confirm(forced(Operation::Block));
    assert!(matches!(
        d.press(ch('y')).as_slice(),
        [Effect::RunBatch { .. }]
    ));
}

#[test]
fn read_only_gate_does_not_log_a_start() {
    let mut d = Dash::read_only();
    d.load("alice", 20);
    d.model.overlay = Overlay::Confirm(forced(Operation::Block));
    d.press(ch('y'));
    assert!(!d.logged("started"), "{:?}", d.log_texts());
}

// ---------------------------------------------------------------------------------------------
// Resize, tick, quit

#[test]
fn resize_updates_the_size_and_keeps_scroll_valid() {
    let mut d = Dash::alice(250).size(120, 40);
    assert_eq!(d.model.bands().table_rows(), 22);
    d.press(ch('n'));
    d.press_n(ch('j'), 40);
    assert_eq!(d.model.list.cursor, 140);
    assert_eq!(d.model.list.scroll, 140 + 1 - 22);
    for (w, h) in [(80, 24), (200, 60), (79, 23), (80, 10), (120, 40)] {
        assert!(d.send(Msg::Resize(w, h)).is_empty());
        assert_eq!((d.model.width, d.model.height), (w, h));
        assert_eq!(d.model.fits(), w >= 80 && h >= 24);
        assert_eq!(d.model.list.cursor, 140);
        assert_scroll_valid(&d.model);
    }
}

#[test]
fn tick_updates_the_clock_only() {
    let mut d = Dash::alice(20);
    let before = d.model.clone();
    assert!(d.send(Msg::Tick(NOW + 61)).is_empty());
    assert_eq!(d.model.now, NOW + 61);
    assert_eq!(d.model.list.rows, before.list.rows);
    assert_eq!(d.model.activity, before.activity);
    // Activity lines are stamped with the clock.
    d.press(ch('R'));
    assert_eq!(d.model.activity.last().unwrap().time, "01:36:01");
}

#[test]
fn q_and_ctrl_c_quit_when_idle() {
    for focus in [Focus::Blocklist, Focus::Activity] {
        let mut d = Dash::alice(10);
        d.focus(focus);
        assert_eq!(d.press(ch('q')), vec![Effect::Quit]);
        assert!(d.model.should_quit);
    }
    for focus in [Focus::Lookup, Focus::Blocklist, Focus::Activity] {
        let mut d = Dash::alice(10);
        d.focus(focus);
        assert_eq!(d.press(ctrl('c')), vec![Effect::Quit]);
        assert!(d.model.should_quit);
    }
    let mut d = Dash::new();
    assert!(d.press(ch('q')).is_empty(), "q is text on the lookup line");
    assert!(!d.model.should_quit);
}

#[test]
fn r_looks_the_same_user_up_again_and_drops_the_old_answers() {
    let mut d = Dash::alice(250);
    d.mark(2);
    d.press(ch('/'));
    d.type_text("user");
    d.press(enter());
    assert_eq!(
        d.press(ch('r')),
        vec![Effect::Lookup {
            req: 2,
            user: id("alice")
        }]
    );
    let list = &d.model.list;
    assert!(list.rows.is_empty() && list.loading && !list.complete);
    // The marks and the filter survive a refresh of the same list.
    assert_eq!(marks(&d.model), ["bob", "carol_91"]);
    assert_eq!(d.model.list.filter, "user");
    d.pages(1, &roster(250), usize::MAX);
    assert!(d.model.list.rows.is_empty());
    d.answer(2, &roster(250), usize::MAX);
    assert_eq!(d.model.list.view.len(), 242);
    // A lookup of someone else forgets them.
    let req = d.look_up("bob");
    assert_eq!(req, 3);
    assert!(d.model.list.marks.is_empty() && d.model.list.filter.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Every message

/// One message of each kind, for lookup `req` and the running batch `bid`.
fn one_of_each(req: u64, bid: u64, p: &Pair) -> Vec<Msg> {
    let all = vec![
        Msg::Key(ch('j')),
        Msg::Paste("x".into()),
        Msg::Resize(100, 30),
        Msg::Tick(NOW + 5),
        Msg::Account {
            req,
            info: account("Alice", 3),
        },
        Msg::Page {
            req,
            entries: vec![("zed".into(), NOW)],
            last: false,
            sequence: 1,
        },
        Msg::Nicks {
            req,
            nicks: vec![("user_0010".into(), "Zed\u{202e}".into())],
        },
        Msg::LookupFailed {
            req,
            error: "gone".into(),
        },
        Msg::BatchProgress {
            id: bid,
            progress: progress(2, 1, 0),
        },
        Msg::BatchItem {
            id: bid,
            item: done(p.clone()),
        },
        Msg::BatchDone {
            id: bid,
            report: report(
                Operation::Unblock,
                vec![done(p.clone())],
                BatchEnd::Completed,
            ),
            journal: None,
        },
        Msg::BatchFailed {
            id: bid,
            error: "disk full".into(),
        },
    ];
    // The match is exhaustive: a new kind of message has to be added here.
    for msg in &all {
        match msg {
            Msg::Key(_)
            | Msg::Paste(_)
            | Msg::Resize(..)
            | Msg::Tick(_)
            | Msg::Account { .. }
            | Msg::Page { .. }
            | Msg::Nicks { .. }
            | Msg::LookupFailed { .. }
            | Msg::BatchProgress { .. }
            | Msg::BatchItem { .. }
            | Msg::BatchDone { .. }
            | Msg::BatchFailed { .. } => {}
        }
    }
    all
}

#[test]
fn every_message_kind_changes_what_it_should() {
    let mut base = Dash::alice(20);
    base.mark(2);
    base.press(ch('x'));
    let (bid, _, pairs) = base.confirm();
    let req = base.model.lookup_req;
    for msg in one_of_each(req, bid, &pairs[0]) {
        let mut d = base.clone();
        let before = d.model.clone();
        let name = format!("{msg:?}");
        let fx = d.send(msg.clone());
        assert!(no_mutation(&fx), "{name}");
        let m = &d.model;
        match msg {
            Msg::Key(_) => assert_eq!(m.list.cursor, before.list.cursor + 1),
            Msg::Paste(_) => assert!(matches!(m.overlay, Overlay::BlockPrompt { .. })),
            Msg::Resize(w, h) => assert_eq!((m.width, m.height), (w, h)),
            Msg::Tick(now) => assert_eq!(m.now, now),
            Msg::Account { .. } => {
                assert_eq!(m.user.as_ref().unwrap().friends, Some(3));
            }
            Msg::Page { .. } => assert_eq!(m.list.rows.len(), before.list.rows.len() + 1),
            Msg::Nicks { .. } => {
                assert_eq!(m.list.rows[10].nick.as_deref(), Some("Zed\\u{202e}"));
            }
            Msg::LookupFailed { .. } => assert_eq!(m.activity.last().unwrap().level, Level::Error),
            Msg::BatchProgress { progress, .. } => {
                assert_eq!(m.running.as_ref().unwrap().progress, progress);
            }
            Msg::BatchItem { .. } => {
                assert_eq!(m.list.rows.len(), before.list.rows.len() - 1);
            }
            Msg::BatchDone { .. } => {
                assert!(m.running.is_none() && m.last.is_some());
                assert!(matches!(m.overlay, Overlay::Result));
            }
            Msg::BatchFailed { .. } => {
                assert!(m.running.is_none() && m.last.is_none());
                assert!(d.logged("disk full"));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The whole key map, binding by binding and context by context

/// A model after a lookup of `bob` (never answered), `alice` with 250 entries and an unblock of
/// five of them (two done, one already, one failed, one unfinished), the cursor on row 150.
fn base() -> Dash {
    let mut d = Dash::new();
    d.look_up("bob");
    d.load("alice", 250);
    d.unblock_first_five();
    // A few more activity lines, so that the activity pane scrolls.
    for word in ["frobnicate", "hlep", "quit!", "usr"] {
        d.press(ch(':'));
        d.type_text(word);
        d.press(enter());
    }
    d.press(ch('n'));
    d.press_n(ch('j'), 50);
    assert_eq!(d.model.list.cursor, 150);
    d.effects.clear();
    d
}

/// Models in `ctx`, each with a name. `Global` holds in every pane when no popup is open.
fn in_context(ctx: Context) -> Vec<(&'static str, Dash)> {
    let mut d = base();
    match ctx {
        Context::Lookup => {
            d.focus(Focus::Lookup);
            vec![("lookup", d)]
        }
        Context::Table => vec![("table", d)],
        Context::Activity => {
            d.focus(Focus::Activity);
            vec![("activity", d)]
        }
        Context::Global => [Focus::Lookup, Focus::Blocklist, Focus::Activity]
            .into_iter()
            .map(|f| {
                let mut d = d.clone();
                d.focus(f);
                let name = match f {
                    Focus::Lookup => "global/lookup",
                    Focus::Blocklist => "global/table",
                    Focus::Activity => "global/activity",
                };
                (name, d)
            })
            .collect(),
        Context::Running => {
            d.press(ch('x'));
            d.confirm();
            d.effects.clear();
            vec![("running", d)]
        }
        Context::Confirm => {
            let mut quit = d.clone();
            d.press(ch('x'));
            quit.press(ch('x'));
            quit.confirm();
            quit.press(ch('q'));
            quit.effects.clear();
            vec![("confirm", d), ("quit-confirm", quit)]
        }
        Context::Result => {
            d.press(ch('='));
            vec![("result", d)]
        }
        Context::Help => {
            d.press(ch('?'));
            vec![("help", d)]
        }
        Context::Typing => {
            let mut filter = d.clone();
            filter.press(ch('/'));
            filter.type_text("user_01");
            let mut palette = d.clone();
            palette.press(ch(':'));
            palette.type_text("user carol_91");
            d.press(ch('b'));
            d.type_text("mallory");
            vec![
                ("filter", filter),
                ("palette", palette),
                ("block prompt", d),
            ]
        }
    }
}

/// Brings the model into the state the action is best seen from.
fn prepare(action: Action, ctx: Context, d: &mut Dash) {
    match (action, ctx) {
        (Action::Down | Action::PageDown | Action::Bottom, Context::Activity) => {
            d.press_n(key(KeyCode::Up), 2);
            assert_eq!(d.model.activity_scroll, 2);
        }
        (Action::HistoryNext, _) => {
            d.press_n(key(KeyCode::Up), 2);
            assert_eq!(d.model.lookup.value(), "bob");
        }
        (Action::Submit, Context::Lookup) => {
            d.type_text("carol_91");
        }
        (Action::ClearMarks, _) => {
            d.mark(2);
            d.press(ch('v'));
        }
        _ => {}
    }
    d.effects.clear();
}

/// What `action` must have done from `b` to `a` with effects `fx`.
fn check(action: Action, ctx: Context, setup: &str, b: &Model, a: &Model, fx: &[Effect]) {
    let what = format!("{action:?} in {setup}");
    let none = |fx: &[Effect]| assert!(fx.is_empty(), "{what}: {fx:?}");
    match action {
        Action::Quit | Action::Interrupt => {
            assert_eq!(fx, [Effect::Quit], "{what}");
            assert!(a.should_quit, "{what}");
        }
        Action::FocusNext => {
            none(fx);
            assert_eq!(a.focus, b.focus.next(), "{what}");
        }
        Action::FocusPrev => {
            none(fx);
            assert_eq!(a.focus, b.focus.prev(), "{what}");
        }
        Action::Help => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::Help), "{what}");
        }
        Action::Palette => {
            none(fx);
            assert!(
                matches!(&a.overlay, Overlay::Palette(i) if i.value().is_empty()),
                "{what}"
            );
        }
        Action::Filter => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::Filter(_)), "{what}");
            assert_eq!(a.focus, Focus::Blocklist, "{what}");
        }
        Action::Up
        | Action::Down
        | Action::Top
        | Action::Bottom
        | Action::PageUp
        | Action::PageDown
            if ctx == Context::Activity =>
        {
            none(fx);
            let rows = b.bands().activity_rows();
            let max = b.activity.len().saturating_sub(rows);
            assert!(max >= 3, "{what}: {} activity lines", b.activity.len());
            let s = b.activity_scroll;
            let want = match action {
                Action::Up => s + 1,
                Action::Down => s - 1,
                Action::PageUp => s + rows,
                Action::PageDown => s.saturating_sub(rows),
                Action::Top => max,
                _ => 0,
            }
            .min(max);
            assert_eq!(a.activity_scroll, want, "{what}");
            assert_eq!(a.list.cursor, b.list.cursor, "{what}");
        }
        Action::Up
        | Action::Down
        | Action::Top
        | Action::Bottom
        | Action::PageUp
        | Action::PageDown
        | Action::NextPage
        | Action::PrevPage => {
            none(fx);
            let rows = b.bands().table_rows();
            let last = b.list.view.len() - 1;
            let c = b.list.cursor;
            let want = match action {
                Action::Up => c - 1,
                Action::Down => c + 1,
                Action::Top => 0,
                Action::Bottom => last,
                Action::PageUp => c - rows,
                Action::PageDown => c + rows,
                Action::NextPage => 200,
                _ => 0,
            };
            assert_eq!(a.list.cursor, want, "{what}");
            assert_scroll_valid(a);
        }
        Action::Mark => {
            none(fx);
            let row = b.list.current().unwrap().to.clone();
            assert!(
                !b.list.marks.contains(&row) && a.list.marks.contains(&row),
                "{what}"
            );
            assert_eq!(a.list.marks.len(), b.list.marks.len() + 1, "{what}");
            assert_eq!(a.list.cursor, b.list.cursor + 1, "{what}");
        }
        Action::MarkRange => {
            none(fx);
            assert_eq!(
                (b.list.anchor, a.list.anchor),
                (None, Some(b.list.cursor)),
                "{what}"
            );
        }
        Action::MarkAll => {
            none(fx);
            assert!(
                a.list
                    .view
                    .iter()
                    .all(|&i| a.list.is_marked(&a.list.rows[i])),
                "{what}"
            );
            assert!(a.list.marks.len() >= a.list.view.len(), "{what}");
        }
        Action::ClearMarks => {
            none(fx);
            assert!(
                !b.list.marks.is_empty() && b.list.anchor.is_some(),
                "{what}"
            );
            assert!(a.list.marks.is_empty() && a.list.anchor.is_none(), "{what}");
        }
        Action::Unblock => {
            none(fx);
            let owner = b.list.owner.clone().unwrap();
            let want: Vec<Pair> = b
                .list
                .targets()
                .into_iter()
                .map(|to| Pair::new(owner.clone(), to))
                .collect();
            assert!(!want.is_empty());
            assert!(
                matches!(&a.overlay, Overlay::Confirm(p) if p.op == Operation::Unblock && p.pairs == want),
                "{what}: {:?}",
                a.overlay
            );
        }
        Action::Block => {
            none(fx);
            assert!(
                matches!(&a.overlay, Overlay::BlockPrompt { input, error: None } if input.value().is_empty()),
                "{what}"
            );
        }
        Action::Refresh => {
            assert_eq!(
                fx,
                [Effect::Lookup {
                    req: b.lookup_req + 1,
                    user: id("alice")
                }],
                "{what}"
            );
            assert!(a.list.loading && a.list.rows.is_empty(), "{what}");
        }
        Action::RetryFailed => {
            none(fx);
            let last = b.last.as_ref().unwrap();
            let want = last.failed_pairs();
            assert_eq!(want.len(), 2);
            assert!(
                matches!(&a.overlay, Overlay::Confirm(p) if p.op == last.op && p.pairs == want),
                "{what}: {:?}",
                a.overlay
            );
        }
        Action::Undo => {
            none(fx);
            let last = b.last.as_ref().unwrap();
            assert!(
                matches!(&a.overlay, Overlay::Confirm(p)
                    if Some(p.op) == last.op.inverse() && p.pairs == last.done && p.warning.is_some()),
                "{what}: {:?}",
                a.overlay
            );
        }
        Action::Sort => {
            none(fx);
            assert_eq!(a.list.sort, b.list.sort.next(), "{what}");
            assert_eq!(current(a), current(b), "{what}");
        }
        Action::ShowResult => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::Result), "{what}");
        }
        Action::Submit => match (&b.overlay, setup) {
            (Overlay::Filter(_), _) => {
                none(fx);
                assert!(matches!(a.overlay, Overlay::None), "{what}");
                assert_eq!(a.list.filter, "user_01", "{what}");
            }
            (Overlay::Palette(_), _) => {
                assert_eq!(
                    fx,
                    [Effect::Lookup {
                        req: b.lookup_req + 1,
                        user: id("carol_91")
                    }],
                    "{what}"
                );
                assert!(matches!(a.overlay, Overlay::None), "{what}");
            }
            (Overlay::BlockPrompt { .. }, _) => {
                none(fx);
                assert!(
                    matches!(&a.overlay, Overlay::Confirm(p)
                        if p.op == Operation::Block && p.pairs == pairs_of("alice", &["mallory"])),
                    "{what}: {:?}",
                    a.overlay
                );
            }
            (Overlay::None, "lookup") => {
                assert_eq!(
                    fx,
                    [Effect::Lookup {
                        req: b.lookup_req + 1,
                        user: id("carol_91")
                    }],
                    "{what}"
                );
                assert_eq!(a.focus, Focus::Blocklist, "{what}");
            }
            other => panic!("{what}: unexpected {other:?}"),
        },
        Action::HistoryPrev => {
            none(fx);
            assert_eq!(a.lookup.value(), b.history.last().unwrap(), "{what}");
        }
        Action::HistoryNext => {
            none(fx);
            assert_eq!(a.lookup.value(), "alice", "{what}");
        }
        Action::Yes => match &b.overlay {
            Overlay::Confirm(p) => {
                assert_eq!(
                    fx,
                    [Effect::RunBatch {
                        id: b.batch_seq + 1,
                        op: p.op,
                        pairs: p.pairs.clone()
                    }],
                    "{what}"
                );
                assert!(a.running.is_some(), "{what}");
            }
            Overlay::QuitConfirm => {
                assert_eq!(fx, [Effect::CancelBatch], "{what}");
                assert!(a.running.as_ref().unwrap().quit_after, "{what}");
            }
            other => panic!("{what}: {other:?}"),
        },
        Action::No => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::None), "{what}");
            assert_eq!(a.running.is_some(), b.running.is_some(), "{what}");
        }
        Action::Close => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::None), "{what}");
            if let Overlay::Filter(_) = b.overlay {
                assert!(a.list.filter.is_empty(), "{what}");
                assert_eq!(a.list.view.len(), a.list.rows.len(), "{what}");
            }
        }
        Action::CancelBatch => {
            assert_eq!(fx, [Effect::CancelBatch], "{what}");
            assert!(a.running.as_ref().unwrap().cancelling, "{what}");
        }
    }
    if action != Action::Yes {
        assert!(no_mutation(fx), "{what}: {fx:?}");
    }
    assert!(
        !a.should_quit || matches!(action, Action::Quit | Action::Interrupt),
        "{what}"
    );
}

#[test]
fn every_binding_of_the_key_map_works_in_every_one_of_its_contexts() {
    let mut tried = 0;
    let mut actions = BTreeSet::new();
    for binding in KEYMAP {
        for &ctx in binding.contexts {
            for (setup, d0) in in_context(ctx) {
                for &(code, mods) in binding.keys {
                    let k = KeyEvent::new(code, mods);
                    let mut d = d0.clone();
                    prepare(binding.action, ctx, &mut d);
                    let ctxs = contexts(&d.model);
                    assert!(ctxs.contains(&ctx), "{setup}: {ctxs:?} lacks {ctx:?}");
                    assert_eq!(
                        keymap::lookup(&ctxs, &k, false),
                        Some(binding.action),
                        "{} ({:?}) in {setup}",
                        binding.label,
                        code
                    );
                    let before = d.model.clone();
                    let fx = d.press(k);
                    check(binding.action, ctx, setup, &before, &d.model, &fx);
                    tried += 1;
                    actions.insert(format!("{:?}", binding.action));
                }
            }
        }
    }
    // Every action of the key map was pressed.
    let all: BTreeSet<String> = KEYMAP.iter().map(|b| format!("{:?}", b.action)).collect();
    assert_eq!(actions, all);
    assert!(tried > 60, "{tried}");
}

#[test]
fn read_only_key_map_leaves_out_mutating_actions_in_every_context() {
    for binding in KEYMAP.iter().filter(|b| b.action.mutates()) {
        for &ctx in binding.contexts {
            for (setup, mut d) in in_context(ctx) {
                d.model.read_only = true;
                for &(code, mods) in binding.keys {
                    let k = KeyEvent::new(code, mods);
                    let ctxs = contexts(&d.model);
                    assert_eq!(
                        keymap::lookup(&ctxs, &k, true),
                        None,
                        "{} in {setup}",
                        binding.label
                    );
                    let mut d = d.clone();
                    let before = d.model.clone();
                    assert!(d.press(k).is_empty());
                    assert_eq!(
                        format!("{:?}", d.model.overlay),
                        format!("{:?}", before.overlay),
                        "{} in {setup}",
                        binding.label
                    );
                }
            }
        }
    }
}
