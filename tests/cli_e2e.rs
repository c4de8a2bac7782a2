//! The headless CLI end to end: `blockdeck` child processes against an in-process sandbox. Every
//! path is confined to a temporary directory, every child is bounded in time, and every output
//! is checked for the secret key.

mod common {
    pub mod cli;
    pub mod harness;
}

use std::collections::HashSet;
use std::fs;
use std::thread;
use std::time::Duration;

use blockdeck::client::journal::{self, EndOutcome};
use blockdeck::sandbox::Latency;
use common::cli::{
    self, Finished, LEAK_KEY, LocalSandbox, Running, WRONG_KEY, Workspace, assert_no_key, owned,
    run, seed_of, strings, wait_until,
};
use common::harness;
use serde_json::Value;

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The ID of the only batch in the workspace's journal.
fn batch_id(ws: &Workspace) -> String {
    let records = ws.journal_records();
    let intents: Vec<&Value> = records.iter().filter(|r| r["type"] == "intent").collect();
    assert_eq!(intents.len(), 1, "{records:?}");
    intents[0]["batch"].as_str().unwrap().to_owned()
}

/// The small world most CLI tests run in: each scenario has its own FROM user.
fn small_world() -> LocalSandbox {
    let mut accounts = strings(&[
        "cara", "b1", "b2", "b3", "b4", "lister", "bjson", "ubad", "wk", "many", "ro", "d1", "d2",
        "d3",
    ]);
    accounts.extend((1..=9).map(|i| format!("t{i}")));
    accounts.extend((1..=12).map(|i| format!("x{i:02}")));
    let mut blocks = owned(&[
        ("cara", "b1"),
        ("b1", "cara"),
        ("cara", "b2"),
        ("b3", "cara"),
        ("ubad", "t1"),
        ("ro", "t2"),
    ]);
    blocks.extend((1..=7).map(|i| ("lister".to_owned(), format!("t{i}"))));
    LocalSandbox::on(seed_of(&accounts, &blocks))
}

// ------------------------------------------------------------------------------------------ tests

/// The acceptance test: a batch killed with SIGKILL mid-way is finished by `blockdeck resume`.
#[test]
fn sigkill_mid_batch_then_resume_finishes_it() {
    let users: Vec<String> = (0..200).map(|i| format!("k{i:03}")).collect();
    let pool: Vec<String> = (0..20).map(|i| format!("m{i:02}")).collect();
    let mut blocks = Vec::new();
    let mut targets = Vec::new();
    for (i, user) in users.iter().enumerate() {
        // Ten entries to remove and one that stays.
        for j in 0..11 {
            let to = pool[(i + j) % pool.len()].clone();
            blocks.push((user.clone(), to.clone()));
            if j < 10 {
                targets.push((user.clone(), to));
            }
        }
    }
    let accounts: Vec<String> = users.iter().chain(&pool).cloned().collect();
    let mut config = harness::config(seed_of(&accounts, &blocks));
    config.latency = Latency(20..=20);
    config.rate_limit = 100;
    let sb = LocalSandbox::start(config);
    let before = sb.entries();
    let ws = Workspace::new();
    let csv: String = targets.iter().map(|(f, t)| format!("{f},{t}\n")).collect();
    let file = ws.write("pairs.csv", &csv);
    let file = file.to_str().unwrap();

    let mut child = Running::spawn(ws.cmd(
        &sb.url(),
        &["--rate-limit", "100", "unblock", "--file", file, "--yes"],
    ));
    wait_until("five chunk records in the journal", || {
        ws.journal_count("chunk") >= 5 || child.exited()
    });
    assert!(!child.exited(), "the batch ended before it could be killed");
    child.kill();
    let killed = child.wait();
    assert_eq!(killed.code, None, "killed by a signal");

    let still = targets.iter().filter(|(f, t)| sb.blocks(f, t)).count();
    assert!(
        0 < still && still < targets.len(),
        "{still} of {} pairs still blocked",
        targets.len()
    );
    let batch = batch_id(&ws);

    let incomplete = run(ws.cmd(&sb.url(), &["journal", "--incomplete"]));
    incomplete.assert_code(0, "journal --incomplete");
    assert!(incomplete.stdout.contains(&batch), "{}", incomplete.stdout);

    let resumed = run(ws.cmd(&sb.url(), &["--rate-limit", "100", "resume", "--yes"]));
    resumed.assert_code(0, "resume");
    assert!(resumed.stderr.contains(&batch), "{}", resumed.stderr);

    // Exactly the intended state: the 2,000 pairs gone, every other entry as it was.
    let removed: HashSet<(String, String)> = targets.iter().cloned().collect();
    let expected: Vec<(String, String, u64)> = before
        .into_iter()
        .filter(|(f, t, _)| !removed.contains(&(f.clone(), t.clone())))
        .collect();
    assert_eq!(expected.len(), users.len());
    assert!(sb.entries() == expected, "the sandbox is not as intended");

    let incomplete = run(ws.cmd(&sb.url(), &["journal", "--incomplete"]));
    incomplete.assert_code(0, "journal --incomplete after resume");
    assert_eq!(incomplete.stdout.trim(), "", "nothing is incomplete");

    let listed = run(ws.cmd(&sb.url(), &["journal", "--json"]));
    listed.assert_code(0, "journal --json");
    let batches = json_lines(&listed.stdout);
    assert_eq!(batches.len(), 1, "{}", listed.stdout);
    let b = &batches[0];
    assert_eq!(b["batch"], batch.as_str());
    assert_eq!(b["total"], 2000);
    assert_eq!(b["pending"], 0);
    assert_eq!(b["failed"], 0);
    assert_eq!(b["incomplete"], false);
    assert_eq!(b["state"], "completed");
    let done = b["done"].as_u64().unwrap() + b["already"].as_u64().unwrap();
    assert_eq!(done, 2000);
}

/// Exit codes 0, 1, 2 and 3, and the JSON, CSV and dry-run outputs.
#[test]
fn exit_codes_and_output_formats() {
    let sb = small_world();
    let ws = Workspace::new();
    let url = sb.url();

    // All done: 0, one JSON object per pair.
    let out = run(ws.cmd(&url, &["block", "bjson", "t1", "t2", "--json"]));
    out.assert_code(0, "block --json");
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    for (line, to) in lines.iter().zip(["t1", "t2"]) {
        assert_eq!(line["from"], "bjson");
        assert_eq!(line["to"], to);
        assert_eq!(line["status"], "done");
    }
    assert!(sb.blocks("bjson", "t1") && sb.blocks("bjson", "t2"));

    // An unknown account: 1, and the failure is named with its code and meaning.
    let out = run(ws.cmd(&url, &["unblock", "ubad", "t1", "ghost"]));
    out.assert_code(1, "unblock with an unknown account");
    assert!(!sb.blocks("ubad", "t1"));
    let failure = out
        .stderr
        .lines()
        .find(|l| l.contains("30003"))
        .unwrap_or_else(|| panic!("no 30003 on stderr:\n{}", out.stderr));
    assert!(failure.contains("does not exist"), "{failure}");
    assert!(
        out.stderr
            .lines()
            .any(|l| l.contains("ubad") && l.contains("ghost")),
        "{}",
        out.stderr
    );

    // Another key: 3, naming 70009 and the secret key; nothing changed.
    let out = run(ws.cmd_with(&url, Some(WRONG_KEY), &["block", "wk", "t1"]));
    out.assert_code(3, "block with the wrong key");
    assert!(out.stderr.contains("70009"), "{}", out.stderr);
    assert!(out.stderr.contains("secret key"), "{}", out.stderr);
    assert!(!sb.blocks("wk", "t1"));

    // list --csv: a header and one row per entry; list --json: one object per entry.
    let out = run(ws.cmd(&url, &["list", "lister", "--csv"]));
    out.assert_code(0, "list --csv");
    let rows: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(rows[0], blockdeck::export::LIST.join(","));
    assert_eq!(rows.len(), 1 + 7, "{}", out.stdout);
    let firsts: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(firsts, sb.blocklist("lister"));
    let out = run(ws.cmd(&url, &["list", "lister", "--json"]));
    out.assert_code(0, "list --json");
    let entries = json_lines(&out.stdout);
    assert_eq!(entries.len(), 7);
    for (entry, to) in entries.iter().zip(sb.blocklist("lister")) {
        assert_eq!(entry["from"], "lister");
        assert_eq!(entry["to"], to.as_str());
        assert!(entry["add_black_time_stamp"].as_u64().unwrap() >= 1_700_000_000);
    }

    // check --json: the relations by their protocol names.
    let out = run(ws.cmd(&url, &["check", "cara", "b1", "b2", "b3", "b4", "--json"]));
    out.assert_code(0, "check --json");
    let relations: Vec<(String, String)> = json_lines(&out.stdout)
        .iter()
        .map(|l| {
            (
                l["to"].as_str().unwrap().to_owned(),
                l["relation"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        relations,
        owned(&[
            ("b1", "BlackCheckResult_Type_BothWay"),
            ("b2", "BlackCheckResult_Type_AWithB"),
            ("b3", "BlackCheckResult_Type_BWithA"),
            ("b4", "BlackCheckResult_Type_NO"),
        ])
    );

    // --dry-run: one line per call, nothing sent.
    let calls = sb.total_calls();
    let file = ws.write(
        "dry.csv",
        "d1,t1\nd1,t2\nd2,t1\nd3,t3\nd3,t4\nd3,t5\n# a comment\n",
    );
    let out = run(ws.cmd(
        &url,
        &["block", "--file", file.to_str().unwrap(), "--dry-run"],
    ));
    out.assert_code(0, "block --dry-run");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    let mut sent = Vec::new();
    for line in lines {
        let body = line
            .strip_prefix("POST /v4/sns/black_list_add ")
            .unwrap_or_else(|| panic!("{line}"));
        let body: Value = serde_json::from_str(body).unwrap();
        sent.push((
            body["From_Account"].as_str().unwrap().to_owned(),
            body["To_Account"].as_array().unwrap().len(),
        ));
    }
    assert_eq!(sent, [("d1".into(), 2), ("d2".into(), 1), ("d3".into(), 3)]);
    assert_eq!(sb.total_calls(), calls, "a dry run sends nothing");

    // --read-only refuses changes with 2 and sends nothing.
    for verb in ["block", "unblock"] {
        let out = run(ws.cmd(&url, &["--read-only", verb, "ro", "t2"]));
        out.assert_code(2, verb);
        assert!(out.stderr.contains("read-only"), "{}", out.stderr);
    }
    assert!(sb.blocks("ro", "t2"));
    assert_eq!(sb.total_calls(), calls, "read-only sends nothing");

    // More than ten pairs without a terminal and without --yes: no prompt, it proceeds.
    let mut args = vec!["block", "many"];
    let xs: Vec<String> = (1..=12).map(|i| format!("x{i:02}")).collect();
    args.extend(xs.iter().map(String::as_str));
    let out = run(ws.cmd(&url, &args));
    out.assert_code(0, "block 12 pairs without --yes");
    assert_eq!(sb.blocklist("many"), xs);
}

/// Starts an unblock of `n` users' blocks (one call each, `latency_ms` each, 40 calls/s) and sends
/// `signal` once its first answer is journaled; returns the sandbox, the workspace, the pairs and
/// what the CLI printed.
fn signalled_unblock(
    signal: &str,
    n: usize,
    latency_ms: u64,
) -> (LocalSandbox, Workspace, Vec<(String, String)>, Finished) {
    let (accounts, blocks) = harness::blocking_target((0..n).map(|i| format!("s{i:03}")));
    let mut config = harness::config(seed_of(&accounts, &blocks));
    config.latency = Latency(latency_ms..=latency_ms);
    let sb = LocalSandbox::start(config);
    let ws = Workspace::new();
    let csv: String = blocks.iter().map(|(f, t)| format!("{f},{t}\n")).collect();
    let file = ws.write("slow.csv", &csv);
    let mut child = Running::spawn(ws.cmd(
        &sb.url(),
        &[
            "--rate-limit",
            "40",
            "unblock",
            "--file",
            file.to_str().unwrap(),
            "--yes",
        ],
    ));
    wait_until("a first chunk record", || {
        ws.journal_count("chunk") >= 1 || child.exited()
    });
    assert!(!child.exited(), "the batch ended before the signal");
    child.signal(signal);
    let out = child.wait();
    (sb, ws, blocks, out)
}

/// SIGINT cancels between requests: exit 4, the journal says cancelled, and the journal matches
/// what was applied.
#[test]
fn sigint_cancels_the_batch() {
    let (sb, ws, blocks, out) = signalled_unblock("-INT", 200, 400);
    out.assert_code(4, "unblock interrupted by SIGINT");
    assert!(out.stderr.contains("cancel"), "{}", out.stderr);

    let read = journal::read_batches(&ws.journal).unwrap();
    let state = &read.batches[0];
    assert!(
        matches!(state.end, Some((_, EndOutcome::Cancelled))),
        "{:?}",
        state.end
    );
    let counts = state.counts();
    assert!(counts.pending > 0, "{counts:?}");
    // What the journal calls done is exactly what the sandbox no longer has.
    let unblocked = blocks.iter().filter(|(f, t)| !sb.blocks(f, t)).count();
    assert_eq!(counts.done, unblocked, "{counts:?}");
    assert_eq!(counts.done + counts.pending, 200, "{counts:?}");
}

/// `--json` rows are written as the items settle: a run killed mid-batch leaves on stdout a row for
/// every pair it had settled, each of them done in the sandbox and in the journal.
#[test]
fn json_rows_are_written_as_items_settle() {
    let (accounts, blocks) = harness::blocking_target((0..100).map(|i| format!("j{i:03}")));
    let sb = LocalSandbox::start(harness::config(seed_of(&accounts, &blocks)));
    let ws = Workspace::new();
    let csv: String = blocks.iter().map(|(f, t)| format!("{f},{t}\n")).collect();
    let file = ws.write("rows.csv", &csv);
    let mut child = Running::spawn(ws.cmd(
        &sb.url(),
        &[
            "--rate-limit",
            "20",
            "unblock",
            "--file",
            file.to_str().unwrap(),
            "--yes",
            "--json",
        ],
    ));
    wait_until("a few chunk records", || {
        ws.journal_count("chunk") >= 5 || child.exited()
    });
    assert!(!child.exited(), "the batch ended before it was killed");
    child.kill();
    let out = child.wait();
    let rows: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON row"))
        .collect();
    assert!(!rows.is_empty(), "no row was written before the kill");
    assert!(
        rows.len() < 100,
        "the batch was killed early: {}",
        rows.len()
    );
    for row in &rows {
        assert_eq!(row["status"], "done", "{row}");
        let (from, to) = (row["from"].as_str().unwrap(), row["to"].as_str().unwrap());
        assert!(!sb.blocks(from, to), "{from} → {to} is still blocked");
    }
}

/// Sends SIGINT twice to a batch whose requests hang: the first cancels, the second quits
/// without waiting for them. Returns the batch as `journal --json` shows it afterwards.
fn interrupt_twice() -> Value {
    let users = strings(&["h1", "h2", "h3"]);
    let mut accounts = users.clone();
    accounts.push("target".to_owned());
    let blocks: Vec<(String, String)> = users
        .iter()
        .map(|u| (u.clone(), "target".to_owned()))
        .collect();
    let mut config = harness::config(seed_of(&accounts, &blocks));
    // Every call hangs far longer than the test waits; stopping the sandbox releases them.
    config.faults = "timeout:1.0".parse().unwrap();
    config.hang = Duration::from_secs(60);
    let sb = LocalSandbox::start(config);
    let ws = Workspace::new();
    let file = ws.write("hang.csv", "h1,target\nh2,target\nh3,target\n");
    let child = Running::spawn(ws.cmd(
        &sb.url(),
        &[
            "--timeout",
            "30",
            "unblock",
            "--file",
            file.to_str().unwrap(),
        ],
    ));
    wait_until("requests in flight", || sb.total_calls() >= 3);
    // The signal handler is set up before the first request; leave it a moment all the same.
    thread::sleep(Duration::from_millis(100));
    child.signal("-INT");
    wait_until("the cancel notice", || {
        child.stderr_so_far().contains("cancelling")
    });
    child.signal("-INT");
    child.wait().assert_code(4, "second SIGINT");
    let listed = run(ws.cmd(&sb.url(), &["journal", "--json"]));
    listed.assert_code(0, "journal --json");
    let batches = json_lines(&listed.stdout);
    assert_eq!(batches.len(), 1, "{}", listed.stdout);
    batches[0].clone()
}

/// A second SIGINT quits at once, with requests still in flight; the batch stays resumable.
#[test]
fn second_sigint_quits_at_once() {
    let batch = interrupt_twice();
    assert_eq!(batch["incomplete"], true, "{batch}");
    assert_eq!(batch["pending"], 3, "{batch}");
}

/// The journal labels a batch quit by a second Ctrl-C as interrupted, as documented.
#[test]
fn second_sigint_marks_the_batch_interrupted() {
    let batch = interrupt_twice();
    assert_eq!(batch["state"], "interrupted", "{batch}");
}

/// Bad lines stop everything before anything is sent, and the message names each of them.
#[test]
fn bad_input_names_the_lines_and_sends_nothing() {
    let sb = small_world();
    let ws = Workspace::new();
    let long = "z".repeat(33);
    let text = format!("cara,b1\ncara,b2\ncara,{long}\ncara,b3\ncara,x\u{7}y\ncara,b4\n");
    let file = ws.write("bad.csv", &text);
    let out = run(ws.cmd(
        &sb.url(),
        &["unblock", "--file", file.to_str().unwrap(), "--yes"],
    ));
    out.assert_code(2, "a file with bad lines");
    assert!(out.stderr.contains("line 3"), "{}", out.stderr);
    assert!(out.stderr.contains("line 5"), "{}", out.stderr);
    assert!(!out.stderr.contains("line 4"), "{}", out.stderr);

    let out = run(ws.cmd(&sb.url(), &["block", "cara", "b4", &long]));
    out.assert_code(2, "a 33-byte TO");
    assert!(out.stderr.contains(&long), "{}", out.stderr);

    assert_eq!(sb.total_calls(), 0, "{:?}", sb.counters());
    assert!(sb.blocks("cara", "b1") && !sb.blocks("cara", "b4"));
}

/// The secret key appears in no output and no file, in success and failure alike.
#[test]
fn the_secret_key_never_leaks() {
    let sb = small_world();
    let mut faulty = harness::config(seed_of(&strings(&["cara", "b1"]), &[]));
    faulty.faults = "502:1.0".parse().unwrap();
    let broken = LocalSandbox::start(faulty);
    let ws = Workspace::new();
    let url = sb.url();
    let unreachable = "http://127.0.0.1:1";

    // Reads and the commands that need no service.
    for args in [
        &["list", "lister"][..],
        &["list", "lister", "--json"],
        &["list", "lister", "--csv"],
        &["check", "cara", "b1", "b2"],
        &["check", "cara", "b1", "--single", "--json"],
        &["config", "show"],
        &["config", "path"],
        &["usersig"],
        &["usersig", "--expire", "60"],
        &["block", "cara", "t1", "t2", "--dry-run"],
        &["unblock", "cara", "b1", "--dry-run"],
        &["completions", "bash"],
    ] {
        run(ws.cmd(&url, args)).assert_code(0, &args.join(" "));
    }
    let sig = run(ws.cmd(&url, &["usersig"]));
    let key = blockdeck::secret::SecretKey::new(LEAK_KEY.to_owned()).unwrap();
    let now = blockdeck::tim::usersig::unix_now();
    blockdeck::tim::usersig::verify(
        sig.stdout.trim(),
        &key,
        harness::ADMIN,
        harness::SDKAPPID,
        now,
    )
    .expect("the printed UserSig verifies");
    let path = run(ws.bare_args(None, &["config", "path"]));
    assert_eq!(
        path.stdout.trim(),
        ws.config.to_str().unwrap(),
        "BLOCKDECK_CONFIG"
    );
    let shown = run(ws.cmd(&url, &["config", "show"]));
    assert!(
        shown.stdout.contains("environment BLOCKDECK_SECRET_KEY"),
        "{}",
        shown.stdout
    );

    // Changes that succeed, with and without --json, and the journal after them.
    run(ws.cmd(&url, &["block", "cara", "t3", "t4"])).assert_code(0, "block");
    run(ws.cmd(&url, &["unblock", "cara", "t3", "--json"])).assert_code(0, "unblock --json");
    run(ws.cmd(&url, &["block", "cara", "t5", "--json"])).assert_code(0, "block --json");

    // The wrong key: every command that calls the service stops with 3.
    for args in [
        &["list", "lister"][..],
        &["list", "lister", "--json"],
        &["check", "cara", "b1"],
        &["check", "cara", "b1", "--json"],
        &["block", "cara", "t6"],
        &["unblock", "cara", "t4", "--json"],
    ] {
        run(ws.cmd_with(&url, Some(WRONG_KEY), args)).assert_code(3, &args.join(" "));
    }
    // The batch stopped by the wrong key is resumed: first with the wrong key, then the right one.
    run(ws.cmd_with(&url, Some(WRONG_KEY), &["resume", "--yes", "--json"]))
        .assert_code(3, "resume with the wrong key");
    // Two batches were stopped: each resume finishes the most recent one still incomplete.
    run(ws.cmd(&url, &["resume", "--yes", "--json"])).assert_code(0, "resume");
    run(ws.cmd(&url, &["resume", "--yes"])).assert_code(0, "resume the other");
    assert!(!sb.blocks("cara", "t4") && sb.blocks("cara", "t6"));
    run(ws.cmd(&url, &["resume", "--yes"])).assert_code(2, "resume with nothing to resume");
    for args in [
        &["journal"][..],
        &["journal", "--json"],
        &["journal", "--incomplete"],
    ] {
        run(ws.cmd(&url, args)).assert_code(0, &args.join(" "));
    }

    // Another SDKAppID, read-only mode, bad input, no key at all.
    run(ws.cmd_app(&url, 1234, Some(LEAK_KEY), &["list", "lister"])).assert_code(3, "bad sdkappid");
    run(ws.cmd_app(
        &url,
        1234,
        Some(LEAK_KEY),
        &["block", "cara", "t7", "--json"],
    ))
    .assert_code(3, "bad sdkappid block");
    run(ws.cmd_app(&url, 1234, Some(LEAK_KEY), &["resume", "--yes"]))
        .assert_code(3, "resume for another app");
    run(ws.cmd(&url, &["resume", "--yes"])).assert_code(2, "resume a batch of another app");
    run(ws.cmd(&url, &["--read-only", "block", "cara", "t7"])).assert_code(2, "read-only");
    run(ws.cmd(&url, &["--read-only", "unblock", "cara", "b1", "--json"]))
        .assert_code(2, "read-only --json");
    run(ws.cmd(&url, &["block", "cara", "bad\u{1b}id"])).assert_code(2, "bad input");
    run(ws.cmd_with(&url, None, &["list", "lister"])).assert_code(2, "no key");

    // A gateway that answers 502 to everything: the batch is retried until cancelled.
    let mut gateway = Running::spawn(ws.cmd(&broken.url(), &["block", "cara", "b1", "--json"]));
    // A retry after the first 502 means the batch, and its signal handler, are well under way.
    wait_until("a retried 502", || {
        broken.total_calls() >= 2 || gateway.exited()
    });
    gateway.signal("-INT");
    gateway.wait().assert_code(4, "block through 502s");
    let mut gateway = Running::spawn(ws.cmd(&broken.url(), &["check", "cara", "b1", "--json"]));
    wait_until("a retried 502", || {
        broken.total_calls() >= 4 || gateway.exited()
    });
    gateway.signal("-INT");
    gateway.wait().assert_code(4, "check through 502s");

    // An unreachable endpoint: the change is retried until cancelled; reads are interrupted.
    let journal_chunks = ws.journal_count("chunk");
    let mut down = Running::spawn(ws.cmd(unreachable, &["unblock", "cara", "b1", "--json"]));
    wait_until("two failed attempts in the journal", || {
        ws.journal_count("chunk") > journal_chunks + 1 || down.exited()
    });
    down.signal("-INT");
    let out = down.wait();
    out.assert_code(4, "unblock against an unreachable endpoint");
    let mut reads = Vec::new();
    for args in [&["list", "lister"][..], &["check", "cara", "b1", "--json"]] {
        reads.push(Running::spawn(ws.cmd(unreachable, args)));
    }
    thread::sleep(Duration::from_millis(500));
    for mut read in reads {
        // SIGTERM, not SIGINT: `list` has no handler, and SIGINT may be ignored when the tests
        // run in the background.
        if !read.exited() {
            read.signal("-TERM");
        }
        // The exit status depends on whether the signal came before the handler: only the
        // output matters here, and `wait` checks it.
        read.wait();
    }
    let incomplete = run(ws.cmd(&url, &["journal", "--incomplete", "--json"]));
    incomplete.assert_code(0, "journal after failures");

    // A profile with a key file: the file is private and holds no key; `config show` names it.
    let key_file = ws.write("tim.key", LEAK_KEY);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&key_file, fs::Permissions::from_mode(0o600)).unwrap();
    }
    let config = ws.path("conf").join("blockdeck.toml");
    let journal_path = ws.journal.to_str().unwrap();
    let config_path = config.to_str().unwrap();
    let with_config = |key: Option<&str>, args: &[&str]| {
        let mut all = vec!["--config", config_path, "--journal", journal_path];
        all.extend_from_slice(args);
        ws.bare_args(key, &all)
    };
    let key_path = key_file.to_str().unwrap();
    run(with_config(
        None,
        &[
            "config",
            "init",
            "--profile",
            "t",
            "--base-url",
            &url,
            "--sdkappid",
            "1",
            "--key-file",
            key_path,
        ],
    ))
    .assert_code(0, "config init t");
    let app = harness::SDKAPPID.to_string();
    run(with_config(
        None,
        &[
            "config",
            "init",
            "--profile",
            "good",
            "--base-url",
            &url,
            "--sdkappid",
            &app,
            "--key-file",
            key_path,
            "--default",
        ],
    ))
    .assert_code(0, "config init good");
    #[cfg(unix)]
    assert_eq!(cli::mode(&config), 0o600);
    let written = fs::read_to_string(&config).unwrap();
    assert_no_key(&written, "config file");
    assert!(written.contains("[profiles.t]"), "{written}");
    let shown = run(with_config(None, &["--profile", "t", "config", "show"]));
    shown.assert_code(0, "config show --profile t");
    assert!(
        shown.stdout.contains(&format!("key file {key_path}")),
        "{}",
        shown.stdout
    );
    // The default profile reads its key from the file, with nothing in the environment.
    run(with_config(None, &["list", "lister", "--json"])).assert_code(0, "list via key file");
    run(with_config(None, &["--profile", "t", "list", "lister"]))
        .assert_code(3, "list for SDKAppID 1");
    run(with_config(None, &["usersig"])).assert_code(0, "usersig via key file");

    // Every file written: the journal and the config.
    let journal_text = fs::read_to_string(&ws.journal).unwrap();
    assert!(journal_text.contains("\"type\":\"intent\""));
    assert_no_key(&journal_text, "journal");
    for entry in walk(ws.dir.path()) {
        if entry == key_file {
            continue;
        }
        let bytes = fs::read(&entry).unwrap();
        assert_no_key(
            &String::from_utf8_lossy(&bytes),
            &entry.display().to_string(),
        );
    }
}

/// Every regular file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Every subcommand has help, and completions are printed.
#[test]
fn help_for_every_subcommand_and_completions() {
    let ws = Workspace::new();
    let top = run(ws.bare_args(None, &["--help"]));
    top.assert_code(0, "--help");
    let commands = [
        "demo",
        "list",
        "block",
        "unblock",
        "check",
        "journal",
        "resume",
        "config",
        "completions",
        "man",
        "sandbox",
        "usersig",
    ];
    for name in commands {
        assert!(top.stdout.contains(name), "--help lists {name}");
    }
    let mut invocations: Vec<Vec<&str>> = commands.iter().map(|c| vec![*c]).collect();
    for action in ["path", "show", "init"] {
        invocations.push(vec!["config", action]);
    }
    for words in invocations {
        let mut args = words.clone();
        args.push("--help");
        let out = run(ws.bare_args(None, &args));
        let name = words.join(" ");
        out.assert_code(0, &format!("{name} --help"));
        assert!(
            out.stdout.contains(&format!("Usage: blockdeck {name}")),
            "{name} --help:\n{}",
            out.stdout
        );
    }
    let out = run(ws.bare_args(None, &["completions", "bash"]));
    out.assert_code(0, "completions bash");
    assert!(out.stdout.contains("_blockdeck"), "{}", out.stdout);
    assert!(out.stdout.contains("complete -F"), "{}", out.stdout);
}

/// `blockdeck man` prints the manual; `--dir` writes a page per command and names them.
#[test]
fn man_prints_the_page_and_writes_a_directory() {
    let ws = Workspace::new();
    let out = run(ws.bare_args(None, &["man"]));
    out.assert_code(0, "man");
    assert!(out.stdout.contains(".TH blockdeck 1"), "{}", out.stdout);
    assert!(out.stdout.contains(".SH \"BLOCKDECK CONFIG INIT\""));
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = run(ws.bare_args(None, &["man", "--dir", pages.to_str().unwrap()]));
    out.assert_code(0, "man --dir");
    let listed: Vec<&str> = out.stdout.lines().collect();
    assert!(listed.len() > 15, "{}", out.stdout);
    for path in &listed {
        assert!(
            std::path::Path::new(path).is_file(),
            "{path} was not written"
        );
    }
    assert!(pages.join("blockdeck-unblock.1").is_file());
    // A directory that cannot be made is a usage error that says where.
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let out = run(ws.bare_args(None, &["man", "--dir", blocker.join("x").to_str().unwrap()]));
    out.assert_code(2, "man --dir under a file");
    assert!(
        out.stderr.contains("cannot write the manual pages"),
        "{}",
        out.stderr
    );
}

/// `cmd` under a file-size limit of `kb` KiB, with SIGXFSZ ignored: a write past the limit fails
/// with EFBIG, as it would with ENOSPC on a full disk.
fn with_file_limit(cmd: &std::process::Command, kb: u64) -> std::process::Command {
    let mut limited = std::process::Command::new("bash");
    limited
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f {kb}; exec \"$0\" \"$@\""))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => limited.env(key, value),
            None => limited.env_remove(key),
        };
    }
    limited
}

/// A journal that cannot be written mid-batch (a full disk) stops the batch before its next
/// request, with a message and a non-zero exit; the journal does not end in a torn line, and
/// `resume` then finishes the batch exactly.
#[test]
fn a_journal_that_cannot_be_written_stops_the_batch_and_resume_finishes_it() {
    full_journal_then_resume(None, 12);
}

/// The same with the SQLite store: its write-ahead log cannot grow, the batch stops, and `resume`
/// finishes it from the same store.
#[test]
fn an_sqlite_journal_that_cannot_be_written_stops_the_batch_too() {
    full_journal_then_resume(Some("journal.db"), 192);
}

/// A batch of 300 calls under a file-size limit of `kb` KiB, journaled to `name` in the state
/// directory (the workspace's JSON Lines journal for `None`); then `resume` without the limit.
fn full_journal_then_resume(name: Option<&str>, kb: u64) {
    let (accounts, blocks) = harness::blocking_target((0..300).map(|i| format!("f{i:03}")));
    let sb = LocalSandbox::start(harness::config(seed_of(&accounts, &blocks)));
    let mut ws = Workspace::new();
    if let Some(name) = name {
        ws.journal = ws.journal.with_file_name(name);
    }
    let csv: String = blocks.iter().map(|(f, t)| format!("{f},{t}\n")).collect();
    let file = ws.write("full.csv", &csv);
    let args = ["unblock", "--file", file.to_str().unwrap(), "--yes"];
    // The intent (about 7 KB) fits; a few dozen answers more do not.
    let out = run(with_file_limit(&ws.cmd(&sb.url(), &args), kb));
    assert_eq!(out.code, Some(1), "{}", out.all());
    assert!(
        out.stderr.contains("journal") && out.stderr.contains("resume"),
        "{}",
        out.stderr
    );
    if name.is_none() {
        let text = std::fs::read_to_string(&ws.journal).unwrap();
        assert!(text.ends_with('\n'), "the journal ends in a torn line");
    }
    let unblocked = blocks.iter().filter(|(f, t)| !sb.blocks(f, t)).count();
    assert!(
        unblocked > 0 && unblocked < 300,
        "the batch stopped part way: {unblocked}"
    );
    let read = journal::read_batches(&ws.journal).unwrap();
    assert!(read.batches[0].counts().pending > 0);

    let out = run(ws.cmd(&sb.url(), &["resume", "--yes"]));
    out.assert_code(0, "resume after the journal failed");
    assert!(
        blocks.iter().all(|(f, t)| !sb.blocks(f, t)),
        "every pair is unblocked"
    );
    let read = journal::read_batches(&ws.journal).unwrap();
    let counts = read.batches[0].counts();
    assert_eq!(counts.pending, 0, "{counts:?}");
    assert_eq!(counts.done + counts.already, 300, "{counts:?}");
}

/// A file that is not UTF-8 is refused naming the line; a file with many bad lines names the first
/// ones and counts the rest.
#[test]
fn bad_files_are_named_by_line_and_summarised() {
    let ws = Workspace::new();
    let path = ws.path("latin1.csv");
    std::fs::write(&path, b"alice,bob\ncarol,d\xe9bora\n").unwrap();
    let out = run(ws.cmd(
        "http://127.0.0.1:9",
        &["block", "--file", path.to_str().unwrap(), "--dry-run"],
    ));
    out.assert_code(2, "a file that is not UTF-8");
    assert!(out.stderr.contains("line 2 is not UTF-8"), "{}", out.stderr);

    let mut text = String::from("alice,bob\n");
    for _ in 0..2000 {
        text.push_str("alice,bob\n");
    }
    for i in 0..500 {
        text.push_str(&format!("bad line {i}\n"));
    }
    let file = ws.write("many.csv", &text);
    let out = run(ws.cmd(
        "http://127.0.0.1:9",
        &["block", "--file", file.to_str().unwrap(), "--dry-run"],
    ));
    out.assert_code(2, "a file with bad lines");
    assert!(
        out.stderr.contains("… and 450 more rejected line(s)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("… and 1990 more duplicate line(s)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.lines().count() < 100,
        "{}",
        out.stderr.lines().count()
    );
}

/// A hang-up (the SSH session went away) cancels the batch like Ctrl-C, but is journaled as
/// interrupted: nobody decided to stop it.
#[test]
fn a_hang_up_is_journaled_as_interrupted() {
    let (_sb, ws, _blocks, out) = signalled_unblock("-HUP", 100, 200);
    out.assert_code(4, "unblock hung up");
    let read = journal::read_batches(&ws.journal).unwrap();
    assert!(
        matches!(read.batches[0].end, Some((_, EndOutcome::Interrupted))),
        "{:?}",
        read.batches[0].end
    );
}

/// `resume` against another endpoint than the batch's own is refused unless `--endpoint` says so:
/// its re-check would take the other service's state for this batch's.
#[test]
fn resume_refuses_another_endpoint_unless_told() {
    let (accounts, blocks) = harness::blocking_target((0..300).map(|i| format!("e{i:03}")));
    let seed = seed_of(&accounts, &blocks);
    let home = LocalSandbox::start(harness::config(seed.clone()));
    let other = LocalSandbox::start(harness::config(seed));
    let ws = Workspace::new();
    let csv: String = blocks.iter().map(|(f, t)| format!("{f},{t}\n")).collect();
    let file = ws.write("away.csv", &csv);
    let args = ["unblock", "--file", file.to_str().unwrap(), "--yes"];
    // Stopped part way (its journal fills up), so that there is something to resume.
    let out = run(with_file_limit(&ws.cmd(&home.url(), &args), 12));
    assert_eq!(out.code, Some(1), "{}", out.all());

    let out = run(ws.cmd(&other.url(), &["resume", "--yes"]));
    out.assert_code(2, "resume against another endpoint");
    assert!(out.stderr.contains("--endpoint"), "{}", out.stderr);
    assert!(
        blocks.iter().all(|(f, t)| other.blocks(f, t)),
        "nothing was sent to the other endpoint"
    );
    let out = run(ws.cmd(&home.url(), &["resume", "--yes"]));
    out.assert_code(0, "resume against the batch's own endpoint");
    assert!(blocks.iter().all(|(f, t)| !home.blocks(f, t)));
}
