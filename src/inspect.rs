//! On-call inspection: what the relation between two users is, what each of them can therefore do,
//! and who, among a set of candidates, has a given user on their blocklist.
//!
//! The pure part ([`consequences`]) turns a [`Relationship`] into verdicts by the documented rules of
//! the service: a user on the other's blocklist cannot message them (when only A blocks B, A can still
//! message B but B cannot message A; when both block each other, neither can start a conversation); if
//! either blocks the other, neither can send the other a friend request; a user barred by the admin
//! (`AdminForbid_Type_SendOut`) cannot send friend requests; mutual friends need no request; nothing is
//! possible with an account that does not exist.
//!
//! The fetching part reads a relationship with four concurrent calls ([`inspect`]) and answers
//! "who blocks X?" ([`blockers`]): the service has no reverse index, so X is checked against a
//! candidate set with black_list_check in Both mode, 1000 candidates per call. Every call goes through
//! [`Engine::call`], which keeps under the rate limit and retries what is retryable.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::client::engine::{Engine, NO_ITEM_ANSWER, RetryPolicy};
use crate::client::http::CallError;
use crate::tim::codes::{self, Class};
use crate::tim::ids::UserId;
use crate::tim::wire::{
    self, AccountCheckEntry, AccountCheckRequest, AccountCheckResponse, AccountStatus, Api,
    BlackCheckType, BlackListCheckRequest, BlackListCheckResponse, BlackRelation,
    FriendCheckRequest, FriendCheckResponse, FriendCheckType, FriendGetRequest, FriendGetResponse,
    FriendRelation, PortraitGetRequest, PortraitGetResponse, UserProfileItem,
};

// ---------------------------------------------------------------- the pure part

/// Everything known about two users A and B, as read from the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relationship {
    pub a: UserId,
    pub b: UserId,
    /// Whether the account exists in the app (account_check: Imported).
    pub a_exists: bool,
    pub b_exists: bool,
    /// Nicknames as the service holds them: free text chosen by end users, untrusted for display.
    pub a_nick: Option<String>,
    pub b_nick: Option<String>,
    /// Barred by the admin from sending friend requests
    /// (`Tag_Profile_IM_AdminForbidType` = `AdminForbid_Type_SendOut`).
    pub a_forbid_send: bool,
    pub b_forbid_send: bool,
    /// B is on A's blocklist.
    pub a_blocks_b: bool,
    /// A is on B's blocklist.
    pub b_blocks_a: bool,
    /// B is on A's friend list.
    pub a_has_b: bool,
    /// A is on B's friend list.
    pub b_has_a: bool,
}

impl Relationship {
    /// Two existing accounts without nicknames, blocks, friendships or bars.
    pub fn unrelated(a: UserId, b: UserId) -> Relationship {
        Relationship {
            a,
            b,
            a_exists: true,
            b_exists: true,
            a_nick: None,
            b_nick: None,
            a_forbid_send: false,
            b_forbid_send: false,
            a_blocks_b: false,
            b_blocks_a: false,
            a_has_b: false,
            b_has_a: false,
        }
    }

    /// The blocklist relation as black_list_check (From = A, Both mode) names it.
    pub fn black_relation(&self) -> BlackRelation {
        BlackRelation::from_directions(self.a_blocks_b, self.b_blocks_a)
    }

    /// The friendship as friend_check (From = A, Both mode) names it.
    pub fn friend_relation(&self) -> FriendRelation {
        FriendRelation::from_directions(self.a_has_b, self.b_has_a)
    }

    pub fn mutual_friends(&self) -> bool {
        self.a_has_b && self.b_has_a
    }
}

/// Whether one thing is possible, and why, in a plain sentence naming both users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub allowed: bool,
    pub why: String,
}

impl Verdict {
    fn yes(why: String) -> Verdict {
        Verdict { allowed: true, why }
    }

    fn no(why: String) -> Verdict {
        Verdict {
            allowed: false,
            why,
        }
    }
}

/// What A and B can do to each other, with remarks on the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consequences {
    pub a_messages_b: Verdict,
    pub b_messages_a: Verdict,
    pub a_requests_b: Verdict,
    pub b_requests_a: Verdict,
    pub notes: Vec<String>,
}

/// One direction of a relationship: `from` acting towards `to`.
struct Side<'a> {
    from: &'a str,
    to: &'a str,
    from_blocks_to: bool,
    to_blocks_from: bool,
    from_barred: bool,
    from_has_to: bool,
    to_has_from: bool,
}

impl Relationship {
    fn side_a(&self) -> Side<'_> {
        Side {
            from: self.a.as_str(),
            to: self.b.as_str(),
            from_blocks_to: self.a_blocks_b,
            to_blocks_from: self.b_blocks_a,
            from_barred: self.a_forbid_send,
            from_has_to: self.a_has_b,
            to_has_from: self.b_has_a,
        }
    }

    fn side_b(&self) -> Side<'_> {
        Side {
            from: self.b.as_str(),
            to: self.a.as_str(),
            from_blocks_to: self.b_blocks_a,
            to_blocks_from: self.a_blocks_b,
            from_barred: self.b_forbid_send,
            from_has_to: self.b_has_a,
            to_has_from: self.a_has_b,
        }
    }
}

/// Applies the service's documented rules to a relationship. The sentences name the users by their
/// raw IDs; whoever prints them sanitizes them.
pub fn consequences(rel: &Relationship) -> Consequences {
    let (a, b) = (rel.a.as_str(), rel.b.as_str());
    if let Some(missing) = missing_accounts(rel) {
        let no = |what: String| Verdict::no(format!("{what}: {missing}."));
        return Consequences {
            a_messages_b: no(format!("{a} cannot message {b}")),
            b_messages_a: no(format!("{b} cannot message {a}")),
            a_requests_b: no(format!("{a} cannot send {b} a friend request")),
            b_requests_a: no(format!("{b} cannot send {a} a friend request")),
            notes: vec![format!(
                "Nothing is possible between {a} and {b}: {missing} (account_check: NotImported), \
                 so it can have no blocklist, friends or messages."
            )],
        };
    }
    Consequences {
        a_messages_b: message_verdict(&rel.side_a()),
        b_messages_a: message_verdict(&rel.side_b()),
        a_requests_b: request_verdict(&rel.side_a()),
        b_requests_a: request_verdict(&rel.side_b()),
        notes: notes(rel),
    }
}

/// Which accounts do not exist, as a clause, or `None` when both do.
fn missing_accounts(rel: &Relationship) -> Option<String> {
    let (a, b) = (rel.a.as_str(), rel.b.as_str());
    match (rel.a_exists, rel.b_exists) {
        (true, true) => None,
        (false, true) => Some(format!("account {a} does not exist in this app")),
        (true, false) => Some(format!("account {b} does not exist in this app")),
        (false, false) => Some(format!(
            "neither account {a} nor account {b} exists in this app"
        )),
    }
}

fn message_verdict(s: &Side<'_>) -> Verdict {
    let (from, to) = (s.from, s.to);
    match (s.from_blocks_to, s.to_blocks_from) {
        (true, true) => Verdict::no(format!(
            "{from} cannot message {to}: they have blocked each other, so neither can start a \
             conversation."
        )),
        (false, true) => Verdict::no(format!(
            "{from} cannot message {to}: {from} is on {to}'s blocklist."
        )),
        (true, false) => Verdict::yes(format!(
            "{from} can message {to}: {to} has not blocked {from} ({from}'s own block on {to} only \
             stops {to} from messaging {from})."
        )),
        (false, false) => Verdict::yes(format!(
            "{from} can message {to}: neither has blocked the other."
        )),
    }
}

fn request_verdict(s: &Side<'_>) -> Verdict {
    let (from, to) = (s.from, s.to);
    let block = match (s.from_blocks_to, s.to_blocks_from) {
        (true, true) => Some("they have blocked each other".to_owned()),
        (true, false) => Some(format!("{from} has blocked {to}")),
        (false, true) => Some(format!("{to} has blocked {from}")),
        (false, false) => None,
    };
    let barred = format!("the admin has barred {from} from sending friend requests");
    if let Some(block) = block {
        let reasons = if s.from_barred {
            format!("{block}, and {barred}")
        } else {
            block
        };
        return Verdict::no(format!(
            "{from} cannot send {to} a friend request: {reasons}."
        ));
    }
    if s.from_has_to && s.to_has_from {
        let also = if s.from_barred {
            format!(" ({barred} anyway)")
        } else {
            String::new()
        };
        return Verdict::no(format!(
            "No friend request from {from} to {to} is needed: they already have each other as \
             friends{also}."
        ));
    }
    if s.from_barred {
        return Verdict::no(format!(
            "{from} cannot send {to} a friend request: {barred}."
        ));
    }
    let one_way = if s.from_has_to {
        format!("; {to} is already on {from}'s friend list, but {from} is not on {to}'s")
    } else if s.to_has_from {
        format!("; {from} is already on {to}'s friend list, but {to} is not on {from}'s")
    } else {
        String::new()
    };
    Verdict::yes(format!(
        "{from} can send {to} a friend request: neither has blocked the other and {from} is not \
         barred by the admin{one_way}."
    ))
}

fn notes(rel: &Relationship) -> Vec<String> {
    let (a, b) = (rel.a.as_str(), rel.b.as_str());
    let mut notes = Vec::new();
    let blocked = rel.a_blocks_b || rel.b_blocks_a;
    let befriended = rel.a_has_b || rel.b_has_a;
    let block_words = match (rel.a_blocks_b, rel.b_blocks_a) {
        (true, true) => format!("{a} and {b} block each other"),
        (true, false) => format!("{a} blocks {b}"),
        _ => format!("{b} blocks {a}"),
    };
    if blocked && befriended {
        notes.push(format!(
            "Inconsistent data: {a} and {b} are friends although {block_words} — the service \
             normally removes the friendship on block (both ways), so it was re-added afterwards, \
             imported, or changed while this was being read."
        ));
    } else if blocked {
        notes.push(format!(
            "{block_words}. Whether they were friends before cannot be known: blocking removes a \
             friendship both ways and leaves no trace of it."
        ));
    }
    if rel.a_has_b != rel.b_has_a {
        let (has, on) = if rel.a_has_b { (a, b) } else { (b, a) };
        notes.push(format!(
            "One-way friendship: {on} is on {has}'s friend list, but {has} is not on {on}'s \
             (friend lists are kept per user; one side may have deleted the other only from their \
             own list, or the friendship was added one way)."
        ));
    }
    // Not worth saying when they could not chat anyway (each blocks the other).
    let blocked_both_ways = rel.a_blocks_b && rel.b_blocks_a;
    if !(rel.mutual_friends() || blocked_both_ways) {
        notes.push(format!(
            "{a} and {b} are not friends of each other: whether non-friends may chat depends on the \
             app's settings in the console (the relation check for messages); the message verdicts \
             above only account for blocklists."
        ));
    }
    for (who, barred) in [(a, rel.a_forbid_send), (b, rel.b_forbid_send)] {
        if barred {
            notes.push(format!(
                "{who} is barred by the admin from sending friend requests \
                 ({} = {}); this does not stop {who} from sending messages.",
                wire::TAG_ADMIN_FORBID,
                wire::ADMIN_FORBID_SEND_OUT
            ));
        }
    }
    notes
}

// ---------------------------------------------------------------- reading a relationship

/// A call's item that failed: an error naming the call, the accounts and the code.
fn item_error(api: Api, whom: &str, code: i64, info: &str) -> CallError {
    let info = if info.is_empty() {
        format!("{api} for {whom} failed")
    } else {
        format!("{api} for {whom} failed: {info}")
    };
    CallError::Api { code, info }
}

/// Whether a call's failure can be explained by an account that does not exist (a refusal or an
/// answer without the item), rather than hiding an authentication or transport problem.
fn explained_by_missing_account(error: &CallError) -> bool {
    match error {
        CallError::Api { .. } => error.class() == Class::Permanent,
        CallError::Decode(_) => true,
        CallError::Transport { .. } | CallError::Http { .. } => false,
    }
}

/// Whether the account exists, from account_check's answer.
fn existence(resp: &AccountCheckResponse, id: &UserId) -> Result<bool, CallError> {
    let item = resp
        .result_item
        .iter()
        .find(|i| i.user_id == id.as_str())
        .ok_or_else(|| {
            CallError::Decode(format!("account_check gave no answer for {}", id.as_str()))
        })?;
    match &item.account_status {
        AccountStatus::Imported => Ok(true),
        AccountStatus::NotImported => Ok(false),
        AccountStatus::Other(_) if item.result_code != 0 => Err(item_error(
            Api::AccountCheck,
            id.as_str(),
            item.result_code,
            &item.result_info,
        )),
        AccountStatus::Other(status) => Err(CallError::Decode(format!(
            "account_check answered an unknown AccountStatus {status:?} for {}",
            id.as_str()
        ))),
    }
}

/// A profile's nickname (empty reads as none) and admin bar.
fn profile(item: Option<&UserProfileItem>) -> (Option<String>, bool) {
    let Some(item) = item else {
        return (None, false);
    };
    let nick = item
        .tag_str(wire::TAG_NICK)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let barred = item.tag_str(wire::TAG_ADMIN_FORBID) == Some(wire::ADMIN_FORBID_SEND_OUT);
    (nick, barred)
}

/// Reads the relationship between `a` and `b`: black_list_check (From = A, Both mode: both block
/// directions in one call), friend_check (Both mode), account_check and portrait_get (nickname and
/// admin bar), concurrently, each through [`Engine::call`].
///
/// A failed item is never read as "no relation": when account_check says an account does not exist,
/// failures that it explains leave that account marked missing; any other failure is an error that
/// names its code.
pub async fn inspect(engine: &Engine, a: &UserId, b: &UserId) -> Result<Relationship, CallError> {
    let (a_str, b_str) = (a.as_str().to_owned(), b.as_str().to_owned());
    let pair = format!("{a_str}→{b_str}");
    let mut both = vec![a_str.clone()];
    if b != a {
        both.push(b_str.clone());
    }
    let black_req = BlackListCheckRequest {
        from_account: a_str.clone(),
        to_account: vec![b_str.clone()],
        check_type: BlackCheckType::Both,
    };
    let friend_req = FriendCheckRequest {
        from_account: a_str.clone(),
        to_account: vec![b_str.clone()],
        check_type: FriendCheckType::Both,
    };
    let account_req = AccountCheckRequest {
        check_item: both
            .iter()
            .map(|id| AccountCheckEntry {
                user_id: id.clone(),
            })
            .collect(),
    };
    let portrait_req = PortraitGetRequest {
        to_account: both,
        tag_list: vec![wire::TAG_NICK.to_owned(), wire::TAG_ADMIN_FORBID.to_owned()],
    };
    let (black, friend, accounts, portraits) = tokio::join!(
        engine.call::<_, BlackListCheckResponse>(Api::BlackListCheck, &black_req),
        engine.call::<_, FriendCheckResponse>(Api::FriendCheck, &friend_req),
        engine.call::<_, AccountCheckResponse>(Api::AccountCheck, &account_req),
        engine.call::<_, PortraitGetResponse>(Api::PortraitGet, &portrait_req),
    );
    let accounts = accounts?;
    let mut rel = Relationship::unrelated(a.clone(), b.clone());
    rel.a_exists = existence(&accounts, a)?;
    rel.b_exists = existence(&accounts, b)?;
    let all_exist = rel.a_exists && rel.b_exists;

    // A failure is tolerated only where a missing account explains it.
    let tolerate = |result: Result<(), CallError>| match result {
        Err(e) if all_exist || !explained_by_missing_account(&e) => Err(e),
        _ => Ok(()),
    };

    let read_black = |resp: BlackListCheckResponse| -> Result<(), CallError> {
        let item = resp
            .black_list_check_item
            .into_iter()
            .find(|i| i.to_account == b_str)
            .ok_or_else(|| {
                CallError::Decode(format!("black_list_check gave no answer for {pair}"))
            })?;
        if item.result_code != 0 {
            return Err(item_error(
                Api::BlackListCheck,
                &pair,
                item.result_code,
                &item.result_info,
            ));
        }
        let (ab, ba) = item.relation.directions().ok_or_else(|| {
            CallError::Decode(format!(
                "black_list_check answered an unknown relation {:?} for {pair}",
                item.relation.as_str()
            ))
        })?;
        rel.a_blocks_b = ab;
        rel.b_blocks_a = ba;
        Ok(())
    };
    tolerate(black.and_then(read_black))?;

    let read_friend = |resp: FriendCheckResponse| -> Result<(), CallError> {
        let item = resp
            .info_item
            .into_iter()
            .find(|i| i.to_account == b_str)
            .ok_or_else(|| CallError::Decode(format!("friend_check gave no answer for {pair}")))?;
        if item.result_code != 0 {
            return Err(item_error(
                Api::FriendCheck,
                &pair,
                item.result_code,
                &item.result_info,
            ));
        }
        let (ab, ba) = match item.relation {
            FriendRelation::BothWay => (true, true),
            FriendRelation::AWithB => (true, false),
            FriendRelation::BWithA => (false, true),
            FriendRelation::NoRelation => (false, false),
            FriendRelation::Other(other) => {
                return Err(CallError::Decode(format!(
                    "friend_check answered an unknown relation {other:?} for {pair}"
                )));
            }
        };
        rel.a_has_b = ab;
        rel.b_has_a = ba;
        Ok(())
    };
    tolerate(friend.and_then(read_friend))?;

    let read_profiles = |resp: PortraitGetResponse| -> Result<(), CallError> {
        for (id, exists) in [(a, rel.a_exists), (b, rel.b_exists)] {
            let item = resp
                .user_profile_item
                .iter()
                .find(|i| i.to_account == id.as_str());
            let item = match item {
                Some(item) if item.result_code == 0 => Some(item),
                // A missing account has no profile to read.
                _ if !exists => None,
                Some(item) => {
                    return Err(item_error(
                        Api::PortraitGet,
                        id.as_str(),
                        item.result_code,
                        &item.result_info,
                    ));
                }
                None => {
                    return Err(CallError::Decode(format!(
                        "portrait_get gave no answer for {}",
                        id.as_str()
                    )));
                }
            };
            let (nick, barred) = profile(item);
            if id == a {
                rel.a_nick = nick.clone();
                rel.a_forbid_send = barred;
            }
            if id == b {
                rel.b_nick = nick;
                rel.b_forbid_send = barred;
            }
        }
        Ok(())
    };
    tolerate(portraits.and_then(read_profiles))?;

    if !all_exist {
        // Nothing can relate to an account that does not exist, whatever a partial answer said.
        rel.a_blocks_b = false;
        rel.b_blocks_a = false;
        rel.a_has_b = false;
        rel.b_has_a = false;
    }
    Ok(rel)
}

// ---------------------------------------------------------------- who blocks X?

/// Calls of black_list_check kept in flight by [`blockers`]; the engine's limiter keeps the pace.
pub const BLOCKERS_IN_FLIGHT: usize = 8;

/// The code recorded for a candidate whose item came back with a relation this crate does not know.
pub const UNKNOWN_RELATION: i64 = -4;

/// Pages of friend_get read at most (3000 friends fit in far fewer).
const MAX_FRIEND_PAGES: usize = 10_000;

/// What [`blockers`] reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockersEvent {
    /// After every answered call.
    Progress {
        /// Candidates answered (a failed item included).
        checked: usize,
        total: usize,
        found: usize,
        calls: u64,
        calls_per_sec: f64,
    },
    /// A candidate that has the target on their blocklist; `mutual` when the target blocks them too.
    Found { blocker: UserId, mutual: bool },
}

/// The outcome of a reverse lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockersReport {
    pub target: UserId,
    /// Candidates after dropping duplicates and the target itself.
    pub total: usize,
    /// Candidates answered, failed ones included; fewer than `total` only when cancelled.
    pub checked: usize,
    /// Candidates that block the target, in the order found, with whether the block is mutual.
    pub blockers: Vec<(UserId, bool)>,
    /// Candidates whose check failed: ID, code, the service's words (30003: unknown account).
    pub failed: Vec<(UserId, i64, String)>,
    /// black_list_check calls answered (a call the engine retried counts once).
    pub calls: u64,
    pub cancelled: bool,
    pub elapsed: Duration,
}

impl BlockersReport {
    pub fn calls_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.calls as f64 / secs
        } else {
            0.0
        }
    }
}

/// What a failed candidate's code means: the catalog's words, or this module's own codes.
pub fn failure_meaning(code: i64) -> &'static str {
    match code {
        -1 => "the service could not be reached (gave up after retries)",
        -2 => "the service's answer was unreadable (gave up after retries)",
        NO_ITEM_ANSWER => "the service's answer had no result for this candidate",
        UNKNOWN_RELATION => "the service answered a relation blockdeck does not know",
        code => codes::lookup(code).meaning,
    }
}

struct ChunkJob {
    candidates: Vec<UserId>,
    attempt: u32,
    ready_at: Instant,
}

async fn check_chunk(
    engine: &Engine,
    target: &UserId,
    job: ChunkJob,
) -> (ChunkJob, Result<BlackListCheckResponse, CallError>) {
    let req = BlackListCheckRequest {
        from_account: target.as_str().to_owned(),
        to_account: job
            .candidates
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
        check_type: BlackCheckType::Both,
    };
    let answer = engine.call(Api::BlackListCheck, &req).await;
    (job, answer)
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

fn stops_everything(class: Class) -> bool {
    matches!(class, Class::Auth | Class::Lockout | Class::SigExpired)
}

/// Finds which `candidates` have `target` on their blocklist.
///
/// One black_list_check per 1000 candidates, From = target, CheckType Both: a candidate C blocks
/// the target exactly when the relation is BWithA (or BothWay, when the target blocks C too).
/// Duplicates and the target itself are dropped. Up to [`BLOCKERS_IN_FLIGHT`] calls are in flight;
/// `Found` events stream as each call answers. Items that failed with a temporary code are asked
/// again, with back-off, as often as the engine's default retry policy allows; other failed items
/// (30003 for an unknown account, say) land in `failed` and never count as blockers. Cancelling
/// stops at once: no further call is started and calls still unanswered are abandoned (they only
/// read). Authentication errors and whole-call failures that cannot be retried (the target does
/// not exist, say) end the lookup with the error.
pub async fn blockers(
    engine: &Engine,
    target: &UserId,
    candidates: Vec<UserId>,
    events: mpsc::UnboundedSender<BlockersEvent>,
    cancel: CancellationToken,
) -> Result<BlockersReport, CallError> {
    let started = Instant::now();
    let mut seen = HashSet::new();
    let candidates: Vec<UserId> = candidates
        .into_iter()
        .filter(|c| c != target && seen.insert(c.clone()))
        .collect();
    let mut report = BlockersReport {
        target: target.clone(),
        total: candidates.len(),
        checked: 0,
        blockers: Vec::new(),
        failed: Vec::new(),
        calls: 0,
        cancelled: false,
        elapsed: Duration::ZERO,
    };
    let mut queue: VecDeque<ChunkJob> = candidates
        .chunks(wire::MAX_BATCH)
        .map(|chunk| ChunkJob {
            candidates: chunk.to_vec(),
            attempt: 1,
            ready_at: started,
        })
        .collect();
    let retry = RetryPolicy::default();
    let mut in_flight = FuturesUnordered::new();
    // Each pass launches or absorbs at least one call, or waits for one to be ready; the loop ends
    // when everything is answered or on cancellation.
    loop {
        if !cancel.is_cancelled() {
            while in_flight.len() < BLOCKERS_IN_FLIGHT {
                let now = Instant::now();
                let Some(pos) = queue.iter().position(|j| j.ready_at <= now) else {
                    break;
                };
                let job = queue.remove(pos).expect("position is valid");
                in_flight.push(check_chunk(engine, target, job));
            }
        }
        if in_flight.is_empty() && queue.is_empty() {
            break;
        }
        let room = in_flight.len() < BLOCKERS_IN_FLIGHT;
        let next_ready = queue.iter().map(|j| j.ready_at).min().filter(|_| room);
        tokio::select! {
            biased;
            Some((job, answer)) = in_flight.next(), if !in_flight.is_empty() => {
                report.calls += 1;
                let retry_ids = absorb(&mut report, &job, answer, retry.max_attempts, &events)?;
                if !retry_ids.is_empty() {
                    queue.push_back(ChunkJob {
                        candidates: retry_ids,
                        attempt: job.attempt + 1,
                        ready_at: Instant::now() + retry.backoff(job.attempt),
                    });
                }
                let secs = started.elapsed().as_secs_f64();
                let _ = events.send(BlockersEvent::Progress {
                    checked: report.checked,
                    total: report.total,
                    found: report.blockers.len(),
                    calls: report.calls,
                    calls_per_sec: if secs > 0.0 { report.calls as f64 / secs } else { 0.0 },
                });
            }
            _ = cancel.cancelled() => {
                report.cancelled = true;
                break;
            }
            _ = sleep_until(next_ready), if next_ready.is_some() => {}
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Takes in one answered call; returns the candidates to ask again (items that failed with a
/// temporary code or were left out, until they have been sent `max_attempts` times).
fn absorb(
    report: &mut BlockersReport,
    job: &ChunkJob,
    answer: Result<BlackListCheckResponse, CallError>,
    max_attempts: u32,
    events: &mpsc::UnboundedSender<BlockersEvent>,
) -> Result<Vec<UserId>, CallError> {
    let resp = match answer {
        Ok(resp) => resp,
        Err(e) => {
            let class = e.class();
            if stops_everything(class) || class == Class::Permanent {
                return Err(e);
            }
            // The engine already retried this call: its candidates stay unknown.
            let (code, info) = (e.code(), e.info());
            for c in &job.candidates {
                report.failed.push((c.clone(), code, info.clone()));
            }
            report.checked += job.candidates.len();
            return Ok(Vec::new());
        }
    };
    let mut items: HashMap<String, _> = resp
        .black_list_check_item
        .into_iter()
        .map(|i| (i.to_account.clone(), i))
        .collect();
    let mut again = Vec::new();
    for candidate in &job.candidates {
        let Some(item) = items.remove(candidate.as_str()) else {
            if job.attempt < max_attempts {
                again.push(candidate.clone());
            } else {
                report.checked += 1;
                report.failed.push((
                    candidate.clone(),
                    NO_ITEM_ANSWER,
                    "the answer had no result for this candidate".to_owned(),
                ));
            }
            continue;
        };
        if item.result_code != 0 {
            let class = codes::lookup(item.result_code).class;
            if stops_everything(class) {
                return Err(CallError::Api {
                    code: item.result_code,
                    info: item.result_info,
                });
            }
            if class.is_retryable() && job.attempt < max_attempts {
                again.push(candidate.clone());
            } else {
                report.checked += 1;
                report
                    .failed
                    .push((candidate.clone(), item.result_code, item.result_info));
            }
            continue;
        }
        report.checked += 1;
        // From = target: BWithA means the candidate has the target on their list.
        let found = match item.relation {
            BlackRelation::BWithA => Some(false),
            BlackRelation::BothWay => Some(true),
            BlackRelation::AWithB | BlackRelation::No => None,
            BlackRelation::Other(other) => {
                report.failed.push((
                    candidate.clone(),
                    UNKNOWN_RELATION,
                    format!("unknown relation {other:?}"),
                ));
                None
            }
        };
        if let Some(mutual) = found {
            report.blockers.push((candidate.clone(), mutual));
            let _ = events.send(BlockersEvent::Found {
                blocker: candidate.clone(),
                mutual,
            });
        }
    }
    Ok(again)
}

/// Every friend of `user`, paging friend_get (NextStartIndex / CompleteFlag), without duplicates.
pub async fn friends_of(engine: &Engine, user: &UserId) -> Result<Vec<UserId>, CallError> {
    let mut friends = Vec::new();
    let mut seen = HashSet::new();
    let mut start = 0u64;
    for _ in 0..MAX_FRIEND_PAGES {
        let req = FriendGetRequest {
            from_account: user.as_str().to_owned(),
            start_index: start,
            standard_sequence: 0,
            custom_sequence: 0,
        };
        let resp: FriendGetResponse = engine.call(Api::FriendGet, &req).await?;
        for item in resp.user_data_item {
            let id = UserId::parse(&item.to_account).map_err(|e| {
                CallError::Decode(format!(
                    "friend_get listed a friend of {} whose {e}",
                    user.as_str()
                ))
            })?;
            if seen.insert(id.clone()) {
                friends.push(id);
            }
        }
        let next = resp.next_start_index;
        if resp.complete_flag != 0 || next == 0 {
            return Ok(friends);
        }
        if next <= start {
            return Err(CallError::Decode(format!(
                "friend_get did not advance (NextStartIndex {next} after StartIndex {start}) and \
                 did not say the list is complete"
            )));
        }
        start = next;
    }
    Err(CallError::Decode(format!(
        "friend_get for {} did not complete within {MAX_FRIEND_PAGES} pages",
        user.as_str()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> UserId {
        UserId::parse(s).unwrap()
    }

    #[derive(Debug, Clone, Copy)]
    enum Friendship {
        None,
        AToB,
        BToA,
        Mutual,
    }

    const FRIENDSHIPS: [Friendship; 4] = [
        Friendship::None,
        Friendship::AToB,
        Friendship::BToA,
        Friendship::Mutual,
    ];

    fn rel(
        a_blocks_b: bool,
        b_blocks_a: bool,
        friendship: Friendship,
        a_forbid: bool,
        b_forbid: bool,
    ) -> Relationship {
        let (a_has_b, b_has_a) = match friendship {
            Friendship::None => (false, false),
            Friendship::AToB => (true, false),
            Friendship::BToA => (false, true),
            Friendship::Mutual => (true, true),
        };
        Relationship {
            a_blocks_b,
            b_blocks_a,
            a_has_b,
            b_has_a,
            a_forbid_send: a_forbid,
            b_forbid_send: b_forbid,
            ..Relationship::unrelated(id("alice"), id("bob"))
        }
    }

    fn names_both(v: &Verdict) -> bool {
        v.why.contains("alice") && v.why.contains("bob")
    }

    /// The rules of seed 001 and the §3 summary, written as a table of expectations.
    #[test]
    fn every_combination_follows_the_documented_rules() {
        let mut cases = 0;
        for a_blocks_b in [false, true] {
            for b_blocks_a in [false, true] {
                for friendship in FRIENDSHIPS {
                    for (a_forbid, b_forbid) in
                        [(false, false), (true, false), (false, true), (true, true)]
                    {
                        cases += 1;
                        let r = rel(a_blocks_b, b_blocks_a, friendship, a_forbid, b_forbid);
                        let c = consequences(&r);
                        let ctx = format!("{r:?}\n{c:#?}");
                        let mutual = matches!(friendship, Friendship::Mutual);
                        let any_block = a_blocks_b || b_blocks_a;

                        // Messages: only the other's block stops a user.
                        assert_eq!(c.a_messages_b.allowed, !b_blocks_a, "{ctx}");
                        assert_eq!(c.b_messages_a.allowed, !a_blocks_b, "{ctx}");
                        // Requests: any block stops both; the admin bar stops its user; mutual
                        // friends need none.
                        assert_eq!(
                            c.a_requests_b.allowed,
                            !any_block && !a_forbid && !mutual,
                            "{ctx}"
                        );
                        assert_eq!(
                            c.b_requests_a.allowed,
                            !any_block && !b_forbid && !mutual,
                            "{ctx}"
                        );
                        for v in [
                            &c.a_messages_b,
                            &c.b_messages_a,
                            &c.a_requests_b,
                            &c.b_requests_a,
                        ] {
                            assert!(names_both(v), "{ctx}");
                            assert!(v.why.ends_with('.') || v.why.ends_with(')'), "{ctx}");
                        }

                        // The reasons say why, in words.
                        if a_blocks_b && b_blocks_a {
                            assert!(c.a_messages_b.why.contains("neither can start"), "{ctx}");
                            assert!(c.b_messages_a.why.contains("neither can start"), "{ctx}");
                            assert!(c.a_requests_b.why.contains("blocked each other"), "{ctx}");
                        } else if b_blocks_a {
                            assert!(
                                c.a_messages_b.why.contains("alice is on bob's blocklist"),
                                "{ctx}"
                            );
                            assert!(
                                c.a_requests_b.why.contains("bob has blocked alice"),
                                "{ctx}"
                            );
                            assert!(
                                c.b_requests_a.why.contains("bob has blocked alice"),
                                "{ctx}"
                            );
                        } else if a_blocks_b {
                            assert!(
                                c.b_messages_a.why.contains("bob is on alice's blocklist"),
                                "{ctx}"
                            );
                            assert!(c.a_messages_b.why.starts_with("alice can message"), "{ctx}");
                        }
                        if any_block && a_forbid {
                            assert!(c.a_requests_b.why.contains("barred"), "{ctx}");
                        }
                        if !any_block && mutual {
                            assert!(c.a_requests_b.why.contains("already"), "{ctx}");
                            assert!(c.b_requests_a.why.contains("already"), "{ctx}");
                        }
                        if !any_block && !mutual && a_forbid {
                            assert!(c.a_requests_b.why.contains("barred"), "{ctx}");
                        }

                        // Notes: inconsistent data, one-way friendships, the console setting, bars.
                        let has = |word: &str| c.notes.iter().any(|n| n.contains(word));
                        let befriended = !matches!(friendship, Friendship::None);
                        assert_eq!(has("Inconsistent data"), any_block && befriended, "{ctx}");
                        assert_eq!(has("cannot be known"), any_block && !befriended, "{ctx}");
                        assert_eq!(
                            has("One-way friendship"),
                            matches!(friendship, Friendship::AToB | Friendship::BToA),
                            "{ctx}"
                        );
                        assert_eq!(
                            has("console"),
                            !(mutual || a_blocks_b && b_blocks_a),
                            "{ctx}"
                        );
                        assert_eq!(
                            c.notes
                                .iter()
                                .filter(|n| n.contains("barred by the admin"))
                                .count(),
                            usize::from(a_forbid) + usize::from(b_forbid),
                            "{ctx}"
                        );
                    }
                }
            }
        }
        assert_eq!(cases, 64);
    }

    #[test]
    fn one_way_friendships_are_explained_in_the_request_verdict() {
        let c = consequences(&rel(false, false, Friendship::AToB, false, false));
        assert!(c.a_requests_b.allowed && c.b_requests_a.allowed);
        assert!(
            c.a_requests_b
                .why
                .contains("bob is already on alice's friend list, but alice is not on bob's"),
            "{c:#?}"
        );
        assert!(
            c.notes
                .iter()
                .any(|n| n.contains("bob is on alice's friend list, but alice is not on bob's")),
            "{c:#?}"
        );
    }

    #[test]
    fn missing_accounts_make_nothing_possible() {
        for (a_exists, b_exists) in [(false, true), (true, false), (false, false)] {
            // Stale flags must not leak into the verdicts of a missing account.
            let r = Relationship {
                a_exists,
                b_exists,
                ..rel(false, false, Friendship::Mutual, false, false)
            };
            let c = consequences(&r);
            for v in [
                &c.a_messages_b,
                &c.b_messages_a,
                &c.a_requests_b,
                &c.b_requests_a,
            ] {
                assert!(!v.allowed, "{c:#?}");
                assert!(names_both(v), "{c:#?}");
                match (a_exists, b_exists) {
                    (false, true) => {
                        assert!(v.why.contains("account alice does not exist"), "{c:#?}")
                    }
                    (true, false) => {
                        assert!(v.why.contains("account bob does not exist"), "{c:#?}")
                    }
                    _ => assert!(
                        v.why
                            .contains("neither account alice nor account bob exists"),
                        "{c:#?}"
                    ),
                }
            }
            assert_eq!(c.notes.len(), 1, "{c:#?}");
            assert!(c.notes[0].starts_with("Nothing is possible"), "{c:#?}");
        }
    }

    #[test]
    fn relations_are_named_as_the_service_names_them() {
        let r = rel(false, true, Friendship::AToB, false, false);
        assert_eq!(r.black_relation(), BlackRelation::BWithA);
        assert_eq!(r.friend_relation(), FriendRelation::AWithB);
        assert!(!r.mutual_friends());
    }

    #[test]
    fn failure_meanings_cover_local_codes() {
        assert!(failure_meaning(30003).contains("does not exist"));
        assert!(failure_meaning(NO_ITEM_ANSWER).contains("no result"));
        assert!(failure_meaning(UNKNOWN_RELATION).contains("relation"));
        assert!(failure_meaning(-1).contains("reached"));
    }
}
