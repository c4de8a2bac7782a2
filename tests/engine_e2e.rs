//! The bulk engine end to end over loopback HTTP: `Engine`, `TimClient`, `Limits` and `Journal`
//! against the in-process sandbox (faults, hangs, latency, rate limits) and against small mock
//! servers that give the answers the sandbox never gives (inconclusive 30001, 70001).

mod common {
    pub mod harness;
}

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use blockdeck::client::engine::{
    BatchEnd, Engine, EngineOptions, Event, JournalTarget, Limits, Page, Report, RetryPolicy,
    RunOptions,
};
use blockdeck::client::http::{ClientOptions, Endpoint, TimClient};
use blockdeck::client::journal::{self, BatchId, EndOutcome, Intent, Journal};
use blockdeck::client::{ItemStatus, Operation, Pair};
use blockdeck::sandbox::{Counters, Latency, Sandbox, Seed};
use blockdeck::secret::SecretKey;
use blockdeck::tim::ids::UserId;
use blockdeck::tim::usersig;
use blockdeck::tim::wire::{Api, BlackListChangeRequest, BlackListChangeResponse};
use common::harness::{self, ADMIN, SDKAPPID};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const ADD: &str = "black_list_add";
const DELETE: &str = "black_list_delete";
const CHECK: &str = "black_list_check";
const GET: &str = "black_list_get";

const A_WITH_B: &str = "BlackCheckResult_Type_AWithB";
const NO: &str = "BlackCheckResult_Type_NO";

// ------------------------------------------------------------------------------------- helpers

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn uid(id: &str) -> UserId {
    UserId::parse(id).expect("valid test UserID")
}

fn pair(from: &str, to: &str) -> Pair {
    Pair::new(uid(from), uid(to))
}

fn key_pair(p: &Pair) -> (String, String) {
    (p.from.as_str().to_owned(), p.to.as_str().to_owned())
}

/// A seed of plain accounts and blocks `(from, to)`, each block added one second after the last.
fn seed_of(accounts: &[String], blocks: &[(String, String)]) -> Seed {
    harness::seed(json!({
        "accounts": accounts.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
        "blocks": blocks
            .iter()
            .enumerate()
            .map(|(i, (from, to))| json!({"from": from, "to": to, "time": 1_700_000_000 + i as u64}))
            .collect::<Vec<_>>(),
    }))
}

fn client_for(base_url: &str, key: SecretKey, timeout: Duration) -> Arc<TimClient> {
    Arc::new(
        TimClient::new(
            Endpoint {
                base_url: base_url.to_owned(),
                sdkappid: SDKAPPID,
                admin: ADMIN.to_owned(),
            },
            key,
            ClientOptions {
                timeout,
                ..ClientOptions::default()
            },
        )
        .expect("client for a loopback URL"),
    )
}

fn retry(max_attempts: u32, base_ms: u64, max_ms: u64) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: ms(base_ms),
        max_delay: ms(max_ms),
    }
}

/// An engine over `client` at `rate` calls per second per API (0: no limit).
fn engine(client: Arc<TimClient>, rate: u32, max_in_flight: usize, retry: RetryPolicy) -> Engine {
    Engine::new(
        client,
        Arc::new(Limits::new(rate, None)),
        EngineOptions {
            max_in_flight,
            read_retry: retry.clone(),
            retry,
            chunk_size: 1000,
        },
    )
}

/// An engine with the sandbox's key, a 10 s timeout, quick retries and no client-side limit.
fn sandbox_engine(sb: &Sandbox, max_in_flight: usize) -> Engine {
    engine(
        client_for(&sb.base_url(), harness::key(), Duration::from_secs(10)),
        0,
        max_in_flight,
        retry(6, 5, 50),
    )
}

/// Every blocklist entry `(from, to, time)` in the sandbox, in snapshot order.
fn entries(sb: &Sandbox) -> Vec<(String, String, u64)> {
    sb.snapshot()
        .blocks
        .into_iter()
        .map(|e| (e.from, e.to, e.time))
        .collect()
}

fn blocked(sb: &Sandbox, p: &Pair) -> bool {
    sb.with_store(|s| s.blocks(p.from.as_str(), p.to.as_str()))
}

fn total_calls(counters: &Counters) -> u64 {
    counters.calls.values().sum()
}

fn calls_of(counters: &Counters, command: &str) -> u64 {
    counters.calls.get(command).copied().unwrap_or(0)
}

/// A journal file in its own temporary directory.
struct TempJournal {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl TempJournal {
    fn new() -> TempJournal {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state").join("journal.jsonl");
        TempJournal { _dir: dir, path }
    }

    /// Opens the journal and writes the batch's intent, as the CLI does before the first request.
    fn begin(&self, base_url: &str, op: Operation, pairs: &[Pair]) -> (Journal, BatchId) {
        let mut journal = Journal::open(&self.path).expect("journal opens");
        let batch = BatchId::generate(SystemTime::now());
        let intent = Intent::new(batch.clone(), None, SDKAPPID, base_url, op, pairs.to_vec());
        journal.intent(&intent).expect("intent written");
        (journal, batch)
    }

    /// Every record of the journal, in file order.
    fn records(&self) -> Vec<Value> {
        read_records(&self.path)
    }
}

fn read_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("journal readable")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("every journal line is JSON"))
        .collect()
}

/// One journaled item: (from, to, status).
type JournaledItem = (String, String, String);

/// The chunk records of a journal as (api, items).
fn chunks(records: &[Value]) -> Vec<(String, Vec<JournaledItem>)> {
    records
        .iter()
        .filter(|r| r["type"] == "chunk")
        .map(|r| {
            let items = r["items"]
                .as_array()
                .expect("chunk items")
                .iter()
                .map(|i| {
                    (
                        i["from"].as_str().unwrap().to_owned(),
                        i["to"].as_str().unwrap().to_owned(),
                        i["status"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            (r["api"].as_str().unwrap().to_owned(), items)
        })
        .collect()
}

fn status_counts(report: &Report) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for item in &report.items {
        let name = match item.status {
            ItemStatus::Done => "done",
            ItemStatus::Already => "already",
            ItemStatus::Relation { .. } => "relation",
            ItemStatus::Failed { .. } => "failed",
            ItemStatus::Unfinished => "unfinished",
        };
        *counts.entry(name).or_default() += 1;
    }
    counts
}

// ---------------------------------------------------------------------------------- mock server

/// One request a mock received.
#[derive(Debug, Clone)]
struct Seen {
    command: String,
    query: String,
    body: Value,
}

type Reply = Arc<dyn Fn(&str, &Value, usize) -> Value + Send + Sync>;

#[derive(Clone)]
struct MockState {
    reply: Reply,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// A tiny REST server on 127.0.0.1:0 whose answers come from a closure of
/// (command, request body, how many earlier calls of that command it saw).
struct Mock {
    base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Mock {
    async fn start(reply: impl Fn(&str, &Value, usize) -> Value + Send + Sync + 'static) -> Mock {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = MockState {
            reply: Arc::new(reply),
            seen: seen.clone(),
        };
        let app = Router::new()
            .route("/v4/{service}/{command}", post(mock_call))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(harness::loopback())
            .await
            .expect("mock binds");
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Mock {
            base_url,
            seen,
            server,
        }
    }

    /// The requests received so far, forgetting them.
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn mock_call(
    State(state): State<MockState>,
    UrlPath((_service, command)): UrlPath<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let earlier = {
        let mut seen = state.seen.lock().unwrap();
        let earlier = seen.iter().filter(|s| s.command == command).count();
        seen.push(Seen {
            command: command.clone(),
            query: query.unwrap_or_default(),
            body: body.clone(),
        });
        earlier
    };
    let answer = (state.reply)(&command, &body, earlier);
    (
        [(header::CONTENT_TYPE, "application/json")],
        answer.to_string(),
    )
        .into_response()
}

fn to_accounts(body: &Value) -> Vec<String> {
    body["To_Account"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A black_list_add/delete answer with each item's (code, info).
fn change_answer(body: &Value, item: impl Fn(&str) -> (i64, String)) -> Value {
    let mut items = Vec::new();
    let mut failed = Vec::new();
    for to in to_accounts(body) {
        let (code, info) = item(&to);
        if code != 0 {
            failed.push(to.clone());
        }
        items.push(json!({"To_Account": to, "ResultCode": code, "ResultInfo": info}));
    }
    let mut answer = json!({
        "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "ErrorDisplay": "",
        "ResultItem": items,
    });
    if !failed.is_empty() {
        answer["Fail_Account"] = json!(failed);
    }
    answer
}

/// A black_list_check answer with each item's relation.
fn check_answer(body: &Value, relation: impl Fn(&str) -> &'static str) -> Value {
    let items: Vec<Value> = to_accounts(body)
        .iter()
        .map(|to| json!({"To_Account": to, "Relation": relation(to), "ResultCode": 0, "ResultInfo": ""}))
        .collect();
    json!({
        "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "ErrorDisplay": "",
        "BlackListCheckItem": items,
    })
}

fn fail_answer(code: i64, info: &str) -> Value {
    json!({"ActionStatus": "FAIL", "ErrorCode": code, "ErrorInfo": info, "ErrorDisplay": ""})
}

fn usersig_of(query: &str) -> String {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "usersig")
        .map(|(_, v)| v.into_owned())
        .expect("the call carries a usersig")
}

// ------------------------------------------------------------------------------------------ tests

/// The acceptance test: 5,000 unblocks over 1,000 users through item faults and hung calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_unblock_of_5000_pairs_through_faults_and_hangs() {
    const USERS: usize = 1000;
    const POOL: usize = 100;
    let users: Vec<String> = (0..USERS).map(|i| format!("u{i:04}")).collect();
    let pool: Vec<String> = (0..POOL).map(|i| format!("t{i:03}")).collect();
    let mut blocks = Vec::new();
    let mut targets = Vec::new();
    let mut extras = Vec::new();
    for (i, user) in users.iter().enumerate() {
        for k in 0..7 {
            let to = pool[(i * 7 + k) % POOL].clone();
            blocks.push((user.clone(), to.clone()));
            if k < 5 {
                targets.push(pair(user, &to));
            } else {
                extras.push((user.clone(), to));
            }
        }
    }
    let accounts: Vec<String> = users.iter().chain(&pool).cloned().collect();
    let mut config = harness::config(seed_of(&accounts, &blocks));
    config.faults = "30006:0.1,30008:0.1,timeout:0.01".parse().unwrap();
    config.hang = ms(1500);
    config.rate_limit = 1000;
    let sb = harness::start(config).await;
    let before = entries(&sb);
    assert_eq!(before.len(), USERS * 7);

    let journal_file = TempJournal::new();
    let (mut journal, batch) = journal_file.begin(&sb.base_url(), Operation::Unblock, &targets);
    let engine = engine(
        client_for(&sb.base_url(), harness::key(), Duration::from_secs(1)),
        1000,
        32,
        retry(12, 20, 300),
    );
    let report = engine
        .run(
            Operation::Unblock,
            targets.clone(),
            RunOptions {
                journal: Some(JournalTarget {
                    journal: &mut journal,
                    batch: batch.clone(),
                }),
                ..RunOptions::default()
            },
        )
        .await;
    drop(journal);

    assert_eq!(
        report.end,
        BatchEnd::Completed,
        "{:?}",
        status_counts(&report)
    );
    assert_eq!(report.items.len(), targets.len());
    let reported: Vec<Pair> = report.items.iter().map(|i| i.pair).collect();
    assert_eq!(reported, targets.to_vec(), "every pair, in input order");
    for item in &report.items {
        assert!(
            matches!(item.status, ItemStatus::Done | ItemStatus::Already),
            "{}: {:?} (code {} {})",
            item.pair,
            item.status,
            item.code,
            item.info
        );
    }
    assert!(report.retries > 0, "the faults were retried");

    // The faults really happened: item faults and hung calls.
    let counters = sb.counters();
    assert!(
        counters.item_codes.get(&30006).copied().unwrap_or(0) > 0
            && counters.item_codes.get(&30008).copied().unwrap_or(0) > 0,
        "{counters:?}"
    );
    assert!(
        counters.codes.get(&-1).copied().unwrap_or(0) > 0,
        "some calls hung: {counters:?}"
    );

    // The sandbox holds exactly what was intended: the 5,000 pairs gone, everything else intact.
    let removed: HashSet<(String, String)> = targets.iter().map(key_pair).collect();
    let expected: Vec<(String, String, u64)> = before
        .iter()
        .filter(|(f, t, _)| !removed.contains(&(f.clone(), t.clone())))
        .cloned()
        .collect();
    assert_eq!(expected.len(), extras.len());
    let after = entries(&sb);
    assert!(
        after == expected,
        "the sandbox's blocklists differ from the intended state"
    );
    for p in &targets {
        assert!(!blocked(&sb, p), "{p} is still blocked");
    }
    let snapshot = sb.snapshot();
    assert_eq!(snapshot.accounts.len(), accounts.len());
    assert!(snapshot.friends.is_empty());

    // The journal accounts for every pair and shows the batch complete.
    let read = journal::read_batches(&journal_file.path).expect("journal reads");
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(read.batches.len(), 1);
    let state = &read.batches[0];
    assert_eq!(state.id(), &batch);
    assert!(state.is_complete(), "{}", state.summary_line());
    assert!(state.pending().is_empty());
    assert!(state.failed().is_empty(), "{:?}", &state.failed()[..1]);
    let counts = state.counts();
    assert_eq!(counts.total, 5000);
    assert_eq!(counts.done + counts.already, 5000);
    assert!(matches!(state.end, Some((_, EndOutcome::Completed))));
    for p in &targets {
        let record = state
            .items
            .get(p)
            .unwrap_or_else(|| panic!("{p} has no journal record"));
        assert!(record.status.is_success(), "{p}: {:?}", record.status);
    }
    sb.stop().await.unwrap();
}

/// Only the failed items are sent again, never the ones that already succeeded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_resend_only_the_failed_items() {
    let targets: Vec<String> = (0..1000).map(|i| format!("x{i:04}")).collect();
    let mut accounts = vec!["solo".to_owned()];
    accounts.extend(targets.iter().cloned());
    let mut config = harness::config(seed_of(&accounts, &[]));
    config.faults = "30008:0.5".parse().unwrap();
    let sb = harness::start(config).await;
    let pairs: Vec<Pair> = targets.iter().map(|t| pair("solo", t)).collect();

    let journal_file = TempJournal::new();
    let (mut journal, batch) = journal_file.begin(&sb.base_url(), Operation::Block, &pairs);
    // Half the items fail on every attempt: enough attempts that none gives up.
    let engine = engine(
        client_for(&sb.base_url(), harness::key(), Duration::from_secs(10)),
        0,
        8,
        retry(40, 2, 20),
    );
    let report = engine
        .run(
            Operation::Block,
            pairs.clone(),
            RunOptions {
                journal: Some(JournalTarget {
                    journal: &mut journal,
                    batch,
                }),
                ..RunOptions::default()
            },
        )
        .await;
    drop(journal);

    assert_eq!(report.end, BatchEnd::Completed);
    assert!(
        report.items.iter().all(|i| i.status == ItemStatus::Done),
        "{:?}",
        status_counts(&report)
    );
    // Resending whole chunks would take about log2(1000) ≈ 10 rounds of 1000 items.
    assert!(report.retries > 0);
    assert!(report.retries < 2 * 1000, "retries: {}", report.retries);
    assert_eq!(sb.with_store(|s| s.blocklist("solo")).len(), 1000);

    // The sandbox saw each item applied once, and never an "already there" answer.
    let counters = sb.counters();
    assert_eq!(counters.item_codes.get(&0), Some(&1000), "{counters:?}");
    assert_eq!(counters.item_codes.get(&30001), None, "{counters:?}");
    assert_eq!(
        counters.item_codes.get(&30008).copied().unwrap_or(0),
        report.retries
    );

    // The journal shows no item sent again after it was done; the items sent add up.
    let mut done: HashSet<(String, String)> = HashSet::new();
    let mut sent = 0u64;
    for (api, items) in chunks(&journal_file.records()) {
        assert_eq!(api, ADD);
        for (from, to, status) in items {
            sent += 1;
            let key = (from, to);
            assert!(
                !done.contains(&key),
                "{key:?} was sent again after it was done"
            );
            if status == "done" {
                done.insert(key);
            }
        }
    }
    assert_eq!(done.len(), 1000);
    assert_eq!(sent, 1000 + report.retries);
    sb.stop().await.unwrap();
}

/// A 30001 whose text is not conclusive is settled by one black_list_check per user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inconclusive_30001_is_confirmed_by_one_check_per_user() {
    // What the mock's black_list_check says is on every list.
    let listed: HashSet<&'static str> = ["t1", "t3", "t5"].into_iter().collect();
    let on_mock_list = listed.clone();
    let mock = Mock::start(move |command, body, _| match command {
        ADD | DELETE => {
            let info = if body["From_Account"] == "a" {
                ""
            } else {
                "Err_SNS_Unknown"
            };
            change_answer(body, |_| (30001, info.to_owned()))
        }
        CHECK => check_answer(body, |to| {
            if on_mock_list.contains(to) {
                A_WITH_B
            } else {
                NO
            }
        }),
        _ => fail_answer(60009, "not mocked"),
    })
    .await;
    let engine = engine(
        client_for(&mock.base_url, harness::key(), Duration::from_secs(5)),
        0,
        4,
        retry(4, 5, 20),
    );
    let targets = ["t1", "t2", "t3", "t4", "t5", "t6"];
    let pairs: Vec<Pair> = ["a", "b"]
        .iter()
        .flat_map(|from| targets.iter().map(move |to| pair(from, to)))
        .collect();

    for op in [Operation::Block, Operation::Unblock] {
        let report = engine.run(op, pairs.clone(), RunOptions::default()).await;
        assert_eq!(report.end, BatchEnd::Completed, "{op}");
        for item in &report.items {
            let on_list = listed.contains(item.pair.to.as_str());
            // Block wants the target on the list, unblock wants it off.
            let achieved = on_list == (op == Operation::Block);
            if achieved {
                assert_eq!(item.status, ItemStatus::Already, "{op} {}", item.pair);
            } else {
                match &item.status {
                    ItemStatus::Failed { code, info } => {
                        assert_eq!(*code, 30001, "{op} {}", item.pair);
                        assert!(
                            info.contains("a check confirmed"),
                            "{op} {}: {info}",
                            item.pair
                        );
                    }
                    other => panic!("{op} {}: {other:?}", item.pair),
                }
            }
        }
        let seen = mock.take();
        let by_command = |command: &str| -> Vec<&Seen> {
            seen.iter().filter(|s| s.command == command).collect()
        };
        let change = by_command(op.api().command());
        assert_eq!(change.len(), 2, "{op}: one change call per user");
        let checks = by_command(CHECK);
        assert_eq!(
            checks.len(),
            2,
            "{op}: one check call per user, not one per item"
        );
        let mut froms: Vec<&str> = checks
            .iter()
            .map(|s| s.body["From_Account"].as_str().unwrap())
            .collect();
        froms.sort_unstable();
        assert_eq!(froms, ["a", "b"]);
        for check in checks {
            assert_eq!(check.body["CheckType"], "BlackCheckResult_Type_Single");
            assert_eq!(to_accounts(&check.body), targets);
        }
        assert_eq!(seen.len(), 4, "{op}: {seen:?}");
    }
}

/// A failure confirmed by a check is reported under the code that failed, not the check's 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmed_failures_are_grouped_under_their_code() {
    let mock = Mock::start(|command, body, _| match command {
        ADD => change_answer(body, |_| (30001, String::new())),
        CHECK => check_answer(body, |_| NO),
        _ => fail_answer(60009, "not mocked"),
    })
    .await;
    let engine = engine(
        client_for(&mock.base_url, harness::key(), Duration::from_secs(5)),
        0,
        4,
        retry(4, 5, 20),
    );
    let report = engine
        .run(
            Operation::Block,
            vec![pair("a", "t1"), pair("a", "t2")],
            RunOptions::default(),
        )
        .await;
    assert_eq!(report.failed().count(), 2);
    for item in report.failed() {
        assert!(
            matches!(item.status, ItemStatus::Failed { code: 30001, .. }),
            "{item:?}"
        );
        assert_eq!(
            item.code, 30001,
            "the item's code should be the failure's code: {item:?}"
        );
    }
    let groups: Vec<i64> = report.failures_by_code().keys().copied().collect();
    assert_eq!(groups, [30001]);
}

/// 70001 is answered by one new UserSig; a second 70001 stops the batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_usersig_is_renewed_once_then_the_batch_stops() {
    let key = harness::key();

    // Expired once, then fine.
    let mock = Mock::start(|command, body, earlier| match command {
        ADD if earlier == 0 => fail_answer(70001, "UserSig expired"),
        ADD => change_answer(body, |_| (0, String::new())),
        _ => fail_answer(60009, "not mocked"),
    })
    .await;
    let client = client_for(&mock.base_url, key.clone(), Duration::from_secs(5));
    let engine1 = engine(client.clone(), 0, 4, retry(4, 5, 20));
    let report = engine1
        .run(
            Operation::Block,
            vec![pair("a", "b")],
            RunOptions::default(),
        )
        .await;
    assert_eq!(report.end, BatchEnd::Completed);
    assert_eq!(report.items.get(0).status, ItemStatus::Done);
    assert_eq!(client.sigs_made(), 2, "one UserSig, then one renewal");
    let seen = mock.take();
    assert_eq!(seen.len(), 2);
    for call in &seen {
        let sig = usersig_of(&call.query);
        usersig::verify(&sig, &key, ADMIN, SDKAPPID, usersig::unix_now())
            .expect("each call carries a valid UserSig");
    }

    // Expired every time: one renewal, then stop.
    let mock = Mock::start(|_, _, _| fail_answer(70001, "UserSig expired")).await;
    let client = client_for(&mock.base_url, key.clone(), Duration::from_secs(5));
    let engine2 = engine(client.clone(), 0, 4, retry(8, 5, 20));
    let pairs: Vec<Pair> = (1..=5).map(|i| pair("a", &format!("t{i}"))).collect();
    let report = engine2
        .run(Operation::Block, pairs, RunOptions::default())
        .await;
    assert!(
        matches!(report.end, BatchEnd::Stopped { code: 70001, .. }),
        "{:?}",
        report.end
    );
    assert_eq!(mock.take().len(), 2, "one call, one renewed call, no more");
    assert_eq!(client.sigs_made(), 2);
    assert!(
        report
            .items
            .iter()
            .all(|i| i.status == ItemStatus::Unfinished)
    );
}

/// A key of another app (70009) stops the batch at once, with nothing changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_stops_at_once() {
    let users: Vec<String> = (0..30).map(|i| format!("w{i:02}")).collect();
    let pool: Vec<String> = (0..100).map(|i| format!("p{i:03}")).collect();
    let blocks: Vec<(String, String)> = users
        .iter()
        .flat_map(|u| pool.iter().map(move |p| (u.clone(), p.clone())))
        .collect();
    let accounts: Vec<String> = users.iter().chain(&pool).cloned().collect();
    let mut config = harness::config(seed_of(&accounts, &blocks));
    config.rate_limit = 1000;
    let sb = harness::start(config).await;
    let before = entries(&sb);
    let pairs: Vec<Pair> = blocks.iter().map(|(f, t)| pair(f, t)).collect();
    assert_eq!(pairs.len(), 3000);

    let wrong = SecretKey::new("0123456789abcdef-not-the-key-of-this-app".to_owned()).unwrap();
    let max_in_flight = 4;
    let engine = engine(
        client_for(&sb.base_url(), wrong, Duration::from_secs(5)),
        1000,
        max_in_flight,
        retry(8, 5, 20),
    );
    let journal_file = TempJournal::new();
    let (mut journal, batch) = journal_file.begin(&sb.base_url(), Operation::Unblock, &pairs);
    let report = engine
        .run(
            Operation::Unblock,
            pairs.clone(),
            RunOptions {
                journal: Some(JournalTarget {
                    journal: &mut journal,
                    batch,
                }),
                ..RunOptions::default()
            },
        )
        .await;
    drop(journal);

    match &report.end {
        BatchEnd::Stopped {
            code: 70009,
            reason,
            ..
        } => {
            assert!(reason.contains("key"), "{reason}");
        }
        other => panic!("expected a stop on 70009, got {other:?}"),
    }
    assert!(
        report
            .items
            .iter()
            .all(|i| i.status == ItemStatus::Unfinished),
        "{:?}",
        status_counts(&report)
    );
    let counters = sb.counters();
    let calls = total_calls(&counters);
    assert!(
        (1..=max_in_flight as u64 + 1).contains(&calls),
        "{calls} calls: {counters:?}"
    );
    assert_eq!(counters.codes.keys().copied().collect::<Vec<_>>(), [70009]);
    assert_eq!(entries(&sb), before, "nothing changed");

    let read = journal::read_batches(&journal_file.path).unwrap();
    let state = &read.batches[0];
    assert!(
        matches!(
            state.end,
            Some((_, EndOutcome::Stopped { code: 70009, .. }))
        ),
        "{:?}",
        state.end
    );
    assert!(state.is_incomplete());
    assert_eq!(state.pending().len(), 3000);
    sb.stop().await.unwrap();
}

/// Cancelling waits for the requests in flight and reports exactly what was applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_between_requests_reports_what_was_applied() {
    let (accounts, blocks) = harness::blocking_target((0..200).map(|i| format!("c{i:03}")));
    let mut config = harness::config(seed_of(&accounts, &blocks));
    config.latency = Latency(50..=50);
    let sb = harness::start(config).await;
    let pairs: Vec<Pair> = blocks.iter().map(|(f, t)| pair(f, t)).collect();
    let engine = sandbox_engine(&sb, 2);

    let (tx, mut rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let run = engine.run(
        Operation::Unblock,
        pairs.clone(),
        RunOptions {
            events: Some(tx),
            cancel: cancel.clone(),
            ..RunOptions::default()
        },
    );
    let watch = async {
        let mut finished = 0usize;
        // The channel closes when the run ends.
        while let Some(event) = rx.recv().await {
            if let Event::Item(_) = event {
                finished += 1;
                if finished >= 10 {
                    cancel.cancel();
                }
            }
        }
        finished
    };
    let (report, finished) = tokio::join!(run, watch);

    assert_eq!(report.end, BatchEnd::Cancelled);
    let counts = status_counts(&report);
    let done = counts.get("done").copied().unwrap_or(0);
    let unfinished = counts.get("unfinished").copied().unwrap_or(0);
    assert_eq!(done + unfinished, 200, "{counts:?}");
    assert_eq!(finished, done, "one Item event per finished item");
    assert!(done >= 10, "{counts:?}");
    assert!(unfinished > 0, "{counts:?}");
    for item in &report.items {
        match item.status {
            ItemStatus::Done => assert!(!blocked(&sb, &item.pair), "{} is done", item.pair),
            ItemStatus::Unfinished => {
                assert!(blocked(&sb, &item.pair), "{} is unfinished", item.pair)
            }
            ref other => panic!("{}: {other:?}", item.pair),
        }
    }
    // No call was made that the report does not account for.
    assert_eq!(calls_of(&sb.counters(), DELETE), done as u64);
    sb.stop().await.unwrap();
}

/// After a cancel no new request starts, even one that was waiting for the rate limiter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_sends_nothing_queued_behind_the_rate_limiter() {
    let (accounts, blocks) = harness::blocking_target((0..20).map(|i| format!("q{i:02}")));
    let sb = harness::start(harness::config(seed_of(&accounts, &blocks))).await;
    let pairs: Vec<Pair> = blocks.iter().map(|(f, t)| pair(f, t)).collect();
    // 4 calls per second, one at a time: the others wait for the limiter, not for the service.
    let engine = engine(
        client_for(&sb.base_url(), harness::key(), Duration::from_secs(10)),
        4,
        8,
        retry(4, 5, 20),
    );
    let (tx, mut rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let run = engine.run(
        Operation::Unblock,
        pairs,
        RunOptions {
            events: Some(tx),
            cancel: cancel.clone(),
            ..RunOptions::default()
        },
    );
    let watch = async {
        while let Some(event) = rx.recv().await {
            if let Event::Item(_) = event {
                cancel.cancel();
            }
        }
    };
    let (report, ()) = tokio::join!(run, watch);
    assert_eq!(report.end, BatchEnd::Cancelled);
    let calls = calls_of(&sb.counters(), DELETE);
    let done = report
        .items
        .iter()
        .filter(|i| i.status == ItemStatus::Done)
        .count();
    assert_eq!(calls, done as u64);
    // The first call was answered before the limiter let a second one go (250 ms later).
    assert!(
        calls <= 2,
        "{calls} calls were sent, most of them after the cancel"
    );
    sb.stop().await.unwrap();
}

/// At the service's own rate the client-side limiter keeps every call under the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_rate_limit_avoids_60007() {
    let (accounts, blocks) = harness::blocking_target((0..150).map(|i| format!("r{i:03}")));
    let mut config = harness::config(seed_of(&accounts, &blocks));
    config.rate_limit = 50;
    let sb = harness::start(config).await;
    let pairs: Vec<Pair> = blocks.iter().map(|(f, t)| pair(f, t)).collect();
    let engine = engine(
        client_for(&sb.base_url(), harness::key(), Duration::from_secs(10)),
        50,
        32,
        retry(8, 20, 200),
    );
    let report = engine
        .run(Operation::Unblock, pairs, RunOptions::default())
        .await;
    assert_eq!(report.end, BatchEnd::Completed);
    assert!(
        report.items.iter().all(|i| i.status == ItemStatus::Done),
        "{:?}",
        status_counts(&report)
    );
    let counters = sb.counters();
    assert_eq!(counters.codes.get(&60007), None, "{counters:?}");
    assert_eq!(calls_of(&counters, DELETE), 150);
    assert_eq!(report.retries, 0);
    assert!(entries(&sb).is_empty());
    sb.stop().await.unwrap();
}

/// A 1000-entry blocklist streams page by page, in black_list_get order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_streams_pages_in_order() {
    let sb = harness::start(harness::config(Seed::demo())).await;
    let expected: Vec<(String, u64)> = sb
        .snapshot()
        .blocks
        .into_iter()
        .filter(|e| e.from == "mod_full")
        .map(|e| (e.to, e.time))
        .collect();
    assert_eq!(expected.len(), 1000);
    let engine = sandbox_engine(&sb, 4);

    // Room for every page: only streaming gets the first page out before the listing ends.
    let (tx, mut rx) = mpsc::channel::<Page>(64);
    let user = uid("mod_full");
    let list = engine.list(&user, 100, tx, CancellationToken::new());
    tokio::pin!(list);
    let mut pages = Vec::new();
    let mut first_page_before_end = None;
    let outcome = loop {
        tokio::select! {
            biased;
            outcome = &mut list => {
                first_page_before_end.get_or_insert(false);
                break outcome;
            }
            Some(page) = rx.recv() => {
                first_page_before_end.get_or_insert(true);
                pages.push(page);
            }
        }
    };
    while let Ok(page) = rx.try_recv() {
        pages.push(page);
    }
    let outcome = outcome.expect("listing succeeds");
    assert_eq!(
        first_page_before_end,
        Some(true),
        "the first page arrived before the listing completed"
    );
    assert_eq!(pages.len(), 10);
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(page.items.len(), 100);
        assert_eq!(page.start_index, 100 * i as u64);
        let next = if i == 9 { 0 } else { 100 * (i as u64 + 1) };
        assert_eq!(page.next_index, next);
    }
    let listed: Vec<(String, u64)> = pages
        .iter()
        .flat_map(|p| p.items.iter())
        .map(|i| (i.to_account.clone(), i.add_black_time_stamp))
        .collect();
    assert!(listed == expected, "entries in black_list_get order");
    assert_eq!(outcome.total, 1000);
    assert!(!outcome.changed_while_listing);
    assert_eq!(calls_of(&sb.counters(), GET), 10);
    sb.stop().await.unwrap();
}

/// With a precheck, pairs already in the desired state are not sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn precheck_applies_only_what_is_still_needed() {
    let users: Vec<String> = (0..4).map(|i| format!("m{i}")).collect();
    let pool: Vec<String> = (0..50).map(|i| format!("v{i:02}")).collect();
    let all: Vec<(String, String)> = users
        .iter()
        .flat_map(|u| pool.iter().map(move |p| (u.clone(), p.clone())))
        .collect();
    // Half of the pairs are already unblocked: only the even targets are on the lists.
    let still_blocked: Vec<(String, String)> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, p)| p.clone())
        .collect();
    let accounts: Vec<String> = users.iter().chain(&pool).cloned().collect();
    let sb = harness::start(harness::config(seed_of(&accounts, &still_blocked))).await;
    let pairs: Vec<Pair> = all.iter().map(|(f, t)| pair(f, t)).collect();
    let journal_file = TempJournal::new();
    let (mut journal, batch) = journal_file.begin(&sb.base_url(), Operation::Unblock, &pairs);
    let engine = sandbox_engine(&sb, 8);
    let report = engine
        .run(
            Operation::Unblock,
            pairs.clone(),
            RunOptions {
                precheck: true,
                journal: Some(JournalTarget {
                    journal: &mut journal,
                    batch,
                }),
                ..RunOptions::default()
            },
        )
        .await;
    drop(journal);

    assert_eq!(report.end, BatchEnd::Completed);
    let needed: HashSet<(String, String)> = still_blocked.iter().cloned().collect();
    for item in &report.items {
        let expected = if needed.contains(&key_pair(&item.pair)) {
            ItemStatus::Done
        } else {
            ItemStatus::Already
        };
        assert_eq!(item.status, expected, "{}", item.pair);
    }
    assert!(entries(&sb).is_empty());
    let counters = sb.counters();
    assert_eq!(calls_of(&counters, CHECK), 4, "{counters:?}");
    assert_eq!(calls_of(&counters, DELETE), 4, "{counters:?}");
    assert_eq!(counters.item_codes.get(&30001), None, "{counters:?}");

    // Per user: the check comes first and covers every pair; the delete carries only the needed.
    let mut seen: HashMap<String, Vec<(String, Vec<String>)>> = HashMap::new();
    for (api, items) in chunks(&journal_file.records()) {
        let from = items[0].0.clone();
        assert!(items.iter().all(|i| i.0 == from));
        seen.entry(from)
            .or_default()
            .push((api, items.into_iter().map(|i| i.1).collect()));
    }
    assert_eq!(seen.len(), 4);
    for (from, calls) in seen {
        assert_eq!(calls.len(), 2, "{from}: {calls:?}");
        assert_eq!(calls[0].0, CHECK, "{from}");
        assert_eq!(calls[0].1, pool, "{from}");
        assert_eq!(calls[1].0, DELETE, "{from}");
        let sent: BTreeSet<(String, String)> = calls[1]
            .1
            .iter()
            .map(|to| (from.clone(), to.clone()))
            .collect();
        let wanted: BTreeSet<(String, String)> =
            needed.iter().filter(|p| p.0 == from).cloned().collect();
        assert_eq!(sent, wanted, "{from}");
    }
    sb.stop().await.unwrap();
}

/// Rate-limit refusals (60007) pause the batch and are retried without using up attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_refusals_pause_and_do_not_use_up_attempts() {
    let (accounts, blocks) = harness::blocking_target((0..60).map(|i| format!("h{i:02}")));
    let mut config = harness::config(seed_of(&accounts, &blocks));
    config.rate_limit = 30;
    let sb = harness::start(config).await;
    let pairs: Vec<Pair> = blocks.iter().map(|(f, t)| pair(f, t)).collect();
    // No client-side limit and two attempts per item: only the pause can get every item through.
    let engine = engine(
        client_for(&sb.base_url(), harness::key(), Duration::from_secs(10)),
        0,
        16,
        retry(2, 20, 200),
    );
    let report = engine
        .run(Operation::Unblock, pairs, RunOptions::default())
        .await;
    assert_eq!(report.end, BatchEnd::Completed);
    assert!(
        report.items.iter().all(|i| i.status == ItemStatus::Done),
        "{:?}",
        report.failed().next()
    );
    let counters = sb.counters();
    assert!(
        counters.codes.get(&60007).copied().unwrap_or(0) > 0,
        "the service refused some calls: {counters:?}"
    );
    assert_eq!(counters.codes.get(&0), Some(&60));
    assert!(entries(&sb).is_empty());
    sb.stop().await.unwrap();
}

/// More than 1000 pairs of one user go out in calls of at most 1000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_batches_are_chunked_by_1000() {
    let targets: Vec<String> = (0..2500).map(|i| format!("n{i:04}")).collect();
    let mut accounts = vec!["big".to_owned()];
    accounts.extend(targets.iter().cloned());
    let blocks: Vec<(String, String)> = targets[..700]
        .iter()
        .map(|t| ("big".to_owned(), t.clone()))
        .collect();
    let sb = harness::start(harness::config(seed_of(&accounts, &blocks))).await;
    let pairs: Vec<Pair> = targets.iter().map(|t| pair("big", t)).collect();
    let report = sandbox_engine(&sb, 4)
        .run(
            Operation::Check { single: true },
            pairs,
            RunOptions::default(),
        )
        .await;
    assert_eq!(report.end, BatchEnd::Completed);
    for (i, item) in report.items.iter().enumerate() {
        assert_eq!(
            item.status,
            ItemStatus::Relation {
                a_blocks_b: i < 700,
                b_blocks_a: None
            },
            "{}",
            item.pair
        );
    }
    let counters = sb.counters();
    assert_eq!(calls_of(&counters, CHECK), 3, "{counters:?}");
    assert_eq!(counters.codes.keys().copied().collect::<Vec<_>>(), [0]);
    sb.stop().await.unwrap();
}

/// A resume's precheck copes with faults on the checks themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn precheck_through_item_faults_and_hangs() {
    let users: Vec<String> = (0..40).map(|i| format!("f{i:02}")).collect();
    let pool: Vec<String> = (0..30).map(|i| format!("g{i:02}")).collect();
    let all: Vec<(String, String)> = users
        .iter()
        .flat_map(|u| pool.iter().map(move |p| (u.clone(), p.clone())))
        .collect();
    let blocked_now: Vec<(String, String)> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 0)
        .map(|(_, p)| p.clone())
        .collect();
    let accounts: Vec<String> = users.iter().chain(&pool).cloned().collect();
    let mut config = harness::config(seed_of(&accounts, &blocked_now));
    config.faults = "30006:0.2,30007:0.1,timeout:0.03".parse().unwrap();
    config.hang = ms(800);
    let sb = harness::start(config).await;
    let pairs: Vec<Pair> = all.iter().map(|(f, t)| pair(f, t)).collect();
    let engine = engine(
        client_for(&sb.base_url(), harness::key(), ms(400)),
        0,
        16,
        retry(16, 10, 100),
    );
    let report = engine
        .run(
            Operation::Unblock,
            pairs,
            RunOptions {
                precheck: true,
                ..RunOptions::default()
            },
        )
        .await;
    assert_eq!(report.end, BatchEnd::Completed);
    for item in &report.items {
        assert!(
            matches!(item.status, ItemStatus::Done | ItemStatus::Already),
            "{}: {:?}",
            item.pair,
            item.status
        );
    }
    assert!(entries(&sb).is_empty(), "everything is unblocked");
    sb.stop().await.unwrap();
}

/// A batch waiting before it sends again says so: how many items, after which code, for how
/// long; and only while nothing is in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_waiting_on_back_off_says_what_for() {
    let targets: Vec<String> = (0..50).map(|i| format!("w{i:02}")).collect();
    let mut accounts = vec!["waiter".to_owned()];
    accounts.extend(targets.iter().cloned());
    let mut config = harness::config(seed_of(&accounts, &[]));
    config.faults = "30008:0.5".parse().unwrap();
    let sb = harness::start(config).await;
    let pairs: Vec<Pair> = targets.iter().map(|t| pair("waiter", t)).collect();
    let engine = engine(
        client_for(&sb.base_url(), harness::key(), Duration::from_secs(10)),
        0,
        4,
        retry(40, 100, 200),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = engine.run(
        Operation::Block,
        pairs,
        RunOptions {
            events: Some(tx),
            ..RunOptions::default()
        },
    );
    let mut waits = Vec::new();
    let report = blockdeck::client::ops::drain(run, &mut rx, |e| {
        if let Event::Progress(p) = e
            && let Some(w) = p.waiting
        {
            waits.push(w);
        }
    })
    .await;
    assert_eq!(report.end, BatchEnd::Completed);
    assert!(!waits.is_empty(), "no wait was reported");
    for w in &waits {
        assert_eq!(w.code, 30008, "{w:?}");
        assert!(w.items > 0 && w.items <= 50, "{w:?}");
        assert!(w.left > Duration::ZERO && w.left <= ms(200), "{w:?}");
    }
    sb.stop().await.unwrap();
}

/// Beside another client that uses most of the app's limit, a batch yields: the service's
/// rate-limit refusals cut its pace instead of using up attempts, every item is accounted for,
/// and the pace it settled at says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_beside_a_competing_client_yields_and_accounts_for_every_item() {
    const LIMIT: u32 = 50;
    let users: Vec<String> = (0..100).map(|i| format!("c{i:03}")).collect();
    let mut accounts = users.clone();
    accounts.push("target".to_owned());
    accounts.push("other".to_owned());
    let blocks: Vec<(String, String)> = users
        .iter()
        .map(|u| (u.clone(), "target".to_owned()))
        .collect();
    let mut config = harness::config(seed_of(&accounts, &blocks));
    config.rate_limit = LIMIT;
    config.latency = Latency(10..=10);
    let sb = harness::start(config).await;
    let client = client_for(&sb.base_url(), harness::key(), Duration::from_secs(10));

    // The other client: 30 black_list_delete calls a second (more than half of the limit), of a
    // pair that is never there, until the batch is over.
    let done = CancellationToken::new();
    let competitor = {
        let (client, done) = (client.clone(), done.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(33));
            let (mut sent, mut refused) = (0u32, 0u32);
            // Bounded: at most two minutes of calls.
            for _ in 0..3600 {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = done.cancelled() => break,
                }
                let req = BlackListChangeRequest {
                    from_account: "other".to_owned(),
                    to_account: vec!["target".to_owned()],
                };
                sent += 1;
                let answer: Result<BlackListChangeResponse, _> =
                    client.call(Api::BlackListDelete, &req).await;
                if matches!(&answer, Err(e) if e.code() == 60007) {
                    refused += 1;
                }
            }
            (sent, refused)
        })
    };
    // Let the other client start first, as production traffic would be there already.
    tokio::time::sleep(ms(200)).await;
    let pairs: Vec<Pair> = blocks.iter().map(|(f, t)| pair(f, t)).collect();
    let policy = retry(2, 20, 200);
    let engine = engine(client.clone(), LIMIT, 64, policy.clone());
    let report = engine
        .run(Operation::Unblock, pairs.clone(), RunOptions::default())
        .await;
    done.cancel();
    let (sent, refused) = competitor.await.unwrap();

    assert_eq!(report.end, BatchEnd::Completed);
    assert_eq!(report.items.len(), pairs.len());
    for item in &report.items {
        assert_eq!(
            item.status,
            ItemStatus::Done,
            "{}: {}",
            item.pair,
            item.info
        );
        assert!(
            item.attempts <= policy.max_attempts,
            "{}: {} attempts",
            item.pair,
            item.attempts
        );
    }
    assert!(entries(&sb).is_empty(), "every pair was unblocked");
    let pace = report.pace.expect("a limited batch reports its pace");
    let counters = sb.counters();
    let refusals = counters.codes.get(&60007).copied().unwrap_or(0);
    eprintln!(
        "competitor: {refused}/{sent} refused; service refusals {refusals}; pace {}",
        pace.settled()
    );
    // The service did push back, and the pace answered: cut below the ceiling, for 60007.
    assert!(refusals > 0, "{counters:?}");
    assert!(pace.cuts > 0, "{pace:?}");
    assert!(
        pace.settled().contains("60007") || pace.settled().contains("back at its ceiling"),
        "{}",
        pace.settled()
    );
    sb.stop().await.unwrap();
}

/// A change whose call timed out on our side may have been made all the same (the sandbox makes
/// half of its hung changes before hanging): the retry then finds the pair as wanted, and the item
/// is this batch's doing, "done (confirmed after an attempt that went unanswered)", never
/// "already". Nothing in the seed is already as wanted, so no item may say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_found_as_wanted_after_a_timeout_is_done_by_this_batch() {
    let (accounts, blocks) = harness::blocking_target((0..120).map(|i| format!("t{i:03}")));
    let mut config = harness::config(seed_of(&accounts, &blocks));
    config.faults = "timeout:0.3".parse().unwrap();
    config.hang = ms(1500);
    config.fault_seed = Some(7);
    let sb = harness::start(config).await;
    let engine = engine(
        client_for(&sb.base_url(), harness::key(), ms(300)),
        0,
        64,
        retry(10, 20, 100),
    );
    let pairs: Vec<Pair> = blocks.iter().map(|(f, t)| pair(f, t)).collect();
    let report = engine
        .run(Operation::Unblock, pairs, RunOptions::default())
        .await;
    assert_eq!(report.end, BatchEnd::Completed);
    let mut confirmed = 0;
    for item in &report.items {
        assert_ne!(
            item.status,
            ItemStatus::Already,
            "{}: {}",
            item.pair,
            item.info
        );
        assert_eq!(
            item.status,
            ItemStatus::Done,
            "{}: {}",
            item.pair,
            item.info
        );
        if item
            .info
            .contains("confirmed after an attempt that went unanswered")
        {
            confirmed += 1;
        }
    }
    assert!(
        confirmed > 0,
        "no timed-out change was found made afterwards"
    );
    assert!(entries(&sb).is_empty());
    sb.stop().await.unwrap();
}

/// A hostile server's success-shaped answers that say nothing (items without `ResultCode`, or no
/// `ErrorCode` and no `ActionStatus` at all) are never counted done: they are retried, then
/// reported as what they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_without_codes_are_not_counted_done() {
    // Items without a ResultCode, in a body that says OK.
    let mock = Mock::start(|_, body, _| {
        let items: Vec<Value> = body["To_Account"]
            .as_array()
            .unwrap()
            .iter()
            .map(|to| json!({ "To_Account": to, "ResultInfo": "" }))
            .collect();
        json!({ "ActionStatus": "OK", "ErrorCode": 0, "ResultItem": items })
    })
    .await;
    let engine = engine(
        client_for(&mock.base_url, harness::key(), ms(2000)),
        0,
        8,
        retry(2, 10, 20),
    );
    let pairs = vec![pair("a", "b"), pair("a", "c")];
    let report = engine
        .run(Operation::Block, pairs.clone(), RunOptions::default())
        .await;
    for item in &report.items {
        assert_eq!(
            item.status,
            ItemStatus::Failed {
                code: -6,
                info: item.info.clone()
            },
            "{}",
            item.pair
        );
        assert_eq!(item.attempts, 2, "retried once, then reported");
    }
    drop(mock);

    // A body with neither ErrorCode nor ActionStatus.
    let mock = Mock::start(|_, _, _| json!({ "ResultItem": [] })).await;
    let engine = self::engine(
        client_for(&mock.base_url, harness::key(), ms(2000)),
        0,
        8,
        retry(2, 10, 20),
    );
    let report = engine
        .run(Operation::Unblock, pairs, RunOptions::default())
        .await;
    assert_eq!(report.succeeded(), 0);
    for item in &report.items {
        assert!(
            matches!(item.status, ItemStatus::Failed { code: -7, .. }),
            "{}: {:?}",
            item.pair,
            item.status
        );
    }
}

/// An answer larger than any real one is refused as unreadable, not read into memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_answer_is_refused() {
    let padding = "x".repeat(blockdeck::client::http::MAX_ANSWER_BYTES + 1);
    let mock =
        Mock::start(move |_, _, _| json!({ "ActionStatus": "OK", "ErrorCode": 0, "pad": padding }))
            .await;
    let client = client_for(&mock.base_url, harness::key(), ms(5000));
    let req = json!({"From_Account": "a", "StartIndex": 0, "MaxLimited": 10, "LastSequence": 0});
    let err = client
        .call::<_, blockdeck::tim::wire::BlackListGetResponse>(Api::BlackListGet, &req)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("larger than 16 MB"), "{err}");
}

/// Panics unless every item of `report` ended as wanted, naming `what`.
fn all_as_wanted(report: &Report, what: &str) {
    assert_eq!(report.end, BatchEnd::Completed, "{what}");
    for item in &report.items {
        assert!(
            item.status.is_success(),
            "{what}: {}: {:?} {}",
            item.pair,
            item.status,
            item.info
        );
    }
}

/// The client's bulk, list and resume paths against every way the service may answer where the
/// documents leave a choice (the sandbox's variants): each ends with every item as wanted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_list_and_resume_hold_against_every_answer_variant() {
    for (name, variants) in blockdeck::sandbox::variants::Variants::each() {
        let targets: Vec<String> = (0..20).map(|i| format!("t{i:02}")).collect();
        let mut accounts = vec!["v".to_owned(), "empty".to_owned()];
        accounts.extend(targets.iter().cloned());
        // v blocks the first ten.
        let blocks: Vec<(String, String)> = targets[..10]
            .iter()
            .map(|t| ("v".to_owned(), t.clone()))
            .collect();
        let mut config = harness::config(seed_of(&accounts, &blocks));
        config.variants = variants;
        let sb = harness::start(config).await;
        let engine = sandbox_engine(&sb, 8);
        let pairs = |range: std::ops::Range<usize>| -> Vec<Pair> {
            targets[range].iter().map(|t| pair("v", t)).collect()
        };

        // Bulk: blocking fifteen, ten of them already listed.
        let report = engine
            .run(Operation::Block, pairs(0..15), RunOptions::default())
            .await;
        all_as_wanted(&report, name);
        // List: fifteen entries, with a sequence; and an empty list, however it is said.
        for (user, want) in [("v", 15usize), ("empty", 0)] {
            let (tx, mut rx) = mpsc::channel::<Page>(64);
            let outcome = engine
                .list(&uid(user), 100, tx, CancellationToken::new())
                .await
                .unwrap_or_else(|e| panic!("{name}: listing {user}: {e}"));
            let mut listed = 0;
            while let Ok(page) = rx.try_recv() {
                listed += page.items.len();
            }
            assert_eq!((outcome.total, listed), (want, want), "{name}: {user}");
            if want > 0 {
                assert!(outcome.sequence > 0, "{name}: the sequence was read");
            }
        }
        // Resume-style run (a check first, then only what is needed): unblocking twenty, five of
        // them never listed.
        let report = engine
            .run(
                Operation::Unblock,
                pairs(0..20),
                RunOptions {
                    precheck: true,
                    ..RunOptions::default()
                },
            )
            .await;
        all_as_wanted(&report, name);
        // And a plain unblock of what is no longer listed.
        let report = engine
            .run(Operation::Unblock, pairs(0..5), RunOptions::default())
            .await;
        all_as_wanted(&report, name);
        assert!(entries(&sb).is_empty(), "{name}");
        // The variant was in force.
        let item_codes = sb.counters().item_codes;
        if name == "already=31307" {
            assert!(item_codes.contains_key(&31307), "{item_codes:?}");
        }
        if name == "documented" {
            assert!(item_codes.contains_key(&30001), "{item_codes:?}");
        }
        sb.stop().await.unwrap();
    }
}
