//! The live change feed: the receiving end of the service's blocklist webhooks
//! (`Sns.CallbackBlackListAdd` / `Sns.CallbackBlackListDelete`), burst detection over the changes, and a
//! polling watch for when no webhook is configured.
//!
//! A [`Listener`] serves HTTP on an address of the caller's choice and turns every pair of every
//! accepted callback into a [`FeedEvent`] on an unbounded channel, so that the service always gets its
//! answer at once whatever the consumer is doing. With a token configured it checks `Sign` (SHA-256 of
//! token + `RequestTime`, compared in constant time) and that `RequestTime` is recent; with an SDKAppID
//! configured it checks `SdkAppid`. Refused posts are answered `FAIL` with HTTP 200 and reported as
//! [`FeedMsg::Rejected`].

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::client::engine::Engine;
use crate::client::http::CallError;
use crate::tim::codes::Class;
use crate::tim::ids::UserId;
use crate::tim::wire::{Api, BlackListGetRequest, BlackListGetResponse};

/// `CallbackCommand` of a blocklist addition.
pub const COMMAND_ADD: &str = "Sns.CallbackBlackListAdd";
/// `CallbackCommand` of a blocklist deletion.
pub const COMMAND_DELETE: &str = "Sns.CallbackBlackListDelete";
/// `CallbackCommand` of a new friendship.
pub const COMMAND_FRIEND_ADD: &str = "Sns.CallbackFriendAdd";
/// `CallbackCommand` of a friendship's end.
pub const COMMAND_FRIEND_DELETE: &str = "Sns.CallbackFriendDelete";
/// How far `RequestTime` may be from the listener's clock, either way.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);
/// Pairs one callback may carry at most (the service changes at most 1000 per call); a post with
/// more is refused whole, so that one post cannot flood the feed.
pub const MAX_PAIRS_PER_POST: usize = 1000;
/// Default burst window.
pub const DEFAULT_BURST_WINDOW: Duration = Duration::from_secs(60);
/// Default number of changes within the window that make a burst.
pub const DEFAULT_BURST_THRESHOLD: usize = 20;

/// The callback signature: lowercase hex SHA-256 of `token` followed by `request_time`.
pub fn sign(token: &str, request_time: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(token.as_bytes());
    hasher.update(request_time.as_bytes());
    to_hex(&hasher.finalize())
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Untrusted text for a message: at most 32 characters, quoted and escaped.
fn quote(text: &str) -> String {
    let short: String = text.chars().take(32).collect();
    format!("{short:?}")
}

use crate::clock::unix_now;

// ------------------------------------------------------------------------------------ messages

/// What happened between two accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ChangeKind {
    /// `from` put `to` on its blocklist.
    Block,
    /// `from` took `to` off its blocklist.
    Unblock,
    /// `from` and `to` became friends (`Sns.CallbackFriendAdd`).
    FriendAdd,
    /// `from` removed `to` from its friends (`Sns.CallbackFriendDelete`).
    FriendDelete,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 4] = [
        ChangeKind::Block,
        ChangeKind::Unblock,
        ChangeKind::FriendAdd,
        ChangeKind::FriendDelete,
    ];

    /// `blocked`, `unblocked`, `befriended`, `unfriended`.
    pub fn past_tense(self) -> &'static str {
        match self {
            ChangeKind::Block => "blocked",
            ChangeKind::Unblock => "unblocked",
            ChangeKind::FriendAdd => "befriended",
            ChangeKind::FriendDelete => "unfriended",
        }
    }

    /// A change of a blocklist (not of a friendship).
    pub fn is_blocklist(self) -> bool {
        matches!(self, ChangeKind::Block | ChangeKind::Unblock)
    }

    /// The kind a `CallbackCommand` reports, if it is a blocklist or friendship command.
    pub fn from_command(command: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.command() == command)
    }

    /// The `CallbackCommand` that reports this kind.
    pub fn command(self) -> &'static str {
        match self {
            ChangeKind::Block => COMMAND_ADD,
            ChangeKind::Unblock => COMMAND_DELETE,
            ChangeKind::FriendAdd => COMMAND_FRIEND_ADD,
            ChangeKind::FriendDelete => COMMAND_FRIEND_DELETE,
        }
    }

    /// The word the change store keeps: `block`, `unblock`, `friend_add`, `friend_delete`.
    pub fn word(self) -> &'static str {
        match self {
            ChangeKind::Block => "block",
            ChangeKind::Unblock => "unblock",
            ChangeKind::FriendAdd => "friend_add",
            ChangeKind::FriendDelete => "friend_delete",
        }
    }

    /// The kind of a stored word.
    pub fn of_word(word: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.word() == word)
    }
}

/// One changed pair, as a callback reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedEvent {
    /// When the listener received it (Unix seconds).
    pub received: u64,
    pub kind: ChangeKind,
    /// `From_Account`, as received: untrusted text, to be sanitized before display.
    pub from: String,
    /// `To_Account`, as received: untrusted text, to be sanitized before display.
    pub to: String,
    /// `OptPlatform` of the change (RESTAPI, Web, Android, iOS, Windows, macOS, iPad, Unknown);
    /// `Unknown` when the URL does not say. Untrusted text.
    pub platform: String,
    /// `ClientIP` of the URL: the address of the client that made the change. Untrusted text.
    pub client_ip: Option<String>,
    /// `SdkAppid` of the URL, when present and numeric.
    pub sdkappid: Option<u64>,
}

/// What a [`Listener`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedMsg {
    Event(FeedEvent),
    /// A post that was refused (bad or missing signature, stale `RequestTime`, wrong `SdkAppid`,
    /// unreadable body). `client` is the address the post came from.
    Rejected {
        reason: String,
        client: Option<String>,
    },
    /// Sent once, when the listener is serving on this address.
    Listening(SocketAddr),
    /// Changes stored before the dashboard opened, oldest first: shown, not judged for bursts.
    Backlog(Vec<FeedEvent>),
    /// The feed follows the change store that `blockdeck relay` records into; `empty` when
    /// nothing is recorded there yet.
    Following {
        store: String,
        empty: bool,
    },
    /// The change store could not be read: why, and what is done about it.
    StoreLost(String),
}

// ------------------------------------------------------------------------------------ listener

/// A running webhook receiver.
pub struct Listener {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
    shed: Arc<AtomicU64>,
}

struct ListenerState {
    checks: Checks,
    tx: mpsc::Sender<FeedMsg>,
    /// Changes refused because the queue was full.
    shed: Arc<AtomicU64>,
}

/// Changes the listener's queue holds at most: beyond, posts are answered with an error (the
/// service retries them) and counted as shed, instead of memory growing under a flood.
pub const FEED_QUEUE: usize = 10_000;
/// The largest post body taken: a full `PairList` of 1,000 pairs of 32-byte IDs with room to spare.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The bounded channel a [`Listener`] sends on.
pub fn channel() -> (mpsc::Sender<FeedMsg>, mpsc::Receiver<FeedMsg>) {
    mpsc::channel(FEED_QUEUE)
}

/// How long [`Listener::stop`] waits for open connections before cutting them.
const STOP_GRACE: Duration = Duration::from_secs(3);

impl Listener {
    /// Binds `addr` (port 0 picks a free port) and serves callbacks: a POST on any path.
    ///
    /// With `token`, a post must carry `RequestTime` within [`MAX_CLOCK_SKEW`] of now and
    /// `Sign` = [`sign`]`(token, RequestTime)`; with `sdkappid`, its `SdkAppid` must be that one.
    /// Every pair of `PairList` of an accepted blocklist callback becomes one [`FeedMsg::Event`];
    /// other `CallbackCommand`s are acknowledged and ignored.
    pub async fn start(
        addr: SocketAddr,
        token: Option<String>,
        sdkappid: Option<u64>,
        tx: mpsc::Sender<FeedMsg>,
    ) -> Result<Listener> {
        let listener = crate::serve::bind(addr)
            .with_context(|| format!("cannot listen for callbacks on {addr}"))?;
        let addr = listener.local_addr()?;
        let shed = Arc::new(AtomicU64::new(0));
        let state = Arc::new(ListenerState {
            checks: Checks {
                token: token.filter(|t| !t.is_empty()),
                sdkappid,
            },
            tx: tx.clone(),
            shed: shed.clone(),
        });
        let app = Router::new()
            .fallback(receive)
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(state);
        let (shutdown, stopping) = watch::channel(false);
        // A dropped `Listener` stops the server too (its stop channel then closes).
        let task = tokio::spawn(crate::serve::serve(
            listener,
            app,
            crate::serve::Limits::default(),
            Arc::default(),
            stopping,
        ));
        let _ = tx.try_send(FeedMsg::Listening(addr));
        Ok(Listener {
            addr,
            shutdown,
            task,
            shed,
        })
    }

    /// How many changes were refused so far because the queue was full.
    pub fn shed(&self) -> Arc<AtomicU64> {
        self.shed.clone()
    }

    /// The address served (with the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`, the URL to configure as the app's callback URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops accepting, lets open requests finish for a moment, then ends the server.
    pub async fn stop(self) -> Result<()> {
        let _ = self.shutdown.send(true);
        let mut task = self.task;
        match tokio::time::timeout(STOP_GRACE, &mut task).await {
            Ok(joined) => joined
                .context("callback listener task")?
                .context("callback listener"),
            Err(_) => {
                task.abort();
                Ok(())
            }
        }
    }
}

/// The answer the service expects from a callback receiver.
pub fn answer(ok: bool, info: &str) -> Response {
    let body = if ok {
        serde_json::json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""})
    } else {
        serde_json::json!({"ActionStatus": "FAIL", "ErrorCode": 1, "ErrorInfo": info})
    };
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Answers anything but a POST.
pub fn not_a_post() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, "POST")],
        "callbacks are POSTed\n",
    )
        .into_response()
}

/// Handles one request. Never waits on the consumer of the channel.
async fn receive(
    State(state): State<Arc<ListenerState>>,
    method: Method,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return not_a_post();
    }
    let post = match state.checks.accept(query.as_deref(), &body, unix_now()) {
        Ok(Some(post)) => post,
        Ok(None) => return answer(true, ""),
        Err(refusal) => {
            tracing::debug!("callback from {peer} refused: {}", refusal.reason);
            // A full queue drops the notice, not the listener.
            let _ = state.tx.try_send(FeedMsg::Rejected {
                reason: refusal.reason,
                client: Some(peer.ip().to_string()),
            });
            return answer(false, refusal.public);
        }
    };
    let events = post.events;
    if events.is_empty() {
        return answer(true, "");
    }
    // Room for the whole post, or none of it: the service retries a post answered with an error.
    match state.tx.try_reserve_many(events.len()) {
        Ok(permits) => {
            for (permit, event) in permits.zip(events) {
                permit.send(FeedMsg::Event(event));
            }
            answer(true, "")
        }
        Err(_) => {
            let n = events.len() as u64;
            let before = state.shed.fetch_add(n, Ordering::Relaxed);
            // Logged when the count of shed changes passes a power of two, not for every post
            // of a flood.
            if before.checked_ilog2() != (before + n).checked_ilog2() {
                tracing::warn!(
                    "callback from {peer} shed: the feed's queue of {FEED_QUEUE} changes is \
                     full ({} change(s) shed so far)",
                    before + n
                );
            }
            busy("busy: the feed is full, retry later")
        }
    }
}

/// `503` with a `FAIL` answer: the service tries the post again later.
pub fn busy(info: &str) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, answer(false, info)).into_response()
}

/// What a receiver checks a callback against.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// The callback token: with it, `Sign` and a recent `RequestTime` are required.
    pub token: Option<String>,
    /// The app's SDKAppID: with it, `SdkAppid` must be this one.
    pub sdkappid: Option<u64>,
}

/// Why a callback was refused: `public` goes back to the sender, `reason` to the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub public: &'static str,
    pub reason: String,
}

/// An accepted callback: what it reported, and the digest a redelivery of it has too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub kind: ChangeKind,
    /// One per pair of `PairList`, in its order.
    pub events: Vec<FeedEvent>,
    /// When the change happened (Unix milliseconds): the body's `EventTime` when it has one,
    /// else when it was received.
    pub time_ms: u64,
    /// Lowercase hex SHA-256 of what identifies the post: its command, `EventTime` (or, without
    /// one, `RequestTime`), `SdkAppid`, `ClientIP`, `OptPlatform` and every pair in order. A
    /// redelivery, whether resent as it was or signed anew, has the same digest.
    pub digest: String,
}

impl Checks {
    /// Checks one callback (its raw query and body) at `now` (Unix seconds). `Ok(None)` for a
    /// command that is neither a blocklist nor a friendship change: acknowledged and ignored.
    pub fn accept(
        &self,
        query: Option<&str>,
        body: &[u8],
        now: u64,
    ) -> Result<Option<Post>, Refusal> {
        let refuse = |public: &'static str, reason: String| Refusal { public, reason };
        let params: HashMap<String, String> =
            form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());

        let sdkappid = get("SdkAppid").and_then(|v| v.parse::<u64>().ok());
        if let Some(expected) = self.sdkappid
            && sdkappid != Some(expected)
        {
            let found = get("SdkAppid").map_or_else(|| "none".to_owned(), quote);
            return Err(refuse(
                "bad SdkAppid",
                format!("SdkAppid {found} is not the configured {expected}"),
            ));
        }
        if let Some(token) = self.token.as_deref().filter(|t| !t.is_empty())
            && let Err(reason) = check_signature(token, get("RequestTime"), get("Sign"), now)
        {
            return Err(refuse("bad signature", reason));
        }

        let value: Value = crate::tim::wire::from_slice_lenient(body)
            .map_err(|e| refuse("bad body", format!("the body is not JSON ({e})")))?;
        let command = get("CallbackCommand")
            .or_else(|| value.get("CallbackCommand").and_then(Value::as_str))
            .unwrap_or("");
        let Some(kind) = ChangeKind::from_command(command) else {
            tracing::debug!("callback {} ignored", quote(command));
            return Ok(None);
        };
        let platform = get("OptPlatform").unwrap_or("Unknown").to_owned();
        let client_ip = get("ClientIP").map(str::to_owned);
        let event_time = match value.get("EventTime") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().ok_or_else(|| {
                refuse(
                    "bad EventTime",
                    "EventTime is not a Unix time in milliseconds".to_owned(),
                )
            })?),
        };
        let pairs = value
            .get("PairList")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if pairs.len() > MAX_PAIRS_PER_POST {
            return Err(refuse(
                "too many pairs",
                format!(
                    "the post carries {} pairs; the service sends at most {MAX_PAIRS_PER_POST}",
                    pairs.len()
                ),
            ));
        }
        let mut hasher = Sha256::new();
        let mut field = |text: &str| {
            hasher.update((text.len() as u64).to_be_bytes());
            hasher.update(text.as_bytes());
        };
        field(kind.command());
        match event_time {
            Some(t) => field(&format!("e{t}")),
            None => field(&format!("r{}", get("RequestTime").unwrap_or(""))),
        }
        field(get("SdkAppid").unwrap_or(""));
        field(client_ip.as_deref().unwrap_or(""));
        field(&platform);
        // Every ID must be a UserID: a post with anything else is refused whole.
        let mut events = Vec::with_capacity(pairs.len());
        for (n, pair) in pairs.iter().enumerate() {
            let text = |name: &str| pair.get(name).and_then(Value::as_str);
            let (Some(from), Some(to)) = (text("From_Account"), text("To_Account")) else {
                return Err(refuse(
                    "bad PairList",
                    format!("pair {n} lacks From_Account or To_Account strings"),
                ));
            };
            for (name, id) in [("From_Account", from), ("To_Account", to)] {
                if let Err(e) = UserId::parse(id) {
                    return Err(refuse(
                        "bad UserID",
                        format!("pair {n}: {name} is not a UserID ({})", e.problem()),
                    ));
                }
            }
            field(from);
            field(to);
            events.push(FeedEvent {
                received: now,
                kind,
                from: from.to_owned(),
                to: to.to_owned(),
                platform: platform.clone(),
                client_ip: client_ip.clone(),
                sdkappid,
            });
        }
        Ok(Some(Post {
            kind,
            events,
            time_ms: event_time.unwrap_or(now.saturating_mul(1000)),
            digest: to_hex(&hasher.finalize()),
        }))
    }
}

/// Checks `Sign` and `RequestTime` against `token` at `now` (Unix seconds); the error says why.
pub fn check_signature(
    token: &str,
    request_time: Option<&str>,
    given_sign: Option<&str>,
    now: u64,
) -> Result<(), String> {
    let request_time = request_time.ok_or("RequestTime is missing")?;
    let given = given_sign.ok_or("Sign is missing")?;
    let time: u64 = request_time
        .parse()
        .map_err(|_| format!("RequestTime {} is not a Unix time", quote(request_time)))?;
    let expected = sign(token, request_time);
    let given = given.to_ascii_lowercase();
    if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        return Err("Sign does not match the token".to_owned());
    }
    let skew = MAX_CLOCK_SKEW.as_secs();
    if time.abs_diff(now) > skew {
        let (amount, way) = if time < now {
            (now - time, "old")
        } else {
            (time - now, "in the future")
        };
        return Err(format!(
            "RequestTime is {amount} s {way} (at most {skew} s either way)"
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------------------ burst detection

/// Which side of the changes an account is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Role {
    /// The account changed its own blocklist many times (`From_Account`).
    Blocking,
    /// Many accounts changed their blocklists about this account (`To_Account`).
    Blocked,
}

/// Many changes of one kind about one account within the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Burst {
    pub account: String,
    pub role: Role,
    pub kind: ChangeKind,
    /// Changes within the window when the burst was reported (the threshold).
    pub count: usize,
    pub window_secs: u64,
}

/// Recent changes of one (account, role, kind).
struct Track {
    /// Times of the most recent changes within the window, oldest first; at most `threshold`
    /// are kept, which is all it takes to know whether the threshold is reached.
    times: VecDeque<Instant>,
    /// A burst was reported and the count has not dropped back since.
    reported: bool,
}

/// Tracks kept at most; beyond it the least recently active ones are forgotten.
const MAX_TRACKS: usize = 100_000;

/// Finds accounts that block, or are blocked by, many others in a short time.
///
/// A burst is reported once when the number of changes within the sliding window reaches the
/// threshold; it is reported again only after the count has dropped to half the threshold or less
/// and reached the threshold anew, so a rate that hovers around the threshold does not repeat it.
/// Memory is bounded: per track at most `threshold` times, tracks with nothing in the window are
/// dropped, and at most [`MAX_TRACKS`] tracks are kept.
pub struct BurstDetector {
    window: Duration,
    threshold: usize,
    tracks: HashMap<(String, Role, ChangeKind), Track>,
    last_sweep: Option<Instant>,
}

impl Default for BurstDetector {
    fn default() -> Self {
        BurstDetector::new(DEFAULT_BURST_WINDOW, DEFAULT_BURST_THRESHOLD)
    }
}

impl BurstDetector {
    /// `threshold` changes within `window` make a burst (a threshold of 0 counts as 1).
    pub fn new(window: Duration, threshold: usize) -> BurstDetector {
        BurstDetector {
            window,
            threshold: threshold.max(1),
            tracks: HashMap::new(),
            last_sweep: None,
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// Accounts tracked at the moment (for tests of the memory bound).
    pub fn tracked(&self) -> usize {
        self.tracks.len()
    }

    /// Counts `event` at `now` (times must not go backwards) and returns the bursts it completes:
    /// for its `from` as [`Role::Blocking`] and for its `to` as [`Role::Blocked`].
    /// Friendship changes are not counted: a raid is a burst of blocks (or of unblocks).
    pub fn observe(&mut self, event: &FeedEvent, now: Instant) -> Vec<Burst> {
        self.sweep(now);
        if !event.kind.is_blocklist() {
            return Vec::new();
        }
        let mut bursts = Vec::new();
        for (account, role) in [(&event.from, Role::Blocking), (&event.to, Role::Blocked)] {
            if let Some(count) = self.count(account, role, event.kind, now) {
                bursts.push(Burst {
                    account: account.clone(),
                    role,
                    kind: event.kind,
                    count,
                    window_secs: self.window.as_secs(),
                });
            }
        }
        bursts
    }

    /// Adds one change to a track; `Some(count)` when that makes a new burst.
    fn count(
        &mut self,
        account: &str,
        role: Role,
        kind: ChangeKind,
        now: Instant,
    ) -> Option<usize> {
        let (window, threshold) = (self.window, self.threshold);
        let track = self
            .tracks
            .entry((account.to_owned(), role, kind))
            .or_insert_with(|| Track {
                times: VecDeque::new(),
                reported: false,
            });
        expire(&mut track.times, now, window);
        if track.times.len() <= threshold / 2 {
            track.reported = false;
        }
        if track.times.len() >= threshold {
            track.times.pop_front();
        }
        track.times.push_back(now);
        if track.times.len() >= threshold && !track.reported {
            track.reported = true;
            return Some(track.times.len());
        }
        None
    }

    /// Drops tracks with nothing left in the window (at most every quarter window, or sooner when
    /// there are too many), then the least recently active ones beyond [`MAX_TRACKS`].
    fn sweep(&mut self, now: Instant) {
        let due = self
            .last_sweep
            .is_none_or(|t| now.saturating_duration_since(t) >= self.window / 4);
        // An observation adds at most two tracks: keep room for them.
        let crowded = self.tracks.len() + 2 > MAX_TRACKS;
        if !due && !crowded {
            return;
        }
        self.last_sweep = Some(now);
        let window = self.window;
        self.tracks.retain(|_, track| {
            expire(&mut track.times, now, window);
            !track.times.is_empty()
        });
        if self.tracks.len() + 2 > MAX_TRACKS {
            let mut last: Vec<Instant> = self
                .tracks
                .values()
                .filter_map(|t| t.times.back().copied())
                .collect();
            let keep = MAX_TRACKS / 2;
            let cut_at = last.len() - keep;
            let (_, cut, _) = last.select_nth_unstable(cut_at);
            let cut = *cut;
            self.tracks
                .retain(|_, t| t.times.back().is_some_and(|&at| at >= cut));
        }
    }
}

/// Forgets times that are `window` or more before `now`.
fn expire(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|&t| now.saturating_duration_since(t) >= window)
    {
        times.pop_front();
    }
}

// ----------------------------------------------------------------------------------- watch mode

/// What [`watch`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchMsg {
    /// The first successful poll: the blocklist's sequence at the start, to compare with the one the
    /// list was loaded at.
    Started { user: UserId, sequence: u64 },
    /// The blocklist's sequence moved since the last poll: re-read the list.
    Changed { user: UserId, sequence: u64 },
    /// A poll failed; watching goes on.
    Error { user: UserId, error: CallError },
}

/// The shortest polling interval [`watch`] accepts.
pub const MIN_WATCH_INTERVAL: Duration = Duration::from_millis(200);
/// The wait after an authentication error, so that polling with bad credentials cannot reach the
/// service's lock-out threshold (bad signatures per minute).
const AUTH_PAUSE: Duration = Duration::from_secs(60);
/// The wait after a lock-out (70050): each attempt during the lock extends it.
const LOCKOUT_PAUSE: Duration = Duration::from_secs(61);

/// Whether a poll's sequence differs from the last one known (`None`: none known yet).
pub fn sequence_changed(previous: Option<u64>, current: u64) -> bool {
    previous.is_some_and(|p| p != current)
}

/// Polls `user`'s blocklist every `every` (at least [`MIN_WATCH_INTERVAL`]) for when no webhook is
/// configured: one black_list_get with `MaxLimited: 1` through `engine.call`, whose
/// `CurruentSequence` moves on every change. Sends [`WatchMsg::Started`] after the first successful
/// poll, [`WatchMsg::Changed`] when the sequence moves, and [`WatchMsg::Error`] for a failed poll
/// (then goes on; after an authentication error or a lock-out it waits a minute first). Returns when
/// `cancel` is cancelled or the receiver is gone.
pub async fn watch(
    engine: &Engine,
    user: &UserId,
    every: Duration,
    tx: mpsc::UnboundedSender<WatchMsg>,
    cancel: CancellationToken,
) {
    let every = every.max(MIN_WATCH_INTERVAL);
    let request = BlackListGetRequest {
        from_account: user.as_str().to_owned(),
        start_index: 0,
        max_limited: 1,
        last_sequence: 0,
    };
    let mut known: Option<u64> = None;
    loop {
        let polled = tokio::select! {
            _ = cancel.cancelled() => return,
            r = engine.call::<_, BlackListGetResponse>(Api::BlackListGet, &request) => r,
        };
        let mut pause = every;
        let msg = match polled {
            Ok(resp) => {
                let sequence = resp.current_sequence;
                let msg = match known {
                    None => Some(WatchMsg::Started {
                        user: user.clone(),
                        sequence,
                    }),
                    Some(previous) if sequence_changed(Some(previous), sequence) => {
                        Some(WatchMsg::Changed {
                            user: user.clone(),
                            sequence,
                        })
                    }
                    Some(_) => None,
                };
                known = Some(sequence);
                msg
            }
            Err(error) => {
                match error.class() {
                    Class::Lockout => pause = pause.max(LOCKOUT_PAUSE),
                    Class::Auth => pause = pause.max(AUTH_PAUSE),
                    _ => {}
                }
                Some(WatchMsg::Error {
                    user: user.clone(),
                    error,
                })
            }
        };
        if let Some(msg) = msg
            && tx.send(msg).is_err()
        {
            return;
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tx.closed() => return,
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(from: &str, to: &str, kind: ChangeKind) -> FeedEvent {
        FeedEvent {
            received: 0,
            kind,
            from: from.to_owned(),
            to: to.to_owned(),
            platform: "RESTAPI".to_owned(),
            client_ip: None,
            sdkappid: None,
        }
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn sign_matches_the_documented_vector() {
        // Tencent's example: the token is `xxxxyyyy` (some copies of the page print it as `xxxyyy`,
        // which does not give this digest).
        assert_eq!(
            sign("xxxxyyyy", "1669872112"),
            "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061"
        );
        assert_eq!(
            sign("xxxyyy", "1669872112"),
            "e78a85473bed2cdc8d6fa8c4d5a4ba4735fd64156e15a99516b9890293e135de"
        );
        assert_eq!(
            sign("", ""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn signature_check_wants_a_matching_recent_sign() {
        let good = sign("T", "1000");
        assert_eq!(
            check_signature("T", Some("1000"), Some(&good), 1000),
            Ok(())
        );
        // Upper-case hex is the same signature.
        let upper = good.to_ascii_uppercase();
        assert_eq!(
            check_signature("T", Some("1000"), Some(&upper), 1200),
            Ok(())
        );
        assert!(check_signature("T", Some("1000"), Some(&good), 1300).is_ok());
        assert!(check_signature("T", Some("1000"), Some(&good), 700).is_ok());
        let stale = check_signature("T", Some("1000"), Some(&good), 1301).unwrap_err();
        assert!(stale.contains("301 s old"), "{stale}");
        let future = check_signature("T", Some("1000"), Some(&good), 699).unwrap_err();
        assert!(future.contains("in the future"), "{future}");
        assert!(check_signature("U", Some("1000"), Some(&good), 1000).is_err());
        assert!(check_signature("T", Some("1001"), Some(&good), 1000).is_err());
        assert!(check_signature("T", None, Some(&good), 1000).is_err());
        assert!(check_signature("T", Some("1000"), None, 1000).is_err());
        assert!(check_signature("T", Some("1000"), Some(&good[..63]), 1000).is_err());
        assert!(check_signature("T", Some("soon"), Some(&good), 1000).is_err());
    }

    #[test]
    fn change_kinds_map_to_commands() {
        for kind in ChangeKind::ALL {
            assert_eq!(ChangeKind::from_command(kind.command()), Some(kind));
            assert_eq!(ChangeKind::of_word(kind.word()), Some(kind));
        }
        assert_eq!(
            ChangeKind::from_command("Sns.CallbackFriendAdd"),
            Some(ChangeKind::FriendAdd)
        );
        assert_eq!(ChangeKind::from_command("C2C.CallbackAfterSendMsg"), None);
    }

    #[test]
    fn sequence_changes_only_against_a_known_one() {
        assert!(!sequence_changed(None, 3));
        assert!(!sequence_changed(Some(3), 3));
        assert!(sequence_changed(Some(3), 4));
        assert!(sequence_changed(Some(4), 3));
    }

    #[test]
    fn burst_is_reported_once_when_the_threshold_is_reached() {
        let mut d = BurstDetector::new(secs(60), 5);
        let t0 = Instant::now();
        let mut all = Vec::new();
        for i in 0..4 {
            let b = d.observe(
                &event("spammer", &format!("v{i}"), ChangeKind::Block),
                t0 + secs(i),
            );
            assert!(b.is_empty(), "{b:?}");
        }
        let b = d.observe(&event("spammer", "v4", ChangeKind::Block), t0 + secs(4));
        assert_eq!(
            b,
            vec![Burst {
                account: "spammer".to_owned(),
                role: Role::Blocking,
                kind: ChangeKind::Block,
                count: 5,
                window_secs: 60,
            }]
        );
        // Going on at the same pace does not report it again.
        for i in 5..40 {
            all.extend(d.observe(
                &event("spammer", &format!("v{i}"), ChangeKind::Block),
                t0 + secs(i),
            ));
        }
        assert!(all.is_empty(), "{all:?}");
    }

    #[test]
    fn burst_of_the_blocked_side() {
        let mut d = BurstDetector::new(secs(10), 3);
        let t0 = Instant::now();
        let mut bursts = Vec::new();
        for (i, from) in ["a", "b", "c"].into_iter().enumerate() {
            bursts.extend(d.observe(
                &event(from, "victim", ChangeKind::Block),
                t0 + secs(i as u64),
            ));
        }
        assert_eq!(bursts.len(), 1, "{bursts:?}");
        assert_eq!(bursts[0].account, "victim");
        assert_eq!(bursts[0].role, Role::Blocked);
        assert_eq!(bursts[0].count, 3);
    }

    #[test]
    fn kinds_are_counted_apart() {
        let mut d = BurstDetector::new(secs(10), 3);
        let t0 = Instant::now();
        let mut bursts = Vec::new();
        for (i, kind) in [
            ChangeKind::Block,
            ChangeKind::Unblock,
            ChangeKind::Block,
            ChangeKind::Unblock,
        ]
        .into_iter()
        .enumerate()
        {
            bursts.extend(d.observe(&event("a", &format!("v{i}"), kind), t0 + secs(i as u64)));
        }
        assert!(bursts.is_empty(), "{bursts:?}");
        let b = d.observe(&event("a", "v9", ChangeKind::Unblock), t0 + secs(5));
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].kind, ChangeKind::Unblock);
    }

    #[test]
    fn changes_spread_wider_than_the_window_make_no_burst() {
        let mut d = BurstDetector::new(secs(10), 3);
        let t0 = Instant::now();
        let mut bursts = Vec::new();
        // Three changes, but never three within ten seconds.
        for (i, at) in [0, 6, 10, 16, 20].into_iter().enumerate() {
            bursts.extend(d.observe(
                &event("a", &format!("v{i}"), ChangeKind::Block),
                t0 + secs(at),
            ));
        }
        assert!(bursts.is_empty(), "{bursts:?}");
        // The third within the window makes one.
        let b = d.observe(&event("a", "v9", ChangeKind::Block), t0 + secs(25));
        assert_eq!(b.len(), 1, "{b:?}");
    }

    #[test]
    fn burst_is_reported_again_after_the_count_dropped() {
        let mut d = BurstDetector::new(secs(10), 4);
        let t0 = Instant::now();
        let count_bursts = |d: &mut BurstDetector, start: u64| -> usize {
            (0..4)
                .map(|i| {
                    d.observe(
                        &event("a", &format!("v{start}-{i}"), ChangeKind::Block),
                        t0 + secs(start) + Duration::from_millis(i * 100),
                    )
                    .len()
                })
                .sum()
        };
        assert_eq!(count_bursts(&mut d, 0), 1);
        // Still within the window of the first burst: no report.
        assert_eq!(count_bursts(&mut d, 5), 0);
        // After a quiet window, a new burst is reported.
        assert_eq!(count_bursts(&mut d, 30), 1);
    }

    #[test]
    fn hovering_around_the_threshold_does_not_repeat() {
        let mut d = BurstDetector::new(secs(10), 4);
        let t0 = Instant::now();
        let mut reports = 0;
        // One change every 2.5 s: the window holds 4, then 3 before each new one arrives.
        for i in 0..40u64 {
            reports += d
                .observe(
                    &event("a", &format!("v{i}"), ChangeKind::Block),
                    t0 + Duration::from_millis(i * 2500),
                )
                .len();
        }
        assert_eq!(reports, 1);
    }

    #[test]
    fn memory_is_bounded() {
        let mut d = BurstDetector::new(secs(10), 3);
        let t0 = Instant::now();
        for i in 0..1000u64 {
            d.observe(
                &event(&format!("f{i}"), &format!("t{i}"), ChangeKind::Block),
                t0 + Duration::from_millis(i),
            );
        }
        assert_eq!(d.tracked(), 2000);
        // A quiet window later, the old tracks are gone.
        d.observe(&event("x", "y", ChangeKind::Block), t0 + secs(30));
        assert_eq!(d.tracked(), 2);
        // One account blocking very many keeps only what the threshold needs.
        for i in 0..10_000u64 {
            d.observe(
                &event("big", &format!("t{i}"), ChangeKind::Block),
                t0 + secs(31),
            );
        }
        let track = &d.tracks[&("big".to_owned(), Role::Blocking, ChangeKind::Block)];
        assert_eq!(track.times.len(), 3);
    }

    #[test]
    fn too_many_tracks_are_cut_to_the_most_recent() {
        let mut d = BurstDetector::new(secs(3600), 3);
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKS as u64) {
            d.observe(
                &event(&format!("f{i}"), &format!("t{i}"), ChangeKind::Block),
                t0 + Duration::from_millis(i),
            );
        }
        assert!(d.tracked() <= MAX_TRACKS, "{}", d.tracked());
        assert!(d.tracked() >= MAX_TRACKS / 2 - 2, "{}", d.tracked());
        // The newest survive.
        let last = MAX_TRACKS - 1;
        assert!(
            d.tracks
                .contains_key(&(format!("f{last}"), Role::Blocking, ChangeKind::Block))
        );
    }

    async fn next(rx: &mut mpsc::UnboundedReceiver<WatchMsg>) -> Option<WatchMsg> {
        tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a watch message in time")
    }

    #[tokio::test]
    async fn watch_reports_sequence_changes_and_errors() {
        use crate::client::engine::{EngineOptions, Limits, RetryPolicy};
        use crate::client::http::{ClientOptions, Endpoint, TimClient};
        use crate::sandbox::{Sandbox, SandboxConfig};
        use crate::secret::SecretKey;
        use crate::tim::wire::{BlackListChangeRequest, BlackListChangeResponse};

        let key = SecretKey::random();
        let mut config = SandboxConfig::new(key.clone());
        config.seed = serde_json::from_value(serde_json::json!({
            "accounts": [{"id": "alice"}, {"id": "bob"}, {"id": "carol"}],
        }))
        .unwrap();
        let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let client = TimClient::new(
            Endpoint {
                base_url: sandbox.base_url(),
                sdkappid: sandbox.sdkappid(),
                admin: crate::sandbox::DEFAULT_ADMIN.to_owned(),
            },
            key,
            ClientOptions {
                timeout: Duration::from_secs(2),
                ..ClientOptions::default()
            },
        )
        .unwrap();
        let options = EngineOptions {
            read_retry: RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            },
            ..EngineOptions::default()
        };
        let engine = Engine::new(Arc::new(client), Arc::new(Limits::unlimited()), options);
        let alice = UserId::parse("alice").unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();

        let watching = watch(
            &engine,
            &alice,
            Duration::from_millis(200),
            tx,
            cancel.clone(),
        );
        let script = async {
            let Some(WatchMsg::Started {
                user,
                sequence: start,
            }) = next(&mut rx).await
            else {
                panic!("expected Started")
            };
            assert_eq!(user, alice);
            let block = BlackListChangeRequest {
                from_account: "alice".to_owned(),
                to_account: vec!["bob".to_owned(), "carol".to_owned()],
            };
            let _: BlackListChangeResponse = engine.call(Api::BlackListAdd, &block).await.unwrap();
            let Some(WatchMsg::Changed { sequence, .. }) = next(&mut rx).await else {
                panic!("expected Changed")
            };
            assert!(sequence > start, "{sequence} > {start}");
            // Nothing more while the list stays as it is.
            let quiet = tokio::time::timeout(Duration::from_millis(700), rx.recv()).await;
            assert!(quiet.is_err(), "{quiet:?}");
            sandbox.stop().await.unwrap();
            let Some(WatchMsg::Error { error, .. }) = next(&mut rx).await else {
                panic!("expected Error")
            };
            assert_eq!(error.code(), -1, "{error}");
            // Watching goes on after an error.
            assert!(matches!(next(&mut rx).await, Some(WatchMsg::Error { .. })));
            cancel.cancel();
        };
        let ((), ()) = tokio::time::timeout(Duration::from_secs(30), async {
            tokio::join!(watching, script)
        })
        .await
        .expect("watch ends on cancel");
    }

    #[tokio::test]
    async fn listener_turns_pairs_into_events() {
        let (tx, mut rx) = channel();
        let listener = Listener::start("127.0.0.1:0".parse().unwrap(), None, Some(7), tx)
            .await
            .unwrap();
        assert_eq!(rx.recv().await, Some(FeedMsg::Listening(listener.addr())));
        crate::client::http::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let url = format!(
            "{}callback?SdkAppid=7&CallbackCommand={COMMAND_DELETE}&contenttype=json&ClientIP=10.0.0.1&OptPlatform=iOS",
            listener.url()
        );
        // A pair without To_Account spoils the post: it is refused whole.
        let bad = r#"{"CallbackCommand":"Sns.CallbackBlackListDelete","PairList":[{"From_Account":"a","To_Account":"b"},{"From_Account":"a"}]}"#;
        let json: Value = http
            .post(&url)
            .body(bad)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(json["ActionStatus"], "FAIL");
        assert!(matches!(rx.recv().await, Some(FeedMsg::Rejected { .. })));
        let body = r#"{"CallbackCommand":"Sns.CallbackBlackListDelete","PairList":[{"From_Account":"a","To_Account":"b"},{"From_Account":"c","To_Account":"d"}]}"#;
        let resp = http.post(&url).body(body).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let json: Value = resp.json().await.unwrap();
        assert_eq!(json["ActionStatus"], "OK");
        for (from, to) in [("a", "b"), ("c", "d")] {
            let Some(FeedMsg::Event(e)) = rx.recv().await else {
                panic!("expected an event")
            };
            assert_eq!((e.from.as_str(), e.to.as_str()), (from, to));
            assert_eq!(e.kind, ChangeKind::Unblock);
            assert_eq!(e.platform, "iOS");
            assert_eq!(e.client_ip.as_deref(), Some("10.0.0.1"));
            assert_eq!(e.sdkappid, Some(7));
        }
        // A wrong SdkAppid is refused.
        let resp = http
            .post(url.replace("SdkAppid=7", "SdkAppid=8"))
            .body(body)
            .send()
            .await
            .unwrap();
        let json: Value = resp.json().await.unwrap();
        assert_eq!(json["ActionStatus"], "FAIL");
        assert!(matches!(rx.recv().await, Some(FeedMsg::Rejected { .. })));
        // Other commands are acknowledged and ignored; a GET is not a callback.
        let other = url.replace(COMMAND_DELETE, "C2C.CallbackAfterSendMsg");
        let json: Value = http
            .post(other)
            .body(r#"{"PairList":[{"From_Account":"x","To_Account":"y"}]}"#)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(json["ActionStatus"], "OK");
        assert_eq!(http.get(&url).send().await.unwrap().status(), 405);
        listener.stop().await.unwrap();
        assert!(rx.try_recv().is_err());
    }
}
