//! The dashboard as drawn by `ui::view` into a `TestBackend`, for models built by feeding messages
//! through `update` like the runtime does: insta snapshots of the characters at 80×24 and 120×40,
//! and assertions on styles (cursor highlight, marks, NO_COLOR) and on the safety of every cell.

mod common {
    pub mod dashboard;
}

use blockdeck::app::model::{Focus, Overlay};
use blockdeck::app::{Model, Msg};
use blockdeck::client::engine::{BatchEnd, ItemResult, Waiting};
use blockdeck::client::ops::Preflight;
use blockdeck::client::{Operation, Pair};
use blockdeck::feed::{ChangeKind, Role};
use blockdeck::ui;
use common::dashboard::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::text::Span;

// ---------------------------------------------------------------------------------------------
// Rendering

/// The buffer `ui::view` draws for `model`, at the model's size.
fn render(model: &Model) -> Buffer {
    let backend = TestBackend::new(model.width, model.height);
    let mut terminal = Terminal::new(backend).expect("a test terminal");
    terminal
        .draw(|frame| ui::view(model, frame))
        .expect("drawn");
    terminal.backend().buffer().clone()
}

/// The characters of row `y`: each cell's symbol, the cells hidden under a wide character left
/// out, trailing blanks trimmed.
fn row_text(buf: &Buffer, y: u16) -> String {
    let mut line = String::new();
    let mut x = 0;
    while x < buf.area.width {
        let symbol = buf[(x, y)].symbol();
        line.push_str(symbol);
        x += Span::raw(symbol).width().max(1) as u16;
    }
    line.trim_end().to_owned()
}

fn rows(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height).map(|y| row_text(buf, y)).collect()
}

/// The whole screen as text, one line per row.
fn text(buf: &Buffer) -> String {
    rows(buf).join("\n")
}

/// The first row whose text contains `needle`.
fn row_of(buf: &Buffer, needle: &str) -> u16 {
    rows(buf)
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is not on screen:\n{}", text(buf))) as u16
}

/// Characters that must never reach a cell: controls and the invisible or direction-changing
/// set.
fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[track_caller]
fn assert_safe(name: &str, buf: &Buffer) {
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let symbol = buf[(x, y)].symbol();
            assert!(
                !symbol.chars().any(forbidden),
                "{name}: {symbol:?} at {x},{y}\n{}",
                text(buf)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The screens

/// `alice` with a complete roster of `n` on a `w`×`h` terminal.
fn alice(w: u16, h: u16, n: usize, mono: bool) -> Dash {
    let mut d = Dash::with(false, mono).size(w, h);
    d.load("alice", n);
    d
}

fn start(w: u16, h: u16, mono: bool) -> Dash {
    Dash::with(false, mono).size(w, h)
}

/// The first screen of `blockdeck demo`: the hint names the seed's suggested accounts.
fn demo_start(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = start(w, h, mono);
    d.model.suggestions = blockdeck::sandbox::Seed::demo()
        .suggest
        .into_iter()
        .map(|s| (s.id, s.shows))
        .collect();
    d
}

/// The first screen with a history kept from earlier runs: the hint names the latest lookups.
fn recent_start(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = start(w, h, mono);
    d.model.history = ["dave", "bob", "carol_91", "wx_5f3a9c0e", "erin-k"]
        .map(str::to_owned)
        .to_vec();
    d
}

/// `alice` looked up: the account answered, the first page of 100 of 250 arrived with its
/// nicknames, the rest is loading.
fn mid_load(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = Dash::with(false, mono).size(w, h);
    let req = d.look_up("alice");
    d.answer(req, &roster(250), 1);
    assert!(d.model.list.loading);
    d
}

/// `bob` marked, then the filter `e` (which hides him), then the two hostile rows and a range of
/// three marked; the cursor on the last of the range.
fn marks_and_filter(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    d.press(ch(' '));
    d.press(ch('/'));
    d.type_text("e");
    d.press(enter());
    d.press(ch('g'));
    d.mark(2);
    d.press_n(ch('j'), 2);
    d.press(ch('v'));
    d.press_n(ch('j'), 2);
    d.press(ch('v'));
    assert_eq!(d.model.list.marks.len(), 6);
    d
}

/// The confirmation of `x` on [`marks_and_filter`], its checks still running after a second.
fn confirm_checking(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = marks_and_filter(w, h, mono);
    d.press(ch('x'));
    assert!(d.pending().is_some());
    // As a person reads it: on screen long enough for `y` to answer, were the checks in.
    d.wait(1000);
    d
}

/// The marked rows' unblock under a profile that requires a reason and protects erin-k: her
/// pair is held out and named, and the reason line is being typed.
fn confirm_rules(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = marks_and_filter(w, h, mono);
    d.model.rules = blockdeck::moderation::Rules {
        require_reason: true,
        protected: blockdeck::moderation::Protected::of(["erin-k".parse().unwrap()]),
        profile: Some("prod".to_owned()),
    };
    d.press(ch('x'));
    d.wait(1000);
    assert!(d.checked(Preflight::default()));
    d.type_text("raid cleanup, OPS-4411");
    assert_eq!(d.pending().unwrap().protected.len(), 1);
    d
}

/// [`confirm_checking`] with the checks in: evil_bidi is not an account any more, erin-k is off
/// the list already; `y` sends the other four.
fn confirm(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = confirm_checking(w, h, mono);
    let pairs = d.pending().unwrap().pairs.clone();
    assert_eq!(
        (pairs[2].to.as_str(), pairs[3].to.as_str()),
        ("evil_bidi", "erin-k")
    );
    assert!(d.checked(Preflight {
        missing: vec![pairs[2].to.clone()],
        in_state: vec![pairs[3].clone()],
        unchecked: Vec::new(),
    }));
    assert_eq!(d.pending().unwrap().to_send().len(), 4);
    d
}

/// Five IDs to block for alice, whose complete list has 998 entries: three would not fit.
fn confirm_full(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 998, mono);
    d.press(ch('b'));
    d.paste("mallory trent peggy victor walter");
    d.press(enter());
    assert!(d.checked(Preflight::default()));
    d.wait(1000);
    assert_eq!(d.pending().unwrap().to_send().len(), 2);
    d
}

/// A lookup of alice that failed outright: nothing about her is known.
fn lookup_failed(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = Dash::with(false, mono).size(w, h);
    let req = d.look_up("alice");
    d.send(Msg::LookupFailed {
        req,
        error: fail(
            "could not reach http://127.0.0.1:5080/v4/im_open_login_svc/account_check: \
             connection refused",
        ),
    });
    d
}

/// alice's list, two pages of 100 of 250 in, when the third page failed after its retries.
fn list_stopped(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = Dash::with(false, mono).size(w, h);
    let req = d.look_up("alice");
    d.answer(req, &roster(250), 2);
    d.send(Msg::LookupFailed {
        req,
        error: fail("the service did not answer within 10 s (4 tries)"),
    });
    d
}

/// An unblock of the first twelve rows of alice's 250, ended by `end` with item `status(i)`.
fn outcome(
    w: u16,
    h: u16,
    mono: bool,
    end: BatchEnd,
    status: impl Fn(usize, Pair) -> ItemResult,
) -> Dash {
    let mut d = alice(w, h, 250, mono);
    d.mark(12);
    d.press(ch('x'));
    let (bid, op, pairs) = d.confirm();
    let items = pairs
        .into_iter()
        .enumerate()
        .map(|(i, p)| status(i, p))
        .collect();
    d.finish(bid, op, items, end);
    assert!(matches!(d.model.overlay, Overlay::Result));
    d
}

/// Every one of twelve unblocked.
fn completed(w: u16, h: u16, mono: bool) -> Dash {
    outcome(w, h, mono, BatchEnd::Completed, |_, p| done(p))
}

/// Every one of twelve failed: the service kept answering 30008 (write conflict) after retries.
fn all_failed(w: u16, h: u16, mono: bool) -> Dash {
    outcome(w, h, mono, BatchEnd::Completed, |_, p| {
        failed(p, 30008, "write conflict after 3 attempts")
    })
}

/// Stopped after four by 70001 (the UserSig expired): the other eight were not sent.
fn stopped(w: u16, h: u16, mono: bool) -> Dash {
    let end = BatchEnd::Stopped {
        code: 70001,
        reason: "stopped by error 70001: the UserSig has expired; a new one is made for every \
                 request, so check this machine's clock"
            .into(),
        info: "UserSig expired".into(),
    };
    outcome(
        w,
        h,
        mono,
        end,
        |i, p| if i < 4 { done(p) } else { unfinished(p) },
    )
}

/// Cancelled after five: the other seven were not sent.
fn cancelled(w: u16, h: u16, mono: bool) -> Dash {
    outcome(w, h, mono, BatchEnd::Cancelled, |i, p| {
        if i < 5 { done(p) } else { unfinished(p) }
    })
}

/// [`running`] waiting out a back-off: 40 items held back after 30008, 2.5 s to go.
fn waiting(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = running(w, h, mono);
    let mut p = progress(1000, 340, 3);
    p.waiting = Some(Waiting {
        items: 40,
        code: 30008,
        left: std::time::Duration::from_millis(2_500),
    });
    let bid = d.model.running.as_ref().unwrap().id;
    d.send(Msg::BatchProgress {
        id: bid,
        progress: p,
    });
    d
}

/// Every one of 1000 entries being unblocked: 340 finished, 3 of them failed.
fn running(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 1000, mono);
    d.press(ch('*'));
    d.press(ch('x'));
    let (bid, _, pairs) = d.confirm();
    let mut failures = 0;
    for (i, p) in pairs.iter().take(340).enumerate() {
        let item = if [17, 123, 301].contains(&i) {
            failures += 1;
            failed(p.clone(), 30003, "account not found")
        } else {
            done(p.clone())
        };
        d.send(Msg::BatchItem { id: bid, item });
    }
    d.send(Msg::BatchProgress {
        id: bid,
        progress: progress(1000, 340, failures),
    });
    d.press(ch('g'));
    d
}

/// The summary of an unblock of twelve entries: six done, one already off the list, five failed
/// with two codes (one with a hostile ResultInfo).
fn result(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    d.mark(12);
    d.press(ch('x'));
    let (bid, op, pairs) = d.confirm();
    let status = |i: usize| match i {
        2 => failed(
            pairs[i].clone(),
            30003,
            "To_Account not found\u{1b}[2J\u{202e}",
        ),
        3 => failed(pairs[i].clone(), 30003, "account not imported"),
        4 | 10 | 11 => failed(pairs[i].clone(), 30008, "write conflict after 3 attempts"),
        7 => already(pairs[i].clone()),
        _ => done(pairs[i].clone()),
    };
    let items = (0..pairs.len()).map(status).collect();
    d.finish(bid, op, items, BatchEnd::Completed);
    assert!(matches!(d.model.overlay, Overlay::Result));
    d
}

fn help(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    d.press(ch('?'));
    d
}

/// The help with keys remapped in the config file: the remapped keys are the ones listed.
fn help_remapped(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    let file: blockdeck::config::ConfigFile = toml::from_str(
        "[keys]\nunblock = \"d\"\nfind-blockers = [\"W\", \"ctrl-w\"]\nhelp = \"f1\"\n",
    )
    .expect("valid TOML");
    d.model.keymap = file.look().expect("valid keys").keymap;
    d.press(KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE));
    assert!(
        matches!(d.model.overlay, Overlay::Help(_)),
        "F1 opens the help"
    );
    d
}

fn read_only(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = Dash::with(true, mono).size(w, h);
    d.load("alice", 250);
    d.mark(2);
    d
}

/// `i` on bob (the first row of alice's list), answered: alice and bob block each other and are
/// not friends; alice has a nickname, bob none.
fn inspector(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    let req = d.inspect_row();
    assert!(d.inspector().is_some_and(|i| i.result.is_none()));
    let mut rel = relationship("alice", "bob", true, true);
    rel.a_nick = Some("Alice 李".into());
    d.send(Msg::Inspected {
        req,
        result: Ok(rel),
    });
    assert!(
        d.inspector()
            .is_some_and(|i| matches!(i.result, Some(Ok(_))))
    );
    d
}

/// The feed focused after ten changes from the webhook listener: mallory blocks in a burst
/// (flagged after her third change), bob and a hostile account block and unblock; one call was
/// refused.
fn feed(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    d.send(Msg::FeedSource(Some("webhooks on 127.0.0.1:9000".into())));
    let changes: [(ChangeKind, &str, &str); 10] = [
        (ChangeKind::Block, "bob", "carol_91"),
        (ChangeKind::Block, "mallory", "user_0101"),
        (ChangeKind::Block, "mallory", "user_0102"),
        (ChangeKind::Block, "mallory", "user_0103"),
        (ChangeKind::Unblock, "bob", "carol_91"),
        (ChangeKind::Block, "mallory", "user_0104"),
        (ChangeKind::Block, EVIL_OSC_NICK, "alice"),
        (ChangeKind::Block, "mallory", "user_0105"),
        (ChangeKind::Unblock, "erin-k", EVIL_BIDI_NICK),
        (ChangeKind::Block, "mallory", "user_0106"),
    ];
    for (n, (kind, from, to)) in changes.into_iter().enumerate() {
        d.send(Msg::FeedChange(feed_event(
            kind,
            from,
            to,
            NOW + 7 * n as u64,
        )));
        if n == 3 {
            d.send(Msg::Burst(burst_of(
                "mallory",
                Role::Blocking,
                ChangeKind::Block,
                3,
            )));
        }
    }
    d.send(Msg::FeedRejected {
        reason: "bad Sign".into(),
    });
    d.focus(Focus::Feed);
    assert_eq!(d.model.feed.lines.len(), 10);
    d
}

/// `w` on alice, part-way: 3000 of 20000 candidates checked, three blockers found.
fn blockers(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    let req = d.find_blockers();
    for (id, mutual) in [("mallory", true), ("trent", false), ("wx_5f3a9c0e", false)] {
        d.send(Msg::Blockers {
            req,
            event: blocker_found(id, mutual),
        });
    }
    d.send(Msg::Blockers {
        req,
        event: blockers_progress(3000, 20_000, 3),
    });
    d
}

/// [`blockers`] done, the nicknames read, two marked, the cursor on the last, sorted by nickname.
fn blockers_done(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = blockers(w, h, mono);
    let req = d.model.reverse.as_ref().unwrap().req;
    d.send(Msg::BlockersDone {
        req,
        result: Ok(common::dashboard::blockers_done(20_000, 2)),
    });
    d.send(Msg::BlockerNicks {
        req,
        nicks: vec![
            ("mallory".into(), "Mallory 🛡️ mod".into()),
            ("wx_5f3a9c0e".into(), "小明\u{1b}[2J".into()),
        ],
    });
    d.mark(2);
    d.press(ch('s'));
    d.press(ch('s'));
    d
}

/// `e` on the feed with a file name that is refused.
fn export(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = feed(w, h, mono);
    d.press(ch('e'));
    d.type_export_name("feed.txt");
    d.press(enter());
    assert!(d.export_prompt().is_some_and(|(_, _, e)| e.is_some()));
    d
}

/// [`list_stopped`] with its activity line opened whole (Enter on the activity pane).
fn entry(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = list_stopped(w, h, mono);
    d.focus(Focus::Activity);
    d.press(enter());
    assert!(matches!(d.model.overlay, Overlay::Entry(_)));
    d
}

/// [`inspector`] with more notes than the screen has lines, scrolled down three.
fn inspector_long(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = inspector(w, h, mono);
    if let Overlay::Inspector(view) = &mut d.model.overlay
        && let Some(Ok(i)) = &mut view.result
    {
        i.notes.extend((1..=12).map(|n| {
            format!("note {n}: a fact about alice and bob that takes a few words to say in full")
        }));
    }
    d.press_n(ch('j'), 3);
    d
}

/// `alice` looked up, then `J`: the journal's four batches, the cursor on mod_ana's unblock.
fn journal(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    d.open_journal();
    d.press_n(ch('j'), 3);
    assert_eq!(
        d.journal().current().map(|b| b.state.id().to_string()),
        Some(UNBLOCK_BATCH.to_owned())
    );
    d
}

/// [`journal`], then Enter: the unblock's four pairs.
fn journal_items(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = journal(w, h, mono);
    d.press(enter());
    assert!(d.journal().items.is_some());
    d
}

/// `J`, the journal still being read after a second.
fn journal_loading(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    d.press(ch('J'));
    d.wait(1000);
    d
}

/// `J`, and the journal could not be read.
fn journal_failed(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    d.press(ch('J'));
    let req = d.model.journal_req;
    d.send(Msg::Journal {
        req,
        result: Err(fail(
            "cannot read the journal /home/ana/.local/share/blockdeck/journal.db: database disk \
             image is malformed",
        )),
    });
    d
}

/// `:history alice`, answered: 40 changes both ways (one by an account whose ID is an escape
/// sequence), the cursor on the third.
fn history(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    d.command("history alice");
    let req = d.model.history_req;
    d.answer_history(req, history_of("alice", 40));
    d.press_n(ch('j'), 2);
    d
}

/// `H` on bob's row: the store holds nothing about him.
fn history_empty(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    let req = d.open_history();
    let mut read = history_of("bob", 0);
    read.changes.clear();
    d.answer_history(req, read);
    d
}

/// `H` on bob's row with a JSON Lines journal: there is no change store.
fn history_no_store(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    let req = d.open_history();
    d.send(Msg::History {
        req,
        result: Ok(blockdeck::app::msg::Stored::Absent(
            "the journal /home/ana/.local/share/blockdeck/journal.jsonl is a JSON Lines file, \
             which cannot hold changes: an SQLite journal (.db) or a postgres:// URL can"
                .into(),
        )),
    });
    d
}

/// `H` on bob's row, and the store could not be read.
fn history_failed(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    let req = d.open_history();
    d.send(Msg::History {
        req,
        result: Err(fail(
            "cannot read the change store postgres://db.internal/team: connection refused",
        )),
    });
    d
}

/// alice looked up with the screen up: the app's blocks per minute (a spike of 42 ten minutes
/// ago) and alice's (a spike of 7) read from the store.
fn sparklines(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    let app = d.started();
    let fx = d.answer_rate(app, spike(42));
    let Some(blockdeck::app::Effect::BlockRate { req, .. }) = fx.first() else {
        panic!("alice's rate is read once the store is there: {fx:?}");
    };
    d.answer_rate(*req, spike(7));
    d
}

/// [`feed`] with the app's blocks per minute read, the feed focused.
fn feed_sparkline(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = feed(w, h, mono);
    let app = d.started();
    d.answer_rate(app, spike(42));
    d.focus(Focus::Feed);
    d
}

/// An unblock of twelve entries whose progress came every 400 ms, the pace rising, dipping
/// during a back-off and rising again: the summary draws its calls per second.
fn batch_rate(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = alice(w, h, 250, mono);
    d.mark(12);
    d.press(ch('x'));
    let (bid, op, pairs) = d.confirm();
    let paces: [u64; 12] = [4, 8, 16, 30, 40, 40, 6, 0, 12, 36, 44, 40];
    let mut calls = 0;
    for (i, (p, pace)) in pairs.iter().zip(paces).enumerate() {
        calls += pace * 2 / 5;
        d.send(Msg::BatchItem {
            id: bid,
            item: done(p.clone()),
        });
        let mut progress = progress(12, i + 1, 0);
        progress.calls = calls;
        progress.elapsed = std::time::Duration::from_millis(400 * (i as u64 + 1));
        d.send(Msg::BatchProgress { id: bid, progress });
    }
    let mut report = report(
        op,
        pairs.into_iter().map(done).collect(),
        BatchEnd::Completed,
    );
    report.calls = calls;
    report.elapsed = std::time::Duration::from_millis(4_800);
    d.send(Msg::BatchDone {
        id: bid,
        report,
        journal: Some(JOURNAL.into()),
    });
    d
}

/// Nicknames whose characters are wider than one cell each or built of several characters:
/// emoji with a variation selector, a ZWJ family (its joiners are shown as escapes), a flag, a
/// combining accent, CJK, and two long enough to be cut at 80 columns.
const WIDE_NICKS: &[(&str, &str)] = &[
    ("arrow", "➡️ Forward"),
    ("shield", "🛡️ Guardian 🛡️"),
    ("family", "👨\u{200d}👩\u{200d}👧 Family"),
    ("flag_jp", "🇯🇵 Tokyo 🇯🇵"),
    ("renee", "Rene\u{301}e"),
    ("bruce", "李小龙"),
    ("mixed", "e\u{301}➡️🇯🇵李x🛡️"),
    ("shields", "🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️🛡️"),
    ("arrows", "x➡️➡️➡️➡️➡️➡️➡️➡️➡️➡️➡️➡️➡️➡️➡️➡️➡️➡️➡️"),
    ("plain", "Plain ASCII"),
];

/// `alice`'s blocklist of the accounts in [`WIDE_NICKS`], with their nicknames.
fn wide_nicks(w: u16, h: u16, mono: bool) -> Dash {
    let mut d = Dash::with(false, mono).size(w, h);
    let req = d.look_up("alice");
    d.send(Msg::Account {
        req,
        info: account("Alice ➡️🛡️", 12),
    });
    let entries: Vec<(String, u64)> = WIDE_NICKS
        .iter()
        .enumerate()
        .map(|(i, (to, _))| ((*to).to_owned(), added_at(i)))
        .collect();
    d.pages(req, &entries, 1);
    d.send(Msg::Nicks {
        req,
        nicks: WIDE_NICKS
            .iter()
            .map(|(to, nick)| ((*to).to_owned(), (*nick).to_owned()))
            .collect(),
    });
    d
}

type Screen = fn(u16, u16, bool) -> Dash;

const SCREENS: &[(&str, Screen)] = &[
    ("start", start),
    ("demo_start", demo_start),
    ("recent_start", recent_start),
    ("mid_load", mid_load),
    ("marks_filter", marks_and_filter),
    ("confirm_checking", confirm_checking),
    ("confirm", confirm),
    ("confirm_rules", confirm_rules),
    ("confirm_full", confirm_full),
    ("lookup_failed", lookup_failed),
    ("list_stopped", list_stopped),
    ("running", running),
    ("waiting", waiting),
    ("completed", completed),
    ("result", result),
    ("all_failed", all_failed),
    ("stopped", stopped),
    ("cancelled", cancelled),
    ("help", help),
    ("help_remapped", help_remapped),
    ("read_only", read_only),
    ("inspector", inspector),
    ("feed", feed),
    ("blockers", blockers),
    ("blockers_done", blockers_done),
    ("export", export),
    ("entry", entry),
    ("inspector_long", inspector_long),
    ("journal", journal),
    ("journal_items", journal_items),
    ("journal_loading", journal_loading),
    ("journal_failed", journal_failed),
    ("history", history),
    ("history_empty", history_empty),
    ("history_no_store", history_no_store),
    ("history_failed", history_failed),
    ("sparklines", sparklines),
    ("feed_sparkline", feed_sparkline),
    ("batch_rate", batch_rate),
    ("wide_nicks", wide_nicks),
];

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// `screen` on a `w`×`h` terminal. Below 80×24 keys do nothing, so a smaller screen is built at
/// the smallest usable size and then resized, as when a user shrinks the window.
fn sized(screen: Screen, w: u16, h: u16, mono: bool) -> Dash {
    let mut d = screen(w.max(80), h.max(24), mono);
    d.send(Msg::Resize(w, h));
    d
}

// ---------------------------------------------------------------------------------------------
// Snapshots

fn snapshot(name: &str, w: u16, h: u16) {
    let (_, screen) = SCREENS.iter().find(|(n, _)| *n == name).unwrap();
    let d = screen(w, h, false);
    let buf = render(&d.model);
    assert_safe(name, &buf);
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&buf));
}

#[test]
fn snapshot_start() {
    for (w, h) in SIZES {
        snapshot("start", w, h);
    }
}

#[test]
fn snapshot_first_screen_hints() {
    for (w, h) in SIZES {
        snapshot("demo_start", w, h);
        snapshot("recent_start", w, h);
    }
}

/// The demo's hint names its fixtures, cut to the pane (never wrapped into the border); the
/// history's names the newest lookup first.
#[test]
fn the_first_screen_hint_names_accounts_to_try() {
    for (w, h) in SIZES {
        let buf = render(&demo_start(w, h, false).model);
        let y = row_of(&buf, "type a user ID and press Enter");
        let row = row_text(&buf, y);
        assert!(row.contains("try mod_full (a full list)"), "{row}");
        assert!(row.ends_with('┃'), "the hint stays inside the pane: {row}");
        assert!(
            !rows(&buf)[usize::from(y) + 1].contains("nick"),
            "not wrapped"
        );
        // Every suggested account is named; their words give way at 80 columns.
        for id in ["mod_full", "alice", "evil_bidi"] {
            assert!(row.contains(id), "{w} columns: {row}");
        }
        if w >= 120 {
            assert!(
                row.contains("alice (three pages, the hostile nicknames)"),
                "{row}"
            );
        }
        let buf = render(&recent_start(w, h, false).model);
        let row = row_text(&buf, row_of(&buf, "type a user ID"));
        assert!(
            row.contains("recent: erin-k · wx_5f3a9c0e · carol_91 · bob"),
            "{row}"
        );
        assert!(!row.contains("dave"), "four at most: {row}");
    }
}

#[test]
fn snapshot_mid_load() {
    for (w, h) in SIZES {
        snapshot("mid_load", w, h);
    }
}

#[test]
fn snapshot_marks_and_filter() {
    for (w, h) in SIZES {
        snapshot("marks_filter", w, h);
    }
}

#[test]
fn snapshot_blockers_table() {
    for (w, h) in SIZES {
        snapshot("blockers", w, h);
        snapshot("blockers_done", w, h);
    }
}

#[test]
fn snapshot_confirm() {
    for (w, h) in SIZES {
        snapshot("confirm", w, h);
    }
}

#[test]
fn snapshot_confirm_rules() {
    for (w, h) in SIZES {
        snapshot("confirm_rules", w, h);
    }
}

#[test]
fn snapshot_confirm_checking() {
    for (w, h) in SIZES {
        snapshot("confirm_checking", w, h);
    }
}

#[test]
fn snapshot_confirm_full() {
    for (w, h) in SIZES {
        snapshot("confirm_full", w, h);
    }
}

#[test]
fn snapshot_lookup_failed() {
    for (w, h) in SIZES {
        snapshot("lookup_failed", w, h);
    }
}

#[test]
fn snapshot_list_stopped() {
    for (w, h) in SIZES {
        snapshot("list_stopped", w, h);
    }
}

#[test]
fn snapshot_waiting() {
    for (w, h) in SIZES {
        snapshot("waiting", w, h);
    }
}

#[test]
fn snapshot_entry() {
    for (w, h) in SIZES {
        snapshot("entry", w, h);
    }
}

#[test]
fn snapshot_inspector_long() {
    for (w, h) in SIZES {
        snapshot("inspector_long", w, h);
    }
}

#[test]
fn snapshot_outcomes() {
    for name in ["completed", "all_failed", "stopped", "cancelled"] {
        for (w, h) in SIZES {
            snapshot(name, w, h);
        }
    }
}

#[test]
fn snapshot_running() {
    for (w, h) in SIZES {
        snapshot("running", w, h);
    }
}

#[test]
fn snapshot_result() {
    for (w, h) in SIZES {
        snapshot("result", w, h);
    }
}

#[test]
fn snapshot_journal() {
    for name in ["journal", "journal_items"] {
        for (w, h) in SIZES {
            snapshot(name, w, h);
        }
    }
    snapshot("journal_loading", 80, 24);
    snapshot("journal_failed", 80, 24);
}

#[test]
fn snapshot_help() {
    for (w, h) in SIZES {
        snapshot("help", w, h);
    }
}

#[test]
fn snapshot_help_remapped() {
    for (w, h) in SIZES {
        snapshot("help_remapped", w, h);
    }
}

#[test]
fn snapshot_read_only() {
    for (w, h) in SIZES {
        snapshot("read_only", w, h);
    }
}

#[test]
fn snapshot_inspector() {
    for (w, h) in SIZES {
        snapshot("inspector", w, h);
    }
}

#[test]
fn snapshot_feed() {
    for (w, h) in SIZES {
        snapshot("feed", w, h);
    }
}

#[test]
fn snapshot_history() {
    for (w, h) in SIZES {
        snapshot("history", w, h);
    }
    for name in ["history_empty", "history_no_store", "history_failed"] {
        snapshot(name, 80, 24);
    }
}

#[test]
fn snapshot_sparklines() {
    for name in ["sparklines", "feed_sparkline", "batch_rate"] {
        for (w, h) in SIZES {
            snapshot(name, w, h);
        }
    }
}

#[test]
fn snapshot_too_small() {
    let d = sized(|w, h, mono| alice(w, h, 250, mono), 79, 23, false);
    assert!(!d.model.fits());
    let buf = render(&d.model);
    assert_safe("too small", &buf);
    insta::assert_snapshot!("too_small_79x23", text(&buf));
}

// ---------------------------------------------------------------------------------------------
// What the snapshots cannot show: styles and the safety of every cell

#[test]
fn no_cell_of_any_screen_holds_a_control_or_invisible_character() {
    for &(name, screen) in SCREENS {
        for (w, h) in SIZES.into_iter().chain([(79, 23), (200, 60)]) {
            for mono in [false, true] {
                let d = sized(screen, w, h, mono);
                let buf = render(&d.model);
                assert_safe(&format!("{name} {w}×{h} mono={mono}"), &buf);
            }
        }
    }
}

#[test]
fn hostile_nicknames_are_shown_escaped() {
    for (w, h) in SIZES {
        let buf = render(&alice(w, h, 250, false).model);
        let screen = text(&buf);
        assert!(screen.contains("\\u{1b}]0;pwned\\u{7}x"), "{screen}");
        assert!(screen.contains("\\u{202e}nimda\\u{202c}"), "{screen}");
    }
}

/// The screen row of the table row showing `to`.
fn table_row(buf: &Buffer, to: &str) -> u16 {
    row_of(buf, &format!(" {to} "))
}

/// The inner columns of a table row (between the pane's borders).
fn inner(buf: &Buffer) -> std::ops::Range<u16> {
    1..buf.area.width - 1
}

/// The cells the cursor highlights on a table row: the `>` marker and the ID.
fn cursor_cells(id: &str) -> impl Iterator<Item = u16> {
    // `┃> [x] id`: the marker in column 1, the ID from column 7.
    std::iter::once(1).chain(7..7 + id.len() as u16)
}

#[test]
fn the_cursor_row_is_highlighted_in_colour() {
    for (w, h) in SIZES {
        let d = marks_and_filter(w, h, false);
        let buf = render(&d.model);
        let cursor = d.model.list.current().unwrap().to.as_str().to_owned();
        let y = table_row(&buf, &cursor);
        assert!(row_text(&buf, y).starts_with("┃> [x]"), "{}", text(&buf));
        for x in cursor_cells(&cursor) {
            let cell = &buf[(x, y)];
            assert!(
                cell.bg != Color::Reset || cell.modifier.contains(Modifier::BOLD),
                "{w}×{h}: cell {x} of the cursor row is plain: {cell:?}"
            );
        }
        // Other rows are not.
        let other = table_row(&buf, "evil_bidi");
        assert!(inner(&buf).all(|x| buf[(x, other)].bg == Color::Reset));
        assert!(!row_text(&buf, other).contains('>'));
    }
}

#[test]
fn monochrome_uses_reverse_video_and_no_colour_at_all() {
    for &(name, screen) in SCREENS {
        for (w, h) in SIZES {
            let d = screen(w, h, true);
            let buf = render(&d.model);
            for (i, cell) in buf.content().iter().enumerate() {
                assert_eq!(
                    (cell.fg, cell.bg, cell.underline_color),
                    (Color::Reset, Color::Reset, Color::Reset),
                    "{name} {w}×{h}: colour in cell {i} {:?}",
                    cell.symbol()
                );
            }
        }
    }
    for (w, h) in SIZES {
        let d = marks_and_filter(w, h, true);
        let buf = render(&d.model);
        let cursor = d.model.list.current().unwrap().to.as_str().to_owned();
        let y = table_row(&buf, &cursor);
        assert!(row_text(&buf, y).starts_with("┃> [x]"), "{}", text(&buf));
        for x in cursor_cells(&cursor) {
            assert!(
                buf[(x, y)].modifier.contains(Modifier::REVERSED),
                "{w}×{h}: cell {x} of the cursor row"
            );
        }
        let other = table_row(&buf, "evil_bidi");
        assert!(inner(&buf).all(|x| !buf[(x, other)].modifier.contains(Modifier::REVERSED)));
    }
}

#[test]
fn marked_rows_show_a_box_in_both_themes() {
    for mono in [false, true] {
        for (w, h) in SIZES {
            let d = marks_and_filter(w, h, mono);
            let buf = render(&d.model);
            let list = &d.model.list;
            let window = list.window(d.model.bands().table_rows());
            assert!(window.len() >= 8, "{window:?}");
            for pos in window {
                let row = &list.rows[list.view[pos]];
                let y = table_row(&buf, row.to.as_str());
                let line = row_text(&buf, y);
                let marked = list.is_marked(row);
                assert_eq!(line.contains("[x]"), marked, "mono={mono} {w}×{h}: {line}");
                assert_eq!(line.contains("[ ]"), !marked, "mono={mono} {w}×{h}: {line}");
            }
            assert!(text(&buf).contains("6 marked"), "{}", text(&buf));
        }
    }
}

#[test]
fn the_table_shows_the_rows_update_keeps_in_view() {
    // The view draws exactly the window `update` scrolled to.
    for (w, h) in SIZES {
        let mut d = alice(w, h, 250, false);
        d.press(ch('n'));
        d.press_n(ch('j'), 60);
        let buf = render(&d.model);
        let list = &d.model.list;
        let rows = d.model.bands().table_rows();
        let top = row_of(&buf, "To_Account") + 1;
        for (k, pos) in (list.scroll.offset..list.scroll.offset + rows).enumerate() {
            let to = list.rows[list.view[pos]].to.as_str();
            assert!(
                row_text(&buf, top + k as u16).contains(to),
                "{w}×{h}: row {k} should show {to}\n{}",
                text(&buf)
            );
        }
        assert!(text(&buf).contains("page 2/3"), "{}", text(&buf));
    }
}

#[test]
fn focus_moves_the_pane_marker() {
    let mut d = alice(80, 24, 20, false);
    for (focus, title) in [
        (Focus::Activity, "▶ Activity"),
        (Focus::Lookup, "▶ Lookup"),
        (Focus::Blocklist, "▶ Blocklist"),
    ] {
        d.focus(focus);
        let screen = text(&render(&d.model));
        assert_eq!(screen.matches('▶').count(), 1, "{screen}");
        assert!(screen.contains(title), "{focus:?}\n{screen}");
    }
}

#[test]
fn the_running_batch_shows_its_progress_and_the_block_confirmation_its_warning() {
    let buf = render(&running(80, 24, false).model);
    let status = row_text(&buf, 22);
    assert!(status.starts_with("unblock 340/1000"), "{status}");
    assert!(status.contains("3 failed"), "{status}");
    assert!(row_text(&buf, 23).starts_with("Ctrl-C/Esc cancel batch"));

    let mut d = alice(80, 24, 20, false);
    d.press(ch('b'));
    d.paste("mallory\ntrent");
    d.press(enter());
    assert!(d.checked(Preflight::default()));
    d.wait(1000);
    let screen = text(&render(&d.model));
    assert!(screen.contains("Block 2 account(s) for alice"), "{screen}");
    assert!(screen.contains("friendship"), "{screen}");
    assert!(screen.contains("y confirm · n/Esc cancel"), "{screen}");
    assert_eq!(d.pending().unwrap().op, Operation::Block);
}

#[test]
fn failure_groups_show_their_count() {
    for (w, h) in SIZES {
        let screen = text(&render(&result(w, h, false).model));
        assert!(screen.contains("(2)"), "{screen}");
        assert!(screen.contains("(3)"), "{screen}");
    }
}

#[test]
fn burst_changes_carry_a_mark_and_a_style_in_both_themes() {
    for mono in [false, true] {
        for (w, h) in SIZES {
            let d = feed(w, h, mono);
            let buf = render(&d.model);
            let screen = text(&buf);
            // The alert on top, the flagged changes marked, the others not.
            assert!(
                screen.contains("⚠ burst: mallory blocked 3 accounts in 60 s"),
                "{screen}"
            );
            let y = row_of(&buf, "mallory blocked user_0106");
            let line = row_text(&buf, y);
            assert!(
                line.contains("⚠ mallory blocked user_0106 (RESTAPI)"),
                "{line}"
            );
            let x = line
                .find("mallory")
                .map(|b| Span::raw(&line[..b]).width())
                .unwrap() as u16;
            assert!(buf[(x, y)].modifier.contains(Modifier::BOLD), "mono={mono}");
            let y = row_of(&buf, "erin-k unblocked");
            let line = row_text(&buf, y);
            assert!(!line.contains('⚠'), "{line}");
            assert!(line.contains("\\u{202e}nimda\\u{202c}"), "{line}");
        }
    }
    // Tall enough for five lines: the hostile account is escaped, and mallory's changes before
    // the burst was flagged are not marked.
    let screen = text(&render(&feed(120, 50, false).model));
    assert!(
        screen.contains("\\u{1b}]0;pwned\\u{7}x blocked alice"),
        "{screen}"
    );
    assert!(screen.contains("· 1 refused"), "{screen}");
}

#[test]
fn the_inspector_offers_only_the_unblocks_that_apply() {
    for (w, h) in SIZES {
        let screen = text(&render(&inspector(w, h, false).model));
        assert!(
            screen.contains(
                "x unblock alice→bob · X unblock bob→alice · H history of bob · Esc close"
            ),
            "{screen}"
        );
        let mut d = Dash::with(true, false).size(w, h);
        d.load("alice", 20);
        let req = d.inspect_row();
        d.send(Msg::Inspected {
            req,
            result: Ok(relationship("alice", "bob", true, true)),
        });
        let screen = text(&render(&d.model));
        assert!(screen.contains("alice blocks bob: yes"), "{screen}");
        assert!(!screen.contains("unblock"), "{screen}");
    }
}

#[test]
fn a_batch_takes_one_activity_line_with_one_mark() {
    let screen = text(&render(&result(120, 40, false).model));
    let lines: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("unblock completed with failures"))
        .collect();
    assert_eq!(lines.len(), 1, "{screen}");
    assert!(!screen.contains("alice → evil_osc: error"), "{screen}");
    assert!(!screen.contains("✗ ✗"), "{screen}");
}

#[test]
fn unfinished_batches_show_on_the_status_line_and_resume_shows_what_it_sends() {
    let mut d = alice(80, 24, 20, false);
    d.send(Msg::Incomplete(Ok(vec![
        blockdeck::client::ops::IncompleteBatch {
            id: "20261122T013500Z-3f9a".into(),
            op: Operation::Block,
            time: NOW - 7200,
            by: "oncall".into(),
            unfinished: vec![
                Pair::new(id("alice"), id("mallory")),
                Pair::new(id("alice"), id("trent")),
            ],
        },
    ])));
    let buf = render(&d.model);
    let status = row_text(&buf, 22);
    assert!(
        status.contains("1 unfinished batch(es) in the journal — :resume"),
        "{status}"
    );
    d.command("resume");
    d.checked(Preflight {
        in_state: vec![Pair::new(id("alice"), id("mallory"))],
        ..Preflight::default()
    });
    d.wait(1000);
    let screen = text(&render(&d.model));
    for needle in [
        "Resume batch 20261122T013500Z-3f9a",
        "1 recorded as is, blocked already: alice → mallory",
        "y sends all 2",
        "y confirm · n/Esc cancel",
    ] {
        assert!(screen.contains(needle), "{needle}\n{screen}");
    }
}

/// A plain-http base URL off loopback (allowed only by `--insecure-http`) is named in the header
/// at every size, before the connection details; loopback and https are not.
#[test]
fn clear_text_http_off_loopback_is_bannered() {
    for (url, bannered) in [
        ("http://10.1.2.3:8080", true),
        ("http://tim.example.com", true),
        ("http://127.0.0.1:8080", false),
        ("http://[::1]:8080", false),
        ("https://adminapisgp.im.qcloud.com", false),
    ] {
        for (w, h) in SIZES {
            let mut d = alice(w, h, 20, false);
            d.model.connection.base_url = url.to_owned();
            let header = row_text(&render(&d.model), 0);
            assert_eq!(
                header.contains("CLEAR-TEXT HTTP"),
                bannered,
                "{url} at {w}x{h}: {header}"
            );
        }
    }
}

/// The columns of row `y` holding one of the eight bar heights of a sparkline.
fn bar_cells(buf: &Buffer, y: u16) -> Vec<u16> {
    (0..buf.area.width)
        .filter(|&x| "▁▂▃▄▅▆▇█".contains(buf[(x, y)].symbol()))
        .collect()
}

#[test]
fn sparklines_have_a_label_and_bars_in_both_themes() {
    for mono in [false, true] {
        for (w, h) in SIZES {
            let buf = render(&sparklines(w, h, mono).model);
            // The lookup pane's border: alice's rate, the peak in the label, the spike the
            // tallest bar.
            let top = row_text(&buf, 1);
            assert!(
                top.contains("blocks/min,") && top.contains("peak 7"),
                "{top}"
            );
            let bars = bar_cells(&buf, 1);
            assert!(!bars.is_empty(), "{top}");
            assert!(bars.iter().any(|&x| buf[(x, 1)].symbol() == "█"), "{top}");
            for x in bars {
                let cell = &buf[(x, 1)];
                if mono {
                    assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{top}");
                } else {
                    assert_ne!(cell.fg, Color::Reset, "{top}");
                }
            }
        }
    }
    // The feed's bottom border, at 80 columns when it has the band.
    let buf = render(&feed_sparkline(80, 24, true).model);
    let bottom = row_text(&buf, 21);
    assert!(bottom.contains("blocks/min, 30 min, peak 42"), "{bottom}");
    assert!(!bar_cells(&buf, 21).is_empty(), "{bottom}");
}

#[test]
fn a_rate_not_read_or_not_readable_is_never_drawn_as_zeros() {
    use blockdeck::app::model::RateState;
    for (w, h) in SIZES {
        let mut d = sparklines(w, h, false);
        // A quiet hour is said in words.
        d.model.rates.account.state = RateState::Counts(vec![0; 60]);
        let top = row_text(&render(&d.model), 1);
        assert!(top.contains("no blocks recorded in"), "{top}");
        // A failure is a failure.
        d.model.rates.account.state = RateState::Failed("connection refused".into());
        let buf = render(&d.model);
        let top = row_text(&buf, 1);
        assert!(top.contains("✗ blocks/min could not be read"), "{top}");
        assert!(bar_cells(&buf, 1).is_empty() && !top.contains('·'), "{top}");
        // Not read yet, or no store: nothing at all.
        for state in [RateState::Unread, RateState::NoStore] {
            d.model.rates.account.state = state;
            let top = row_text(&render(&d.model), 1);
            assert!(!top.contains("blocks/min") && !top.contains('·'), "{top}");
        }
    }
    // Before the screen is up (no store known), the lookup pane has no rate at all.
    let top = row_text(&render(&alice(80, 24, 20, false).model), 1);
    assert_eq!(top, format!("┌ Lookup {}┐", "─".repeat(70)));
}

#[test]
fn the_history_marks_direction_with_arrows_and_words_in_both_themes() {
    for mono in [false, true] {
        for (w, h) in SIZES {
            let buf = render(&history(w, h, mono).model);
            let screen = text(&buf);
            assert!(screen.contains("History of alice — 40 changes"), "{screen}");
            let out = row_text(&buf, row_of(&buf, "user_0000"));
            assert!(out.contains("→ blocked ") && !out.contains("by"), "{out}");
            let inn = row_text(&buf, row_of(&buf, "user_0001"));
            assert!(inn.contains("← blocked by"), "{inn}");
            // The cursor's row carries `>` and the cursor style.
            let y = row_of(&buf, "→ unblocked     user_0002");
            assert!(row_text(&buf, y).contains("┃> "), "{}", row_text(&buf, y));
            let cell = &buf[(4, y)];
            if mono {
                assert!(cell.modifier.contains(Modifier::REVERSED), "{cell:?}");
            } else {
                assert_ne!(cell.bg, Color::Reset, "{cell:?}");
            }
            assert!(screen.contains("alice unblocked user_0002"), "{screen}");
        }
    }
}

#[test]
fn snapshot_wide_nicks() {
    for (w, h) in SIZES {
        snapshot("wide_nicks", w, h);
    }
}

/// The drawn cells of row `y` (the cells hidden under a wide character left out), each with its
/// column.
fn cells(buf: &Buffer, y: u16) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    let mut x = 0;
    while x < buf.area.width {
        let symbol = buf[(x, y)].symbol();
        out.push((x, symbol.to_owned()));
        x += Span::raw(symbol).width().max(1) as u16;
    }
    out
}

/// The column of the cell where the first `needle` on row `y` starts.
fn cell_x(buf: &Buffer, y: u16, needle: &str) -> Option<u16> {
    let cells = cells(buf, y);
    (0..cells.len()).find_map(|i| {
        let rest: String = cells[i..].iter().map(|(_, s)| s.as_str()).collect();
        rest.starts_with(needle).then_some(cells[i].0)
    })
}

#[test]
fn wide_nicknames_keep_every_column_in_place() {
    for (w, h) in SIZES {
        let d = wide_nicks(w, h, false);
        let buf = render(&d.model);
        let header = row_of(&buf, "Blocked since");
        let since_x = cell_x(&buf, header, "Blocked since").unwrap();
        let nick_x = cell_x(&buf, header, "Nickname").unwrap();
        let id_x = cell_x(&buf, header, "To_Account").unwrap();
        let year = &blockdeck::display::utc(added_at(0))[..5];
        let mut checked = 0;
        for (i, (to, nick)) in WIDE_NICKS.iter().enumerate() {
            let y = header + 1 + i as u16;
            let row = row_text(&buf, y);
            if !row.contains("[ ]") {
                break; // below the last row the pane has room for
            }
            checked += 1;
            assert_eq!(cell_x(&buf, y, to), Some(id_x), "{w}x{h} {to}: {row}");
            // The "Blocked since" column starts where its heading does on every row: its age is
            // padded to 8, so the date follows 9 cells after the column's start.
            assert_eq!(
                cell_x(&buf, y, year),
                Some(since_x + 9),
                "{w}x{h} {to}: the date moved\n{}",
                text(&buf)
            );
            let ago = blockdeck::display::ago(added_at(i), d.model.now);
            assert_eq!(cell_x(&buf, y, &ago), Some(since_x), "{w}x{h} {to}: {row}");
            // The nickname is there whole, or cut with an ellipsis, never cut into a cluster.
            let shown = blockdeck::display::sanitize(nick);
            let at = cell_x(&buf, y, &shown).or_else(|| {
                let head: String = shown.chars().take(2).collect();
                cell_x(&buf, y, &head)
            });
            assert_eq!(at, Some(nick_x), "{w}x{h} {to}: {row}");
            let nick_cells: String = cells(&buf, y)
                .iter()
                .filter(|(x, _)| (nick_x..since_x).contains(x))
                .map(|(_, s)| s.as_str())
                .collect();
            let nick_cells = nick_cells.trim_end();
            let kept = nick_cells.strip_suffix('…').unwrap_or(nick_cells);
            assert!(
                shown.starts_with(kept),
                "{w}x{h} {to}: {nick_cells:?} of {shown:?}"
            );
            if kept.len() < shown.len() {
                assert!(nick_cells.ends_with('…'), "{w}x{h} {to}: cut without …");
            }
        }
        assert!(checked >= 9, "{w}x{h}: only {checked} rows on screen");
    }
}
