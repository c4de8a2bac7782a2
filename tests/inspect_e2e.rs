//! On-call inspection end to end over loopback HTTP: `inspect` for every relation kind (built by seed
//! and through the API), the reverse lookup `blockers` over 20,000 candidates at the rate limit, its
//! failures and cancellation, `friends_of`, and the `inspect` / `blockers` commands of the binary.

mod common {
    pub mod cli;
    pub mod harness;
    pub mod recorded;
}

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use blockdeck::client::Operation;
use blockdeck::client::Pair;
use blockdeck::client::engine::{Engine, EngineOptions, Limits, RetryPolicy, RunOptions};
use blockdeck::client::http::{ClientOptions, Endpoint, TimClient};
use blockdeck::client::ops::{self, BlockersEvent, BlockersReport};
use blockdeck::inspect::{self, Relationship};
use blockdeck::sandbox::store::{SeedAccount, SeedEdge};
use blockdeck::sandbox::{Sandbox, Seed};
use blockdeck::secret::SecretKey;
use blockdeck::tim::codes::Class;
use blockdeck::tim::ids::UserId;
use common::cli::{self, LocalSandbox, WRONG_KEY, Workspace, run};
use common::harness::{self, ADMIN, SDKAPPID};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const CHECK: &str = "black_list_check";

fn id(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

fn ids(list: &[&str]) -> Vec<UserId> {
    list.iter().map(|s| id(s)).collect()
}

fn account(id: &str) -> SeedAccount {
    SeedAccount {
        id: id.to_owned(),
        nick: None,
        admin_forbid: false,
    }
}

fn edge(from: &str, to: &str) -> SeedEdge {
    SeedEdge {
        from: from.to_owned(),
        to: to.to_owned(),
        time: 1_700_000_000,
    }
}

/// An engine on the sandbox's key with quick retries and `rate` calls/s per API (0 = no limit).
fn engine_with_key(sb: &Sandbox, key: SecretKey, rate: u32) -> Engine {
    engine_at(&sb.base_url(), key, rate)
}

fn engine_at(base_url: &str, key: SecretKey, rate: u32) -> Engine {
    let client = TimClient::new(
        Endpoint {
            base_url: base_url.to_owned(),
            sdkappid: SDKAPPID,
            admin: ADMIN.to_owned(),
        },
        key,
        ClientOptions {
            timeout: Duration::from_secs(10),
            ..ClientOptions::default()
        },
    )
    .expect("client for a loopback URL");
    Engine::new(
        Arc::new(client),
        Arc::new(Limits::new(rate, None)),
        EngineOptions {
            max_in_flight: 8,
            retry: RetryPolicy {
                max_attempts: 6,
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(50),
            },
            read_retry: RetryPolicy {
                max_attempts: 6,
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(50),
            },
            chunk_size: 1000,
        },
    )
}

fn engine(sb: &Sandbox, rate: u32) -> Engine {
    engine_with_key(sb, harness::key(), rate)
}

fn calls_of(sb: &Sandbox, api: &str) -> u64 {
    sb.counters().calls.get(api).copied().unwrap_or(0)
}

/// Runs a lookup, collecting its events.
async fn lookup(
    engine: &Engine,
    target: &str,
    candidates: Vec<UserId>,
    cancel: CancellationToken,
) -> (
    Result<BlockersReport, blockdeck::client::http::CallError>,
    Vec<BlockersEvent>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let result = ops::blockers(engine, &id(target), candidates, None, tx, cancel).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (result, events)
}

fn blocker_set(report: &BlockersReport) -> BTreeMap<String, bool> {
    report
        .blockers
        .iter()
        .map(|(c, m)| (c.as_str().to_owned(), *m))
        .collect()
}

// ---------------------------------------------------------------- inspect

/// One pair per relation kind, plus an admin-barred user with a hostile nickname.
fn relation_seed() -> Seed {
    let mut accounts: Vec<SeedAccount> = [
        "n1", "n2", "ab1", "ab2", "ba1", "ba2", "bw1", "bw2", "mf1", "mf2", "ow1", "ow2", "inc1",
        "inc2", "fb2",
    ]
    .iter()
    .map(|s| account(s))
    .collect();
    accounts.push(SeedAccount {
        id: "fb1".into(),
        nick: Some("\u{1b}]0;pwned\u{7}Totally Normal".into()),
        admin_forbid: true,
    });
    accounts.push(SeedAccount {
        id: "named".into(),
        nick: Some("Named User".into()),
        admin_forbid: false,
    });
    Seed {
        accounts,
        friends: vec![
            edge("mf1", "mf2"),
            edge("mf2", "mf1"),
            edge("ow1", "ow2"),
            // Friends although one blocks the other: only a seed (or an import) makes this.
            edge("inc1", "inc2"),
            edge("inc2", "inc1"),
        ],
        blocks: vec![
            edge("ab1", "ab2"),
            edge("ba2", "ba1"),
            edge("bw1", "bw2"),
            edge("bw2", "bw1"),
            edge("inc1", "inc2"),
        ],
        ..Seed::default()
    }
}

#[tokio::test]
async fn inspect_reads_every_relation_kind_from_a_seed() {
    let sb = harness::start(harness::config(relation_seed())).await;
    let engine = engine(&sb, 200);
    let base = |a: &str, b: &str| Relationship::unrelated(id(a), id(b));
    let cases = [
        base("n1", "n2"),
        Relationship {
            a_blocks_b: true,
            ..base("ab1", "ab2")
        },
        Relationship {
            b_blocks_a: true,
            ..base("ba1", "ba2")
        },
        Relationship {
            a_blocks_b: true,
            b_blocks_a: true,
            ..base("bw1", "bw2")
        },
        Relationship {
            a_has_b: true,
            b_has_a: true,
            ..base("mf1", "mf2")
        },
        Relationship {
            a_has_b: true,
            ..base("ow1", "ow2")
        },
        Relationship {
            b_has_a: true,
            ..base("ow2", "ow1")
        },
        Relationship {
            a_blocks_b: true,
            a_has_b: true,
            b_has_a: true,
            ..base("inc1", "inc2")
        },
        Relationship {
            a_nick: Some("\u{1b}]0;pwned\u{7}Totally Normal".into()),
            a_forbid_send: true,
            b_nick: Some("Named User".into()),
            ..base("fb1", "named")
        },
        Relationship {
            b_exists: false,
            ..base("n1", "ghost")
        },
        Relationship {
            a_exists: false,
            b_nick: Some("Named User".into()),
            ..base("ghost", "named")
        },
        Relationship {
            a_exists: false,
            b_exists: false,
            ..base("ghost", "ghost2")
        },
    ];
    for expected in &cases {
        let got = ops::inspect(&engine, &expected.a, &expected.b)
            .await
            .unwrap_or_else(|e| panic!("{} / {}: {e}", expected.a, expected.b));
        assert_eq!(&got, expected);
    }
    // Four calls per inspection, one of each.
    let n = cases.len() as u64;
    for api in [CHECK, "friend_check", "account_check", "portrait_get"] {
        assert_eq!(calls_of(&sb, api), n, "{api}");
    }

    // The verdicts follow from what was read.
    let rel = ops::inspect(&engine, &id("ba1"), &id("ba2")).await.unwrap();
    let c = inspect::consequences(&rel);
    assert!(
        c.a_messages_b.why.contains("ba1 is on ba2's blocklist"),
        "{c:#?}"
    );
    assert!(c.b_messages_a.allowed && !c.a_requests_b.allowed && !c.b_requests_a.allowed);
    let rel = ops::inspect(&engine, &id("inc1"), &id("inc2"))
        .await
        .unwrap();
    let c = inspect::consequences(&rel);
    assert!(
        c.notes.iter().any(|n| n.contains("Inconsistent data")),
        "{c:#?}"
    );
    let rel = ops::inspect(&engine, &id("n1"), &id("ghost"))
        .await
        .unwrap();
    let c = inspect::consequences(&rel);
    assert!(!c.a_messages_b.allowed && c.a_messages_b.why.contains("ghost does not exist"));
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn inspect_follows_changes_made_through_the_api() {
    let seed = Seed {
        accounts: vec![account("x"), account("y")],
        friends: vec![edge("x", "y"), edge("y", "x")],
        ..Seed::default()
    };
    let sb = harness::start(harness::config(seed)).await;
    let engine = engine(&sb, 200);
    let (x, y) = (id("x"), id("y"));
    let change = |op, from: &UserId, to: &UserId| {
        let pairs = vec![Pair::new(from.clone(), to.clone())];
        let engine = &engine;
        async move {
            let report = engine.run(op, pairs, RunOptions::default()).await;
            assert_eq!(report.succeeded(), 1, "{report:?}");
        }
    };

    let rel = ops::inspect(&engine, &x, &y).await.unwrap();
    assert!(rel.mutual_friends() && !rel.a_blocks_b && !rel.b_blocks_a);
    let c = inspect::consequences(&rel);
    assert!(!c.a_requests_b.allowed && c.a_requests_b.why.contains("already"));

    // x blocks y: the service removes the friendship both ways.
    change(Operation::Block, &x, &y).await;
    let rel = ops::inspect(&engine, &x, &y).await.unwrap();
    assert_eq!(
        rel,
        Relationship {
            a_blocks_b: true,
            ..Relationship::unrelated(x.clone(), y.clone())
        }
    );
    let c = inspect::consequences(&rel);
    assert!(c.a_messages_b.allowed && !c.b_messages_a.allowed);
    assert!(!c.a_requests_b.allowed && !c.b_requests_a.allowed);

    // y blocks x as well: neither can start a conversation.
    change(Operation::Block, &y, &x).await;
    let rel = ops::inspect(&engine, &y, &x).await.unwrap();
    assert!(rel.a_blocks_b && rel.b_blocks_a && !rel.a_has_b && !rel.b_has_a);
    let c = inspect::consequences(&rel);
    assert!(!c.a_messages_b.allowed && !c.b_messages_a.allowed);

    // x unblocks y: y's block remains, and the friendship does not come back.
    change(Operation::Unblock, &x, &y).await;
    let rel = ops::inspect(&engine, &x, &y).await.unwrap();
    assert_eq!(
        rel,
        Relationship {
            b_blocks_a: true,
            ..Relationship::unrelated(x.clone(), y.clone())
        }
    );
    sb.stop().await.unwrap();
}

/// A server that answers like the service for two existing, unrelated accounts, except that
/// black_list_check's item fails with `check_code`.
async fn mock_service(check_code: i64) -> (String, tokio::task::JoinHandle<()>) {
    use axum::extract::Path;
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/v4/{service}/{command}",
        post(
            move |Path((_, command)): Path<(String, String)>| async move {
                let ok = serde_json::json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""});
                let mut body = ok.as_object().unwrap().clone();
                let item = |relation: &str, code: i64| {
                    serde_json::json!([{"To_Account": "b", "Relation": relation, "ResultCode": code,
                                    "ResultInfo": if code == 0 { "" } else { "Err_Temporary" }}])
                };
                match command.as_str() {
                    "black_list_check" => {
                        body.insert(
                            "BlackListCheckItem".into(),
                            item("BlackCheckResult_Type_NO", check_code),
                        );
                    }
                    "friend_check" => {
                        body.insert("InfoItem".into(), item("CheckResult_Type_NoRelation", 0));
                    }
                    "account_check" => {
                        body.insert(
                            "ResultItem".into(),
                            serde_json::json!([
                                {"UserID": "a", "ResultCode": 0, "AccountStatus": "Imported"},
                                {"UserID": "b", "ResultCode": 0, "AccountStatus": "Imported"}
                            ]),
                        );
                    }
                    _ => {
                        body.insert(
                            "UserProfileItem".into(),
                            serde_json::json!([
                                {"To_Account": "a", "ResultCode": 0, "ProfileItem": []},
                                {"To_Account": "b", "ResultCode": 0, "ProfileItem": []}
                            ]),
                        );
                    }
                }
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    Value::Object(body).to_string(),
                )
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind(harness::loopback())
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, server)
}

#[tokio::test]
async fn inspect_never_reads_a_failed_item_as_no_relation() {
    let (url, server) = mock_service(0).await;
    let rel = ops::inspect(&engine_at(&url, harness::key(), 0), &id("a"), &id("b"))
        .await
        .unwrap();
    assert_eq!(rel, Relationship::unrelated(id("a"), id("b")));
    server.abort();

    // Both accounts exist, so a failed item is an error naming its code, not "no relation".
    let (url, server) = mock_service(30006).await;
    let e = ops::inspect(&engine_at(&url, harness::key(), 0), &id("a"), &id("b"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), 30006, "{e}");
    assert!(e.to_string().contains("black_list_check for a→b"), "{e}");
    server.abort();
}

#[tokio::test]
async fn inspect_reports_authentication_errors() {
    let sb = harness::start(harness::config(relation_seed())).await;
    let engine = engine_with_key(
        &sb,
        SecretKey::new("0123456789abcdef0123456789abcdef".into()).unwrap(),
        0,
    );
    let e = ops::inspect(&engine, &id("n1"), &id("n2"))
        .await
        .unwrap_err();
    assert_eq!(e.class(), Class::Auth, "{e}");
    sb.stop().await.unwrap();
}

// ---------------------------------------------------------------- who blocks X?

const X: &str = "target_x";

fn user(i: usize) -> String {
    format!("u{i:05}")
}

/// X and `n` users; every 146th user blocks X (every 4th of those mutually), and X also blocks
/// 25 users who do not block it. Returns the seed and the expected blockers with their mutual flag.
fn world(n: usize) -> (Seed, BTreeMap<String, bool>) {
    let mut accounts = vec![account(X)];
    accounts.extend((0..n).map(|i| account(&user(i))));
    let mut blocks = Vec::new();
    let mut expected = BTreeMap::new();
    for (k, i) in (0..n).step_by(146).enumerate() {
        let mutual = k % 4 == 0;
        blocks.push(edge(&user(i), X));
        if mutual {
            blocks.push(edge(X, &user(i)));
        }
        expected.insert(user(i), mutual);
    }
    for k in 0..25 {
        let i = 7 + 300 * k;
        if i < n {
            assert!(!expected.contains_key(&user(i)));
            blocks.push(edge(X, &user(i)));
        }
    }
    (
        Seed {
            accounts,
            blocks,
            ..Seed::default()
        },
        expected,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blockers_over_20000_candidates_at_the_rate_limit() {
    let (seed, expected) = world(19_990);
    assert_eq!(expected.len(), 137);
    assert_eq!(expected.values().filter(|m| **m).count(), 35);
    let mut config = harness::config(seed);
    config.rate_limit = 200;
    let sb = harness::start(config).await;
    let engine = engine(&sb, 200);

    // 19,990 accounts and 10 that the app does not know: 20,000 distinct candidates, in reverse
    // order, plus X itself and repeats, which cost nothing.
    let ghosts: Vec<String> = (0..10).map(|i| format!("ghost_{i}")).collect();
    let mut candidates: Vec<UserId> = (0..19_990).rev().map(|i| id(&user(i))).collect();
    for (k, g) in ghosts.iter().enumerate() {
        candidates.insert(k * 1999, id(g));
    }
    candidates.push(id(X));
    candidates.extend((0..50).map(|i| id(&user(i))));

    let (result, events) = lookup(&engine, X, candidates, CancellationToken::new()).await;
    let report = result.expect("lookup succeeds");
    assert_eq!(report.total, 20_000);
    assert_eq!(report.checked, 20_000);
    assert!(!report.cancelled);
    assert_eq!(blocker_set(&report), expected);
    assert_eq!(report.blockers.len(), 137, "each blocker reported once");
    let failed: BTreeSet<(String, i64)> = report
        .failed
        .iter()
        .map(|(c, code, _)| (c.as_str().to_owned(), *code))
        .collect();
    let ghost_failures: BTreeSet<(String, i64)> =
        ghosts.iter().map(|g| (g.clone(), 30003)).collect();
    assert_eq!(failed, ghost_failures);
    assert_eq!(report.calls, 20);

    // The service's side: exactly 20 calls, never refused for the rate.
    let counters = sb.counters();
    assert_eq!(counters.calls.get(CHECK), Some(&20), "{counters:?}");
    assert_eq!(counters.calls.values().sum::<u64>(), 20, "{counters:?}");
    assert_eq!(counters.codes.get(&60007), None, "{counters:?}");
    assert_eq!(counters.item_codes.get(&30003), Some(&10), "{counters:?}");

    // Every blocker was streamed as found; progress ends complete.
    let found: BTreeMap<String, bool> = events
        .iter()
        .filter_map(|e| match e {
            BlockersEvent::Found { blocker, mutual } => {
                Some((blocker.as_str().to_owned(), *mutual))
            }
            _ => None,
        })
        .collect();
    assert_eq!(found, expected);
    let progress: Vec<(usize, u64)> = events
        .iter()
        .filter_map(|e| match e {
            BlockersEvent::Progress { checked, calls, .. } => Some((*checked, *calls)),
            _ => None,
        })
        .collect();
    assert_eq!(progress.len(), 20);
    assert_eq!(progress.last(), Some(&(20_000, 20)));
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0));
    sb.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_stops_between_calls() {
    let (seed, expected) = world(10_000);
    let sb = harness::start(harness::config(seed)).await;
    // 4 calls/s: the lookup's ten calls would take over two seconds.
    let engine = engine(&sb, 4);
    let candidates: Vec<UserId> = (0..10_000).map(|i| id(&user(i))).collect();

    let cancel = CancellationToken::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let target = id(X);
    let run = ops::blockers(
        &engine,
        &target,
        candidates.clone(),
        None,
        tx,
        cancel.clone(),
    );
    tokio::pin!(run);
    // Cancel as soon as the first call has answered.
    let report = loop {
        tokio::select! {
            report = &mut run => break report.expect("lookup succeeds"),
            Some(event) = rx.recv() => {
                if matches!(event, BlockersEvent::Progress { .. }) {
                    cancel.cancel();
                }
            }
        }
    };
    assert!(report.cancelled);
    assert!(report.calls >= 1 && report.calls < 10, "{report:?}");
    assert_eq!(report.checked, report.calls as usize * 1000);
    assert!(report.checked < report.total);
    // What was found is true, only incomplete.
    for (c, mutual) in blocker_set(&report) {
        assert_eq!(expected.get(&c), Some(&mutual), "{c}");
    }
    // Every call sent was answered before the lookup returned, and none is made after.
    let at_return = calls_of(&sb, CHECK);
    assert_eq!(at_return, report.calls);
    assert!(at_return < 10, "{at_return}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(calls_of(&sb, CHECK), at_return);

    // Cancelled before it starts: nothing is sent.
    let cancel = CancellationToken::new();
    cancel.cancel();
    let (result, events) = lookup(&engine, X, candidates, cancel).await;
    let report = result.unwrap();
    assert!(report.cancelled && report.checked == 0 && report.calls == 0);
    assert!(events.is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(calls_of(&sb, CHECK), at_return);
    sb.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_failures_are_retried_and_never_read_as_no_relation() {
    let (seed, expected) = world(600);
    let mut config = harness::config(seed);
    // 10% of items fail with 30006, 5% of calls with a 502 from the gateway.
    config.faults = "30006:0.1,502:0.05".parse().unwrap();
    config.fault_seed = Some(7);
    let sb = harness::start(config).await;
    let engine = engine(&sb, 0);
    let candidates: Vec<UserId> = (0..600).map(|i| id(&user(i))).collect();
    let (result, _) = lookup(&engine, X, candidates, CancellationToken::new()).await;
    let report = result.expect("lookup succeeds");
    assert_eq!(blocker_set(&report), expected);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.checked, 600);
    assert!(
        sb.counters().item_codes.get(&30006).copied().unwrap_or(0) > 0,
        "faults were injected"
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn lookups_stop_on_errors_that_affect_every_call() {
    let (seed, _) = world(50);
    let sb = harness::start(harness::config(seed)).await;
    let candidates: Vec<UserId> = (0..50).map(|i| id(&user(i))).collect();

    // The target does not exist: every call would fail the same way.
    let (result, _) = lookup(
        &engine(&sb, 0),
        "nobody",
        candidates.clone(),
        CancellationToken::new(),
    )
    .await;
    let e = result.unwrap_err();
    assert_eq!(e.code(), 30003, "{e}");

    // A wrong key.
    let wrong = engine_with_key(
        &sb,
        SecretKey::new("0123456789abcdef0123456789abcdef".into()).unwrap(),
        0,
    );
    let (result, _) = lookup(&wrong, X, candidates, CancellationToken::new()).await;
    assert_eq!(result.unwrap_err().class(), Class::Auth);
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn friends_are_paged_and_usable_as_candidates() {
    // X has 250 friends (friend_get pages of 100); f007 blocks X although it is still X's friend
    // (only a seed makes such data), and f100 is blocked by X.
    let friends: Vec<String> = (0..250).map(|i| format!("f{i:03}")).collect();
    let mut accounts = vec![account(X)];
    accounts.extend(friends.iter().map(|f| account(f)));
    let seed = Seed {
        accounts,
        friends: friends.iter().map(|f| edge(X, f)).collect(),
        blocks: vec![edge("f007", X), edge(X, "f100")],
        ..Seed::default()
    };
    let sb = harness::start(harness::config(seed)).await;
    let engine = engine(&sb, 200);
    let got = ops::friends_of(&engine, &id(X)).await.unwrap();
    assert_eq!(
        got.iter().map(UserId::as_str).collect::<Vec<_>>(),
        friends.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(calls_of(&sb, "friend_get"), 3);
    assert!(
        ops::friends_of(&engine, &id("f001"))
            .await
            .unwrap()
            .is_empty()
    );

    let (result, _) = lookup(&engine, X, got, CancellationToken::new()).await;
    let report = result.unwrap();
    assert_eq!(report.blockers, vec![(id("f007"), false)]);
    assert_eq!(report.checked, 250);
    assert_eq!(calls_of(&sb, CHECK), 1);

    let e = ops::friends_of(&engine, &id("nobody")).await.unwrap_err();
    assert_eq!(e.code(), 30003);
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn an_empty_candidate_set_sends_nothing() {
    let (seed, _) = world(10);
    let sb = harness::start(harness::config(seed)).await;
    let engine = engine(&sb, 0);
    let (result, events) = lookup(&engine, X, ids(&[X, X]), CancellationToken::new()).await;
    let report = result.unwrap();
    assert_eq!((report.total, report.checked, report.calls), (0, 0, 0));
    assert!(!report.cancelled && events.is_empty());
    assert_eq!(calls_of(&sb, CHECK), 0);
    sb.stop().await.unwrap();
}

// ---------------------------------------------------------------- the commands

fn cli_world() -> LocalSandbox {
    let mut accounts: Vec<SeedAccount> = ["alice", "bob", "x"].iter().map(|s| account(s)).collect();
    accounts.push(SeedAccount {
        id: "evil".into(),
        nick: Some("\u{1b}[2J\u{202e}evil".into()),
        admin_forbid: true,
    });
    accounts.extend((0..30).map(|i| account(&format!("c{i:02}"))));
    let mut blocks = vec![edge("alice", "bob")];
    for i in [3, 9, 17, 21, 28] {
        blocks.push(edge(&format!("c{i:02}"), "x"));
    }
    blocks.push(edge("x", "c09"));
    blocks.push(edge("x", "c28"));
    blocks.push(edge("x", "c01"));
    LocalSandbox::on(Seed {
        accounts,
        blocks,
        ..Seed::default()
    })
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn cli_inspect_prints_relations_verdicts_and_json() {
    let sb = cli_world();
    let ws = Workspace::new();
    let url = sb.url();

    let out = run(ws.cmd(&url, &["inspect", "alice", "bob"]));
    out.assert_code(0, "inspect");
    for want in [
        "alice blocks bob: yes",
        "bob blocks alice: no",
        "alice messages bob: yes",
        "bob messages alice: no — bob cannot message alice: bob is on alice's blocklist.",
        "alice sends bob a friend request: no",
        "Notes:",
    ] {
        assert!(out.stdout.contains(want), "{want:?} in\n{}", out.stdout);
    }

    // A hostile nickname reaches the terminal only as visible escapes.
    let out = run(ws.cmd(&url, &["inspect", "evil", "alice"]));
    out.assert_code(0, "inspect evil");
    assert!(
        !out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{202e}'),
        "{:?}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\\u{1b}[2J\\u{202e}evil"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("barred by the admin"), "{}", out.stdout);

    let out = run(ws.cmd(&url, &["inspect", "alice", "bob", "--json"]));
    out.assert_code(0, "inspect --json");
    let v: Value = serde_json::from_str(out.stdout.trim()).expect("one JSON object");
    assert_eq!(v["a_blocks_b"], true);
    assert_eq!(v["b_blocks_a"], false);
    assert_eq!(v["black_relation"], "BlackCheckResult_Type_AWithB");
    assert_eq!(v["verdicts"]["b_messages_a"]["allowed"], false);
    assert_eq!(v["verdicts"]["a_messages_b"]["allowed"], true);
    assert!(v["notes"].as_array().is_some_and(|n| !n.is_empty()));

    let out = run(ws.cmd(&url, &["inspect", "alice", "ghost"]));
    out.assert_code(0, "inspect a missing account");
    assert!(
        out.stdout.contains("ghost — does not exist"),
        "{}",
        out.stdout
    );

    let before = sb.total_calls();
    run(ws.cmd(&url, &["inspect", "alice", "alice"])).assert_code(2, "same user");
    run(ws.cmd(&url, &["inspect", "alice", "bad\tid"])).assert_code(2, "bad ID");
    assert_eq!(sb.total_calls(), before, "nothing was sent");

    run(ws.cmd_with(&url, Some(WRONG_KEY), &["inspect", "alice", "bob"]))
        .assert_code(3, "wrong key");
}

#[test]
fn cli_blockers_from_a_candidates_file() {
    let sb = cli_world();
    let ws = Workspace::new();
    let url = sb.url();
    let mut list: Vec<String> = (0..30).map(|i| format!("c{i:02}")).collect();
    list.push("ghost".into());
    list.push("x".into());
    let file = ws.write("candidates.txt", &(list.join("\n") + "\n"));
    let file = file.to_str().unwrap();

    let out = run(ws.cmd(&url, &["blockers", "x", "--candidates", file]));
    out.assert_code(1, "a candidate failed");
    let lines: BTreeSet<&str> = out.stdout.lines().collect();
    let want: BTreeSet<&str> = [
        "c03 blocks x",
        "c09 and x block each other",
        "c17 blocks x",
        "c21 blocks x",
        "c28 and x block each other",
    ]
    .into();
    assert_eq!(lines, want, "{}", out.stdout);
    assert!(out.stderr.contains("checked 31 of 31"), "{}", out.stderr);
    assert!(out.stderr.contains("error 30003"), "{}", out.stderr);
    assert!(out.stderr.contains("ghost"), "{}", out.stderr);
    assert!(out.stderr.contains("calls/s"), "{}", out.stderr);

    let out = run(ws.cmd(&url, &["blockers", "x", "--candidates", file, "--json"]));
    out.assert_code(1, "json");
    let records = json_lines(&out.stdout);
    let blockers: BTreeMap<String, bool> = records
        .iter()
        .filter(|r| r["status"] == "blocker")
        .map(|r| {
            (
                r["candidate"].as_str().unwrap().to_owned(),
                r["mutual"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(blockers.len(), 5);
    assert_eq!(blockers.get("c09"), Some(&true));
    assert_eq!(blockers.get("c03"), Some(&false));
    let failed: Vec<&Value> = records.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["candidate"], "ghost");
    assert_eq!(failed[0]["code"], 30003);

    let out = run(ws.cmd(&url, &["blockers", "x", "--candidates", file, "--csv"]));
    out.assert_code(1, "csv");
    let mut rows = out.stdout.lines();
    assert_eq!(
        rows.next(),
        Some(blockdeck::export::BLOCKERS.join(",").as_str())
    );
    assert_eq!(rows.filter(|r| r.contains(",blocker,")).count(), 5);

    // Without failures the exit code is 0; `-` reads standard input.
    let clean = ws.write("clean.txt", "c03\nc04\n# comment\n\nc09\n");
    let mut cmd = ws.cmd(&url, &["blockers", "x", "--candidates", "-"]);
    cmd.stdin(std::fs::File::open(&clean).unwrap());
    let out = run(cmd);
    out.assert_code(0, "stdin");
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        vec!["c03 blocks x", "c09 and x block each other"]
    );

    // Bad lines are refused with their numbers, and nothing is sent.
    let before = sb.total_calls();
    let bad = ws.write(
        "bad.txt",
        "c01\nbad\tid\nc02\nthis-id-is-far-too-long-for-a-userid-really\n",
    );
    let out = run(ws.cmd(
        &url,
        &["blockers", "x", "--candidates", bad.to_str().unwrap()],
    ));
    out.assert_code(2, "bad lines");
    assert!(out.stderr.contains("line 2"), "{}", out.stderr);
    assert!(out.stderr.contains("line 4"), "{}", out.stderr);
    assert_eq!(sb.total_calls(), before, "nothing was sent");

    // Candidates or friends, one of them.
    run(ws.cmd(&url, &["blockers", "x"])).assert_code(2, "no source");
    run(ws.cmd_with(
        &url,
        Some(WRONG_KEY),
        &["blockers", "x", "--candidates", file],
    ))
    .assert_code(3, "wrong key");
}

#[test]
fn cli_blockers_of_friends() {
    let sb = cli_world();
    let ws = Workspace::new();
    let out = run(ws.cmd(&sb.url(), &["blockers", "x", "--friends"]));
    out.assert_code(0, "no friends");
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("0 friend(s)"), "{}", out.stderr);
    cli::assert_no_key(&out.all(), "blockers --friends");
}

/// `blockers X` with a change history and no candidates: the recorded blockers are confirmed with
/// black_list_check and nothing else is asked, and the answer is the full sweep's.
#[test]
fn cli_blockers_answer_from_the_history() {
    use blockdeck::feed::ChangeKind::{self, Block, Unblock};
    // 2,500 accounts, so that a sweep takes three calls of 1,000.
    let n = 2_500;
    let mut accounts: Vec<SeedAccount> = vec![account("x")];
    accounts.extend((0..n).map(|i| account(&format!("c{i:04}"))));
    let blockers = ["c0003", "c0900", "c1700", "c2100", "c2499"];
    let mut blocks: Vec<SeedEdge> = blockers.iter().map(|b| edge(b, "x")).collect();
    blocks.push(edge("x", "c0900"));
    let sb = LocalSandbox::on(Seed {
        accounts,
        blocks,
        ..Seed::default()
    });
    let ws = Workspace::new();
    let url = sb.url();
    let all: Vec<String> = (0..n).map(|i| format!("c{i:04}")).collect();
    let file = ws.write("everyone.txt", &(all.join("\n") + "\n"));
    let store = ws.dir.path().join("changes.db");
    let store_arg = store.to_str().unwrap();

    // No history yet: an error that names the remedies, and nothing is sent.
    let before = sb.total_calls();
    let out = run(ws.cmd(&url, &["blockers", "x", "--store", store_arg]));
    out.assert_code(2, "no history");
    assert!(out.stderr.contains("--candidates"), "{}", out.stderr);
    assert!(out.stderr.contains("blockdeck relay"), "{}", out.stderr);
    assert_eq!(sb.total_calls(), before, "nothing was sent");
    let out = run(ws.cmd(&url, &["blockers", "x", "--no-history"]));
    out.assert_code(2, "--no-history and no candidates");
    assert!(
        out.stderr.contains("leaves nothing to check"),
        "{}",
        out.stderr
    );
    assert_eq!(sb.total_calls(), before, "nothing was sent");

    // What the relay recorded: every block of x, a block later lifted (c0100), one the store
    // holds but that no longer stands (c0200: its unblock was never delivered), and changes
    // about others.
    let mut history: Vec<(ChangeKind, &str, &str)> =
        blockers.iter().map(|b| (Block, *b, "x")).collect();
    history.extend([
        (Block, "c0100", "x"),
        (Unblock, "c0100", "x"),
        (Block, "c0200", "x"),
        (Block, "x", "c0900"),
        (Block, "c0300", "c0301"),
    ]);
    common::recorded::record(&store, &history);

    let sweep = run(ws.cmd(
        &url,
        &[
            "blockers",
            "x",
            "--candidates",
            file.to_str().unwrap(),
            "--no-history",
        ],
    ));
    sweep.assert_code(0, "the full sweep");
    let swept: BTreeSet<&str> = sweep.stdout.lines().collect();
    assert_eq!(swept.len(), blockers.len(), "{}", sweep.stdout);
    assert!(
        sweep.stderr.contains("checked 2500 of 2500"),
        "{}",
        sweep.stderr
    );

    let before = sb.counters();
    let out = run(ws.cmd(&url, &["blockers", "x", "--store", store_arg]));
    out.assert_code(0, "from the history");
    let after = sb.counters();
    let answered: BTreeSet<String> = out
        .stdout
        .lines()
        .map(|l| {
            l.strip_suffix(" (recorded)")
                .unwrap_or_else(|| panic!("not marked as recorded: {l}"))
                .to_owned()
        })
        .collect();
    let swept: BTreeSet<String> = swept.into_iter().map(str::to_owned).collect();
    assert_eq!(answered, swept, "the history's answer is the sweep's");
    // One check of the six recorded blockers, and no other call: no sweep, no friend list.
    let calls = |c: &blockdeck::sandbox::Counters| c.calls.values().sum::<u64>();
    assert_eq!(calls(&after) - calls(&before), 1, "{after:?}");
    assert_eq!(
        after.calls.get(CHECK).copied().unwrap_or(0)
            - before.calls.get(CHECK).copied().unwrap_or(0),
        1
    );
    assert!(out.stderr.contains("checked 6 of 6"), "{}", out.stderr);
    assert!(
        out.stderr.contains("5 of 6 recorded blocker(s) confirmed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("reaches back to"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("no longer do (a change the history missed): c0200"),
        "{}",
        out.stderr
    );

    // With candidates too: the recorded ones first, then the rest, each checked once.
    let out = run(ws.cmd(
        &url,
        &[
            "blockers",
            "x",
            "--candidates",
            file.to_str().unwrap(),
            "--store",
            store_arg,
        ],
    ));
    out.assert_code(0, "history and sweep");
    assert!(
        out.stderr.contains("checked 2500 of 2500"),
        "{}",
        out.stderr
    );
    let both: BTreeSet<String> = out
        .stdout
        .lines()
        .map(|l| l.trim_end_matches(" (recorded)").to_owned())
        .collect();
    assert_eq!(both, swept);
    cli::assert_no_key(&out.all(), "blockers from the history");
}
