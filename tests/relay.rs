//! `blockdeck relay`, the team's webhook receiver, against real HTTP on loopback: a signed
//! webhook is stored before it is answered OK; forged, stale, malformed and foreign ones are
//! refused and leave nothing behind; redeliveries are stored once; a relay killed with SIGKILL
//! mid-stream has lost nothing it answered OK to, and a restart takes the redeliveries once; it
//! will not start without a token; friendship changes are kept too; and the sandbox's webhooks,
//! through the relay, are what `blockdeck history` shows for both sides of a change.
//!
//! The SQLite store and, in the `postgres_` tests, a throwaway PostgreSQL cluster (see
//! `common::pg`: without PostgreSQL installed those tests say so and pass; CI sets
//! BLOCKDECK_REQUIRE_PG=1, which makes that a failure).

mod common {
    pub mod cli;
    pub mod harness;
    pub mod pg;
    pub mod webhook;
}

use std::collections::HashMap;
use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use blockdeck::client::journal::Location;
use blockdeck::client::journal::changes::{Change, Changes, READ_MAX};
use blockdeck::feed::{ChangeKind, Checks, sign};
use blockdeck::relay::{Relay, RelayStats};
use common::cli::{LocalSandbox, Workspace, run, wait_until};
use common::harness;
use common::pg::Cluster;
use common::webhook::{SDKAPPID, Webhook, now, now_ms};
use serde_json::{Value, json};

/// The callback token of every relay and sender here.
const TOKEN: &str = "relay-token-for-tests";
const TOKEN_ENV: &str = "BLOCKDECK_CALLBACK_TOKEN";
/// The password of the PostgreSQL role the relay stores as.
const PG_PASSWORD: &str = "relay-pg-password";
/// The longest anything here is waited for.
const PATIENCE: Duration = Duration::from_secs(30);

fn ok() -> Value {
    json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""})
}

fn refused(info: &str) -> Value {
    json!({"ActionStatus": "FAIL", "ErrorCode": 1, "ErrorInfo": info})
}

// ------------------------------------------------------------------------------------ stores

/// A change store as the library opens it and as the CLI names it.
struct Store {
    location: Location,
    /// The `--store` argument.
    arg: String,
    /// What the CLI needs in its environment to reach it.
    env: Vec<(&'static str, String)>,
}

impl Store {
    fn sqlite(ws: &Workspace) -> Store {
        let path = ws.path("changes.db");
        Store {
            location: Location::File(path.clone()),
            arg: path.display().to_string(),
            env: Vec::new(),
        }
    }

    /// The database `team` of a fresh cluster, owned by the login role `relay`; `None` when
    /// PostgreSQL is not installed.
    fn postgres() -> Option<(Cluster, Store)> {
        let cluster = Cluster::start()?;
        cluster.role("relay", PG_PASSWORD);
        cluster.database("team", "relay");
        let with_password = format!(
            "postgres://relay:{PG_PASSWORD}@127.0.0.1:{}/team?sslmode=require",
            cluster.port
        );
        let store = Store {
            location: Location::parse(&with_password).expect("a PostgreSQL URL"),
            arg: cluster.url("relay", "team", "sslmode=require"),
            env: vec![("PGPASSWORD", PG_PASSWORD.to_owned())],
        };
        Some((cluster, store))
    }

    /// `blockdeck ARGS` in `ws` with what reaching the store takes.
    fn cli(&self, ws: &Workspace, args: &[&str]) -> Command {
        let mut cmd = ws.bare_args(None, args);
        cmd.env_remove("PGPASSFILE");
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        cmd
    }

    /// Every change stored, oldest first.
    fn changes(&self) -> Vec<Change> {
        let store = Changes::open(&self.location).expect("the change store opens");
        let mut all: Vec<Change> = Vec::new();
        loop {
            let seq = all.last().map_or(0, |c| c.seq);
            let read = store.after(seq, READ_MAX).expect("the change store reads");
            let full = read.len() == READ_MAX;
            all.extend(read);
            if !full {
                return all;
            }
        }
    }

    /// `(kind, from, to)` of every change stored, oldest first.
    fn summary(&self) -> Vec<(ChangeKind, String, String)> {
        summary(&self.changes())
    }

    /// `blockdeck history ACCOUNT --store S --json EXTRA`: the lines, and what stderr said.
    fn history(&self, ws: &Workspace, account: &str, extra: &[&str]) -> (Vec<Value>, String) {
        let mut args = vec!["history", account, "--store", &self.arg, "--json"];
        args.extend_from_slice(extra);
        let out = run(self.cli(ws, &args));
        out.assert_code(0, "history --json");
        let lines = out
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        (lines, out.stderr)
    }

    /// `(kind, from, to)` of `blockdeck history ACCOUNT --json EXTRA`.
    fn history_summary(
        &self,
        ws: &Workspace,
        account: &str,
        extra: &[&str],
    ) -> Vec<(String, String, String)> {
        self.history(ws, account, extra)
            .0
            .iter()
            .map(|l| {
                let text = |k: &str| l[k].as_str().unwrap_or_default().to_owned();
                (text("kind"), text("from"), text("to"))
            })
            .collect()
    }
}

fn summary(changes: &[Change]) -> Vec<(ChangeKind, String, String)> {
    changes
        .iter()
        .map(|c| (c.kind, c.from.clone(), c.to.clone()))
        .collect()
}

fn triple(kind: ChangeKind, from: &str, to: &str) -> (ChangeKind, String, String) {
    (kind, from.to_owned(), to.to_owned())
}

fn words(kind: &str, from: &str, to: &str) -> (String, String, String) {
    (kind.to_owned(), from.to_owned(), to.to_owned())
}

// ------------------------------------------------------------------------ posting webhooks

/// POSTs `body` to `url`: the status and the answer (JSON when it is JSON).
async fn post(client: &reqwest::Client, url: &str, body: &str) -> Result<(u16, Value), String> {
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| format!("{e:#}"))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| format!("{e:#}"))?;
    let answer = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((status, answer))
}

/// Sends `hook`, signed anew at each attempt, until it is answered OK: a busy (503) or failed
/// (500) answer and a lost connection are tried again, at most 200 times.
async fn deliver(client: &reqwest::Client, base: &str, hook: &Webhook) -> Result<(), String> {
    let body = hook.body();
    let mut last = String::new();
    for _ in 0..200 {
        match post(client, &hook.url(base, TOKEN, now()), &body).await {
            Ok((200, answer)) if answer == ok() => return Ok(()),
            Ok((status @ (500 | 503), answer)) => last = format!("{status} {answer}"),
            Ok((status, answer)) => return Err(format!("answered {status} {answer}")),
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Err(format!("never answered OK; last: {last}"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A relay in this process, served by its own runtime so that the tests stay synchronous.
struct LocalRelay {
    relay: Option<Relay>,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl LocalRelay {
    /// A relay on a free loopback port storing into `at`, checking Sign with [`TOKEN`] and, with
    /// `sdkappid`, the SdkAppid.
    fn start(at: &Location, sdkappid: Option<u64>) -> LocalRelay {
        let runtime = runtime();
        let checks = Checks {
            token: Some(TOKEN.to_owned()),
            sdkappid,
        };
        let relay = runtime
            .block_on(Relay::start(harness::loopback(), at, checks))
            .expect("the relay starts");
        let http = {
            let _inside = runtime.enter();
            harness::http()
        };
        LocalRelay {
            relay: Some(relay),
            http,
            runtime,
        }
    }

    fn relay(&self) -> &Relay {
        self.relay.as_ref().expect("running")
    }

    fn url(&self) -> String {
        self.relay().url()
    }

    fn stats(&self) -> RelayStats {
        self.relay().stats()
    }

    fn post(&self, url: &str, body: &str) -> (u16, Value) {
        self.runtime
            .block_on(post(&self.http, url, body))
            .expect("the relay answers")
    }

    /// `hook`, signed now.
    fn send(&self, hook: &Webhook) -> (u16, Value) {
        self.post(&hook.url(&self.url(), TOKEN, now()), &hook.body())
    }

    fn stop(mut self) -> RelayStats {
        let relay = self.relay.take().expect("running");
        self.runtime
            .block_on(relay.stop())
            .expect("the relay stops")
    }
}

impl Drop for LocalRelay {
    fn drop(&mut self) {
        if let Some(relay) = self.relay.take() {
            let _ = self.runtime.block_on(relay.stop());
        }
    }
}

// ------------------------------------------------------------------------ the relay binary

/// `blockdeck relay` as a child process, its output going to files; killed when dropped.
struct RelayProcess {
    child: Option<Child>,
    addr: SocketAddr,
    out: PathBuf,
    err: PathBuf,
    _dir: tempfile::TempDir,
}

impl RelayProcess {
    /// `blockdeck relay --listen LISTEN --store S EXTRA` with [`TOKEN`] in the environment;
    /// returns once it has said where it listens.
    fn start(ws: &Workspace, store: &Store, listen: &str, extra: &[&str]) -> RelayProcess {
        let mut cmd = store.cli(ws, &["relay", "--listen", listen, "--store", &store.arg]);
        cmd.args(extra).env(TOKEN_ENV, TOKEN);
        RelayProcess::spawn(cmd)
    }

    /// Starts `cmd` (a `blockdeck relay`); returns once it has said where it listens.
    fn spawn(mut cmd: Command) -> RelayProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("stdout");
        let err = dir.path().join("stderr");
        cmd.stdout(fs::File::create(&out).unwrap())
            .stderr(fs::File::create(&err).unwrap());
        let mut child = cmd.spawn().expect("blockdeck relay starts");
        let started = Instant::now();
        let addr = loop {
            let text = fs::read_to_string(&out).unwrap_or_default();
            if let Some(addr) = text
                .lines()
                .find_map(|l| l.strip_prefix("listening on "))
                .and_then(|a| a.trim().parse().ok())
            {
                break addr;
            }
            if let Some(status) = child.try_wait().expect("child status") {
                panic!(
                    "blockdeck relay exited ({status}) before listening:\n{}",
                    fs::read_to_string(&err).unwrap_or_default()
                );
            }
            if started.elapsed() > PATIENCE {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "blockdeck relay did not say where it listens within {PATIENCE:?}:\n{}",
                    fs::read_to_string(&err).unwrap_or_default()
                );
            }
            thread::sleep(Duration::from_millis(10));
        };
        RelayProcess {
            child: Some(child),
            addr,
            out,
            err,
            _dir: dir,
        }
    }

    /// `http://ADDR/`.
    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn stderr(&self) -> String {
        fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// SIGKILL, then reap: how it ended.
    fn kill(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL sent");
        child.wait().expect("child reaped")
    }

    /// SIGTERM, then a bounded wait for the exit: how it ended, and what it said on stderr.
    fn stop(mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().expect("running");
        // SAFETY: kill(2) on our own child, not yet reaped.
        let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM sent");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("child status") {
                break status;
            }
            if started.elapsed() > PATIENCE {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "blockdeck relay did not stop within {PATIENCE:?} of SIGTERM:\n{}",
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(10));
        };
        let _ = fs::read_to_string(&self.out);
        (status, self.stderr())
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// --------------------------------------------------------------- 1. stored before OK

/// A signed block is answered OK, and by then it is in the store: both of its pairs, at the
/// webhook's EventTime, with its platform and client address; `blockdeck history` shows it for
/// the blocker and for each blocked account.
fn a_signed_block_is_stored_before_it_is_answered(ws: &Workspace, store: &Store) {
    let relay = LocalRelay::start(&store.location, Some(SDKAPPID));
    let event_time = now_ms() - 5_000;
    let hook = Webhook::new(
        ChangeKind::Block,
        &[("alice", "bob"), ("alice", "carol")],
        event_time,
    );
    let (status, answer) = relay.send(&hook);
    assert_eq!((status, answer), (200, ok()));
    // Answered OK only once committed: the changes are there the moment the answer is.
    let changes = store.changes();
    assert_eq!(
        summary(&changes),
        [
            triple(ChangeKind::Block, "alice", "bob"),
            triple(ChangeKind::Block, "alice", "carol"),
        ]
    );
    for change in &changes {
        assert_eq!(change.time_ms, event_time as i64, "{change:?}");
        assert_eq!(change.platform, "Android", "{change:?}");
        assert_eq!(change.client_ip.as_deref(), Some("10.1.2.3"), "{change:?}");
    }
    let stats = relay.stats();
    assert_eq!((stats.stored, stats.changes, stats.refused), (1, 2, 0));

    // Both sides' history, through the CLI, while the relay runs.
    let (lines, stderr) = store.history(ws, "alice", &[]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["kind"], "block");
    assert_eq!(lines[0]["from"], "alice");
    assert_eq!(lines[0]["to"], "bob");
    assert_eq!(lines[0]["time_ms"], event_time);
    assert_eq!(lines[0]["platform"], "Android");
    assert_eq!(lines[0]["client_ip"], "10.1.2.3");
    assert_eq!(lines[1]["to"], "carol");
    assert!(stderr.contains("alice: 2 change(s)"), "{stderr}");
    assert_eq!(
        store.history_summary(ws, "bob", &[]),
        [words("block", "alice", "bob")]
    );
    let out = run(store.cli(ws, &["history", "carol", "--store", &store.arg]));
    out.assert_code(0, "history carol");
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("alice blocked carol  (Android, 10.1.2.3)"),
        "{}",
        out.stdout
    );
    let stats = relay.stop();
    assert_eq!((stats.stored, stats.again), (1, 0));
}

#[test]
fn a_signed_block_is_stored_before_ok() {
    let ws = Workspace::new();
    a_signed_block_is_stored_before_it_is_answered(&ws, &Store::sqlite(&ws));
}

// ------------------------------------------------------------------------- 2. refusals

/// Each bad post is answered FAIL (with HTTP 200, so that the service does not retry it) with
/// the reason the relay gives it, and nothing of it is stored; a good post afterwards is.
#[test]
fn bad_posts_are_refused_and_leave_nothing() {
    let ws = Workspace::new();
    let store = Store::sqlite(&ws);
    let relay = LocalRelay::start(&store.location, Some(SDKAPPID));
    let base = relay.url();
    let hook = Webhook::new(ChangeKind::Block, &[("mallory", "victim")], now_ms());
    let body = hook.body();
    let at = |time: u64| hook.url(&base, TOKEN, time);
    let with = |query: String| format!("{base}?{query}");
    let time = now().to_string();

    // A post captured as it was sent a minute ago, then replayed with a fresh RequestTime to
    // pass the age check: its Sign no longer matches.
    let captured_time = (now() - 60).to_string();
    let captured_sign = sign(TOKEN, &captured_time);
    let long_id = "x".repeat(33);
    let mut foreign = hook.clone();
    foreign.sdkappid = SDKAPPID + 1;
    let mut mixed = hook.clone();
    mixed.pairs = vec![
        ("alice".to_owned(), "bob".to_owned()),
        ("alice".to_owned(), long_id.clone()),
    ];
    let pair_body = |from: &str, to: &str| {
        let mut h = hook.clone();
        h.pairs = vec![(from.to_owned(), to.to_owned())];
        h.body()
    };

    let cases: Vec<(&str, String, String, &str)> = vec![
        (
            "signed with another token",
            with(hook.query_with(&time, &sign("not-the-token", &time))),
            body.clone(),
            "bad signature",
        ),
        (
            "replayed with a fresh RequestTime and the old Sign",
            with(hook.query_with(&now().to_string(), &captured_sign)),
            body.clone(),
            "bad signature",
        ),
        (
            "a Sign cut short",
            with(hook.query_with(&time, &sign(TOKEN, &time)[..63])),
            body.clone(),
            "bad signature",
        ),
        ("unsigned", with(hook.unsigned_query()), body.clone(), "bad signature"),
        (
            "rightly signed, ten minutes old",
            at(now() - 600),
            body.clone(),
            "bad signature",
        ),
        (
            "rightly signed, ten minutes ahead",
            at(now() + 600),
            body.clone(),
            "bad signature",
        ),
        (
            "not JSON",
            at(now()),
            r#"{"CallbackCommand": "Sns.CallbackBlackListAdd", "PairList": [{"From_Account": "#
                .to_owned(),
            "bad body",
        ),
        (
            "a To_Account longer than a UserID",
            at(now()),
            pair_body("alice", &long_id),
            "bad UserID",
        ),
        (
            "an empty From_Account",
            at(now()),
            pair_body("", "bob"),
            "bad UserID",
        ),
        (
            "a control character in an ID",
            at(now()),
            pair_body("ali\u{1b}ce", "bob"),
            "bad UserID",
        ),
        (
            "one good pair and one bad",
            at(now()),
            mixed.body(),
            "bad UserID",
        ),
        (
            "a pair without To_Account",
            at(now()),
            r#"{"CallbackCommand":"Sns.CallbackBlackListAdd","PairList":[{"From_Account":"alice"}]}"#
                .to_owned(),
            "bad PairList",
        ),
        (
            "an EventTime that is not a time",
            at(now()),
            r#"{"CallbackCommand":"Sns.CallbackBlackListAdd","EventTime":"yesterday","PairList":[{"From_Account":"alice","To_Account":"bob"}]}"#
                .to_owned(),
            "bad EventTime",
        ),
        (
            "another app's",
            foreign.url(&base, TOKEN, now()),
            body.clone(),
            "bad SdkAppid",
        ),
    ];
    for (n, (what, url, body, reason)) in cases.iter().enumerate() {
        let (status, answer) = relay.post(url, body);
        assert_eq!((status, &answer), (200, &refused(reason)), "{what}");
        let stored = store.changes();
        assert!(stored.is_empty(), "{what}: stored {stored:?}");
        let stats = relay.stats();
        assert_eq!(
            (stats.refused, stats.stored),
            (n as u64 + 1, 0),
            "{what}: {stats:?}"
        );
    }
    // Not a POST: not a webhook.
    let url = at(now());
    let resp = relay
        .runtime
        .block_on(async { relay.http.get(&url).send().await })
        .expect("the relay answers");
    assert_eq!(resp.status(), 405);
    assert_eq!(
        resp.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );

    // The relay still takes a good post, which is then the only change stored.
    let good = Webhook::new(ChangeKind::Block, &[("alice", "bob")], now_ms());
    assert_eq!(relay.send(&good), (200, ok()));
    assert_eq!(store.summary(), [triple(ChangeKind::Block, "alice", "bob")]);
    let stats = relay.stop();
    assert_eq!(
        (stats.stored, stats.refused),
        (1, cases.len() as u64),
        "{stats:?}"
    );
}

// ------------------------------------------------------------------------ 3. redelivery

/// The same post sent twice, and the same event re-signed with a later RequestTime, are
/// answered OK and stored once; so are sixteen copies arriving at once (one group commit).
/// Another event about the same pair (a later EventTime) is a change of its own.
fn redeliveries_are_stored_once(store: &Store) {
    let relay = LocalRelay::start(&store.location, Some(SDKAPPID));
    let base = relay.url();
    let t0 = now_ms() - 60_000;
    let block = Webhook::new(ChangeKind::Block, &[("alice", "bob")], t0);
    let unblock = Webhook::new(ChangeKind::Unblock, &[("alice", "bob")], t0 + 1_000);
    let block_again = Webhook::new(ChangeKind::Block, &[("alice", "bob")], t0 + 2_000);
    let once = [triple(ChangeKind::Block, "alice", "bob")];

    let first = block.url(&base, TOKEN, now() - 20);
    assert_eq!(relay.post(&first, &block.body()), (200, ok()));
    assert_eq!(store.summary(), once);
    // Resent as it was.
    assert_eq!(relay.post(&first, &block.body()), (200, ok()));
    assert_eq!(store.summary(), once);
    // Resent with a fresh RequestTime and Sign.
    assert_eq!(relay.send(&block), (200, ok()));
    assert_eq!(store.summary(), once);
    let stats = relay.stats();
    assert_eq!((stats.stored, stats.again), (1, 2), "{stats:?}");

    // Later events about the same pair are changes of their own; their redeliveries are not.
    for hook in [&unblock, &block_again, &unblock, &block, &block_again] {
        assert_eq!(relay.send(hook), (200, ok()));
    }
    let three = [
        triple(ChangeKind::Block, "alice", "bob"),
        triple(ChangeKind::Unblock, "alice", "bob"),
        triple(ChangeKind::Block, "alice", "bob"),
    ];
    assert_eq!(store.summary(), three);
    let times: Vec<i64> = store.changes().iter().map(|c| c.time_ms).collect();
    assert_eq!(times, [t0 as i64, t0 as i64 + 1_000, t0 as i64 + 2_000]);

    // Sixteen copies at once, each signed on its own.
    let burst = Webhook::new(ChangeKind::Block, &[("carol", "dave")], t0 + 3_000);
    let answers = relay.runtime.block_on(async {
        let mut sends = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let (http, url, body) = (
                relay.http.clone(),
                burst.url(&base, TOKEN, now()),
                burst.body(),
            );
            sends.spawn(async move { post(&http, &url, &body).await });
        }
        let mut answers = Vec::new();
        while let Some(answer) = sends.join_next().await {
            answers.push(answer.expect("the task ran").expect("the relay answers"));
        }
        answers
    });
    assert_eq!(answers, vec![(200, ok()); 16]);
    let mut four = three.to_vec();
    four.push(triple(ChangeKind::Block, "carol", "dave"));
    assert_eq!(store.summary(), four);
    let stats = relay.stop();
    assert_eq!((stats.stored, stats.again), (4, 2 + 3 + 15), "{stats:?}");
    assert_eq!(stats.changes, 4);
}

#[test]
fn redeliveries_are_stored_once_sqlite() {
    let ws = Workspace::new();
    redeliveries_are_stored_once(&Store::sqlite(&ws));
}

// --------------------------------------------------------------------------- 4. SIGKILL

/// Webhooks posted over this many connections at once.
const SENDERS: usize = 16;
/// Webhooks in the stream, each of its own pairs.
const STREAM: usize = 4_000;
/// Pairs per webhook: enough that commits take a while and posts queue up behind them.
const PAIRS: usize = 25;
/// Answered OK before the relay is killed.
const KILL_AFTER: usize = 800;

/// The stream's webhooks, a millisecond apart: in webhook `i`, `k{i}` blocks `v00` to `v24`.
fn stream() -> Vec<Webhook> {
    let t0 = now_ms() - 3_600_000;
    (0..STREAM)
        .map(|i| {
            let from = format!("k{i:05}");
            let to: Vec<String> = (0..PAIRS).map(|j| format!("v{j:02}")).collect();
            let pairs: Vec<(&str, &str)> = to.iter().map(|t| (from.as_str(), t.as_str())).collect();
            Webhook::new(ChangeKind::Block, &pairs, t0 + i as u64)
        })
        .collect()
}

/// How many changes of each of the stream's webhooks are stored; no pair is stored twice, and
/// nothing else is stored.
fn stored_counts(store: &Store, hooks: &[Webhook]) -> Vec<usize> {
    let index: HashMap<&(String, String), usize> = hooks
        .iter()
        .enumerate()
        .flat_map(|(i, h)| h.pairs.iter().map(move |p| (p, i)))
        .collect();
    let mut seen = HashMap::new();
    let mut counts = vec![0; hooks.len()];
    for change in store.changes() {
        let pair = (change.from.clone(), change.to.clone());
        let i = index[&pair];
        assert_eq!(change.kind, ChangeKind::Block, "{change:?}");
        assert_eq!(
            change.time_ms,
            hooks[i].event_time.unwrap() as i64,
            "{change:?}"
        );
        let times = seen.entry(pair).or_insert(0);
        *times += 1;
        assert_eq!(*times, 1, "stored twice: {change:?}");
        counts[i] += 1;
    }
    counts
}

/// The real binary is killed with SIGKILL while [`SENDERS`] clients stream distinct webhooks at
/// it: every webhook it answered OK is in the store. Restarted on the same address and store,
/// it takes every webhook again (those it had answered too, as the service redelivers what it
/// never heard back about): all are answered OK, and each change is stored exactly once.
fn sigkill_loses_nothing_answered_ok(ws: &Workspace, store: &Store) {
    let hooks = Arc::new(stream());
    let mut relay = RelayProcess::start(ws, store, "127.0.0.1:0", &[]);
    let addr = relay.addr;
    let base = relay.url();
    let runtime = runtime();
    let http = {
        let _inside = runtime.enter();
        harness::http()
    };
    let answered: Arc<Vec<AtomicBool>> =
        Arc::new((0..STREAM).map(|_| AtomicBool::new(false)).collect());
    let ok_count = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (hooks, answered, ok_count, next) = (
                hooks.clone(),
                answered.clone(),
                ok_count.clone(),
                next.clone(),
            );
            let (http, base) = (http.clone(), base.clone());
            runtime.spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(hook) = hooks.get(i) else { break };
                    let url = hook.url(&base, TOKEN, now());
                    if let Ok((200, answer)) = post(&http, &url, &hook.body()).await
                        && answer == ok()
                    {
                        answered[i].store(true, Ordering::SeqCst);
                        ok_count.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    wait_until("the first webhooks answered OK", || {
        ok_count.load(Ordering::SeqCst) >= KILL_AFTER
    });
    let status = relay.kill();
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{status}");
    }
    runtime.block_on(async {
        for sender in senders {
            tokio::time::timeout(PATIENCE, sender)
                .await
                .expect("the senders end once the relay is gone")
                .expect("a sender ran");
        }
    });
    let ok_before: Vec<usize> = (0..STREAM)
        .filter(|&i| answered[i].load(Ordering::SeqCst))
        .collect();
    assert!(
        ok_before.len() >= KILL_AFTER && ok_before.len() < STREAM,
        "killed mid-stream: {} of {STREAM} answered OK",
        ok_before.len()
    );
    let counts = stored_counts(store, &hooks);
    let lost: Vec<usize> = ok_before
        .iter()
        .copied()
        .filter(|&i| counts[i] == 0)
        .collect();
    assert!(
        lost.is_empty(),
        "{} webhook(s) answered OK are not in the store, the first {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    // A webhook is stored whole or not at all.
    assert!(
        counts.iter().all(|&n| n == 0 || n == PAIRS),
        "a webhook stored in part: {:?}",
        counts.iter().find(|&&n| n != 0 && n != PAIRS)
    );
    let present = counts.iter().filter(|&&n| n == PAIRS).count();
    eprintln!(
        "killed after {} OK answers; {present} webhook(s) stored, {} of them never answered OK",
        ok_before.len(),
        present - ok_before.len()
    );

    // Restarted on the same address and store; everything delivered again.
    let relay = RelayProcess::start(ws, store, &addr.to_string(), &[]);
    assert_eq!(relay.addr, addr);
    let outcomes = runtime.block_on(async {
        let next = Arc::new(AtomicUsize::new(0));
        let mut sends = tokio::task::JoinSet::new();
        for _ in 0..SENDERS {
            let (hooks, next, http, base) =
                (hooks.clone(), next.clone(), http.clone(), base.clone());
            sends.spawn(async move {
                let mut failures = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(hook) = hooks.get(i) else { break };
                    if let Err(e) = deliver(&http, &base, hook).await {
                        failures.push(format!("{i}: {e}"));
                    }
                }
                failures
            });
        }
        let mut failures = Vec::new();
        while let Some(done) = sends.join_next().await {
            failures.extend(done.expect("a sender ran"));
        }
        failures
    });
    assert!(outcomes.is_empty(), "not answered OK: {outcomes:?}");
    let counts = stored_counts(store, &hooks);
    assert!(
        counts.iter().all(|&n| n == PAIRS),
        "each change once: {} webhook(s) not wholly stored",
        counts.iter().filter(|&&n| n != PAIRS).count()
    );
    let (status, stderr) = relay.stop();
    assert!(status.success(), "{status}\n{stderr}");
    // The restarted relay stored what was missing, and took the rest as redeliveries.
    let line = stderr
        .lines()
        .find(|l| l.contains("stopped: "))
        .unwrap_or_else(|| panic!("no summary on stop:\n{stderr}"));
    let new = STREAM - present;
    assert!(
        line.contains(&format!(
            "stored {new} webhook(s) with {} change(s)",
            new * PAIRS
        )),
        "{line}"
    );
    let again: usize = line
        .split(", ")
        .find_map(|part| part.strip_suffix(" redelivered"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no redelivered count: {line}"));
    assert_eq!(new + again, STREAM, "one OK answer per webhook: {line}");
    assert!(line.contains(", 0 refused,"), "{line}");
}

#[test]
fn sigkill_loses_nothing_answered_ok_sqlite() {
    let ws = Workspace::new();
    sigkill_loses_nothing_answered_ok(&ws, &Store::sqlite(&ws));
}

// ------------------------------------------------------------------------ 5. no token

/// Without a token the relay cannot check a single Sign: it does not start, says why and what
/// to do, and creates no store. An empty token and a token file others can read are refused
/// alike; a private token file is taken.
#[test]
fn the_relay_will_not_start_without_a_token() {
    let ws = Workspace::new();
    let store = Store::sqlite(&ws);
    let db = ws.path("changes.db");
    let relay_args = ["relay", "--listen", "127.0.0.1:0", "--store", &store.arg];

    let mut cmd = ws.bare_args(None, &relay_args);
    cmd.env_remove(TOKEN_ENV);
    let out = run(cmd);
    out.assert_code(2, "relay without a token");
    for remedy in [TOKEN_ENV, "--callback-token-file", "Sign"] {
        assert!(
            out.stderr.contains(remedy),
            "names {remedy}: {}",
            out.stderr
        );
    }
    assert!(!out.stdout.contains("listening"), "{}", out.stdout);
    assert!(!db.exists(), "no store was made");

    let mut cmd = ws.bare_args(None, &relay_args);
    cmd.env(TOKEN_ENV, "");
    let out = run(cmd);
    out.assert_code(2, "relay with an empty token");
    assert!(out.stderr.contains(TOKEN_ENV), "{}", out.stderr);
    assert!(out.stderr.contains("empty"), "{}", out.stderr);
    assert!(!db.exists(), "no store was made");

    let token_file = ws.write("token", TOKEN);
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&token_file, fs::Permissions::from_mode(0o644)).unwrap();
    }
    let file_arg = token_file.display().to_string();
    let mut cmd = ws.bare_args(None, &relay_args);
    cmd.env_remove(TOKEN_ENV)
        .args(["--callback-token-file", &file_arg]);
    let out = run(cmd);
    out.assert_code(2, "relay with a token file others can read");
    assert!(out.stderr.contains("chmod 600"), "{}", out.stderr);
    assert!(!db.exists(), "no store was made");

    // The remedy works: with the file made private, the relay starts and takes a webhook.
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&token_file, fs::Permissions::from_mode(0o600)).unwrap();
    }
    let mut cmd = ws.bare_args(None, &relay_args);
    cmd.env_remove(TOKEN_ENV)
        .args(["--callback-token-file", &file_arg]);
    let relay = RelayProcess::spawn(cmd);
    let hook = Webhook::new(ChangeKind::Block, &[("alice", "bob")], now_ms());
    let runtime = runtime();
    let answer = runtime.block_on(async {
        post(
            &harness::http(),
            &hook.url(&relay.url(), TOKEN, now()),
            &hook.body(),
        )
        .await
    });
    assert_eq!(answer, Ok((200, ok())));
    let (status, stderr) = relay.stop();
    assert!(status.success(), "{status}\n{stderr}");
    assert_eq!(store.summary(), [triple(ChangeKind::Block, "alice", "bob")]);
}

// --------------------------------------------------------------------- 6. friendships

/// Sns.CallbackFriendAdd and Sns.CallbackFriendDelete are stored as friendship changes (and
/// shown so), which say nothing about blocklists; other commands are acknowledged and dropped.
#[test]
fn friendship_changes_are_stored() {
    let ws = Workspace::new();
    let store = Store::sqlite(&ws);
    let relay = LocalRelay::start(&store.location, Some(SDKAPPID));
    let t0 = now_ms() - 10_000;
    let befriended = Webhook::new(
        ChangeKind::FriendAdd,
        &[("alice", "bob"), ("bob", "alice")],
        t0,
    );
    let unfriended = Webhook::new(ChangeKind::FriendDelete, &[("alice", "bob")], t0 + 1);
    assert_eq!(relay.send(&befriended), (200, ok()));
    assert_eq!(relay.send(&unfriended), (200, ok()));
    let mut message = Webhook::new(ChangeKind::Block, &[("alice", "bob")], t0 + 2);
    message.command = "C2C.CallbackAfterSendMsg".to_owned();
    assert_eq!(relay.send(&message), (200, ok()));

    let expected = [
        triple(ChangeKind::FriendAdd, "alice", "bob"),
        triple(ChangeKind::FriendAdd, "bob", "alice"),
        triple(ChangeKind::FriendDelete, "alice", "bob"),
    ];
    assert_eq!(store.summary(), expected);
    let stats = relay.stop();
    assert_eq!((stats.stored, stats.changes), (2, 3), "{stats:?}");

    assert_eq!(
        store.history_summary(&ws, "bob", &[]),
        [
            words("friend_add", "alice", "bob"),
            words("friend_add", "bob", "alice"),
            words("friend_delete", "alice", "bob"),
        ]
    );
    let out = run(store.cli(&ws, &["history", "alice", "--store", &store.arg]));
    out.assert_code(0, "history alice");
    assert!(
        out.stdout.contains("alice befriended bob"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("bob befriended alice"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("alice unfriended bob"),
        "{}",
        out.stdout
    );
    // No friendship change is taken for a block.
    let changes = Changes::open(&store.location).unwrap();
    for account in ["alice", "bob"] {
        let last = changes.last_about(account).unwrap();
        assert!(last.is_empty(), "{account}: {last:?}");
    }
}

// ------------------------------------------------------------------------- 7. PostgreSQL

#[test]
fn postgres_a_signed_block_is_stored_before_ok() {
    let Some((_cluster, store)) = Store::postgres() else {
        return;
    };
    a_signed_block_is_stored_before_it_is_answered(&Workspace::new(), &store);
}

#[test]
fn postgres_redeliveries_are_stored_once() {
    let Some((_cluster, store)) = Store::postgres() else {
        return;
    };
    redeliveries_are_stored_once(&store);
}

#[test]
fn postgres_sigkill_loses_nothing_answered_ok() {
    let Some((_cluster, store)) = Store::postgres() else {
        return;
    };
    sigkill_loses_nothing_answered_ok(&Workspace::new(), &store);
}

// ------------------------------------------------------------------------ 8. end to end

/// The sandbox posts its webhooks to a relay (the binary, checking Sign and SdkAppid); blocks
/// and unblocks made through the CLI then show in `blockdeck history` of the blocker and of the
/// blocked, with the friendship the block ended, which the sandbox reports as a
/// Sns.CallbackFriendDelete of both directions.
#[test]
fn sandbox_changes_reach_the_history_through_the_relay() {
    let ws = Workspace::new();
    let store = Store::sqlite(&ws);
    let relay = RelayProcess::start(
        &ws,
        &store,
        "127.0.0.1:0",
        &["--sdkappid", &harness::SDKAPPID.to_string()],
    );
    let mut config = harness::config(harness::seed(json!({
        "accounts": [{"id": "alice"}, {"id": "bob"}, {"id": "carol"}],
        "friends": [
            {"from": "alice", "to": "bob", "time": 1_700_000_000},
            {"from": "bob", "to": "alice", "time": 1_700_000_000},
        ],
    })));
    config.callback = Some(blockdeck::sandbox::CallbackTarget {
        url: relay.url(),
        token: Some(TOKEN.to_owned()),
    });
    let sandbox = LocalSandbox::start(config);
    let sent = || {
        sandbox
            .sandbox()
            .callback_stats()
            .expect("a callback is configured")
    };
    let before = now_ms() as i64;

    run(ws.cmd(&sandbox.url(), &["block", "alice", "bob", "carol", "--yes"]))
        .assert_code(0, "block");
    // The block's webhook and the friendship's end.
    wait_until("two webhooks answered", || sent().sent >= 2);
    run(ws.cmd(&sandbox.url(), &["unblock", "alice", "bob", "--yes"])).assert_code(0, "unblock");
    wait_until("three webhooks answered", || sent().sent >= 3);
    let stats = sent();
    assert_eq!(
        (stats.sent, stats.failed, stats.dropped),
        (3, 0, 0),
        "{stats:?}"
    );

    assert_eq!(
        store.history_summary(&ws, "alice", &[]),
        [
            words("block", "alice", "bob"),
            words("block", "alice", "carol"),
            words("friend_delete", "alice", "bob"),
            words("friend_delete", "bob", "alice"),
            words("unblock", "alice", "bob"),
        ]
    );
    assert_eq!(
        store.history_summary(&ws, "bob", &[]),
        [
            words("block", "alice", "bob"),
            words("friend_delete", "alice", "bob"),
            words("friend_delete", "bob", "alice"),
            words("unblock", "alice", "bob"),
        ]
    );
    assert_eq!(
        store.history_summary(&ws, "carol", &["--since", "24h"]),
        [words("block", "alice", "carol")]
    );
    let (lines, _) = store.history(&ws, "alice", &[]);
    let after = now_ms() as i64;
    for line in &lines {
        let time = line["time_ms"].as_i64().expect("time_ms");
        assert!(before <= time && time <= after, "{line}");
        assert_eq!(line["platform"], "RESTAPI", "{line}");
        assert_eq!(line["client_ip"], "127.0.0.1", "{line}");
    }
    let (lines, stderr) = store.history(&ws, "alice", &["--limit", "2"]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[1]["kind"], "unblock");
    assert!(stderr.contains("the newest 2"), "{stderr}");
    let out = run(store.cli(&ws, &["history", "bob", "--store", &store.arg]));
    out.assert_code(0, "history bob");
    assert!(
        out.stdout
            .contains("alice blocked bob  (RESTAPI, 127.0.0.1)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("alice unblocked bob"), "{}", out.stdout);
    assert!(
        out.stdout.contains("bob unfriended alice"),
        "{}",
        out.stdout
    );

    let (status, stderr) = relay.stop();
    assert!(status.success(), "{status}\n{stderr}");
    assert!(
        stderr.contains("stored 3 webhook(s) with 5 change(s), 0 redelivered, 0 refused"),
        "{stderr}"
    );
}
