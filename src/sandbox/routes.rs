//! HTTP front of the sandbox: authentication, rate limits and faults around the store's rules.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::faults::FaultKind;
use super::store::{CallError, Store};
use super::{SandboxConfig, SharedState};
use crate::feed::ChangeKind;
use crate::tim::ids::elide;
use crate::tim::usersig::{self, Claims};
use crate::tim::wire::{
    Api, BlackListChangeRequest, BlackListChangeResponse, Envelope, ErrorResponse,
};

/// Bad signatures from one identifier within [`LOCKOUT_WINDOW`] that lock it out.
const LOCKOUT_WINDOW: Duration = Duration::from_secs(60);
/// How long a lock-out (70050) lasts.
const LOCKOUT_FOR: Duration = Duration::from_secs(60);
/// Verified UserSigs remembered, so that a busy client does not pay for inflating and hashing each call.
const SIG_CACHE: usize = 1024;

/// Per-API rate limiters; `None` when limiting is off.
pub struct Limiters(HashMap<Api, DefaultDirectRateLimiter>);

impl Limiters {
    /// `per_second` is the limit of the 200/s APIs; account_check gets its documented share (half).
    pub fn new(per_second: u32) -> Limiters {
        let mut map = HashMap::new();
        for api in Api::ALL {
            if let Some(n) = std::num::NonZeroU32::new(api.rate_limit(per_second)) {
                map.insert(api, RateLimiter::direct(Quota::per_second(n)));
            }
        }
        Limiters(map)
    }

    fn admit(&self, api: Api) -> bool {
        self.0.get(&api).is_none_or(|l| l.check().is_ok())
    }
}

/// Authentication state that changes with traffic.
#[derive(Default)]
pub struct AuthState {
    cache: HashMap<String, Claims>,
    bad: HashMap<String, VecDeque<Instant>>,
    locked_until: HashMap<String, Instant>,
}

impl AuthState {
    /// Forgets expired lock-outs and stale bad-signature records once they pile up, so that a client
    /// cycling through identifiers cannot grow them without bound.
    fn prune(&mut self, now: Instant) {
        if self.bad.len() + self.locked_until.len() < SIG_CACHE {
            return;
        }
        self.locked_until.retain(|_, until| *until > now);
        self.bad.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.duration_since(*t) <= LOCKOUT_WINDOW)
        });
    }
}

/// Counts of what the sandbox answered, by API and by code (0 = OK, 502 = gateway error, -1 = hung).
#[derive(Default, Debug, Clone, Serialize)]
pub struct Counters {
    pub calls: BTreeMap<String, u64>,
    pub codes: BTreeMap<i64, u64>,
    /// Per-item result codes of batch calls.
    pub item_codes: BTreeMap<i64, u64>,
}

impl Counters {
    fn record(&mut self, api: Option<Api>, code: i64) {
        let name = api.map_or("unknown", Api::command);
        *self.calls.entry(name.to_owned()).or_default() += 1;
        *self.codes.entry(code).or_default() += 1;
    }
}

pub(super) fn now_secs() -> u64 {
    crate::clock::unix_now()
}

fn json_response(body: &impl Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|e| {
        format!(r#"{{"ActionStatus":"FAIL","ErrorCode":70500,"ErrorInfo":"encoding error: {e}"}}"#)
    });
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

fn fail(code: i64, info: impl Into<String>) -> (Response, i64) {
    (
        json_response(&ErrorResponse {
            envelope: Envelope::fail(code, info),
        }),
        code,
    )
}

fn bad_gateway() -> Response {
    (
        StatusCode::BAD_GATEWAY,
        [(header::CONTENT_TYPE, "text/html")],
        "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>stgw</center></body></html>\n",
    )
        .into_response()
}

/// `POST /v4/{service}/{command}`.
pub async fn call(
    State(shared): State<SharedState>,
    Path((service, command)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let api = Api::from_path(&format!("{service}/{command}"));
    let config = &shared.config;

    let (delay, fault, apply_before_hang) = {
        let mut rng = shared.rng.lock().expect("rng lock");
        let delay = config.latency.draw_ms(&mut *rng);
        let fault = api.and_then(|api| config.faults.draw_call(&mut *rng, item_faults_apply(api)));
        (delay, fault, rng.random_bool(0.5))
    };
    if delay > 0 {
        shared
            .sleep_unless_stopped(Duration::from_millis(delay))
            .await;
    }

    let record = |code: i64| {
        shared
            .counters
            .lock()
            .expect("counters lock")
            .record(api, code)
    };
    match fault {
        Some(FaultKind::BadGateway) => {
            record(502);
            bad_gateway()
        }
        Some(FaultKind::Timeout) => {
            // Counted before hanging: a client that gives up cancels this handler.
            record(-1);
            let outcome =
                apply_before_hang.then(|| answer(&shared, api, query.as_deref(), &body, None));
            shared.sleep_unless_stopped(config.hang).await;
            match outcome {
                Some((resp, _)) => resp,
                None => fail(
                    70169,
                    "server timeout: the backend did not answer in time (sandbox fault injection)",
                )
                .0,
            }
        }
        forced => {
            let forced = match forced {
                Some(FaultKind::Code(code)) => Some(code),
                _ => None,
            };
            let (resp, code) = answer(&shared, api, query.as_deref(), &body, forced);
            record(code);
            resp
        }
    }
}

/// Any other path: the service answers 60009 with HTTP 200.
pub async fn unknown_path() -> Response {
    fail(
        60009,
        "bad resource or URL: use POST /v4/{service}/{command}",
    )
    .0
}

fn item_faults_apply(api: Api) -> bool {
    matches!(
        api,
        Api::BlackListAdd | Api::BlackListDelete | Api::BlackListCheck | Api::FriendCheck
    )
}

/// Authenticates, rate-limits and dispatches one call. `forced` is an injected whole-call error code.
fn answer(
    shared: &SharedState,
    api: Option<Api>,
    query: Option<&str>,
    body: &[u8],
    forced: Option<i64>,
) -> (Response, i64) {
    let Some(api) = api else {
        return fail(60009, "bad resource or URL: no such REST API");
    };
    if let Err(e) = authenticate(shared, query) {
        return fail(e.code, e.info);
    }
    if !shared.limiters.admit(api) {
        return fail(
            60007,
            format!(
                "REST API call frequency limit exceeded for {api}: slow down (the limit is per second)"
            ),
        );
    }
    if let Some(code) = forced {
        let meaning = crate::tim::codes::lookup(code).meaning;
        return fail(code, format!("{meaning} (sandbox fault injection)"));
    }
    let value: Value = match crate::tim::wire::from_slice_lenient(body) {
        Ok(v) => v,
        Err(e) => {
            return fail(
                60003,
                format!(
                    "the request body is not valid JSON ({e}); send a JSON object, `{{}}` at least"
                ),
            );
        }
    };
    if !value.is_object() {
        return fail(60003, "the request body must be a JSON object");
    }
    match dispatch(shared, api, value) {
        Ok((resp, item_codes)) => {
            if !item_codes.is_empty() {
                let mut counters = shared.counters.lock().expect("counters lock");
                for code in item_codes {
                    *counters.item_codes.entry(code).or_default() += 1;
                }
            }
            (resp, 0)
        }
        Err(e) => fail(e.code, e.info),
    }
}

fn parse<T: DeserializeOwned>(api: Api, value: Value) -> Result<T, CallError> {
    // Accounts must be JSON strings (60015), checked before the shape so the error names the field.
    let obj = value.as_object().expect("checked to be an object");
    for field in ["From_Account", "To_Account"] {
        match obj.get(field) {
            Some(Value::String(_)) | None => {}
            Some(Value::Array(items)) if field == "To_Account" => {
                if let Some(bad) = items.iter().find(|v| !v.is_string()) {
                    return Err(CallError::new(
                        60015,
                        format!(
                            "every To_Account entry must be a JSON string; found {}",
                            elide(&bad.to_string())
                        ),
                    ));
                }
            }
            Some(other) => {
                return Err(CallError::new(
                    60015,
                    format!(
                        "{field} must be a JSON string{}; found {other}",
                        if field == "To_Account" { " array" } else { "" }
                    ),
                ));
            }
        }
    }
    let code = match api {
        Api::AccountCheck => 70402,
        Api::PortraitGet => super::store::PROFILE_BAD_PARAMETER,
        _ => 30001,
    };
    serde_json::from_value(value)
        .map_err(|e| CallError::new(code, format!("bad request body for {api}: {e}")))
}

type Dispatched = (Response, Vec<i64>);

fn dispatch(shared: &SharedState, api: Api, value: Value) -> Result<Dispatched, CallError> {
    let config = &shared.config;
    let item_faults = config.faults.has_item_faults();
    let mut draw = || -> Option<i64> {
        item_faults.then(|| {
            config
                .faults
                .draw_item(&mut *shared.rng.lock().expect("rng lock"))
        })?
    };
    let changed;
    let response = match api {
        Api::BlackListAdd => {
            let req: BlackListChangeRequest = parse(api, value)?;
            let mut store = shared.store.lock().expect("store lock");
            let (mut resp, c) = store.black_list_add(&req, now_secs(), &mut draw)?;
            changed = c;
            // Queued under the store lock, so that webhooks go out in the order of the changes.
            notify(shared, ChangeKind::Block, &req, &resp);
            let unfriended = store.take_unfriended();
            if let Some(callbacks) = &shared.callbacks {
                callbacks.post(ChangeKind::FriendDelete, unfriended);
            }
            config.variants.change(true, &mut resp);
            let codes = resp.result_item.iter().map(|i| i.result_code).collect();
            (json_response(&resp), codes)
        }
        Api::BlackListDelete => {
            let req: BlackListChangeRequest = parse(api, value)?;
            let mut store = shared.store.lock().expect("store lock");
            let (mut resp, c) = store.black_list_delete(&req, &mut draw)?;
            changed = c;
            notify(shared, ChangeKind::Unblock, &req, &resp);
            config.variants.change(false, &mut resp);
            let codes = resp.result_item.iter().map(|i| i.result_code).collect();
            (json_response(&resp), codes)
        }
        other => {
            changed = false;
            let store = shared.store.lock().expect("store lock");
            read_only(&store, other, value, &mut draw, &config.variants)?
        }
    };
    if changed {
        shared.mark_dirty();
    }
    Ok(response)
}

/// Queues the webhook of a change call: the items that succeeded, if any (never waits).
fn notify(
    shared: &SharedState,
    kind: ChangeKind,
    req: &BlackListChangeRequest,
    resp: &BlackListChangeResponse,
) {
    if let Some(callbacks) = &shared.callbacks {
        let changed: Vec<String> = resp
            .result_item
            .iter()
            .filter(|item| item.result_code == 0)
            .map(|item| item.to_account.clone())
            .collect();
        callbacks.changed(kind, &req.from_account, changed);
    }
}

fn read_only(
    store: &Store,
    api: Api,
    value: Value,
    draw: &mut dyn FnMut() -> Option<i64>,
    variants: &super::variants::Variants,
) -> Result<Dispatched, CallError> {
    Ok(match api {
        Api::BlackListGet => {
            let resp = store.black_list_get(&parse(api, value)?)?;
            let mut body = serde_json::to_value(&resp).unwrap_or(Value::Null);
            variants.list(&mut body);
            (json_response(&body), vec![])
        }
        Api::BlackListCheck => {
            let resp = store.black_list_check(&parse(api, value)?, draw)?;
            let codes = resp
                .black_list_check_item
                .iter()
                .map(|i| i.result_code)
                .collect();
            (json_response(&resp), codes)
        }
        Api::FriendCheck => {
            let resp = store.friend_check(&parse(api, value)?, draw)?;
            let codes = resp.info_item.iter().map(|i| i.result_code).collect();
            (json_response(&resp), codes)
        }
        Api::FriendGet => (
            json_response(&store.friend_get(&parse(api, value)?)?),
            vec![],
        ),
        Api::AccountCheck => (
            json_response(&store.account_check(&parse(api, value)?)?),
            vec![],
        ),
        Api::PortraitGet => (
            json_response(&store.portrait_get(&parse(api, value)?)?),
            vec![],
        ),
        Api::BlackListAdd | Api::BlackListDelete => unreachable!("mutations are dispatched above"),
    })
}

/// Checks the query string and the UserSig as the service does.
fn authenticate(shared: &SharedState, query: Option<&str>) -> Result<(), CallError> {
    let config: &SandboxConfig = &shared.config;
    let params: HashMap<String, String> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());

    let sdkappid = get("sdkappid")
        .ok_or_else(|| CallError::new(60012, "sdkappid is missing from the URL query"))?;
    let sdkappid: u64 = sdkappid.parse().map_err(|_| {
        CallError::new(
            60006,
            format!("sdkappid \"{}\" is not a valid SDKAppID", elide(sdkappid)),
        )
    })?;
    if sdkappid != config.sdkappid {
        return Err(CallError::new(
            60006,
            format!("SDKAppID {sdkappid} is invalid: no such app here"),
        ));
    }
    let identifier = get("identifier").ok_or_else(|| {
        CallError::new(
            60004,
            "identifier is missing from the URL query: pass an app admin account",
        )
    })?;
    match get("random").map(str::parse::<u32>) {
        Some(Ok(_)) => {}
        Some(Err(_)) => {
            return Err(CallError::new(
                60002,
                "random must be an unsigned 32-bit integer (0 to 4294967295)",
            ));
        }
        None => {
            return Err(CallError::new(
                60002,
                "random is missing from the URL query",
            ));
        }
    }
    if let Some(ct) = get("contenttype")
        && !ct.eq_ignore_ascii_case("json")
    {
        return Err(CallError::new(
            60002,
            format!("contenttype \"{}\" is not supported; use json", elide(ct)),
        ));
    }
    let sig = get("usersig").ok_or_else(|| CallError::new(70002, "usersig is missing or empty"))?;

    let now = now_secs();
    let mut auth = shared.auth.lock().expect("auth lock");
    let instant = Instant::now();
    if let Some(until) = auth.locked_until.get(identifier) {
        if *until > instant {
            return Err(CallError::new(
                70050,
                "too many requests with a bad UserSig: this identifier is locked for one minute",
            ));
        }
        auth.locked_until.remove(identifier);
    }
    auth.prune(instant);
    let claims = match auth.cache.get(sig) {
        Some(claims) => Ok(claims.clone()),
        None => usersig::verify(sig, &config.key, identifier, sdkappid, now),
    };
    let result = claims.and_then(|c| {
        // A cached signature still has to match this call and still be valid now.
        if c.sdkappid != sdkappid {
            Err(usersig::VerifyError::SdkAppId {
                expected: sdkappid,
                found: c.sdkappid,
            })
        } else if c.identifier != identifier {
            Err(usersig::VerifyError::Identifier {
                expected: identifier.to_owned(),
                found: c.identifier.clone(),
            })
        } else if now > c.expires_at() {
            Err(usersig::VerifyError::Expired {
                expired_at: c.expires_at(),
                now,
            })
        } else {
            Ok(c)
        }
    });
    match result {
        Ok(claims) => {
            if auth.cache.len() >= SIG_CACHE {
                auth.cache.clear();
            }
            auth.cache.insert(sig.to_owned(), claims);
        }
        Err(e) => {
            let code = e.tim_code();
            if matches!(code, 70003 | 70009) && config.lockout_after > 0 {
                let bad = auth.bad.entry(identifier.to_owned()).or_default();
                bad.push_back(instant);
                while bad
                    .front()
                    .is_some_and(|t| instant.duration_since(*t) > LOCKOUT_WINDOW)
                {
                    bad.pop_front();
                }
                if bad.len() >= config.lockout_after as usize {
                    bad.clear();
                    auth.locked_until
                        .insert(identifier.to_owned(), instant + LOCKOUT_FOR);
                }
            }
            return Err(CallError::new(code, format!("UserSig rejected: {e}")));
        }
    }
    drop(auth);
    if !config.admins.iter().any(|a| a == identifier) {
        return Err(CallError::new(
            60010,
            format!(
                "\"{}\" is not an app admin: this call needs an app admin identifier",
                elide(identifier)
            ),
        ));
    }
    Ok(())
}

/// `GET /sandbox/stats`: what the sandbox has answered so far (not part of the TIM protocol).
pub async fn stats(State(shared): State<SharedState>) -> Response {
    let counters = shared.counters.lock().expect("counters lock").clone();
    let store = shared.store.lock().expect("store lock").stats();
    let mut stats = serde_json::json!({
        "calls": counters.calls,
        "codes": counters.codes,
        "item_codes": counters.item_codes,
        "accounts": store.accounts,
        "blocks": store.blocks,
        "friendships": store.friendships,
        "connections": shared.connections.view(),
    });
    // Only with a callback URL, so that the answer is unchanged without one.
    if let Some(callbacks) = &shared.callbacks {
        let c = callbacks.stats();
        stats["callbacks_sent"] = c.sent.into();
        stats["callbacks_failed"] = c.failed.into();
        stats["callbacks_dropped"] = c.dropped.into();
    }
    json_response(&stats)
}
