//! Drilling down and back, and acting on the reverse lookup's table, in a real pseudo-terminal:
//! the `blockdeck` binary against a loopback sandbox, keys typed into the pty, what changed
//! checked on the emulated screen and through the sandbox's API.

mod common {
    pub mod cli;
    pub mod harness;
    pub mod pty;
}

use std::time::Duration;

use common::cli::{LocalSandbox, Workspace};
use common::harness;
use common::pty::{ARMING, Key, Pty, dashboard_on};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

/// alice blocks `blk01`…`blk08`; `blk05` blocks three accounts of its own; `bot1` is blocked by
/// `b1`, `b2` and `b3` (not by `b4`).
fn seed() -> blockdeck::sandbox::Seed {
    let listed: Vec<String> = (1..=8).map(|i| format!("blk{i:02}")).collect();
    let mut accounts = vec![json!({"id": "alice", "nick": "Alice"})];
    for id in listed
        .iter()
        .map(String::as_str)
        .chain(["own1", "own2", "own3", "bot1", "b1", "b2", "b3", "b4"])
    {
        accounts.push(json!({"id": id, "nick": format!("Nick of {id}")}));
    }
    let mut blocks: Vec<Value> = listed
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"from": "alice", "to": id, "time": 1_770_000_000 + i as u64}))
        .collect();
    for (i, to) in ["own1", "own2", "own3"].iter().enumerate() {
        blocks.push(json!({"from": "blk05", "to": to, "time": 1_770_001_000 + i as u64}));
    }
    for (i, from) in ["b1", "b2", "b3"].iter().enumerate() {
        blocks.push(json!({"from": from, "to": "bot1", "time": 1_770_002_000 + i as u64}));
    }
    harness::seed(json!({"accounts": accounts, "blocks": blocks}))
}

fn dashboard(ws: &Workspace, sandbox: &LocalSandbox, cols: u16, rows: u16) -> Pty {
    dashboard_on(ws, &sandbox.url(), &ws.journal.display().to_string())
        .size(cols, rows)
        .spawn()
}

/// Types `user` into the lookup line and presses Enter.
fn look_up(pty: &Pty, user: &str) {
    pty.wait_for_all(&["Lookup"], WAIT);
    pty.type_text(user);
    pty.wait_for(&format!("{user:?} typed"), WAIT, |s| {
        s.contains(&format!("> {user}"))
    });
    pty.press(Key::Enter);
}

/// The IDs of the table's rows, with whether each is marked and whether the cursor is on it.
fn rows(screen: &str) -> Vec<(bool, bool, String)> {
    screen
        .lines()
        .filter_map(|line| {
            let (marked, at) = if let Some(at) = line.find("[x] ") {
                (true, at)
            } else if let Some(at) = line.find("[ ] ") {
                (false, at)
            } else {
                return None;
            };
            let cursor = line[..at].ends_with("> ");
            let id = line[at + 4..].split_whitespace().next()?.to_owned();
            Some((marked, cursor, id))
        })
        .collect()
}

fn marked(screen: &str) -> Vec<String> {
    rows(screen)
        .into_iter()
        .filter(|(m, _, _)| *m)
        .map(|(_, _, id)| id)
        .collect()
}

fn at_cursor(screen: &str) -> Option<String> {
    rows(screen)
        .into_iter()
        .find(|(_, c, _)| *c)
        .map(|(_, _, id)| id)
}

/// Enter on a listed user opens that account, with the path in the title; Esc returns to the
/// same row with the same marks; at both sizes.
#[test]
fn enter_opens_a_listed_user_and_esc_returns_to_the_same_row_and_marks() {
    for (cols, lines) in [(120, 40), (80, 24)] {
        let ws = Workspace::new();
        let sandbox = LocalSandbox::on(seed());
        let mut pty = dashboard(&ws, &sandbox, cols, lines);
        look_up(&pty, "alice");
        pty.wait_for_all(&["Blocklist of alice", "loaded 8", "complete"], WAIT);
        // Mark the first two (space moves down), then go to blk05.
        pty.press(Key::Space);
        pty.press(Key::Space);
        pty.press(Key::Char('j'));
        pty.press(Key::Char('j'));
        let screen = pty.wait_for("the cursor on blk05", WAIT, |s| {
            at_cursor(s).as_deref() == Some("blk05") && s.contains("2 marked")
        });
        assert_eq!(marked(&screen), ["blk01", "blk02"], "{screen}");

        pty.press(Key::Enter);
        let screen = pty.wait_for_all(&["alice › Blocklist of blk05", "loaded 3"], WAIT);
        let ids: Vec<String> = rows(&screen).into_iter().map(|(_, _, id)| id).collect();
        assert_eq!(ids, ["own1", "own2", "own3"], "{screen}");
        assert!(marked(&screen).is_empty(), "{screen}");

        pty.press(Key::Esc);
        let screen = pty.wait_for("back on alice's list", WAIT, |s| {
            s.contains("Blocklist of alice") && !s.contains("›")
        });
        assert_eq!(at_cursor(&screen).as_deref(), Some("blk05"), "{screen}");
        assert_eq!(marked(&screen), ["blk01", "blk02"], "{screen}");
        assert!(screen.contains("2 marked"), "{screen}");
        // Nothing was sent that changes a list.
        assert_eq!(sandbox.blocklist("alice").len(), 8);

        pty.press(Key::Char('q'));
        assert!(pty.wait_exit(WAIT).success());
    }
}

/// "Who blocks bot1" → mark two → `x` → `y`: bot1 is taken off exactly those two lists, checked
/// through the API; the table keeps the third.
#[test]
fn who_blocks_then_mark_two_x_y_removes_the_user_from_exactly_those_lists() {
    let ws = Workspace::new();
    let sandbox = LocalSandbox::on(seed());
    let mut pty = dashboard(&ws, &sandbox, 120, 40);
    look_up(&pty, "bot1");
    pty.wait_for_all(&["Blocklist of bot1", "no entries"], WAIT);
    pty.press(Key::Char(':'));
    pty.wait_for_all(&["Tab complete"], WAIT);
    pty.type_text("blockers b1 b2 b3 b4");
    pty.wait_for_all(&[":blockers b1 b2 b3 b4  — :blockers"], WAIT);
    pty.press(Key::Enter);
    let screen = pty.wait_for("the table of blockers", WAIT, |s| {
        s.contains("bot1 › Who blocks bot1 — 3 found") && s.contains("complete: 4 checked")
    });
    let ids: Vec<String> = rows(&screen).into_iter().map(|(_, _, id)| id).collect();
    assert_eq!(ids, ["b1", "b2", "b3"], "{screen}");
    // The nicknames come once the lookup is done.
    pty.wait_for_all(&["Nick of b1"], WAIT);

    // Mark the first two.
    pty.press(Key::Space);
    pty.press(Key::Space);
    let screen = pty.wait_for_all(&["2 marked"], WAIT);
    assert_eq!(marked(&screen), ["b1", "b2"], "{screen}");

    pty.press(Key::Char('x'));
    let screen = pty.wait_for_all(&["Remove bot1 from the blocklists of 2 marked users"], WAIT);
    assert!(screen.contains("b1 → bot1"), "{screen}");
    assert!(screen.contains("b2 → bot1"), "{screen}");
    assert!(!screen.contains("b3 → bot1"), "{screen}");
    // Nothing is sent before the confirmation.
    assert!(sandbox.blocks("b1", "bot1") && sandbox.blocks("b2", "bot1"));
    pty.wait_for_all(&["✓ checked"], WAIT);
    std::thread::sleep(ARMING);
    pty.press(Key::Char('y'));
    pty.wait_for_all(&["✓ done 2", "completed"], WAIT);

    // Through the API: exactly those two lists changed.
    assert!(!sandbox.blocks("b1", "bot1"));
    assert!(!sandbox.blocks("b2", "bot1"));
    assert!(sandbox.blocks("b3", "bot1"));
    assert!(!sandbox.blocks("b4", "bot1"));

    pty.press(Key::Esc);
    let screen = pty.wait_for("the summary closed", WAIT, |s| {
        s.contains("Who blocks bot1 — 1 found") && !s.contains("✓ done 2")
    });
    let ids: Vec<String> = rows(&screen).into_iter().map(|(_, _, id)| id).collect();
    assert_eq!(ids, ["b3"], "{screen}");
    pty.press(Key::Char('q'));
    assert!(pty.wait_exit(WAIT).success());

    // Journaled like any batch: the two pairs, blocker first.
    let records = ws.journal_records();
    let intent = records
        .iter()
        .find(|r| r["type"] == "intent")
        .expect("the batch's intent");
    assert_eq!(intent["operation"], "unblock", "{intent}");
    assert_eq!(
        intent["targets"],
        json!([["b1", "bot1"], ["b2", "bot1"]]),
        "{intent}"
    );
}
