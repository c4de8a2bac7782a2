//! The live change feed end to end: the sandbox posts its blocklist webhooks to a feed listener over
//! real HTTP on loopback; the listener checks signatures, turns pairs into events and never keeps the
//! poster waiting; bursts are found in the events; and webhook delivery never slows the sandbox.

mod common {
    pub mod harness;
}

use std::time::{Duration, Instant};

use blockdeck::feed::{
    self, BurstDetector, COMMAND_ADD, ChangeKind, FeedEvent, FeedMsg, Listener, Role,
};
use blockdeck::sandbox::{CallbackStats, CallbackTarget, Sandbox, Seed};
use common::harness::{self, SDKAPPID};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const TOKEN: &str = "T";
const ADD: &str = "sns/black_list_add";
const DELETE: &str = "sns/black_list_delete";
/// How long a test waits for something that should come at once.
const PATIENCE: Duration = Duration::from_secs(10);

fn accounts(ids: &[&str]) -> Seed {
    harness::seed(json!({
        "accounts": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
    }))
}

async fn listener(
    token: Option<&str>,
    sdkappid: Option<u64>,
) -> (Listener, mpsc::Receiver<FeedMsg>) {
    let (tx, mut rx) = blockdeck::feed::channel();
    let listener = Listener::start(harness::loopback(), token.map(str::to_owned), sdkappid, tx)
        .await
        .expect("listener starts");
    assert_eq!(next(&mut rx).await, FeedMsg::Listening(listener.addr()));
    (listener, rx)
}

async fn sandbox_posting_to(seed: Seed, url: &str, token: Option<&str>) -> Sandbox {
    let mut config = harness::config(seed);
    config.callback = Some(CallbackTarget {
        url: url.to_owned(),
        token: token.map(str::to_owned),
    });
    harness::start(config).await
}

async fn next(rx: &mut mpsc::Receiver<FeedMsg>) -> FeedMsg {
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .expect("a feed message in time")
        .expect("the feed is open")
}

async fn next_event(rx: &mut mpsc::Receiver<FeedMsg>) -> FeedEvent {
    match next(rx).await {
        FeedMsg::Event(e) => e,
        other => panic!("expected an event, got {other:?}"),
    }
}

/// Waits until the sandbox's webhook counters satisfy `done`.
async fn wait_for_stats(sb: &Sandbox, done: impl Fn(&CallbackStats) -> bool) -> CallbackStats {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let stats = sb.callback_stats().expect("a callback is configured");
        if done(&stats) {
            return stats;
        }
        assert!(
            Instant::now() < deadline,
            "webhook counters stuck at {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn change(
    client: &reqwest::Client,
    sb: &Sandbox,
    path: &str,
    from: &str,
    to: &[&str],
) -> Value {
    let resp = harness::call(
        client,
        sb,
        path,
        json!({"From_Account": from, "To_Account": to}),
    )
    .await;
    assert_eq!(resp["ActionStatus"], "OK", "{resp}");
    resp
}

/// A callback URL for `listener` with `time` and `sign` (when given) in its query.
fn callback_url(
    listener: &Listener,
    command: &str,
    time: Option<&str>,
    sign: Option<&str>,
) -> String {
    let mut url = format!(
        "{}?SdkAppid={SDKAPPID}&CallbackCommand={command}&contenttype=json&ClientIP=10.1.2.3&OptPlatform=Android",
        listener.url()
    );
    if let Some(time) = time {
        url.push_str(&format!("&RequestTime={time}"));
    }
    if let Some(sign) = sign {
        url.push_str(&format!("&Sign={sign}"));
    }
    url
}

fn pairs_body(command: &str, pairs: &[(&str, &str)]) -> String {
    json!({
        "CallbackCommand": command,
        "PairList": pairs
            .iter()
            .map(|(from, to)| json!({"From_Account": from, "To_Account": to}))
            .collect::<Vec<_>>(),
    })
    .to_string()
}

/// POSTs `body` and returns the JSON answer, which must come with status 200.
async fn answer(client: &reqwest::Client, url: &str, body: String) -> Value {
    let resp = client.post(url).body(body).send().await.expect("post sent");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("a JSON answer")
}

/// [`answer`], checking that it came within the service's 2 s.
async fn post(client: &reqwest::Client, url: &str, body: String) -> Value {
    let started = Instant::now();
    let answer = answer(client, url, body).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "answered in {took:?}");
    answer
}

fn now() -> u64 {
    blockdeck::tim::usersig::unix_now()
}

#[tokio::test]
async fn sandbox_changes_reach_the_listener() {
    let (listener, mut rx) = listener(Some(TOKEN), Some(SDKAPPID)).await;
    let sb = sandbox_posting_to(
        accounts(&["alice", "bob", "carol", "dave", "erin"]),
        &listener.url(),
        Some(TOKEN),
    )
    .await;
    let client = harness::http();

    // Two of three change (ghost does not exist): one webhook with the two.
    let resp = change(&client, &sb, ADD, "alice", &["bob", "carol", "ghost"]).await;
    assert_eq!(resp["Fail_Account"], json!(["ghost"]));
    // Nothing changes: no webhook.
    change(&client, &sb, ADD, "alice", &["bob"]).await;
    change(&client, &sb, ADD, "dave", &["alice"]).await;
    // One of two changes (erin is not on the list).
    let resp = change(&client, &sb, DELETE, "alice", &["bob", "erin"]).await;
    assert_eq!(resp["Fail_Account"], json!(["erin"]));

    let expected = [
        (ChangeKind::Block, "alice", "bob"),
        (ChangeKind::Block, "alice", "carol"),
        (ChangeKind::Block, "dave", "alice"),
        (ChangeKind::Unblock, "alice", "bob"),
    ];
    let before = now();
    for (kind, from, to) in expected {
        let e = next_event(&mut rx).await;
        assert_eq!(
            (e.kind, e.from.as_str(), e.to.as_str()),
            (kind, from, to),
            "{e:?}"
        );
        assert_eq!(e.platform, "RESTAPI");
        assert_eq!(e.client_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(e.sdkappid, Some(SDKAPPID));
        assert!(e.received.abs_diff(before) <= 5, "{e:?}");
    }
    // Three posts, all answered OK; the listener queued their events before answering, so nothing
    // else is on its way.
    let stats = wait_for_stats(&sb, |s| s.sent >= 3).await;
    assert_eq!(
        stats,
        CallbackStats {
            sent: 3,
            failed: 0,
            dropped: 0
        }
    );
    assert!(rx.try_recv().is_err(), "no more events");
    let stats: Value = client
        .get(format!("{}/sandbox/stats", sb.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["callbacks_sent"], 3, "{stats}");

    sb.stop().await.unwrap();
    listener.stop().await.unwrap();
}

#[tokio::test]
async fn bad_or_stale_signatures_are_refused() {
    let (listener, mut rx) = listener(Some(TOKEN), Some(SDKAPPID)).await;
    let client = harness::http();
    let body = || pairs_body(COMMAND_ADD, &[("mallory", "victim")]);
    let refused = |answer: &Value| {
        assert_eq!(
            *answer,
            json!({"ActionStatus": "FAIL", "ErrorCode": 1, "ErrorInfo": "bad signature"})
        );
    };

    let time = now().to_string();
    let forged = feed::sign("not the token", &time);
    refused(
        &post(
            &client,
            &callback_url(&listener, COMMAND_ADD, Some(&time), Some(&forged)),
            body(),
        )
        .await,
    );
    let FeedMsg::Rejected {
        reason,
        client: from,
    } = next(&mut rx).await
    else {
        panic!("expected Rejected")
    };
    assert!(reason.contains("Sign"), "{reason}");
    assert_eq!(from.as_deref(), Some("127.0.0.1"));

    // Rightly signed, but ten minutes old: a replay.
    let old = (now() - 600).to_string();
    let sign = feed::sign(TOKEN, &old);
    refused(
        &post(
            &client,
            &callback_url(&listener, COMMAND_ADD, Some(&old), Some(&sign)),
            body(),
        )
        .await,
    );
    let FeedMsg::Rejected { reason, .. } = next(&mut rx).await else {
        panic!("expected Rejected")
    };
    assert!(reason.contains("old"), "{reason}");

    // No signature at all.
    refused(
        &post(
            &client,
            &callback_url(&listener, COMMAND_ADD, None, None),
            body(),
        )
        .await,
    );
    assert!(matches!(next(&mut rx).await, FeedMsg::Rejected { .. }));

    // Another app's callback.
    let sign = feed::sign(TOKEN, &time);
    let other_app = callback_url(&listener, COMMAND_ADD, Some(&time), Some(&sign))
        .replace(&format!("SdkAppid={SDKAPPID}"), "SdkAppid=1400000001");
    let answer = post(&client, &other_app, body()).await;
    assert_eq!(answer["ActionStatus"], "FAIL");
    assert!(matches!(next(&mut rx).await, FeedMsg::Rejected { .. }));

    // A good one goes through, and is the very next message: the refused ones made no event.
    let good = callback_url(&listener, COMMAND_ADD, Some(&time), Some(&sign));
    let answer = post(&client, &good, pairs_body(COMMAND_ADD, &[("alice", "bob")])).await;
    assert_eq!(
        answer,
        json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""})
    );
    let e = next_event(&mut rx).await;
    assert_eq!(
        (e.from.as_str(), e.to.as_str(), e.kind),
        ("alice", "bob", ChangeKind::Block)
    );
    assert_eq!(e.platform, "Android");
    assert_eq!(e.client_ip.as_deref(), Some("10.1.2.3"));

    listener.stop().await.unwrap();
    assert!(rx.try_recv().is_err());
}

#[tokio::test]
async fn unsigned_posts_are_accepted_without_a_token() {
    let (listener, mut rx) = listener(None, None).await;
    let client = harness::http();
    // Whatever the Content-Type says, the body is read as JSON.
    let resp = client
        .post(callback_url(
            &listener,
            "Sns.CallbackBlackListDelete",
            None,
            None,
        ))
        .header("content-type", "text/plain")
        .body(pairs_body(
            "Sns.CallbackBlackListDelete",
            &[("alice", "bob")],
        ))
        .send()
        .await
        .unwrap();
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["ActionStatus"], "OK");
    let e = next_event(&mut rx).await;
    assert_eq!(
        (e.kind, e.from.as_str(), e.to.as_str()),
        (ChangeKind::Unblock, "alice", "bob")
    );

    // An unsigned sandbox posting to it is heard too.
    let sb = sandbox_posting_to(accounts(&["alice", "bob"]), &listener.url(), None).await;
    change(&harness::http(), &sb, ADD, "alice", &["bob"]).await;
    let e = next_event(&mut rx).await;
    assert_eq!(
        (e.kind, e.from.as_str(), e.to.as_str()),
        (ChangeKind::Block, "alice", "bob")
    );
    sb.stop().await.unwrap();
    listener.stop().await.unwrap();
}

#[tokio::test]
async fn a_burst_of_blocks_is_reported_once() {
    let (listener, mut rx) = listener(Some(TOKEN), Some(SDKAPPID)).await;
    let victims: Vec<String> = (0..25).map(|i| format!("victim{i:02}")).collect();
    let mut ids: Vec<&str> = victims.iter().map(String::as_str).collect();
    ids.push("spammer");
    let sb = sandbox_posting_to(accounts(&ids), &listener.url(), Some(TOKEN)).await;
    let client = harness::http();
    for victim in &victims {
        change(&client, &sb, ADD, "spammer", &[victim.as_str()]).await;
    }

    let mut detector = BurstDetector::default();
    let mut bursts = Vec::new();
    for _ in &victims {
        let e = next_event(&mut rx).await;
        bursts.extend(detector.observe(&e, Instant::now()));
    }
    assert_eq!(bursts.len(), 1, "{bursts:?}");
    let burst = &bursts[0];
    assert_eq!(burst.account, "spammer");
    assert_eq!(burst.role, Role::Blocking);
    assert_eq!(burst.kind, ChangeKind::Block);
    assert_eq!(burst.count, 20);
    assert_eq!(burst.window_secs, 60);
    sb.stop().await.unwrap();
    listener.stop().await.unwrap();
}

#[tokio::test]
async fn listener_answers_at_once_while_the_consumer_is_slow() {
    let (listener, mut rx) = listener(Some(TOKEN), None).await;
    let client = harness::http();
    let pairs: Vec<(String, String)> = (0..100)
        .map(|i| ("a".to_owned(), format!("b{i}")))
        .collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    // Nobody reads the channel while 100 posts of 100 pairs arrive over some 2.5 s.
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let time = now().to_string();
        let url = callback_url(
            &listener,
            COMMAND_ADD,
            Some(&time),
            Some(&feed::sign(TOKEN, &time)),
        );
        let answer = post(&client, &url, pairs_body(COMMAND_ADD, &pairs)).await;
        assert_eq!(answer["ActionStatus"], "OK");
    }
    // All of them were kept.
    for i in 0..10_000 {
        let e = next_event(&mut rx).await;
        assert_eq!(e.to, format!("b{}", i % 100));
    }
    listener.stop().await.unwrap();
}

#[tokio::test]
async fn unreachable_callback_url_does_not_slow_the_sandbox() {
    let sb = sandbox_posting_to(
        accounts(&["alice", "bob", "carol"]),
        "http://127.0.0.1:1/",
        Some(TOKEN),
    )
    .await;
    let client = harness::http();
    for round in 0..10 {
        for (path, items) in [(ADD, ["bob", "carol"]), (DELETE, ["bob", "carol"])] {
            let started = Instant::now();
            let resp = change(&client, &sb, path, "alice", &items).await;
            let took = started.elapsed();
            assert!(resp.get("Fail_Account").is_none(), "{resp}");
            assert!(
                took < Duration::from_millis(500),
                "round {round}: {path} took {took:?}"
            );
        }
    }
    // The posts fail, and are counted.
    let stats = wait_for_stats(&sb, |s| s.failed > 0).await;
    assert_eq!(stats.sent, 0, "{stats:?}");
    tokio::time::timeout(Duration::from_secs(5), sb.stop())
        .await
        .expect("stop returns")
        .unwrap();
}

#[tokio::test]
async fn silent_receiver_does_not_slow_the_sandbox_or_its_stop() {
    // Accepts connections and never answers: every post waits for its 2 s timeout.
    let hole = tokio::net::TcpListener::bind(harness::loopback())
        .await
        .unwrap();
    let url = format!("http://{}/", hole.local_addr().unwrap());
    let sb = sandbox_posting_to(accounts(&["alice", "bob"]), &url, Some(TOKEN)).await;
    let client = harness::http();
    for _ in 0..20 {
        let started = Instant::now();
        change(&client, &sb, ADD, "alice", &["bob"]).await;
        change(&client, &sb, DELETE, "alice", &["bob"]).await;
        let took = started.elapsed();
        assert!(took < Duration::from_secs(1), "two calls took {took:?}");
    }
    // Stopping does not wait for the posts still queued or in flight.
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), sb.stop())
        .await
        .expect("stop returns")
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stop took {:?}",
        started.elapsed()
    );
    drop(hole);
}

/// Under a flood the listener holds at most its queue: posts beyond it are answered with an
/// error (the service retries them) and counted as shed. Posts with IDs that are not UserIDs,
/// with more pairs than the service sends, or with oversized bodies are refused whole.
#[tokio::test]
async fn a_flood_is_bounded_and_bad_posts_are_refused_whole() {
    let (listener, mut rx) = listener(None, None).await;
    let client = harness::http();
    let url = callback_url(&listener, "Sns.CallbackBlackListAdd", None, None);
    let ids: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("flood_{i:04}"), "victim".to_owned()))
        .collect();
    let pairs: Vec<(&str, &str)> = ids.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let body = pairs_body("Sns.CallbackBlackListAdd", &pairs);
    let (mut accepted, mut busy) = (0, 0);
    // 30 posts of 1,000 pairs, nobody reading the feed.
    for _ in 0..30 {
        let resp = client.post(&url).body(body.clone()).send().await.unwrap();
        match resp.status().as_u16() {
            200 => accepted += 1,
            503 => busy += 1,
            other => panic!("status {other}"),
        }
    }
    assert_eq!(
        accepted,
        blockdeck::feed::FEED_QUEUE / 1000,
        "the queue's worth"
    );
    assert_eq!(busy, 30 - accepted);
    let shed = listener.shed().load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(shed, busy as u64 * 1000);
    let mut held = 0;
    while let Ok(msg) = rx.try_recv() {
        assert!(matches!(msg, FeedMsg::Event(_)), "{msg:?}");
        held += 1;
    }
    assert_eq!(held, blockdeck::feed::FEED_QUEUE);

    // Refused whole: an ID that is not a UserID, too many pairs, an oversized body.
    let long = "x".repeat(33);
    let bad = pairs_body(
        "Sns.CallbackBlackListAdd",
        &[("alice", "bob"), (&long, "bob")],
    );
    let refused = answer(&client, &url, bad).await;
    assert_eq!(refused["ActionStatus"], "FAIL", "{refused}");
    let many: Vec<(String, String)> = (0..1001)
        .map(|i| (format!("u{i}"), "v".to_owned()))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let refused = answer(&client, &url, pairs_body("Sns.CallbackBlackListAdd", &many)).await;
    assert_eq!(refused["ActionStatus"], "FAIL", "{refused}");
    let huge = format!(
        "{{\"PairList\": [], \"pad\": \"{}\"}}",
        "y".repeat(300 * 1024)
    );
    let resp = client.post(&url).body(huge).send().await.unwrap();
    assert_eq!(resp.status(), 413);
    // Nothing of the refused posts reached the feed (only the refusal notices).
    while let Ok(msg) = rx.try_recv() {
        assert!(matches!(msg, FeedMsg::Rejected { .. }), "{msg:?}");
    }
}
