//! The live feed end to end: changes made through the CLI (another client) reach a blockdeck webhook
//! listener through the sandbox's webhooks; forged webhooks are refused; a burst is flagged.

mod common {
    pub mod cli;
    pub mod harness;
}

use std::time::{Duration, Instant};

use blockdeck::feed::{BurstDetector, ChangeKind, FeedEvent, FeedMsg, Listener, Role};
use blockdeck::sandbox::CallbackTarget;
use common::cli::{LocalSandbox, Workspace, run};
use common::harness;
use serde_json::json;
use tokio::sync::mpsc;

const TOKEN: &str = "feed-token-for-tests";

fn seed() -> blockdeck::sandbox::Seed {
    let mut accounts = vec![json!({"id": "alice"})];
    accounts.extend((0..30).map(|i| json!({"id": format!("b{i:02}")})));
    harness::seed(json!({ "accounts": accounts }))
}

/// Collects feed messages until `done` says so or 10 s pass.
fn collect(
    rt: &tokio::runtime::Runtime,
    rx: &mut mpsc::Receiver<FeedMsg>,
    done: impl Fn(&[FeedEvent], &[String]) -> bool,
) -> (Vec<FeedEvent>, Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut events, mut rejected) = (Vec::new(), Vec::new());
    while !done(&events, &rejected) && Instant::now() < deadline {
        match rt
            .block_on(async { tokio::time::timeout(Duration::from_millis(200), rx.recv()).await })
        {
            Ok(Some(FeedMsg::Event(e))) => events.push(e),
            Ok(Some(FeedMsg::Rejected { reason, .. })) => rejected.push(reason),
            Ok(Some(FeedMsg::Listening(_))) | Err(_) => {}
            Ok(Some(other)) => panic!("a listener sends no {other:?}"),
            Ok(None) => break,
        }
    }
    (events, rejected)
}

#[test]
fn changes_made_with_the_cli_reach_the_feed() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (tx, mut rx) = blockdeck::feed::channel();
    let listener = rt
        .block_on(Listener::start(
            "127.0.0.1:0".parse().unwrap(),
            Some(TOKEN.to_owned()),
            Some(harness::SDKAPPID),
            tx,
        ))
        .unwrap();
    let mut config = harness::config(seed());
    config.callback = Some(CallbackTarget {
        url: listener.url(),
        token: Some(TOKEN.to_owned()),
    });
    let sandbox = LocalSandbox::start(config);
    let ws = Workspace::new();

    // Three blocks and one unblock, through the CLI.
    run(ws.cmd(
        &sandbox.url(),
        &["block", "alice", "b00", "b01", "b02", "--yes"],
    ))
    .assert_code(0, "block");
    run(ws.cmd(&sandbox.url(), &["unblock", "alice", "b01", "--yes"])).assert_code(0, "unblock");
    let (events, rejected) = collect(&rt, &mut rx, |e, _| e.len() >= 4);
    assert!(rejected.is_empty(), "{rejected:?}");
    let mut seen: Vec<(ChangeKind, &str, &str)> = events
        .iter()
        .map(|e| (e.kind, e.from.as_str(), e.to.as_str()))
        .collect();
    seen.sort_by_key(|(k, _, to)| (*k == ChangeKind::Unblock, *to));
    assert_eq!(
        seen,
        [
            (ChangeKind::Block, "alice", "b00"),
            (ChangeKind::Block, "alice", "b01"),
            (ChangeKind::Block, "alice", "b02"),
            (ChangeKind::Unblock, "alice", "b01"),
        ]
    );
    assert!(events.iter().all(|e| e.platform == "RESTAPI"), "{events:?}");

    // A webhook with a forged signature is refused and produces no event.
    let forged = format!(
        "{}?SdkAppid={}&CallbackCommand=Sns.CallbackBlackListAdd&contenttype=json&ClientIP=127.0.0.1\
         &OptPlatform=Web&RequestTime={}&Sign=0000",
        listener.url(),
        harness::SDKAPPID,
        blockdeck::tim::usersig::unix_now()
    );
    let body = json!({"CallbackCommand": "Sns.CallbackBlackListAdd",
                      "PairList": [{"From_Account": "mallory", "To_Account": "alice"}]});
    let answer: serde_json::Value = rt.block_on(async {
        blockdeck::client::http::install_crypto_provider();
        reqwest::Client::new()
            .post(forged)
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(answer["ActionStatus"], "FAIL", "{answer}");
    let (events, rejected) = collect(&rt, &mut rx, |_, r| !r.is_empty());
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(rejected.len(), 1, "{rejected:?}");

    // A burst: 25 blocks by one account in one batch is flagged once.
    let ids: Vec<String> = (5..30).map(|i| format!("b{i:02}")).collect();
    let mut args = vec!["block", "alice"];
    args.extend(ids.iter().map(String::as_str));
    args.push("--yes");
    run(ws.cmd(&sandbox.url(), &args)).assert_code(0, "burst");
    let (events, _) = collect(&rt, &mut rx, |e, _| e.len() >= 25);
    assert_eq!(events.len(), 25);
    let mut detector = BurstDetector::default();
    let now = Instant::now();
    let bursts: Vec<_> = events
        .iter()
        .flat_map(|e| detector.observe(e, now))
        .collect();
    assert_eq!(bursts.len(), 1, "{bursts:?}");
    assert_eq!(
        (bursts[0].account.as_str(), bursts[0].role),
        ("alice", Role::Blocking)
    );

    rt.block_on(listener.stop()).unwrap();
}
