//! `blockdeck relay`: the team's webhook receiver. It takes the service's relationship webhooks
//! (blocklist and friendship changes) behind the company's ingress, checks each one as the
//! dashboard's own listener does ([`crate::feed::Checks`]), and stores it in the change store
//! ([`crate::client::journal::changes`]) before answering OK, so that every dashboard and the CLI
//! can read what happened wherever they run.
//!
//! - **Durable before OK.** A post is answered OK only once its transaction has committed (SQLite
//!   with `synchronous = FULL`, or PostgreSQL); a relay killed at any moment has lost nothing it
//!   answered OK to. A post the store could not take in [`ANSWER_WITHIN`] is answered with an
//!   error, which the service retries; if it was stored after all, the retry is a redelivery.
//! - **Once.** A redelivered post (the same digest) is answered OK and not stored again.
//! - **Refused, not stored.** A forged, stale, malformed or foreign post is answered `FAIL` with
//!   the reason, and nothing of it is kept.
//! - **Bounded.** Posts wait for the store in a queue of at most [`QUEUE_POSTS`] posts and
//!   [`QUEUE_PAIRS`] pairs; beyond, a post is answered 503 (the service retries it) rather than
//!   memory growing. One writer thread commits what has queued up in one transaction, so a
//!   flood is absorbed at the store's pace of transactions, not of posts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::client::journal::Location;
use crate::client::journal::changes::Changes;
use crate::clock::unix_now;
use crate::feed::{self, Checks, Post};

/// Posts waiting for the store at most.
pub const QUEUE_POSTS: usize = 4_096;
/// Pairs waiting for the store at most (over all queued posts).
pub const QUEUE_PAIRS: usize = 100_000;
/// How long a post may wait for its commit before it is answered with an error: inside the
/// service's 2 s budget.
pub const ANSWER_WITHIN: Duration = Duration::from_millis(1_500);
/// Posts committed in one transaction at most.
const COMMIT_POSTS: usize = 1_024;
/// How often the relay says what it did, when it did something.
const REPORT_EVERY: Duration = Duration::from_secs(60);

/// What the relay did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RelayStats {
    /// Posts stored (new to the store).
    pub stored: u64,
    /// Changes those posts carried.
    pub changes: u64,
    /// Posts the store held already (redeliveries), answered OK.
    pub again: u64,
    /// Posts refused (bad signature, body, IDs, SdkAppid), not stored.
    pub refused: u64,
    /// Posts answered 503 because the queue was full.
    pub shed: u64,
    /// Posts the store failed or was too slow for, answered with an error.
    pub failed: u64,
    /// Transactions committed.
    pub commits: u64,
}

#[derive(Default)]
struct Counts {
    stored: AtomicU64,
    changes: AtomicU64,
    again: AtomicU64,
    refused: AtomicU64,
    shed: AtomicU64,
    failed: AtomicU64,
    commits: AtomicU64,
}

impl Counts {
    fn view(&self) -> RelayStats {
        let get = |n: &AtomicU64| n.load(Ordering::Relaxed);
        RelayStats {
            stored: get(&self.stored),
            changes: get(&self.changes),
            again: get(&self.again),
            refused: get(&self.refused),
            shed: get(&self.shed),
            failed: get(&self.failed),
            commits: get(&self.commits),
        }
    }
}

/// What became of one post in the store.
type Answer = Result<bool, String>;

struct Job {
    post: Post,
    reply: oneshot::Sender<Answer>,
}

struct RelayState {
    checks: Checks,
    jobs: std::sync::mpsc::SyncSender<Job>,
    queued_pairs: Arc<AtomicUsize>,
    counts: Arc<Counts>,
}

/// A running relay.
pub struct Relay {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    writer: Option<std::thread::JoinHandle<()>>,
    counts: Arc<Counts>,
}

impl Relay {
    /// Opens the store at `store` (bringing its schema up to date), binds `addr` (port 0 picks a
    /// free port) and serves. Posts are checked against `checks`.
    pub async fn start(addr: SocketAddr, store: &Location, checks: Checks) -> Result<Relay> {
        let at = store.clone();
        let changes = tokio::task::spawn_blocking(move || Changes::open(&at))
            .await
            .context("opening the change store")??;
        let listener =
            crate::serve::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
        let addr = listener.local_addr()?;
        let counts = Arc::new(Counts::default());
        let queued_pairs = Arc::new(AtomicUsize::new(0));
        let (jobs, queue) = std::sync::mpsc::sync_channel(QUEUE_POSTS);
        let writer = {
            let (counts, queued_pairs) = (counts.clone(), queued_pairs.clone());
            std::thread::Builder::new()
                .name("relay-store".to_owned())
                .spawn(move || write_loop(changes, queue, &queued_pairs, &counts))?
        };
        let state = Arc::new(RelayState {
            checks,
            jobs,
            queued_pairs,
            counts: counts.clone(),
        });
        let app = Router::new()
            .fallback(receive)
            .layer(axum::extract::DefaultBodyLimit::max(feed::MAX_BODY_BYTES))
            .with_state(state);
        let (shutdown, stopping) = watch::channel(false);
        let server = tokio::spawn(crate::serve::serve(
            listener,
            app,
            crate::serve::Limits::default(),
            Arc::default(),
            stopping,
        ));
        Ok(Relay {
            addr,
            shutdown,
            server,
            writer: Some(writer),
            counts,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`, the URL to configure as the app's callback URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn stats(&self) -> RelayStats {
        self.counts.view()
    }

    /// A handle that reads the counts while the relay runs.
    pub fn stats_handle(&self) -> impl Fn() -> RelayStats + Send + Sync + 'static {
        let counts = self.counts.clone();
        move || counts.view()
    }

    /// Stops accepting, lets open requests finish (their posts are committed and answered), then
    /// ends the writer once its queue is empty.
    pub async fn stop(mut self) -> Result<RelayStats> {
        let _ = self.shutdown.send(true);
        let mut server = self.server;
        match tokio::time::timeout(Duration::from_secs(3), &mut server).await {
            Ok(joined) => joined
                .context("relay server task")?
                .context("relay server")?,
            Err(_) => server.abort(),
        }
        // The server's state, with the queue's sending end, is gone with the server: the writer
        // ends when it has written what was queued.
        if let Some(writer) = self.writer.take() {
            let _ = tokio::task::spawn_blocking(move || writer.join()).await;
        }
        Ok(self.counts.view())
    }
}

/// The writer thread: takes what has queued up, commits it in one transaction, answers each
/// post. A failed commit is tried once more on a fresh connection before its posts are answered
/// with the error.
fn write_loop(
    mut changes: Changes,
    queue: std::sync::mpsc::Receiver<Job>,
    queued_pairs: &AtomicUsize,
    counts: &Counts,
) {
    let at = changes.location().clone();
    let mut last_report = Instant::now();
    let mut reported = RelayStats::default();
    loop {
        let first = match queue.recv_timeout(Duration::from_secs(1)) {
            Ok(job) => Some(job),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if let Some(first) = first {
            let mut jobs = vec![first];
            while jobs.len() < COMMIT_POSTS {
                match queue.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            let posts: Vec<Post> = jobs.iter().map(|j| j.post.clone()).collect();
            let pairs: usize = posts.iter().map(|p| p.events.len()).sum();
            let now_ms = crate::clock::unix_now_ms() as i64;
            let mut result = changes.record(&posts, now_ms);
            if let Err(e) = &result {
                tracing::warn!(
                    "storing {} webhook(s) failed: {e}; trying again",
                    posts.len()
                );
                match Changes::open(&at) {
                    Ok(fresh) => {
                        changes = fresh;
                        result = changes.record(&posts, now_ms);
                    }
                    Err(e) => result = Err(e),
                }
            }
            queued_pairs.fetch_sub(pairs, Ordering::Relaxed);
            match result {
                Ok(new) => {
                    counts.commits.fetch_add(1, Ordering::Relaxed);
                    for (job, new) in jobs.into_iter().zip(new) {
                        if new {
                            counts.stored.fetch_add(1, Ordering::Relaxed);
                            counts
                                .changes
                                .fetch_add(job.post.events.len() as u64, Ordering::Relaxed);
                        } else {
                            counts.again.fetch_add(1, Ordering::Relaxed);
                        }
                        let _ = job.reply.send(Ok(new));
                    }
                }
                Err(e) => {
                    tracing::error!("cannot store {} webhook(s): {e}", jobs.len());
                    for job in jobs {
                        let _ = job.reply.send(Err(e.to_string()));
                    }
                }
            }
        }
        if last_report.elapsed() >= REPORT_EVERY {
            let now = counts.view();
            if now != reported {
                tracing::info!("{}", report(&reported, &now));
                reported = now;
            }
            last_report = Instant::now();
        }
    }
    let now = counts.view();
    if now != reported {
        tracing::info!("{}", report(&reported, &now));
    }
}

/// What changed between two readings of the counts, in words.
pub fn report(before: &RelayStats, now: &RelayStats) -> String {
    format!(
        "stored {} webhook(s) with {} change(s), {} redelivered, {} refused, {} shed, {} failed \
         ({} stored in all)",
        now.stored - before.stored,
        now.changes - before.changes,
        now.again - before.again,
        now.refused - before.refused,
        now.shed - before.shed,
        now.failed - before.failed,
        now.stored
    )
}

/// Logs a refusal: each of the first ten, then when the count passes a power of two, so that a
/// flood of forgeries does not flood the log.
fn log_refused(n: u64, peer: SocketAddr, reason: &str) {
    if n <= 10 || n.is_power_of_two() {
        tracing::warn!("refused a webhook from {peer} ({n} refused so far): {reason}");
    }
}

async fn receive(
    State(state): State<Arc<RelayState>>,
    method: Method,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return feed::not_a_post();
    }
    let post = match state.checks.accept(query.as_deref(), &body, unix_now()) {
        Ok(Some(post)) if !post.events.is_empty() => post,
        Ok(_) => return feed::answer(true, ""),
        Err(refusal) => {
            let n = state.counts.refused.fetch_add(1, Ordering::Relaxed) + 1;
            log_refused(n, peer, &refusal.reason);
            return feed::answer(false, refusal.public);
        }
    };
    let pairs = post.events.len();
    let shed = |state: &RelayState| {
        let n = state.counts.shed.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_power_of_two() {
            tracing::warn!(
                "the store's queue is full: {n} webhook(s) answered busy so far (the service \
                 retries them)"
            );
        }
        feed::busy("busy: the relay's queue is full, retry later")
    };
    if state.queued_pairs.fetch_add(pairs, Ordering::Relaxed) + pairs > QUEUE_PAIRS {
        state.queued_pairs.fetch_sub(pairs, Ordering::Relaxed);
        return shed(&state);
    }
    let (reply, answered) = oneshot::channel();
    if state.jobs.try_send(Job { post, reply }).is_err() {
        state.queued_pairs.fetch_sub(pairs, Ordering::Relaxed);
        return shed(&state);
    }
    match tokio::time::timeout(ANSWER_WITHIN, answered).await {
        Ok(Ok(Ok(_))) => feed::answer(true, ""),
        Ok(Ok(Err(_))) | Ok(Err(_)) => {
            state.counts.failed.fetch_add(1, Ordering::Relaxed);
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                feed::answer(false, "the relay cannot store the webhook, retry later"),
            )
                .into_response()
        }
        Err(_) => {
            state.counts.failed.fetch_add(1, Ordering::Relaxed);
            feed::busy("busy: the relay's store is slow, retry later")
        }
    }
}
