//! The bulk engine: runs a block, unblock or check over many (from, to) pairs at the service's speed
//! limit, retries only the failed items of retryable classes, stops at once on authentication errors,
//! confirms ambiguous answers with black_list_check, and accounts for every item.
//!
//! Pairs are deduplicated, grouped by `From_Account` and sent in chunks of at most 1000. Enough
//! requests are kept in flight to reach the rate limit, which a per-API limiter enforces on our side so
//! that the service never has to answer 60007. Every answered call is written to the journal (when one
//! is given) before the next decision is taken, and the batch can be cancelled between requests.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::congestion::{Congestion, RateView};
use super::http::{CallError, TimClient};
use super::items::Items;
use super::journal::{BatchId, Chunk, EndOutcome, ItemRecord, Journal};
use super::{ItemStatus, Operation, Pair};
use crate::tim::codes::{self, Class, Local};
use crate::tim::ids::UserId;
use crate::tim::usersig::unix_now;
use crate::tim::wire::{
    self, Api, BlackCheckType, BlackListChangeRequest, BlackListChangeResponse,
    BlackListCheckRequest, BlackListCheckResponse, BlackListGetRequest, BlackListGetResponse,
    BlackListItem, BlackRelation,
};

/// How failed items are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per item, the first one included.
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each further one, with full jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt ≥ 1): exponential, capped, jittered between
    /// half and the whole of it so that retries of many items spread out.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        let half = exp / 2;
        half + exp
            .saturating_sub(half)
            .mul_f64(rand::rng().random::<f64>())
    }
}

/// Client-side rate limits: one per API, and optionally one shared by all.
pub struct Limits {
    per_api: HashMap<Api, DefaultDirectRateLimiter>,
    shared: Option<DefaultDirectRateLimiter>,
    /// Calls per second of each limited API, and of the shared cap.
    rates: HashMap<Api, u32>,
    shared_rate: Option<u32>,
}

fn limiter(per_second: u32) -> Option<DefaultDirectRateLimiter> {
    let rate = NonZeroU32::new(per_second)?;
    // A small burst keeps our pace even, so that the service's own bucket is never drained by a
    // burst and jitter in arrival times never tips a call over its limit.
    let burst = NonZeroU32::new((per_second / 20).max(1)).expect("at least 1");
    Some(RateLimiter::direct(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

impl Limits {
    /// `per_api` is the limit of the 200/s APIs (account_check gets half); 0 means no limit.
    pub fn new(per_api: u32, shared: Option<u32>) -> Limits {
        let rates: HashMap<Api, u32> = Api::ALL
            .into_iter()
            .map(|api| (api, api.rate_limit(per_api)))
            .filter(|(_, rate)| *rate > 0)
            .collect();
        let per_api = rates
            .iter()
            .filter_map(|(api, rate)| limiter(*rate).map(|l| (*api, l)))
            .collect();
        let shared_rate = shared.filter(|r| *r > 0);
        Limits {
            per_api,
            shared: shared_rate.and_then(limiter),
            rates,
            shared_rate,
        }
    }

    /// The most calls per second `api` may make (the lower of its own limit and the shared
    /// one); 0 when unlimited.
    pub fn ceiling(&self, api: Api) -> u32 {
        match (self.rates.get(&api).copied(), self.shared_rate) {
            (Some(a), Some(s)) => a.min(s),
            (Some(a), None) => a,
            (None, Some(s)) => s,
            (None, None) => 0,
        }
    }

    pub fn unlimited() -> Limits {
        Limits::new(0, None)
    }

    /// Waits until a call of `api` is allowed.
    pub async fn acquire(&self, api: Api) {
        if let Some(l) = self.per_api.get(&api) {
            l.until_ready().await;
        }
        if let Some(l) = &self.shared {
            l.until_ready().await;
        }
    }
}

/// The default bound of the in-flight window: 200 calls/s at 2.5 s of latency.
pub const MAX_IN_FLIGHT: usize = 512;

/// Tunables of the engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Requests in flight at most. The window within it follows the pace and the measured
    /// latency ([`Congestion::window`]); this only bounds it (connections, memory).
    pub max_in_flight: usize,
    /// How a batch's failed items are retried.
    pub retry: RetryPolicy,
    /// How a single read ([`Engine::call`]: a lookup, nicknames, the inspector) is retried: a
    /// person waits for it, so it gives up sooner and says why.
    pub read_retry: RetryPolicy,
    /// Accounts per call (the service takes at most 1000).
    pub chunk_size: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            max_in_flight: MAX_IN_FLIGHT,
            retry: RetryPolicy::default(),
            read_retry: RetryPolicy {
                max_attempts: 4,
                base_delay: Duration::from_millis(250),
                max_delay: Duration::from_secs(2),
            },
            chunk_size: wire::MAX_BATCH,
        }
    }
}

/// The final state of one pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    pub pair: Pair,
    pub status: ItemStatus,
    /// The service's last code for the item (0 on success).
    pub code: i64,
    pub info: String,
    pub attempts: u32,
}

/// A snapshot of a running batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub total: usize,
    /// Items with a final status, success or failure.
    pub finished: usize,
    pub succeeded: usize,
    pub failed: usize,
    /// Items sent again after a retryable failure.
    pub retries: u64,
    /// Calls sent (or being sent).
    pub calls: u64,
    /// Calls answered (or failed for good on the way).
    pub answered: u64,
    pub calls_per_sec: f64,
    pub elapsed: Duration,
    /// Codes of the failures seen so far (retried ones included), by code.
    pub codes: BTreeMap<i64, u64>,
    /// Nothing is in flight and nothing may be sent yet: what the batch waits for.
    pub waiting: Option<Waiting>,
    /// The pace of the batch's calls (of its change API, or of its checks for a check batch)
    /// and why it is what it is; `None` when unlimited.
    pub pace: Option<RateView>,
}

/// A batch waiting before it sends again: items held back after a failure, or a pause after the
/// service refused calls for the rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// Items waiting to be sent again.
    pub items: usize,
    /// The code that made them wait (their last failure, or the rate-limit refusal).
    pub code: i64,
    /// How long until the next call goes, from when this was reported.
    pub left: Duration,
}

/// What the engine reports while it runs.
#[derive(Debug, Clone)]
pub enum Event {
    Progress(Progress),
    /// An item reached its final status.
    Item(ItemResult),
}

/// How a batch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchEnd {
    /// Every item has a final status (some may have failed).
    Completed,
    /// Cancelled between requests; unfinished items are marked so.
    Cancelled,
    /// Stopped at once by an authentication or lock-out error (or, with
    /// [`RunOptions::halt_on_refusal`], a call refused as a whole): the reason in words with the
    /// remedy, and the service's own text.
    Stopped {
        code: i64,
        reason: String,
        info: String,
    },
}

impl BatchEnd {
    pub fn journal_outcome(&self) -> EndOutcome {
        match self {
            BatchEnd::Completed => EndOutcome::Completed,
            BatchEnd::Cancelled => EndOutcome::Cancelled,
            BatchEnd::Stopped { code, reason, .. } => EndOutcome::Stopped {
                code: *code,
                reason: reason.clone(),
            },
        }
    }
}

/// The outcome of a batch: every pair, in input order.
#[derive(Debug, Clone)]
pub struct Report {
    pub operation: Operation,
    pub items: Items,
    pub calls: u64,
    pub retries: u64,
    pub elapsed: Duration,
    pub end: BatchEnd,
    /// The pace the batch settled at, and why.
    pub pace: Option<RateView>,
}

impl Report {
    pub fn succeeded(&self) -> usize {
        self.items.iter().filter(|i| i.status.is_success()).count()
    }

    pub fn failed(&self) -> impl Iterator<Item = ItemResult> + '_ {
        self.items
            .iter()
            .filter(|i| matches!(i.status, ItemStatus::Failed { .. }))
    }

    pub fn unfinished(&self) -> impl Iterator<Item = ItemResult> + '_ {
        self.items
            .iter()
            .filter(|i| matches!(i.status, ItemStatus::Unfinished))
    }

    /// Failed items grouped by code, with the code's meaning.
    pub fn failures_by_code(&self) -> BTreeMap<i64, Vec<ItemResult>> {
        let mut map: BTreeMap<i64, Vec<ItemResult>> = BTreeMap::new();
        for item in self.failed() {
            map.entry(item.code).or_default().push(item);
        }
        map
    }
}

/// Where the engine writes its chunk and end records.
pub struct JournalTarget<'a> {
    pub journal: &'a mut Journal,
    pub batch: BatchId,
}

/// How one run is set up.
pub struct RunOptions<'a> {
    /// Check the real state of every pair first and apply only what is still needed (for resume).
    pub precheck: bool,
    pub journal: Option<JournalTarget<'a>>,
    pub events: Option<mpsc::UnboundedSender<Event>>,
    pub cancel: CancellationToken,
    /// Stop the whole run when a call is refused as a whole for a reason no retry fixes (an
    /// unknown From_Account, say). Right when every call shares one From_Account, as a reverse
    /// lookup's do; a bulk change over many users goes on with the others instead.
    pub halt_on_refusal: bool,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions {
            precheck: false,
            journal: None,
            events: None,
            cancel: CancellationToken::new(),
            halt_on_refusal: false,
        }
    }
}

/// One page of a blocklist, as it arrives.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<BlackListItem>,
    /// Index of the page's first entry.
    pub start_index: u64,
    /// Where the next page starts; 0 when this was the last.
    pub next_index: u64,
    pub sequence: u64,
}

/// The end of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOutcome {
    pub total: usize,
    pub sequence: u64,
    /// The list changed while it was being paged (its sequence moved): a re-read gives a consistent view.
    pub changed_while_listing: bool,
}

/// The bulk engine over one client.
pub struct Engine {
    client: Arc<TimClient>,
    limits: Arc<Limits>,
    options: EngineOptions,
    /// The pace of each API's calls, kept across batches: what one batch learnt of the app's
    /// other traffic, the next one starts from.
    pace: std::sync::Mutex<HashMap<Api, Congestion>>,
}

impl JobKind {
    fn api(self, op: Operation) -> Api {
        match self {
            JobKind::Apply => op.api(),
            JobKind::Confirm | JobKind::Precheck => Api::BlackListCheck,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobKind {
    /// Apply the operation (or, for a check batch, ask the relation).
    Apply,
    /// Confirm the state of items whose 30001 was not conclusive.
    Confirm,
    /// Check the state first and apply only what is needed (resume).
    Precheck,
}

#[derive(Debug, Clone)]
struct Slot {
    /// The pair's index in the run's [`Items`].
    index: u32,
    /// Calls that carried the item and were answered (rate-limit refusals not counted).
    attempts: u16,
    /// Calls refused for the rate limit (60007 and kin).
    throttled: u8,
    /// An earlier attempt went unanswered or failed on the way (a timeout, a cut connection, a
    /// 5xx, the service's own timeout): the change may have been made by it, so finding the
    /// pair as wanted afterwards is this batch's doing, not "already".
    uncertain: bool,
    /// The inconclusive answer being confirmed.
    pending: Option<Box<(i64, String)>>,
}

#[derive(Debug)]
struct Job {
    from: UserId,
    slots: Vec<Slot>,
    kind: JobKind,
    api: Api,
    ready_at: Instant,
    /// The code that sent its items back to wait (0 for a first attempt).
    cause: i64,
}

/// A job back from its task: its answer with when it went and how long it took on the wire, or
/// `None` when it was never sent.
type TaskOutcome = (Job, Option<Sent>);

struct Sent {
    answer: Result<Answer, CallError>,
    at: Instant,
    rtt: Duration,
}

/// The jobs of a run: those ready to go, in order per API, and those waiting for a back-off,
/// earliest first. Finding the next job or the next wake-up never scans the queue.
#[derive(Default)]
struct Queue {
    ready: Vec<(Api, VecDeque<Job>)>,
    delayed: BinaryHeap<Reverse<(Instant, u64)>>,
    waiting: HashMap<u64, Job>,
    seq: u64,
    /// Items in all jobs.
    items: usize,
}

impl Queue {
    fn ready_of(&mut self, api: Api) -> &mut VecDeque<Job> {
        let pos = match self.ready.iter().position(|(a, _)| *a == api) {
            Some(pos) => pos,
            None => {
                self.ready.push((api, VecDeque::new()));
                self.ready.len() - 1
            }
        };
        &mut self.ready[pos].1
    }

    fn push(&mut self, job: Job, now: Instant) {
        self.items += job.slots.len();
        if job.ready_at <= now {
            self.ready_of(job.api).push_back(job);
        } else {
            self.seq += 1;
            self.delayed.push(Reverse((job.ready_at, self.seq)));
            self.waiting.insert(self.seq, job);
        }
    }

    /// Back at the front of its line: a job that was never sent, or refused for the rate.
    fn push_front(&mut self, job: Job) {
        self.items += job.slots.len();
        self.ready_of(job.api).push_front(job);
    }

    /// Moves the jobs whose back-off is over to their lines.
    fn promote(&mut self, now: Instant) {
        while let Some(Reverse((at, seq))) = self.delayed.peek().copied() {
            if at > now {
                break;
            }
            self.delayed.pop();
            if let Some(job) = self.waiting.remove(&seq) {
                self.ready_of(job.api).push_back(job);
            }
        }
    }

    fn pop(&mut self, api: Api) -> Option<Job> {
        let job = self.ready_of(api).pop_front()?;
        self.items -= job.slots.len();
        Some(job)
    }

    /// APIs with a job ready to go.
    fn ready_apis(&self) -> impl Iterator<Item = Api> + '_ {
        self.ready
            .iter()
            .filter(|(_, q)| !q.is_empty())
            .map(|(api, _)| *api)
    }

    fn next_delayed(&self) -> Option<Instant> {
        self.delayed.peek().map(|Reverse((at, _))| *at)
    }

    fn is_empty(&self) -> bool {
        self.items == 0 && self.waiting.is_empty() && self.ready.iter().all(|(_, q)| q.is_empty())
    }

    /// The code that sent the first ready job back (a rate-limit refusal waiting for the pace).
    fn front_cause(&self) -> i64 {
        self.ready
            .iter()
            .filter_map(|(_, q)| q.front())
            .map(|job| job.cause)
            .find(|&c| c != 0)
            .unwrap_or(0)
    }

    /// The code that holds back the first delayed job.
    fn first_cause(&self) -> i64 {
        self.delayed
            .peek()
            .and_then(|Reverse((_, seq))| self.waiting.get(seq))
            .map_or(0, |job| job.cause)
    }
}

enum Answer {
    Changed(BlackListChangeResponse),
    Checked(BlackListCheckResponse),
}

/// One item's answer: code, info, and the relation for checks.
type ItemAnswer = (i64, String, Option<BlackRelation>);

impl Answer {
    fn items(self) -> HashMap<String, ItemAnswer> {
        match self {
            Answer::Changed(r) => r
                .result_item
                .into_iter()
                .map(|i| (i.to_account, (i.result_code, i.result_info, None)))
                .collect(),
            Answer::Checked(r) => r
                .black_list_check_item
                .into_iter()
                .map(|i| {
                    (
                        i.to_account,
                        (i.result_code, i.result_info, Some(i.relation)),
                    )
                })
                .collect(),
        }
    }
}

/// The decision about one slot after an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    Final(ItemStatus),
    Retry,
    /// Refused for the rate limit: retried after a pause, without using up the item's attempts.
    Throttled,
    Confirm(i64, String),
    /// Needs the operation applied (after a precheck).
    Apply,
    Stop(i64, String),
}

/// Mutable state of one run.
struct Run<'a> {
    op: Operation,
    /// The pairs and their outcomes so far.
    items: Items,
    queue: Queue,
    progress: Progress,
    started: Instant,
    stopped: Option<(i64, String)>,
    /// Cancelled when the batch is cancelled or stopped: nothing more is sent.
    halt: CancellationToken,
    /// The rate-limit refusal in the answer being taken in, if any.
    throttled: Option<i64>,
    /// The wait last reported (when the next call is due), so that each is reported once.
    reported_wait: Option<Instant>,
    max_attempts: u32,
    opts: RunOptions<'a>,
}

impl Engine {
    pub fn new(client: Arc<TimClient>, limits: Arc<Limits>, options: EngineOptions) -> Engine {
        Engine {
            client,
            limits,
            options,
            pace: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Runs `f` on the pace of `api`'s calls.
    fn with_pace<T>(&self, api: Api, f: impl FnOnce(&mut Congestion) -> T) -> T {
        let mut paces = self.pace.lock().unwrap_or_else(|e| e.into_inner());
        let pace = paces
            .entry(api)
            .or_insert_with(|| Congestion::new(f64::from(self.limits.ceiling(api))));
        f(pace)
    }

    /// The pace of `api`'s calls as a batch shows it; `None` when unlimited.
    pub fn pace(&self, api: Api) -> Option<RateView> {
        let cap = self.options.max_in_flight;
        let view = self.with_pace(api, |p| p.view(cap, Instant::now()));
        (view.ceiling.is_finite() || view.rate.is_finite()).then_some(view)
    }

    pub fn client(&self) -> &Arc<TimClient> {
        &self.client
    }

    pub fn limits(&self) -> &Arc<Limits> {
        &self.limits
    }

    /// One call within the rate limit, retried by [`EngineOptions::read_retry`] while it fails
    /// with a retryable class (a rate-limit refusal waits longer and does not count as an attempt,
    /// up to a bound).
    pub async fn call<Req: serde::Serialize + ?Sized, Resp: crate::tim::wire::Response>(
        &self,
        api: Api,
        req: &Req,
    ) -> Result<Resp, CallError> {
        let (mut attempt, mut throttled) = (1, 0);
        loop {
            self.limits.acquire(api).await;
            let sent = Instant::now();
            let result = self.client.call(api, req).await;
            let now = Instant::now();
            let refused = match &result {
                Err(e) if e.class() == Class::RateLimited => Some(e.code()),
                _ => None,
            };
            self.with_pace(api, |p| p.on_answer(now, sent, now - sent, refused));
            match result {
                Ok(resp) => return Ok(resp),
                Err(e) if e.class() == Class::RateLimited && throttled < MAX_THROTTLED => {
                    throttled += 1;
                    tokio::time::sleep(
                        self.options.read_retry.backoff(u32::from(throttled.min(8))),
                    )
                    .await;
                }
                Err(e)
                    if e.class() == Class::Retryable
                        && attempt < self.options.read_retry.max_attempts =>
                {
                    tokio::time::sleep(self.options.read_retry.backoff(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs `op` over `pairs` (duplicates are dropped, keeping the first) and reports every pair.
    pub async fn run(&self, op: Operation, pairs: Vec<Pair>, opts: RunOptions<'_>) -> Report {
        let items = Items::with_pairs(pairs);
        let first_kind = if opts.precheck && op.mutates() {
            JobKind::Precheck
        } else {
            JobKind::Apply
        };
        let now = Instant::now();
        let mut run = Run {
            op,
            queue: Queue::default(),
            progress: Progress {
                total: items.len(),
                ..Progress::default()
            },
            started: now,
            stopped: None,
            halt: opts.cancel.child_token(),
            throttled: None,
            reported_wait: None,
            max_attempts: self
                .options
                .retry
                .max_attempts
                .clamp(1, u32::from(u16::MAX)),
            items,
            opts,
        };
        // Group by From_Account in first-seen order, then chunk.
        let mut groups: Vec<(u32, Vec<Slot>)> = Vec::new();
        let mut group_of: HashMap<u32, usize> = HashMap::new();
        for index in 0..run.items.len() {
            let from = run.items.ids_of(index).0;
            let g = *group_of.entry(from).or_insert_with(|| {
                groups.push((from, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(Slot {
                index: index as u32,
                attempts: 0,
                throttled: 0,
                uncertain: false,
                pending: None,
            });
        }
        drop(group_of);
        for (from, slots) in groups {
            let from = run.items.accounts()[from as usize].clone();
            let api = first_kind.api(op);
            run.enqueue(
                from,
                slots,
                first_kind,
                api,
                now,
                0,
                self.options.chunk_size,
            );
        }
        run.progress.pace = self.pace(run.pace_api());
        run.emit_progress();
        self.drive(&mut run).await;

        let end = if let Some((code, info)) = run.stopped.clone() {
            BatchEnd::Stopped {
                code,
                reason: stop_reason(code, &info),
                info,
            }
        } else if run.progress.finished < run.items.len() {
            BatchEnd::Cancelled
        } else {
            BatchEnd::Completed
        };
        if let Some(target) = run.opts.journal.as_mut()
            && let Err(e) = target.journal.end(&target.batch, end.journal_outcome())
        {
            tracing::error!("journal: {e}");
        }
        run.progress.pace = self.pace(run.pace_api());
        run.emit_progress();
        Report {
            operation: op,
            items: run.items,
            calls: run.progress.calls,
            retries: run.progress.retries,
            elapsed: run.started.elapsed(),
            end,
            pace: run.progress.pace,
        }
    }

    /// Sends jobs as the pace and the window allow, takes in their answers, and sleeps until
    /// something can happen: an answer, the next slot of the pace (only when the window has
    /// room), the end of a back-off, or a cancel. Nothing is polled in between.
    async fn drive(&self, run: &mut Run<'_>) {
        let mut tasks: JoinSet<TaskOutcome> = JoinSet::new();
        let cap = self.options.max_in_flight.max(1);
        loop {
            let halted = run.halt.is_cancelled();
            let mut wake = None;
            if !halted {
                let now = Instant::now();
                run.queue.promote(now);
                loop {
                    // The window of the busiest pace among the APIs with work (one or two: the
                    // lines are walked, not collected).
                    let window = run
                        .queue
                        .ready_apis()
                        .map(|api| self.with_pace(api, |p| p.window(cap, now)))
                        .max()
                        .unwrap_or(cap);
                    if tasks.len() >= window {
                        // Full: the next answer wakes the loop, or, before the first one, the
                        // moment the window grows with the wait.
                        wake = run
                            .queue
                            .ready_apis()
                            .filter(|_| tasks.len() < cap)
                            .filter_map(|api| {
                                self.with_pace(api, |p| p.window_grows_at(tasks.len()))
                            })
                            .min();
                        break;
                    }
                    // The API whose next slot comes first: it goes if its pace allows now (its
                    // slot has come, or is a few milliseconds ahead), else the loop sleeps
                    // until that slot.
                    let next = run
                        .queue
                        .ready_apis()
                        .map(|api| self.with_pace(api, |p| (p.next_send(), p.may_send(now), api)))
                        .min_by_key(|(at, _, _)| *at);
                    let Some((at, may, api)) = next else {
                        wake = run.queue.next_delayed();
                        break;
                    };
                    if !may {
                        wake = at.into_iter().chain(run.queue.next_delayed()).min();
                        break;
                    }
                    let job = run.queue.pop(api).expect("a ready job");
                    self.with_pace(api, |p| p.on_send(now));
                    self.spawn(&mut tasks, run, job);
                }
            }
            if tasks.is_empty() && (halted || run.queue.is_empty()) {
                break;
            }
            if !halted && tasks.is_empty() {
                // A short wait for the pace's next slot is the pace, not a wait worth a word.
                let backoff = wake.is_some() && wake == run.queue.next_delayed();
                let long = wake.is_some_and(|at| at > Instant::now() + MIN_REPORTED_WAIT);
                if backoff || long {
                    run.report_wait(wake);
                }
            }
            let halt = run.halt.clone();
            tokio::select! {
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                    match joined {
                        Ok((job, Some(sent))) => self.absorb(run, job, sent),
                        Ok((job, None)) => Engine::unsent(run, job),
                        Err(e) => tracing::error!("engine task failed: {e}"),
                    }
                }
                _ = sleep_until(wake), if !halted && wake.is_some() => {}
                _ = halt.cancelled(), if !halted => {}
            }
        }
    }

    fn spawn(&self, tasks: &mut JoinSet<TaskOutcome>, run: &mut Run<'_>, mut job: Job) {
        for slot in &mut job.slots {
            slot.attempts += 1;
        }
        let to: Vec<String> = job
            .slots
            .iter()
            .map(|s| run.items.to(s.index as usize).as_str().to_owned())
            .collect();
        let from = job.from.as_str().to_owned();
        let (op, client, limits) = (run.op, self.client.clone(), self.limits.clone());
        let halt = run.halt.clone();
        let api = job.api;
        run.progress.calls += 1;
        tasks.spawn(async move {
            // A request still waiting for its turn is not sent once the batch halts.
            tokio::select! {
                _ = limits.acquire(api) => {}
                _ = halt.cancelled() => return (job, None),
            }
            let at = Instant::now();
            let check = |check_type| BlackListCheckRequest {
                from_account: from.clone(),
                to_account: to.clone(),
                check_type,
            };
            let answer = match (job.kind, op) {
                (JobKind::Apply, Operation::Block | Operation::Unblock) => {
                    let req = BlackListChangeRequest {
                        from_account: from.clone(),
                        to_account: to.clone(),
                    };
                    client.call(api, &req).await.map(Answer::Changed)
                }
                (JobKind::Apply, Operation::Check { single }) => {
                    let kind = if single {
                        BlackCheckType::Single
                    } else {
                        BlackCheckType::Both
                    };
                    client.call(api, &check(kind)).await.map(Answer::Checked)
                }
                (JobKind::Confirm | JobKind::Precheck, _) => client
                    .call(api, &check(BlackCheckType::Single))
                    .await
                    .map(Answer::Checked),
            };
            let rtt = at.elapsed();
            (job, Some(Sent { answer, at, rtt }))
        });
    }

    /// Puts back a job that was never sent: its items stay unfinished.
    fn unsent(run: &mut Run<'_>, mut job: Job) {
        for slot in &mut job.slots {
            slot.attempts -= 1;
        }
        run.progress.calls -= 1;
        run.queue.push_front(job);
    }

    /// Takes in one answered call: decides each item, journals, requeues what needs it.
    fn absorb(&self, run: &mut Run<'_>, job: Job, sent: Sent) {
        let Sent { answer, at, rtt } = sent;
        run.progress.answered += 1;
        let api = job.api;
        let attempt = job.slots.iter().map(|s| s.attempts).max().unwrap_or(1);
        let mut records = Vec::with_capacity(job.slots.len());
        let mut retry = Vec::new();
        let mut throttled = Vec::new();
        // The code that sent items back to wait.
        let mut cause = 0;
        let mut confirm = Vec::new();
        let mut apply = Vec::new();
        match answer {
            Ok(answer) => {
                let mut items = answer.items();
                for slot in job.slots {
                    let to = run.items.to(slot.index as usize).as_str();
                    let (code, info, relation) = items.remove(to).unwrap_or_else(|| {
                        (
                            Local::NoItemAnswer.code(),
                            "the answer had no result for this account".to_owned(),
                            None,
                        )
                    });
                    let decision = decide(run.op, job.kind, &slot, code, &info, relation.as_ref());
                    let waiting = retry.len();
                    let status = run.settle(
                        &slot,
                        decision,
                        code,
                        &info,
                        &mut retry,
                        &mut throttled,
                        &mut confirm,
                        &mut apply,
                    );
                    if retry.len() > waiting {
                        cause = code;
                    }
                    records.push(run.record(&slot, code, &info, status));
                }
            }
            Err(error) => {
                let (code, info) = (error.code(), error.to_string());
                let class = error.class();
                let halt = run.opts.halt_on_refusal;
                for slot in job.slots {
                    let decision = match class {
                        Class::Retryable => Decision::Retry,
                        Class::RateLimited => Decision::Throttled,
                        c if c.stops_batch() => Decision::Stop(code, error.info()),
                        Class::Permanent if halt => Decision::Stop(code, error.info()),
                        _ => Decision::Final(ItemStatus::Failed {
                            code,
                            info: info.clone(),
                        }),
                    };
                    let status = run.settle(
                        &slot,
                        decision,
                        code,
                        &info,
                        &mut retry,
                        &mut throttled,
                        &mut confirm,
                        &mut apply,
                    );
                    records.push(run.record(&slot, code, &info, status));
                }
                cause = code;
            }
        }
        if let Some(target) = run.opts.journal.as_mut() {
            let chunk = Chunk {
                batch: target.batch.clone(),
                time: unix_now(),
                api: api.command().to_owned(),
                attempt: u32::from(attempt),
                items: records,
            };
            if let Err(e) = target.journal.chunk(&chunk) {
                // What the journal does not know of must not be added to: nothing more is sent.
                tracing::error!("journal: {e}");
                if run.stopped.is_none() {
                    run.stopped = Some((Local::JournalFailed.code(), e.to_string()));
                    run.halt.cancel();
                }
            }
        }
        let now = Instant::now();
        // The service says the app is over its limit: the pace is cut (once per round trip)
        // and the refused items go first once it allows, without using up their attempts.
        let refused = run.throttled.take();
        self.with_pace(api, |p| p.on_answer(now, at, rtt, refused));
        let chunk_size = self.options.chunk_size;
        if !throttled.is_empty() {
            run.progress.retries += throttled.len() as u64;
            run.queue.push_front(Job {
                from: job.from.clone(),
                slots: throttled,
                kind: job.kind,
                api,
                ready_at: now,
                cause: refused.unwrap_or(cause),
            });
        }
        if !retry.is_empty() {
            let attempts = retry.iter().map(|s: &Slot| s.attempts).max().unwrap_or(1);
            let at = now + self.options.retry.backoff(u32::from(attempts));
            run.progress.retries += retry.len() as u64;
            run.enqueue(
                job.from.clone(),
                retry,
                job.kind,
                api,
                at,
                cause,
                chunk_size,
            );
        }
        if !confirm.is_empty() {
            let kind = JobKind::Confirm;
            run.enqueue(
                job.from.clone(),
                confirm,
                kind,
                kind.api(run.op),
                now,
                0,
                chunk_size,
            );
        }
        if !apply.is_empty() {
            let kind = JobKind::Apply;
            run.enqueue(job.from, apply, kind, kind.api(run.op), now, 0, chunk_size);
        }
        run.progress.pace = self.pace(run.pace_api());
        run.emit_progress();
    }

    /// Pages through `user`'s blocklist, sending each page to `pages` as it arrives. Retryable
    /// failures are retried with back-off; others end the listing with the error.
    pub async fn list(
        &self,
        user: &UserId,
        page_size: u64,
        pages: mpsc::Sender<Page>,
        cancel: CancellationToken,
    ) -> Result<ListOutcome, CallError> {
        let page_size = page_size.clamp(1, wire::MAX_PAGE);
        let mut start = 0u64;
        let mut total = 0usize;
        let mut first_sequence = None;
        loop {
            let req = BlackListGetRequest {
                from_account: user.as_str().to_owned(),
                start_index: start,
                max_limited: page_size,
                last_sequence: 0,
            };
            if cancel.is_cancelled() {
                return Err(CallError::Transport {
                    timeout: false,
                    detail: "cancelled".to_owned(),
                });
            }
            let resp: BlackListGetResponse = self.call(Api::BlackListGet, &req).await?;
            let sequence = resp.current_sequence;
            let first = *first_sequence.get_or_insert(sequence);
            total += resp.black_list_item.len();
            let next = resp.start_index;
            let empty = resp.black_list_item.is_empty();
            let page = Page {
                items: resp.black_list_item,
                start_index: start,
                next_index: next,
                sequence,
            };
            // 0 means the list is complete; a non-advancing index or an empty page would loop forever;
            // a closed receiver means nobody is listening any more.
            if pages.send(page).await.is_err() || next == 0 || next <= start || empty {
                return Ok(ListOutcome {
                    total,
                    sequence,
                    changed_while_listing: sequence != first,
                });
            }
            start = next;
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Waits shorter than this are not reported: they are the pace's gaps between calls.
const MIN_REPORTED_WAIT: Duration = Duration::from_millis(250);

/// Rate-limit refusals of one item before the engine gives up on it.
const MAX_THROTTLED: u8 = 64;

/// Whether a failure with `code` may have left the change made: the call (or the item) went
/// unanswered, not refused.
fn may_have_applied(code: i64) -> bool {
    code == Local::Unreachable.code()
        || code == Local::Unreadable.code()
        || code == Local::NoItemAnswer.code()
        || matches!(code, 30006 | 30007 | 500..=599)
}

/// What an item found as wanted after an unanswered attempt says.
const CONFIRMED_AFTER: &str = "confirmed after an attempt that went unanswered";

/// Decides what to do with one item after its answer.
fn decide(
    op: Operation,
    kind: JobKind,
    slot: &Slot,
    code: i64,
    info: &str,
    relation: Option<&BlackRelation>,
) -> Decision {
    if code == Local::NoItemAnswer.code() {
        return Decision::Retry;
    }
    match kind {
        JobKind::Confirm | JobKind::Precheck if code == 0 => {
            let Some((on_list, _)) = relation.and_then(BlackRelation::directions) else {
                return Decision::Final(ItemStatus::Failed {
                    code: Local::UnknownRelation.code(),
                    info: format!(
                        "black_list_check answered an unknown relation {:?}",
                        relation.map(BlackRelation::as_str).unwrap_or_default()
                    ),
                });
            };
            let wanted = op == Operation::Block;
            if on_list == wanted {
                Decision::Final(ItemStatus::Already)
            } else if kind == JobKind::Precheck {
                Decision::Apply
            } else {
                let (code, info) = slot
                    .pending
                    .as_deref()
                    .cloned()
                    .unwrap_or((code, info.to_owned()));
                Decision::Final(ItemStatus::Failed {
                    code,
                    info: if info.is_empty() {
                        "a check confirmed the change did not happen".to_owned()
                    } else {
                        format!("{info} (a check confirmed the change did not happen)")
                    },
                })
            }
        }
        JobKind::Apply if code == 0 => match (op, relation) {
            (Operation::Check { single }, Some(rel)) => match rel.directions() {
                Some((a, b)) => Decision::Final(ItemStatus::Relation {
                    a_blocks_b: a,
                    b_blocks_a: (!single).then_some(b),
                }),
                None => Decision::Final(ItemStatus::Failed {
                    code: Local::UnknownRelation.code(),
                    info: format!("unknown relation {:?}", rel.as_str()),
                }),
            },
            _ => Decision::Final(ItemStatus::Done),
        },
        _ => match codes::classify_item(op.code_op(), code, info) {
            Class::Ok => Decision::Final(ItemStatus::Done),
            Class::AlreadyInState => Decision::Final(ItemStatus::Already),
            Class::Ambiguous if kind == JobKind::Apply => Decision::Confirm(code, info.to_owned()),
            Class::Retryable => Decision::Retry,
            Class::RateLimited => Decision::Throttled,
            c if c.stops_batch() => Decision::Stop(code, info.to_owned()),
            Class::Ambiguous
            | Class::Permanent
            | Class::SigExpired
            | Class::Auth
            | Class::Lockout => Decision::Final(ItemStatus::Failed {
                code,
                info: info.to_owned(),
            }),
        },
    }
}

impl Run<'_> {
    #[allow(clippy::too_many_arguments)]
    fn enqueue(
        &mut self,
        from: UserId,
        slots: Vec<Slot>,
        kind: JobKind,
        api: Api,
        ready_at: Instant,
        cause: i64,
        chunk: usize,
    ) {
        let now = Instant::now();
        let mut slots = slots.into_iter().peekable();
        while slots.peek().is_some() {
            let part: Vec<Slot> = slots.by_ref().take(chunk.max(1)).collect();
            let job = Job {
                from: from.clone(),
                slots: part,
                kind,
                api,
                ready_at,
                cause,
            };
            self.queue.push(job, now);
        }
    }

    /// The API whose pace a batch shows: its changes', or its checks' for a check batch.
    fn pace_api(&self) -> Api {
        JobKind::Apply.api(self.op)
    }

    /// Nothing is in flight: when the next call waits (back-off, a rate-limit pause), says so
    /// once, with what it waits for; when it may go, says nothing.
    fn report_wait(&mut self, next: Option<Instant>) {
        let Some(next) = next else { return };
        let now = Instant::now();
        if next <= now || self.reported_wait == Some(next) {
            return;
        }
        self.reported_wait = Some(next);
        let items = self.queue.items;
        let code = match self.queue.first_cause() {
            0 => self.queue.front_cause(),
            code => code,
        };
        self.progress.waiting = Some(Waiting {
            items,
            code,
            left: next - now,
        });
        self.emit_progress();
        self.progress.waiting = None;
    }

    /// Applies a decision to a slot; returns the status to journal for it.
    #[allow(clippy::too_many_arguments)]
    fn settle(
        &mut self,
        slot: &Slot,
        decision: Decision,
        code: i64,
        info: &str,
        retry: &mut Vec<Slot>,
        throttled: &mut Vec<Slot>,
        confirm: &mut Vec<Slot>,
        apply: &mut Vec<Slot>,
    ) -> ItemStatus {
        if code != 0 {
            *self.progress.codes.entry(code).or_default() += 1;
        }
        // Found as wanted after an attempt that may have made the change: this batch made it.
        let decision = match decision {
            Decision::Final(ItemStatus::Already) if slot.uncertain && self.op.mutates() => {
                let info = if info.is_empty() {
                    CONFIRMED_AFTER.to_owned()
                } else {
                    format!("{info} ({CONFIRMED_AFTER})")
                };
                self.finish(slot, ItemStatus::Done, code, &info);
                return ItemStatus::Done;
            }
            d => d,
        };
        match decision {
            Decision::Final(status) => {
                self.finish(slot, status.clone(), code, info);
                status
            }
            Decision::Retry if u32::from(slot.attempts) < self.max_attempts => {
                retry.push(Slot {
                    uncertain: slot.uncertain || may_have_applied(code),
                    ..slot.clone()
                });
                ItemStatus::Unfinished
            }
            Decision::Retry => {
                let info = format!("{info} (gave up after {} attempts)", slot.attempts);
                let status = ItemStatus::Failed {
                    code,
                    info: info.clone(),
                };
                self.finish(slot, status.clone(), code, &info);
                status
            }
            Decision::Throttled if slot.throttled < MAX_THROTTLED => {
                self.throttled = Some(code);
                throttled.push(Slot {
                    attempts: slot.attempts - 1,
                    throttled: slot.throttled + 1,
                    ..slot.clone()
                });
                ItemStatus::Unfinished
            }
            Decision::Throttled => {
                let info = format!("{info} (still rate-limited after {MAX_THROTTLED} tries)");
                let status = ItemStatus::Failed {
                    code,
                    info: info.clone(),
                };
                self.finish(slot, status.clone(), code, &info);
                status
            }
            Decision::Confirm(code, info) => {
                confirm.push(Slot {
                    pending: Some(Box::new((code, info))),
                    ..slot.clone()
                });
                ItemStatus::Unfinished
            }
            Decision::Apply => {
                apply.push(slot.clone());
                ItemStatus::Unfinished
            }
            Decision::Stop(code, info) => {
                if self.stopped.is_none() {
                    self.stopped = Some((code, info));
                    self.halt.cancel();
                }
                ItemStatus::Unfinished
            }
        }
    }

    fn finish(&mut self, slot: &Slot, status: ItemStatus, code: i64, info: &str) {
        let success = status.is_success();
        // A failure carries its own code and words (a confirmed 30001, say), which win over the
        // answer that settled it.
        let index = slot.index as usize;
        let first = !self.items.is_settled(index);
        if first {
            self.progress.finished += 1;
            if success {
                self.progress.succeeded += 1;
            } else {
                self.progress.failed += 1;
            }
        }
        self.items
            .set(index, &status, code, info, u32::from(slot.attempts));
        if let Some(tx) = &self.opts.events
            && first
        {
            let _ = tx.send(Event::Item(self.items.get(index)));
        }
    }

    fn record(&self, slot: &Slot, code: i64, info: &str, status: ItemStatus) -> ItemRecord {
        let index = slot.index as usize;
        ItemRecord {
            from: self.items.from(index).clone(),
            to: self.items.to(index).clone(),
            code,
            info: info.to_owned(),
            status,
        }
    }

    fn emit_progress(&mut self) {
        self.progress.elapsed = self.started.elapsed();
        let secs = self.progress.elapsed.as_secs_f64();
        self.progress.calls_per_sec = if secs > 0.0 {
            self.progress.calls as f64 / secs
        } else {
            0.0
        };
        if let Some(tx) = &self.opts.events {
            let _ = tx.send(Event::Progress(self.progress.clone()));
        }
    }
}

/// A stop reason in plain words, with the remedy from the catalog.
fn stop_reason(code: i64, info: &str) -> String {
    let meaning = codes::lookup(code).meaning;
    if info.is_empty() || meaning.contains(info) {
        format!("stopped by error {code}: {meaning}")
    } else {
        format!("stopped by error {code}: {meaning} (service said: {info})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tim::codes::{ADD_ALREADY_EXIST, DELETE_NOT_EXIST};

    fn slot() -> Slot {
        Slot {
            index: 0,
            attempts: 1,
            throttled: 0,
            uncertain: false,
            pending: None,
        }
    }

    fn apply(op: Operation, code: i64, info: &str) -> Decision {
        decide(op, JobKind::Apply, &slot(), code, info, None)
    }

    #[test]
    fn answers_to_changes_are_decided_by_class() {
        use Operation::{Block, Unblock};
        assert_eq!(apply(Block, 0, ""), Decision::Final(ItemStatus::Done));
        assert_eq!(
            apply(Block, 30001, ADD_ALREADY_EXIST),
            Decision::Final(ItemStatus::Already)
        );
        assert_eq!(
            apply(Block, 31307, ADD_ALREADY_EXIST),
            Decision::Final(ItemStatus::Already)
        );
        assert_eq!(
            apply(Unblock, 30001, DELETE_NOT_EXIST),
            Decision::Final(ItemStatus::Already)
        );
        assert_eq!(
            apply(Block, 30001, ""),
            Decision::Confirm(30001, String::new())
        );
        assert_eq!(
            apply(Unblock, 30001, "odd"),
            Decision::Confirm(30001, "odd".into())
        );
        for code in [30006, 30007, 30008, 70169, Local::NoItemAnswer.code()] {
            assert_eq!(apply(Block, code, "x"), Decision::Retry, "{code}");
        }
        for code in [60007, 60011, 60018] {
            assert_eq!(apply(Block, code, "x"), Decision::Throttled, "{code}");
        }
        for code in [70009, 70050, 30004] {
            assert!(
                matches!(apply(Unblock, code, "x"), Decision::Stop(c, _) if c == code),
                "{code}"
            );
        }
        assert!(matches!(
            apply(Unblock, 30003, "Err_SNS_Account_Not_Exist"),
            Decision::Final(ItemStatus::Failed { code: 30003, .. })
        ));
        assert!(matches!(
            apply(Block, 30013, "full"),
            Decision::Final(ItemStatus::Failed { code: 30013, .. })
        ));
    }

    #[test]
    fn confirmations_settle_ambiguous_items() {
        let pending = Slot {
            pending: Some(Box::new((30001, "Err_X".into()))),
            ..slot()
        };
        let confirm =
            |op, rel: BlackRelation| decide(op, JobKind::Confirm, &pending, 0, "", Some(&rel));
        assert_eq!(
            confirm(Operation::Block, BlackRelation::AWithB),
            Decision::Final(ItemStatus::Already)
        );
        assert_eq!(
            confirm(Operation::Unblock, BlackRelation::No),
            Decision::Final(ItemStatus::Already)
        );
        match confirm(Operation::Block, BlackRelation::No) {
            Decision::Final(ItemStatus::Failed { code, info }) => {
                assert_eq!(code, 30001);
                assert!(
                    info.starts_with("Err_X") && info.contains("check confirmed"),
                    "{info}"
                );
            }
            other => panic!("{other:?}"),
        }
        // A precheck applies what is not yet as wanted, and nothing else.
        let pre =
            |op, rel: BlackRelation| decide(op, JobKind::Precheck, &slot(), 0, "", Some(&rel));
        assert_eq!(
            pre(Operation::Unblock, BlackRelation::AWithB),
            Decision::Apply
        );
        assert_eq!(
            pre(Operation::Unblock, BlackRelation::No),
            Decision::Final(ItemStatus::Already)
        );
        assert_eq!(pre(Operation::Block, BlackRelation::No), Decision::Apply);
        assert!(matches!(
            pre(Operation::Block, BlackRelation::Other("?".into())),
            Decision::Final(ItemStatus::Failed { .. })
        ));
    }

    #[test]
    fn check_answers_become_relations() {
        let both = decide(
            Operation::Check { single: false },
            JobKind::Apply,
            &slot(),
            0,
            "",
            Some(&BlackRelation::BWithA),
        );
        assert_eq!(
            both,
            Decision::Final(ItemStatus::Relation {
                a_blocks_b: false,
                b_blocks_a: Some(true)
            })
        );
        let single = decide(
            Operation::Check { single: true },
            JobKind::Apply,
            &slot(),
            0,
            "",
            Some(&BlackRelation::AWithB),
        );
        assert_eq!(
            single,
            Decision::Final(ItemStatus::Relation {
                a_blocks_b: true,
                b_blocks_a: None
            })
        );
    }

    #[test]
    fn backoff_grows_and_is_capped_with_jitter() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for _ in 0..100 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            assert!(policy.backoff(30) <= Duration::from_secs(1));
        }
    }

    #[test]
    fn limits_cover_every_api_and_the_shared_cap() {
        let limits = Limits::new(200, Some(300));
        assert_eq!(limits.per_api.len(), Api::ALL.len());
        assert!(limits.shared.is_some());
        assert!(Limits::unlimited().per_api.is_empty());
    }
}
