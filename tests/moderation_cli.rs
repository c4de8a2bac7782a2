//! The moderation team's rules through the CLI: the moderator's name and the reason on every
//! batch, a profile that requires a reason, protected accounts held out of a bulk change unless
//! named, and the journal's queries by moderator, account, reason and age.

mod common {
    pub mod cli;
    pub mod harness;
}

use std::fs;

use common::cli::{LocalSandbox, Workspace, assert_no_key, run};
use common::harness;
use serde_json::{Value, json};

const BOT: &str = "@RBT#support";

/// alice blocks bob, carol and the support bot.
fn sandbox() -> LocalSandbox {
    LocalSandbox::on(harness::seed(json!({
        "accounts": [{"id": "alice"}, {"id": "bob"}, {"id": "carol"}, {"id": BOT}],
        "blocks": [
            {"from": "alice", "to": "bob", "time": 1_700_000_000},
            {"from": "alice", "to": "carol", "time": 1_700_000_001},
            {"from": "alice", "to": BOT, "time": 1_700_000_002},
        ],
    })))
}

fn intents(ws: &Workspace) -> Vec<Value> {
    ws.journal_records()
        .into_iter()
        .filter(|r| r["type"] == "intent")
        .collect()
}

fn journal_lines(ws: &Workspace, sb: &LocalSandbox, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["journal", "--json"];
    all.extend_from_slice(args);
    let out = run(ws.cmd(&sb.url(), &all));
    out.assert_code(0, "journal");
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// `require_reason = true`: a change without a reason or a ticket is refused with exit 2 and
/// nothing sent or journaled; with one, it runs and the journal records the reason, the ticket
/// and the moderator named by BLOCKDECK_MODERATOR.
#[test]
fn a_profile_that_requires_a_reason_refuses_a_change_without_one() {
    let sb = sandbox();
    let ws = Workspace::new();
    fs::write(&ws.config, "[profiles.prod]\nrequire_reason = true\n").unwrap();
    let out = run(ws.cmd(&sb.url(), &["unblock", "alice", "bob", "--yes"]));
    out.assert_code(2, "no reason");
    assert!(out.stderr.contains("requires a reason"), "{}", out.stderr);
    assert!(out.stderr.contains("--reason"), "{}", out.stderr);
    assert_eq!(sb.total_calls(), 0, "nothing was sent");
    assert!(!ws.journal.exists(), "nothing was journaled");

    // A reason that is not one plain line is refused too, naming the problem.
    let out = run(ws.cmd(
        &sb.url(),
        &["unblock", "alice", "bob", "--yes", "--reason", "two\nlines"],
    ));
    out.assert_code(2, "a reason on two lines");
    assert!(out.stderr.contains("U+000A"), "{}", out.stderr);
    assert_eq!(sb.total_calls(), 0);

    let mut cmd = ws.cmd(
        &sb.url(),
        &[
            "unblock",
            "alice",
            "bob",
            "--yes",
            "--reason",
            "appeal granted",
            "--ticket",
            "OPS-4411",
        ],
    );
    cmd.env("BLOCKDECK_MODERATOR", "mod_ana");
    let out = run(cmd);
    out.assert_code(0, "with a reason");
    assert_no_key(&out.all(), "unblock");
    assert!(!sb.blocks("alice", "bob"));
    let intent = &intents(&ws)[0];
    assert_eq!(intent["moderator"], "mod_ana");
    assert_eq!(intent["reason"], "appeal granted");
    assert_eq!(intent["ticket"], "OPS-4411");
    assert!(intent["os_user"].as_str().is_some_and(|u| !u.is_empty()));
}

/// A protected account (listed in the profile) is held out of a bulk unblock and listed; the
/// rest goes through. Naming it with --include-protected lets it through.
#[test]
fn a_protected_account_is_held_out_until_named() {
    let sb = sandbox();
    let ws = Workspace::new();
    fs::write(
        &ws.config,
        format!("[profiles.prod]\nprotected = [\"{BOT}\"]\n"),
    )
    .unwrap();
    let file = ws.write(
        "pairs.csv",
        &format!("alice,bob\nalice,carol\nalice,{BOT}\n"),
    );
    let file = file.to_str().unwrap();
    let out = run(ws.cmd(&sb.url(), &["unblock", "--file", file, "--yes"]));
    out.assert_code(0, "the rest goes through");
    assert!(
        out.stderr
            .contains("held out 1 pair(s) that touch protected accounts (@RBT#support)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("alice → {BOT}")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--include-protected"), "{}", out.stderr);
    assert!(!sb.blocks("alice", "bob") && !sb.blocks("alice", "carol"));
    assert!(
        sb.blocks("alice", BOT),
        "the protected account was left alone"
    );
    assert_eq!(intents(&ws)[0]["targets"].as_array().unwrap().len(), 2);

    // Only the protected pair left: nothing to do without naming it.
    let only = ws.write("bot.csv", &format!("alice,{BOT}\n"));
    let out = run(ws.cmd(
        &sb.url(),
        &["unblock", "--file", only.to_str().unwrap(), "--yes"],
    ));
    assert_ne!(out.code, Some(0), "{}", out.stderr);
    assert!(sb.blocks("alice", BOT));

    let out = run(ws.cmd(
        &sb.url(),
        &["unblock", "alice", BOT, "--yes", "--include-protected", BOT],
    ));
    out.assert_code(0, "named");
    assert!(!sb.blocks("alice", BOT), "named, it goes through");
}

/// The moderator comes from BLOCKDECK_MODERATOR, else the config file's `moderator`; the
/// journal's queries find batches by moderator, by account (From or To), by reason and by age.
#[test]
fn the_journal_answers_who_what_and_why() {
    let sb = sandbox();
    let ws = Workspace::new();
    fs::write(&ws.config, "moderator = \"mod_bo\"\n").unwrap();
    let mut cmd = ws.cmd(
        &sb.url(),
        &["unblock", "alice", "bob", "--yes", "--reason", "spam wave"],
    );
    cmd.env("BLOCKDECK_MODERATOR", "mod_ana");
    run(cmd).assert_code(0, "ana's batch");
    run(ws.cmd(
        &sb.url(),
        &["block", "carol", "bob", "--yes", "--ticket", "OPS-7"],
    ))
    .assert_code(0, "bo's batch");

    let all = journal_lines(&ws, &sb, &[]);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["moderator"], "mod_ana");
    assert_eq!(all[1]["moderator"], "mod_bo");

    let by_ana = journal_lines(&ws, &sb, &["--by", "MOD_ANA"]);
    assert_eq!(by_ana.len(), 1);
    assert_eq!(by_ana[0]["reason"], "spam wave");
    assert_eq!(journal_lines(&ws, &sb, &["--user", "carol"]).len(), 1);
    assert_eq!(journal_lines(&ws, &sb, &["--user", "bob"]).len(), 2);
    let ops = journal_lines(&ws, &sb, &["--reason", "ops-7"]);
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0]["ticket"], "OPS-7");
    assert_eq!(journal_lines(&ws, &sb, &["--since", "1h"]).len(), 2);
    let out = run(ws.cmd(&sb.url(), &["journal", "--since", "1 fortnight"]));
    out.assert_code(2, "a bad age");
    assert!(out.stderr.contains("unit"), "{}", out.stderr);

    // One batch's pairs and outcomes, by a prefix of its ID.
    let id = by_ana[0]["batch"].as_str().unwrap().to_owned();
    let out = run(ws.cmd(&sb.url(), &["journal", "show", &id[..id.len() - 1]]));
    out.assert_code(0, "journal show");
    assert!(out.stdout.contains("alice → bob  done"), "{}", out.stdout);
    let out = run(ws.cmd(&sb.url(), &["journal", "show", &id, "--csv"]));
    out.assert_code(0, "journal show --csv");
    assert!(
        out.stdout.starts_with("batch,from,to,status"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("{id},alice,bob,done")),
        "{}",
        out.stdout
    );

    // Exported as JSON Lines, the journal reads back whole from another file.
    let out = run(ws.cmd(&sb.url(), &["journal", "export", "--jsonl"]));
    out.assert_code(0, "journal export --jsonl");
    let copy = ws.write("copy.jsonl", &out.stdout);
    let mut cmd = ws.bare_args(
        None,
        &["journal", "--json", "--journal", copy.to_str().unwrap()],
    );
    cmd.stdout(std::process::Stdio::piped());
    let again = run(cmd);
    again.assert_code(0, "the copy");
    assert_eq!(again.stdout.lines().count(), 2, "{}", again.stdout);
    let out = run(ws.cmd(&sb.url(), &["journal", "export", "--csv"]));
    out.assert_code(0, "journal export --csv");
    assert_eq!(
        out.stdout.lines().count(),
        3,
        "a header and a row per pair: {}",
        out.stdout
    );
    let out = run(ws.cmd(&sb.url(), &["journal", "export"]));
    out.assert_code(2, "journal export without a format");

    // The text listing names the moderator and the reason.
    let out = run(ws.cmd(&sb.url(), &["journal", "--by", "mod_ana"]));
    out.assert_code(0, "journal");
    assert!(out.stdout.contains("by mod_ana"), "{}", out.stdout);
    assert!(
        out.stdout.contains("reason \"spam wave\""),
        "{}",
        out.stdout
    );
}

/// A JSON Lines journal of the previous version (an interrupted batch and a finished one),
/// beside the SQLite journal of the same name: imported on first use without loss, once, and
/// `resume` finishes the interrupted batch from the store.
#[test]
fn a_lines_journal_is_imported_and_resumed_from_the_store() {
    let sb = sandbox();
    let mut ws = Workspace::new();
    let state = ws.journal.parent().unwrap().to_owned();
    ws.journal = state.join("journal.db");
    fs::create_dir_all(&state).unwrap();
    let url = sb.url();
    let base = |batch: &str, time: u64, targets: &str| {
        format!(
            "{{\"type\":\"intent\",\"v\":1,\"batch\":\"{batch}\",\"time\":{time},\"os_user\":\"ana\",\
             \"ssh_client\":null,\"profile\":null,\"sdkappid\":{},\"base_url\":\"{url}\",\
             \"operation\":\"unblock\",\"targets\":{targets}}}\n",
            harness::SDKAPPID
        )
    };
    let mut text = base(
        "20261101T000000Z-aaaa",
        1_793_491_200,
        "[[\"alice\",\"zed\"]]",
    );
    text.push_str(
        "{\"type\":\"chunk\",\"v\":1,\"batch\":\"20261101T000000Z-aaaa\",\"time\":1793491201,\
         \"api\":\"black_list_delete\",\"attempt\":1,\"items\":[{\"from\":\"alice\",\"to\":\"zed\",\
         \"code\":0,\"status\":\"done\"}]}\n\
         {\"type\":\"end\",\"v\":1,\"batch\":\"20261101T000000Z-aaaa\",\"time\":1793491201,\
         \"outcome\":\"completed\"}\n",
    );
    text.push_str(&base(
        "20261101T000100Z-bbbb",
        1_793_491_260,
        "[[\"alice\",\"bob\"],[\"alice\",\"carol\"]]",
    ));
    text.push_str(
        "{\"type\":\"chunk\",\"v\":1,\"batch\":\"20261101T000100Z-bbbb\",\"time\":1793491261,\
         \"api\":\"black_list_delete\",\"attempt\":1,\"items\":[{\"from\":\"alice\",\"to\":\"bob\",\
         \"code\":0,\"status\":\"done\"}]}\n",
    );
    fs::write(state.join("journal.jsonl"), &text).unwrap();
    // bob was unblocked by the interrupted batch before it stopped.
    let out = run(ws.cmd(&url, &["unblock", "alice", "bob", "--yes"]));
    out.assert_code(0, "bob's unblock, as the batch left it");
    // The first use of the store brings the old journal in, and says so.
    assert!(
        out.stderr.contains("imported 5 record(s)"),
        "{}",
        out.stderr
    );

    let out = run(ws.cmd(&url, &["journal", "--json"]));
    out.assert_code(0, "journal");
    assert!(!out.stderr.contains("imported"), "{}", out.stderr);
    let batches: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(batches.len(), 3, "{}", out.stdout);
    assert_eq!(batches[0]["state"], "completed");
    assert_eq!(batches[1]["incomplete"], true);
    assert_eq!(
        batches[1]["moderator"], "ana",
        "the OS user stands for the moderator"
    );

    let out = run(ws.cmd(&url, &["resume", "20261101T000100Z-bbbb", "--yes"]));
    out.assert_code(0, "resume");
    assert!(!sb.blocks("alice", "carol"), "finished as intended");
    assert!(sb.blocks("alice", BOT), "nothing else touched");
    let out = run(ws.cmd(&url, &["journal", "--incomplete"]));
    out.assert_code(0, "journal --incomplete");
    assert!(out.stdout.trim().is_empty(), "{}", out.stdout);
    assert!(
        !out.stderr.contains("imported"),
        "imported once: {}",
        out.stderr
    );
}

/// Two processes writing one SQLite journal at once, each a batch of 300 calls (one per From):
/// both batches and all their items are there, attributed to their moderators.
#[test]
fn two_processes_share_one_sqlite_journal() {
    let accounts: Vec<String> = (0..300).map(|i| format!("u{i:03}")).collect();
    let mut blocks = Vec::new();
    for to in ["alice", "bob"] {
        for from in &accounts {
            blocks.push(json!({"from": from, "to": to, "time": 1_700_000_000}));
        }
    }
    let mut all: Vec<Value> = accounts.iter().map(|id| json!({"id": id})).collect();
    all.push(json!({"id": "alice"}));
    all.push(json!({"id": "bob"}));
    let mut config = harness::config(harness::seed(json!({"accounts": all, "blocks": blocks})));
    config.latency = "5-20".parse().unwrap();
    let sb = LocalSandbox::start(config);
    let mut ws = Workspace::new();
    ws.journal = ws.dir.path().join("team.db");
    let pairs = |to: &str| {
        let text: Vec<String> = accounts.iter().map(|from| format!("{from},{to}")).collect();
        ws.write(&format!("{to}.csv"), &text.join("\n"))
    };
    let (for_alice, for_bob) = (pairs("alice"), pairs("bob"));
    let spawn = |file: &std::path::Path, who: &str| {
        let mut cmd = ws.cmd(
            &sb.url(),
            &["unblock", "--file", file.to_str().unwrap(), "--yes"],
        );
        cmd.env("BLOCKDECK_MODERATOR", who);
        common::cli::Running::spawn(cmd)
    };
    let (a, b) = (spawn(&for_alice, "ana"), spawn(&for_bob, "bo"));
    a.wait().assert_code(0, "ana's batch");
    b.wait().assert_code(0, "bo's batch");
    let lines = journal_lines(&ws, &sb, &[]);
    assert_eq!(lines.len(), 2);
    for batch in &lines {
        assert_eq!(batch["done"], 300, "{batch}");
        assert_eq!(batch["state"], "completed", "{batch}");
    }
    let mut by: Vec<&str> = lines
        .iter()
        .map(|b| b["moderator"].as_str().unwrap())
        .collect();
    by.sort_unstable();
    assert_eq!(by, ["ana", "bo"]);
    assert!(accounts.iter().all(|u| sb.blocklist(u).is_empty()));
}
