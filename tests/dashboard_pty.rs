//! The dashboard end to end in a real pseudo-terminal: the `blockdeck` binary draws into a pty
//! whose output is emulated by `vt100`, keys are typed into it, and what changed is checked
//! through the sandbox's API, the journal, the bytes written to the terminal and the terminal's
//! state after the program has gone.

mod common {
    pub mod cli;
    pub mod harness;
    pub mod pty;
}

use std::time::{Duration, Instant};

use common::cli::{LEAK_KEY, LocalSandbox, SECRET_ENV, Workspace};
use common::harness;
use common::pty::{
    ARMING, Key, Pty, PtyCommand, assert_restored, contains, dashboard_on, positions,
};
use serde_json::{Value, json};

/// Longest wait for anything on screen.
const WAIT: Duration = Duration::from_secs(10);
/// How many accounts `alice` blocks in [`roster`].
const ROSTER: usize = 20;

/// The accounts alice blocks, in the order she blocked them.
fn roster() -> Vec<String> {
    (1..=ROSTER).map(|i| format!("blk{i:02}")).collect()
}

/// `alice` blocking [`roster`] one second apart, each with a nickname.
fn alice_seed() -> blockdeck::sandbox::Seed {
    let mut accounts = vec![json!({"id": "alice", "nick": "Alice"})];
    accounts.extend(
        roster()
            .iter()
            .enumerate()
            .map(|(i, id)| json!({"id": id, "nick": format!("Blocked one {}", i + 1)})),
    );
    let blocks: Vec<Value> = roster()
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"from": "alice", "to": id, "time": 1_770_000_000 + i as u64}))
        .collect();
    harness::seed(json!({"accounts": accounts, "blocks": blocks}))
}

/// The dashboard on `sandbox` (no subcommand), with the workspace's journal and config.
fn dashboard(ws: &Workspace, sandbox: &LocalSandbox, cols: u16, rows: u16) -> Pty {
    dashboard_command(ws, sandbox).size(cols, rows).spawn()
}

/// [`dashboard`]'s command, for more arguments.
fn dashboard_command(ws: &Workspace, sandbox: &LocalSandbox) -> PtyCommand {
    dashboard_on(ws, &sandbox.url(), &ws.journal.display().to_string())
}

/// `blockdeck demo` (its own sandbox on a free loopback port) with the workspace's journal.
fn demo(ws: &Workspace, cols: u16, rows: u16) -> Pty {
    let journal = ws.journal.display().to_string();
    PtyCommand::new(ws.dir.path())
        .args(["demo", "--journal", &journal])
        .size(cols, rows)
        .spawn()
}

/// Waits for the first frame: the lookup pane, focused, with its hint.
fn wait_first_frame(pty: &Pty) {
    pty.wait_for_all(&["Lookup", "type a user ID and press Enter"], WAIT);
}

/// Types `user` into the lookup line, presses Enter, and waits until the whole list is in.
fn look_up(pty: &Pty, user: &str, entries: usize) -> String {
    pty.type_text(user);
    pty.wait_for(&format!("{user:?} in the lookup line"), WAIT, |s| {
        s.contains(&format!("> {user}"))
    });
    pty.press(Key::Enter);
    pty.wait_for_all(
        &[
            &format!("Blocklist of {user}"),
            &format!("loaded {entries}"),
            "complete",
        ],
        WAIT,
    )
}

/// The screen lines of the blocklist table that carry a mark box, with the ID after it.
fn table_rows(screen: &str) -> Vec<(bool, String)> {
    screen
        .lines()
        .filter_map(|line| {
            let (marked, rest) = if let Some(at) = line.find("[x] ") {
                (true, &line[at + 4..])
            } else if let Some(at) = line.find("[ ] ") {
                (false, &line[at + 4..])
            } else {
                return None;
            };
            let id = rest.split_whitespace().next()?.to_owned();
            Some((marked, id))
        })
        .collect()
}

fn marked_ids(screen: &str) -> Vec<String> {
    table_rows(screen)
        .into_iter()
        .filter(|(marked, _)| *marked)
        .map(|(_, id)| id)
        .collect()
}

fn assert_no_key(pty: &Pty) {
    assert!(
        !contains(&pty.raw(), LEAK_KEY.as_bytes()),
        "the secret key reached the terminal"
    );
}

/// Look alice up, mark three rows, unblock them with `x` and `y`, and check through the API that
/// exactly those three are gone; quit with `q`: exit 0 and a restored terminal, and a journal that
/// recorded the batch from intent to end.
#[test]
fn mark_three_unblock_confirm_and_quit() {
    let ws = Workspace::new();
    let sandbox = LocalSandbox::on(alice_seed());
    let mut pty = dashboard(&ws, &sandbox, 120, 40);
    wait_first_frame(&pty);
    assert!(pty.is_raw(), "the dashboard runs the pty in raw mode");
    pty.with_screen(|s| {
        assert!(
            s.alternate_screen(),
            "the dashboard is on the alternate screen"
        )
    });

    let screen = look_up(&pty, "alice", ROSTER);
    // The focus is on the table: the first row carries the cursor marker, nothing is marked.
    assert!(screen.contains("> [ ] blk01"), "{screen}");
    let rows = table_rows(&screen);
    assert_eq!(
        rows.iter().map(|(_, id)| id.clone()).collect::<Vec<_>>(),
        roster(),
        "the table lists alice's blocklist in the order it was added\n{screen}"
    );
    assert!(rows.iter().all(|(marked, _)| !marked), "{screen}");

    // Space marks the row and moves down: three presses mark the first three rows.
    for n in 1..=3 {
        pty.press(Key::Space);
        pty.wait_for(&format!("{n} marked"), WAIT, |s| {
            s.contains(&format!("{n} marked")) && marked_ids(s).len() == n
        });
    }
    let screen = pty.screen_text();
    let chosen = marked_ids(&screen);
    assert_eq!(chosen, roster()[..3].to_vec(), "{screen}");
    assert_eq!(screen.matches("[x]").count(), 3, "{screen}");
    assert!(
        screen.contains("> [ ] blk04"),
        "the cursor moved on\n{screen}"
    );

    pty.press(Key::Char('x'));
    let screen = pty.wait_for_all(&["Unblock 3 marked entries of alice"], WAIT);
    for id in &chosen {
        assert!(screen.contains(&format!("alice → {id}")), "{screen}");
    }
    assert!(screen.contains("y confirm"), "{screen}");
    // Nothing has been sent before the confirmation.
    assert_eq!(sandbox.blocklist("alice"), roster());

    // Read it (its checks in), then answer.
    pty.wait_for_all(&["✓ checked"], WAIT);
    std::thread::sleep(ARMING);
    pty.press(Key::Char('y'));
    let screen = pty.wait_for_all(&["✓ done 3", "completed"], WAIT);
    assert!(screen.contains("✗ failed 0"), "{screen}");

    // Through the API: exactly the three marked accounts are off alice's list.
    let expected: Vec<String> = roster().into_iter().skip(3).collect();
    assert_eq!(sandbox.blocklist("alice"), expected);
    for id in &chosen {
        assert!(!sandbox.blocks("alice", id), "{id} is still blocked");
    }

    pty.press(Key::Esc);
    let screen = pty.wait_for_all(&["loaded 17", "last unblock: completed, 3 done"], WAIT);
    assert!(!screen.contains("✓ done 3"), "the summary closed\n{screen}");
    assert!(marked_ids(&screen).is_empty(), "{screen}");
    for id in &chosen {
        assert!(!screen.contains(id.as_str()), "{id} still listed\n{screen}");
    }
    pty.press(Key::Char('q'));
    let status = pty.wait_exit(WAIT);
    assert!(status.success(), "exit status {status:?}");
    assert_restored(&pty);
    assert_no_key(&pty);

    // The journal holds the batch: its intent with the three pairs, and its end.
    let records = ws.journal_records();
    let intents: Vec<&Value> = records.iter().filter(|r| r["type"] == "intent").collect();
    assert_eq!(intents.len(), 1, "{records:#?}");
    let intent = intents[0];
    assert_eq!(intent["operation"], "unblock", "{intent}");
    let targets: Vec<Value> = chosen.iter().map(|id| json!(["alice", id])).collect();
    assert_eq!(intent["targets"], Value::Array(targets), "{intent}");
    let batch = &intent["batch"];
    let ends: Vec<&Value> = records
        .iter()
        .filter(|r| r["type"] == "end" && &r["batch"] == batch)
        .collect();
    assert_eq!(ends.len(), 1, "{records:#?}");
    assert_eq!(ends[0]["outcome"], "completed", "{}", ends[0]);
    let journal_text = std::fs::read_to_string(&ws.journal).unwrap();
    assert!(
        !journal_text.contains(LEAK_KEY),
        "the key is in the journal"
    );
}

/// A lookup is remembered between runs: look alice up, quit, start again, and ↑ on the lookup
/// line brings her back; the first screen names her as a recent lookup. The history file is
/// owner-only and holds no secret.
#[test]
fn the_lookup_history_is_kept_between_runs() {
    let ws = Workspace::new();
    let sandbox = LocalSandbox::on(alice_seed());
    let mut pty = dashboard(&ws, &sandbox, 100, 30);
    wait_first_frame(&pty);
    look_up(&pty, "alice", ROSTER);
    pty.press(Key::Char('q'));
    assert!(pty.wait_exit(WAIT).success());
    let file = ws.dir.path().join("home/.local/state/blockdeck/lookups");
    let kept = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert_eq!(kept, "alice\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }

    let mut pty = dashboard(&ws, &sandbox, 100, 30);
    pty.wait_for_all(&["type a user ID and press Enter", "recent: alice"], WAIT);
    pty.press(Key::Up);
    pty.wait_for("alice recalled on the lookup line", WAIT, |s| {
        s.contains("> alice")
    });
    pty.press(Key::Enter);
    pty.wait_for_all(&["Blocklist of alice", &format!("loaded {ROSTER}")], WAIT);
    pty.press(Key::Char('q'));
    assert!(pty.wait_exit(WAIT).success());
    assert_no_key(&pty);
}

/// Hostile nicknames from the demo seed are shown as visible escapes, and none of their escape
/// sequences or invisible characters reaches the terminal.
#[test]
fn hostile_nicknames_never_reach_the_terminal() {
    let ws = Workspace::new();
    let mut pty = demo(&ws, 120, 40);
    wait_first_frame(&pty);
    look_up(&pty, "alice", 250);
    pty.type_text("/evil");
    pty.wait_for("the filter line", WAIT, |s| {
        s.contains("/evil") && s.contains("7 of 250 match")
    });
    pty.press(Key::Enter);
    let evil = [
        "evil_osc",
        "evil_csi",
        "evil_dcs",
        "evil_bidi",
        "evil_zw",
        "evil_newline",
        "evil_long",
    ];
    let shown_nicks = [
        r"\u{1b}]0;pwned\u{7}Totally Normal User",
        r"\u{1b}[2J\u{1b}[31mCLEARED\u{1b}[0m",
        r"\u{1b}P+q544e\u{1b}\\DCS query",
        r"\u{202e}nimda\u{202c}",
        r"\u{feff}ad\u{200b}min\u{200b}",
        r"line1\u{a}line2\u{d}",
    ];
    let mut needles: Vec<&str> = evil.to_vec();
    needles.extend(shown_nicks);
    needles.push("filter \"evil\"");
    let screen = pty.wait_for_all(&needles, WAIT);
    let rows = table_rows(&screen);
    assert_eq!(
        rows.len(),
        evil.len(),
        "only the evil rows pass the filter\n{screen}"
    );
    // Nothing was cleared or recoloured: the panes are all still there.
    for pane in ["Lookup", "Blocklist of alice", "Activity"] {
        assert!(screen.contains(pane), "{pane}\n{screen}");
    }

    let raw = pty.raw();
    // The hostile names did reach the terminal, as visible text.
    assert!(
        contains(&raw, br"\u{1b}]0;pwned"),
        "the escaped nickname was not drawn"
    );
    assert!(!contains(&raw, b"\x1b]"), "an OSC reached the terminal");
    assert!(!contains(&raw, b"\x1bP"), "a DCS reached the terminal");
    assert!(!contains(&raw, b"\x07"), "a BEL reached the terminal");
    assert!(
        !contains(&raw, b"\xc2\x9b"),
        "a C1 CSI reached the terminal"
    );
    for (name, bytes) in [
        ("U+202E", "\u{202e}"),
        ("U+202C", "\u{202c}"),
        ("U+200B", "\u{200b}"),
        ("U+FEFF", "\u{feff}"),
    ] {
        assert!(
            !contains(&raw, bytes.as_bytes()),
            "{name} reached the terminal"
        );
    }
    // The screen is cleared once, before the first frame, and never again.
    let first_frame = positions(&raw, b"Lookup")[0];
    let clears = positions(&raw, b"\x1b[2J");
    assert!(
        clears.iter().all(|&at| at < first_frame),
        "a clear after the first frame at {clears:?} (first frame at {first_frame})"
    );
    pty.with_recorder(|r| {
        assert!(r.titles.is_empty(), "the title was set: {:?}", r.titles);
        assert!(r.other_osc.is_empty(), "OSC: {:?}", r.other_osc);
    });

    pty.press(Key::Char('q'));
    let status = pty.wait_exit(WAIT);
    assert!(status.success(), "exit status {status:?}");
    assert_restored(&pty);
    pty.with_recorder(|r| assert!(r.titles.is_empty(), "the title was set: {:?}", r.titles));
}

/// Waits for the only thing drawn below 80×24: the sentence that says so.
fn wait_too_small(pty: &Pty, cols: u16, rows: u16) {
    let size = format!("80×24 needed, this one is {cols}×{rows}");
    let screen = pty.wait_for_all(&["terminal too small", &size], WAIT);
    assert!(!screen.contains("Lookup"), "{screen}");
    assert!(!screen.contains("Blocklist"), "{screen}");
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() <= 2, "only the message is drawn: {lines:?}");
}

/// Started below 80×24, the dashboard says so and draws nothing else; `q` still quits cleanly.
#[test]
fn too_small_terminal_says_so_and_q_quits() {
    let ws = Workspace::new();
    let mut pty = demo(&ws, 79, 23);
    wait_too_small(&pty, 79, 23);
    pty.press(Key::Char('q'));
    let status = pty.wait_exit(WAIT);
    assert!(status.success(), "exit status {status:?}");
    assert_restored(&pty);
}

/// A terminal shrunk below 80×24 shows only the sentence that says so, the dashboard comes back
/// when there is room again, and `q` on the table quits cleanly from the small screen.
#[test]
fn too_small_terminal_says_so_until_resized_and_q_quits() {
    let ws = Workspace::new();
    let sandbox = LocalSandbox::on(alice_seed());
    let mut pty = dashboard(&ws, &sandbox, 79, 23);
    wait_too_small(&pty, 79, 23);

    pty.resize(120, 40);
    wait_first_frame(&pty);
    look_up(&pty, "alice", ROSTER);
    pty.resize(80, 23);
    wait_too_small(&pty, 80, 23);
    pty.resize(79, 24);
    wait_too_small(&pty, 79, 24);

    pty.press(Key::Char('q'));
    let status = pty.wait_exit(WAIT);
    assert!(status.success(), "exit status {status:?}");
    assert_restored(&pty);
}

/// Below 80×24 the confirmation cannot be shown, so nothing can be confirmed: `x` then `y` on a
/// screen that only says it is too small changes no blocklist.
#[test]
fn too_small_terminal_confirms_nothing_blind() {
    let ws = Workspace::new();
    let sandbox = LocalSandbox::on(alice_seed());
    let pty = dashboard(&ws, &sandbox, 120, 40);
    wait_first_frame(&pty);
    look_up(&pty, "alice", ROSTER);
    pty.resize(79, 23);
    wait_too_small(&pty, 79, 23);
    pty.press(Key::Char('x'));
    pty.press(Key::Char('y'));
    // A confirmed unblock of one pair reaches the sandbox within milliseconds: watch it for a
    // second.
    let watch = Instant::now() + Duration::from_secs(1);
    while Instant::now() < watch && sandbox.blocklist("alice") == roster() {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        sandbox.blocklist("alice"),
        roster(),
        "an unseen confirmation was accepted"
    );
    assert_eq!(ws.journal_count("intent"), 0);
}

/// A resize that reaches the program together with keys is not lost: each time the terminal
/// grows back to 120×40 the dashboard is drawn again, not the "too small" sentence with the old
/// size.
#[test]
fn resize_arriving_with_keys_is_not_lost() {
    let ws = Workspace::new();
    let sandbox = LocalSandbox::on(alice_seed());
    let pty = dashboard(&ws, &sandbox, 120, 40);
    wait_first_frame(&pty);
    look_up(&pty, "alice", ROSTER);
    // When the program did drop a resize, it happened in about one round in ten.
    for round in 0..25 {
        pty.resize(79, 23);
        wait_too_small(&pty, 79, 23);
        pty.press(Key::Char('j'));
        pty.press(Key::Char('k'));
        pty.resize(120, 40);
        // A lost resize leaves the "too small" sentence on screen for good: this times out.
        pty.wait_for(
            &format!("the dashboard at 120×40 again (round {round})"),
            WAIT,
            |s| s.contains("Blocklist of alice"),
        );
    }
}

/// SIGTERM while the dashboard is idle (here at 80×24, the smallest layout): it leaves with the
/// signal's exit code and the terminal restored.
#[test]
fn sigterm_restores_the_terminal() {
    let ws = Workspace::new();
    let sandbox = LocalSandbox::on(alice_seed());
    let mut pty = dashboard(&ws, &sandbox, 80, 24);
    wait_first_frame(&pty);
    let screen = look_up(&pty, "alice", ROSTER);
    assert!(screen.contains("> [ ] blk01"), "{screen}");
    assert!(pty.is_raw(), "the dashboard runs the pty in raw mode");

    pty.signal("-TERM");
    let status = pty.wait_exit(WAIT);
    assert_eq!(status.signal(), None, "killed by the signal: {status:?}");
    assert_eq!(status.exit_code(), 4, "exit status {status:?}");
    assert_restored(&pty);
    assert_no_key(&pty);
    assert_eq!(sandbox.blocklist("alice"), roster(), "nothing was changed");
    assert_eq!(ws.journal_count("intent"), 0);
}

// ------------------------------------------------------------------------------------------
// Trust at the moment of action

/// `x` and `y` in one write (a paste, type-ahead): the question opens and the `y` does not
/// answer it; nothing changes. Then `y` alone, after the question has been on screen, makes
/// exactly the change.
#[test]
fn a_y_that_came_with_the_x_confirms_nothing() {
    let ws = Workspace::new();
    let sandbox = LocalSandbox::on(alice_seed());
    let pty = dashboard(&ws, &sandbox, 120, 40);
    wait_first_frame(&pty);
    look_up(&pty, "alice", ROSTER);
    pty.type_text("xy");
    let screen = pty.wait_for_all(
        &["Unblock 1 entry of alice", "not taken as an answer"],
        WAIT,
    );
    assert!(screen.contains("alice → blk01"), "{screen}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        sandbox.blocklist("alice"),
        roster(),
        "the burst's y confirmed"
    );
    assert_eq!(ws.journal_count("intent"), 0);

    pty.wait_for_all(&["✓ checked"], WAIT);
    std::thread::sleep(ARMING);
    pty.press(Key::Char('y'));
    pty.wait_for_all(&["✓ done 1"], WAIT);
    let expected: Vec<String> = roster().into_iter().skip(1).collect();
    assert_eq!(sandbox.blocklist("alice"), expected);
}

/// IDs pasted into the block prompt by a terminal without bracketed paste, each line ending in
/// Enter: the lines become one line of IDs, nothing is submitted, nothing is sent.
#[test]
fn an_unbracketed_paste_into_the_block_prompt_sends_nothing() {
    let ws = Workspace::new();
    let sandbox = LocalSandbox::on(alice_seed());
    let pty = dashboard(&ws, &sandbox, 120, 40);
    wait_first_frame(&pty);
    look_up(&pty, "alice", ROSTER);
    pty.press(Key::Char('b'));
    pty.wait_for_all(&["Block for alice"], WAIT);
    pty.type_text("blk01\ryuki2003\rkim\r");
    let screen = pty.wait_for("the pasted IDs on one line", WAIT, |s| {
        s.contains("> blk01 yuki2003 kim")
    });
    assert!(!screen.contains("Confirm"), "{screen}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(ws.journal_count("intent"), 0);
    assert_eq!(sandbox.blocklist("alice"), roster());
}

/// With the service gone, a lookup says that it failed and why, where the list would be: never
/// "blocks 0" or "no entries".
#[test]
fn a_lookup_of_a_service_that_is_gone_shows_the_cause_not_an_empty_list() {
    let ws = Workspace::new();
    let mut sandbox = LocalSandbox::on(alice_seed());
    let pty = dashboard(&ws, &sandbox, 120, 40);
    wait_first_frame(&pty);
    sandbox.stop();
    pty.type_text("alice");
    pty.wait_for("alice typed", WAIT, |s| s.contains("> alice"));
    pty.press(Key::Enter);
    let screen = pty.wait_for_all(&["the lookup failed", "could not reach the service"], WAIT);
    assert!(!screen.contains("blocks 0"), "{screen}");
    assert!(!screen.contains("no entries"), "{screen}");
    assert!(!screen.contains("checking…"), "{screen}");
    assert!(screen.contains("r tries again"), "{screen}");
    assert!(screen.contains("lookup failed"), "{screen}");
    // The whole cause is in the log file too.
    let log = std::fs::read_to_string(ws.journal.with_file_name("blockdeck.log")).unwrap();
    assert!(log.contains("looking alice up failed"), "{log}");
}

/// Against a slow service, the screen says that it waits, and for how long, before the answer.
#[test]
fn a_slow_lookup_shows_a_spinner_and_the_time_waited() {
    let ws = Workspace::new();
    let mut config = harness::config(alice_seed());
    config.latency = blockdeck::sandbox::Latency(3000..=3000);
    let sandbox = LocalSandbox::start(config);
    let pty = dashboard(&ws, &sandbox, 120, 40);
    wait_first_frame(&pty);
    pty.type_text("alice");
    pty.wait_for("alice typed", WAIT, |s| s.contains("> alice"));
    let asked = Instant::now();
    pty.press(Key::Enter);
    let screen = pty.wait_for("the time waited", WAIT, |s| {
        s.contains("checking…") && (s.contains(" 1.") || s.contains(" 2."))
    });
    assert!(asked.elapsed() < Duration::from_millis(2900), "{screen}");
    assert!(!screen.contains("loaded 20"), "{screen}");
    assert!(screen.contains("loading…"), "{screen}");
    pty.wait_for_all(&["loaded 20", "complete"], Duration::from_secs(20));
}

/// At 80×24 the help does not fit: it scrolls, and every command can be read whole.
#[test]
fn the_whole_help_can_be_read_at_80x24() {
    let ws = Workspace::new();
    let sandbox = LocalSandbox::on(alice_seed());
    let pty = dashboard(&ws, &sandbox, 80, 24);
    wait_first_frame(&pty);
    look_up(&pty, "alice", ROSTER);
    pty.press(Key::Char('?'));
    let mut seen = pty.wait_for_all(&["Help — items 1–"], WAIT);
    for _ in 0..6 {
        pty.send(b"\x1b[6~"); // PgDn
        std::thread::sleep(Duration::from_millis(200));
        seen.push_str(&pty.screen_text());
    }
    for command in [
        ":block",
        ":blockers",
        ":export",
        ":inspect",
        ":user",
        ":watch",
        ":quit",
    ] {
        assert!(seen.contains(command), "{command} never shown\n{seen}");
    }
    assert!(seen.contains("of 67") || seen.contains(" of "), "{seen}");
}

/// `alice` blocking `n` accounts `blk01`… one second apart.
fn long_seed(n: usize) -> blockdeck::sandbox::Seed {
    let ids: Vec<String> = (1..=n).map(|i| format!("blk{i:02}")).collect();
    let mut accounts = vec![json!({"id": "alice", "nick": "Alice"})];
    accounts.extend(
        ids.iter()
            .map(|id| json!({"id": id, "nick": format!("nick of {id}")})),
    );
    let blocks: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"from": "alice", "to": id, "time": 1_770_000_000 + i as u64}))
        .collect();
    harness::seed(json!({"accounts": accounts, "blocks": blocks}))
}

/// Moving the cursor past either edge of the table's window moves the window by one row. With
/// scroll regions (the default under xterm) the terminal scrolls the rows and the program writes
/// the new one; with `BLOCKDECK_SCROLL_REGIONS=off` it rewrites them. Either way the screen shows
/// exactly the rows of the window after every key.
#[test]
fn the_table_scrolls_row_by_row_past_its_edges() {
    const ENTRIES: usize = 40;
    for switch in ["on", "off"] {
        let ws = Workspace::new();
        let sandbox = LocalSandbox::on(long_seed(ENTRIES));
        let journal = ws.journal.display().to_string();
        let mut pty = PtyCommand::new(ws.dir.path())
            .env(SECRET_ENV, LEAK_KEY)
            .env("BLOCKDECK_SCROLL_REGIONS", switch)
            .args([
                "--base-url",
                &sandbox.url(),
                "--sdkappid",
                &harness::SDKAPPID.to_string(),
                "--journal",
                &journal,
            ])
            .size(100, 30)
            .spawn();
        wait_first_frame(&pty);
        let screen = look_up(&pty, "alice", ENTRIES);
        let rows = table_rows(&screen).len();
        assert!((5..ENTRIES / 2).contains(&rows), "{rows} rows\n{screen}");
        let id = |i: usize| format!("blk{:02}", i + 1);
        let (mut cursor, mut offset) = (0usize, 0usize);
        let moves = std::iter::repeat_n('j', rows + 6).chain(std::iter::repeat_n('k', rows + 4));
        for key in moves {
            if key == 'j' {
                cursor += 1;
                offset = offset.max((cursor + 1).saturating_sub(rows));
            } else {
                cursor -= 1;
                offset = offset.min(cursor);
            }
            pty.press(Key::Char(key));
            let window: Vec<String> = (offset..offset + rows).map(id).collect();
            let at_cursor = format!("> [ ] {}", id(cursor));
            let screen = pty.wait_for(&format!("{switch}: {at_cursor} in {window:?}"), WAIT, |s| {
                s.contains(&at_cursor)
                    && table_rows(s)
                        .into_iter()
                        .map(|(_, id)| id)
                        .collect::<Vec<_>>()
                        == window
            });
            assert_eq!(screen.matches("> [ ]").count(), 1, "{screen}");
        }
        let raw = pty.raw();
        let (up, down) = (contains(&raw, b"\x1b[1S"), contains(&raw, b"\x1b[1T"));
        assert_eq!((up, down), (switch == "on", switch == "on"), "{switch}");
        pty.press(Key::Char('q'));
        assert!(pty.wait_exit(WAIT).success());
        assert_restored(&pty);
    }
}

/// The dashboard's peak resident memory in MB, from the kernel.
fn peak_rss_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in the status");
    kb / 1024
}

/// 10,000 signed webhook posts (of 100 pairs each, or `BLOCKDECK_FLOOD_PAIRS` up to the
/// service's 1,000; bounded concurrency, loopback) against the dashboard's listener: its memory
/// stays under 100 MB at its peak, the flood's shed changes are named in the activity pane, and a
/// key typed after the flood is echoed (how soon is printed, not asserted).
#[cfg(target_os = "linux")]
#[test]
fn a_webhook_flood_leaves_the_dashboard_small_and_responsive() {
    use futures_util::StreamExt;
    const TOKEN: &str = "flood-test-token";
    let ws = Workspace::new();
    let sandbox = LocalSandbox::on(alice_seed());
    let pty = dashboard_command(&ws, &sandbox)
        .env("BLOCKDECK_CALLBACK_TOKEN", TOKEN)
        .args(["--listen-callbacks", "127.0.0.1:0"])
        .size(120, 40)
        .spawn();
    wait_first_frame(&pty);
    let screen = pty.wait_for_all(&["webhooks on 127.0.0.1:"], WAIT);
    let at = screen.find("webhooks on ").unwrap() + "webhooks on ".len();
    let addr: std::net::SocketAddr = screen[at..]
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
        .next()
        .unwrap()
        .parse()
        .expect("the listener's address on screen");

    let pairs: usize = std::env::var("BLOCKDECK_FLOOD_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
        .clamp(1, 1000);
    let body = json!({
        "CallbackCommand": "Sns.CallbackBlackListAdd",
        "PairList": (0..pairs)
            .map(|i| json!({"From_Account": format!("flood_{i:04}"), "To_Account": "alice"}))
            .collect::<Vec<_>>(),
    })
    .to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (ok, busy) = runtime.block_on(async {
        let client = harness::http();
        let time = blockdeck::tim::usersig::unix_now().to_string();
        let url = format!(
            "http://{addr}/?SdkAppid={}&CallbackCommand=Sns.CallbackBlackListAdd\
             &contenttype=json&ClientIP=10.1.2.3&OptPlatform=Android&RequestTime={time}&Sign={}",
            harness::SDKAPPID,
            blockdeck::feed::sign(TOKEN, &time)
        );
        let statuses: Vec<u16> = futures_util::stream::iter(0..10_000)
            .map(|_| {
                let (client, url, body) = (client.clone(), url.clone(), body.clone());
                async move {
                    match client.post(url).body(body).send().await {
                        Ok(resp) => resp.status().as_u16(),
                        Err(_) => 0,
                    }
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        (
            statuses.iter().filter(|s| **s == 200).count(),
            statuses.iter().filter(|s| **s == 503).count(),
        )
    });
    assert_eq!(
        ok + busy,
        10_000,
        "every post answered: {ok} taken, {busy} shed"
    );
    assert!(busy > 0, "a flood beyond the queue is shed");

    let peak = peak_rss_mb(pty.pid());
    eprintln!(
        "peak resident memory after a flood of 10,000 posts x {pairs} pairs: {peak} MB \
         ({ok} posts taken, {busy} shed)"
    );
    assert!(peak < 100, "the dashboard peaked at {peak} MB");
    pty.wait_for_all(&["shed in a flood"], WAIT);

    let before = pty.raw().len();
    let typed = Instant::now();
    pty.type_text("z");
    while !contains(&pty.raw()[before..], b"z") && typed.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(1));
    }
    let echoed = typed.elapsed();
    pty.wait_for("the typed key", WAIT, |s| s.contains("> z"));
    eprintln!("a key typed after the flood was written to the terminal {echoed:?} later");
    assert_no_key(&pty);
}

// ---------------------------------------------------------------------------------------------
// The clipboard (OSC 52) and the mouse

/// `ESC ] 52 ; c ; BASE64(text) BEL`.
fn osc52_of(text: &str) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{b64}\x07").into_bytes()
}

/// `c` on a row writes an OSC 52 sequence carrying that row's ID, and says so; inside tmux the
/// sequence goes out plain and through tmux's passthrough too.
#[test]
fn c_on_a_row_puts_its_id_on_the_clipboard_through_osc52() {
    for tmux in [false, true] {
        let ws = Workspace::new();
        let sandbox = LocalSandbox::on(alice_seed());
        let mut command = dashboard_command(&ws, &sandbox).size(120, 40);
        if tmux {
            command = command.env("TMUX", "/tmp/tmux-0/default,1,0");
        }
        let pty = command.spawn();
        wait_first_frame(&pty);
        look_up(&pty, "alice", ROSTER);
        pty.press(Key::Char('j'));
        pty.wait_for("the cursor on blk02", WAIT, |s| s.contains("> [ ] blk02"));
        assert!(!contains(&pty.raw(), b"\x1b]52;"), "copied before c");
        pty.press(Key::Char('c'));
        pty.wait_for_all(&["copied blk02 to the clipboard"], WAIT);
        let raw = pty.raw();
        let seq = osc52_of("blk02");
        // Inside tmux the wrapped copy holds the sequence again (after a doubled ESC).
        let expected = if tmux { 2 } else { 1 };
        assert_eq!(positions(&raw, &seq).len(), expected, "tmux {tmux}");
        let mut wrapped = b"\x1bPtmux;".to_vec();
        for &b in &seq {
            if b == 0x1b {
                wrapped.push(0x1b);
            }
            wrapped.push(b);
        }
        wrapped.extend_from_slice(b"\x1b\\");
        assert_eq!(
            contains(&raw, &wrapped),
            tmux,
            "passthrough with tmux {tmux}"
        );
        let mut pty = pty;
        pty.press(Key::Char('q'));
        assert!(pty.wait_exit(WAIT).success());
        assert_restored(&pty);
    }
}

/// The screen row (0-based) whose table row carries `id`.
fn row_of(screen: &str, id: &str) -> u16 {
    screen
        .lines()
        .position(|line| {
            table_rows(line)
                .first()
                .is_some_and(|(_, shown)| shown == id)
        })
        .unwrap_or_else(|| panic!("{id} not on screen\n{screen}")) as u16
}

/// A left click (SGR encoding, 1-based) on a table row moves the cursor there; the wheel over
/// the table scrolls it.
#[test]
fn a_click_on_a_table_row_puts_the_cursor_on_it() {
    let ws = Workspace::new();
    let sandbox = LocalSandbox::on(alice_seed());
    let mut pty = dashboard(&ws, &sandbox, 80, 24);
    wait_first_frame(&pty);
    assert!(
        contains(&pty.raw(), b"\x1b[?1000h\x1b[?1006h"),
        "clicks are reported, SGR-encoded"
    );
    assert!(
        !contains(&pty.raw(), b"\x1b[?1003h"),
        "pointer moves are not asked for"
    );
    let screen = look_up(&pty, "alice", ROSTER);
    assert!(screen.contains("> [ ] blk01"), "{screen}");
    let y = row_of(&screen, "blk05") + 1;
    pty.send(format!("\x1b[<0;30;{y}M\x1b[<0;30;{y}m").as_bytes());
    let screen = pty.wait_for("the cursor on blk05", WAIT, |s| s.contains("> [ ] blk05"));
    assert!(!screen.contains("> [ ] blk01"), "{screen}");
    // A mark goes where the click put the cursor.
    pty.press(Key::Space);
    let screen = pty.wait_for("blk05 marked", WAIT, |s| s.contains("1 marked"));
    assert_eq!(marked_ids(&screen), ["blk05"], "{screen}");
    // Three notches of the wheel down: the window moves three rows.
    let first = table_rows(&screen)[0].1.clone();
    assert_eq!(first, "blk01", "{screen}");
    pty.send(format!("\x1b[<65;30;{y}M").as_bytes());
    let screen = pty.wait_for("the table scrolled", WAIT, |s| {
        table_rows(s).first().is_some_and(|(_, id)| id == "blk04")
    });
    assert!(screen.contains("blk05"), "{screen}");
    pty.press(Key::Char('q'));
    assert!(pty.wait_exit(WAIT).success());
    assert_restored(&pty);
}

/// `mouse = false` in the config file: mouse reporting is never switched on. `osc52 = false`:
/// `c` says why it copies nothing, and nothing is written.
#[test]
fn mouse_and_osc52_off_in_the_config_stay_off() {
    let ws = Workspace::new();
    std::fs::write(&ws.config, "mouse = false\nosc52 = false\n").unwrap();
    let sandbox = LocalSandbox::on(alice_seed());
    let mut pty = dashboard(&ws, &sandbox, 80, 24);
    wait_first_frame(&pty);
    look_up(&pty, "alice", ROSTER);
    pty.press(Key::Char('c'));
    pty.wait_for_all(&["copying is off"], WAIT);
    pty.press(Key::Char('q'));
    assert!(pty.wait_exit(WAIT).success());
    let raw = pty.raw();
    assert!(
        !contains(&raw, b"\x1b[?1000h"),
        "mouse reporting was switched on"
    );
    assert!(!contains(&raw, b"\x1b]52;"), "something was copied");
    assert_restored(&pty);
}
/// With `unblock = "d"` in the config file, `d` on a row asks to unblock it (and `x` does not),
/// and the help lists `d`.
#[test]
fn a_key_remapped_in_the_config_file_works_and_the_help_shows_it() {
    let mut ws = Workspace::new();
    ws.config = ws.write("config.toml", "[keys]\nunblock = \"d\"\n");
    let sandbox = LocalSandbox::on(alice_seed());
    let mut pty = dashboard(&ws, &sandbox, 120, 40);
    wait_first_frame(&pty);
    let screen = look_up(&pty, "alice", ROSTER);
    assert!(screen.contains("d unblock"), "the bar names d\n{screen}");
    assert!(!screen.contains("x unblock"), "{screen}");

    pty.press(Key::Char('x'));
    pty.press(Key::Char('d'));
    let screen = pty.wait_for_all(&["Unblock", "alice → blk01", "y confirm"], WAIT);
    assert!(!screen.contains("Unblock 2"), "x asked nothing\n{screen}");
    pty.press(Key::Char('n'));
    pty.wait_for_all(&["cancelled: nothing was sent"], WAIT);

    pty.press(Key::Char('?'));
    // The help's key column is as wide as its widest key (Ctrl-D): what matters is the key
    // written before the words.
    let key_of = |screen: &str, words: &str| -> Option<String> {
        screen.lines().find_map(|line| {
            let at = line.find(words)?;
            let before = line[..at].trim_end();
            before.rsplit(['║', ' ']).next().map(str::to_owned)
        })
    };
    let screen = pty.wait_for("the help", WAIT, |s| {
        s.contains("Help —") && s.contains("= d") && s.contains("unblock the marked rows")
    });
    assert_eq!(
        key_of(&screen, "unblock the marked rows").as_deref(),
        Some("d"),
        "{screen}"
    );
    pty.press(Key::Esc);
    pty.press(Key::Char('q'));
    let status = pty.wait_exit(WAIT);
    assert!(status.success(), "exit status {status:?}");
    assert_restored(&pty);
    assert_eq!(sandbox.blocklist("alice"), roster(), "nothing was sent");
}

/// A config file whose `[keys]` has a problem stops the dashboard, and the CLI, before anything
/// is drawn or sent, with the file's line and what to do.
#[test]
fn a_bad_key_in_the_config_file_stops_the_dashboard_and_the_cli_with_its_line() {
    let mut ws = Workspace::new();
    ws.config = ws.write("config.toml", "[keys]\nsort = \"o\"\nunblock = \"i\"\n");
    let sandbox = LocalSandbox::on(alice_seed());
    let mut pty = dashboard(&ws, &sandbox, 120, 40);
    let status = pty.wait_exit(WAIT);
    assert!(!status.success(), "the dashboard started");
    let text = String::from_utf8_lossy(&pty.raw()).into_owned();
    assert!(text.contains("config.toml, line 3"), "{text}");
    assert!(text.contains("already the key of inspect"), "{text}");
    assert!(text.contains("remap inspect too"), "{text}");
    assert!(
        !contains(&pty.raw(), b"\x1b[?1049h"),
        "the terminal was never taken over"
    );

    let out = common::cli::run(ws.cmd(&sandbox.url(), &["list", "alice"]));
    assert_ne!(out.code, Some(0), "{}", out.all());
    assert!(out.stderr.contains("config.toml, line 3"), "{}", out.stderr);
    assert_eq!(sandbox.total_calls(), 0, "nothing was sent");
}

/// Whether any cell on screen has the background `rgb`.
fn has_background(pty: &Pty, rgb: (u8, u8, u8)) -> bool {
    pty.with_screen(|s| {
        let (rows, cols) = s.size();
        (0..rows.get()).any(|r| {
            (0..cols.get()).any(|c| {
                s.cell(r, c)
                    .is_some_and(|cell| cell.bgcolor() == vt100::Color::Rgb(rgb.0, rgb.1, rgb.2))
            })
        })
    })
}

/// The `[theme]` of the config file colours the screen; under `NO_COLOR` it is not used.
#[test]
fn the_theme_colours_the_cursor_unless_no_color() {
    let mut ws = Workspace::new();
    ws.config = ws.write("config.toml", "[theme]\ncursor = \"#123456\"\n");
    let sandbox = LocalSandbox::on(alice_seed());
    for no_color in [false, true] {
        let mut command = dashboard_command(&ws, &sandbox).size(120, 40);
        if no_color {
            command = command.env("NO_COLOR", "1");
        }
        let mut pty = command.spawn();
        wait_first_frame(&pty);
        let screen = look_up(&pty, "alice", ROSTER);
        assert!(screen.contains("> [ ] blk01"), "{screen}");
        assert_eq!(
            has_background(&pty, (0x12, 0x34, 0x56)),
            !no_color,
            "NO_COLOR={no_color}"
        );
        pty.press(Key::Char('q'));
        let status = pty.wait_exit(WAIT);
        assert!(status.success(), "exit status {status:?}");
    }
}
