//! The team's journal in PostgreSQL, against a real server: a throwaway cluster started from the
//! installed binaries (see `common::pg`), TLS on, password logins. Without PostgreSQL installed
//! each test says so and passes; CI sets BLOCKDECK_REQUIRE_PG=1, which makes that a failure.

mod common {
    pub mod cli;
    pub mod harness;
    pub mod pg;
    pub mod pty;
}

use std::process::Command;

use common::cli::{LocalSandbox, Running, Workspace, run, wait_until};
use common::harness;
use common::pg::Cluster;
use serde_json::{Value, json};

/// The team's password; no output, log or journal record may hold it.
const PASSWORD: &str = "PG-PASSWORD-7c1e-MUST-NOT-LEAK";

/// A cluster with the team's database `team`, owned by the role `moderators`, whose members
/// `ana` and `bo` log in with [`PASSWORD`]; `None` when PostgreSQL is not installed.
fn team() -> Option<Cluster> {
    let cluster = Cluster::start()?;
    cluster.sql("CREATE ROLE moderators NOLOGIN");
    for who in ["ana", "bo"] {
        cluster.role(who, PASSWORD);
        cluster.sql(&format!("GRANT moderators TO {who}"));
    }
    cluster.database("team", "moderators");
    Some(cluster)
}

/// `cmd` as moderator `who`, with the team's password in PGPASSWORD.
fn as_moderator(mut cmd: Command, who: &str) -> Command {
    cmd.env("BLOCKDECK_MODERATOR", who)
        .env("PGPASSWORD", PASSWORD)
        .env_remove("PGPASSFILE");
    cmd
}

/// Every output, the journal's records and the log hold no password.
fn assert_no_password(text: &str, what: &str) {
    assert!(
        !text.contains(PASSWORD),
        "{what} holds the password:\n{text}"
    );
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// `journal --json ARGS` of workspace `ws`, as `who`.
fn listing(ws: &Workspace, sb: &LocalSandbox, who: &str, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["journal", "--json"];
    all.extend_from_slice(args);
    let out = run(as_moderator(ws.cmd(&sb.url(), &all), who));
    out.assert_code(0, "journal --json");
    assert_no_password(&out.all(), "journal --json");
    json_lines(&out.stdout)
}

/// The same changes, journaled once to SQLite and once to PostgreSQL, list and show the same:
/// the store changes nothing a moderator reads.
#[test]
fn postgres_and_sqlite_journals_answer_alike() {
    let Some(cluster) = team() else { return };
    let seed = || {
        harness::seed(json!({
            "accounts": [{"id": "alice"}, {"id": "bob"}, {"id": "carol"}, {"id": "dave"}],
            "blocks": [{"from": "alice", "to": "dave", "time": 1_700_000_000}],
        }))
    };
    let mut answers = Vec::new();
    for journal in ["sqlite", "postgres"] {
        let sb = LocalSandbox::on(seed());
        let mut ws = Workspace::new();
        ws.journal = match journal {
            "sqlite" => ws.dir.path().join("journal.db"),
            _ => cluster.url("ana", "team", "").into(),
        };
        let steps: [&[&str]; 3] = [
            &[
                "block",
                "alice",
                "bob",
                "carol",
                "--yes",
                "--reason",
                "spam wave",
            ],
            &["block", "bob", "carol", "--yes", "--ticket", "OPS-7"],
            &[
                "unblock",
                "alice",
                "dave",
                "--yes",
                "--reason",
                "appeal upheld",
            ],
        ];
        for args in steps {
            let out = run(as_moderator(ws.cmd(&sb.url(), args), "ana"));
            out.assert_code(0, &format!("{args:?} with {journal}"));
            assert_no_password(&out.all(), "a change");
        }
        let strip = |mut lines: Vec<Value>| {
            for line in &mut lines {
                let object = line.as_object_mut().unwrap();
                object.remove("batch");
                object.remove("time");
            }
            lines
        };
        let all = strip(listing(&ws, &sb, "ana", &[]));
        assert_eq!(all.len(), 3, "{journal}: {all:?}");
        let by_user = strip(listing(&ws, &sb, "ana", &["--user", "carol"]));
        let by_reason = strip(listing(&ws, &sb, "ana", &["--reason", "appeal"]));
        let by_other = listing(&ws, &sb, "ana", &["--by", "bo"]);
        let incomplete = listing(&ws, &sb, "ana", &["--incomplete"]);
        let first = listing(&ws, &sb, "ana", &[])[0]["batch"]
            .as_str()
            .unwrap()
            .to_owned();
        let out = run(as_moderator(
            ws.cmd(&sb.url(), &["journal", "show", &first]),
            "ana",
        ));
        out.assert_code(0, "journal show");
        let show: Vec<String> = out.stdout.lines().skip(1).map(str::to_owned).collect();
        answers.push((all, by_user, by_reason, by_other, incomplete, show));
    }
    let (sqlite, postgres) = (&answers[0], &answers[1]);
    assert_eq!(sqlite, postgres, "the two stores answer alike");
    let (all, by_user, by_reason, by_other, incomplete, show) = postgres;
    assert_eq!(all[0]["moderator"], "ana");
    assert_eq!(all[0]["reason"], "spam wave");
    assert_eq!(all[0]["done"], 2);
    assert_eq!(all[1]["ticket"], "OPS-7");
    assert_eq!(by_user.len(), 2, "carol is in the first two: {by_user:?}");
    assert_eq!(by_reason.len(), 1);
    assert_eq!(by_reason[0]["operation"], "unblock");
    assert!(by_other.is_empty());
    assert!(incomplete.is_empty());
    assert_eq!(show.len(), 2, "{show:?}");
    assert!(
        show[0].contains("alice → bob") && show[0].contains("done"),
        "{show:?}"
    );
}

/// Two moderators, in two processes with their own HOMEs, write to the team's journal at once:
/// every batch and item is there, attributed to its moderator. A batch killed with SIGKILL on
/// one is resumed from the other and ends exactly as intended, and while that resume runs, a
/// second one is refused with the holder's name.
#[test]
fn two_moderators_share_the_journal_and_resume_each_others_batches() {
    let Some(cluster) = team() else { return };
    let accounts: Vec<String> = (0..120).map(|i| format!("u{i:03}")).collect();
    let mut blocks = Vec::new();
    for to in ["spam_1", "spam_2"] {
        for from in &accounts {
            blocks.push(json!({"from": from, "to": to, "time": 1_700_000_000}));
        }
    }
    let mut all: Vec<Value> = accounts.iter().map(|id| json!({"id": id})).collect();
    all.extend([json!({"id": "spam_1"}), json!({"id": "spam_2"})]);
    let mut config = harness::config(harness::seed(json!({"accounts": all, "blocks": blocks})));
    config.latency = "2-10".parse().unwrap();
    let sb = LocalSandbox::start(config);
    let url = cluster.verified_url("ana", "team");
    let (mut ana, mut bo) = (Workspace::new(), Workspace::new());
    ana.journal = url.clone().into();
    bo.journal = cluster.verified_url("bo", "team").into();
    let pairs = |ws: &Workspace, to: &str| {
        let text: Vec<String> = accounts.iter().map(|from| format!("{from},{to}")).collect();
        ws.write("pairs.csv", &text.join("\n"))
    };
    let unblock = |ws: &Workspace, who: &str, to: &str, extra: &[&str]| {
        let file = pairs(ws, to);
        let mut args = vec!["unblock", "--file", file.to_str().unwrap(), "--yes"];
        args.extend_from_slice(extra);
        args.extend(["--reason", "raid cleanup"]);
        as_moderator(ws.cmd(&sb.url(), &args), who)
    };

    // At once: ana unblocks spam_1 and bo spam_2, each 120 calls.
    let a = Running::spawn(unblock(&ana, "ana", "spam_1", &[]));
    let b = Running::spawn(unblock(&bo, "bo", "spam_2", &[]));
    let (a, b) = (a.wait(), b.wait());
    a.assert_code(0, "ana's batch");
    b.assert_code(0, "bo's batch");
    assert_no_password(&(a.all() + &b.all()), "the batches' output");
    for (ws, who) in [(&ana, "ana"), (&bo, "bo")] {
        let lines = listing(ws, &sb, who, &[]);
        assert_eq!(lines.len(), 2, "{lines:?}");
        for line in &lines {
            assert_eq!(line["done"], 120, "{line}");
            assert_eq!(line["state"], "completed", "{line}");
        }
        let mine = listing(ws, &sb, who, &["--by", "ana", "--user", "spam_1"]);
        assert_eq!(mine.len(), 1, "{mine:?}");
        assert_eq!(mine[0]["moderator"], "ana");
        let theirs = listing(ws, &sb, who, &["--by", "bo"]);
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0]["moderator"], "bo");
    }
    assert!(accounts.iter().all(|u| sb.blocklist(u).is_empty()));

    // ana blocks spam_1 again for every account, slowly, and is killed part way.
    let file = pairs(&ana, "spam_1");
    let cmd = as_moderator(
        ana.cmd(
            &sb.url(),
            &[
                "block",
                "--file",
                file.to_str().unwrap(),
                "--yes",
                "--rate-limit",
                "10",
                "--reason",
                "raid, again",
            ],
        ),
        "ana",
    );
    let mut killed = Running::spawn(cmd);
    let started = || {
        listing(&bo, &sb, "bo", &["--incomplete"])
            .first()
            .is_some_and(|b| b["done"].as_u64().unwrap_or(0) >= 5)
    };
    wait_until("ana's batch to be part way", started);
    killed.kill();
    let open = listing(&bo, &sb, "bo", &["--incomplete"]);
    assert_eq!(open.len(), 1, "{open:?}");
    let batch = open[0]["batch"].as_str().unwrap().to_owned();
    assert_eq!(open[0]["moderator"], "ana");
    assert_eq!(open[0]["state"], "not ended");
    let done = open[0]["done"].as_u64().unwrap();
    assert!((5..120).contains(&done), "killed part way: {done}");

    // The killed run's session lets go of its claim once its server process has seen the
    // connection close, which takes a moment after the kill.
    wait_until("the killed run's claim to go", || {
        cluster
            .sql_in(
                "team",
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
            )
            .trim()
            == "0"
    });

    // bo resumes it from his host, slowly; ana's second resume meanwhile is refused, naming bo.
    let resume = Running::spawn(as_moderator(
        bo.cmd(
            &sb.url(),
            &[
                "resume",
                &batch,
                "--yes",
                "--rate-limit",
                "10",
                "--reason",
                "finishing ana's",
            ],
        ),
        "bo",
    ));
    // This batch's claim (an earlier batch's row names bo too).
    let claimed = format!("SELECT holder FROM blockdeck.claims WHERE batch = '{batch}'");
    wait_until("bo's claim", || {
        cluster.sql_in("team", &claimed).contains("bo (")
    });
    let out = run(as_moderator(
        ana.cmd(&sb.url(), &["resume", &batch, "--yes"]),
        "ana",
    ));
    // When the second resume is not refused, what bo's run said so far tells why its claim was
    // not held.
    assert_eq!(
        out.code,
        Some(2),
        "a second resume: exit code\n--- stdout\n{}\n--- stderr\n{}\n--- bo's resume so far\n{}\n{}",
        out.stdout,
        out.stderr,
        resume.stdout_so_far(),
        resume.stderr_so_far()
    );
    assert!(
        out.stderr
            .contains("being run or resumed right now by bo ("),
        "{}",
        out.stderr
    );
    let out = resume.wait();
    out.assert_code(0, "bo's resume");
    assert!(
        accounts
            .iter()
            .all(|u| sb.blocks(u, "spam_1") && !sb.blocks(u, "spam_2")),
        "every account blocks spam_1 again, and nothing else changed"
    );
    let line = listing(&ana, &sb, "ana", &["--by", "bo", "--user", "spam_1"]);
    assert_eq!(line.len(), 1, "the resume is bo's: {line:?}");
    assert_eq!(line[0]["batch"], batch.as_str());
    assert_eq!(line[0]["state"], "completed");
    assert_eq!(
        line[0]["done"].as_u64().unwrap() + line[0]["already"].as_u64().unwrap(),
        120
    );
    assert_eq!(line[0]["moderator"], "ana", "begun by ana");
    // Once bo's resume has ended, its claim is gone with its session.
    let out = run(as_moderator(
        ana.cmd(&sb.url(), &["resume", &batch, "--yes"]),
        "ana",
    ));
    out.assert_code(0, "a resume after bo's ended");
    assert!(out.stderr.contains("nothing left to do"), "{}", out.stderr);
}

/// The password is never printed: not with the URL in the settings' display, not in a refused
/// login, not in a journal that cannot be reached, not in the journal's records or the log.
#[test]
fn the_password_is_never_printed() {
    let Some(cluster) = team() else { return };
    let sb = LocalSandbox::on(harness::seed(json!({
        "accounts": [{"id": "alice"}, {"id": "bob"}],
        "blocks": [],
    })));
    let mut ws = Workspace::new();
    // In the URL itself, as some teams write it.
    let with_password = format!(
        "postgres://ana:{PASSWORD}@127.0.0.1:{}/team?sslmode=require",
        cluster.port
    );
    ws.journal = with_password.clone().into();
    let mut cmd = ws.cmd(&sb.url(), &["block", "alice", "bob", "--yes"]);
    cmd.env_remove("PGPASSWORD");
    let out = run(cmd);
    out.assert_code(0, "a change with the password in the URL");
    assert_no_password(&out.all(), "the change");
    let out = run(ws.cmd(&sb.url(), &["config", "show"]));
    out.assert_code(0, "config show");
    assert!(
        out.stdout
            .contains(&format!("postgres://ana@127.0.0.1:{}/team", cluster.port)),
        "the journal is named: {}",
        out.stdout
    );
    assert_no_password(&out.all(), "config show");

    // A wrong password: refused, named without it.
    let wrong = with_password.replace(PASSWORD, "not-the-password-MUST-NOT-LEAK");
    ws.journal = wrong.into();
    let out = run(ws.cmd(&sb.url(), &["block", "alice", "bob", "--yes"]));
    out.assert_code(2, "a wrong password");
    assert!(out.stderr.contains("nothing was sent"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("postgres://ana@127.0.0.1:{}/team", cluster.port)),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains("not-the-password"), "{}", out.all());

    // From ~/.pgpass, owner-only as libpq wants it; one others can read is not used.
    ws.journal = cluster.url("ana", "team", "").into();
    let home = ws.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let pgpass = home.join(".pgpass");
    std::fs::write(&pgpass, format!("127.0.0.1:*:team:ana:{PASSWORD}\n")).unwrap();
    let chmod = |mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    chmod(0o600);
    let mut cmd = ws.cmd(&sb.url(), &["journal"]);
    cmd.env_remove("PGPASSWORD").env_remove("PGPASSFILE");
    run(cmd).assert_code(0, "the password from ~/.pgpass");
    chmod(0o644);
    let mut cmd = ws.cmd(&sb.url(), &["journal"]);
    cmd.env_remove("PGPASSWORD").env_remove("PGPASSFILE");
    let out = run(cmd);
    assert_ne!(out.code, Some(0), "a .pgpass others can read is not used");
    assert_no_password(&out.all(), "a refused login");
    std::fs::remove_file(&pgpass).unwrap();

    // A server that is not there.
    ws.journal = format!("postgres://ana:{PASSWORD}@127.0.0.1:9/team").into();
    let out = run(ws.cmd(&sb.url(), &["journal"]));
    assert_ne!(out.code, Some(0));
    assert_no_password(&out.all(), "an unreachable journal");

    // What was written holds no password either.
    ws.journal = cluster.url("ana", "team", "").into();
    let out = run(as_moderator(
        ws.cmd(&sb.url(), &["journal", "export", "--jsonl"]),
        "ana",
    ));
    out.assert_code(0, "export");
    assert_eq!(json_lines(&out.stdout).len(), 3, "{}", out.stdout);
    assert_no_password(&out.stdout, "the journal");
    let dump = cluster.sql_in(
        "team",
        "SELECT string_agg(body, E'\\n') FROM blockdeck.records",
    );
    assert_no_password(&dump, "the journal's table");
    for entry in walk(ws.dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
        assert_no_password(&text, &entry.display().to_string());
    }
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// TLS: taken where the server offers it (the cluster refuses logins without it, so every login
/// that works used it), verified on request against the team's CA, and a certificate from another
/// CA is refused.
#[test]
fn tls_is_used_and_verified_on_request() {
    let Some(cluster) = team() else { return };
    let sb = LocalSandbox::on(harness::seed(
        json!({"accounts": [{"id": "alice"}], "blocks": []}),
    ));
    let mut ws = Workspace::new();
    let journal = |ws: &mut Workspace, url: String| {
        ws.journal = url.into();
        run(as_moderator(ws.cmd(&sb.url(), &["journal"]), "ana"))
    };
    // The default (sslmode=prefer) takes TLS: the server refuses any login without it.
    journal(&mut ws, cluster.url("ana", "team", "")).assert_code(0, "prefer");
    journal(&mut ws, cluster.url("ana", "team", "sslmode=require")).assert_code(0, "require");
    journal(&mut ws, cluster.verified_url("ana", "team")).assert_code(0, "verify-full");
    let out = journal(&mut ws, cluster.url("ana", "team", "sslmode=disable"));
    assert_ne!(out.code, Some(0), "without TLS the server refuses");
    assert!(out.stderr.contains("no encryption"), "{}", out.stderr);
    let other = cluster.url(
        "ana",
        "team",
        &format!(
            "sslmode=verify-full&sslrootcert={}",
            cluster.path("other-ca.crt").display()
        ),
    );
    let out = journal(&mut ws, other);
    assert_ne!(out.code, Some(0), "a certificate of another CA is refused");
    assert!(
        out.stderr.to_lowercase().contains("certificate"),
        "{}",
        out.stderr
    );
    let out = journal(&mut ws, cluster.url("ana", "team", "sslmode=sometimes"));
    out.assert_code(2, "a mode that does not exist");
    assert!(out.stderr.contains("sslmode"), "{}", out.stderr);
}

/// The JSON Lines journal of the previous version goes into the team's journal with `journal
/// import`, once, without loss; `resume` then finishes its interrupted batch.
#[test]
fn a_lines_journal_is_imported_into_postgres_and_resumed() {
    let Some(cluster) = team() else { return };
    let sb = LocalSandbox::on(harness::seed(json!({
        "accounts": [{"id": "alice"}, {"id": "bob"}, {"id": "carol"}],
        "blocks": [{"from": "alice", "to": "carol", "time": 1_700_000_000}],
    })));
    let mut ws = Workspace::new();
    let batch = "20261101T000100Z-bbbb";
    let text = format!(
        "{{\"type\":\"intent\",\"v\":1,\"batch\":\"{batch}\",\"time\":1793491260,\"os_user\":\"ana\",\
         \"ssh_client\":null,\"profile\":null,\"sdkappid\":{},\"base_url\":\"{}\",\
         \"operation\":\"unblock\",\"targets\":[[\"alice\",\"bob\"],[\"alice\",\"carol\"]]}}\n\
         {{\"type\":\"chunk\",\"v\":1,\"batch\":\"{batch}\",\"time\":1793491261,\
         \"api\":\"black_list_delete\",\"attempt\":1,\"items\":[{{\"from\":\"alice\",\"to\":\"bob\",\
         \"code\":0,\"status\":\"done\"}}]}}\n",
        harness::SDKAPPID,
        sb.url()
    );
    let old = ws.write("old-journal.jsonl", &text);
    ws.journal = cluster.url("ana", "team", "").into();
    let import = |ws: &Workspace| {
        run(as_moderator(
            ws.cmd(&sb.url(), &["journal", "import", old.to_str().unwrap()]),
            "ana",
        ))
    };
    let out = import(&ws);
    out.assert_code(0, "import");
    assert!(
        out.stderr.contains("imported 2 record(s)"),
        "{}",
        out.stderr
    );
    let out = import(&ws);
    out.assert_code(0, "import again");
    assert!(
        out.stderr.contains("imported into") && out.stderr.contains("before"),
        "{}",
        out.stderr
    );
    let lines = listing(&ws, &sb, "ana", &["--incomplete"]);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["batch"], batch);
    assert_eq!(lines[0]["done"], 1);
    assert_eq!(lines[0]["pending"], 1);
    let out = run(as_moderator(
        ws.cmd(&sb.url(), &["resume", batch, "--yes"]),
        "ana",
    ));
    out.assert_code(0, "resume");
    assert!(!sb.blocks("alice", "carol"));
    assert!(listing(&ws, &sb, "ana", &["--incomplete"]).is_empty());
}

/// A moderator's dashboard on the team's journal shows a teammate's batch in the feed as it
/// starts and as it ends (LISTEN/NOTIFY).
#[test]
fn a_teammates_batch_shows_in_the_dashboards_feed() {
    let Some(cluster) = team() else { return };
    let sb = LocalSandbox::on(harness::seed(json!({
        "accounts": [{"id": "alice"}, {"id": "bob"}, {"id": "carol"}],
        "blocks": [],
    })));
    let url = cluster.verified_url("ana", "team");
    let ws = Workspace::new();
    let pty = common::pty::dashboard_on(&ws, &sb.url(), &url)
        .env("PGPASSWORD", PASSWORD)
        .env("BLOCKDECK_MODERATOR", "ana")
        .size(120, 40)
        .spawn();
    let wait = std::time::Duration::from_secs(15);
    pty.wait_for_all(
        &["Feed — relay store", "listening to the team's journal"],
        wait,
    );

    let mut bo = Workspace::new();
    bo.journal = cluster.verified_url("bo", "team").into();
    let out = run(as_moderator(
        bo.cmd(
            &sb.url(),
            &[
                "block", "alice", "bob", "carol", "--yes", "--reason", "raid 42",
            ],
        ),
        "bo",
    ));
    out.assert_code(0, "bo's block");
    let screen = pty.wait_for_all(
        &[
            "◆ bo started block of 2 pair(s) (reason \"r",
            "◆ bo's block of 2 pair(s): completed",
        ],
        wait,
    );
    assert_no_password(&screen, "the dashboard");
    assert!(!String::from_utf8_lossy(&pty.raw()).contains(PASSWORD));
}
