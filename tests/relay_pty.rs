//! The team's change history end to end: the sandbox posts its webhooks to a `blockdeck relay`
//! process, two dashboards in real pseudo-terminals follow the relay's store, changes made with
//! the CLI show in both at once, and `blockdeck history` lists them from either side.

mod common {
    pub mod cli;
    pub mod harness;
    pub mod pty;
}

use std::time::{Duration, Instant};

use blockdeck::sandbox::CallbackTarget;
use common::cli::{LocalSandbox, Running, Workspace, run};
use common::harness;
use common::pty::{Pty, dashboard_on};
use serde_json::json;

/// Longest wait for anything on screen.
const WAIT: Duration = Duration::from_secs(15);
const TOKEN: &str = "relay-pty-callback-token";

/// alice, bob and carol; alice and carol are friends both ways.
fn seed() -> blockdeck::sandbox::Seed {
    harness::seed(json!({
        "accounts": [{"id": "alice"}, {"id": "bob"}, {"id": "carol"}],
        "friends": [
            {"from": "alice", "to": "carol", "time": 1_700_000_000},
            {"from": "carol", "to": "alice", "time": 1_700_000_000},
        ],
    }))
}

/// `blockdeck relay` on a free loopback port, storing into `store`; its address once it listens.
fn relay(ws: &Workspace, store: &str) -> (Running, String) {
    let mut cmd = ws.bare_args(
        None,
        &["relay", "--listen", "127.0.0.1:0", "--store", store],
    );
    cmd.env("BLOCKDECK_CALLBACK_TOKEN", TOKEN);
    let running = Running::spawn(cmd);
    let deadline = Instant::now() + WAIT;
    let addr = loop {
        let out = running.stdout_so_far();
        if let Some(addr) = out.lines().find_map(|l| l.strip_prefix("listening on ")) {
            break addr.trim().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "the relay did not start:\n{}",
            running.stderr_so_far()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    (running, addr)
}

/// The dashboard on `sandbox` with `store` as its journal, which it follows.
fn dashboard(ws: &Workspace, sandbox: &LocalSandbox, store: &str, cols: u16, rows: u16) -> Pty {
    dashboard_on(ws, &sandbox.url(), store)
        .size(cols, rows)
        .spawn()
}

#[test]
fn changes_made_with_the_cli_show_in_two_dashboards_and_in_history() {
    let ws = Workspace::new();
    let store = ws.dir.path().join("team.db");
    let store = store.to_str().unwrap();
    let (relay, addr) = relay(&ws, store);
    let mut config = harness::config(seed());
    config.callback = Some(CallbackTarget {
        url: format!("http://{addr}/"),
        token: Some(TOKEN.to_owned()),
    });
    let sandbox = LocalSandbox::start(config);

    let one = dashboard(&ws, &sandbox, store, 120, 40);
    let two = dashboard(&ws, &sandbox, store, 80, 24);
    one.wait_for("the feed following the store", WAIT, |s| {
        s.contains("Feed — relay store team.db")
    });
    // At 80×24 the feed shares its place with the activity pane: Tab brings it forward.
    two.wait_for("the store followed", WAIT, |s| {
        s.contains("no changes recorded in team.db")
    });
    for _ in 0..3 {
        two.send(b"\t");
        std::thread::sleep(Duration::from_millis(150));
    }
    two.wait_for("the feed following the store", WAIT, |s| {
        s.contains("Feed — relay store team.db")
    });

    run(ws.cmd(&sandbox.url(), &["block", "alice", "bob", "carol", "--yes"]))
        .assert_code(0, "block");
    run(ws.cmd(&sandbox.url(), &["unblock", "alice", "bob", "--yes"])).assert_code(0, "unblock");
    // The feed shows its last four lines (the first change is in the history below).
    one.wait_for("the changes in the feed", WAIT, |s| {
        s.contains("alice blocked carol")
            && s.contains("alice unfriended carol")
            && s.contains("alice unblocked bob")
    });
    // The small feed shows its last three lines.
    two.wait_for("the last changes in the small feed", WAIT, |s| {
        s.contains("alice unfriended carol") && s.contains("alice unblocked bob")
    });

    // Both directions: what alice did, and what was done to bob and carol; the block of carol
    // ended a friendship, which the sandbox reported too.
    let out = run(ws.bare_args(None, &["history", "alice", "--store", store]));
    out.assert_code(0, "history of alice");
    for want in [
        "alice blocked bob",
        "alice blocked carol",
        "alice unblocked bob",
    ] {
        assert!(out.stdout.contains(want), "{want}:\n{}", out.stdout);
    }
    let out = run(ws.bare_args(None, &["history", "carol", "--store", store, "--json"]));
    out.assert_code(0, "history of carol");
    let kinds: Vec<String> = out
        .stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{} {} {}", v["from"], v["kind"], v["to"]).replace('"', "")
        })
        .collect();
    assert!(kinds.contains(&"alice block carol".to_owned()), "{kinds:?}");
    assert!(
        kinds.iter().any(|k| k.contains("friend_delete")),
        "the ended friendship is recorded: {kinds:?}"
    );
    let out = run(ws.bare_args(None, &["history", "bob", "--store", store]));
    assert!(out.stdout.contains("alice unblocked bob"), "{}", out.stdout);

    drop(one);
    drop(two);
    relay.signal("-TERM");
    let finished = relay.wait();
    assert_eq!(finished.code, Some(0), "{}", finished.stderr);
}
