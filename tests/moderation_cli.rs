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
