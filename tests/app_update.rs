//! The dashboard's state machine, `app::update`, driven key by key and message by message with no
//! terminal, worker or clock: every binding of the key map in every one of its contexts, every
//! message, the confirmation of destructive actions, running batches, read-only mode, the
//! relationship inspector, the reverse lookup, the change feed, watch mode and exports.

mod common {
    pub mod dashboard;
}

use std::collections::BTreeSet;

use blockdeck::app::command::{self, Command, Context};
use blockdeck::app::model::{
    Checks, ConfirmLine, Ended, ExportWhat, FEED_KEEP, FeedLine, Focus, HistoryLoad, Inspection,
    Inspector, Level, ListKind, Model, Motion, Overlay, PAGE_ROWS, PendingAction, RateScope,
    RateState, Scroll, Sort, VerdictLine,
};
use blockdeck::app::msg::Stored;
use blockdeck::app::update::contexts;
use blockdeck::app::{Effect, Msg};
use blockdeck::client::engine::BatchEnd;
use blockdeck::client::failure::{Failure, FailureKind};
use blockdeck::client::ops::{AccountFacts, Candidates, IncompleteBatch, Preflight};
use blockdeck::client::{Operation, Pair};
use blockdeck::display::{is_unsafe, sanitize, utc};
use blockdeck::feed::{ChangeKind, Role};
use blockdeck::inspect::{Verdict, consequences};
use blockdeck::tim::codes;
use blockdeck::tim::ids::UserId;
use common::dashboard::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

// ---------------------------------------------------------------------------------------------
// Helpers

/// The cursor is inside the list, and `scroll` keeps it on screen within its page of 100.
#[track_caller]
fn assert_scroll_valid(m: &Model) {
    let list = &m.list;
    let rows = m.bands().table_rows();
    if list.view.is_empty() {
        assert_eq!(list.cursor(), 0, "cursor on an empty view");
        return;
    }
    let page = list.page_range();
    assert!(
        list.cursor() < list.view.len(),
        "cursor {} of {}",
        list.cursor(),
        list.view.len()
    );
    assert!(
        page.contains(&list.cursor()),
        "cursor {} outside page {page:?}",
        list.cursor()
    );
    // The window holds the cursor; it may straddle two pages after a step of one row.
    assert!(
        list.scroll.offset <= list.cursor() && list.cursor() < list.scroll.offset + rows,
        "scroll {} with cursor {}, {rows} rows, page {page:?}",
        list.scroll.offset,
        list.cursor()
    );
    assert_eq!(
        list.window(rows).start,
        list.scroll.offset,
        "the drawn window starts at the offset"
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

/// Whether `fx` only starts the checks of a change shown for confirmation (nothing is sent).
fn only_checks(fx: &[Effect]) -> bool {
    matches!(fx, [Effect::Preflight { .. }])
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

/// The history's revision moves when a lookup changes it (what the runtime keeps on disk), and
/// not when the latest lookup is repeated; a history loaded from an earlier run is walked alike.
#[test]
fn the_lookup_history_counts_its_changes() {
    let mut d = Dash::new();
    d.model.history = vec!["dave".into()];
    let rev = d.model.history_rev;
    d.look_up("bob");
    assert_eq!(d.model.history_rev, rev + 1);
    d.look_up("bob");
    assert_eq!(d.model.history_rev, rev + 1, "nothing changed");
    d.look_up("dave");
    assert_eq!(d.model.history_rev, rev + 2);
    assert_eq!(d.model.history, ["bob", "dave"]);
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
        error: fail("timeout"),
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
        info: AccountFacts {
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
        info: AccountFacts {
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
        error: fail("request timed out \u{1b}[2J after 10s"),
    });
    assert!(!d.model.list.loading);
    let line = d.model.activity.last().unwrap();
    assert_eq!(line.level, Level::Error);
    assert!(
        line.text
            .starts_with("looking alice up failed: request timed out"),
        "{}",
        line.text
    );
    // A state of its own: the cause and its kind, before any page; nothing is waiting any more.
    let failure = d.model.list.failure.clone().expect("a failure");
    assert_eq!((failure.kind, failure.pages), (FailureKind::Unreachable, 0));
    assert!(
        failure.text.contains("\\u{1b}[2J"),
        "sanitized: {}",
        failure.text
    );
    assert_eq!(d.model.lookup_since, None);
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
        assert_eq!(d.model.list.cursor(), want, "after {:?}", k.code);
        assert_scroll_valid(&d.model);
    }
    // The bottom of page 1 scrolls to show it, one row at a time and on into page 2; PgDn
    // there jumps to page 2's start.
    d.press(ch('g'));
    d.press_n(ch('j'), 99);
    assert_eq!(d.model.list.cursor(), 99);
    assert_eq!(d.model.list.scroll.offset, 99 + 1 - rows);
    d.press(ch('j'));
    assert_eq!(d.model.list.cursor(), 100);
    assert_eq!(
        d.model.list.scroll.offset,
        100 + 1 - rows,
        "one row across the page"
    );
    d.press(ch('k'));
    assert_eq!(
        d.model.list.scroll.offset,
        100 + 1 - rows,
        "the cursor moved up inside"
    );
    assert_scroll_valid(&d.model);
    d.press(key(KeyCode::PageDown));
    assert_eq!(d.model.list.cursor(), 99 + rows);
    assert!(d.model.list.scroll.offset >= 100);
    assert_scroll_valid(&d.model);
    d.press(ch('k'));
    d.press_n(ch('k'), rows);
    assert_eq!(d.model.list.cursor(), 98);
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
    assert_eq!(d.model.list.cursor(), 1);
    d.press(ch(' '));
    assert_eq!(marks(&d.model), ["bob", "carol_91"]);
    // Space on a marked row unmarks it.
    d.press(ch('g'));
    d.press(ch(' '));
    assert_eq!(marks(&d.model), ["carol_91"]);
    // On the last row the cursor stays.
    d.press(ch('G'));
    d.press(ch(' '));
    assert_eq!(d.model.list.cursor(), 249);
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
    // By nickname, case aside, rows without one last.
    assert_eq!(d.model.list.sort, Sort::Nick);
    let nicks: Vec<Option<String>> = d
        .model
        .list
        .view
        .iter()
        .map(|&i| d.model.list.rows[i].nick.as_ref().map(|n| n.to_lowercase()))
        .collect();
    let named = nicks.iter().take_while(|n| n.is_some()).count();
    assert!(
        named > 0 && nicks[named..].iter().all(Option::is_none),
        "{nicks:?}"
    );
    assert!(nicks[..named].windows(2).all(|w| w[0] <= w[1]), "{nicks:?}");
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
    // `/` again starts a fresh filter; ↑ offers the one kept.
    d.press(ch('/'));
    assert!(matches!(&d.model.overlay, Overlay::Filter(i) if i.value().is_empty()));
    assert_eq!(d.model.list.view.len(), 250);
    d.press(key(KeyCode::Up));
    assert!(matches!(&d.model.overlay, Overlay::Filter(i) if i.value() == "小明"));
    assert_eq!(ids(&d.model), ["wx_5f3a9c0e"]);
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
    for _ in 0..4 {
        d.press(key(KeyCode::Tab));
        seen.push(d.model.focus);
    }
    assert_eq!(
        seen,
        [
            Focus::Lookup,
            Focus::Blocklist,
            Focus::Activity,
            Focus::Feed,
            Focus::Lookup
        ]
    );
    let mut seen = vec![];
    for k in [
        back_tab(),
        KeyEvent::new(KeyCode::BackTab, KeyModifiers::NONE),
        back_tab(),
        back_tab(),
    ] {
        d.press(k);
        seen.push(d.model.focus);
    }
    assert_eq!(
        seen,
        [
            Focus::Feed,
            Focus::Activity,
            Focus::Blocklist,
            Focus::Lookup
        ]
    );
    assert!(d.effects.is_empty());
}

#[test]
fn question_mark_opens_help_and_esc_enter_q_close_it() {
    let mut d = Dash::alice(10);
    for close in [esc(), enter(), ch('q')] {
        d.press(ch('?'));
        assert!(matches!(d.model.overlay, Overlay::Help(_)));
        assert_eq!(contexts(&d.model), [Context::Help]);
        // Table keys do nothing under the help.
        d.press(ch('j'));
        d.press(ch('x'));
        assert_eq!(d.model.list.cursor(), 0);
        assert!(matches!(d.model.overlay, Overlay::Help(_)));
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
    assert!(only_checks(&d.press(enter())));
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Unblock);
    assert_eq!(p.pairs, pairs_of("alice", &["evil_osc", "evil_bidi"]));

    let mut d = Dash::alice(250);
    d.press(ch(':'));
    d.type_text("block mallory,trent");
    assert!(only_checks(&d.press(enter())));
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Block);
    assert_eq!(p.pairs, pairs_of("alice", &["mallory", "trent"]));
    assert!(p.warning.as_deref().unwrap().contains("friendship"));

    // A quoted ID is one ID.
    let mut d = Dash::alice(250);
    d.command(r#"unblock "we ird" 'a b'"#);
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.pairs, pairs_of("alice", &["we ird", "a b"]));
    // Without IDs, :unblock is x: the current row.
    let mut d = Dash::alice(250);
    d.command("unblock");
    assert_eq!(d.pending().unwrap().pairs, pairs_of("alice", &["bob"]));

    // A line that cannot run stays on the command line with what is wrong; nothing is sent.
    for (line, needle) in [
        ("frobnicate now", "unknown command :frobnicate"),
        ("user", "one UserID"),
        (&format!("user {}", too_long()), "33 bytes"),
        ("unblock alice", "the user themself"),
        ("unblock 'open", "quote is not closed"),
    ] {
        let mut d = Dash::alice(20);
        d.press(ch(':'));
        d.type_text(line);
        assert!(d.press(enter()).is_empty(), "{line}");
        let error = d
            .palette_error()
            .unwrap_or_else(|| panic!("{line}: {:?}", d.model.overlay));
        assert!(error.contains(needle), "{line}: {error}");
        // Typing fixes it: the error goes.
        d.press(key(KeyCode::Backspace));
        assert_eq!(d.palette_error(), None, "{line}");
        assert!(d.effects.is_empty(), "{line}: {:?}", d.effects);
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

    assert!(only_checks(&d.press(ch('x'))));
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

    // y waits for the checks, and says so.
    assert!(d.press(ch('y')).is_empty());
    let notice = d.model.notice.clone().unwrap_or_default();
    assert!(notice.contains("being checked"), "{notice}");
    assert!(d.checked(Preflight::default()));
    let fx = d.press(ch('y'));
    assert_eq!(
        fx,
        vec![Effect::RunBatch {
            id: 1,
            op: Operation::Unblock,
            pairs: want,
            resume: None,
            approval: Default::default(),
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
    assert!(only_checks(&d.press(enter())));
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
        error: fail("nope"),
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
    // What the journal holds unfinished is read again.
    assert_eq!(fx, [Effect::ScanJournal]);
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
    // One activity line for the batch, in the summary's words and counts; the failures are in
    // the summary, not one line each.
    let summary = d
        .model
        .activity
        .lines
        .iter()
        .find(|l| l.text.starts_with("unblock "))
        .unwrap();
    assert_eq!(summary.level, Level::Warning);
    assert_eq!(
        summary.text,
        format!(
            "unblock completed with failures: 1 done · 1 already so · 3 failed · 0 unfinished \
             of 5 (batch {JOURNAL})"
        )
    );
    assert!(!d.log_texts().iter().any(|t| t.contains(": error ")));
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
    assert_eq!(d.model.list.cursor(), 0);
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
        for focus in [
            Focus::Blocklist,
            Focus::Lookup,
            Focus::Activity,
            Focus::Feed,
        ] {
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
            assert_eq!(last.ended, Ended::Cancelled);
            assert_eq!(last.unfinished, pairs[1..].to_vec());
            assert_eq!(
                d.model
                    .activity
                    .lines
                    .iter()
                    .rev()
                    .find(|l| l.text.starts_with("unblock cancelled"))
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
        error: fail("cannot open the journal /root/j.jsonl: Permission denied"),
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
            error: fail("x")
        }),
        vec![Effect::Quit]
    );
    assert!(d.model.should_quit);
}

// ---------------------------------------------------------------------------------------------
// Retry and undo

#[test]
fn r_retries_what_a_retry_can_fix_and_says_what_it_leaves_out() {
    // The batch: two done, one already, evil_bidi failed with 30003 (no such account: no retry
    // fixes that), @RBT#support never sent.
    let mut d = Dash::after_unblock(250);
    assert!(only_checks(&d.press(ch('R'))));
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Unblock);
    assert_eq!(p.pairs, pairs_of("alice", &["@RBT#support"]));
    let warning = p.warning.as_deref().expect("a warning");
    assert!(
        warning.contains("1 other failed item(s) are left out"),
        "{warning}"
    );
    let (id2, op, pairs) = d.confirm();
    assert_eq!((id2, op), (2, Operation::Unblock));
    assert_eq!(pairs, pairs_of("alice", &["@RBT#support"]));
}

/// A batch of `alice` whose three items failed with `codes`.
fn failed_with(codes: [i64; 3]) -> Dash {
    let mut d = Dash::alice(250);
    d.press(ch('g'));
    d.mark(3);
    d.press(ch('x'));
    let (bid, op, pairs) = d.confirm();
    let items = pairs
        .iter()
        .zip(codes)
        .map(|(p, code)| failed(p.clone(), code, "Err_SNS_Something"))
        .collect();
    d.finish(bid, op, items, BatchEnd::Completed);
    d.press(esc());
    d.effects.clear();
    d
}

#[test]
fn r_after_failures_that_are_all_permanent_says_why_there_is_nothing_to_retry() {
    let mut d = failed_with([30013, 30003, 30013]);
    assert!(d.press(ch('R')).is_empty());
    assert!(matches!(d.model.overlay, Overlay::None));
    let notice = d.model.notice.clone().expect("a notice");
    assert!(notice.starts_with("R retry: nothing to retry"), "{notice}");
    assert!(
        notice.contains("30003 AccountNotFound") && notice.contains("30013 BlocklistFull"),
        "{notice}"
    );
    assert!(d.logged("its failures are permanent"));
    // The palette's twin says the same, on its own line.
    assert!(d.command("retry").is_empty());
    match &d.model.overlay {
        Overlay::Palette(line) => {
            let error = line.error.as_deref().unwrap_or_default();
            assert!(error.contains("nothing to retry"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    // The next key clears the notice.
    d.press(esc());
    d.press(ch('j'));
    assert_eq!(d.model.notice, None);
}

#[test]
fn r_retries_failures_that_gave_up_on_temporary_errors() {
    let mut d = failed_with([30006, 30013, 60007]);
    assert!(only_checks(&d.press(ch('R'))));
    let p = d.pending().expect("a confirmation");
    let tos: Vec<&str> = p.pairs.iter().map(|p| p.to.as_str()).collect();
    assert_eq!(tos, ["bob", "evil_osc"]);
}

#[test]
fn u_after_an_unblock_blocks_the_done_pairs_again_with_a_warning() {
    let mut d = Dash::after_unblock(250);
    assert!(only_checks(&d.press(ch('U'))));
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

/// An item whose first attempt went unanswered and that was then found as wanted is this batch's
/// change: `U` puts it back, while an entry that really was already as wanted is left alone.
#[test]
fn u_undoes_an_item_confirmed_after_an_unanswered_attempt() {
    let mut d = Dash::alice(20);
    d.mark(3);
    d.press(ch('x'));
    let (bid, op, pairs) = d.confirm();
    let mut confirmed = done(pairs[1].clone());
    confirmed.info = "confirmed after an attempt that went unanswered".to_owned();
    confirmed.attempts = 2;
    d.finish(
        bid,
        op,
        vec![done(pairs[0].clone()), confirmed, already(pairs[2].clone())],
        BatchEnd::Completed,
    );
    d.press(esc());
    assert!(only_checks(&d.press(ch('U'))));
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Block);
    assert_eq!(p.pairs, pairs[..2].to_vec());
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
        let error = d.palette_error().unwrap_or_else(|| panic!("{line}"));
        assert!(error.contains("read-only mode"), "{line}: {error}");
        assert!(d.logged("read-only mode"), "{line}");
        d.press(esc());
    }
    d.press(ch(':'));
    d.type_text("user bob");
    assert!(matches!(
        d.press(enter()).as_slice(),
        [Effect::Lookup { .. }]
    ));
}

fn forced(op: Operation) -> PendingAction {
    PendingAction::new(
        op,
        pairs_of("alice", &["mallory", "bob"]),
        format!("{op} 2 account(s) for alice"),
        None,
    )
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
        assert_eq!(d.model.list.cursor(), 1);
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
    assert_eq!(d.model.bands().table_rows(), 24);
    d.press(ch('n'));
    d.press_n(ch('j'), 40);
    assert_eq!(d.model.list.cursor(), 140);
    // The window follows the cursor row by row once it leaves it: its last row is the cursor's.
    assert_eq!(d.model.list.scroll.offset, 117);
    for (w, h) in [(80, 24), (200, 60), (79, 23), (80, 10), (120, 40)] {
        assert!(d.send(Msg::Resize(w, h)).is_empty());
        assert_eq!((d.model.width, d.model.height), (w, h));
        assert_eq!(d.model.fits(), w >= 80 && h >= 24);
        assert_eq!(d.model.list.cursor(), 140);
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
    for focus in [Focus::Blocklist, Focus::Activity, Focus::Feed] {
        let mut d = Dash::alice(10);
        d.focus(focus);
        assert_eq!(d.press(ch('q')), vec![Effect::Quit]);
        assert!(d.model.should_quit);
    }
    for focus in [
        Focus::Lookup,
        Focus::Blocklist,
        Focus::Activity,
        Focus::Feed,
    ] {
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

/// One message of each kind, for lookup `req`, the running batch `bid` and the inspector or
/// reverse lookup `side`.
fn one_of_each(req: u64, bid: u64, side: u64, p: &Pair) -> Vec<Msg> {
    let all = vec![
        Msg::Key(ch('j')),
        Msg::KeyBurst(vec![ch('j'), ch('j')]),
        Msg::Paste("x".into()),
        // A click on the sixth row of the table (80×24: its rows start on screen row 7).
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 20,
            row: 12,
            modifiers: KeyModifiers::NONE,
        }),
        Msg::Resize(100, 30),
        Msg::Tick(NOW + 5),
        Msg::Clock(60_000),
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
            error: fail("gone"),
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
            error: fail("disk full"),
        },
        Msg::Inspected {
            req: side,
            result: Ok(relationship("alice", "evil_osc", true, false)),
        },
        Msg::Blockers {
            req: side,
            event: blocker_found("mallory", true),
        },
        Msg::BlockersDone {
            req: side,
            result: Ok(blockers_done(20, 1)),
        },
        Msg::BlockerNicks {
            req: side,
            nicks: vec![("mallory".into(), "Mal\u{1b}[2J".into())],
        },
        Msg::FeedChange(feed_event(ChangeKind::Block, "mallory", "trent", NOW + 2)),
        Msg::FeedRejected {
            reason: "bad signature".into(),
        },
        Msg::Burst(burst_of("mallory", Role::Blocking, ChangeKind::Block, 20)),
        Msg::FeedSource(Some("webhooks on 127.0.0.1:9000".into())),
        Msg::WatchFailed {
            error: fail("poll timed out"),
        },
        Msg::ListChanged {
            user: id("alice"),
            sequence: 8,
        },
        Msg::Exported {
            path: "alice.csv".into(),
            result: Ok(20),
        },
        Msg::Started,
        Msg::Incomplete(Ok(vec![IncompleteBatch {
            id: "20261122T013500Z-3f9a".into(),
            op: Operation::Block,
            time: NOW - 3600,
            by: "oncall".into(),
            unfinished: vec![p.clone()],
        }])),
        // The answer to checks of a question no longer open.
        Msg::Checked {
            req: 99,
            result: Ok(Preflight::default()),
        },
        // The journal's answers: its list (read 1), a batch read again (read 2).
        Msg::Journal {
            req: 1,
            result: Ok(journal_batches()),
        },
        Msg::JournalBatch {
            req: 2,
            result: Ok(journal_batches()[0].clone()),
        },
        // The change store's answers: a history (read 1), blocks per minute (read 1).
        Msg::History {
            req: 1,
            result: Ok(Stored::Found(history_of("user_0010", 5))),
        },
        Msg::BlockRate {
            req: 1,
            result: Ok(Stored::Found(spike(7))),
        },
        Msg::Warning("the secret key is 63 characters long\u{1b}[2J".into()),
        Msg::Note("practice journal: /tmp/demo\u{1b}[2J.db".into()),
        // A teammate's batch, announced by the team's journal (with a hostile reason).
        Msg::TeamBatch {
            moved: blockdeck::app::model::TeamMove::Started,
            batch: {
                let mut batch = journal_batches()[0].summary();
                batch.moderator = Some("bo\u{1b}[2J".into());
                batch
            },
        },
    ];
    // The match is exhaustive: a new kind of message has to be added here.
    for msg in &all {
        match msg {
            Msg::Key(_)
            | Msg::KeyBurst(_)
            | Msg::Paste(_)
            | Msg::Mouse(_)
            | Msg::Resize(..)
            | Msg::Tick(_)
            | Msg::Clock(_)
            | Msg::Account { .. }
            | Msg::Page { .. }
            | Msg::Nicks { .. }
            | Msg::LookupFailed { .. }
            | Msg::BatchProgress { .. }
            | Msg::BatchItem { .. }
            | Msg::BatchDone { .. }
            | Msg::BatchFailed { .. }
            | Msg::Inspected { .. }
            | Msg::Blockers { .. }
            | Msg::BlockersDone { .. }
            | Msg::BlockerNicks { .. }
            | Msg::FeedChange(_)
            | Msg::FeedRejected { .. }
            | Msg::Burst(_)
            | Msg::FeedSource(_)
            | Msg::TeamBatch { .. }
            | Msg::WatchFailed { .. }
            | Msg::ListChanged { .. }
            | Msg::Exported { .. }
            | Msg::Started
            | Msg::Incomplete(_)
            | Msg::Warning(_)
            | Msg::Note(_)
            | Msg::Journal { .. }
            | Msg::JournalBatch { .. }
            | Msg::History { .. }
            | Msg::BlockRate { .. }
            | Msg::Checked { .. } => {}
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
    let side = base.model.side_req + 1;
    for msg in one_of_each(req, bid, side, &pairs[0]) {
        let mut d = base.clone();
        // Answers of the inspector and the reverse lookup need their window open; a list change
        // needs watch mode.
        if matches!(msg, Msg::Inspected { .. }) {
            assert_eq!(d.inspect_row(), side);
        }
        if matches!(
            msg,
            Msg::Blockers { .. } | Msg::BlockersDone { .. } | Msg::BlockerNicks { .. }
        ) {
            assert_eq!(d.find_blockers(), side);
        }
        if matches!(msg, Msg::BlockerNicks { .. }) {
            d.send(Msg::Blockers {
                req: side,
                event: blocker_found("mallory", true),
            });
        }
        if matches!(msg, Msg::ListChanged { .. }) {
            assert_eq!(d.command("watch"), [Effect::Watch(Some(id("alice")))]);
        }
        // The journal's answers need the view open (and, for a batch, the batch opened and read
        // again).
        if matches!(msg, Msg::Journal { .. }) {
            assert!(matches!(
                d.press(ch('J')).as_slice(),
                [Effect::LoadJournal { req: 1, .. }]
            ));
        }
        // The store's answers need the history open, or the screen up.
        if matches!(msg, Msg::History { .. }) {
            assert_eq!(
                d.command("history user_0010"),
                [Effect::History {
                    req: 1,
                    account: id("user_0010")
                }]
            );
        }
        if matches!(msg, Msg::BlockRate { .. }) {
            assert_eq!(d.started(), 1);
        }
        if matches!(msg, Msg::JournalBatch { .. }) {
            assert_eq!(d.open_journal(), 1);
            d.press(enter());
            assert!(matches!(
                d.press(ch('r')).as_slice(),
                [Effect::LoadJournalBatch { req: 2, .. }]
            ));
        }
        let before = d.model.clone();
        let name = format!("{msg:?}");
        let fx = d.send(msg.clone());
        assert!(no_mutation(&fx), "{name}");
        let m = &d.model;
        match msg {
            Msg::Key(_) => assert_eq!(m.list.cursor(), before.list.cursor() + 1),
            // Keys that came together on the table act as keys there.
            Msg::KeyBurst(_) => assert_eq!(m.list.cursor(), before.list.cursor() + 2),
            Msg::Clock(ms) => assert_eq!(m.ms, ms),
            // IDs pasted onto the table would open the block prompt; a batch runs, so it says why
            // not.
            Msg::Paste(_) => {
                assert!(matches!(m.overlay, Overlay::None));
                let notice = m.notice.as_deref().unwrap_or_default();
                assert!(notice.contains("a batch is running"), "{notice}");
            }
            Msg::Mouse(_) => {
                assert_eq!((m.focus, m.list.cursor()), (Focus::Blocklist, 5), "{name}");
                assert!(fx.is_empty(), "{name}: {fx:?}");
            }
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
            Msg::Inspected { .. } => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                let i = d.inspector().expect("the inspector");
                assert!(matches!(&i.result, Some(Ok(r)) if r.a_blocks_b), "{name}");
            }
            Msg::Blockers { .. } => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert_eq!(d.blockers().unwrap().found, [(id("mallory"), true)]);
            }
            Msg::BlockerNicks { .. } => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                let row = &d.model.list.rows[0];
                assert_eq!(row.nick.as_deref(), Some("Mal\\u{1b}[2J"), "{name}");
            }
            Msg::BlockersDone { .. } => {
                let v = d.blockers().unwrap();
                let want: Vec<Effect> = if v.found.is_empty() {
                    Vec::new()
                } else {
                    vec![Effect::BlockerNicks {
                        req: v.req,
                        ids: vec!["mallory".into()],
                    }]
                };
                assert_eq!(fx, want, "{name}");
                assert!(v.done && (v.checked, v.failed.len()) == (20, 1), "{name}");
            }
            Msg::FeedChange(_) => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert_eq!(m.feed.lines.len(), before.feed.lines.len() + 1);
            }
            Msg::TeamBatch { .. } => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert_eq!(m.feed.lines.len(), before.feed.lines.len() + 1);
                let Some(blockdeck::app::model::FeedEntry::Team(line)) = m.feed.lines.last() else {
                    panic!("{name}: no team line");
                };
                assert!(
                    line.text.starts_with("bo\\u{1b}[2J started "),
                    "{}",
                    line.text
                );
                assert!(!line.text.contains('\u{1b}'));
            }
            Msg::FeedRejected { .. } => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert_eq!(m.feed.rejected, before.feed.rejected + 1);
            }
            Msg::Burst(_) => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert_eq!(m.feed.flagged, ["mallory"]);
            }
            Msg::FeedSource(_) => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert_eq!(m.feed.source.as_deref(), Some("webhooks on 127.0.0.1:9000"));
            }
            Msg::WatchFailed { .. } => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert!(d.logged("poll timed out"));
            }
            Msg::ListChanged { .. } => {
                // A batch runs: the list is not refreshed under it.
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert_eq!(m.lookup_req, before.lookup_req);
                assert_eq!(m.list.rows, before.list.rows);
            }
            Msg::Exported { .. } => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert!(d.logged("exported 20 row(s) to alice.csv"));
            }
            Msg::Warning(_) => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                // Logged, escaped.
                assert!(d.logged("warning: the secret key is 63 characters long"));
                assert!(!d.logged("\u{1b}"));
            }
            Msg::Note(_) => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert!(d.logged("practice journal: /tmp/demo"));
                assert!(!d.logged("\u{1b}"));
            }
            // The journal scanned, and the first read of the app's block rate.
            Msg::Started => assert_eq!(
                fx,
                [
                    Effect::ScanJournal,
                    Effect::BlockRate {
                        req: 1,
                        scope: RateScope::App
                    }
                ],
                "{name}"
            ),
            Msg::History { .. } => {
                // The row's account, both ways, newest first; the hostile ID escaped.
                let v = d.history();
                assert_eq!(v.account, id("user_0010"), "{name}");
                assert_eq!(v.load, HistoryLoad::Loaded, "{name}");
                assert_eq!(v.lines.len(), 5, "{name}");
                assert!(v.lines[0].time_ms > v.lines[1].time_ms, "{name}");
                assert_eq!(v.lines[3].other_shown, sanitize(EVIL_OSC_NICK), "{name}");
            }
            Msg::BlockRate { .. } => {
                assert_eq!(m.rates.app.state, RateState::Counts(spike(7)), "{name}");
                // The store is there: the looked-up account's rate is read next.
                assert!(
                    matches!(fx.as_slice(), [Effect::BlockRate { scope: RateScope::Account(a), .. }] if *a == id("alice")),
                    "{name}: {fx:?}"
                );
            }
            Msg::Journal { .. } => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert_eq!(d.journal().batches.len(), 4);
            }
            Msg::JournalBatch { .. } => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                let items = d.journal().items.as_ref().unwrap();
                assert_eq!(items.load, blockdeck::app::model::JournalLoad::Loaded);
                assert_eq!(items.lines.len(), 2);
            }
            Msg::Incomplete(_) => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert_eq!(m.incomplete.len(), 1);
                assert!(d.logged("1 unfinished batch(es)"));
            }
            Msg::Checked { .. } => {
                assert!(fx.is_empty(), "{name}: {fx:?}");
                assert_eq!(
                    format!("{:?}", m.overlay),
                    format!("{:?}", before.overlay),
                    "{name}"
                );
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
    for word in ["timed out", "reset", "refused", "502"] {
        d.send(Msg::WatchFailed { error: fail(word) });
    }
    d.press(ch('n'));
    d.press_n(ch('j'), 50);
    assert_eq!(d.model.list.cursor(), 150);
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
        Context::LookupEmpty => {
            d.focus(Focus::Lookup);
            assert!(d.model.lookup.value().is_empty());
            vec![("lookup/empty", d)]
        }
        Context::Palette => {
            d.press(ch(':'));
            d.type_text("user carol_91");
            vec![("palette", d)]
        }
        Context::Table => {
            // The table of alice's blockers, done: `w`, two found, nicknames read.
            let mut blockers = d.clone();
            let req = blockers.find_blockers();
            for (b, mutual) in [("mallory", true), ("oscar", false)] {
                blockers.send(Msg::Blockers {
                    req,
                    event: blocker_found(b, mutual),
                });
            }
            blockers.send(Msg::BlockersDone {
                req,
                result: Ok(blockers_done(1259, 2)),
            });
            blockers.effects.clear();
            vec![("table", d), ("blockers/done", blockers)]
        }
        Context::Activity => {
            d.focus(Focus::Activity);
            vec![("activity", d)]
        }
        Context::Feed => {
            with_feed(&mut d);
            d.focus(Focus::Feed);
            vec![("feed", d)]
        }
        Context::Global => [
            Focus::Lookup,
            Focus::Blocklist,
            Focus::Activity,
            Focus::Feed,
        ]
        .into_iter()
        .map(|f| {
            let mut d = d.clone();
            d.focus(f);
            let name = match f {
                Focus::Lookup => "global/lookup",
                Focus::Blocklist => "global/table",
                Focus::Activity => "global/activity",
                Focus::Feed => "global/feed",
            };
            (name, d)
        })
        .collect(),
        Context::Inspector => {
            // The answer says both block each other, only A blocks B, or has not come yet.
            let row = current(&d.model).to_owned();
            let answered = |a_blocks_b: bool, b_blocks_a: bool| {
                let mut d = d.clone();
                let req = d.inspect_row();
                d.send(Msg::Inspected {
                    req,
                    result: Ok(relationship("alice", &row, a_blocks_b, b_blocks_a)),
                });
                d
            };
            let (mutual, one_way) = (answered(true, true), answered(true, false));
            // An answer with more notes than the screen has lines.
            let mut long = mutual.clone();
            if let Overlay::Inspector(view) = &mut long.model.overlay
                && let Some(Ok(i)) = &mut view.result
            {
                i.notes
                    .extend((0..30).map(|n| format!("note {n}: what else there is to know")));
            }
            d.inspect_row();
            vec![
                ("inspector", mutual),
                ("inspector/one way", one_way),
                ("inspector/long", long),
                ("inspector/loading", d),
            ]
        }
        Context::Entry => {
            // The newest activity line, a long one, and a change on the feed.
            let mut long = d.clone();
            long.model
                .log(Level::Error, "a cause in many words ".repeat(200));
            d.focus(Focus::Activity);
            long.focus(Focus::Activity);
            let mut feed = d.clone();
            with_feed(&mut feed);
            feed.focus(Focus::Feed);
            for x in [&mut d, &mut long, &mut feed] {
                x.press(enter());
                assert!(matches!(x.model.overlay, Overlay::Entry(_)));
            }
            vec![("entry", d), ("entry/long", long), ("entry/feed", feed)]
        }
        Context::Running => {
            d.press(ch('x'));
            d.confirm();
            d.effects.clear();
            vec![("running", d)]
        }
        Context::Confirm => {
            let mut quit = d.clone();
            d.press(ch('x'));
            let checking = d.clone();
            d.checked(Preflight::default());
            quit.press(ch('x'));
            quit.confirm();
            quit.press(ch('q'));
            quit.effects.clear();
            vec![
                ("confirm", d),
                ("confirm/checking", checking),
                ("quit-confirm", quit),
            ]
        }
        Context::Summary => {
            d.press(ch('='));
            vec![("result", d)]
        }
        Context::Help => {
            d.press(ch('?'));
            vec![("help", d)]
        }
        Context::Journal => {
            // The cursor on the block by mod_bo, the second row from the end: every moving key
            // moves it.
            d.open_journal();
            d.press_n(ch('j'), 2);
            assert_eq!(
                d.journal().current().map(|b| b.state.id().to_string()),
                Some(BLOCK_BATCH.to_owned())
            );
            vec![("journal", d)]
        }
        Context::JournalItems => {
            d.open_journal();
            d.press_n(ch('j'), 3);
            d.press(enter());
            assert!(d.journal().items.is_some());
            vec![("journal/items", d)]
        }
        Context::History => {
            // alice's history of 40 changes, the cursor on the 21st; and the history of the row,
            // opened from the inspector (Esc goes back there).
            let mut inspector = d.clone();
            let req = match d.command("history alice").as_slice() {
                [Effect::History { req, .. }] => *req,
                other => panic!(":history alice gave {other:?}"),
            };
            d.answer_history(req, history_of("alice", 40));
            d.press_n(ch('j'), 20);
            let row = current(&inspector.model).to_owned();
            let side = inspector.inspect_row();
            inspector.send(Msg::Inspected {
                req: side,
                result: Ok(relationship("alice", &row, true, false)),
            });
            let req = inspector.open_history();
            inspector.answer_history(req, history_of(&row, 40));
            inspector.press_n(ch('j'), 20);
            vec![("history", d), ("history/from inspector", inspector)]
        }
        Context::Typing => {
            let mut filter = d.clone();
            filter.press(ch('/'));
            filter.type_text("user_01");
            d.press(ch('b'));
            d.type_text("mallory");
            vec![("filter", filter), ("block prompt", d)]
        }
    }
}

/// A few changes on the feed, one of them by `alice`.
fn with_feed(d: &mut Dash) {
    for (kind, from, to) in [
        (ChangeKind::Block, "mallory", "trent"),
        (ChangeKind::Unblock, "alice", "user_0003"),
        (ChangeKind::Block, "trent", "alice"),
    ] {
        d.send(Msg::FeedChange(feed_event(kind, from, to, NOW)));
    }
}

/// Brings the model into the state the action is best seen from.
fn prepare(action: Command, ctx: Context, d: &mut Dash) {
    match (action, ctx) {
        (
            Command::Down | Command::PageDown | Command::HalfPageDown | Command::Bottom,
            Context::Activity,
        ) => {
            d.press_n(key(KeyCode::Up), 4);
            let rows = d.model.bands().activity_rows();
            let len = d.model.activity.lines.len();
            assert_eq!(d.model.activity.scroll.log_cursor(len), Some(len - 5));
            assert!(d.model.activity.scroll.below(len, rows) > 0);
        }
        (Command::Up | Command::PageUp | Command::HalfPageUp | Command::Top, Context::Help) => {
            d.press_n(ch('j'), 3);
        }
        (Command::HistoryNext, _) => {
            d.press_n(key(KeyCode::Up), 2);
            assert_eq!(d.model.lookup.value(), "bob");
        }
        (Command::HistoryPrev, Context::Typing) => {
            // A filter was kept and cleared before this line opened.
            d.model.filter_recall = "user_02".to_owned();
        }
        (Command::Submit, Context::Lookup) => {
            d.type_text("carol_91");
        }
        (Command::ClearMarks, _) => {
            d.mark(2);
            d.press(ch('v'));
        }
        (Command::ClearFilter, _) => {
            d.press(ch('/'));
            d.type_text("mall");
            d.press(enter());
            assert_eq!(d.model.feed.shown_len(), 1);
        }
        _ => {}
    }
    d.effects.clear();
}

/// The motion a moving command makes.
fn motion_of(action: Command) -> Motion {
    match action {
        Command::Up => Motion::Up,
        Command::Down => Motion::Down,
        Command::PageUp => Motion::PageUp,
        Command::PageDown => Motion::PageDown,
        Command::HalfPageUp => Motion::HalfUp,
        Command::HalfPageDown => Motion::HalfDown,
        Command::Top => Motion::Top,
        Command::Bottom => Motion::Bottom,
        other => panic!("{other:?} is not a moving command"),
    }
}

/// What `action` must have done from `b` to `a` with effects `fx`.
fn check(action: Command, ctx: Context, setup: &str, b: &Model, a: &Model, fx: &[Effect]) {
    let what = format!("{action:?} in {setup}");
    let none = |fx: &[Effect]| assert!(fx.is_empty(), "{what}: {fx:?}");
    // A change shown for confirmation starts its checks, and only them.
    let asks = |fx: &[Effect]| match (fx, &a.overlay) {
        ([Effect::Preflight { req, op, pairs }], Overlay::Confirm(p)) => {
            assert_eq!(p.checks, Checks::Running { req: *req }, "{what}");
            assert_eq!((*op, pairs), (p.op, &p.pairs), "{what}");
        }
        _ => panic!("{what}: {fx:?} with {:?}", a.overlay),
    };
    let journal_ctx = matches!(ctx, Context::Journal | Context::JournalItems);
    let history = |m: &Model| match &m.overlay {
        Overlay::History(v) => v.clone(),
        other => panic!("{what}: no history: {other:?}"),
    };
    match action {
        Command::ShowHistory => {
            let req = b.history_req + 1;
            let account = b.history_subject().expect("a subject");
            assert_eq!(
                fx,
                [Effect::History {
                    req,
                    account: account.clone()
                }],
                "{what}"
            );
            // The account at the cursor: the row, the feed's change (who made it), the
            // inspector's second user, the history line's other account.
            let want = match (&b.overlay, ctx) {
                (Overlay::Inspector(i), _) => i.b.as_str().to_owned(),
                (Overlay::History(v), _) => v.current().unwrap().other.clone(),
                (_, Context::Feed) => b
                    .feed
                    .selected()
                    .unwrap()
                    .change()
                    .unwrap()
                    .raw
                    .from
                    .clone(),
                (_, Context::Table) => current(b).to_owned(),
                _ => "alice".to_owned(),
            };
            assert_eq!(account.as_str(), want, "{what}");
            let v = history(a);
            assert_eq!((v.req, &v.load), (req, &HistoryLoad::Loading), "{what}");
            assert_eq!(
                v.back.is_some(),
                matches!(b.overlay, Overlay::Inspector(_) | Overlay::History(_)),
                "{what}"
            );
        }
        Command::ClearFilter => {
            none(fx);
            assert!(
                !b.feed.filter.is_empty() && a.feed.filter.is_empty(),
                "{what}"
            );
            assert_eq!(a.feed.shown_len(), a.feed.lines.len(), "{what}");
        }
        Command::LookUpLine => {
            // Enter on a history line: its other account looked up, the history closed.
            let other = history(b).current().unwrap().other.clone();
            assert_eq!(
                fx,
                [Effect::Lookup {
                    req: b.lookup_req + 1,
                    user: id(&other)
                }],
                "{what}"
            );
            assert!(matches!(a.overlay, Overlay::None), "{what}");
            assert_eq!(a.focus, Focus::Blocklist, "{what}");
        }
        Command::Close if ctx == Context::History => {
            none(fx);
            match history(b).back {
                Some(_) => assert!(matches!(a.overlay, Overlay::Inspector(_)), "{what}"),
                None => assert!(matches!(a.overlay, Overlay::None), "{what}"),
            }
        }
        Command::Refresh if ctx == Context::History => {
            let (bv, av) = (history(b), history(a));
            assert_eq!(
                fx,
                [Effect::History {
                    req: b.history_req + 1,
                    account: bv.account.clone()
                }],
                "{what}"
            );
            // What it shows stays until the answer.
            assert_eq!(av.load, HistoryLoad::Loading, "{what}");
            assert_eq!(av.lines, bv.lines, "{what}");
            assert_eq!(a.list.rows, b.list.rows, "{what}: the table is left alone");
        }
        Command::Up
        | Command::Down
        | Command::Top
        | Command::Bottom
        | Command::PageUp
        | Command::PageDown
        | Command::HalfPageUp
        | Command::HalfPageDown
            if ctx == Context::History =>
        {
            none(fx);
            let (bv, av) = (history(b), history(a));
            let rows = b.history_rows();
            let want = motion_of(action).apply(bv.scroll.cursor, bv.lines.len(), rows);
            assert_ne!(want, bv.scroll.cursor, "{what}: the key should move");
            assert_eq!(av.scroll.cursor, want, "{what}");
            assert!(av.window(rows).contains(&want), "{what}");
            assert_eq!(a.list.cursor(), b.list.cursor(), "{what}");
        }
        Command::Filter if ctx == Context::Feed => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::Filter(_)), "{what}");
            assert_eq!(a.focus, Focus::Feed, "{what}");
        }
        Command::Journal => {
            assert_eq!(
                fx,
                [Effect::LoadJournal {
                    req: b.journal_req + 1,
                    limit: 500
                }],
                "{what}"
            );
            assert!(a.journal.is_some(), "{what}");
        }
        Command::UndoBatch => {
            asks(fx);
            let batch = b.journal.as_ref().and_then(|j| j.selected()).unwrap();
            assert!(
                matches!(&a.overlay, Overlay::Confirm(p)
                    if Some(p.op) == batch.op().inverse() && p.pairs == batch.changed
                        && !p.pairs.is_empty()),
                "{what}: {:?}",
                a.overlay
            );
        }
        Command::Close if journal_ctx => {
            none(fx);
            let (bj, aj) = (b.journal.as_ref().unwrap(), a.journal.as_ref());
            if bj.items.is_some() {
                let aj = aj.expect("back to the list");
                assert!(aj.items.is_none(), "{what}");
                assert_eq!(aj.scroll.cursor, bj.scroll.cursor, "{what}");
            } else {
                assert!(aj.is_none(), "{what}");
            }
        }
        Command::Open if journal_ctx => {
            none(fx);
            let items = a.journal.as_ref().unwrap().items.as_ref().expect("{what}");
            let current = b.journal.as_ref().unwrap().current().unwrap();
            assert_eq!(items.id, current.state.id().as_str(), "{what}");
            assert_eq!(items.lines.len(), current.counts.total, "{what}");
        }
        Command::Sort if journal_ctx => {
            none(fx);
            let (bj, aj) = (b.journal.as_ref().unwrap(), a.journal.as_ref().unwrap());
            assert_eq!(aj.sort, bj.sort.next(), "{what}");
            assert_eq!(a.list.sort, b.list.sort, "{what}");
            assert_eq!(
                aj.current().map(|x| x.state.id()),
                bj.current().map(|x| x.state.id()),
                "{what}"
            );
        }
        Command::Filter if journal_ctx => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::Filter(_)), "{what}");
            assert_eq!(a.focus, b.focus, "{what}");
        }
        Command::Refresh if journal_ctx => {
            let j = b.journal.as_ref().unwrap();
            match &j.items {
                Some(items) => assert_eq!(
                    fx,
                    [Effect::LoadJournalBatch {
                        req: b.journal_req + 1,
                        id: items.id.clone()
                    }],
                    "{what}"
                ),
                None => assert_eq!(
                    fx,
                    [Effect::LoadJournal {
                        req: b.journal_req + 1,
                        limit: 500
                    }],
                    "{what}"
                ),
            }
            assert_eq!(a.list.rows, b.list.rows, "{what}: the table is left alone");
        }
        Command::Up
        | Command::Down
        | Command::Top
        | Command::Bottom
        | Command::PageUp
        | Command::PageDown
        | Command::HalfPageUp
        | Command::HalfPageDown
            if ctx == Context::Journal =>
        {
            none(fx);
            let (bj, aj) = (b.journal.as_ref().unwrap(), a.journal.as_ref().unwrap());
            let want = motion_of(action).apply(bj.scroll.cursor, bj.view.len(), b.journal_rows());
            assert_ne!(want, bj.scroll.cursor, "{what}: the key should move");
            assert_eq!(aj.scroll.cursor, want, "{what}");
            assert!(aj.window(a.journal_rows()).contains(&want), "{what}");
            assert_eq!(a.list.cursor(), b.list.cursor(), "{what}");
        }
        Command::Up
        | Command::Down
        | Command::Top
        | Command::Bottom
        | Command::PageUp
        | Command::PageDown
        | Command::HalfPageUp
        | Command::HalfPageDown
            if ctx == Context::JournalItems =>
        {
            none(fx);
            let bi = b.journal.as_ref().unwrap().items.as_ref().unwrap();
            let ai = a.journal.as_ref().unwrap().items.as_ref().unwrap();
            let (len, rows) = (bi.lines.len(), b.journal_item_rows());
            let mut want = bi.scroll;
            want.scroll(motion_of(action), len, rows);
            assert_eq!(
                ai.scroll.window(len, rows),
                want.window(len, rows),
                "{what}"
            );
            assert_eq!(a.list.cursor(), b.list.cursor(), "{what}");
        }
        Command::Quit | Command::Interrupt => {
            assert_eq!(fx, [Effect::Quit], "{what}");
            assert!(a.should_quit, "{what}");
        }
        Command::FocusNext => {
            none(fx);
            assert_eq!(a.focus, b.focus.next(), "{what}");
        }
        Command::FocusPrev => {
            none(fx);
            assert_eq!(a.focus, b.focus.prev(), "{what}");
        }
        Command::Help => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::Help(_)), "{what}");
        }
        Command::Palette => {
            none(fx);
            assert!(
                matches!(&a.overlay, Overlay::Palette(p) if p.input.value().is_empty()),
                "{what}"
            );
        }
        Command::Filter => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::Filter(_)), "{what}");
            assert_eq!(a.focus, Focus::Blocklist, "{what}");
        }
        Command::Up
        | Command::Down
        | Command::Top
        | Command::Bottom
        | Command::PageUp
        | Command::PageDown
        | Command::HalfPageUp
        | Command::HalfPageDown
            if ctx == Context::Activity =>
        {
            none(fx);
            // The cursor moves; the window keeps it in sight and follows the end from the newest
            // line.
            let rows = b.bands().activity_rows();
            let len = b.activity.lines.len();
            assert!(len > rows + 3, "{what}: {len} activity lines");
            let c = b.activity.scroll.log_cursor(len).unwrap();
            let want = motion_of(action).apply(c, len, rows);
            assert_ne!(want, c, "{what}: the key should move from {c}");
            assert_eq!(a.activity.scroll.log_cursor(len), Some(want), "{what}");
            assert!(
                a.activity.scroll.window(len, rows).contains(&want),
                "{what}"
            );
            assert_eq!(a.activity.scroll.tail, want + 1 == len, "{what}");
            assert_eq!(a.list.cursor(), b.list.cursor(), "{what}");
        }
        Command::Up
        | Command::Down
        | Command::Top
        | Command::Bottom
        | Command::PageUp
        | Command::PageDown
        | Command::HalfPageUp
        | Command::HalfPageDown
            if matches!(ctx, Context::Entry | Context::Inspector) =>
        {
            // A popup longer than the screen scrolls; the keys never leave it.
            none(fx);
            let (before, after, (len, rows)) = match (&b.overlay, &a.overlay) {
                (Overlay::Entry(x), Overlay::Entry(y)) => {
                    (x.scroll, y.scroll, blockdeck::ui::entry_layout(b, x))
                }
                (Overlay::Inspector(x), Overlay::Inspector(y)) => {
                    (x.scroll, y.scroll, blockdeck::ui::inspector_layout(b, x))
                }
                other => panic!("{what}: {other:?}"),
            };
            let mut want = before;
            want.scroll(motion_of(action), len, rows);
            assert_eq!(after.window(len, rows), want.window(len, rows), "{what}");
            if setup.ends_with("/long") {
                assert!(len > rows, "{what}: {len} lines in {rows}");
            }
        }
        Command::Up
        | Command::Down
        | Command::Top
        | Command::Bottom
        | Command::PageUp
        | Command::PageDown
        | Command::HalfPageUp
        | Command::HalfPageDown
            if ctx == Context::Help =>
        {
            // The help scrolls by item and stays open.
            none(fx);
            let (Overlay::Help(before), Overlay::Help(after)) = (&b.overlay, &a.overlay) else {
                panic!("{what}: {:?}", a.overlay);
            };
            let rows = b.help_rows();
            let last = blockdeck::app::help::items(&Default::default(), false) - 1;
            let want = match action {
                Command::Up => before.offset - 1,
                Command::Down => before.offset + 1,
                Command::Top => 0,
                Command::Bottom => last,
                Command::PageUp => before.offset.saturating_sub(rows),
                Command::HalfPageUp => before.offset.saturating_sub(rows / 2),
                Command::HalfPageDown => (before.offset + rows / 2).min(last),
                _ => (before.offset + rows).min(last),
            };
            assert_eq!(after.offset, want, "{what}");
        }
        Command::Up
        | Command::Down
        | Command::Top
        | Command::Bottom
        | Command::PageUp
        | Command::PageDown
        | Command::HalfPageUp
        | Command::HalfPageDown
            if ctx == Context::Feed =>
        {
            // What these keys move with the feed focused is the subject of
            // `movement_keys_with_the_feed_focused_leave_the_table_alone`.
            none(fx);
            assert_eq!(a.focus, Focus::Feed, "{what}");
            assert!(matches!(a.overlay, Overlay::None), "{what}");
        }
        Command::Up
        | Command::Down
        | Command::Top
        | Command::Bottom
        | Command::PageUp
        | Command::PageDown
        | Command::HalfPageUp
        | Command::HalfPageDown
        | Command::NextPage
        | Command::PrevPage => {
            none(fx);
            let rows = b.bands().table_rows();
            let len = b.list.view.len();
            let c = b.list.cursor();
            let want = match action {
                Command::NextPage => ((c / PAGE_ROWS + 1).min(b.list.pages() - 1)) * PAGE_ROWS,
                Command::PrevPage => (c / PAGE_ROWS).saturating_sub(1) * PAGE_ROWS,
                moving => motion_of(moving).apply(c, len, rows),
            };
            if setup == "table" {
                // Row 150 of 250: every key moves.
                let moved = [Command::NextPage, Command::PrevPage].contains(&action) || want != c;
                assert!(moved, "{what}: the key should move");
            }
            assert_eq!(a.list.cursor(), want, "{what}");
            assert_scroll_valid(a);
        }
        Command::Mark => {
            none(fx);
            let row = b.list.current().unwrap().to.clone();
            assert!(
                !b.list.marks.contains(&row) && a.list.marks.contains(&row),
                "{what}"
            );
            assert_eq!(a.list.marks.len(), b.list.marks.len() + 1, "{what}");
            assert_eq!(a.list.cursor(), b.list.cursor() + 1, "{what}");
        }
        Command::MarkRange => {
            none(fx);
            assert_eq!(
                (b.list.anchor, a.list.anchor),
                (None, Some(b.list.cursor())),
                "{what}"
            );
        }
        Command::MarkAll => {
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
        Command::ClearMarks => {
            none(fx);
            assert!(
                !b.list.marks.is_empty() && b.list.anchor.is_some(),
                "{what}"
            );
            assert!(a.list.marks.is_empty() && a.list.anchor.is_none(), "{what}");
        }
        Command::Unblock => {
            asks(fx);
            let owner = b.list.owner.clone().unwrap();
            let want: Vec<Pair> = b
                .list
                .targets()
                .into_iter()
                .map(|row| match b.list.kind {
                    // A table of blockers: the owner off each one's list.
                    ListKind::Blockers => Pair::new(row, owner.clone()),
                    ListKind::Blocklist => Pair::new(owner.clone(), row),
                })
                .collect();
            assert!(!want.is_empty());
            assert!(
                matches!(&a.overlay, Overlay::Confirm(p) if p.op == Operation::Unblock && p.pairs == want),
                "{what}: {:?}",
                a.overlay
            );
        }
        Command::Block if b.list.kind == ListKind::Blockers => {
            // Blockers have lists of their own: b says how to block for one of them.
            none(fx);
            assert!(matches!(a.overlay, Overlay::None), "{what}");
            let notice = a.notice.as_deref().unwrap_or_default();
            assert!(
                notice.contains("Enter opens a blocker's list"),
                "{what}: {notice}"
            );
        }
        Command::Block => {
            none(fx);
            assert!(
                matches!(&a.overlay, Overlay::BlockPrompt { input, error: None } if input.value().is_empty()),
                "{what}"
            );
        }
        Command::Refresh if b.list.kind == ListKind::Blockers => {
            // The reverse lookup again, over the same candidates, in the table's place.
            let r = b.reverse.as_ref().unwrap();
            assert_eq!(
                fx,
                [Effect::FindBlockers {
                    req: b.side_req + 1,
                    target: id("alice"),
                    candidates: r.candidates.clone().unwrap()
                }],
                "{what}"
            );
            assert!(a.list.loading && a.list.rows.is_empty(), "{what}");
            assert_eq!(a.back.len(), b.back.len(), "{what}");
        }
        Command::Refresh => {
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
        Command::RetryFailed => {
            asks(fx);
            // The item not sent is retried; the one that failed for good (30003) is not, and the
            // confirmation says so.
            let last = b.last.as_ref().unwrap();
            let want = last.retryable_pairs();
            assert_eq!((want.len(), last.failed_pairs().len()), (1, 2));
            assert!(
                matches!(&a.overlay, Overlay::Confirm(p) if p.op == last.op && p.pairs == want
                    && p.warning.as_deref().is_some_and(|w| w.contains("permanent"))),
                "{what}: {:?}",
                a.overlay
            );
        }
        Command::Undo => {
            asks(fx);
            let last = b.last.as_ref().unwrap();
            assert!(
                matches!(&a.overlay, Overlay::Confirm(p)
                    if Some(p.op) == last.op.inverse() && p.pairs == last.done && p.warning.is_some()),
                "{what}: {:?}",
                a.overlay
            );
        }
        Command::Sort => {
            none(fx);
            assert_eq!(a.list.sort, b.list.sort.next_for(b.list.kind), "{what}");
            assert_eq!(current(a), current(b), "{what}");
        }
        Command::ShowResult => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::Result), "{what}");
        }
        Command::Submit => match (&b.overlay, setup) {
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
                asks(fx);
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
        Command::HistoryPrev if ctx == Context::Typing => {
            none(fx);
            match &b.overlay {
                // The filter kept before, in place of the text typed, and applied.
                Overlay::Filter(_) => {
                    assert!(
                        matches!(&a.overlay, Overlay::Filter(i) if i.value() == b.filter_recall),
                        "{what}: {:?}",
                        a.overlay
                    );
                    assert_eq!(a.list.filter, b.filter_recall, "{what}");
                }
                _ => {
                    let notice = a.notice.as_deref().unwrap_or_default();
                    assert!(notice.contains("recalls"), "{what}: {notice}");
                }
            }
        }
        Command::HistoryPrev => {
            none(fx);
            assert_eq!(a.lookup.value(), b.history.last().unwrap(), "{what}");
        }
        Command::HistoryNext => {
            none(fx);
            assert_eq!(a.lookup.value(), "alice", "{what}");
        }
        Command::Yes => match &b.overlay {
            // The checks are still running: y waits for them, and says so.
            Overlay::Confirm(p) if matches!(p.checks, Checks::Running { .. }) => {
                none(fx);
                assert!(matches!(a.overlay, Overlay::Confirm(_)), "{what}");
                let notice = a.notice.as_deref().unwrap_or_default();
                assert!(notice.contains("being checked"), "{what}: {notice}");
            }
            Overlay::Confirm(p) => {
                assert_eq!(
                    fx,
                    [Effect::RunBatch {
                        id: b.batch_seq + 1,
                        op: p.op,
                        pairs: p.to_send(),
                        resume: p.resume.clone(),
                        approval: p.approval.clone(),
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
        Command::Reason | Command::NameProtected if matches!(b.overlay, Overlay::QuitConfirm) => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::QuitConfirm), "{what}");
        }
        Command::Reason => {
            none(fx);
            assert!(
                matches!(&a.overlay, Overlay::Confirm(p) if p.typing == Some(ConfirmLine::Reason)),
                "{what}"
            );
        }
        Command::NameProtected => {
            none(fx);
            let held = matches!(&b.overlay, Overlay::Confirm(p) if !p.protected.is_empty());
            let Overlay::Confirm(p) = &a.overlay else {
                panic!("{what}: {:?}", a.overlay);
            };
            assert_eq!(p.typing == Some(ConfirmLine::Include), held, "{what}");
            if !held {
                assert!(a.notice.is_some(), "{what}: says why not");
            }
        }
        Command::No => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::None), "{what}");
            assert_eq!(a.running.is_some(), b.running.is_some(), "{what}");
        }
        Command::Open => {
            // The line at the cursor, whole.
            none(fx);
            let Overlay::Entry(entry) = &a.overlay else {
                panic!("{what}: {:?}", a.overlay);
            };
            let words: Vec<&str> = entry.paragraphs.iter().map(|(_, t)| t.as_str()).collect();
            if ctx == Context::Feed {
                let len = b.feed.lines.len();
                let line = b.feed.lines[b.feed.scroll.log_cursor(len).unwrap()]
                    .change()
                    .unwrap();
                assert!(entry.title.starts_with("Change"), "{what}: {}", entry.title);
                assert_eq!(words[0], format!("{} {} {}", line.from, line.verb, line.to));
            } else {
                let len = b.activity.lines.len();
                let line = &b.activity.lines[b.activity.scroll.log_cursor(len).unwrap()];
                assert!(
                    entry.title.starts_with("Activity"),
                    "{what}: {}",
                    entry.title
                );
                assert_eq!(words, [line.text.as_str()], "{what}");
            }
        }
        Command::Close => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::None), "{what}");
        }
        Command::OpenRow => {
            // The row's account looked up; the place left kept to come back to.
            let row = b.list.current().unwrap().to.clone();
            assert_eq!(
                fx,
                [Effect::Lookup {
                    req: b.lookup_req + 1,
                    user: row.clone()
                }],
                "{what}"
            );
            assert_eq!(a.list.owner.as_ref(), Some(&row), "{what}");
            assert_eq!(a.list.kind, ListKind::Blocklist, "{what}");
            assert_eq!(a.back.len(), b.back.len() + 1, "{what}");
            let kept = a.back.last().unwrap();
            assert_eq!(kept.list.owner, b.list.owner, "{what}");
            assert_eq!(kept.list.cursor(), b.list.cursor(), "{what}");
            assert_eq!(kept.list.marks, b.list.marks, "{what}");
            assert_eq!(a.path().last().unwrap(), row.as_str(), "{what}");
        }
        Command::Back => {
            none(fx);
            if b.list.anchor.is_some() {
                assert!(a.list.anchor.is_none(), "{what}");
                assert_eq!(a.list.marks, b.list.marks, "{what}: nothing marked");
            } else if !b.list.filter.is_empty() {
                assert!(a.list.filter.is_empty(), "{what}");
                assert_eq!(a.list.last_filter, b.list.filter, "{what}");
            } else if let Some(place) = b.back.last() {
                assert_eq!(a.back.len(), b.back.len() - 1, "{what}");
                assert_eq!(a.list.owner, place.list.owner, "{what}");
                assert_eq!(a.list.kind, place.list.kind, "{what}");
                assert_eq!(a.list.cursor(), place.list.cursor(), "{what}");
                assert_eq!(a.list.marks, place.list.marks, "{what}");
            } else {
                let notice = a.notice.as_deref().unwrap_or_default();
                assert!(notice.contains("nothing to go back to"), "{what}: {notice}");
            }
        }
        Command::CancelLine => {
            none(fx);
            assert!(matches!(a.overlay, Overlay::None), "{what}");
            if let Overlay::Filter(_) = b.overlay {
                assert!(a.list.filter.is_empty(), "{what}");
                assert_eq!(a.list.view.len(), a.list.rows.len(), "{what}");
            }
        }
        Command::Complete => {
            // `user carol_91` names an ID on screen whole: Tab puts a space after it.
            none(fx);
            assert!(
                matches!(&a.overlay, Overlay::Palette(p) if p.input.value() == "user carol_91 "),
                "{what}: {:?}",
                a.overlay
            );
        }
        Command::CancelBatch => {
            assert_eq!(fx, [Effect::CancelBatch], "{what}");
            assert!(a.running.as_ref().unwrap().cancelling, "{what}");
        }
        Command::Inspect => {
            let req = b.side_req + 1;
            let row = b.list.current().unwrap().to.clone();
            // A blocker is A, the account it blocks B.
            let (pa, pb) = match b.list.kind {
                ListKind::Blockers => (row.clone(), id("alice")),
                ListKind::Blocklist => (id("alice"), row.clone()),
            };
            assert_eq!(
                fx,
                [Effect::Inspect {
                    req,
                    a: pa.clone(),
                    b: pb.clone()
                }],
                "{what}"
            );
            assert_eq!(a.side_req, req, "{what}");
            assert!(
                matches!(&a.overlay, Overlay::Inspector(i)
                    if *i == Inspector { req, a: pa, b: pb, result: None, scroll: Scroll::default() }),
                "{what}: {:?}",
                a.overlay
            );
        }
        Command::FindBlockers => {
            let req = b.side_req + 1;
            // From a blocklist: its rows and the friends; on a table of blockers: the same
            // candidates again, in its place.
            let candidates = match &b.reverse {
                Some(r) if b.list.kind == ListKind::Blockers => r.candidates.clone().unwrap(),
                _ => Candidates::FriendsAnd(b.list.rows.iter().map(|r| r.to.clone()).collect()),
            };
            assert_eq!(
                fx,
                [Effect::FindBlockers {
                    req,
                    target: id("alice"),
                    candidates
                }],
                "{what}"
            );
            let v = a.reverse.as_ref().expect("the reverse lookup");
            assert!(
                v.req == req && v.target == id("alice") && !v.done && v.found.is_empty(),
                "{what}: {v:?}"
            );
            assert_eq!(a.list.kind, ListKind::Blockers, "{what}");
            assert!(a.list.rows.is_empty(), "{what}");
            let pushed = usize::from(b.list.kind == ListKind::Blocklist);
            assert_eq!(a.back.len(), b.back.len() + pushed, "{what}");
        }
        Command::Copy => match b.clip() {
            Ok(clip) => {
                assert_eq!(fx, [Effect::Copy(clip.text.clone())], "{what}");
                assert!(
                    !clip
                        .text
                        .chars()
                        .any(|c| c != '\n' && is_unsafe(c) && c != '\\'),
                    "{what}: {:?}",
                    clip.text
                );
                let said = &a.activity.last().unwrap().text;
                assert!(
                    said.starts_with("copied ") && said.contains("OSC 52"),
                    "{what}: {said}"
                );
            }
            Err(why) => {
                none(fx);
                let notice = a.notice.as_deref().unwrap_or_default();
                assert!(notice.contains(&why), "{what}: {notice}");
            }
        },
        Command::Export => {
            none(fx);
            {
                let want = match setup {
                    "table" => ExportWhat::List,
                    // The activity pane exports the last batch when there is one (there is here).
                    "result" | "activity" => ExportWhat::Batch,
                    "feed" => ExportWhat::Feed,
                    "blockers/done" => ExportWhat::Blockers,
                    other => panic!("{what}: unexpected setup {other}"),
                };
                assert!(
                    matches!(&a.overlay, Overlay::Export { input, what, error: None }
                        if *what == want && input.value().ends_with(".csv")),
                    "{what}: {:?}",
                    a.overlay
                );
            }
        }
        Command::Lookup | Command::Watch | Command::Resume => {
            panic!("{what}: {action:?} has no key, only a command line name");
        }
        Command::UnblockAB | Command::UnblockBA => {
            let Overlay::Inspector(i) = &b.overlay else {
                panic!("{what}: {:?}", b.overlay);
            };
            let ab = action == Command::UnblockAB;
            match &i.result {
                Some(Ok(seen)) => {
                    let (from, to, blocks) = if ab {
                        (&i.a, &i.b, seen.a_blocks_b)
                    } else {
                        (&i.b, &i.a, seen.b_blocks_a)
                    };
                    if blocks {
                        asks(fx);
                        let want = vec![Pair::new(from.clone(), to.clone())];
                        assert!(
                            matches!(&a.overlay, Overlay::Confirm(p)
                                if p.op == Operation::Unblock && p.pairs == want),
                            "{what}: {:?}",
                            a.overlay
                        );
                    } else {
                        none(fx);
                        assert_eq!(
                            format!("{:?}", a.overlay),
                            format!("{:?}", b.overlay),
                            "{what}"
                        );
                        let last = a.activity.last().unwrap();
                        assert!(
                            last.text.contains("nothing to unblock"),
                            "{what}: {}",
                            last.text
                        );
                    }
                }
                // Nothing to act on before the answer: it says so.
                _ => {
                    none(fx);
                    assert_eq!(
                        format!("{:?}", a.overlay),
                        format!("{:?}", b.overlay),
                        "{what}"
                    );
                    let notice = a.notice.as_deref().unwrap_or_default();
                    assert!(notice.contains("inspector"), "{what}: {notice}");
                }
            }
        }
    }
    if action != Command::Yes {
        assert!(no_mutation(fx), "{what}: {fx:?}");
    }
    assert!(
        !a.should_quit || matches!(action, Command::Quit | Command::Interrupt),
        "{what}"
    );
}

#[test]
fn every_binding_of_the_command_table_works_in_every_one_of_its_contexts() {
    let mut tried = 0;
    let mut commands = BTreeSet::new();
    for (spec, binding) in command::bindings() {
        for &ctx in binding.contexts {
            for (setup, d0) in in_context(ctx) {
                for &(code, mods) in binding.keys {
                    let k = KeyEvent::new(code, mods);
                    let mut d = d0.clone();
                    prepare(spec.command, ctx, &mut d);
                    let ctxs = contexts(&d.model);
                    assert!(ctxs.contains(&ctx), "{setup}: {ctxs:?} lacks {ctx:?}");
                    assert_eq!(
                        command::resolve(&Default::default(), &ctxs, &k),
                        Some(spec.command),
                        "{} ({:?}) in {setup}",
                        binding.label,
                        code
                    );
                    let before = d.model.clone();
                    let fx = d.press(k);
                    check(spec.command, ctx, setup, &before, &d.model, &fx);
                    tried += 1;
                    commands.insert(format!("{:?}", spec.command));
                }
            }
        }
    }
    // Every command with a key was pressed.
    let all: BTreeSet<String> = command::bindings()
        .map(|(spec, _)| format!("{:?}", spec.command))
        .collect();
    assert_eq!(commands, all);
    assert!(tried > 60, "{tried}");
}

#[test]
fn read_only_refuses_every_mutating_key_in_every_context_and_says_why() {
    for (spec, binding) in command::bindings().filter(|(s, _)| s.mutates) {
        for &ctx in binding.contexts {
            for (setup, mut d) in in_context(ctx) {
                d.model.read_only = true;
                for &(code, mods) in binding.keys {
                    let k = KeyEvent::new(code, mods);
                    let mut d = d.clone();
                    let before = d.model.clone();
                    assert!(d.press(k).is_empty());
                    assert_eq!(
                        format!("{:?}", d.model.overlay),
                        format!("{:?}", before.overlay),
                        "{} in {setup}",
                        binding.label
                    );
                    // Not silence: the bottom line and the log say read-only mode refused it.
                    let notice = d.model.notice.clone().unwrap_or_default();
                    assert!(
                        notice.contains("read-only mode") && notice.contains(spec.short),
                        "{} in {setup}: {notice:?}",
                        binding.label
                    );
                    assert!(d.logged("read-only mode"), "{} in {setup}", binding.label);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The relationship inspector

/// Every string of an inspection, for the screen.
fn inspection_strings(i: &Inspection) -> Vec<&str> {
    let mut out = vec![
        i.a_shown.as_str(),
        i.b_shown.as_str(),
        i.friendship.as_str(),
    ];
    out.extend(i.a_nick.as_deref());
    out.extend(i.b_nick.as_deref());
    for v in [
        &i.a_messages_b,
        &i.b_messages_a,
        &i.a_requests_b,
        &i.b_requests_a,
    ] {
        out.push(v.why.as_str());
    }
    out.extend(i.notes.iter().map(String::as_str));
    out
}

/// A verdict as the inspector shows it.
fn shown(v: &Verdict) -> VerdictLine {
    VerdictLine {
        allowed: v.allowed,
        why: sanitize(&v.why).into_owned(),
    }
}

/// The inspection shown, once answered.
fn seen(d: &Dash) -> &Inspection {
    match &d.inspector().expect("the inspector").result {
        Some(Ok(i)) => i,
        other => panic!("{other:?}"),
    }
}

#[test]
fn i_on_a_row_inspects_the_looked_up_user_and_the_row_with_a_fresh_request() {
    let mut d = Dash::alice(20);
    d.press_n(ch('j'), 2);
    assert_eq!(current(&d.model), "evil_osc");
    assert_eq!(
        d.press(ch('i')),
        vec![Effect::Inspect {
            req: 1,
            a: id("alice"),
            b: id("evil_osc")
        }]
    );
    assert_eq!(
        d.inspector(),
        Some(&Inspector {
            req: 1,
            a: id("alice"),
            b: id("evil_osc"),
            result: None,
            scroll: Scroll::default(),
        })
    );
    assert_eq!(contexts(&d.model), [Context::Inspector]);
    // Table keys do nothing under the inspector.
    for k in [ch('j'), ch('i'), ch(' '), ch('w')] {
        assert!(d.press(k).is_empty(), "{:?}", k.code);
    }
    assert_eq!(d.model.list.cursor(), 2);
    assert!(d.model.list.marks.is_empty());
    assert_eq!(d.inspector().unwrap().req, 1);

    // Closed and opened again on the next row: a new request.
    assert!(d.press(esc()).is_empty());
    assert!(matches!(d.model.overlay, Overlay::None));
    d.press(ch('j'));
    assert_eq!(
        d.press(ch('i')),
        vec![Effect::Inspect {
            req: 2,
            a: id("alice"),
            b: id("evil_bidi")
        }]
    );
    assert_eq!(d.model.side_req, 2);
    // Looking around is allowed in read-only mode.
    let mut d = Dash::read_only();
    d.load("alice", 20);
    assert!(matches!(
        d.press(ch('i')).as_slice(),
        [Effect::Inspect { req: 1, .. }]
    ));
}

#[test]
fn i_without_a_row_does_nothing() {
    let mut d = Dash::new();
    d.focus(Focus::Blocklist);
    assert!(d.press(ch('i')).is_empty());
    assert!(matches!(d.model.overlay, Overlay::None));
    // An empty list, or a filter that hides every row.
    let mut d = Dash::alice(0);
    assert!(d.press(ch('i')).is_empty());
    let mut d = Dash::alice(20);
    d.press(ch('/'));
    d.type_text("no such user");
    d.press(enter());
    assert!(d.press(ch('i')).is_empty());
    assert!(matches!(d.model.overlay, Overlay::None));
    assert_eq!(d.model.side_req, 0);
}

#[test]
fn inspect_command_inspects_any_two_users() {
    let mut d = Dash::new();
    d.focus(Focus::Blocklist);
    assert_eq!(
        d.command("inspect mallory @RBT#support"),
        vec![Effect::Inspect {
            req: 1,
            a: id("mallory"),
            b: id("@RBT#support")
        }]
    );
    assert_eq!(
        d.inspector(),
        Some(&Inspector {
            req: 1,
            a: id("mallory"),
            b: id("@RBT#support"),
            result: None,
            scroll: Scroll::default(),
        })
    );
    // The next one is a new request.
    d.press(esc());
    assert!(matches!(
        d.command("inspect trent mallory").as_slice(),
        [Effect::Inspect { req: 2, .. }]
    ));

    // One ID is compared with the looked-up user.
    let mut d = Dash::alice(20);
    assert_eq!(
        d.command("inspect bob"),
        [Effect::Inspect {
            req: 1,
            a: id("alice"),
            b: id("bob")
        }]
    );

    let long = format!("inspect bob {}", too_long());
    for (line, needle) in [
        ("inspect bob bob", "two different users"),
        ("inspect alice", "another user"),
        (long.as_str(), "33 bytes"),
        ("inspect 李 bob", "non-ASCII"),
        ("inspect bob carol dave", "one or two UserIDs"),
    ] {
        let mut d = Dash::alice(20);
        assert!(d.command(line).is_empty(), "{line}");
        assert_eq!(d.model.side_req, 0, "{line}");
        let error = d.palette_error().unwrap_or_else(|| panic!("{line}"));
        assert!(error.contains(needle), "{line}: {error}");
    }
}

#[test]
fn the_answer_is_shown_sanitized_with_the_verdicts_of_the_rules() {
    let mut d = Dash::alice(20);
    d.press_n(ch('j'), 3);
    let req = d.inspect_row();
    let mut rel = relationship("alice", "evil_bidi", true, false);
    rel.a_nick = Some(EVIL_OSC_NICK.into());
    rel.b_nick = Some(EVIL_BIDI_NICK.into());
    rel.a_has_b = true;
    rel.b_forbid_send = true;
    assert!(
        d.send(Msg::Inspected {
            req,
            result: Ok(rel.clone())
        })
        .is_empty()
    );
    let i = seen(&d);
    let c = consequences(&rel);
    assert_eq!(i.a_messages_b, shown(&c.a_messages_b));
    assert_eq!(i.b_messages_a, shown(&c.b_messages_a));
    assert_eq!(i.a_requests_b, shown(&c.a_requests_b));
    assert_eq!(i.b_requests_a, shown(&c.b_requests_a));
    let notes: Vec<String> = c.notes.iter().map(|n| sanitize(n).into_owned()).collect();
    assert_eq!(i.notes, notes);
    // Only alice blocks: she can message evil_bidi, not the other way; no requests either way.
    let allowed = [
        i.a_messages_b.allowed,
        i.b_messages_a.allowed,
        i.a_requests_b.allowed,
        i.b_requests_a.allowed,
    ];
    assert_eq!(allowed, [true, false, false, false]);
    assert_eq!(
        (i.a_shown.as_str(), i.b_shown.as_str()),
        ("alice", "evil_bidi")
    );
    assert_eq!(i.a_nick.as_deref(), Some("\\u{1b}]0;pwned\\u{7}x"));
    assert_eq!(i.b_nick.as_deref(), Some("\\u{202e}nimda\\u{202c}"));
    assert!(i.a_exists && i.b_exists && i.a_blocks_b && !i.b_blocks_a);
    assert_eq!(i.friendship, "alice has evil_bidi as a friend (one way)");
    for text in inspection_strings(i) {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(!text.chars().any(|c| c != '\\' && is_unsafe(c)), "{text:?}");
    }

    // An ID with a backslash is escaped wherever it is shown, verdicts included.
    let mut d = Dash::new();
    d.focus(Focus::Blocklist);
    d.command("inspect a\\b carol_91");
    let mut rel = relationship("a\\b", "carol_91", true, true);
    rel.a_has_b = true;
    rel.b_has_a = true;
    d.send(Msg::Inspected {
        req: 1,
        result: Ok(rel.clone()),
    });
    let i = seen(&d);
    assert_eq!(i.a_shown, "a\\\\b");
    assert_eq!(i.friendship, "mutual friends");
    assert_eq!(i.a_messages_b, shown(&consequences(&rel).a_messages_b));
    assert!(
        i.a_messages_b.why.contains("a\\\\b"),
        "{}",
        i.a_messages_b.why
    );
    assert!(!i.a_messages_b.allowed && !i.b_messages_a.allowed);

    // An account that does not exist: nothing is possible, and a note says why.
    let mut d = Dash::alice(20);
    let req = d.inspect_row();
    let mut rel = relationship("alice", "bob", false, false);
    rel.b_exists = false;
    d.send(Msg::Inspected {
        req,
        result: Ok(rel.clone()),
    });
    let i = seen(&d);
    assert!(!i.b_exists);
    assert!(
        [
            &i.a_messages_b,
            &i.b_messages_a,
            &i.a_requests_b,
            &i.b_requests_a
        ]
        .iter()
        .all(|v| !v.allowed)
    );
    assert_eq!(i.notes.len(), consequences(&rel).notes.len());
    assert!(
        i.notes.iter().any(|n| n.contains("does not exist")),
        "{:?}",
        i.notes
    );
    assert_eq!(i.friendship, "not friends");
}

#[test]
fn a_failed_inspection_is_shown_sanitized() {
    let mut d = Dash::alice(20);
    let req = d.inspect_row();
    d.send(Msg::Inspected {
        req,
        result: Err(fail("timed out \u{1b}[2J after 10s")),
    });
    // Sanitized, and followed by what to do about that kind of failure.
    assert_eq!(
        d.inspector().unwrap().result,
        Some(Err(format!(
            "timed out \\u{{1b}}[2J after 10s — {}",
            FailureKind::Unreachable.remedy()
        )))
    );
}

#[test]
fn an_answer_to_an_older_inspection_is_dropped() {
    let mut d = Dash::alice(20);
    let old = d.inspect_row();
    d.press(esc());
    d.press(ch('j'));
    let req = d.inspect_row();
    assert_eq!((old, req), (1, 2));
    let before = d.model.clone();
    assert!(
        d.send(Msg::Inspected {
            req: old,
            result: Ok(relationship("alice", "bob", true, true)),
        })
        .is_empty()
    );
    assert_eq!(
        d.inspector(),
        Some(&Inspector {
            req: 2,
            a: id("alice"),
            b: id("carol_91"),
            result: None,
            scroll: Scroll::default(),
        })
    );
    assert_eq!(d.model.activity, before.activity);
    // With the inspector closed, an answer changes nothing either.
    d.press(esc());
    d.send(Msg::Inspected {
        req,
        result: Ok(relationship("alice", "carol_91", true, true)),
    });
    assert!(matches!(d.model.overlay, Overlay::None));
}

/// `alice` with 20 entries, the inspector open on her and `evil_osc` with the blocks given.
fn inspecting(a_blocks_b: bool, b_blocks_a: bool) -> Dash {
    let mut d = Dash::alice(20);
    d.press_n(ch('j'), 2);
    let req = d.inspect_row();
    d.send(Msg::Inspected {
        req,
        result: Ok(relationship("alice", "evil_osc", a_blocks_b, b_blocks_a)),
    });
    d
}

#[test]
fn x_in_the_inspector_asks_to_unblock_a_to_b_only_when_a_blocks_b() {
    let mut d = inspecting(true, false);
    // X: evil_osc does not block alice; said so, and nothing else.
    assert!(d.press(ch('X')).is_empty());
    assert!(d.inspector().is_some());
    let last = d.model.activity.last().unwrap();
    assert_eq!(
        last.text,
        "evil_osc does not block alice: nothing to unblock"
    );
    assert!(d.pending().is_none());
    // x asks first.
    assert!(only_checks(&d.press(ch('x'))));
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Unblock);
    assert_eq!(p.pairs, vec![pair("alice", "evil_osc")]);
    assert_eq!(contexts(&d.model), [Context::Confirm]);
    let (_, op, pairs) = d.confirm();
    assert_eq!(
        (op, pairs),
        (Operation::Unblock, vec![pair("alice", "evil_osc")])
    );
    assert_eq!(d.effects.iter().filter(|e| e.mutates()).count(), 1);

    // n cancels: nothing was sent.
    let mut d = inspecting(true, false);
    d.press(ch('x'));
    assert!(d.press(ch('n')).is_empty());
    assert!(d.model.running.is_none());
    assert!(d.effects.iter().all(|e| !e.mutates()));
}

#[test]
fn shift_x_in_the_inspector_asks_to_unblock_b_to_a_only_when_b_blocks_a() {
    for shift_x in [
        ch('X'),
        KeyEvent::new(KeyCode::Char('X'), KeyModifiers::NONE),
    ] {
        let mut d = inspecting(false, true);
        assert!(d.press(ch('x')).is_empty());
        assert!(d.inspector().is_some());
        assert_eq!(
            d.model.activity.last().unwrap().text,
            "alice does not block evil_osc: nothing to unblock"
        );
        assert!(only_checks(&d.press(shift_x)));
        let p = d.pending().expect("a confirmation");
        assert_eq!(
            (p.op, p.pairs.clone()),
            (Operation::Unblock, vec![pair("evil_osc", "alice")])
        );
        let (_, _, pairs) = d.confirm();
        assert_eq!(pairs, vec![pair("evil_osc", "alice")]);
    }
    // Blocked both ways: either key asks for its own direction.
    let mut d = inspecting(true, true);
    d.press(ch('X'));
    assert_eq!(d.pending().unwrap().pairs, vec![pair("evil_osc", "alice")]);
}

#[test]
fn x_in_the_inspector_does_nothing_before_an_answer_or_after_a_failure() {
    let mut d = Dash::alice(20);
    let req = d.inspect_row();
    for step in 0..2 {
        let before = d.model.clone();
        for k in [ch('x'), ch('X')] {
            assert!(d.press(k).is_empty(), "{step}");
            // It says why: nothing to unblock yet, or the answer failed.
            let notice = d.model.notice.clone().unwrap_or_default();
            assert!(notice.contains("the inspector"), "{step}: {notice}");
        }
        assert_eq!(
            format!("{:?}", d.model.overlay),
            format!("{:?}", before.overlay),
            "{step}"
        );
        assert!(d.inspector().is_some() && d.pending().is_none(), "{step}");
        d.send(Msg::Inspected {
            req,
            result: Err(fail("gone")),
        });
    }
}

#[test]
fn read_only_x_and_shift_x_in_the_inspector_do_nothing() {
    let mut d = Dash::read_only();
    d.load("alice", 20);
    let req = d.inspect_row();
    d.send(Msg::Inspected {
        req,
        result: Ok(relationship("alice", "bob", true, true)),
    });
    let before = d.model.clone();
    for k in [
        ch('x'),
        ch('X'),
        KeyEvent::new(KeyCode::Char('X'), KeyModifiers::NONE),
    ] {
        assert!(d.press(k).is_empty());
        assert_eq!(d.inspector(), before_inspector(&before));
        let notice = d.model.notice.clone().unwrap_or_default();
        assert!(notice.contains("read-only mode"), "{notice}");
    }
    assert!(d.effects.iter().all(|e| !e.mutates()));
}

fn before_inspector(m: &Model) -> Option<&Inspector> {
    match &m.overlay {
        Overlay::Inspector(i) => Some(i),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Who blocks the looked-up user?

fn listed(m: &Model) -> Vec<UserId> {
    m.list.rows.iter().map(|r| r.to.clone()).collect()
}

#[test]
fn w_asks_who_blocks_the_looked_up_user_among_listed_users_and_friends() {
    let mut d = Dash::alice(20);
    let want: Vec<UserId> = roster(20).iter().map(|(to, _)| id(to)).collect();
    // A filter narrows the table, not the candidates.
    d.press(ch('/'));
    d.type_text("evil");
    d.press(enter());
    assert_eq!(
        d.press(ch('w')),
        vec![Effect::FindBlockers {
            req: 1,
            target: id("alice"),
            candidates: Candidates::FriendsAnd(want)
        }]
    );
    let v = d.blockers().expect("the reverse lookup");
    assert_eq!(v.req, 1);
    assert_eq!(v.target, id("alice"));
    assert_eq!((v.checked, v.total, v.failed.len()), (0, 0, 0));
    assert!(!v.done && v.found.is_empty() && v.error.is_none());
    assert!(v.source.contains("20 listed users"), "{}", v.source);
    // A table like the blocklist, in its place: its keys are the table's.
    assert_eq!(contexts(&d.model), [Context::Table, Context::Global]);
    assert_eq!(d.model.list.kind, ListKind::Blockers);
    assert_eq!(d.model.path(), ["alice", "who blocks alice"]);
    assert_eq!(d.model.back[0].list.filter, "evil");

    // From the activity and feed panes too.
    for focus in [Focus::Activity, Focus::Feed] {
        let mut d = Dash::alice(5);
        d.focus(focus);
        assert!(matches!(
            d.press(ch('w')).as_slice(),
            [Effect::FindBlockers { req: 1, .. }]
        ));
    }
}

#[test]
fn w_before_a_lookup_warns_and_does_nothing() {
    let mut d = Dash::new();
    d.focus(Focus::Blocklist);
    assert!(d.press(ch('w')).is_empty());
    assert!(matches!(d.model.overlay, Overlay::None));
    let last = d.model.activity.last().unwrap();
    assert_eq!(last.level, Level::Warning);
    assert!(last.text.contains("look a user up first"), "{}", last.text);
    assert_eq!(d.model.side_req, 0);
}

#[test]
fn blockers_command_takes_candidates_from_its_words() {
    let all = listed(&Dash::alice(20).model);
    for (line, want) in [
        ("blockers", Candidates::FriendsAnd(all.clone())),
        ("blockers listed", Candidates::Ids(all.clone())),
        ("blockers friends", Candidates::FriendsAnd(Vec::new())),
        ("blockers file x.txt", Candidates::File("x.txt".into())),
        (
            "blockers mallory @RBT#bot",
            Candidates::Ids(vec![id("mallory"), id("@RBT#bot")]),
        ),
    ] {
        let mut d = Dash::alice(20);
        assert_eq!(
            d.command(line),
            vec![Effect::FindBlockers {
                req: 1,
                target: id("alice"),
                candidates: want
            }],
            "{line}"
        );
        let v = d.blockers().expect(line);
        assert!(v.req == 1 && !v.done, "{line}");
    }

    // A bad ID: the command line says so, and nothing is looked up.
    let mut d = Dash::alice(20);
    assert!(
        d.command(&format!("blockers mallory {}", too_long()))
            .is_empty()
    );
    let error = d.palette_error().expect("an error on the command line");
    assert!(error.contains("33 bytes"), "{error}");
    assert_eq!(d.model.side_req, 0);

    // Before a lookup: a warning.
    let mut d = Dash::new();
    d.focus(Focus::Blocklist);
    assert!(d.command("blockers listed").is_empty());
    let error = d.palette_error().expect("an error on the command line");
    assert!(error.contains("look a user up first"), "{error}");
    let last = d.model.activity.last().unwrap();
    assert_eq!(last.level, Level::Warning);
    assert!(last.text.contains("look a user up first"), "{}", last.text);
}

#[test]
fn reverse_lookup_messages_fill_the_table_and_older_ones_are_dropped() {
    let mut d = Dash::alice(20);
    let old = d.find_blockers();
    assert_eq!(d.press(esc()), vec![Effect::CancelBlockers]);
    let req = d.find_blockers();
    assert_eq!((old, req), (1, 2));

    assert!(
        d.send(Msg::Blockers {
            req,
            event: blockers_progress(1000, 2400, 0),
        })
        .is_empty()
    );
    let v = d.blockers().unwrap();
    assert_eq!((v.checked, v.total, v.calls_per_sec), (1000, 2400, 4.5));
    for (who, mutual) in [("mallory", true), ("user_0003", false)] {
        d.send(Msg::Blockers {
            req,
            event: blocker_found(who, mutual),
        });
    }
    assert_eq!(
        d.blockers().unwrap().found,
        [(id("mallory"), true), (id("user_0003"), false)]
    );
    // Rows of a table, in the order found.
    assert_eq!(ids(&d.model), ["mallory", "user_0003"]);
    assert!(d.model.list.rows[0].mutual && !d.model.list.rows[1].mutual);

    // The first lookup's late messages change nothing.
    let before = d.blockers().cloned();
    let activity = d.model.activity.clone();
    d.send(Msg::Blockers {
        req: old,
        event: blocker_found("trent", false),
    });
    d.send(Msg::Blockers {
        req: old,
        event: blockers_progress(5, 5, 1),
    });
    d.send(Msg::BlockersDone {
        req: old,
        result: Ok(blockers_done(5, 0)),
    });
    assert_eq!(d.blockers().cloned(), before);
    assert_eq!(d.model.activity, activity);

    // The end: marked done and logged, the nicknames asked for; the table stays until left.
    assert_eq!(
        d.send(Msg::BlockersDone {
            req,
            result: Ok(blockers_done(2400, 3)),
        }),
        [Effect::BlockerNicks {
            req,
            ids: vec!["mallory".into(), "user_0003".into()]
        }]
    );
    let v = d.blockers().unwrap();
    assert!(v.done && v.error.is_none());
    assert_eq!((v.checked, v.failed.len()), (2400, 3));
    let last = d.model.activity.last().unwrap();
    assert_eq!(last.level, Level::Info);
    assert_eq!(last.text, "who blocks alice: 2 found among 2400 checked");
    assert!(
        d.press(esc()).is_empty(),
        "done: going back cancels nothing"
    );
    assert_eq!(d.model.list.kind, ListKind::Blocklist);
    assert_eq!(d.model.list.rows.len(), 20);
    // Left: later messages change nothing.
    let before = d.model.list.rows.clone();
    d.send(Msg::Blockers {
        req,
        event: blocker_found("trent", false),
    });
    assert_eq!(d.model.list.rows, before);
    assert!(d.model.reverse.is_none());
}

#[test]
fn a_reverse_lookup_that_could_not_run_keeps_its_reason_sanitized() {
    let mut d = Dash::alice(20);
    let req = d.find_blockers();
    d.send(Msg::BlockersDone {
        req,
        result: Err(Failure::local("cannot read x.txt: \u{1b}[2J No such file")),
    });
    let v = d.blockers().unwrap();
    assert!(v.done);
    assert_eq!(
        v.error.as_deref(),
        Some("cannot read x.txt: \\u{1b}[2J No such file — fix the file or choose another path")
    );
    assert!(
        d.log_texts().iter().all(|t| !t.contains('\u{1b}')),
        "{:?}",
        d.log_texts()
    );
}

#[test]
fn a_reverse_lookup_that_could_not_run_is_logged_as_a_failure() {
    let mut d = Dash::alice(20);
    let req = d.find_blockers();
    d.send(Msg::BlockersDone {
        req,
        result: Err(fail("cannot read x.txt: No such file")),
    });
    let last = d.model.activity.last().unwrap();
    assert!(
        matches!(last.level, Level::Error | Level::Warning),
        "{:?}: {}",
        last.level,
        last.text
    );
    assert!(last.text.contains("No such file"), "{}", last.text);
}

#[test]
fn leaving_the_reverse_lookup_cancels_it_only_while_it_runs() {
    for k in [esc(), key(KeyCode::Backspace)] {
        let mut d = Dash::alice(20);
        d.find_blockers();
        d.send(Msg::Blockers {
            req: 1,
            event: blockers_progress(10, 30, 0),
        });
        assert_eq!(d.press(k), vec![Effect::CancelBlockers], "{:?}", k.code);
        assert_eq!(d.model.list.kind, ListKind::Blocklist, "{:?}", k.code);
        assert!(
            !d.model.should_quit,
            "{:?} goes back, it does not quit",
            k.code
        );

        let req = d.find_blockers();
        d.send(Msg::BlockersDone {
            req,
            result: Ok(blockers_done(20, 0)),
        });
        assert!(d.press(k).is_empty(), "{:?}", k.code);
        assert_eq!(d.model.list.kind, ListKind::Blocklist, "{:?}", k.code);
        assert_eq!(
            d.effects
                .iter()
                .filter(|e| **e == Effect::CancelBlockers)
                .count(),
            1
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The change feed

#[test]
fn feed_changes_are_kept_sanitized_with_their_raw_values() {
    let mut d = Dash::alice(20);
    assert!(
        d.send(Msg::FeedChange(feed_event(
            ChangeKind::Block,
            "mallory",
            "bob",
            NOW + 7
        )))
        .is_empty()
    );
    let mut hostile = feed_event(
        ChangeKind::Unblock,
        "evil\u{1b}]0;x\u{7}",
        "\u{202e}nimda",
        NOW + 3661,
    );
    hostile.platform = "Web\u{1b}[2J".into();
    d.send(Msg::FeedChange(hostile.clone()));
    assert_eq!(
        d.model.feed.changes().cloned().collect::<Vec<_>>(),
        vec![
            FeedLine {
                time: "01:35:07".into(),
                verb: "blocked",
                from: "mallory".into(),
                to: "bob".into(),
                platform: "RESTAPI".into(),
                burst: false,
                raw: feed_event(ChangeKind::Block, "mallory", "bob", NOW + 7),
            },
            FeedLine {
                time: "02:36:01".into(),
                verb: "unblocked",
                from: "evil\\u{1b}]0;x\\u{7}".into(),
                to: "\\u{202e}nimda".into(),
                platform: "Web\\u{1b}[2J".into(),
                burst: false,
                raw: hostile,
            },
        ]
    );
    for line in d.model.feed.changes() {
        for text in [&line.time, &line.from, &line.to, &line.platform] {
            assert!(!text.chars().any(|c| c != '\\' && is_unsafe(c)), "{text:?}");
        }
    }
}

#[test]
fn the_feed_keeps_its_last_lines_only() {
    let mut d = Dash::new();
    for n in 0..FEED_KEEP + 5 {
        d.send(Msg::FeedChange(feed_event(
            ChangeKind::Block,
            &format!("u{n}"),
            "target",
            NOW + n as u64,
        )));
    }
    let lines: Vec<&FeedLine> = d.model.feed.changes().collect();
    assert_eq!(lines.len(), FEED_KEEP);
    assert_eq!(lines[0].raw.from, "u5");
    assert_eq!(lines[FEED_KEEP - 1].raw.from, format!("u{}", FEED_KEEP + 4));
}

#[test]
fn a_burst_is_logged_flagged_and_marks_later_lines_about_the_account() {
    let mut d = Dash::alice(20);
    d.send(Msg::FeedChange(feed_event(
        ChangeKind::Block,
        "spammer",
        "bob",
        NOW,
    )));
    assert!(
        d.send(Msg::Burst(burst_of(
            "spammer",
            Role::Blocking,
            ChangeKind::Block,
            20
        )))
        .is_empty()
    );
    let last = d.model.activity.last().unwrap();
    assert_eq!(last.level, Level::Warning);
    assert_eq!(last.text, "burst: spammer blocked 20 accounts in 60 s");
    assert_eq!(d.model.feed.alerts, std::slice::from_ref(&last.text));
    assert_eq!(d.model.feed.flagged, ["spammer"]);
    for (kind, from, to) in [
        (ChangeKind::Block, "spammer", "carol_91"),
        (ChangeKind::Unblock, "erin-k", "spammer"),
        (ChangeKind::Block, "erin-k", "dave.smith"),
    ] {
        d.send(Msg::FeedChange(feed_event(kind, from, to, NOW + 1)));
    }
    let bursts: Vec<bool> = d.model.feed.changes().map(|l| l.burst).collect();
    assert_eq!(bursts, [false, true, true, false]);

    // The account blocked by many, with a hostile ID: escaped in the alert, raw in `flagged`.
    let victim = "victim\u{1b}[2J";
    d.send(Msg::Burst(burst_of(
        victim,
        Role::Blocked,
        ChangeKind::Unblock,
        25,
    )));
    assert_eq!(
        d.model.activity.last().unwrap().text,
        "burst: victim\\u{1b}[2J was unblocked by 25 accounts in 60 s"
    );
    assert_eq!(d.model.feed.flagged, ["spammer", victim]);
    d.send(Msg::FeedChange(feed_event(
        ChangeKind::Block,
        "trent",
        victim,
        NOW + 2,
    )));
    assert!(d.model.feed.changes().last().unwrap().burst);
    // Flagged once however many bursts.
    d.send(Msg::Burst(burst_of(
        "spammer",
        Role::Blocking,
        ChangeKind::Block,
        20,
    )));
    assert_eq!(d.model.feed.flagged, ["spammer", victim]);
    assert_eq!(d.model.feed.alerts.len(), 3);
}

#[test]
fn refused_webhooks_are_counted_and_logged() {
    let mut d = Dash::new();
    for reason in ["bad signature", "stale RequestTime \u{1b}[2J"] {
        assert!(
            d.send(Msg::FeedRejected {
                reason: reason.into()
            })
            .is_empty()
        );
    }
    assert_eq!(d.model.feed.rejected, 2);
    assert!(d.model.feed.lines.is_empty());
    let texts = d.log_texts();
    assert_eq!(
        texts,
        [
            "webhook refused: bad signature",
            "webhook refused: stale RequestTime \\u{1b}[2J"
        ]
    );
    assert!(
        d.model
            .activity
            .lines
            .iter()
            .all(|l| l.level == Level::Warning)
    );
}

#[test]
fn the_feed_source_is_stored_sanitized() {
    let mut d = Dash::new();
    d.send(Msg::FeedSource(Some("webhooks on 127.0.0.1:9000".into())));
    assert_eq!(
        d.model.feed.source.as_deref(),
        Some("webhooks on 127.0.0.1:9000")
    );
    d.send(Msg::FeedSource(Some("watching evil\u{1b}]0;x\u{7}".into())));
    assert_eq!(
        d.model.feed.source.as_deref(),
        Some("watching evil\\u{1b}]0;x\\u{7}")
    );
    assert!(d.send(Msg::FeedSource(None)).is_empty());
    assert_eq!(d.model.feed.source, None);
}

#[test]
fn movement_keys_with_the_feed_focused_leave_the_table_alone() {
    let mut d = Dash::alice(250);
    for n in 0..50 {
        d.send(Msg::FeedChange(feed_event(
            ChangeKind::Block,
            &format!("u{n}"),
            "alice",
            NOW,
        )));
    }
    d.press_n(ch('j'), 5);
    d.focus(Focus::Feed);
    let (cursor, scroll) = (d.model.list.cursor(), d.model.list.scroll.offset);
    for k in [
        ch('k'),
        ch('k'),
        ch('j'),
        ch('G'),
        ch('g'),
        key(KeyCode::PageUp),
        key(KeyCode::PageDown),
    ] {
        assert!(d.press(k).is_empty());
        assert_eq!(
            (d.model.list.cursor(), d.model.list.scroll.offset),
            (cursor, scroll),
            "{:?} with the feed focused moved the table",
            k.code
        );
    }
    // The feed's cursor is what moves: up from the newest line, the window staying put until
    // the cursor leaves it.
    d.press(ch('G'));
    d.press(ch('k'));
    let (len, rows) = (d.model.feed.lines.len(), d.model.feed_rows());
    assert_eq!(d.model.feed.scroll.log_cursor(len), Some(len - 2));
    assert_eq!(d.model.feed.scroll.below(len, rows), 0);
    d.press_n(ch('k'), rows);
    assert_eq!(d.model.feed.scroll.log_cursor(len), Some(len - 2 - rows));
    assert!(d.model.feed.scroll.below(len, rows) > 0);
}

// ---------------------------------------------------------------------------------------------
// Watch mode

#[test]
fn watch_command_follows_the_looked_up_user() {
    let mut d = Dash::alice(20);
    assert_eq!(d.command("watch"), vec![Effect::Watch(Some(id("alice")))]);
    assert!(d.model.watching);
    assert!(d.logged("watching alice"), "{:?}", d.log_texts());
    assert_eq!(d.command("watch off"), vec![Effect::Watch(None)]);
    assert!(!d.model.watching);
    assert_eq!(
        d.command("watch on"),
        vec![Effect::Watch(Some(id("alice")))]
    );
    assert!(d.model.watching);

    assert!(d.command("watch sideways").is_empty());
    let error = d.palette_error().expect("an error");
    assert!(error.contains(":watch [on|off] — on or off"), "{error}");
    assert!(d.model.watching);
    d.press(esc());

    // Before a lookup: a warning, nothing watched.
    let mut d = Dash::new();
    d.focus(Focus::Blocklist);
    assert!(d.command("watch").is_empty());
    assert!(!d.model.watching);
    let last = d.model.activity.last().unwrap();
    assert_eq!(last.level, Level::Warning);
    assert!(last.text.contains("look a user up first"), "{}", last.text);
}

#[test]
fn a_new_sequence_of_the_watched_list_refreshes_it() {
    let mut d = Dash::alice(20);
    d.mark(2);
    d.command("watch");
    assert_eq!(d.model.list.sequence, 7);
    let alice_at = |sequence| Msg::ListChanged {
        user: id("alice"),
        sequence,
    };
    // The same sequence, or another user's list: nothing.
    assert!(d.send(alice_at(7)).is_empty());
    assert!(
        d.send(Msg::ListChanged {
            user: id("bob"),
            sequence: 8
        })
        .is_empty()
    );
    assert_eq!(d.model.lookup_req, 1);
    // A new sequence: the list is looked up again, the marks kept.
    assert_eq!(
        d.send(alice_at(8)),
        vec![Effect::Lookup {
            req: 2,
            user: id("alice")
        }]
    );
    assert!(d.model.list.loading && d.model.list.rows.is_empty());
    assert_eq!(marks(&d.model), ["bob", "carol_91"]);
    assert!(
        d.logged("alice's list changed: refreshing"),
        "{:?}",
        d.log_texts()
    );
    d.send(Msg::Page {
        req: 2,
        entries: roster(21),
        last: true,
        sequence: 8,
    });
    assert_eq!(d.model.list.rows.len(), 21);
    assert!(d.send(alice_at(8)).is_empty());
    // Not watching any more: nothing.
    d.command("watch off");
    assert!(d.send(alice_at(9)).is_empty());
    assert_eq!(d.model.lookup_req, 2);
}

#[test]
fn a_list_change_while_a_batch_runs_does_not_refresh() {
    let mut d = Dash::alice(20);
    d.command("watch");
    d.mark(2);
    d.press(ch('x'));
    d.confirm();
    let before = d.model.clone();
    assert!(
        d.send(Msg::ListChanged {
            user: id("alice"),
            sequence: 8
        })
        .is_empty()
    );
    assert_eq!(d.model.lookup_req, before.lookup_req);
    assert_eq!(d.model.list.rows, before.list.rows);
}

#[test]
fn a_failed_watch_poll_is_logged_and_watching_goes_on() {
    let mut d = Dash::alice(20);
    d.command("watch");
    assert!(
        d.send(Msg::WatchFailed {
            error: fail("timed out \u{1b}[2J")
        })
        .is_empty()
    );
    let last = d.model.activity.last().unwrap();
    assert_eq!(last.level, Level::Warning);
    assert_eq!(last.text, "watch: timed out \\u{1b}[2J");
    assert!(d.model.watching);
}

// ---------------------------------------------------------------------------------------------
// Exports

/// `alice`'s list with IDs that need quoting in CSV, added at [`T0`] + 0..5 in a shuffled order.
fn quoting_list() -> Dash {
    let mut d = Dash::new();
    let req = d.look_up("alice");
    let entries = [
        ("zed_i", 3),
        ("comma,id", 1),
        ("quote\"id", 2),
        ("amy", 0),
        ("bob_i", 4),
        (" lead_i", 5),
    ]
    .map(|(to, n)| (to.to_owned(), T0 + n))
    .to_vec();
    d.send(Msg::Page {
        req,
        entries,
        last: true,
        sequence: 3,
    });
    // Nicknames are exported raw: a quote and an escape stay as they are.
    d.send(Msg::Nicks {
        req,
        nicks: vec![
            ("bob_i".to_owned(), "Bob \"B\"".to_owned()),
            ("zed_i".to_owned(), "Zed\u{1b}[31m".to_owned()),
        ],
    });
    d.effects.clear();
    d
}

/// 2023-11-14 22:13:20Z.
const T0: u64 = 1_700_000_000;

/// The list filtered on "i" (`amy` goes) and sorted by ID.
fn filtered_and_sorted() -> Dash {
    let mut d = quoting_list();
    d.press(ch('/'));
    d.type_text("i");
    d.press(enter());
    d.press_n(ch('s'), 2);
    assert_eq!(d.model.list.sort, Sort::Id);
    assert_eq!(
        ids(&d.model),
        [" lead_i", "bob_i", "comma,id", "quote\"id", "zed_i"]
    );
    d
}

/// The one export effect of `fx`.
fn exported(fx: &[Effect]) -> (&str, &str) {
    match fx {
        [
            Effect::Export {
                path,
                contents,
                rows,
            },
        ] => {
            // The count is of rows: the CSV header is not one.
            let header = usize::from(path.ends_with(".csv"));
            assert_eq!(contents.lines().count(), rows + header, "{contents}");
            (path, contents)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn e_exports_the_table_as_filtered_and_sorted_to_csv() {
    let mut d = filtered_and_sorted();
    assert!(d.press(ch('e')).is_empty());
    let (name, what, error) = d.export_prompt().expect("the export prompt");
    let name = name.to_owned();
    assert_eq!((what, error), (ExportWhat::List, None));
    assert!(
        name.starts_with("alice-blocklist-") && name.ends_with(".csv"),
        "{name}"
    );
    assert_eq!(contexts(&d.model), [Context::Typing]);
    let fx = d.press(enter());
    let (path, contents) = exported(&fx);
    assert_eq!(path, name);
    let at = |n: u64| format!("{},{}", T0 + n, utc(T0 + n));
    let want = [
        "from,to,nickname,add_black_time_stamp,added_utc".to_owned(),
        format!("alice,\" lead_i\",,{}", at(5)),
        format!("alice,bob_i,\"Bob \"\"B\"\"\",{}", at(4)),
        format!("alice,\"comma,id\",,{}", at(1)),
        format!("alice,\"quote\"\"id\",,{}", at(2)),
        format!("alice,zed_i,Zed\u{1b}[31m,{}", at(3)),
    ];
    assert_eq!(contents, want.join("\n") + "\n");
    assert!(matches!(d.model.overlay, Overlay::None));
    // Nothing of it is a change.
    assert!(no_mutation(&fx));
}

#[test]
fn a_json_name_exports_json_lines_that_parse() {
    let mut d = filtered_and_sorted();
    d.press(ch('e'));
    d.type_export_name("list.json");
    let fx = d.press(enter());
    let (path, contents) = exported(&fx);
    assert_eq!(path, "list.json");
    let rows: Vec<serde_json::Value> = contents
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let tos: Vec<&str> = rows.iter().map(|r| r["to"].as_str().unwrap()).collect();
    assert_eq!(tos, [" lead_i", "bob_i", "comma,id", "quote\"id", "zed_i"]);
    assert_eq!(
        rows[3],
        serde_json::json!({
            "from": "alice",
            "to": "quote\"id",
            "nickname": null,
            "add_black_time_stamp": T0 + 2,
            "added_utc": utc(T0 + 2),
        })
    );
    assert_eq!(rows[1]["nickname"], "Bob \"B\"");
}

#[test]
fn a_name_without_csv_or_json_keeps_the_prompt_open_with_an_error() {
    for name in ["list.txt", "list", "list.csv.bak", ""] {
        let mut d = Dash::alice(20);
        d.press(ch('e'));
        d.type_export_name(name);
        assert!(d.press(enter()).is_empty(), "{name:?}");
        let (typed, what, error) = d.export_prompt().expect(name);
        assert_eq!((typed, what), (name, ExportWhat::List));
        let error = error.expect("an error");
        assert!(error.contains(".csv or .json"), "{name:?}: {error}");
        // Typing clears the error; Esc leaves without exporting.
        d.type_text("x");
        assert_eq!(d.export_prompt().unwrap().2, None);
        assert!(d.press(esc()).is_empty());
        assert!(matches!(d.model.overlay, Overlay::None));
        assert!(d.effects.is_empty(), "{name:?}: {:?}", d.effects);
    }
}

#[test]
fn export_command_writes_what_is_shown() {
    let mut d = filtered_and_sorted();
    let fx = d.command("export out.csv");
    let (path, contents) = exported(&fx);
    assert_eq!(path, "out.csv");
    assert_eq!(contents.lines().count(), 6);
    assert!(contents.contains("\"comma,id\""), "{contents}");
    // Without a name it is `e`: the export line, with a default name.
    assert!(d.command("export").is_empty());
    let (name, what, _) = d.export_prompt().expect("the export line");
    assert!(name.starts_with("alice-blocklist-"), "{name}");
    assert_eq!(what, ExportWhat::List);
    d.press(esc());
    // A bad name stays on the command line, with what is wrong.
    assert!(d.command("export out.txt").is_empty());
    let error = d.palette_error().expect("an error");
    assert!(error.contains(".csv or .json"), "{error}");
}

#[test]
fn e_in_the_result_popup_exports_the_last_batch() {
    let mut d = Dash::after_unblock(20);
    d.press(ch('='));
    assert!(d.press(ch('e')).is_empty());
    let (name, what, _) = d.export_prompt().expect("the export prompt");
    assert_eq!(what, ExportWhat::Batch);
    assert!(
        name.starts_with("alice-batch-") && name.ends_with(".csv"),
        "{name}"
    );
    let fx = d.press(enter());
    let (_, contents) = exported(&fx);
    // The same columns as `blockdeck unblock --csv`: every pair of the batch, in its order.
    let rows: Vec<Vec<&str>> = contents.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0], blockdeck::export::ITEMS);
    let b = JOURNAL;
    assert_eq!(rows[1], [b, "alice", "bob", "done", "", "", "", "", "1"]);
    assert_eq!(
        rows[2],
        [b, "alice", "carol_91", "done", "", "", "", "", "1"]
    );
    assert_eq!(
        rows[3],
        [b, "alice", "evil_osc", "already", "", "", "", "", "1"]
    );
    assert_eq!(
        rows[4][..6],
        [b, "alice", "evil_bidi", "failed", "", "30003"]
    );
    assert!(
        rows[4][6].starts_with("Err_SNS_\u{1b}[31m"),
        "{:?}",
        rows[4]
    );
    assert_eq!(rows[5][..4], [b, "alice", "@RBT#support", "unfinished"]);
    assert_eq!(rows.len(), 6, "{contents}");

    // As JSON Lines.
    let mut d = Dash::after_unblock(20);
    d.press(ch('='));
    d.press(ch('e'));
    d.type_export_name("batch.json");
    let fx = d.press(enter());
    let rows: Vec<serde_json::Value> = exported(&fx)
        .1
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[3]["status"], "failed");
    assert_eq!(rows[3]["code"], 30003);
    assert!(
        rows[3]["meaning"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
    assert_eq!(rows[2]["status"], "already");
}

#[test]
fn e_in_the_reverse_lookup_opens_the_export_of_the_blockers() {
    let mut d = Dash::alice(20);
    let req = d.find_blockers();
    d.send(Msg::Blockers {
        req,
        event: blocker_found("mallory", true),
    });
    // While it runs, `e` waits for the end.
    assert!(d.press(ch('e')).is_empty());
    assert!(d.export_prompt().is_none());
    d.send(Msg::BlockersDone {
        req,
        result: Ok(blockers_done(20, 0)),
    });
    assert!(d.press(ch('e')).is_empty());
    let (name, what, error) = d.export_prompt().expect("the export prompt");
    assert_eq!((what, error), (ExportWhat::Blockers, None));
    assert!(
        name.starts_with("alice-blockers-") && name.ends_with(".csv"),
        "{name}"
    );
}

#[test]
fn e_in_the_reverse_lookup_exports_the_blockers() {
    let mut d = Dash::alice(20);
    let req = d.find_blockers();
    for (who, mutual) in [("mallory", true), ("user_0003", false)] {
        d.send(Msg::Blockers {
            req,
            event: blocker_found(who, mutual),
        });
    }
    d.send(Msg::BlockersDone {
        req,
        result: Ok(blockers_done(20, 1)),
    });
    d.press(ch('e'));
    let fx = d.press(enter());
    assert_eq!(d.export_prompt(), None);
    // The same columns as `blockdeck blockers --csv`: the blockers, then the failed candidates.
    let (_, contents) = exported(&fx);
    let lines: Vec<&str> = contents.lines().collect();
    assert_eq!(lines[0], "target,candidate,status,mutual,code,info,meaning");
    assert_eq!(lines[1], "alice,mallory,blocker,true,,,");
    assert_eq!(lines[2], "alice,user_0003,blocker,false,,,");
    assert!(
        lines[3].starts_with("alice,ghost_0,failed,,30003,Err_SNS_Account_Not_Exist,"),
        "{}",
        lines[3]
    );
    assert_eq!(lines.len(), 4);
}

#[test]
fn e_with_the_feed_focused_exports_the_feed() {
    let mut d = Dash::alice(20);
    d.send(Msg::FeedChange(feed_event(
        ChangeKind::Block,
        "mallory",
        "bob",
        NOW + 7,
    )));
    d.send(Msg::FeedChange(feed_event(
        ChangeKind::Unblock,
        "x,y",
        "q\"z",
        NOW + 8,
    )));
    d.focus(Focus::Feed);
    assert!(d.press(ch('e')).is_empty());
    let (name, what, _) = d.export_prompt().expect("the export prompt");
    assert_eq!(what, ExportWhat::Feed);
    assert!(
        name.starts_with("alice-feed-") && name.ends_with(".csv"),
        "{name}"
    );
    let fx = d.press(enter());
    assert_eq!(
        exported(&fx).1,
        format!(
            "time,change,from,to,platform\n{},blocked,mallory,bob,RESTAPI\n{},unblocked,\"x,y\",\"q\"\"z\",RESTAPI\n",
            NOW + 7,
            NOW + 8
        )
    );
    // The palette exports the feed too while it has focus.
    let fx = d.command("export feed.json");
    let rows: Vec<serde_json::Value> = exported(&fx)
        .1
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["from"], "x,y");
    assert_eq!(rows[1]["change"], "unblocked");
}

#[test]
fn exports_work_in_read_only_mode() {
    let mut d = Dash::read_only();
    d.load("alice", 20);
    d.press(ch('e'));
    let fx = d.press(enter());
    assert_eq!(exported(&fx).1.lines().count(), 21);
}

#[test]
fn a_name_pasted_into_the_export_prompt_is_inserted() {
    let mut d = Dash::alice(20);
    d.press(ch('e'));
    d.press(ctrl('u'));
    d.paste("/tmp/alice.csv");
    assert_eq!(d.export_prompt().unwrap().0, "/tmp/alice.csv");
}

#[test]
fn written_exports_are_logged() {
    let mut d = Dash::new();
    assert!(
        d.send(Msg::Exported {
            path: "alice.csv".into(),
            result: Ok(12),
        })
        .is_empty()
    );
    let last = d.model.activity.last().unwrap();
    assert_eq!(last.level, Level::Success);
    assert_eq!(last.text, "exported 12 row(s) to alice.csv");
    d.send(Msg::Exported {
        path: "/root/x\u{1b}[2J.csv".into(),
        result: Err(fail("Permission denied")),
    });
    let last = d.model.activity.last().unwrap();
    assert_eq!(last.level, Level::Error);
    assert_eq!(
        last.text,
        "export to /root/x\\u{1b}[2J.csv failed: Permission denied"
    );
}

#[test]
fn every_command_is_in_the_help_the_bar_and_completion_and_read_only_leaves_no_change() {
    use blockdeck::app::{help, palette};
    const ALL: [Context; 16] = [
        Context::History,
        Context::Journal,
        Context::JournalItems,
        Context::Lookup,
        Context::LookupEmpty,
        Context::Table,
        Context::Activity,
        Context::Feed,
        Context::Running,
        Context::Confirm,
        Context::Summary,
        Context::Help,
        Context::Typing,
        Context::Palette,
        Context::Global,
        Context::Inspector,
    ];
    let mut states: Vec<(&str, Dash)> = ALL.into_iter().flat_map(in_context).collect();
    // The feed filtered (Esc clears it).
    let (_, mut filtered) = in_context(Context::Feed).remove(0);
    filtered.press(ch('/'));
    filtered.type_text("mall");
    filtered.press(enter());
    states.push(("feed/filtered", filtered));
    for read_only in [false, true] {
        let allowed = |spec: &command::Spec| !(read_only && spec.mutates);
        // The help: every binding the mode allows, and none it does not.
        let entries: Vec<help::Entry> = help::sections(&Default::default(), read_only, false)
            .into_iter()
            .flat_map(|s| s.entries)
            .collect();
        for (spec, b) in command::bindings() {
            let listed = entries.iter().any(|e| {
                b.label.split('/').all(|k| help::written_in(&e.label, k)) && !e.help.is_empty()
            });
            if allowed(spec) {
                assert!(listed, "the help lacks {} ({:?})", b.label, spec.command);
            } else {
                assert!(
                    !entries.iter().any(|e| e.help.contains(spec.help)),
                    "read-only help offers {:?}",
                    spec.command
                );
            }
        }
        // The bar: every binding meant for it shows in some state where its context holds; in
        // read-only mode, no changing one shows anywhere.
        let bars: Vec<Vec<Command>> = states
            .iter()
            .map(|(_, d)| {
                let mut m = d.model.clone();
                m.read_only = read_only;
                // A question answers keys once it has been on screen a moment.
                m.ms += 1000;
                command::bar(&m, &contexts(&m))
                    .into_iter()
                    .map(|(s, _)| s.command)
                    .collect()
            })
            .collect();
        for (spec, b) in command::bindings().filter(|(_, b)| b.in_bar) {
            let shown = bars.iter().any(|bar| bar.contains(&spec.command));
            if allowed(spec) {
                assert!(
                    shown,
                    "the bar never shows {} ({:?})",
                    b.label, spec.command
                );
            } else {
                assert!(!shown, "read-only bar shows {:?}", spec.command);
            }
        }
        // Completion: every command name the mode allows, and none it does not.
        let mut m = states[0].1.model.clone();
        m.read_only = read_only;
        let (names, _) = palette::choices(&m, "", 0);
        for spec in command::TABLE {
            let Some(p) = &spec.palette else { continue };
            assert_eq!(
                names.contains(&p.name.to_owned()),
                allowed(spec),
                ":{} with read_only = {read_only}",
                p.name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The command line from the lookup line, and Tab

#[test]
fn colon_on_the_empty_lookup_line_opens_the_command_line() {
    // Straight after start: `:user alice` looks alice up.
    let mut d = Dash::new();
    assert_eq!(d.model.focus, Focus::Lookup);
    d.press(ch(':'));
    assert!(matches!(d.model.overlay, Overlay::Palette(_)));
    d.type_text("user alice");
    assert_eq!(
        d.press(enter()),
        [Effect::Lookup {
            req: 1,
            user: id("alice")
        }]
    );
    assert_eq!(d.model.focus, Focus::Blocklist);
    // Inside a typed ID, `:` is text.
    let mut d = Dash::new();
    d.type_text("ab:c");
    assert_eq!(d.model.lookup.value(), "ab:c");
    assert!(matches!(d.model.overlay, Overlay::None));
}

#[test]
fn a_lookup_line_starting_with_a_colon_runs_as_a_command() {
    let mut d = Dash::new();
    d.paste(":user bob");
    assert_eq!(d.model.lookup.value(), ":user bob");
    assert_eq!(
        d.press(enter()),
        [Effect::Lookup {
            req: 1,
            user: id("bob")
        }]
    );
    // The user is remembered, not the command.
    assert_eq!(d.model.history, ["bob"]);
    // A bad one opens the command line with it and what is wrong.
    let mut d = Dash::new();
    d.paste(":frobnicate");
    assert!(d.press(enter()).is_empty());
    let error = d.palette_error().expect("the command line with the error");
    assert!(error.contains("unknown command :frobnicate"), "{error}");
    match &d.model.overlay {
        Overlay::Palette(line) => assert_eq!(line.input.value(), "frobnicate"),
        other => panic!("{other:?}"),
    }
}

/// The command line's text.
fn palette_text(d: &Dash) -> String {
    match &d.model.overlay {
        Overlay::Palette(line) => line.input.value().to_owned(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn tab_completes_names_then_ids_on_screen_and_cycles() {
    let mut d = Dash::alice(250);
    d.press(ch(':'));
    d.type_text("in");
    d.press(key(KeyCode::Tab));
    assert_eq!(palette_text(&d), "inspect ");
    // Several IDs share "evil_": Tab writes what they share, then cycles through them.
    d.type_text("ev");
    d.press(key(KeyCode::Tab));
    assert_eq!(palette_text(&d), "inspect evil_");
    let Overlay::Palette(line) = &d.model.overlay else {
        unreachable!()
    };
    let choices = line.completion.clone().expect("the choices").choices;
    assert_eq!(choices[..2], ["evil_osc", "evil_bidi"]);
    d.press(key(KeyCode::Tab));
    assert_eq!(palette_text(&d), "inspect evil_osc");
    d.press(key(KeyCode::Tab));
    assert_eq!(palette_text(&d), "inspect evil_bidi");
    // Typing ends the cycle; Enter runs it.
    d.type_text(" ");
    let fx = d.press(enter());
    assert!(matches!(fx.as_slice(), [Effect::Inspect { b, .. }] if b == &id("evil_bidi")));

    // An ID with a space is written quoted, and reads back whole.
    let mut d = Dash::new();
    let req = d.look_up("alice");
    d.pages(req, &[("we ird".to_owned(), NOW)], 1);
    d.press(ch(':'));
    d.type_text("unblock we");
    d.press(key(KeyCode::Tab));
    assert_eq!(palette_text(&d), "unblock 'we ird' ");
    d.press(enter());
    assert_eq!(d.pending().unwrap().pairs, pairs_of("alice", &["we ird"]));

    // Nothing to offer: said on the line.
    let mut d = Dash::alice(20);
    d.press(ch(':'));
    d.type_text("zzz");
    d.press(key(KeyCode::Tab));
    assert_eq!(d.palette_error(), Some("nothing to complete here"));
    // Read-only mode offers no command that changes anything.
    let mut d = Dash::read_only();
    d.load("alice", 20);
    d.press(ch(':'));
    d.type_text("un");
    d.press(key(KeyCode::Tab));
    assert_eq!(d.palette_error(), Some("nothing to complete here"));
    d.press(key(KeyCode::Backspace));
    d.press(key(KeyCode::Tab));
    assert_eq!(palette_text(&d), "user ");
}

// ---------------------------------------------------------------------------------------------
// Trust at the moment of action: arming, bursts, failure states, signs of life

#[test]
fn a_question_counts_a_key_only_after_it_has_been_on_screen_a_moment() {
    let mut d = Dash::alice(20);
    d.press(ch('x'));
    assert!(d.pending().is_some());
    assert!(!d.model.armed());
    // A `y` at once (within the arming time): not an answer, and it says why.
    d.wait(100);
    assert!(d.send(Msg::Key(ch('y'))).is_empty());
    assert!(d.pending().is_some());
    let notice = d.model.notice.clone().expect("a notice");
    assert!(notice.contains("has just opened"), "{notice}");
    // The screen wakes when it arms, to show `y` active (the checks are in).
    assert!(d.checked(Preflight::default()));
    assert_eq!(
        d.model.next_wake(),
        Some(d.model.overlay_since + blockdeck::app::model::ARMING_MS)
    );
    d.wait(blockdeck::app::model::ARMING_MS);
    assert!(d.model.armed());
    assert!(matches!(
        d.send(Msg::Key(ch('y'))).as_slice(),
        [Effect::RunBatch { .. }]
    ));
    // `n` needs no arming: going back is always safe.
    let mut d = Dash::alice(20);
    d.press(ch('x'));
    assert!(d.send(Msg::Key(ch('n'))).is_empty());
    assert!(matches!(d.model.overlay, Overlay::None));
}

#[test]
fn keys_that_came_together_never_answer_a_question() {
    // `x` and `y` in one burst: the question opens, the `y` is dropped, nothing is sent.
    let mut d = Dash::alice(20);
    assert!(only_checks(&d.burst(&[ch('x'), ch('y')])));
    assert!(d.pending().is_some());
    assert!(no_mutation(&d.effects));
    let notice = d.model.notice.clone().expect("a notice");
    assert!(notice.contains("not taken as an answer"), "{notice}");
    // Even once armed, a burst does not answer it; a person's `y` does.
    d.wait(1000);
    assert!(d.checked(Preflight::default()));
    assert!(d.burst_text("yy").is_empty());
    assert!(d.pending().is_some());
    assert!(matches!(
        d.press(ch('y')).as_slice(),
        [Effect::RunBatch { .. }]
    ));
    // Nor does a bracketed paste.
    let mut d = Dash::alice(20);
    d.press(ch('x'));
    d.wait(1000);
    assert!(d.paste("y").is_empty());
    assert!(d.pending().is_some());
    // While a batch runs, `q` asks; a burst does not answer that either.
    let mut d = Dash::alice(20);
    d.press(ch('x'));
    d.confirm();
    d.press(ch('q'));
    d.wait(1000);
    assert!(d.burst_text("yy").is_empty());
    assert!(matches!(d.model.overlay, Overlay::QuitConfirm));
}

#[test]
fn a_burst_into_a_line_is_text_and_submits_nothing() {
    // The block prompt: lines joined as a bracketed paste would be, no Enter submitted.
    let mut d = Dash::alice(20);
    d.press(ch('b'));
    assert!(d.burst_text("heidi\nyuki2003\nkim\n").is_empty());
    match &d.model.overlay {
        Overlay::BlockPrompt { input, error: None } => {
            assert_eq!(input.value(), "heidi yuki2003 kim ")
        }
        other => panic!("{other:?}"),
    }
    assert!(d.effects.is_empty());
    // Enter pressed by a person then asks, with all three.
    d.press(enter());
    assert_eq!(
        d.pending().unwrap().pairs,
        pairs_of("alice", &["heidi", "yuki2003", "kim"])
    );
    // The lookup line: typed ahead together with its Enter, it waits for a real Enter.
    let mut d = Dash::new();
    assert!(d.burst_text("alice\nx").is_empty());
    assert_eq!(d.model.lookup.value(), "alice x");
    assert_eq!(d.model.lookup_req, 0);
    // A burst that opens a line types into it: `b` then IDs.
    let mut d = Dash::alice(20);
    d.burst_text("bmallory\ntrent");
    match &d.model.overlay {
        Overlay::BlockPrompt { input, .. } => assert_eq!(input.value(), "mallory trent"),
        other => panic!("{other:?}"),
    }
    // On the table, keys that came together act as keys (type-ahead of moves over SSH).
    let mut d = Dash::alice(20);
    d.burst_text("jjj");
    assert_eq!(d.model.list.cursor(), 3);
}

#[test]
fn a_lookup_that_stops_midway_says_which_page_and_keeps_what_came() {
    let mut d = Dash::new();
    let req = d.look_up("alice");
    d.send(Msg::Account {
        req,
        info: account("Alice", 3),
    });
    d.pages(req, &roster(250), 2);
    d.send(Msg::LookupFailed {
        req,
        error: Failure::from(&blockdeck::client::http::CallError::Http { status: 502 }),
    });
    let failure = d.model.list.failure.clone().expect("a failure");
    assert_eq!((failure.kind, failure.pages), (FailureKind::Unreachable, 2));
    assert_eq!(d.model.list.rows.len(), 200);
    assert!(!d.model.list.complete && !d.model.list.loading);
    assert!(d.logged("reading alice's list stopped at page 3"));
    // `r` tries again, and a new lookup forgets the failure.
    let fx = d.press(ch('r'));
    assert!(matches!(fx.as_slice(), [Effect::Lookup { .. }]));
    assert_eq!(d.model.list.failure, None);
}

#[test]
fn only_waiting_wakes_the_screen() {
    // Idle: nothing moves by itself, so nothing is drawn.
    let mut d = Dash::alice(20);
    assert_eq!(d.model.busy_since(), None);
    assert_eq!(d.model.next_wake(), None);
    // A lookup waiting: the spinner shows after a moment, then moves on frame by frame.
    let req = d.look_up("bob");
    let since = d.model.lookup_since.expect("waiting");
    let at = blockdeck::app::model::BUSY_AFTER_MS;
    assert_eq!(d.model.next_wake(), Some(since + at));
    d.wait(at + 50);
    let wake = d.model.next_wake().unwrap();
    assert!(wake > d.model.ms && wake <= d.model.ms + blockdeck::app::model::SPINNER_MS);
    assert!(d.model.waited(since).unwrap() >= at);
    // The answer ends the wait.
    d.pages(req, &roster(5), 1);
    assert_eq!(d.model.next_wake(), None);
}

// ---------------------------------------------------------------------------------------------
// The checks before a change, undo in place, retry and resume as the same journal batch

#[test]
fn u_after_an_unblock_puts_the_rows_back_where_they_stood_with_their_nicknames() {
    let mut d = Dash::after_unblock(250);
    let shown = |d: &Dash| -> Vec<(String, Option<String>)> {
        d.model.list.rows[..4]
            .iter()
            .map(|r| (r.to.as_str().to_owned(), r.nick.clone()))
            .collect()
    };
    // bob and carol_91 were unblocked, evil_osc was off the list already.
    assert_eq!(d.model.list.rows[0].to.as_str(), "evil_bidi");
    d.press(ch('U'));
    let (bid, op, pairs) = d.confirm();
    assert_eq!(op, Operation::Block);
    assert_eq!(pairs, pairs_of("alice", &["bob", "carol_91"]));
    // carol_91 comes back first: each finds its place whatever the order.
    d.finish(
        bid,
        op,
        vec![done(pairs[1].clone()), done(pairs[0].clone())],
        BatchEnd::Completed,
    );
    assert_eq!(
        shown(&d),
        [
            ("bob".to_owned(), Some("Bob".to_owned())),
            ("carol_91".to_owned(), Some("Carol 李".to_owned())),
            ("evil_bidi".to_owned(), d.model.list.rows[2].nick.clone()),
            ("@RBT#support".to_owned(), Some("Support bot".to_owned())),
        ]
    );
    // The service stamps the block now.
    assert_eq!(d.model.list.rows[0].added, d.model.now);
}

#[test]
fn the_checks_hold_out_missing_accounts_pairs_already_so_and_what_overflows() {
    let mut d = Dash::alice(998);
    d.command("block mallory ghost bob trent victor walter");
    let p = d.pending().expect("a confirmation");
    assert!(matches!(p.checks, Checks::Running { .. }));
    assert!(d.checked(Preflight {
        missing: vec![id("ghost")],
        in_state: pairs_of("alice", &["bob"]),
        unchecked: Vec::new(),
    }));
    let p = d.pending().unwrap();
    let Checks::Done(held) = &p.checks else {
        panic!("{:?}", p.checks)
    };
    assert_eq!(held.missing, pairs_of("alice", &["ghost"]));
    assert_eq!(held.already, pairs_of("alice", &["bob"]));
    // Two places left of 1000: victor and walter would not fit.
    assert_eq!(held.list_size, Some(998));
    assert_eq!(held.overflow, pairs_of("alice", &["victor", "walter"]));
    assert_eq!((p.sends(), p.to_send().len()), (2, 2));
    let (_, _, sent) = d.confirm();
    assert_eq!(sent, pairs_of("alice", &["mallory", "trent"]));
}

#[test]
fn checks_that_hold_out_everything_leave_nothing_to_send() {
    let mut d = Dash::alice(20);
    d.press(ch('x'));
    let pairs = d.pending().unwrap().pairs.clone();
    d.checked(Preflight {
        in_state: pairs,
        ..Preflight::default()
    });
    d.wait(1000);
    assert!(d.press(ch('y')).is_empty());
    let notice = d.model.notice.clone().unwrap_or_default();
    assert!(notice.contains("nothing left to send"), "{notice}");
    assert!(d.pending().is_some());
    d.press(ch('n'));
    assert!(no_mutation(&d.effects));
}

#[test]
fn checks_that_could_not_run_say_why_and_y_sends_everything_as_asked() {
    let mut d = Dash::alice(20);
    d.mark(2);
    d.press(ch('x'));
    let Some(Checks::Running { req }) = d.pending().map(|p| p.checks.clone()) else {
        panic!()
    };
    d.send(Msg::Checked {
        req,
        result: Err(fail("connection refused\u{1b}[2J")),
    });
    let p = d.pending().unwrap();
    assert!(
        matches!(&p.checks, Checks::Failed(why) if why.contains("connection refused") && !why.contains('\u{1b}')),
        "{:?}",
        p.checks
    );
    let want = p.pairs.clone();
    d.wait(1000);
    let fx = d.press(ch('y'));
    assert!(
        matches!(fx.as_slice(), [Effect::RunBatch { pairs, .. }] if *pairs == want),
        "{fx:?}"
    );
}

#[test]
fn an_answer_to_the_checks_of_an_older_question_is_dropped() {
    let mut d = Dash::alice(20);
    d.press(ch('x'));
    let Some(Checks::Running { req: old }) = d.pending().map(|p| p.checks.clone()) else {
        panic!()
    };
    d.press(ch('n'));
    d.press(ch('j'));
    d.press(ch('x'));
    let pairs = d.pending().unwrap().pairs.clone();
    d.send(Msg::Checked {
        req: old,
        result: Ok(Preflight {
            in_state: pairs,
            ..Preflight::default()
        }),
    });
    assert!(matches!(
        d.pending().unwrap().checks,
        Checks::Running { req } if req != old
    ));
}

#[test]
fn r_sends_the_retry_as_the_same_journal_batch() {
    let mut d = Dash::after_unblock(250);
    d.press(ch('R'));
    let (_, _, pairs, resume) = d.confirm_resuming();
    assert_eq!(pairs, pairs_of("alice", &["@RBT#support"]));
    assert_eq!(resume.as_deref(), Some(JOURNAL));
}

fn unfinished_batch() -> IncompleteBatch {
    IncompleteBatch {
        id: "20261122T013500Z-3f9a".into(),
        op: Operation::Block,
        time: NOW - 7200,
        by: "oncall\u{1b}[31m".into(),
        unfinished: pairs_of("alice", &["mallory", "trent"]),
    }
}

#[test]
fn unfinished_batches_of_the_journal_are_said_and_resume_finishes_one() {
    let mut d = Dash::alice(20);
    // None: :resume says so.
    assert!(d.command("resume").is_empty());
    let error = d.palette_error().unwrap_or_default().to_owned();
    assert!(error.contains("no unfinished batch"), "{error}");
    d.press(esc());

    d.send(Msg::Incomplete(Ok(vec![unfinished_batch()])));
    assert!(d.logged("1 unfinished batch(es)"));
    // The same news again is not said twice.
    let lines = d.model.activity.lines.len();
    d.send(Msg::Incomplete(Ok(vec![unfinished_batch()])));
    assert_eq!(d.model.activity.lines.len(), lines);

    assert!(d.command("resume 2025").is_empty());
    let error = d.palette_error().unwrap_or_default().to_owned();
    assert!(error.contains("no unfinished batch 2025"), "{error}");
    d.press(esc());
    assert!(only_checks(&d.command("resume 20261122")));
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Block);
    assert_eq!(p.pairs, pairs_of("alice", &["mallory", "trent"]));
    assert!(p.title.contains("20261122T013500Z-3f9a"), "{}", p.title);
    assert!(p.title.contains("2h ago"), "{}", p.title);
    assert!(!p.title.contains('\u{1b}'), "{}", p.title);
    // What the checks find is recorded in the journal batch, not held out of it.
    d.checked(Preflight {
        in_state: pairs_of("alice", &["mallory"]),
        ..Preflight::default()
    });
    let (_, op, pairs, resume) = d.confirm_resuming();
    assert_eq!(op, Operation::Block);
    assert_eq!(pairs, pairs_of("alice", &["mallory", "trent"]));
    assert_eq!(resume.as_deref(), Some("20261122T013500Z-3f9a"));
}

#[test]
fn read_only_mode_offers_no_resume() {
    let mut d = Dash::read_only();
    d.load("alice", 20);
    d.send(Msg::Incomplete(Ok(vec![unfinished_batch()])));
    assert!(d.command("resume").is_empty());
    assert!(d.pending().is_none());
    let error = d.palette_error().unwrap_or_default().to_owned();
    assert!(error.contains("read-only"), "{error}");
}

#[test]
fn the_journal_that_cannot_be_read_is_said() {
    let mut d = Dash::alice(20);
    d.send(Msg::Incomplete(Err(Failure::local("permission denied"))));
    assert!(d.logged("the journal could not be read: permission denied"));
}

// ---------------------------------------------------------------------------------------------
// The team's rules in the confirmation: a reason line, protected accounts held out

fn rules(require_reason: bool, protected: &[&str]) -> blockdeck::moderation::Rules {
    blockdeck::moderation::Rules {
        require_reason,
        protected: blockdeck::moderation::Protected::of(protected.iter().map(|p| id(p))),
        profile: Some("prod".to_owned()),
    }
}

/// `require_reason`: the confirmation opens on its reason line; `y` is refused until a reason is
/// typed and kept with Enter, and the batch carries it.
#[test]
fn a_required_reason_is_typed_in_the_confirmation_before_y_sends() {
    let mut d = Dash::alice(20);
    d.model.rules = rules(true, &[]);
    d.mark(2);
    d.press(ch('x'));
    d.checked(Preflight::default());
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.typing, Some(ConfirmLine::Reason));
    assert_eq!(contexts(&d.model)[0], Context::Typing);
    // Keys are text on the line: `y` and `n` too.
    d.type_text("spam wave, appeal denied");
    assert_eq!(
        d.pending().unwrap().reason.value(),
        "spam wave, appeal denied"
    );
    d.press(key(KeyCode::Esc));
    assert!(
        d.pending().is_some(),
        "Esc leaves the line, not the question"
    );
    assert_eq!(d.pending().unwrap().typing, None);
    // Cleared, y is refused with the reason why.
    d.press(ch('r'));
    for _ in 0..30 {
        d.press(key(KeyCode::Backspace));
    }
    d.press(key(KeyCode::Enter));
    assert!(d.press(ch('y')).is_empty());
    assert!(
        d.model
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("requires a reason")),
        "{:?}",
        d.model.notice
    );
    d.press(ch('r'));
    d.type_text("raid OPS-17");
    d.press(key(KeyCode::Enter));
    let fx = d.press(ch('y'));
    let [Effect::RunBatch { approval, .. }] = fx.as_slice() else {
        panic!("y gave {fx:?}");
    };
    assert_eq!(approval.why.reason.as_deref(), Some("raid OPS-17"));
}

/// A paste into the reason line is text: it answers nothing.
#[test]
fn a_paste_into_the_reason_line_is_text_not_an_answer() {
    let mut d = Dash::alice(20);
    d.model.rules = rules(true, &[]);
    d.mark(1);
    d.press(ch('x'));
    d.checked(Preflight::default());
    let fx = d.burst(&[ch('y'), ch('e'), ch('s'), key(KeyCode::Enter)]);
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(d.pending().unwrap().reason.value(), "yes ");
}

/// Pairs that touch a protected account are held out and named; `p` and the account's ID let
/// them through (the change is checked again), and the batch names it as included.
#[test]
fn a_protected_account_is_held_out_of_the_confirmation_until_named() {
    let mut d = Dash::alice(20);
    let rows: Vec<String> = d.model.list.rows[..3]
        .iter()
        .map(|r| r.to.as_str().to_owned())
        .collect();
    d.model.rules = rules(false, &[&rows[1]]);
    d.mark(3);
    d.press(ch('x'));
    d.checked(Preflight::default());
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.pairs, pairs_of("alice", &[&rows[0], &rows[2]]));
    assert_eq!(p.protected, pairs_of("alice", &[&rows[1]]));
    // A name that is not held out is refused.
    d.press(ch('p'));
    d.type_text("nobody");
    d.press(key(KeyCode::Enter));
    assert!(
        d.model
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("not one of"))
    );
    assert_eq!(d.pending().unwrap().protected.len(), 1);
    d.press(ch('p'));
    d.type_text(&rows[1]);
    let fx = d.press(key(KeyCode::Enter));
    assert!(
        matches!(fx.as_slice(), [Effect::Preflight { .. }]),
        "{fx:?}"
    );
    assert!(d.pending().unwrap().protected.is_empty());
    assert!(d.logged("let through by name"));
    d.checked(Preflight::default());
    let fx = d.press(ch('y'));
    let [
        Effect::RunBatch {
            pairs, approval, ..
        },
    ] = fx.as_slice()
    else {
        panic!("y gave {fx:?}");
    };
    assert_eq!(pairs.len(), 3);
    assert_eq!(approval.include_protected, vec![id(&rows[1])]);
}

/// Every pair protected: nothing to send until one is named.
#[test]
fn a_change_of_protected_pairs_only_waits_for_a_name() {
    let mut d = Dash::alice(20);
    let first = d.model.list.rows[0].to.as_str().to_owned();
    d.model.rules = rules(false, &[&first]);
    d.mark(1);
    d.press(ch('x'));
    d.checked(Preflight::default());
    assert!(d.press(ch('y')).is_empty());
    assert!(
        d.model
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("protected account")),
        "{:?}",
        d.model.notice
    );
}

// ---------------------------------------------------------------------------------------------
// The journal view

/// The row of `batch` in the journal's list, the cursor put on it.
fn journal_cursor_on(d: &mut Dash, batch: &str) {
    d.press(ch('g'));
    let at = d
        .journal_ids()
        .iter()
        .position(|b| b == batch)
        .unwrap_or_else(|| panic!("{batch} is not listed: {:?}", d.journal_ids()));
    d.press_n(ch('j'), at);
    assert_eq!(
        d.journal().current().map(|b| b.state.id().to_string()),
        Some(batch.to_owned())
    );
}

fn journal_batch<'a>(d: &'a Dash, batch: &str) -> &'a blockdeck::app::model::JournalBatch {
    d.journal().find(batch).expect("listed")
}

#[test]
fn j_reads_the_journal_in_the_worker_and_the_batches_fill_the_table() {
    use blockdeck::app::model::JournalLoad;
    let mut d = Dash::alice(20);
    let fx = d.press(ch('J'));
    assert_eq!(fx, [Effect::LoadJournal { req: 1, limit: 500 }]);
    assert_eq!(d.journal().load, JournalLoad::Loading);
    assert!(d.journal().batches.is_empty());
    assert_eq!(contexts(&d.model), [Context::Journal]);
    // An answer to another read is dropped.
    d.send(Msg::Journal {
        req: 7,
        result: Ok(journal_batches()),
    });
    assert_eq!(d.journal().load, JournalLoad::Loading);
    d.send(Msg::Journal {
        req: 1,
        result: Ok(journal_batches()),
    });
    assert_eq!(d.journal().load, JournalLoad::Loaded);
    // Newest first.
    assert_eq!(
        d.journal_ids(),
        [NOTHING_BATCH, OTHER_APP_BATCH, BLOCK_BATCH, UNBLOCK_BATCH]
    );
    let unblock = journal_batch(&d, UNBLOCK_BATCH);
    assert_eq!(unblock.who, "mod_ana (ana)");
    assert_eq!(unblock.when, utc(NOW - 2 * 86_400));
    assert_eq!(unblock.state_shown, "completed");
    assert_eq!(unblock.why, "reason \"spam wave\", ticket OPS-12");
    let c = unblock.counts;
    assert_eq!(
        (c.total, c.done, c.already, c.failed, c.pending),
        (4, 2, 1, 1, 0)
    );
    assert!(unblock.this_app);
    let block = journal_batch(&d, BLOCK_BATCH);
    assert_eq!(block.who, "mod_bo");
    assert_eq!(block.state_shown, "not ended · resumed 1×");
    assert!(!journal_batch(&d, OTHER_APP_BATCH).this_app);
    // Journal text is untrusted: shown escaped.
    let nothing = journal_batch(&d, NOTHING_BATCH);
    assert_eq!(nothing.who, "cy");
    assert!(
        !nothing.why.contains(['\u{1b}', '\u{202e}']),
        "{:?}",
        nothing.why
    );
    assert!(nothing.why.contains("\\u{1b}[2Jcleanup\\u{202e}evil"));
    // Keys are the journal's: nothing reaches the table beneath.
    let marks_before = d.model.list.marks.len();
    d.press(ch(' '));
    d.press(ch('x'));
    assert_eq!(d.model.list.marks.len(), marks_before);
    assert!(d.pending().is_none());
}

#[test]
fn the_journal_opens_from_the_command_line_and_typing_goes_nowhere_beneath_it() {
    let mut d = Dash::new();
    d.focus(Focus::Lookup);
    d.type_text(":journal");
    let fx = d.press(enter());
    assert!(
        matches!(fx.as_slice(), [Effect::LoadJournal { .. }]),
        "{fx:?}"
    );
    assert!(d.model.journal.is_some());
    // The lookup line under the view does not take keys or pastes.
    d.type_text("xyz");
    d.paste("trent");
    assert_eq!(d.model.lookup.value(), "");
    // `:journal` again reads it again.
    let fx = d.command("journal");
    assert!(
        matches!(fx.as_slice(), [Effect::LoadJournal { req: 2, .. }]),
        "{fx:?}"
    );
}

#[test]
fn a_journal_that_cannot_be_read_shows_the_error_never_an_empty_table() {
    use blockdeck::app::model::JournalLoad;
    let mut d = Dash::alice(20);
    let req = d.open_journal();
    assert_eq!(d.journal().batches.len(), 4);
    // Read again, and this time it fails: what was shown is gone, the cause is shown.
    let fx = d.press(ch('r'));
    assert_eq!(
        fx,
        [Effect::LoadJournal {
            req: req + 1,
            limit: 500
        }]
    );
    d.send(Msg::Journal {
        req: req + 1,
        result: Err(fail("database disk image is malformed")),
    });
    let view = d.journal();
    assert!(
        matches!(&view.load, JournalLoad::Failed(t) if t.contains("malformed")),
        "{:?}",
        view.load
    );
    assert!(view.batches.is_empty() && view.view.is_empty());
    assert!(d.logged("the journal could not be read"));
    // U and Enter say why they cannot act.
    assert!(d.press(ch('U')).is_empty());
    assert!(
        d.model
            .notice
            .as_deref()
            .unwrap()
            .contains("could not be read")
    );
    assert!(d.press(enter()).is_empty());
    assert!(d.journal().items.is_none());
    // Ctrl-R reads it again.
    let fx = d.press(ctrl('r'));
    assert!(matches!(fx.as_slice(), [Effect::LoadJournal { req: r, .. }] if *r == req + 2));
    d.send(Msg::Journal {
        req: req + 2,
        result: Ok(journal_batches()),
    });
    assert_eq!(d.journal().batches.len(), 4);
}

#[test]
fn the_journal_filters_by_moderator_reason_ticket_batch_and_user_and_sorts() {
    let mut d = Dash::alice(20);
    d.open_journal();
    let filtered = |d: &mut Dash, text: &str| {
        d.press(ch('/'));
        assert!(matches!(d.model.overlay, Overlay::Filter(_)));
        d.type_text(text);
        let ids = d.journal_ids();
        d.press(esc());
        assert_eq!(d.journal_ids().len(), 4, "Esc clears the filter");
        ids
    };
    assert_eq!(
        filtered(&mut d, "mod_ana"),
        [OTHER_APP_BATCH, UNBLOCK_BATCH]
    );
    assert_eq!(filtered(&mut d, "MOD_BO"), [BLOCK_BATCH]);
    assert_eq!(filtered(&mut d, "ops-12"), [UNBLOCK_BATCH]);
    assert_eq!(filtered(&mut d, "cleanup"), [NOTHING_BATCH]);
    assert_eq!(filtered(&mut d, "20261121"), [OTHER_APP_BATCH, BLOCK_BATCH]);
    assert_eq!(filtered(&mut d, "trent"), [BLOCK_BATCH]);
    assert_eq!(filtered(&mut d, "nobody_at_all"), Vec::<String>::new());
    // Enter keeps a filter; the title's facts come from it.
    d.press(ch('/'));
    d.type_text("alice");
    d.press(enter());
    assert_eq!(d.journal().filter, "alice");
    assert_eq!(d.journal_ids().len(), 4);
    assert_eq!(d.model.list.filter, "", "the blocklist's filter is its own");
    d.command("filter mallory");
    assert_eq!(d.journal_ids(), [BLOCK_BATCH]);
    d.command("filter");
    assert!(matches!(&d.model.overlay, Overlay::Filter(i) if i.value() == "mallory"));
    d.press(esc());

    // Sort: newest, oldest, by moderator; the cursor stays on its batch.
    journal_cursor_on(&mut d, BLOCK_BATCH);
    d.press(ch('s'));
    assert_eq!(
        d.journal_ids(),
        [UNBLOCK_BATCH, BLOCK_BATCH, OTHER_APP_BATCH, NOTHING_BATCH]
    );
    assert_eq!(d.journal().scroll.cursor, 1);
    d.press(ch('s'));
    assert_eq!(
        d.journal_ids(),
        [NOTHING_BATCH, OTHER_APP_BATCH, UNBLOCK_BATCH, BLOCK_BATCH]
    );
    assert_eq!(d.journal().scroll.cursor, 3);
    d.press(ch('s'));
    assert_eq!(
        d.journal_ids(),
        [NOTHING_BATCH, OTHER_APP_BATCH, BLOCK_BATCH, UNBLOCK_BATCH]
    );
    assert_eq!(
        d.model.list.sort,
        Sort::Added,
        "the blocklist's sort is its own"
    );
}

#[test]
fn enter_shows_a_batchs_items_and_esc_goes_back_to_the_same_row() {
    let mut d = Dash::alice(20);
    d.open_journal();
    journal_cursor_on(&mut d, UNBLOCK_BATCH);
    assert!(d.press(enter()).is_empty());
    assert_eq!(contexts(&d.model), [Context::JournalItems]);
    let items = d.journal().items.as_ref().expect("the items");
    let lines: Vec<(&str, &str)> = items
        .lines
        .iter()
        .map(|l| (l.pair.as_str(), l.status.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ("alice → bob", "done"),
            ("alice → carol_91", "done"),
            ("alice → dave.smith", "already"),
            ("alice → erin-k", "failed"),
        ]
    );
    let failed = &items.lines[3];
    assert!(
        failed.failed && failed.code.starts_with("30003"),
        "{failed:?}"
    );
    assert_eq!(failed.info, "Err_SNS_BlackListDelete_Account_Not_Exist");
    // A pending pair says so.
    d.press(esc());
    journal_cursor_on(&mut d, BLOCK_BATCH);
    d.press(enter());
    let statuses: Vec<&str> = d
        .journal()
        .items
        .as_ref()
        .unwrap()
        .lines
        .iter()
        .map(|l| l.status.as_str())
        .collect();
    assert_eq!(statuses, ["done", "pending"]);
    // r reads the batch again from the journal.
    let fx = d.press(ch('r'));
    let req = match fx.as_slice() {
        [Effect::LoadJournalBatch { req, id }] if id == BLOCK_BATCH => *req,
        other => panic!("{other:?}"),
    };
    d.send(Msg::JournalBatch {
        req,
        result: Err(fail("the journal is locked")),
    });
    let items = d.journal().items.as_ref().unwrap();
    assert!(
        items.lines.is_empty(),
        "a batch that could not be read shows no items"
    );
    assert!(
        matches!(&items.load, blockdeck::app::model::JournalLoad::Failed(t) if t.contains("locked"))
    );
    // Esc: back to the list, on the same row; Esc again closes the journal.
    assert!(d.press(esc()).is_empty());
    assert!(d.journal().items.is_none());
    assert_eq!(d.journal().scroll.cursor, 2);
    assert_eq!(contexts(&d.model), [Context::Journal]);
    d.press(ch('q'));
    assert!(d.model.journal.is_none());
    assert_eq!(contexts(&d.model)[0], Context::Table);
    assert!(!d.model.should_quit);
}

#[test]
fn u_on_a_journal_batch_confirms_the_inverse_over_exactly_the_pairs_it_changed() {
    let mut d = Dash::alice(20);
    d.open_journal();
    journal_cursor_on(&mut d, UNBLOCK_BATCH);
    assert!(only_checks(&d.press(ch('U'))));
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Block);
    // Done only: not the one already off the list, not the failure.
    assert_eq!(p.pairs, pairs_of("alice", &["bob", "carol_91"]));
    assert!(p.title.contains(UNBLOCK_BATCH), "{}", p.title);
    assert!(p.title.contains("mod_ana"), "{}", p.title);
    let warning = p.warning.as_deref().unwrap();
    assert!(
        warning.contains("blocked since") && warning.contains("friendship"),
        "{warning}"
    );
    // n: back to the journal at the same row.
    d.press(ch('n'));
    assert!(d.pending().is_none());
    assert_eq!(
        d.journal().current().map(|b| b.state.id().to_string()),
        Some(UNBLOCK_BATCH.to_owned())
    );

    // From a batch's items too; a batch that has not ended says so.
    journal_cursor_on(&mut d, BLOCK_BATCH);
    d.press(enter());
    assert!(only_checks(&d.press(ch('U'))));
    let p = d.pending().unwrap();
    assert_eq!(p.op, Operation::Unblock);
    assert_eq!(p.pairs, [pair("mallory", "alice")]);
    assert!(p.warning.as_deref().unwrap().contains("has not ended"));
    // The same path as every change: the checks, y, the engine.
    let (bid, op, pairs) = d.confirm();
    assert_eq!(
        (op, pairs.clone()),
        (Operation::Unblock, vec![pair("mallory", "alice")])
    );
    d.effects.clear();
    d.finish(
        bid,
        op,
        pairs.into_iter().map(done).collect(),
        BatchEnd::Completed,
    );
    assert!(matches!(d.model.overlay, Overlay::Result));
    // Back in the journal's items after the summary; the list is read again on leaving them.
    d.press(esc());
    assert!(d.journal().items.is_some());
}

#[test]
fn u_refuses_another_apps_batch_and_a_batch_that_changed_nothing() {
    let mut d = Dash::alice(20);
    d.open_journal();
    journal_cursor_on(&mut d, OTHER_APP_BATCH);
    assert!(d.press(ch('U')).is_empty());
    assert!(d.pending().is_none());
    let notice = d.model.notice.clone().unwrap();
    assert!(
        notice.contains("another app")
            && notice.contains("1400000999")
            && notice.contains("nothing was sent"),
        "{notice}"
    );
    journal_cursor_on(&mut d, NOTHING_BATCH);
    assert!(d.press(ch('U')).is_empty());
    assert!(d.pending().is_none());
    let notice = d.model.notice.clone().unwrap();
    assert!(notice.contains("changed nothing to undo"), "{notice}");
    assert!(d.logged("changed nothing to undo"));

    // Read-only mode refuses it before anything else.
    let mut ro = Dash::read_only();
    ro.look_up("alice");
    ro.focus(Focus::Blocklist);
    ro.open_journal();
    journal_cursor_on(&mut ro, UNBLOCK_BATCH);
    assert!(ro.press(ch('U')).is_empty());
    assert!(
        ro.model
            .notice
            .as_deref()
            .unwrap()
            .contains("read-only mode")
    );
}

#[test]
fn a_batch_run_from_the_journal_reads_the_journal_again() {
    let mut d = Dash::alice(20);
    let req = d.open_journal();
    journal_cursor_on(&mut d, UNBLOCK_BATCH);
    d.press(ch('U'));
    let (bid, op, pairs) = d.confirm();
    let before = d.effects.len();
    d.finish(
        bid,
        op,
        pairs.into_iter().map(done).collect(),
        BatchEnd::Completed,
    );
    assert!(
        d.effects[before..].contains(&Effect::LoadJournal {
            req: req + 1,
            limit: 500
        }),
        "{:?}",
        &d.effects[before..]
    );
}

// ---------------------------------------------------------------------------------------------
// The history view (H, :history)

/// The history shown, if any.
fn history_view(d: &Dash) -> &blockdeck::app::model::HistoryView {
    d.history()
}

#[test]
fn h_on_a_row_opens_its_account_s_history_newest_first_and_esc_closes_it() {
    let mut d = Dash::alice(20);
    d.press_n(ch('j'), 2);
    assert_eq!(current(&d.model), "evil_osc");
    let fx = d.press(ch('H'));
    assert_eq!(
        fx,
        [Effect::History {
            req: 1,
            account: id("evil_osc")
        }]
    );
    let v = history_view(&d);
    assert_eq!(v.load, HistoryLoad::Loading);
    assert!(v.back.is_none());
    assert!(contexts(&d.model).contains(&Context::History));
    d.answer_history(1, history_of("evil_osc", 12));
    let v = history_view(&d);
    assert_eq!(v.load, HistoryLoad::Loaded);
    assert_eq!(v.lines.len(), 12);
    // Newest first; both ways, each with the other account.
    assert!(v.lines.windows(2).all(|w| w[0].time_ms > w[1].time_ms));
    use blockdeck::app::model::Direction;
    assert_eq!(
        (
            v.lines[0].direction,
            v.lines[0].words(),
            v.lines[0].other.as_str()
        ),
        (Direction::Out, "blocked", "user_0000")
    );
    assert_eq!(
        (
            v.lines[1].direction,
            v.lines[1].words(),
            v.lines[1].other.as_str()
        ),
        (Direction::In, "blocked by", "user_0001")
    );
    assert_eq!(
        v.lines[1].sentence("evil_osc"),
        "user_0001 blocked evil_osc"
    );
    // Untrusted text is escaped once, when it arrives.
    assert_eq!(v.lines[3].other_shown, sanitize(EVIL_OSC_NICK));
    assert!(!v.lines[3].other_shown.contains('\u{1b}'));
    // j/G move the cursor; the table underneath stays where it was.
    d.press(ch('j'));
    assert_eq!(history_view(&d).scroll.cursor, 1);
    d.press(ch('G'));
    assert_eq!(history_view(&d).scroll.cursor, 11);
    assert_eq!(current(&d.model), "evil_osc");
    assert!(d.press(esc()).is_empty());
    assert!(matches!(d.model.overlay, Overlay::None));
    assert_eq!(d.model.focus, Focus::Blocklist);
}

#[test]
fn history_by_name_from_the_command_line_and_its_mistakes() {
    let mut d = Dash::alice(20);
    assert_eq!(
        d.command("history mallory"),
        [Effect::History {
            req: 1,
            account: id("mallory")
        }]
    );
    assert_eq!(history_view(&d).account_shown, "mallory");
    d.press(esc());
    // One account at a time.
    assert!(d.command("history mallory trent").is_empty());
    assert!(
        d.palette_error()
            .is_some_and(|e| e.contains("one UserID at most")),
        "{:?}",
        d.palette_error()
    );
    // Nobody looked up and no ID: it says what to do.
    let mut fresh = Dash::new();
    fresh.focus(Focus::Activity);
    assert!(fresh.press(ch('H')).is_empty());
    let notice = fresh.model.notice.clone().unwrap_or_default();
    assert!(notice.contains(":history ID"), "{notice}");
}

#[test]
fn h_on_the_feed_opens_the_history_of_the_account_that_made_the_change() {
    let mut d = Dash::alice(20);
    d.send(Msg::FeedChange(feed_event(
        ChangeKind::Block,
        "mallory",
        "trent",
        NOW,
    )));
    d.send(Msg::FeedChange(feed_event(
        ChangeKind::Unblock,
        "erin-k",
        "alice",
        NOW + 1,
    )));
    d.focus(Focus::Feed);
    // The newest line is selected.
    assert_eq!(
        d.press(ch('H')),
        [Effect::History {
            req: 1,
            account: id("erin-k")
        }]
    );
    d.press(esc());
    d.press(ch('k'));
    assert_eq!(
        d.press(ch('H')),
        [Effect::History {
            req: 2,
            account: id("mallory")
        }]
    );
    d.press(esc());
    // A teammate's batch is no account's change: it says so.
    d.send(Msg::TeamBatch {
        moved: blockdeck::app::model::TeamMove::Started,
        batch: journal_batches()[0].summary(),
    });
    d.press(ch('G'));
    assert!(d.press(ch('H')).is_empty());
    let notice = d.model.notice.clone().unwrap_or_default();
    assert!(notice.contains("teammate's batch"), "{notice}");
}

#[test]
fn h_in_the_inspector_opens_the_second_user_s_history_and_esc_goes_back_to_it() {
    let mut d = Dash::alice(20);
    let side = d.inspect_row();
    d.send(Msg::Inspected {
        req: side,
        result: Ok(relationship("alice", "bob", true, false)),
    });
    assert_eq!(
        d.press(ch('H')),
        [Effect::History {
            req: 1,
            account: id("bob")
        }]
    );
    d.answer_history(1, history_of("bob", 6));
    // H on a line: the other account's history; Esc back to bob's, then to the inspector.
    d.press(ch('j'));
    assert_eq!(
        d.press(ch('H')),
        [Effect::History {
            req: 2,
            account: id("user_0001")
        }]
    );
    d.answer_history(2, history_of("user_0001", 2));
    assert!(d.press(esc()).is_empty());
    assert_eq!(history_view(&d).account, id("bob"));
    assert_eq!(history_view(&d).scroll.cursor, 1, "the cursor where it was");
    assert!(d.press(esc()).is_empty());
    assert!(
        d.inspector()
            .is_some_and(|i| matches!(i.result, Some(Ok(_)))),
        "{:?}",
        d.model.overlay
    );
}

#[test]
fn a_history_left_before_its_answer_is_read_again_when_come_back_to() {
    let mut d = Dash::alice(20);
    assert_eq!(d.command("history bob").len(), 1);
    d.answer_history(1, history_of("bob", 6));
    d.press(ch('j'));
    d.press(ch('H'));
    // Back before user_0001's answer: that answer is not bob's history.
    d.press(esc());
    d.answer_history(2, history_of("user_0001", 2));
    assert_eq!(history_view(&d).lines.len(), 6);
    // bob's read again (r), and H on a line before that answer: coming back reads bob anew.
    d.press(ch('r'));
    d.press(ch('H'));
    assert!(matches!(
        d.press(esc()).as_slice(),
        [Effect::History { req: 5, account }] if *account == id("bob")
    ));
    d.answer_history(3, history_of("bob", 6));
    assert_eq!(
        history_view(&d).load,
        HistoryLoad::Loading,
        "a stale answer"
    );
    d.answer_history(5, history_of("bob", 7));
    assert_eq!(history_view(&d).lines.len(), 7);
}

#[test]
fn stale_history_answers_are_dropped() {
    let mut d = Dash::alice(20);
    d.command("history bob");
    // r before the answer: only the answer to the newest read counts.
    assert_eq!(
        d.press(ch('r')),
        [Effect::History {
            req: 2,
            account: id("bob")
        }]
    );
    d.answer_history(1, history_of("bob", 30));
    assert_eq!(history_view(&d).load, HistoryLoad::Loading);
    assert!(history_view(&d).lines.is_empty());
    d.answer_history(2, history_of("bob", 3));
    assert_eq!(history_view(&d).lines.len(), 3);
    // An answer after the view closed changes nothing.
    d.press(esc());
    let before = format!("{:?}", d.model.overlay);
    d.answer_history(2, history_of("bob", 30));
    assert_eq!(format!("{:?}", d.model.overlay), before);
}

#[test]
fn r_in_the_history_keeps_the_cursor_on_its_change() {
    let mut d = Dash::alice(20);
    d.command("history bob");
    d.answer_history(1, history_of("bob", 10));
    d.press_n(ch('j'), 3);
    let at = history_view(&d).current().unwrap().clone();
    d.press(ch('r'));
    // Two newer changes came: the cursor follows its change down.
    let mut read = history_of("bob", 10);
    read.changes
        .insert(0, change(99, ChangeKind::Block, "bob", "zed", NOW + 60));
    read.changes
        .insert(0, change(100, ChangeKind::Block, "bob", "zoe", NOW + 120));
    d.answer_history(2, read);
    assert_eq!(history_view(&d).scroll.cursor, 5);
    assert_eq!(history_view(&d).current(), Some(&at));
}

#[test]
fn a_store_that_cannot_be_read_is_an_error_never_an_empty_history() {
    let mut d = Dash::alice(20);
    d.command("history bob");
    d.answer_history(1, history_of("bob", 4));
    d.press(ch('r'));
    d.send(Msg::History {
        req: 2,
        result: Err(fail(
            "cannot read the change store /srv/journal.db: database disk image is malformed",
        )),
    });
    let v = history_view(&d);
    assert!(
        matches!(&v.load, HistoryLoad::Failed(t) if t.contains("malformed")),
        "{:?}",
        v.load
    );
    // What was shown is not the history any more.
    assert!(v.lines.is_empty() && v.reach.is_none());
    assert!(d.logged("the history of bob could not be read"));
    // No store at all is a state of its own too.
    d.press(ch('r'));
    d.send(Msg::History {
        req: 3,
        result: Ok(Stored::Absent(
            "no change store yet: /srv/journal.db does not exist".into(),
        )),
    });
    assert!(matches!(
        &history_view(&d).load,
        HistoryLoad::NoStore(why) if why.contains("does not exist")
    ));
}

#[test]
fn enter_on_a_history_line_looks_the_other_account_up() {
    let mut d = Dash::alice(20);
    d.open_journal();
    d.command("history bob");
    d.answer_history(1, history_of("bob", 6));
    d.press_n(ch('j'), 2);
    let lookup = d.model.lookup_req + 1;
    assert_eq!(
        d.press(enter()),
        [Effect::Lookup {
            req: lookup,
            user: id("user_0002")
        }]
    );
    assert!(matches!(d.model.overlay, Overlay::None));
    assert!(d.model.journal.is_none(), "the journal closes");
    assert_eq!(d.model.list.owner, Some(id("user_0002")));
    assert_eq!(
        d.model.history.last().map(String::as_str),
        Some("user_0002")
    );
    // A line whose account is no ID blockdeck can act on says so.
    d.command("history bob");
    d.answer_history(2, history_of("bob", 6));
    d.press_n(ch('j'), 3);
    assert!(d.press(enter()).is_empty());
    let notice = d.model.notice.clone().unwrap_or_default();
    assert!(notice.contains("not an ID"), "{notice}");
    assert!(matches!(d.model.overlay, Overlay::History(_)));
}

// ---------------------------------------------------------------------------------------------
// The feed's filter

#[test]
fn the_feed_filter_shows_only_changes_of_matching_accounts_and_esc_clears_it() {
    let mut d = Dash::alice(20);
    for (n, (kind, from, to)) in [
        (ChangeKind::Block, "mallory", "trent"),
        (ChangeKind::Block, "bob", "carol_91"),
        (ChangeKind::Unblock, "trent", "Mallory2"),
        (ChangeKind::Block, "erin-k", "dave"),
    ]
    .into_iter()
    .enumerate()
    {
        d.send(Msg::FeedChange(feed_event(kind, from, to, NOW + n as u64)));
    }
    d.send(Msg::TeamBatch {
        moved: blockdeck::app::model::TeamMove::Started,
        batch: journal_batches()[0].summary(),
    });
    d.focus(Focus::Feed);
    assert!(d.press(ch('/')).is_empty());
    assert!(matches!(d.model.overlay, Overlay::Filter(_)));
    // Live as it is typed, either side, any case; the table is left alone.
    d.type_text("MALL");
    assert_eq!(d.model.feed.filter, "MALL");
    assert_eq!(d.model.feed.shown_len(), 2);
    assert!(d.model.list.filter.is_empty());
    assert_eq!(d.model.focus, Focus::Feed);
    d.press(enter());
    assert!(matches!(d.model.overlay, Overlay::None));
    // The cursor moves over what is shown; Enter opens the one at the cursor.
    d.press(ch('k'));
    let shown: Vec<&str> = d
        .model
        .feed
        .changes_shown()
        .map(|l| l.raw.from.as_str())
        .collect();
    assert_eq!(shown, ["mallory", "trent"]);
    assert_eq!(
        d.model
            .feed
            .selected()
            .and_then(|e| e.change())
            .map(|l| l.raw.from.as_str()),
        Some("mallory")
    );
    d.press(enter());
    assert!(
        matches!(&d.model.overlay, Overlay::Entry(e) if e.paragraphs[0].1 == "mallory blocked trent")
    );
    d.press(esc());
    // A change that arrives and does not match stays out of sight.
    d.send(Msg::FeedChange(feed_event(
        ChangeKind::Block,
        "zed",
        "zoe",
        NOW + 9,
    )));
    assert_eq!(d.model.feed.shown_len(), 2);
    // The export is the feed as shown.
    d.press(ch('e'));
    d.press(ctrl('u'));
    d.type_text("f.csv");
    let fx = d.press(enter());
    match fx.as_slice() {
        [Effect::Export { rows, contents, .. }] => {
            assert_eq!(*rows, 2);
            assert!(!contents.contains("zed"), "{contents}");
        }
        other => panic!("{other:?}"),
    }
    // Esc on the feed: every change again.
    assert!(d.press(esc()).is_empty());
    assert!(d.model.feed.filter.is_empty());
    assert_eq!(d.model.feed.shown_len(), d.model.feed.lines.len());
    assert!(d.model.feed.scroll.tail, "following the newest again");
    // Without a filter, Esc says there is none.
    d.press(esc());
    let notice = d.model.notice.clone().unwrap_or_default();
    assert!(notice.contains("no filter"), "{notice}");
}

#[test]
fn the_feed_filter_line_s_esc_clears_it_and_a_full_feed_keeps_the_window() {
    let mut d = Dash::alice(20);
    for n in 0..FEED_KEEP {
        let from = if n % 2 == 0 { "mallory" } else { "bob" };
        d.send(Msg::FeedChange(feed_event(
            ChangeKind::Block,
            from,
            "trent",
            NOW + n as u64,
        )));
    }
    d.focus(Focus::Feed);
    d.press(ch('/'));
    d.type_text("mallory");
    d.press(enter());
    d.press_n(ch('k'), 10);
    let at = d.model.feed.selected().cloned();
    // The oldest lines go at the cap: the cursor stays on its line.
    for n in 0..4 {
        d.send(Msg::FeedChange(feed_event(
            ChangeKind::Block,
            "mallory",
            "trent",
            NOW + 5_000 + n,
        )));
    }
    assert_eq!(d.model.feed.lines.len(), FEED_KEEP);
    assert_eq!(d.model.feed.selected().cloned(), at);
    // A fresh filter line, the kept one on ↑; Esc on it clears it.
    d.press(ch('/'));
    assert!(matches!(&d.model.overlay, Overlay::Filter(i) if i.value().is_empty()));
    d.press(key(KeyCode::Up));
    assert!(matches!(&d.model.overlay, Overlay::Filter(i) if i.value() == "mallory"));
    d.press(esc());
    assert!(d.model.feed.filter.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Block rates (the sparklines) and a batch's calls per second

#[test]
fn block_rates_are_read_once_the_screen_is_up_and_at_most_every_ten_seconds() {
    use blockdeck::app::model::RATE_REFRESH_MS;
    let mut d = Dash::alice(20);
    // Before the screen is up nothing is read, and nothing wakes the dashboard for it.
    assert!(
        !d.effects
            .iter()
            .any(|e| matches!(e, Effect::BlockRate { .. }))
    );
    assert_eq!(d.model.next_wake(), None);
    let app = d.started();
    let t0 = d.model.ms;
    // The store is not known to be there yet: alice's rate waits for the app's answer.
    assert!(d.send(Msg::Clock(t0 + 1)).is_empty());
    let fx = d.answer_rate(app, spike(9));
    let account = match fx.as_slice() {
        [
            Effect::BlockRate {
                req,
                scope: RateScope::Account(a),
            },
        ] if *a == id("alice") => *req,
        other => panic!("{other:?}"),
    };
    d.answer_rate(account, spike(7));
    assert_eq!(d.model.rates.account.state, RateState::Counts(spike(7)));
    // Keys and ticks in the next ten seconds read nothing; the dashboard wakes for the next read.
    assert_eq!(d.model.next_wake(), Some(t0 + RATE_REFRESH_MS));
    for _ in 0..9 {
        d.press(ch('j'));
        d.send(Msg::Tick(NOW + 1));
    }
    let reads = |d: &Dash| {
        d.effects
            .iter()
            .filter(|e| matches!(e, Effect::BlockRate { .. }))
            .count()
    };
    assert_eq!(reads(&d), 2, "{:?}", d.effects);
    // Then each is read again, once, ten seconds after it was asked for, on whatever comes
    // first.
    let fx = d.send(Msg::Clock(t0 + RATE_REFRESH_MS));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::BlockRate {
                scope: RateScope::App,
                ..
            }]
        ),
        "{fx:?}"
    );
    let fx = d.send(Msg::Clock(t0 + 1 + RATE_REFRESH_MS));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::BlockRate {
                scope: RateScope::Account(_),
                ..
            }]
        ),
        "{fx:?}"
    );
    assert!(d.send(Msg::Clock(t0 + RATE_REFRESH_MS + 5_000)).is_empty());
    // Unanswered, they are not asked again until they count as lost.
    assert!(d.send(Msg::Clock(t0 + 2 * RATE_REFRESH_MS + 2)).is_empty());
    // Another account looked up: its rate is read at once, the last one's never drawn for it.
    d.focus(Focus::Lookup);
    d.type_text("bob");
    let fx = d.press(enter());
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::Lookup { .. }, Effect::BlockRate { scope: RateScope::Account(a), .. }]
                if *a == id("bob")
        ),
        "{fx:?}"
    );
    assert_eq!(d.model.rates.account.state, RateState::Unread);
    assert_eq!(d.model.rates.account_of, Some(id("bob")));
}

#[test]
fn a_failed_rate_read_is_a_failure_said_once_never_zeros() {
    let mut d = Dash::alice(20);
    let app = d.started();
    d.send(Msg::BlockRate {
        req: app,
        result: Err(fail(
            "the change store postgres://db/team stopped answering",
        )),
    });
    assert!(
        matches!(&d.model.rates.app.state, RateState::Failed(t) if t.contains("stopped answering"))
    );
    assert!(d.logged("blocks per minute across the app could not be read"));
    // Read again ten seconds later, failing again: not said twice.
    let fx = d.send(Msg::Clock(
        d.model.ms + blockdeck::app::model::RATE_REFRESH_MS,
    ));
    let again = fx
        .iter()
        .find_map(|e| match e {
            Effect::BlockRate {
                req,
                scope: RateScope::App,
            } => Some(*req),
            _ => None,
        })
        .expect("read again");
    d.send(Msg::BlockRate {
        req: again,
        result: Err(fail(
            "the change store postgres://db/team stopped answering",
        )),
    });
    let said = d
        .log_texts()
        .iter()
        .filter(|t| t.contains("could not be read"))
        .count();
    // The app's failure once; alice's rate was read too (the store is there, if failing), and
    // its failure said once as well.
    assert!(said <= 2, "{said}");
    // No store: nothing to draw, and alice's rate is not asked for.
    let mut d = Dash::alice(20);
    let app = d.started();
    let fx = d.send(Msg::BlockRate {
        req: app,
        result: Ok(Stored::Absent("no change store yet".into())),
    });
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(d.model.rates.app.state, RateState::NoStore);
    // A stale answer changes nothing.
    d.answer_rate(app, spike(3));
    assert_eq!(d.model.rates.app.state, RateState::NoStore);
}

#[test]
fn a_batch_s_calls_per_second_are_sampled_from_its_progress_into_bounded_slots() {
    use blockdeck::app::model::CALL_SLOTS;
    let mut d = Dash::alice(200);
    d.press(ch('*'));
    d.press(ch('x'));
    let (bid, op, pairs) = d.confirm();
    // Ten minutes of progress, every 100 ms: 20 calls a second, 60 in the last minute.
    for tick in 1..=6_000u64 {
        let ms = tick * 100;
        let calls = if ms <= 540_000 {
            ms / 50
        } else {
            10_800 + (ms - 540_000) * 60 / 1000
        };
        let mut p = progress(200, 0, 0);
        p.calls = calls;
        p.elapsed = std::time::Duration::from_millis(ms);
        d.send(Msg::BatchProgress {
            id: bid,
            progress: p,
        });
    }
    let rate = &d.model.running.as_ref().unwrap().call_rate;
    assert!(rate.ends.len() <= CALL_SLOTS, "{}", rate.ends.len());
    let per = rate.per_second();
    assert!((per[0] - 20.0).abs() < 0.01, "{per:?}");
    assert!((per.last().unwrap() - 60.0).abs() < 0.01, "{per:?}");
    // The outcome keeps them for the summary.
    d.finish(
        bid,
        op,
        pairs.into_iter().map(done).collect(),
        BatchEnd::Completed,
    );
    let last = d.model.last.as_ref().unwrap();
    assert_eq!(last.call_rate.covered_ms(), 600_000);
}

// ---------------------------------------------------------------------------------------------
// Drilling down and back

#[test]
fn enter_opens_the_row_and_esc_comes_back_to_the_same_row_filter_and_marks() {
    let mut d = Dash::alice(250);
    d.press(ch('/'));
    d.type_text("user_01");
    d.press(enter());
    d.press_n(ch('j'), 3);
    d.mark(2);
    let (cursor, marks) = (d.model.list.cursor(), d.model.list.marks.clone());
    let row = current(&d.model).to_owned();
    assert_eq!(marks.len(), 2);
    // Enter: that account, looked up; the path in the title's model.
    let fx = d.press(enter());
    let req = match fx.as_slice() {
        [Effect::Lookup { req, user }] if user.as_str() == row => *req,
        other => panic!("{other:?}"),
    };
    assert_eq!(d.model.path(), ["alice".to_owned(), row.clone()]);
    assert!(d.model.list.filter.is_empty() && d.model.list.marks.is_empty());
    d.answer(req, &roster(3), 1);
    assert_eq!(d.model.list.rows.len(), 3);
    // Enter again, deeper, and `w` before that list has loaded; Esc comes back to it.
    let deeper = current(&d.model).to_owned();
    d.press(enter());
    assert_eq!(
        d.model.path(),
        ["alice".to_owned(), row.clone(), deeper.clone()]
    );
    assert!(d.model.list.loading);
    d.find_blockers();
    assert!(d.press(esc()).contains(&Effect::CancelBlockers));
    assert_eq!(d.model.path(), ["alice".to_owned(), row.clone(), deeper]);
    // It was left loading and its answers are dropped: said, never shown as loading forever.
    assert!(!d.model.list.loading);
    assert!(d.logged("left before it had loaded"), "{:?}", d.log_texts());
    // Backspace comes back one place more.
    assert!(d.press(key(KeyCode::Backspace)).is_empty());
    assert_eq!(d.model.path(), ["alice".to_owned(), row.clone()]);
    assert_eq!(d.model.list.rows.len(), 3);
    // Esc: back on alice's list, as it was.
    assert!(d.press(esc()).is_empty());
    assert_eq!(d.model.path(), ["alice"]);
    assert_eq!(d.model.list.owner, Some(id("alice")));
    assert_eq!(d.model.list.filter, "user_01");
    assert_eq!(d.model.list.cursor(), cursor);
    assert_eq!(d.model.list.marks, marks);
    assert_eq!(d.model.user.as_ref().unwrap().id, id("alice"));
    // The lookup's late pages belong to the table left: dropped.
    let rows = d.model.list.rows.clone();
    d.pages(req, &roster(3), 1);
    assert_eq!(d.model.list.rows, rows);
    // Esc again: the kept filter is cleared (and offered again by ↑ on `/`).
    assert!(d.press(esc()).is_empty());
    assert!(d.model.list.filter.is_empty());
    assert_eq!(d.model.list.last_filter, "user_01");
    // Nothing left to go back to: said, nothing done.
    assert!(d.press(esc()).is_empty());
    let notice = d.model.notice.as_deref().unwrap_or_default();
    assert!(notice.contains("nothing to go back to"), "{notice}");
}

#[test]
fn esc_cancels_a_range_begun_before_anything_else() {
    let mut d = Dash::alice(30);
    d.press(ch('v'));
    d.press_n(ch('j'), 4);
    assert_eq!(d.model.list.pending_range(), Some(0..5));
    d.press(esc());
    assert_eq!(d.model.list.anchor, None);
    assert!(d.model.list.marks.is_empty(), "nothing was marked");
    // v twice marks the range shown.
    d.press(ch('v'));
    d.press_n(ch('j'), 2);
    d.press(ch('v'));
    assert_eq!(d.model.list.marks.len(), 3);
    assert_eq!(d.model.list.pending_range(), None);
}

#[test]
fn a_typed_lookup_starts_a_new_path() {
    let mut d = Dash::alice(20);
    d.press(enter());
    assert_eq!(d.model.back.len(), 1);
    d.look_up("carol_91");
    assert!(d.model.back.is_empty());
    assert_eq!(d.model.path(), ["carol_91"]);
}

#[test]
fn ctrl_d_and_ctrl_u_move_half_a_table() {
    let mut d = Dash::alice(250);
    let rows = d.model.bands().table_rows();
    d.press(ctrl('d'));
    assert_eq!(d.model.list.cursor(), rows / 2);
    d.press(ctrl('d'));
    assert_eq!(d.model.list.cursor(), 2 * (rows / 2));
    assert_scroll_valid(&d.model);
    d.press(ctrl('u'));
    assert_eq!(d.model.list.cursor(), rows / 2);
}

#[test]
fn the_blockers_table_takes_the_user_off_exactly_the_marked_blockers_lists() {
    let mut d = Dash::alice(20);
    let req = d.find_blockers();
    for (b, mutual) in [("mallory", true), ("oscar", false), ("trent", false)] {
        d.send(Msg::Blockers {
            req,
            event: blocker_found(b, mutual),
        });
    }
    d.send(Msg::BlockersDone {
        req,
        result: Ok(blockers_done(20, 0)),
    });
    assert_eq!(ids(&d.model), ["mallory", "oscar", "trent"]);
    // Filter, then mark two.
    d.press(ch('/'));
    d.type_text("o");
    d.press(enter());
    assert_eq!(ids(&d.model), ["mallory", "oscar"]);
    d.mark(2);
    d.press(esc());
    assert_eq!(ids(&d.model), ["mallory", "oscar", "trent"]);
    d.press(ch('x'));
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Unblock);
    assert_eq!(p.pairs, pairs_of_blockers(&["mallory", "oscar"], "alice"));
    assert!(
        p.title.contains("Remove alice from the blocklists of 2"),
        "{}",
        p.title
    );
    let (bid, op, pairs) = d.confirm();
    // As items finish, the rows go.
    d.finish(
        bid,
        op,
        pairs
            .iter()
            .map(|p| item(p.clone(), blockdeck::client::ItemStatus::Done))
            .collect(),
        BatchEnd::Completed,
    );
    assert_eq!(ids(&d.model), ["trent"]);
    if matches!(d.model.overlay, Overlay::Result) {
        d.press(esc());
    }
    assert!(
        matches!(d.model.overlay, Overlay::None),
        "{:?}",
        d.model.overlay
    );
    assert_eq!(d.model.list.kind, ListKind::Blockers);
    // Enter opens a blocker; Esc comes back to the table of blockers as it was.
    d.press(enter());
    assert_eq!(d.model.list.owner, Some(id("trent")));
    assert_eq!(d.model.path(), ["alice", "who blocks alice", "trent"]);
    d.press(esc());
    assert_eq!(d.model.list.kind, ListKind::Blockers);
    assert_eq!(ids(&d.model), ["trent"]);
    // b has no list to add to here, and says where one is.
    d.press(ch('b'));
    assert!(matches!(d.model.overlay, Overlay::None));
    // Sorting by nickname and by ID work here too; newest first does not (no times).
    d.press(ch('s'));
    assert_eq!(d.model.list.sort, Sort::Id);
    d.press(ch('s'));
    assert_eq!(d.model.list.sort, Sort::Nick);
    d.press(ch('s'));
    assert_eq!(d.model.list.sort, Sort::Added);
    // e exports the table as shown.
    d.press(ch('e'));
    assert!(matches!(
        d.export_prompt(),
        Some((_, ExportWhat::Blockers, None))
    ));
}

fn pairs_of_blockers(from: &[&str], to: &str) -> Vec<Pair> {
    from.iter().map(|f| Pair::new(id(f), id(to))).collect()
}

// ---------------------------------------------------------------------------------------------
// Remapped keys

/// The keymap of a config file's `[keys]` table.
fn keymap(keys: &str) -> blockdeck::app::keymap::Keymap {
    let file: blockdeck::config::ConfigFile =
        toml::from_str(&format!("[keys]\n{keys}")).expect("valid TOML");
    file.look().expect("valid keys").keymap
}

#[test]
fn a_remapped_key_acts_and_the_default_key_no_longer_does() {
    let mut d = Dash::alice(250);
    d.model.keymap = keymap("unblock = \"d\"\nrefresh = \"ctrl-r\"");
    // x now does nothing on the table; d asks to unblock the current row.
    assert!(d.press(ch('x')).is_empty());
    assert!(d.pending().is_none());
    assert!(only_checks(&d.press(ch('d'))));
    let p = d.pending().expect("a confirmation");
    assert_eq!(p.op, Operation::Unblock);
    // The messages name the remapped key.
    d.press(ch('n'));
    d.model.list.owner = None;
    d.press(ctrl('r'));
    let notice = d.model.notice.clone().unwrap_or_default();
    assert!(notice.contains("Ctrl-R looks them up again"), "{notice}");
}

#[test]
fn the_bar_and_the_help_show_the_remapped_key() {
    let mut d = Dash::alice(250);
    d.model.keymap = keymap("unblock = \"d\"\nhelp = \"f1\"");
    let bar: Vec<String> = command::bar(&d.model, &contexts(&d.model))
        .into_iter()
        .map(|(s, b)| format!("{} {}", b.label, s.short))
        .collect();
    assert!(bar.contains(&"d unblock".to_owned()), "{bar:?}");
    assert!(bar.contains(&"F1 help".to_owned()), "{bar:?}");
    assert!(!bar.iter().any(|b| b.starts_with("x ")), "{bar:?}");

    let sections = blockdeck::app::help::sections(&d.model.keymap, false, false);
    let table = &sections[0];
    assert!(
        table
            .entries
            .iter()
            .any(|e| e.label == "d" && e.help.starts_with("unblock the marked rows")),
        "{:?}",
        table.entries
    );
    let commands = sections.last().unwrap();
    assert!(
        commands
            .entries
            .iter()
            .any(|e| e.label.starts_with(":unblock") && e.help == "= d"),
        "{:?}",
        commands.entries
    );
}

#[test]
fn the_confirmation_names_the_remapped_answers() {
    let mut d = Dash::alice(250);
    d.model.keymap = keymap("yes = \"o\"\nno = [\"ctrl-n\", \"esc\"]");
    d.press(ch('x'));
    let keys: Vec<&str> = command::popup_keys(&d.model.keymap, Context::Confirm)
        .into_iter()
        .map(|(_, b)| b.label)
        .collect();
    assert_eq!(&keys[..2], ["o", "Ctrl-N/Esc"]);
    // `y` no longer answers; `o` does once the question has been read.
    d.model.ms += 1000;
    assert!(d.press(ch('y')).is_empty());
    assert!(d.pending().is_some());
    assert_eq!(
        d.model.keymap.resolve(&contexts(&d.model), &ch('o')),
        Some(Command::Yes)
    );
}
