//! The dashboard's model driven by `update`, its effects carried out by the real worker and
//! client against a sandbox, with a real journal: the checks before a change, a retry and a
//! resume that finish the same journal batch, and the unfinished batches said at start.

mod common {
    pub mod cli;
    pub mod harness;
    pub mod recorded;
}

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use blockdeck::app::model::{Checks, Connection, Model, Overlay};
use blockdeck::app::{Effect, Msg, update};
use blockdeck::client::engine::{EngineOptions, RetryPolicy};
use blockdeck::client::{Operation, Pair};
use blockdeck::display::sanitize;
use blockdeck::sandbox::Seed;
use blockdeck::tim::ids::UserId;
use blockdeck::worker::Worker;
use common::cli::{LocalSandbox, Workspace, journal_plan, run};
use common::harness;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use tokio::sync::mpsc::UnboundedReceiver;

/// The longest any answer of the worker is waited for.
const ANSWER: Duration = Duration::from_secs(20);

fn id(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

fn pair(from: &str, to: &str) -> Pair {
    Pair::new(id(from), id(to))
}

/// alice blocks bob and carol; dave, erin, mallory, trent and `t00`…`t19` are accounts too.
fn seed() -> Seed {
    let mut accounts: Vec<String> = ["alice", "bob", "carol", "dave", "erin", "mallory", "trent"]
        .map(str::to_owned)
        .to_vec();
    accounts.extend((0..20).map(|i| format!("t{i:02}")));
    harness::seed(json!({
        "accounts": accounts.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
        "blocks": [
            {"from": "alice", "to": "bob", "time": 1_700_000_000},
            {"from": "alice", "to": "carol", "time": 1_700_000_100},
        ],
    }))
}

/// The dashboard without a screen: the model, the worker and its messages.
struct Live {
    runtime: tokio::runtime::Runtime,
    model: Model,
    worker: Worker,
    rx: UnboundedReceiver<Msg>,
}

impl Live {
    fn new(url: &str, journal: PathBuf, options: EngineOptions) -> Live {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let engine = common::cli::engine(url, options);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let worker = Worker::new(Arc::new(engine), journal_plan(url, journal), tx);
        let model = Model::new(Connection::default(), false, true, 1_764_000_000);
        let mut live = Live {
            runtime,
            model,
            worker,
            rx,
        };
        live.step(Msg::Resize(120, 40));
        live
    }

    /// One message through `update`, its effects to the worker (exports are not written).
    fn step(&mut self, msg: Msg) -> Vec<Effect> {
        let _inside = self.runtime.enter();
        let fx = update(&mut self.model, msg);
        for effect in fx.iter().cloned() {
            if !matches!(effect, Effect::Export { .. }) {
                self.worker.handle(effect);
            }
        }
        fx
    }

    fn key(&mut self, code: KeyCode) -> Vec<Effect> {
        // A person's pace: a key comes a while after the screen changed.
        let later = self.model.ms + 1_000;
        self.step(Msg::Clock(later));
        self.step(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn press(&mut self, c: char) -> Vec<Effect> {
        self.key(KeyCode::Char(c))
    }

    /// `:line` and Enter.
    fn command(&mut self, line: &str) -> Vec<Effect> {
        self.press(':');
        for c in line.chars() {
            self.step(Msg::Key(KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::NONE,
            )));
        }
        self.key(KeyCode::Enter)
    }

    /// Relays the worker's messages until `done` holds.
    fn until(&mut self, what: &str, done: impl Fn(&Model) -> bool) {
        while !done(&self.model) {
            let rx = &mut self.rx;
            let msg = self
                .runtime
                .block_on(async { tokio::time::timeout(ANSWER, rx.recv()).await })
                .unwrap_or_else(|_| panic!("no answer while waiting for {what}"))
                .expect("the worker is there");
            self.step(msg);
        }
    }

    /// Looks `user` up and waits for the whole list.
    fn look_up(&mut self, user: &str) {
        for c in user.chars() {
            self.step(Msg::Key(KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::NONE,
            )));
        }
        self.key(KeyCode::Enter);
        self.until("the list", |m| m.list.complete || m.list.failure.is_some());
        assert!(m_ok(&self.model), "{:?}", self.model.list.failure);
    }

    /// Waits for the checks of the question shown.
    fn checked(&mut self) {
        self.until("the checks", |m| {
            matches!(&m.overlay, Overlay::Confirm(p) if !matches!(p.checks, Checks::Running { .. }))
        });
    }

    /// `y`, then the batch's end.
    fn confirm(&mut self) -> Vec<Effect> {
        let fx = self.press('y');
        assert!(
            matches!(fx.as_slice(), [Effect::RunBatch { .. }]),
            "y gave {fx:?} on {:?}",
            self.model.overlay
        );
        self.until("the batch's end", |m| m.running.is_none());
        fx
    }

    fn logged(&self, needle: &str) -> bool {
        self.model
            .activity
            .lines
            .iter()
            .any(|l| l.text.contains(needle))
    }
}

fn m_ok(model: &Model) -> bool {
    model.list.failure.is_none()
}

fn held_of(model: &Model) -> blockdeck::app::model::Held {
    match &model.overlay {
        Overlay::Confirm(p) => match &p.checks {
            Checks::Done(held) => held.clone(),
            other => panic!("the checks: {other:?}"),
        },
        other => panic!("no question: {other:?}"),
    }
}

#[test]
fn the_checks_hold_out_what_the_service_would_refuse_or_ignore_and_y_sends_the_rest() {
    let sb = LocalSandbox::on(seed());
    let ws = Workspace::new();
    let mut live = Live::new(&sb.url(), ws.journal.clone(), EngineOptions::default());
    live.look_up("alice");
    assert_eq!(live.model.list.rows.len(), 2);

    // ghost is no account; bob is blocked already; dave and erin are not.
    assert!(matches!(
        live.command("block ghost bob dave erin").as_slice(),
        [Effect::Preflight { .. }]
    ));
    live.checked();
    let held = held_of(&live.model);
    assert_eq!(held.missing_ids, [id("ghost")]);
    assert_eq!(held.missing, [pair("alice", "ghost")]);
    assert_eq!(held.already, [pair("alice", "bob")]);
    assert!(held.overflow.is_empty() && held.unchecked.is_empty());
    assert_eq!(held.list_size, Some(2));
    let calls_before = sb.total_calls();
    let fx = live.confirm();
    let Effect::RunBatch { pairs, resume, .. } = &fx[0] else {
        unreachable!()
    };
    assert_eq!(pairs, &[pair("alice", "dave"), pair("alice", "erin")]);
    assert_eq!(resume, &None);
    assert!(sb.total_calls() > calls_before);
    assert_eq!(sb.blocklist("alice"), ["bob", "carol", "dave", "erin"]);
    // The journal's intent names only what was sent.
    let intents: Vec<_> = ws
        .journal_records()
        .into_iter()
        .filter(|r| r["type"] == "intent")
        .collect();
    assert_eq!(intents.len(), 1);
    assert_eq!(
        intents[0]["targets"],
        json!([["alice", "dave"], ["alice", "erin"]])
    );

    // Unblocking one that is on the list and one that is not: the second is held out.
    live.until("the summary", |m| matches!(m.overlay, Overlay::Result));
    live.key(KeyCode::Esc);
    live.command("unblock carol trent");
    live.checked();
    let held = held_of(&live.model);
    assert_eq!(held.already, [pair("alice", "trent")]);
    assert!(held.missing.is_empty());
    live.confirm();
    assert_eq!(sb.blocklist("alice"), ["bob", "dave", "erin"]);

    // Everything held out: y has nothing to send and says so; n closes, nothing sent.
    live.key(KeyCode::Esc);
    live.command("block bob ghost");
    live.checked();
    assert!(live.press('y').is_empty());
    let notice = live.model.notice.clone().unwrap_or_default();
    assert!(notice.contains("nothing left to send"), "{notice}");
    live.press('n');
    assert!(matches!(live.model.overlay, Overlay::None));
    assert_eq!(sb.blocklist("alice"), ["bob", "dave", "erin"]);
}

#[test]
fn the_checks_hold_out_what_would_not_fit_a_full_list() {
    let accounts: Vec<String> = (0..1003).map(|i| format!("u{i:04}")).collect();
    let blocks: Vec<_> = accounts[3..1001]
        .iter()
        .enumerate()
        .map(|(i, to)| json!({"from": "u0000", "to": to, "time": 1_700_000_000 + i as u64}))
        .collect();
    let seed = harness::seed(json!({
        "accounts": accounts.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
        "blocks": blocks,
    }));
    let sb = LocalSandbox::on(seed);
    let ws = Workspace::new();
    let mut live = Live::new(&sb.url(), ws.journal.clone(), EngineOptions::default());
    live.look_up("u0000");
    assert_eq!(live.model.list.rows.len(), 998);
    live.command("block u0001 u0002 u1001 u1002");
    live.checked();
    let held = held_of(&live.model);
    assert_eq!(held.list_size, Some(998));
    assert_eq!(
        held.overflow,
        [pair("u0000", "u1001"), pair("u0000", "u1002")]
    );
    let fx = live.confirm();
    let Effect::RunBatch { pairs, .. } = &fx[0] else {
        unreachable!()
    };
    assert_eq!(pairs, &[pair("u0000", "u0001"), pair("u0000", "u0002")]);
    let last = live.model.last.as_ref().unwrap();
    assert_eq!(last.done.len(), 2);
    assert!(last.failures.is_empty(), "{:?}", last.failures);
}

/// The reason typed in the confirmation reaches the journal (the default SQLite store) with the
/// batch, beside the moderator; a protected account held out of the change is left on the list.
#[test]
fn the_reason_typed_in_the_confirmation_is_journaled() {
    let sb = LocalSandbox::on(seed());
    let ws = Workspace::new();
    let db = ws.dir.path().join("journal.db");
    let mut live = Live::new(&sb.url(), db.clone(), EngineOptions::default());
    live.model.rules = blockdeck::moderation::Rules {
        require_reason: true,
        protected: blockdeck::moderation::Protected::of(["carol".parse().unwrap()]),
        profile: None,
    };
    live.look_up("alice");
    live.command("unblock bob carol");
    live.checked();
    for c in "appeal OPS-9".chars() {
        live.press(c);
    }
    live.key(KeyCode::Enter);
    live.confirm();
    assert!(!sb.blocks("alice", "bob"));
    assert!(
        sb.blocks("alice", "carol"),
        "the protected account is left alone"
    );
    let lines = blockdeck::client::journal::records_as_lines(&db).expect("the store reads");
    let intent: serde_json::Value = String::from_utf8(lines)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .find(|r: &serde_json::Value| r["type"] == "intent")
        .expect("an intent");
    assert_eq!(intent["reason"], "appeal OPS-9");
    assert_eq!(intent["moderator"], "test_moderator");
    assert_eq!(intent["targets"].as_array().unwrap().len(), 1);
}

#[test]
fn an_undo_of_an_unblock_puts_the_rows_back_where_they_stood() {
    let sb = LocalSandbox::on(seed());
    let ws = Workspace::new();
    let mut live = Live::new(&sb.url(), ws.journal.clone(), EngineOptions::default());
    live.command("block dave erin mallory");
    // Nobody is looked up yet: the command says why not.
    assert!(matches!(live.model.overlay, Overlay::Palette(_)));
    live.key(KeyCode::Esc);
    live.look_up("alice");
    live.command("block dave erin mallory");
    live.checked();
    live.confirm();
    live.key(KeyCode::Esc);
    live.press('r');
    live.until("the list again", |m| {
        m.list.complete && m.list.rows.len() == 5
    });
    let before: Vec<(String, u64)> = live
        .model
        .list
        .rows
        .iter()
        .map(|r| (r.to.as_str().to_owned(), r.added))
        .collect();
    assert_eq!(
        before.iter().map(|(to, _)| to.as_str()).collect::<Vec<_>>(),
        ["bob", "carol", "dave", "erin", "mallory"]
    );

    // Unblock carol and erin (rows 2 and 4), then undo.
    live.command("unblock carol erin");
    live.checked();
    live.confirm();
    live.key(KeyCode::Esc);
    let ids = |m: &Model| -> Vec<String> {
        m.list
            .rows
            .iter()
            .map(|r| r.to.as_str().to_owned())
            .collect()
    };
    assert_eq!(ids(&live.model), ["bob", "dave", "mallory"]);
    assert!(matches!(
        live.press('U').as_slice(),
        [Effect::Preflight { .. }]
    ));
    live.checked();
    live.confirm();
    // Back in their places, with the service's new "blocked since" time.
    assert_eq!(
        ids(&live.model),
        ["bob", "carol", "dave", "erin", "mallory"]
    );
    assert_eq!(sb.blocklist("alice").len(), 5);
    let rows = &live.model.list.rows;
    assert_eq!(rows[0].added, before[0].1);
    assert!(rows[1].added >= before[1].1);
}

/// 20 blocks of alice against a service that refuses half the items (30008) and a client that
/// does not retry: some fail, and `R` sends them again as the same journal batch.
#[test]
fn r_retries_as_the_same_journal_batch() {
    let mut config = harness::config(seed());
    config.faults = "30008:0.5".parse().unwrap();
    let sb = LocalSandbox::start(config);
    let ws = Workspace::new();
    let options = EngineOptions {
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        ..EngineOptions::default()
    };
    let mut live = Live::new(&sb.url(), ws.journal.clone(), options);
    live.look_up("alice");
    let targets: Vec<String> = (0..20).map(|i| format!("t{i:02}")).collect();
    live.command(&format!("block {}", targets.join(" ")));
    live.checked();
    live.confirm();
    let first = live.model.last.clone().unwrap();
    let batch = first.journal_batch.clone().expect("a journal batch");
    let failed = first.retryable_pairs();
    assert!(!failed.is_empty(), "the faults struck nothing");
    live.key(KeyCode::Esc);

    assert!(matches!(
        live.press('R').as_slice(),
        [Effect::Preflight { .. }]
    ));
    live.checked();
    let fx = live.confirm();
    let Effect::RunBatch { resume, .. } = &fx[0] else {
        unreachable!()
    };
    assert_eq!(resume.as_deref(), Some(batch.as_str()));
    // One intent; the retry is a resume of it.
    let records = ws.journal_records();
    let count = |kind: &str| records.iter().filter(|r| r["type"] == kind).count();
    assert_eq!(count("intent"), 1, "{records:#?}");
    assert_eq!(count("resume"), 1, "{records:#?}");
    let resumed = records.iter().find(|r| r["type"] == "resume").unwrap();
    assert_eq!(resumed["batch"], json!(batch));
    let second = live.model.last.as_ref().unwrap();
    assert_eq!(second.journal_batch.as_deref(), Some(batch.as_str()));
}

/// A batch whose process died after its intent: the dashboard says so at start, `:resume` shows
/// it for confirmation with its checks, and finishes it; the journal then holds it complete.
#[test]
fn an_unfinished_batch_is_said_at_start_and_resume_finishes_it() {
    let sb = LocalSandbox::on(seed());
    let ws = Workspace::new();
    let pairs = vec![
        pair("alice", "bob"),
        pair("alice", "dave"),
        pair("alice", "erin"),
    ];
    let killed = journal_plan(&sb.url(), ws.journal.clone())
        .begin(Operation::Block, &pairs, &Default::default())
        .unwrap();
    let batch = killed.id().to_string();
    drop(killed);
    let listed = run(ws.cmd(&sb.url(), &["journal", "--incomplete"]));
    assert!(listed.stdout.contains(&batch), "{}", listed.all());

    let mut live = Live::new(&sb.url(), ws.journal.clone(), EngineOptions::default());
    // The journal scanned, and the app's blocks per minute read (there is no change store).
    assert!(matches!(
        live.step(Msg::Started).as_slice(),
        [Effect::ScanJournal, Effect::BlockRate { .. }]
    ));
    live.until("the journal's scan", |m| !m.incomplete.is_empty());
    assert!(live.logged("1 unfinished batch(es)"));
    assert_eq!(live.model.incomplete[0].id, batch);
    assert_eq!(live.model.incomplete[0].unfinished, pairs);

    // A wrong ID says what there is; the right one (its start is enough) asks first.
    live.command("resume 1999");
    let Overlay::Palette(line) = &live.model.overlay else {
        panic!("{:?}", live.model.overlay)
    };
    let error = line.error.clone().unwrap_or_default();
    assert!(error.contains("no unfinished batch 1999"), "{error}");
    live.key(KeyCode::Esc);
    live.command(&format!("resume {}", &batch[..12]));
    let Overlay::Confirm(p) = &live.model.overlay else {
        panic!("{:?}", live.model.overlay)
    };
    assert!(p.title.contains(&batch), "{}", p.title);
    assert_eq!(p.pairs, pairs);
    live.checked();
    // bob is blocked already: found, and still part of the run, so that the batch accounts for
    // him (recorded as already so, not changed).
    assert_eq!(held_of(&live.model).already, [pair("alice", "bob")]);
    let fx = live.confirm();
    let Effect::RunBatch {
        resume,
        pairs: sent,
        ..
    } = &fx[0]
    else {
        unreachable!()
    };
    assert_eq!(resume.as_deref(), Some(batch.as_str()));
    assert_eq!(sent, &pairs);
    assert!(sb.blocks("alice", "dave") && sb.blocks("alice", "erin"));
    let last = live.model.last.as_ref().unwrap();
    assert_eq!((last.done.len(), last.already), (2, 1));
    live.until("the journal's scan", |m| m.incomplete.is_empty());

    // The CLI agrees: nothing left unfinished.
    let listed = run(ws.cmd(&sb.url(), &["journal", "--incomplete"]));
    listed.assert_code(0, "journal --incomplete");
    assert!(!listed.stdout.contains(&batch), "{}", listed.all());
}

/// A block of 20, one account per call against a service 100 ms away, cancelled after its first
/// answers: the journal holds it unfinished until `R` sends the rest, and then finished.
#[test]
fn r_after_a_cancel_finishes_the_batch_in_the_journal() {
    let mut config = harness::config(seed());
    config.latency = "100".parse().unwrap();
    let sb = LocalSandbox::start(config);
    let ws = Workspace::new();
    let options = EngineOptions {
        max_in_flight: 4,
        chunk_size: 1,
        ..EngineOptions::default()
    };
    let mut live = Live::new(&sb.url(), ws.journal.clone(), options);
    live.look_up("alice");
    let targets: Vec<String> = (0..20).map(|i| format!("t{i:02}")).collect();
    live.command(&format!("block {}", targets.join(" ")));
    live.checked();
    assert!(matches!(
        live.press('y').as_slice(),
        [Effect::RunBatch { .. }]
    ));
    live.until("the first answers", |m| {
        m.running.as_ref().is_some_and(|r| r.progress.finished > 0)
    });
    assert_eq!(live.key(KeyCode::Esc), [Effect::CancelBatch]);
    live.until("the batch's end", |m| m.running.is_none());
    let last = live.model.last.clone().unwrap();
    assert_eq!(last.ended, blockdeck::app::model::Ended::Cancelled);
    assert!(!last.unfinished.is_empty(), "{last:?}");
    let batch = last.journal_batch.clone().unwrap();
    let incomplete = || run(ws.cmd(&sb.url(), &["journal", "--incomplete"])).stdout;
    assert!(incomplete().contains(&batch));
    live.until("the journal's scan", |m| m.incomplete.len() == 1);

    live.key(KeyCode::Esc);
    live.press('R');
    live.checked();
    live.confirm();
    let last = live.model.last.clone().unwrap();
    assert_eq!(
        last.ended,
        blockdeck::app::model::Ended::Completed,
        "{last:?}"
    );
    assert_eq!(last.journal_batch.as_deref(), Some(batch.as_str()));
    assert_eq!(sb.blocklist("alice").len(), 22);
    assert!(!incomplete().contains(&batch), "{}", incomplete());
    live.until("the journal's scan", |m| m.incomplete.is_empty());
}

/// Two real batches journaled by the worker; `J` reads them back from the journal file, `Enter`
/// shows the older one's items, and `U` on it (not the last batch) re-blocks exactly what it
/// unblocked, through the checks and the engine; the journal is then read again with the undo.
#[test]
fn the_journal_view_reads_real_batches_and_undoes_one_that_is_not_the_last() {
    use blockdeck::app::model::JournalLoad;
    let sb = LocalSandbox::on(seed());
    let ws = Workspace::new();
    let mut live = Live::new(&sb.url(), ws.journal.clone(), EngineOptions::default());
    live.model.connection = Connection {
        label: "test".into(),
        base_url: sb.url(),
        sdkappid: harness::SDKAPPID,
        admin: harness::ADMIN.into(),
    };
    live.look_up("alice");
    live.command("unblock bob carol");
    live.checked();
    live.confirm();
    live.key(KeyCode::Esc);
    live.command("block dave");
    live.checked();
    live.confirm();
    live.key(KeyCode::Esc);
    assert_eq!(sb.blocklist("alice"), ["dave"]);

    let fx = live.press('J');
    assert!(
        matches!(fx.as_slice(), [Effect::LoadJournal { .. }]),
        "{fx:?}"
    );
    live.until("the journal", |m| {
        m.journal
            .as_ref()
            .is_some_and(|j| j.load != JournalLoad::Loading)
    });
    let view = live.model.journal.as_ref().unwrap();
    assert_eq!(view.load, JournalLoad::Loaded);
    let listed: Vec<(Operation, String, usize, usize)> = view
        .view
        .iter()
        .map(|&i| {
            let b = &view.batches[i];
            (b.op(), b.who.clone(), b.counts.total, b.counts.done)
        })
        .collect();
    // Newest first, by the moderator the plan names (the OS account beside it), both of this
    // app.
    let os = view.batches[0].state.intent.os_user.clone();
    let who = format!("test_moderator ({})", sanitize(&os));
    assert_eq!(
        listed,
        [
            (Operation::Block, who.clone(), 1, 1),
            (Operation::Unblock, who, 2, 2),
        ]
    );
    assert!(view.batches.iter().all(|b| b.this_app));

    // The older batch's items.
    live.press('j');
    live.key(KeyCode::Enter);
    let items = live
        .model
        .journal
        .as_ref()
        .and_then(|j| j.items.as_ref())
        .expect("the items");
    let lines: Vec<(&str, &str)> = items
        .lines
        .iter()
        .map(|l| (l.pair.as_str(), l.status.as_str()))
        .collect();
    assert_eq!(lines, [("alice → bob", "done"), ("alice → carol", "done")]);
    live.key(KeyCode::Esc);

    // U on it: the inverse, over what it changed, checked and sent.
    assert!(matches!(
        live.press('U').as_slice(),
        [Effect::Preflight { .. }]
    ));
    match &live.model.overlay {
        Overlay::Confirm(p) => {
            assert_eq!(p.op, Operation::Block);
            assert_eq!(p.pairs, [pair("alice", "bob"), pair("alice", "carol")]);
        }
        other => panic!("no confirmation: {other:?}"),
    }
    live.checked();
    live.confirm();
    let mut after = sb.blocklist("alice");
    after.sort();
    assert_eq!(after, ["bob", "carol", "dave"]);
    // The journal is read again: it holds the undo now, newest first.
    live.until("the journal with the undo", |m| {
        m.journal
            .as_ref()
            .is_some_and(|j| j.load == JournalLoad::Loaded && j.batches.len() == 3)
    });
    let view = live.model.journal.as_ref().unwrap();
    let newest = &view.batches[view.view[0]];
    assert_eq!((newest.op(), newest.counts.done), (Operation::Block, 2));
}

/// `w` with a change history: the blockers it recorded are checked first, marked as the
/// history's, and a recorded block that no longer stands is said.
#[test]
fn who_blocks_asks_the_history_first() {
    use blockdeck::feed::ChangeKind::{Block, Unblock};
    let mut accounts: Vec<serde_json::Value> = ["alice", "bob", "carol"]
        .iter()
        .map(|id| json!({"id": id}))
        .collect();
    accounts.extend((0..20).map(|i| json!({"id": format!("t{i:02}")})));
    let sb = LocalSandbox::on(harness::seed(json!({
        "accounts": accounts,
        "blocks": [
            {"from": "alice", "to": "bob", "time": 1_700_000_000},
            {"from": "t03", "to": "alice", "time": 1_700_000_000},
            {"from": "t07", "to": "alice", "time": 1_700_000_000},
        ],
    })));
    let ws = Workspace::new();
    let store = ws.dir.path().join("journal.db");
    common::recorded::record(
        &store,
        &[
            (Block, "t03", "alice"),
            (Block, "t07", "alice"),
            (Block, "t11", "alice"),
            (Block, "t12", "alice"),
            (Unblock, "t12", "alice"),
        ],
    );
    let mut live = Live::new(&sb.url(), store, EngineOptions::default());
    live.look_up("alice");
    live.command("blockers listed");
    live.until("the reverse lookup", |m| {
        m.reverse.as_ref().is_some_and(|v| v.done)
    });
    let view = live.model.reverse.as_ref().unwrap();
    assert_eq!(view.error, None);
    let recorded = view.recorded.as_ref().expect("the history was read");
    assert_eq!(recorded.suspects, [id("t03"), id("t07"), id("t11")]);
    assert_eq!(recorded.reach.map(|r| r.changes), Some(5));
    // The recorded three and the one listed user, each checked once.
    assert_eq!((view.checked, view.total), (4, 4));
    let found: Vec<_> = view.found.iter().map(|(b, _)| b.clone()).collect();
    assert_eq!(found, [id("t03"), id("t07")]);
    assert!(view.from_history(&id("t03")) && view.from_history(&id("t07")));
    assert!(!view.from_history(&id("t11")), "t11 no longer blocks alice");
    let history = view.history.as_ref().expect("how the history held up");
    assert_eq!(history.confirmed, [id("t03"), id("t07")]);
    assert_eq!(history.outdated, [id("t11")]);
    // The table: the confirmed ones marked as the history's.
    let rows: Vec<(&str, bool)> = live
        .model
        .list
        .rows
        .iter()
        .map(|r| (r.to.as_str(), r.recorded))
        .collect();
    assert_eq!(rows, [("t03", true), ("t07", true)]);
}

/// A post of the change store: `from` changed `to` of it (`kind`) at `time_ms`.
fn post(
    kind: blockdeck::feed::ChangeKind,
    from: &str,
    to: &[&str],
    time_ms: u64,
) -> blockdeck::feed::Post {
    let events = to
        .iter()
        .map(|t| blockdeck::feed::FeedEvent {
            received: time_ms / 1000,
            kind,
            from: from.to_owned(),
            to: (*t).to_owned(),
            platform: "Android".to_owned(),
            client_ip: Some("10.0.0.9".to_owned()),
            sdkappid: Some(harness::SDKAPPID),
        })
        .collect();
    blockdeck::feed::Post {
        kind,
        events,
        time_ms,
        digest: format!("{}-{from}-{}-{time_ms}", kind.word(), to.join(",")),
    }
}

#[test]
fn the_history_and_the_block_rates_are_read_from_the_real_change_store() {
    use blockdeck::app::model::{HistoryLoad, RateState};
    use blockdeck::client::journal::Location;
    use blockdeck::client::journal::changes::Changes;
    use blockdeck::feed::ChangeKind;

    let sb = LocalSandbox::on(seed());
    let ws = Workspace::new();
    let journal = ws.path("journal.db");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let minute = 60_000;
    {
        let mut store = Changes::open(&Location::File(journal.clone())).unwrap();
        let posts = [
            // A day ago: how far the store reaches.
            post(
                ChangeKind::Block,
                "dave",
                &["erin"],
                now_ms - 1_440 * minute,
            ),
            post(
                ChangeKind::Block,
                "alice",
                &["bob", "carol"],
                now_ms - 30 * minute,
            ),
            post(
                ChangeKind::Block,
                "mallory",
                &["alice"],
                now_ms - 20 * minute,
            ),
            post(ChangeKind::Unblock, "alice", &["bob"], now_ms - 10 * minute),
            post(
                ChangeKind::FriendAdd,
                "trent",
                &["alice"],
                now_ms - 5 * minute,
            ),
            post(ChangeKind::Block, "trent", &["erin"], now_ms - 2 * minute),
        ];
        assert!(
            store
                .record(&posts, now_ms as i64)
                .unwrap()
                .iter()
                .all(|n| *n)
        );
    }
    let mut live = Live::new(&sb.url(), journal, EngineOptions::default());
    // The screen is up: the app's blocks per minute are read.
    live.step(Msg::Started);
    live.until("the app's block rate", |m| {
        m.rates.app.state != RateState::Unread
    });
    let RateState::Counts(app) = live.model.rates.app.state.clone() else {
        panic!("{:?}", live.model.rates.app.state);
    };
    assert_eq!(app.len(), 60);
    // Four blocks in the hour (the one a day ago is not counted), the newest two minutes ago
    // (a minute either way, should the read fall in the next minute).
    assert_eq!(app.iter().sum::<u64>(), 4, "{app:?}");
    assert_eq!(app[55..].iter().sum::<u64>(), 1, "{app:?}");

    // alice looked up: her rate is read too.
    live.look_up("alice");
    live.until("alice's block rate", |m| {
        m.rates.account.state != RateState::Unread
    });
    let RateState::Counts(alice) = live.model.rates.account.state.clone() else {
        panic!("{:?}", live.model.rates.account.state);
    };
    assert_eq!(alice.iter().sum::<u64>(), 3, "{alice:?}");

    // :history alice: both ways, newest first, with the store's reach.
    let fx = live.command("history alice");
    assert!(matches!(fx.as_slice(), [Effect::History { .. }]), "{fx:?}");
    live.until(
        "the history",
        |m| matches!(&m.overlay, Overlay::History(v) if v.load != HistoryLoad::Loading),
    );
    let Overlay::History(view) = &live.model.overlay else {
        unreachable!()
    };
    assert_eq!(view.load, HistoryLoad::Loaded);
    let lines: Vec<(String, &str)> = view
        .lines
        .iter()
        .map(|l| (l.sentence("alice"), l.platform.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ("trent befriended alice".to_owned(), "Android"),
            ("alice unblocked bob".to_owned(), "Android"),
            ("mallory blocked alice".to_owned(), "Android"),
            ("alice blocked carol".to_owned(), "Android"),
            ("alice blocked bob".to_owned(), "Android"),
        ]
    );
    assert_eq!(view.lines[0].client_ip.as_deref(), Some("10.0.0.9"));
    let reach = view.reach.expect("the store's reach");
    assert_eq!(reach.changes, 7);
    assert_eq!(reach.first_ms, (now_ms - 1_440 * minute) as i64);
}

#[test]
fn without_a_change_store_the_history_says_so() {
    use blockdeck::app::model::{HistoryLoad, RateState};
    let sb = LocalSandbox::on(seed());
    let ws = Workspace::new();
    // A JSON Lines journal cannot hold one; an SQLite journal not made yet holds none.
    for (journal, words) in [
        (ws.journal.clone(), "JSON Lines"),
        (ws.path("later.db"), "does not exist"),
    ] {
        let mut live = Live::new(&sb.url(), journal.clone(), EngineOptions::default());
        live.step(Msg::Started);
        live.until("the app's block rate", |m| {
            m.rates.app.state != RateState::Unread
        });
        assert_eq!(live.model.rates.app.state, RateState::NoStore);
        live.command("history alice");
        live.until(
            "the history",
            |m| matches!(&m.overlay, Overlay::History(v) if v.load != HistoryLoad::Loading),
        );
        let Overlay::History(view) = &live.model.overlay else {
            unreachable!()
        };
        assert!(
            matches!(&view.load, HistoryLoad::NoStore(why) if why.contains(words)),
            "{:?}",
            view.load
        );
        // Reading it created nothing.
        assert!(!ws.path("later.db").exists());
    }
}
