//! The sandbox over real HTTP on loopback: authentication, body rules, the four blocklist calls and
//! the related friend, account and profile calls, per-API rate limits, injected faults, the state
//! file, and the request samples of the seed documents.

mod common {
    pub mod harness;
    pub mod samples;
}

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use blockdeck::sandbox::{Sandbox, SandboxConfig, Seed};
use blockdeck::secret::SecretKey;
use blockdeck::tim::usersig;
use common::harness::{self, ADMIN, SDKAPPID};
use common::samples::{self, SeedApi};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::task::JoinSet;

const ADD: &str = "sns/black_list_add";
const DELETE: &str = "sns/black_list_delete";
const GET: &str = "sns/black_list_get";
const CHECK: &str = "sns/black_list_check";
const FRIEND_CHECK: &str = "sns/friend_check";
const FRIEND_GET: &str = "sns/friend_get";
const ACCOUNT_CHECK: &str = "im_open_login_svc/account_check";
const PORTRAIT_GET: &str = "profile/portrait_get";

const BOTH: &str = "BlackCheckResult_Type_Both";
const SINGLE: &str = "BlackCheckResult_Type_Single";
const ALREADY_EXIST: &str = "Err_SNS_BlackListAdd_Already_Exist";
const NOT_EXIST: &str = "Err_SNS_BlackListDelete_Not_Exist";

// ------------------------------------------------------------------------------------- helpers

/// A seed of plain accounts (no nickname) plus friendships and blocks given as `(from, to, time)`.
fn small_seed(ids: &[&str], friends: &[(&str, &str, u64)], blocks: &[(&str, &str, u64)]) -> Seed {
    let edges = |list: &[(&str, &str, u64)]| -> Vec<Value> {
        list.iter()
            .map(|(from, to, time)| json!({"from": from, "to": to, "time": time}))
            .collect()
    };
    harness::seed(json!({
        "accounts": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
        "friends": edges(friends),
        "blocks": edges(blocks),
    }))
}

/// `count` IDs `{prefix}0000`, `{prefix}0001`, ...
fn numbered(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i:04}")).collect()
}

/// A seed with `owner` and the accounts `targets`, owner blocking `blocked` of them in order
/// (times `base + i`).
fn crowd_seed(owner: &str, targets: &[String], blocked: usize, base: u64) -> Seed {
    let mut accounts = vec![json!({"id": owner})];
    accounts.extend(targets.iter().map(|id| json!({"id": id})));
    let blocks: Vec<Value> = targets
        .iter()
        .take(blocked)
        .enumerate()
        .map(|(i, to)| json!({"from": owner, "to": to, "time": base + i as u64}))
        .collect();
    harness::seed(json!({"accounts": accounts, "friends": [], "blocks": blocks}))
}

fn url(sb: &Sandbox, path: &str) -> String {
    format!(
        "{}/v4/{path}?{}",
        sb.base_url(),
        harness::query(&harness::sig())
    )
}

/// POSTs `body` to `url` with an optional Content-Type; returns the status and the body text.
async fn post_text(
    client: &reqwest::Client,
    url: &str,
    body: String,
    content_type: Option<&str>,
) -> (u16, String) {
    let mut request = client.post(url).body(body);
    if let Some(ct) = content_type {
        request = request.header("Content-Type", ct);
    }
    let resp = request.send().await.expect("request sent");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("response body"))
}

/// [`post_text`] with the answer parsed as JSON (a string value when it is not JSON).
async fn post(client: &reqwest::Client, url: &str, body: String) -> (u16, Value) {
    let (status, text) = post_text(client, url, body, None).await;
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}

fn assert_ok(v: &Value) {
    assert_eq!(v["ActionStatus"], "OK", "{v}");
    assert_eq!(v["ErrorCode"], 0, "{v}");
}

fn assert_fail(status: u16, v: &Value, code: i64, case: &str) {
    assert_eq!(status, 200, "{case}: HTTP status; body {v}");
    assert_eq!(v["ActionStatus"], "FAIL", "{case}: {v}");
    assert_eq!(v["ErrorCode"], code, "{case}: {v}");
    assert!(
        v["ErrorInfo"].as_str().is_some_and(|s| !s.is_empty()),
        "{case}: ErrorInfo explains the failure: {v}"
    );
}

/// `(To_Account, ResultCode, ResultInfo)` of every item of the array `key`.
fn items(v: &Value, key: &str) -> Vec<(String, i64, String)> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is an array: {v}"))
        .iter()
        .map(|item| {
            (
                item["To_Account"].as_str().expect("To_Account").to_owned(),
                item["ResultCode"].as_i64().expect("ResultCode"),
                item["ResultInfo"].as_str().expect("ResultInfo").to_owned(),
            )
        })
        .collect()
}

/// `(To_Account, Relation, ResultCode)` of every item of the array `key`.
fn relations(v: &Value, key: &str) -> Vec<(String, String, i64)> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is an array: {v}"))
        .iter()
        .map(|item| {
            (
                item["To_Account"].as_str().expect("To_Account").to_owned(),
                item["Relation"].as_str().expect("Relation").to_owned(),
                item["ResultCode"].as_i64().expect("ResultCode"),
            )
        })
        .collect()
}

/// `Fail_Account`, or `None` when the key is absent.
fn fail_account(v: &Value) -> Option<Vec<String>> {
    v.get("Fail_Account").map(|list| {
        list.as_array()
            .unwrap_or_else(|| panic!("Fail_Account is an array: {v}"))
            .iter()
            .map(|id| id.as_str().expect("Fail_Account entry").to_owned())
            .collect()
    })
}

fn owned(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

async fn add<S: Serialize>(c: &reqwest::Client, sb: &Sandbox, from: &str, to: &[S]) -> Value {
    harness::call(c, sb, ADD, json!({"From_Account": from, "To_Account": to})).await
}

async fn delete<S: Serialize>(c: &reqwest::Client, sb: &Sandbox, from: &str, to: &[S]) -> Value {
    harness::call(
        c,
        sb,
        DELETE,
        json!({"From_Account": from, "To_Account": to}),
    )
    .await
}

async fn get_page(c: &reqwest::Client, sb: &Sandbox, from: &str, start: u64, max: u64) -> Value {
    harness::call(
        c,
        sb,
        GET,
        json!({"From_Account": from, "StartIndex": start, "MaxLimited": max, "LastSequence": 0}),
    )
    .await
}

async fn check(
    c: &reqwest::Client,
    sb: &Sandbox,
    path: &str,
    from: &str,
    to: &[&str],
    check_type: &str,
) -> Value {
    harness::call(
        c,
        sb,
        path,
        json!({"From_Account": from, "To_Account": to, "CheckType": check_type}),
    )
    .await
}

/// `(To_Account, AddBlackTimeStamp)` of one black_list_get page.
fn entries(page: &Value) -> Vec<(String, u64)> {
    page.get("BlackListItem")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|e| {
                    (
                        e["To_Account"].as_str().expect("To_Account").to_owned(),
                        e["AddBlackTimeStamp"].as_u64().expect("AddBlackTimeStamp"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The whole blocklist of `from`, paging by 100 until `StartIndex` comes back 0.
async fn list_all(c: &reqwest::Client, sb: &Sandbox, from: &str) -> Vec<(String, u64)> {
    let mut all = Vec::new();
    let mut start = 0;
    for _ in 0..20 {
        let page = get_page(c, sb, from, start, 100).await;
        assert_ok(&page);
        all.extend(entries(&page));
        start = page["StartIndex"].as_u64().expect("StartIndex");
        if start == 0 {
            return all;
        }
    }
    panic!("the blocklist of {from} did not end within 20 pages");
}

fn ids_of(list: &[(String, u64)]) -> Vec<String> {
    list.iter().map(|(id, _)| id.clone()).collect()
}

fn sequence(page: &Value) -> u64 {
    page["CurruentSequence"]
        .as_u64()
        .unwrap_or_else(|| panic!("CurruentSequence: {page}"))
}

fn blocklist(sb: &Sandbox, from: &str) -> Vec<String> {
    sb.with_store(|s| s.blocklist(from))
}

/// The blocklist sequence of `id` as the store reports it.
fn stored_sequence(sb: &Sandbox, id: &str) -> u64 {
    sb.snapshot()
        .sequences
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.blocklist)
        .unwrap_or_else(|| panic!("no sequence for {id}"))
}

/// Sends `n` copies of a call at once; returns each answer's `ErrorCode` (all with HTTP 200).
async fn burst(client: &reqwest::Client, url: &str, body: &Value, n: usize) -> Vec<i64> {
    let mut tasks = JoinSet::new();
    for _ in 0..n {
        let (client, url, body) = (client.clone(), url.to_owned(), body.to_string());
        tasks.spawn(async move { post(&client, &url, body).await });
    }
    let mut codes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (status, v) = joined.expect("task");
        assert_eq!(status, 200, "{v}");
        codes.push(v["ErrorCode"].as_i64().expect("ErrorCode"));
    }
    codes
}

/// Opens `n` keep-alive connections to the sandbox with calls that no limiter counts, so that
/// a following burst does not pay for connection set-up.
async fn warm_up(client: &reqwest::Client, sb: &Sandbox, n: usize) {
    let codes = burst(client, &url(sb, "sns/not_a_call"), &json!({}), n).await;
    assert!(codes.iter().all(|&c| c == 60009), "{codes:?}");
}

// ---------------------------------------------------------------------------------- auth

#[tokio::test]
async fn auth_failures_answer_their_codes() {
    let sb = harness::start(harness::config(small_seed(&["a", "b", "alice"], &[], &[]))).await;
    let client = harness::http();
    let key = harness::key();
    let other_key = SecretKey::new("f".repeat(64)).unwrap();
    let now = usersig::unix_now();
    let good = harness::sig();
    let q = |sdkappid: &str, identifier: &str, sig: &str, random: &str| {
        let mut parts = Vec::new();
        for (k, v) in [
            ("sdkappid", sdkappid),
            ("identifier", identifier),
            ("usersig", sig),
            ("random", random),
        ] {
            if v != "-" {
                parts.push(format!("{k}={v}"));
            }
        }
        parts.push("contenttype=json".to_owned());
        parts.join("&")
    };
    let app = SDKAPPID.to_string();
    let cases: Vec<(&str, String, i64)> = vec![
        ("no sdkappid", q("-", ADMIN, &good, "1"), 60012),
        ("empty sdkappid", q("", ADMIN, &good, "1"), 60012),
        (
            "another sdkappid",
            q("1400000001", ADMIN, &good, "1"),
            60006,
        ),
        ("non-numeric sdkappid", q("abc", ADMIN, &good, "1"), 60006),
        ("no identifier", q(&app, "-", &good, "1"), 60004),
        ("empty identifier", q(&app, "", &good, "1"), 60004),
        ("no usersig", q(&app, ADMIN, "-", "1"), 70002),
        ("empty usersig", q(&app, ADMIN, "", "1"), 70002),
        ("garbage usersig", q(&app, ADMIN, "garbage", "1"), 70003),
        (
            "usersig signed with another key",
            q(
                &app,
                ADMIN,
                &usersig::sign_now(&other_key, SDKAPPID, ADMIN, 3600),
                "1",
            ),
            70009,
        ),
        (
            "usersig for another identifier",
            q(
                &app,
                ADMIN,
                &usersig::sign_now(&key, SDKAPPID, "someone_else", 3600),
                "1",
            ),
            70013,
        ),
        (
            "usersig for another sdkappid",
            q(
                &app,
                ADMIN,
                &usersig::sign_now(&key, SDKAPPID + 1, ADMIN, 3600),
                "1",
            ),
            70014,
        ),
        (
            "expired usersig",
            q(
                &app,
                ADMIN,
                &usersig::sign(&key, SDKAPPID, ADMIN, 60, now - 3600),
                "1",
            ),
            70001,
        ),
        (
            "non-admin identifier",
            q(
                &app,
                "alice",
                &usersig::sign_now(&key, SDKAPPID, "alice", 3600),
                "1",
            ),
            60010,
        ),
        ("no random", q(&app, ADMIN, &good, "-"), 60002),
        ("non-numeric random", q(&app, ADMIN, &good, "abc"), 60002),
        (
            "random above u32",
            q(&app, ADMIN, &good, "4294967296"),
            60002,
        ),
        ("negative random", q(&app, ADMIN, &good, "-1"), 60002),
    ];
    let body = json!({"From_Account": "a", "To_Account": ["b"]}).to_string();
    for (case, query, code) in &cases {
        let (status, v) = harness::raw(&client, &sb, ADD, query, &body).await;
        assert_fail(status, &v, *code, case);
    }
    for (case, contenttype) in [("contenttype xml", "xml"), ("contenttype form", "form")] {
        let query = q(&app, ADMIN, &good, "1")
            .replace("contenttype=json", &format!("contenttype={contenttype}"));
        let (status, v) = harness::raw(&client, &sb, ADD, &query, &body).await;
        assert_fail(status, &v, 60002, case);
    }
    assert!(blocklist(&sb, "a").is_empty(), "no failed call applied");

    // The boundary values of `random` are accepted.
    let get = json!({"From_Account": "a", "StartIndex": 0, "MaxLimited": 10}).to_string();
    for random in ["0", "4294967295"] {
        let query = q(&app, ADMIN, &good, random);
        let (status, v) = harness::raw(&client, &sb, GET, &query, &get).await;
        assert_eq!(status, 200);
        assert_ok(&v);
    }
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn unknown_paths_answer_60009() {
    let sb = harness::start(harness::config(small_seed(&["a"], &[], &[]))).await;
    let client = harness::http();
    let query = harness::query(&harness::sig());
    for path in [
        format!("/v4/sns/black_list_nope?{query}"),
        format!("/v4/nope/black_list_get?{query}"),
        format!("/v4/sns/black_list_get/extra?{query}"),
        format!("/v3/sns/black_list_get?{query}"),
        "/".to_owned(),
        "/favicon.ico".to_owned(),
    ] {
        let (status, v) = post(&client, &format!("{}{path}", sb.base_url()), "{}".into()).await;
        assert_fail(status, &v, 60009, &path);
    }
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn bad_signatures_lock_the_identifier_out() {
    let mut config = harness::config(small_seed(&["a", "b"], &[], &[]));
    config.lockout_after = 3;
    let sb = harness::start(config).await;
    let client = harness::http();
    let other_key = SecretKey::new("0".repeat(64)).unwrap();
    let bad = harness::query(&usersig::sign_now(&other_key, SDKAPPID, ADMIN, 3600));
    let good = harness::query(&harness::sig());
    let body = json!({"From_Account": "a", "StartIndex": 0, "MaxLimited": 10}).to_string();

    for i in 0..2 {
        let (status, v) = harness::raw(&client, &sb, GET, &bad, &body).await;
        assert_fail(status, &v, 70009, &format!("bad signature {i}"));
    }
    // Below the threshold a valid call still goes through.
    let (_, v) = harness::raw(&client, &sb, GET, &good, &body).await;
    assert_ok(&v);

    let (status, v) = harness::raw(&client, &sb, GET, &bad, &body).await;
    assert_fail(status, &v, 70009, "third bad signature");
    // Locked: even a valid UserSig is refused, on every API.
    for path in [GET, ADD, ACCOUNT_CHECK] {
        let (status, v) = harness::raw(&client, &sb, path, &good, &body).await;
        assert_fail(status, &v, 70050, path);
    }
    sb.stop().await.unwrap();
}

// ---------------------------------------------------------------------------------- bodies

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_refused() {
    let targets = numbered("u", 1001);
    let sb = harness::start(harness::config(crowd_seed("a", &targets, 0, 0))).await;
    let client = harness::http();
    let too_many = json!({"From_Account": "a", "To_Account": targets}).to_string();
    let hundred_and_one: Vec<Value> = targets[..101]
        .iter()
        .map(|id| json!({"UserID": id}))
        .collect();
    let cases: Vec<(&str, &str, String, i64)> = vec![
        ("truncated JSON", ADD, r#"{"From_Account": "a", "#.into(), 60003),
        ("not JSON at all", ADD, "From_Account=a".into(), 60003),
        ("empty body", GET, String::new(), 60003),
        ("array body", ADD, "[]".into(), 60003),
        ("string body", ADD, r#""a""#.into(), 60003),
        (
            "From_Account a number",
            ADD,
            r#"{"From_Account": 12345, "To_Account": ["u0000"]}"#.into(),
            60015,
        ),
        (
            "From_Account a number (get)",
            GET,
            r#"{"From_Account": 12345, "StartIndex": 0, "MaxLimited": 10}"#.into(),
            60015,
        ),
        (
            "To_Account holding a number",
            ADD,
            r#"{"From_Account": "a", "To_Account": ["u0000", 7]}"#.into(),
            60015,
        ),
        (
            "To_Account holding null",
            DELETE,
            r#"{"From_Account": "a", "To_Account": [null]}"#.into(),
            60015,
        ),
        (
            "To_Account holding an object",
            CHECK,
            r#"{"From_Account": "a", "To_Account": [{"id": "u0000"}], "CheckType": "BlackCheckResult_Type_Both"}"#.into(),
            60015,
        ),
        (
            "To_Account empty (add)",
            ADD,
            r#"{"From_Account": "a", "To_Account": []}"#.into(),
            30001,
        ),
        (
            "To_Account empty (delete)",
            DELETE,
            r#"{"From_Account": "a", "To_Account": []}"#.into(),
            30001,
        ),
        (
            "To_Account empty (check)",
            CHECK,
            r#"{"From_Account": "a", "To_Account": [], "CheckType": "BlackCheckResult_Type_Both"}"#
                .into(),
            30001,
        ),
        ("1001 To_Account (add)", ADD, too_many.clone(), 30001),
        ("1001 To_Account (delete)", DELETE, too_many, 30001),
        (
            "account_check of 101",
            ACCOUNT_CHECK,
            json!({"CheckItem": hundred_and_one}).to_string(),
            70206,
        ),
        (
            "account_check of none",
            ACCOUNT_CHECK,
            json!({"CheckItem": []}).to_string(),
            70206,
        ),
        (
            "portrait_get of 101",
            PORTRAIT_GET,
            json!({"To_Account": &targets[..101], "TagList": ["Tag_Profile_IM_Nick"]}).to_string(),
            40001,
        ),
        (
            "portrait_get without tags",
            PORTRAIT_GET,
            json!({"To_Account": ["a"], "TagList": []}).to_string(),
            40001,
        ),
    ];
    for (case, path, body, code) in cases {
        let (status, v) = post(&client, &url(&sb, path), body).await;
        assert_fail(status, &v, code, case);
    }
    assert!(blocklist(&sb, "a").is_empty(), "nothing applied");
    assert_eq!(stored_sequence(&sb, "a"), 0);

    // The largest batches allowed go through.
    let v = add(&client, &sb, "a", &targets[..1000]).await;
    assert_ok(&v);
    assert_eq!(fail_account(&v), None);
    let hundred: Vec<Value> = targets[..100]
        .iter()
        .map(|id| json!({"UserID": id}))
        .collect();
    let v = harness::call(&client, &sb, ACCOUNT_CHECK, json!({"CheckItem": hundred})).await;
    assert_ok(&v);
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn body_is_read_as_json_whatever_the_content_type() {
    let ids = ["a", "b", "c", "d", "e", "f"];
    let sb = harness::start(harness::config(small_seed(&ids, &[], &[]))).await;
    let client = harness::http();
    let types = [
        None,
        Some("text/plain"),
        Some("application/json"),
        Some("application/x-www-form-urlencoded"),
    ];
    for (content_type, to) in types.into_iter().zip(["b", "c", "d", "e"]) {
        let body = json!({"From_Account": "a", "To_Account": [to]}).to_string();
        let (status, text) = post_text(&client, &url(&sb, ADD), body, content_type).await;
        assert_eq!(status, 200, "{content_type:?}: {text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_ok(&v);
        assert_eq!(
            items(&v, "ResultItem"),
            vec![(to.to_owned(), 0, String::new())]
        );
    }
    // A byte-order mark and no-break spaces between tokens, as pasted from a web page.
    let pasted =
        "\u{feff}{\u{a0}\"From_Account\":\u{a0}\"a\",\n\u{a0}\u{a0}\"To_Account\":[\"f\"]}";
    let (status, text) = post_text(&client, &url(&sb, ADD), pasted.into(), None).await;
    assert_eq!(status, 200, "{text}");
    assert_ok(&serde_json::from_str(&text).unwrap());
    assert_eq!(blocklist(&sb, "a"), owned(&["b", "c", "d", "e", "f"]));
    sb.stop().await.unwrap();
}

// -------------------------------------------------------------------------- black_list_add

#[tokio::test]
async fn add_reports_each_item() {
    let sb = harness::start(harness::config(small_seed(
        &["a", "b", "c", "d", "e"],
        &[],
        &[("a", "c", 1_760_000_000)],
    )))
    .await;
    let client = harness::http();

    let v = add(&client, &sb, "a", &["b", "c", "zz", "b"]).await;
    assert_ok(&v);
    assert_eq!(
        items(&v, "ResultItem"),
        vec![
            ("b".into(), 0, String::new()),
            ("c".into(), 30001, ALREADY_EXIST.into()),
            ("zz".into(), 30003, "Err_SNS_Account_Not_Exist".into()),
            ("b".into(), 30001, ALREADY_EXIST.into()),
        ]
    );
    assert_eq!(fail_account(&v), Some(owned(&["c", "zz", "b"])));

    // Nothing failed: no Fail_Account key at all.
    let v = add(&client, &sb, "a", &["d", "e"]).await;
    assert_ok(&v);
    assert_eq!(fail_account(&v), None, "{v}");
    assert_eq!(
        items(&v, "ResultItem"),
        vec![
            ("d".into(), 0, String::new()),
            ("e".into(), 0, String::new())
        ]
    );

    // Only failures: the call still succeeds as a whole.
    let v = add(&client, &sb, "a", &["b", "nobody"]).await;
    assert_ok(&v);
    assert_eq!(fail_account(&v), Some(owned(&["b", "nobody"])));

    // An unknown From_Account fails the whole call.
    let (status, v) = harness::raw(
        &client,
        &sb,
        ADD,
        &harness::query(&harness::sig()),
        &json!({"From_Account": "ghost", "To_Account": ["a"]}).to_string(),
    )
    .await;
    assert_fail(status, &v, 30003, "unknown From_Account");
    assert!(v.get("ResultItem").is_none(), "{v}");

    assert_eq!(blocklist(&sb, "a"), owned(&["c", "b", "d", "e"]));
    assert!(blocklist(&sb, "ghost").is_empty());
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn blocking_removes_friendship_both_ways() {
    let t = 1_750_000_000;
    let sb = harness::start(harness::config(small_seed(
        &["a", "b", "c", "d"],
        &[
            ("a", "b", t),
            ("b", "a", t),
            ("c", "a", t + 1),
            ("d", "b", t + 2),
            ("b", "d", t + 2),
        ],
        &[],
    )))
    .await;
    let client = harness::http();
    let fc = "CheckResult_Type_Both";
    let relation = |v: &Value| relations(v, "InfoItem")[0].1.clone();

    assert_eq!(
        relation(&check(&client, &sb, FRIEND_CHECK, "a", &["b"], fc).await),
        "CheckResult_Type_BothWay"
    );
    // b blocks a: the friendship is gone in both directions.
    assert_ok(&add(&client, &sb, "b", &["a"]).await);
    for (from, to) in [("a", "b"), ("b", "a")] {
        assert_eq!(
            relation(&check(&client, &sb, FRIEND_CHECK, from, &[to], fc).await),
            "CheckResult_Type_NoRelation",
            "{from} and {to}"
        );
    }

    // A one-way friendship (c has a) ends when a, the one not holding it, blocks c.
    assert_eq!(
        relation(&check(&client, &sb, FRIEND_CHECK, "c", &["a"], fc).await),
        "CheckResult_Type_AWithB"
    );
    assert_ok(&add(&client, &sb, "a", &["c"]).await);
    assert_eq!(
        relation(&check(&client, &sb, FRIEND_CHECK, "c", &["a"], fc).await),
        "CheckResult_Type_NoRelation"
    );

    // Unblocking does not restore a friendship, and other friendships are untouched.
    assert_ok(&delete(&client, &sb, "b", &["a"]).await);
    assert_eq!(
        relation(&check(&client, &sb, FRIEND_CHECK, "a", &["b"], fc).await),
        "CheckResult_Type_NoRelation"
    );
    assert_eq!(
        relation(&check(&client, &sb, FRIEND_CHECK, "d", &["b"], fc).await),
        "CheckResult_Type_BothWay"
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn full_demo_list_refuses_one_more() {
    let demo = Seed::demo();
    let on_list: BTreeSet<&str> = demo
        .blocks
        .iter()
        .filter(|e| e.from == "mod_full")
        .map(|e| e.to.as_str())
        .collect();
    assert_eq!(on_list.len(), 1000);
    let outsider = demo
        .accounts
        .iter()
        .map(|a| a.id.as_str())
        .find(|id| *id != "mod_full" && !on_list.contains(id))
        .expect("an account mod_full does not block")
        .to_owned();
    let listed = demo
        .blocks
        .iter()
        .find(|e| e.from == "mod_full")
        .unwrap()
        .to
        .clone();

    let sb = harness::start(harness::config(demo)).await;
    let client = harness::http();
    let v = add(&client, &sb, "mod_full", &[&outsider]).await;
    assert_ok(&v);
    assert_eq!(items(&v, "ResultItem")[0].1, 30013, "{v}");
    assert_eq!(fail_account(&v), Some(vec![outsider.clone()]));
    // An entry already on the full list is still reported as already there.
    let v = add(&client, &sb, "mod_full", &[&listed]).await;
    assert_eq!(
        items(&v, "ResultItem")[0],
        (listed.clone(), 30001, ALREADY_EXIST.to_owned())
    );

    let page = get_page(&client, &sb, "mod_full", 0, 1000).await;
    assert_ok(&page);
    assert_eq!(entries(&page).len(), 1000);
    assert_eq!(page["StartIndex"], 0);

    // Making room lets exactly one more in.
    assert_ok(&delete(&client, &sb, "mod_full", &[&listed]).await);
    let v = add(&client, &sb, "mod_full", &[&outsider, &listed]).await;
    assert_eq!(items(&v, "ResultItem")[0].1, 0, "{v}");
    assert_eq!(items(&v, "ResultItem")[1].1, 30013, "{v}");
    assert_eq!(list_all(&client, &sb, "mod_full").await.len(), 1000);
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn list_filled_through_the_api_stops_at_1000() {
    let targets = numbered("t", 1001);
    let sb = harness::start(harness::config(crowd_seed("owner", &targets, 0, 0))).await;
    let client = harness::http();

    let v = add(&client, &sb, "owner", &targets[..999]).await;
    assert_ok(&v);
    assert_eq!(fail_account(&v), None);
    // The 1000th fits, the 1001st in the same batch does not.
    let v = add(&client, &sb, "owner", &targets[999..]).await;
    assert_eq!(
        items(&v, "ResultItem"),
        vec![
            (targets[999].clone(), 0, String::new()),
            (
                targets[1000].clone(),
                30013,
                "Err_SNS_BlackListAdd_Count_Exceed_Limit".into()
            ),
        ]
    );
    assert_eq!(fail_account(&v), Some(vec![targets[1000].clone()]));
    let v = add(&client, &sb, "owner", &targets[1000..]).await;
    assert_eq!(items(&v, "ResultItem")[0].1, 30013);

    let all = list_all(&client, &sb, "owner").await;
    assert_eq!(ids_of(&all), targets[..1000].to_vec());
    sb.stop().await.unwrap();
}

// ----------------------------------------------------------------------- black_list_delete

#[tokio::test]
async fn delete_reports_each_item() {
    let sb = harness::start(harness::config(small_seed(
        &["a", "b", "c", "d"],
        &[],
        &[("a", "b", 1), ("a", "d", 2)],
    )))
    .await;
    let client = harness::http();

    let v = delete(&client, &sb, "a", &["b", "c", "zz"]).await;
    assert_ok(&v);
    assert_eq!(
        items(&v, "ResultItem"),
        vec![
            ("b".into(), 0, String::new()),
            ("c".into(), 30001, NOT_EXIST.into()),
            ("zz".into(), 30003, "Err_SNS_Account_Not_Exist".into()),
        ]
    );
    assert_eq!(fail_account(&v), Some(owned(&["c", "zz"])));
    assert_eq!(blocklist(&sb, "a"), owned(&["d"]));

    // Deleting it again: not on the list any more.
    let v = delete(&client, &sb, "a", &["b"]).await;
    assert_eq!(
        items(&v, "ResultItem"),
        vec![("b".into(), 30001, NOT_EXIST.into())]
    );

    let v = delete(&client, &sb, "a", &["d"]).await;
    assert_ok(&v);
    assert_eq!(fail_account(&v), None, "{v}");
    assert!(blocklist(&sb, "a").is_empty());

    let (status, v) = harness::raw(
        &client,
        &sb,
        DELETE,
        &harness::query(&harness::sig()),
        &json!({"From_Account": "ghost", "To_Account": ["a"]}).to_string(),
    )
    .await;
    assert_fail(status, &v, 30003, "unknown From_Account");
    sb.stop().await.unwrap();
}

// -------------------------------------------------------------------------- black_list_get

#[tokio::test]
async fn get_pages_in_the_order_added() {
    let targets = numbered("t", 250);
    let base = 1_760_000_000;
    let sb = harness::start(harness::config(crowd_seed("owner", &targets, 250, base))).await;
    let client = harness::http();

    let mut got = Vec::new();
    let mut starts = Vec::new();
    let mut start = 0;
    for _ in 0..10 {
        let page = get_page(&client, &sb, "owner", start, 100).await;
        assert_ok(&page);
        let page_entries = entries(&page);
        assert!(page_entries.len() <= 100);
        got.extend(page_entries);
        start = page["StartIndex"].as_u64().unwrap();
        starts.push(start);
        if start == 0 {
            break;
        }
    }
    assert_eq!(starts, vec![100, 200, 0]);
    let expected: Vec<(String, u64)> = targets
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), base + i as u64))
        .collect();
    assert_eq!(got, expected);

    // A page that ends exactly at the end of the list is the last one.
    let page = get_page(&client, &sb, "owner", 150, 100).await;
    assert_eq!(entries(&page), expected[150..250].to_vec());
    assert_eq!(page["StartIndex"], 0);
    let page = get_page(&client, &sb, "owner", 249, 1).await;
    assert_eq!(entries(&page), expected[249..].to_vec());
    assert_eq!(page["StartIndex"], 0);

    // Past the end: empty and complete.
    for start in [250, 251, 100_000] {
        let page = get_page(&client, &sb, "owner", start, 100).await;
        assert_ok(&page);
        assert!(entries(&page).is_empty(), "{page}");
        assert_eq!(page["StartIndex"], 0);
    }

    // An empty list.
    let page = get_page(&client, &sb, "t0000", 0, 100).await;
    assert_ok(&page);
    assert!(entries(&page).is_empty());
    assert_eq!(page["StartIndex"], 0);

    // Page size bounds and unknown users.
    let query = harness::query(&harness::sig());
    for (from, max, code) in [
        ("owner", 0, 30001),
        ("owner", 1001, 30001),
        ("ghost", 10, 30003),
    ] {
        let body =
            json!({"From_Account": from, "StartIndex": 0, "MaxLimited": max, "LastSequence": 0});
        let (status, v) = harness::raw(&client, &sb, GET, &query, &body.to_string()).await;
        assert_fail(status, &v, code, &format!("{from} MaxLimited {max}"));
    }
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn get_returns_added_entries_with_their_time() {
    let sb = harness::start(harness::config(small_seed(
        &["a", "v", "w", "x", "y", "z"],
        &[],
        &[],
    )))
    .await;
    let client = harness::http();
    let before = usersig::unix_now();
    for to in ["x", "y", "z"] {
        assert_ok(&add(&client, &sb, "a", &[to]).await);
    }
    assert_ok(&add(&client, &sb, "a", &["w", "v"]).await);
    let after = usersig::unix_now();

    let page = get_page(&client, &sb, "a", 0, 1000).await;
    let list = entries(&page);
    assert_eq!(ids_of(&list), owned(&["x", "y", "z", "w", "v"]));
    for (id, time) in &list {
        assert!(
            (before..=after).contains(time),
            "{id}: AddBlackTimeStamp {time} not between {before} and {after}"
        );
    }
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn sequence_grows_with_changes_and_not_with_reads() {
    let sb = harness::start(harness::config(small_seed(
        &["a", "b", "c", "d"],
        &[],
        &[("a", "b", 1)],
    )))
    .await;
    let client = harness::http();
    let seq = async || sequence(&get_page(&client, &sb, "a", 0, 10).await);

    let s0 = seq().await;
    assert_eq!(seq().await, s0, "a read does not change the sequence");
    check(&client, &sb, CHECK, "a", &["b"], BOTH).await;
    assert_eq!(seq().await, s0, "a check does not change the sequence");

    assert_ok(&add(&client, &sb, "a", &["c"]).await);
    let s1 = seq().await;
    assert!(s1 > s0, "add: {s0} -> {s1}");
    assert_ok(&add(&client, &sb, "a", &["d"]).await);
    let s2 = seq().await;
    assert!(s2 > s1, "add: {s1} -> {s2}");
    assert_ok(&delete(&client, &sb, "a", &["b"]).await);
    let s3 = seq().await;
    assert!(s3 > s2, "delete: {s2} -> {s3}");
    assert_ok(&delete(&client, &sb, "a", &["c", "d"]).await);
    let s4 = seq().await;
    assert!(s4 > s3, "delete: {s3} -> {s4}");
    // Re-adding an entry that was deleted still moves forward.
    assert_ok(&add(&client, &sb, "a", &["b"]).await);
    assert!(seq().await > s4);
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn get_spells_the_sequence_as_documented() {
    let sb = harness::start(harness::config(small_seed(
        &["a", "b"],
        &[],
        &[("a", "b", 1)],
    )))
    .await;
    let client = harness::http();
    let body = json!({"From_Account": "a", "StartIndex": 0, "MaxLimited": 10, "LastSequence": 0});
    let (status, text) = post_text(&client, &url(&sb, GET), body.to_string(), None).await;
    assert_eq!(status, 200);
    assert!(text.contains("\"CurruentSequence\":"), "{text}");
    assert!(!text.contains("\"CurrentSequence\""), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    for key in [
        "BlackListItem",
        "StartIndex",
        "CurruentSequence",
        "ActionStatus",
        "ErrorCode",
        "ErrorInfo",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {text}");
    }
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn full_list_comes_in_one_page_of_1000() {
    let demo = Seed::demo();
    let expected: Vec<(String, u64)> = demo
        .blocks
        .iter()
        .filter(|e| e.from == "mod_full")
        .map(|e| (e.to.clone(), e.time))
        .collect();
    let sb = harness::start(harness::config(demo)).await;
    let client = harness::http();
    let page = get_page(&client, &sb, "mod_full", 0, 1000).await;
    assert_ok(&page);
    assert_eq!(page["StartIndex"], 0);
    assert_eq!(entries(&page), expected);
    // The same list by pages of 100 (ten pages, the last answering StartIndex 0).
    assert_eq!(list_all(&client, &sb, "mod_full").await, expected);
    sb.stop().await.unwrap();
}

// ------------------------------------------------------------------------ black_list_check

#[tokio::test]
async fn check_gives_the_four_relations() {
    // a blocks b only; c blocks a only; a and d block each other; e and a: nothing.
    let sb = harness::start(harness::config(small_seed(
        &["a", "b", "c", "d", "e"],
        &[],
        &[("a", "b", 1), ("c", "a", 2), ("a", "d", 3), ("d", "a", 4)],
    )))
    .await;
    let client = harness::http();
    let rel = |to: &str, r: &str| (to.to_owned(), format!("BlackCheckResult_Type_{r}"), 0);

    let v = check(&client, &sb, CHECK, "a", &["b", "c", "d", "e"], BOTH).await;
    assert_ok(&v);
    assert_eq!(
        relations(&v, "BlackListCheckItem"),
        vec![
            rel("b", "AWithB"),
            rel("c", "BWithA"),
            rel("d", "BothWay"),
            rel("e", "NO")
        ]
    );
    assert_eq!(fail_account(&v), None, "{v}");
    assert!(v.get("ResultItem").is_none(), "{v}");

    // The same pairs seen from the other side.
    for (from, expected) in [
        ("b", "BWithA"),
        ("c", "AWithB"),
        ("d", "BothWay"),
        ("e", "NO"),
    ] {
        let v = check(&client, &sb, CHECK, from, &["a"], BOTH).await;
        assert_eq!(
            relations(&v, "BlackListCheckItem"),
            vec![rel("a", expected)],
            "from {from}"
        );
    }

    // Single: only whether To is on From's list.
    let v = check(&client, &sb, CHECK, "a", &["b", "c", "d", "e"], SINGLE).await;
    assert_ok(&v);
    assert_eq!(
        relations(&v, "BlackListCheckItem"),
        vec![
            rel("b", "AWithB"),
            rel("c", "NO"),
            rel("d", "AWithB"),
            rel("e", "NO")
        ]
    );
    for (from, expected) in [("b", "NO"), ("c", "AWithB"), ("d", "AWithB"), ("e", "NO")] {
        let v = check(&client, &sb, CHECK, from, &["a"], SINGLE).await;
        assert_eq!(
            relations(&v, "BlackListCheckItem"),
            vec![rel("a", expected)],
            "single from {from}"
        );
    }

    // An unknown To fails its item only, still with relation NO.
    let v = check(&client, &sb, CHECK, "a", &["b", "zz"], BOTH).await;
    assert_ok(&v);
    assert_eq!(
        relations(&v, "BlackListCheckItem"),
        vec![
            rel("b", "AWithB"),
            ("zz".into(), "BlackCheckResult_Type_NO".into(), 30003)
        ]
    );
    assert_eq!(fail_account(&v), Some(owned(&["zz"])));

    let query = harness::query(&harness::sig());
    for (case, body, code) in [
        (
            "unknown From_Account",
            json!({"From_Account": "ghost", "To_Account": ["a"], "CheckType": BOTH}),
            30003,
        ),
        (
            "unknown CheckType",
            json!({"From_Account": "a", "To_Account": ["b"], "CheckType": "CheckResult_Type_Both"}),
            30001,
        ),
    ] {
        let (status, v) = harness::raw(&client, &sb, CHECK, &query, &body.to_string()).await;
        assert_fail(status, &v, code, case);
    }
    sb.stop().await.unwrap();
}

// ------------------------------------------------------------- friends, accounts, profiles

#[tokio::test]
async fn friend_check_both_and_single() {
    // a and b are mutual friends; a has c (one way); d has a (one way); e: nothing.
    let t = 1_750_000_000;
    let sb = harness::start(harness::config(small_seed(
        &["a", "b", "c", "d", "e"],
        &[("a", "b", t), ("b", "a", t), ("a", "c", t), ("d", "a", t)],
        &[],
    )))
    .await;
    let client = harness::http();
    let rel = |to: &str, r: &str, code: i64| (to.to_owned(), format!("CheckResult_Type_{r}"), code);

    let v = check(
        &client,
        &sb,
        FRIEND_CHECK,
        "a",
        &["b", "c", "d", "e", "zz"],
        "CheckResult_Type_Both",
    )
    .await;
    assert_ok(&v);
    assert_eq!(
        relations(&v, "InfoItem"),
        vec![
            rel("b", "BothWay", 0),
            rel("c", "AWithB", 0),
            rel("d", "BWithA", 0),
            rel("e", "NoRelation", 0),
            rel("zz", "NoRelation", 30003),
        ]
    );
    assert_eq!(fail_account(&v), Some(owned(&["zz"])));

    let v = check(
        &client,
        &sb,
        FRIEND_CHECK,
        "a",
        &["b", "c", "d", "e"],
        "CheckResult_Type_Single",
    )
    .await;
    assert_ok(&v);
    assert_eq!(fail_account(&v), None, "{v}");
    assert_eq!(
        relations(&v, "InfoItem"),
        vec![
            rel("b", "AWithB", 0),
            rel("c", "AWithB", 0),
            rel("d", "NoRelation", 0),
            rel("e", "NoRelation", 0),
        ]
    );
    for (from, both, single) in [
        ("c", "BWithA", "NoRelation"),
        ("d", "AWithB", "AWithB"),
        ("b", "BothWay", "AWithB"),
    ] {
        let v = check(
            &client,
            &sb,
            FRIEND_CHECK,
            from,
            &["a"],
            "CheckResult_Type_Both",
        )
        .await;
        assert_eq!(relations(&v, "InfoItem"), vec![rel("a", both, 0)], "{from}");
        let v = check(
            &client,
            &sb,
            FRIEND_CHECK,
            from,
            &["a"],
            "CheckResult_Type_Single",
        )
        .await;
        assert_eq!(
            relations(&v, "InfoItem"),
            vec![rel("a", single, 0)],
            "{from}"
        );
    }
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn friend_get_pages_with_add_times() {
    let friends = numbered("f", 250);
    let base = 1_750_000_000;
    let mut accounts = vec![json!({"id": "owner"}), json!({"id": "loner"})];
    accounts.extend(friends.iter().map(|id| json!({"id": id})));
    let edges: Vec<Value> = friends
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"from": "owner", "to": id, "time": base + 11 * i as u64}))
        .collect();
    let sb = harness::start(harness::config(harness::seed(
        json!({"accounts": accounts, "friends": edges, "blocks": []}),
    )))
    .await;
    let client = harness::http();
    let friend_get = |from: &str, start: u64| json!({"From_Account": from, "StartIndex": start, "StandardSequence": 0, "CustomSequence": 0});

    let mut got: Vec<(String, u64)> = Vec::new();
    let mut pages = Vec::new();
    let mut start = 0;
    for _ in 0..10 {
        let v = harness::call(&client, &sb, FRIEND_GET, friend_get("owner", start)).await;
        assert_ok(&v);
        assert_eq!(v["FriendNum"], 250);
        let list = v["UserDataItem"].as_array().expect("UserDataItem");
        for item in list {
            let values = item["ValueItem"].as_array().expect("ValueItem");
            let time = values
                .iter()
                .find(|tv| tv["Tag"] == "Tag_SNS_IM_AddTime")
                .and_then(|tv| tv["Value"].as_u64())
                .unwrap_or_else(|| panic!("Tag_SNS_IM_AddTime: {item}"));
            got.push((item["To_Account"].as_str().unwrap().to_owned(), time));
        }
        let complete = v["CompleteFlag"].as_u64().expect("CompleteFlag");
        let next = v["NextStartIndex"].as_u64().expect("NextStartIndex");
        pages.push((list.len(), complete != 0, next));
        if complete != 0 {
            break;
        }
        start = next;
    }
    assert_eq!(
        pages,
        vec![(100, false, 100), (100, false, 200), (50, true, 0)]
    );
    let expected: Vec<(String, u64)> = friends
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), base + 11 * i as u64))
        .collect();
    assert_eq!(got, expected);

    let v = harness::call(&client, &sb, FRIEND_GET, friend_get("loner", 0)).await;
    assert_ok(&v);
    assert_eq!(v["FriendNum"], 0);
    assert_ne!(v["CompleteFlag"], 0);
    assert!(v["UserDataItem"].as_array().is_none_or(Vec::is_empty));

    let (status, v) = harness::raw(
        &client,
        &sb,
        FRIEND_GET,
        &harness::query(&harness::sig()),
        &friend_get("ghost", 0).to_string(),
    )
    .await;
    assert_fail(status, &v, 30003, "unknown From_Account");
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn account_check_tells_imported_from_not() {
    let sb = harness::start(harness::config(small_seed(
        &["alice", "@RBT#bot"],
        &[],
        &[],
    )))
    .await;
    let client = harness::http();
    let v = harness::call(
        &client,
        &sb,
        ACCOUNT_CHECK,
        json!({"CheckItem": [{"UserID": "alice"}, {"UserID": "nobody"}, {"UserID": "@RBT#bot"}]}),
    )
    .await;
    assert_ok(&v);
    let got: Vec<(String, i64, String)> = v["ResultItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["UserID"].as_str().unwrap().to_owned(),
                i["ResultCode"].as_i64().unwrap(),
                i["AccountStatus"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("alice".into(), 0, "Imported".into()),
            ("nobody".into(), 0, "NotImported".into()),
            ("@RBT#bot".into(), 0, "Imported".into()),
        ]
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn portrait_get_returns_nicknames_byte_for_byte() {
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mRED line1\nline2\r \"q\" \\ \u{0} \u{202e}nimda \u{200b}\u{feff} \u{2028}end";
    let cjk = "李小龙 🐉 Ñandú 한국어 カタカナ";
    let long = "é".repeat(250);
    let sb = harness::start(harness::config(harness::seed(json!({
        "accounts": [
            {"id": "plain", "nick": "Plain Name"},
            {"id": "cjk", "nick": cjk},
            {"id": "hostile", "nick": hostile, "admin_forbid": true},
            {"id": "long", "nick": long},
            {"id": "nonick"},
        ],
    }))))
    .await;
    let client = harness::http();
    let body = json!({
        "To_Account": ["plain", "cjk", "hostile", "long", "nonick", "ghost"],
        "TagList": ["Tag_Profile_IM_Nick", "Tag_Profile_IM_AdminForbidType"],
    });
    let (status, text) = post_text(&client, &url(&sb, PORTRAIT_GET), body.to_string(), None).await;
    assert_eq!(status, 200);
    assert!(
        !text.chars().any(|c| c.is_control()),
        "control characters travel escaped, never raw: {text:?}"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_ok(&v);
    let profiles = v["UserProfileItem"].as_array().unwrap();
    assert_eq!(profiles.len(), 6);
    let tag = |i: usize, name: &str| -> Option<String> {
        profiles[i]["ProfileItem"]
            .as_array()
            .unwrap()
            .iter()
            .find(|tv| tv["Tag"] == name)
            .map(|tv| tv["Value"].as_str().expect("string value").to_owned())
    };
    let expected = [
        ("plain", "Plain Name", "AdminForbid_Type_None"),
        ("cjk", cjk, "AdminForbid_Type_None"),
        ("hostile", hostile, "AdminForbid_Type_SendOut"),
        ("long", long.as_str(), "AdminForbid_Type_None"),
        ("nonick", "", "AdminForbid_Type_None"),
    ];
    for (i, (id, nick, forbid)) in expected.iter().enumerate() {
        assert_eq!(profiles[i]["To_Account"], *id);
        assert_eq!(profiles[i]["ResultCode"], 0, "{id}");
        let got = tag(i, "Tag_Profile_IM_Nick").unwrap_or_else(|| panic!("{id}: no nick"));
        assert_eq!(got.as_bytes(), nick.as_bytes(), "{id}");
        assert_eq!(
            tag(i, "Tag_Profile_IM_AdminForbidType").as_deref(),
            Some(*forbid),
            "{id}"
        );
    }
    assert_eq!(profiles[5]["To_Account"], "ghost");
    assert_eq!(profiles[5]["ResultCode"], 40003);
    assert_eq!(fail_account(&v), Some(owned(&["ghost"])));

    // Only the tags asked for come back.
    let v = harness::call(
        &client,
        &sb,
        PORTRAIT_GET,
        json!({"To_Account": ["hostile"], "TagList": ["Tag_Profile_IM_AdminForbidType"]}),
    )
    .await;
    assert_eq!(
        v["UserProfileItem"][0]["ProfileItem"],
        json!([{"Tag": "Tag_Profile_IM_AdminForbidType", "Value": "AdminForbid_Type_SendOut"}])
    );
    assert_eq!(fail_account(&v), None);
    sb.stop().await.unwrap();
}

// -------------------------------------------------------------------------------- rate limits

fn limited_config() -> SandboxConfig {
    let mut config = harness::config(small_seed(&["a", "b"], &[], &[("a", "b", 1)]));
    config.rate_limit = 20;
    config
}

fn get_body() -> Value {
    json!({"From_Account": "a", "StartIndex": 0, "MaxLimited": 10, "LastSequence": 0})
}

/// OK answers a burst may get beyond the limit: the bucket refills while the burst is served.
const BURST_TOLERANCE: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_beyond_the_limit_gets_60007() {
    let sb = harness::start(limited_config()).await;
    let client = harness::http();
    warm_up(&client, &sb, 60).await;

    let codes = burst(&client, &url(&sb, GET), &get_body(), 60).await;
    let ok = codes.iter().filter(|&&c| c == 0).count();
    let limited = codes.iter().filter(|&&c| c == 60007).count();
    assert_eq!(ok + limited, 60, "only OK or 60007: {codes:?}");
    assert!(limited > 0, "some calls are limited: {codes:?}");
    assert!(
        ok <= 20 + BURST_TOLERANCE,
        "{ok} OK answers for a limit of 20"
    );
    assert!(ok >= 1, "the first calls go through");

    // account_check gets half the limit.
    let body = json!({"CheckItem": [{"UserID": "a"}]});
    let codes = burst(&client, &url(&sb, ACCOUNT_CHECK), &body, 40).await;
    let ok = codes.iter().filter(|&&c| c == 0).count();
    let limited = codes.iter().filter(|&&c| c == 60007).count();
    assert_eq!(ok + limited, 40, "{codes:?}");
    assert!(limited > 0, "{codes:?}");
    assert!(
        ok <= 10 + BURST_TOLERANCE,
        "{ok} OK answers for a limit of 10"
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn paced_calls_below_the_limit_are_never_limited() {
    let sb = harness::start(limited_config()).await;
    let client = harness::http();
    let mut limited = 0;
    for _ in 0..10 {
        let v = harness::call(&client, &sb, GET, get_body()).await;
        if v["ErrorCode"] == 60007 {
            limited += 1;
        } else {
            assert_ok(&v);
        }
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    assert_eq!(limited, 0);
    sb.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_limit_is_per_api() {
    let sb = harness::start(limited_config()).await;
    let client = harness::http();
    warm_up(&client, &sb, 40).await;
    let codes = burst(&client, &url(&sb, GET), &get_body(), 40).await;
    assert!(
        codes.contains(&60007),
        "black_list_get is exhausted: {codes:?}"
    );

    // Other APIs still have their own budget.
    let v = check(&client, &sb, CHECK, "a", &["b"], BOTH).await;
    assert_ok(&v);
    assert_eq!(
        relations(&v, "BlackListCheckItem")[0].1,
        "BlackCheckResult_Type_AWithB"
    );
    let v = harness::call(
        &client,
        &sb,
        FRIEND_GET,
        json!({"From_Account": "a", "StartIndex": 0}),
    )
    .await;
    assert_ok(&v);
    assert_ok(&delete(&client, &sb, "a", &["b"]).await);
    sb.stop().await.unwrap();
}

// ------------------------------------------------------------------------------------ faults

fn faulty(seed: Seed, faults: &str, fault_seed: u64) -> SandboxConfig {
    let mut config = harness::config(seed);
    config.faults = faults.parse().unwrap();
    config.fault_seed = Some(fault_seed);
    config
}

#[tokio::test]
async fn item_fault_on_every_item_applies_nothing() {
    let ids = ["a", "b", "c", "d"];
    let sb = harness::start(faulty(small_seed(&ids, &[], &[]), "30008:1.0", 1)).await;
    let client = harness::http();
    let v = add(&client, &sb, "a", &["b", "c", "d"]).await;
    assert_ok(&v);
    let got = items(&v, "ResultItem");
    assert_eq!(got.len(), 3);
    for (to, code, info) in &got {
        assert_eq!(*code, 30008, "{to}");
        assert!(!info.is_empty(), "{to}: ResultInfo explains the fault");
    }
    assert_eq!(fail_account(&v), Some(owned(&["b", "c", "d"])));
    assert!(blocklist(&sb, "a").is_empty());
    assert_eq!(stored_sequence(&sb, "a"), 0);
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn item_faults_on_half_the_items_apply_exactly_the_rest() {
    let targets = numbered("t", 400);
    let sb = harness::start(faulty(
        crowd_seed("owner", &targets, 0, 0),
        "30008:0.5",
        20_240_601,
    ))
    .await;
    let client = harness::http();
    let v = add(&client, &sb, "owner", &targets).await;
    assert_ok(&v);
    let got = items(&v, "ResultItem");
    assert_eq!(
        got.iter().map(|(to, _, _)| to.clone()).collect::<Vec<_>>(),
        targets
    );
    let failed: Vec<String> = got
        .iter()
        .filter(|(_, code, _)| *code != 0)
        .map(|(to, _, _)| to.clone())
        .collect();
    let succeeded: Vec<String> = got
        .iter()
        .filter(|(_, code, _)| *code == 0)
        .map(|(to, _, _)| to.clone())
        .collect();
    assert!(
        got.iter().all(|(_, code, _)| *code == 0 || *code == 30008),
        "{got:?}"
    );
    assert!(
        (100..=300).contains(&failed.len()),
        "{} of 400 failed",
        failed.len()
    );
    assert_eq!(fail_account(&v), Some(failed.clone()));

    // On black_list_get the same code fails the whole call half the time: retry it.
    let mut page = Value::Null;
    for _ in 0..40 {
        page = get_page(&client, &sb, "owner", 0, 1000).await;
        if page["ErrorCode"] != 30008 {
            break;
        }
    }
    assert_ok(&page);
    assert_eq!(ids_of(&entries(&page)), succeeded);
    assert_eq!(blocklist(&sb, "owner"), succeeded);
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn whole_call_fault_codes_fail_the_call() {
    let seed = || small_seed(&["a", "b", "c"], &[], &[("a", "c", 1)]);
    let client = harness::http();
    for code in [60007, 70169] {
        let sb = harness::start(faulty(seed(), &format!("{code}:1.0"), 3)).await;
        for (path, body) in [
            (ADD, json!({"From_Account": "a", "To_Account": ["b"]})),
            (DELETE, json!({"From_Account": "a", "To_Account": ["c"]})),
            (GET, get_body()),
        ] {
            let (status, v) = post(&client, &url(&sb, path), body.to_string()).await;
            assert_fail(status, &v, code, &format!("{code} on {path}"));
        }
        assert_eq!(blocklist(&sb, "a"), owned(&["c"]), "nothing applied");
        sb.stop().await.unwrap();
    }

    // A 30000-range code fails black_list_get, which has no items, as a whole.
    let sb = harness::start(faulty(seed(), "30006:1.0", 3)).await;
    let (status, v) = post(&client, &url(&sb, GET), get_body().to_string()).await;
    assert_fail(status, &v, 30006, "30006 on black_list_get");
    // ... and black_list_check item by item.
    let v = check(&client, &sb, CHECK, "a", &["b", "c"], BOTH).await;
    assert_ok(&v);
    let got = relations(&v, "BlackListCheckItem");
    assert!(
        got.iter()
            .all(|(_, r, code)| *code == 30006 && r == "BlackCheckResult_Type_NO")
    );
    assert_eq!(fail_account(&v), Some(owned(&["b", "c"])));
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn bad_gateway_fault_answers_http_502() {
    let sb = harness::start(faulty(small_seed(&["a", "b"], &[], &[]), "502:1.0", 5)).await;
    let client = harness::http();
    let body = json!({"From_Account": "a", "To_Account": ["b"]}).to_string();
    for _ in 0..3 {
        let (status, text) = post_text(&client, &url(&sb, ADD), body.clone(), None).await;
        assert_eq!(status, 502, "{text}");
        assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    }
    assert!(blocklist(&sb, "a").is_empty());
    assert_eq!(stored_sequence(&sb, "a"), 0);
    sb.stop().await.unwrap();
}

fn hanging(seed: Seed, hang_ms: u64, fault_seed: u64) -> SandboxConfig {
    let mut config = faulty(seed, "timeout:1.0", fault_seed);
    config.hang = Duration::from_millis(hang_ms);
    config
}

fn client_with_timeout(timeout: Duration) -> reqwest::Client {
    blockdeck::client::http::install_crypto_provider();
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

#[tokio::test]
async fn hung_call_times_the_client_out() {
    let targets = numbered("t", 20);
    let sb = harness::start(hanging(crowd_seed("owner", &targets, 0, 0), 300, 11)).await;
    let client = client_with_timeout(Duration::from_millis(100));

    let mut tasks = JoinSet::new();
    for to in &targets {
        let (client, url) = (client.clone(), url(&sb, ADD));
        let body = json!({"From_Account": "owner", "To_Account": [to]}).to_string();
        tasks.spawn(async move { client.post(url).body(body).send().await });
    }
    while let Some(joined) = tasks.join_next().await {
        let err = joined
            .expect("task")
            .expect_err("the call hangs past the client's timeout");
        assert!(err.is_timeout(), "{err}");
    }
    // Past the hang, every call the sandbox received has run its course.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Each item was either applied or not; nothing else happened.
    let list = blocklist(&sb, "owner");
    let unique: BTreeSet<&String> = list.iter().collect();
    assert_eq!(unique.len(), list.len(), "no duplicates: {list:?}");
    assert!(list.iter().all(|id| targets.contains(id)), "{list:?}");
    assert!(
        !list.is_empty() && list.len() < targets.len(),
        "some hung calls were applied and some not: {list:?}"
    );
    assert_eq!(stored_sequence(&sb, "owner"), list.len() as u64);
    // Calls the clients gave up on are still counted, as hung (-1).
    let counters = sb.counters();
    assert_eq!(
        counters.calls.get("black_list_add"),
        Some(&20),
        "{counters:?}"
    );
    assert_eq!(counters.codes.get(&-1), Some(&20), "{counters:?}");
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn hung_call_answers_when_the_client_waits_longer() {
    let targets = numbered("t", 12);
    let sb = harness::start(hanging(crowd_seed("owner", &targets, 0, 0), 300, 12)).await;
    let client = client_with_timeout(Duration::from_secs(10));

    let mut tasks = JoinSet::new();
    for to in targets.clone() {
        let (client, url) = (client.clone(), url(&sb, ADD));
        let body = json!({"From_Account": "owner", "To_Account": [&to]}).to_string();
        tasks.spawn(async move { (to, post(&client, &url, body).await) });
    }
    let mut applied = BTreeSet::new();
    let mut timed_out = BTreeSet::new();
    while let Some(joined) = tasks.join_next().await {
        let (to, (status, v)) = joined.expect("task");
        assert_eq!(status, 200, "{v}");
        if v["ErrorCode"] == 70169 {
            assert_fail(status, &v, 70169, &to);
            timed_out.insert(to);
        } else {
            assert_ok(&v);
            assert_eq!(
                items(&v, "ResultItem"),
                vec![(to.clone(), 0, String::new())]
            );
            applied.insert(to);
        }
    }
    assert!(
        !applied.is_empty() && !timed_out.is_empty(),
        "applied {applied:?}, 70169 {timed_out:?}"
    );
    // The state agrees with the answers.
    let list: BTreeSet<String> = blocklist(&sb, "owner").into_iter().collect();
    assert_eq!(list, applied);
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn stop_releases_a_hung_call() {
    let sb = harness::start(hanging(small_seed(&["a", "b"], &[], &[]), 60_000, 13)).await;
    let client = client_with_timeout(Duration::from_secs(120));
    let call_url = url(&sb, ADD);
    let call = tokio::spawn(async move {
        let body = json!({"From_Account": "a", "To_Account": ["b"]}).to_string();
        client
            .post(call_url)
            .body(body)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    // Let the call reach the sandbox and start hanging.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!call.is_finished(), "the call is hanging");

    let stopped = tokio::time::timeout(Duration::from_secs(5), sb.stop()).await;
    assert!(matches!(stopped, Ok(Ok(()))), "stop completed: {stopped:?}");
    let answered = tokio::time::timeout(Duration::from_secs(5), call).await;
    assert!(answered.is_ok(), "the hung call was released");
}

#[tokio::test]
async fn stop_cuts_a_latency_delay_short() {
    let mut config = harness::config(small_seed(&["a", "b"], &[], &[]));
    config.latency = "60000".parse().unwrap();
    let sb = harness::start(config).await;
    let client = client_with_timeout(Duration::from_secs(120));
    let call_url = url(&sb, ADD);
    let call = tokio::spawn(async move {
        let body = json!({"From_Account": "a", "To_Account": ["b"]}).to_string();
        client
            .post(call_url)
            .body(body)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!call.is_finished(), "the call is delayed");
    let stopped = tokio::time::timeout(Duration::from_secs(5), sb.stop()).await;
    assert!(matches!(stopped, Ok(Ok(()))), "stop completed: {stopped:?}");
    let answered = tokio::time::timeout(Duration::from_secs(5), call).await;
    assert!(answered.is_ok(), "the delayed call was released");
}

#[tokio::test]
async fn latency_is_only_a_delay() {
    let mut config = harness::config(small_seed(&["a", "b"], &[], &[]));
    config.latency = "30".parse().unwrap();
    let sb = harness::start(config).await;
    let client = harness::http();
    assert_ok(&add(&client, &sb, "a", &["b"]).await);
    let page = get_page(&client, &sb, "a", 0, 10).await;
    assert_ok(&page);
    assert_eq!(ids_of(&entries(&page)), owned(&["b"]));

    let mut config = harness::config(small_seed(&["a", "b"], &[], &[]));
    config.latency = "5-20".parse().unwrap();
    let sb2 = harness::start(config).await;
    assert_ok(&add(&client, &sb2, "a", &["b"]).await);
    sb.stop().await.unwrap();
    sb2.stop().await.unwrap();
}

// -------------------------------------------------------------------------------- state file

fn tmp_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp-"))
        .collect()
}

#[tokio::test]
async fn state_file_keeps_changes_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox-state.json");
    let client = harness::http();

    let mut config = harness::config(small_seed(
        &["a", "b", "c", "d"],
        &[("a", "b", 5), ("b", "a", 5)],
        &[("a", "d", 7)],
    ));
    config.state_file = Some(state.clone());
    let sb = harness::start(config).await;
    assert_ok(&add(&client, &sb, "a", &["b", "c"]).await);
    assert_ok(&delete(&client, &sb, "a", &["d"]).await);
    let before = get_page(&client, &sb, "a", 0, 100).await;
    let seq_before = sequence(&before);
    let list_before = entries(&before);
    assert_eq!(ids_of(&list_before), owned(&["b", "c"]));

    // The file is written while the sandbox runs, too.
    for _ in 0..100 {
        if state.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(state.exists(), "state written after a change");
    sb.stop().await.unwrap();

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the state file is owner-only");
    }
    let text = std::fs::read_to_string(&state).unwrap();
    let saved: Value = serde_json::from_str(&text).expect("the state file is JSON");
    assert!(saved.is_object());
    let saved = Seed::from_json(&text).expect("the state file is a seed");
    assert!(saved.blocks.iter().any(|e| e.from == "a" && e.to == "c"));
    assert!(
        tmp_leftovers(dir.path()).is_empty(),
        "{:?}",
        tmp_leftovers(dir.path())
    );

    // Another seed, same state file: the state wins.
    let mut config = harness::config(small_seed(&["x", "y"], &[], &[("x", "y", 1)]));
    config.state_file = Some(state.clone());
    let sb = harness::start(config).await;
    let after = get_page(&client, &sb, "a", 0, 100).await;
    assert_ok(&after);
    assert_eq!(entries(&after), list_before, "entries and times kept");
    assert_eq!(sequence(&after), seq_before, "sequence kept");
    let fc = check(
        &client,
        &sb,
        FRIEND_CHECK,
        "a",
        &["b"],
        "CheckResult_Type_Both",
    )
    .await;
    assert_eq!(
        relations(&fc, "InfoItem")[0].1,
        "CheckResult_Type_NoRelation"
    );
    let (status, v) = harness::raw(
        &client,
        &sb,
        GET,
        &harness::query(&harness::sig()),
        &json!({"From_Account": "x", "StartIndex": 0, "MaxLimited": 10}).to_string(),
    )
    .await;
    assert_fail(status, &v, 30003, "account of the unused seed");

    assert_ok(&add(&client, &sb, "a", &["d"]).await);
    let seq_next = sequence(&get_page(&client, &sb, "a", 0, 100).await);
    assert!(seq_next > seq_before, "{seq_before} -> {seq_next}");
    sb.stop().await.unwrap();

    // And once more: the second run's change is there.
    let mut config = harness::config(Seed::default());
    config.state_file = Some(state.clone());
    let sb = harness::start(config).await;
    let page = get_page(&client, &sb, "a", 0, 100).await;
    assert_eq!(ids_of(&entries(&page)), owned(&["b", "c", "d"]));
    assert_eq!(sequence(&page), seq_next);
    sb.stop().await.unwrap();
    assert!(tmp_leftovers(dir.path()).is_empty());
}

// --------------------------------------------------------------------------- seed samples

/// Accounts `id`, `id1`, `id2`, `id3`, with `id`'s list arranged so that the sample request
/// answers like the sample response: for add, id2 and id3 are already on it; for get and delete,
/// id1 and id2 are.
fn sample_seed(api: SeedApi) -> Seed {
    let on_list: &[(&str, &str, u64)] = match api {
        SeedApi::Add => &[("id", "id2", 1_430_000_002), ("id", "id3", 1_430_000_003)],
        SeedApi::Get | SeedApi::Delete => {
            &[("id", "id1", 1_430_000_001), ("id", "id2", 1_430_000_002)]
        }
    };
    small_seed(&["id", "id1", "id2", "id3"], &[], on_list)
}

#[tokio::test]
async fn seed_request_samples_answer_like_the_response_samples() {
    let all = samples::all();
    let requests: Vec<_> = all.iter().filter(|s| !s.is_response).collect();
    assert_eq!(requests.len(), 5, "one request sample per seed document");
    assert!(
        requests.iter().any(|s| s.raw.contains('\u{a0}')),
        "a raw sample carries no-break spaces"
    );
    let client = harness::http();
    for request in requests {
        let expected = all
            .iter()
            .find(|s| s.is_response && s.file == request.file)
            .unwrap_or_else(|| panic!("seed {} has a response sample", request.file));
        let path = match request.api {
            SeedApi::Add => ADD,
            SeedApi::Get => GET,
            SeedApi::Delete => DELETE,
        };
        let bodies = [
            ("raw", request.raw.to_owned()),
            ("re-serialised", request.json.to_string()),
        ];
        for (form, body) in bodies {
            let case = format!("seed {} ({form})", request.file);
            let sb = harness::start(harness::config(sample_seed(request.api))).await;
            let (status, v) =
                harness::raw(&client, &sb, path, &harness::query(&harness::sig()), &body).await;
            assert_eq!(status, 200, "{case}: {v}");
            assert_ok(&v);
            assert_eq!(
                samples::shape(&v),
                samples::shape(&expected.json),
                "{case}: the answer has the sample's fields and types\nanswer: {v}\nsample: {}",
                expected.json
            );
            match request.api {
                SeedApi::Add => {
                    let got = items(&v, "ResultItem");
                    assert_eq!(got[0], ("id1".into(), 0, String::new()), "{case}");
                    assert_eq!(
                        got[1],
                        ("id2".into(), 30001, ALREADY_EXIST.into()),
                        "{case}"
                    );
                    assert_eq!(fail_account(&v), Some(owned(&["id2", "id3"])), "{case}");
                }
                SeedApi::Get => {
                    assert_eq!(
                        entries(&v),
                        vec![("id1".into(), 1_430_000_001), ("id2".into(), 1_430_000_002)],
                        "{case}"
                    );
                    assert_eq!(v["StartIndex"], 0, "{case}");
                }
                SeedApi::Delete => {
                    let got = items(&v, "ResultItem");
                    assert_eq!(got[0].1, 0, "{case}");
                    assert_eq!(got[1].1, 0, "{case}");
                    assert_eq!(fail_account(&v), Some(owned(&["id3"])), "{case}");
                }
            }
            sb.stop().await.unwrap();
        }
    }
}
