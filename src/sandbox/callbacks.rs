//! Webhooks after relationship changes, as the service posts them (`Sns.CallbackBlackListAdd` /
//! `Sns.CallbackBlackListDelete`, and `Sns.CallbackFriendDelete` for the friendships a block
//! ended): one post per call that changed something, with the pairs that changed and the
//! change's `EventTime` in milliseconds (strictly increasing, so that every post is told apart
//! from the next).
//!
//! Delivery never holds up or fails the REST call: a call only queues the post (a bounded queue; a
//! post that does not fit is dropped and counted), and one background task sends them in order, each
//! with a 2 s timeout and at most one retry after a transport error or an HTTP error status.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::feed::{self, ChangeKind};

/// Where the sandbox posts its webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackTarget {
    /// `http://...` or `https://...`; the callback parameters are added to its query.
    pub url: String,
    /// With a token, every post carries `RequestTime` and `Sign`.
    pub token: Option<String>,
}

/// Posts waiting at most; beyond it new ones are dropped (and counted).
pub const QUEUE: usize = 10_000;
/// How long one post may take.
pub const POST_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause before the one retry of a failed post.
const RETRY_AFTER: Duration = Duration::from_millis(100);
/// Failures are logged at most this often (with a count of those in between).
const LOG_EVERY: Duration = Duration::from_secs(10);

/// What became of the webhooks so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallbackStats {
    /// Posts answered `ActionStatus: OK`.
    pub sent: u64,
    /// Posts that failed twice, or were answered with something other than OK.
    pub failed: u64,
    /// Posts dropped because the queue was full or the sandbox stopped first.
    pub dropped: u64,
}

#[derive(Default)]
struct Counts {
    sent: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
}

/// One webhook to post.
struct Post {
    kind: ChangeKind,
    /// (From_Account, To_Account) of each pair.
    pairs: Vec<(String, String)>,
    /// `EventTime`: Unix milliseconds.
    time_ms: u64,
}

/// The queue of the delivery task, held by the request handlers.
pub(crate) struct Delivery {
    queue: mpsc::Sender<Post>,
    counts: Arc<Counts>,
    /// The last `EventTime` given.
    last_ms: std::sync::Mutex<u64>,
}

impl Delivery {
    /// Checks `target` and starts the delivery task, which ends when `stop` turns true.
    pub(crate) fn start(
        target: &CallbackTarget,
        sdkappid: u64,
        stop: watch::Receiver<bool>,
    ) -> Result<(Delivery, JoinHandle<()>)> {
        let url = reqwest::Url::parse(&target.url)
            .with_context(|| format!("callback URL {:?} is not a URL", target.url))?;
        if !matches!(url.scheme(), "http" | "https") {
            anyhow::bail!(
                "callback URL {:?} must start with http:// or https://",
                target.url
            );
        }
        crate::client::http::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(POST_TIMEOUT)
            .connect_timeout(POST_TIMEOUT)
            .user_agent(concat!("blockdeck-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot build the callback HTTP client")?;
        let (queue, posts) = mpsc::channel(QUEUE);
        let counts = Arc::new(Counts::default());
        let sender = Sender {
            http,
            url,
            token: target.token.clone().filter(|t| !t.is_empty()),
            sdkappid,
            counts: counts.clone(),
            last_log: None,
            unlogged: 0,
        };
        let task = tokio::spawn(sender.run(posts, stop));
        Ok((
            Delivery {
                queue,
                counts,
                last_ms: std::sync::Mutex::new(0),
            },
            task,
        ))
    }

    /// Queues the webhook of one call; never waits. Nothing is posted when `to` is empty.
    pub(crate) fn changed(&self, kind: ChangeKind, from: &str, to: Vec<String>) {
        let pairs = to.into_iter().map(|t| (from.to_owned(), t)).collect();
        self.post(kind, pairs);
    }

    /// Queues one webhook of `pairs`; never waits. Nothing is posted when there are none.
    pub(crate) fn post(&self, kind: ChangeKind, pairs: Vec<(String, String)>) {
        if pairs.is_empty() {
            return;
        }
        let time_ms = {
            let mut last = self.last_ms.lock().unwrap_or_else(|e| e.into_inner());
            *last = crate::clock::unix_now_ms().max(*last + 1);
            *last
        };
        let post = Post {
            kind,
            pairs,
            time_ms,
        };
        if self.queue.try_send(post).is_err() {
            let dropped = self.counts.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(
                    "callback queue full or closed: {dropped} webhook(s) dropped so far"
                );
            }
        }
    }

    pub(crate) fn stats(&self) -> CallbackStats {
        CallbackStats {
            sent: self.counts.sent.load(Ordering::Relaxed),
            failed: self.counts.failed.load(Ordering::Relaxed),
            dropped: self.counts.dropped.load(Ordering::Relaxed),
        }
    }
}

#[derive(Serialize)]
struct PairOut<'a> {
    #[serde(rename = "From_Account")]
    from: &'a str,
    #[serde(rename = "To_Account")]
    to: &'a str,
}

#[derive(Serialize)]
struct BodyOut<'a> {
    #[serde(rename = "CallbackCommand")]
    command: &'a str,
    #[serde(rename = "PairList")]
    pairs: Vec<PairOut<'a>>,
    #[serde(rename = "EventTime")]
    event_time: u64,
}

/// The delivery task's state.
struct Sender {
    http: reqwest::Client,
    url: reqwest::Url,
    token: Option<String>,
    sdkappid: u64,
    counts: Arc<Counts>,
    last_log: Option<Instant>,
    unlogged: u64,
}

impl Sender {
    async fn run(mut self, mut posts: mpsc::Receiver<Post>, mut stop: watch::Receiver<bool>) {
        loop {
            let post = tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => break,
                post = posts.recv() => match post {
                    Some(post) => post,
                    None => break,
                },
            };
            tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => {
                    self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                _ = self.deliver(&post) => {}
            }
        }
        // What is still queued when the sandbox stops is not sent.
        posts.close();
        let mut left = 0;
        while posts.try_recv().is_ok() {
            left += 1;
        }
        if left > 0 {
            self.counts.dropped.fetch_add(left, Ordering::Relaxed);
            tracing::debug!("{left} webhook(s) not sent: the sandbox stopped");
        }
    }

    /// The URL of one post: the target's own query, then the callback parameters.
    fn url(&self, kind: ChangeKind) -> reqwest::Url {
        let mut url = self.url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("SdkAppid", &self.sdkappid.to_string())
                .append_pair("CallbackCommand", kind.command())
                .append_pair("contenttype", "json")
                .append_pair("ClientIP", "127.0.0.1")
                .append_pair("OptPlatform", "RESTAPI");
            if let Some(token) = &self.token {
                let time = crate::tim::usersig::unix_now().to_string();
                query
                    .append_pair("RequestTime", &time)
                    .append_pair("Sign", &feed::sign(token, &time));
            }
        }
        url
    }

    async fn deliver(&mut self, post: &Post) {
        let body = BodyOut {
            command: post.kind.command(),
            pairs: post
                .pairs
                .iter()
                .map(|(from, to)| PairOut { from, to })
                .collect(),
            event_time: post.time_ms,
        };
        let body = match serde_json::to_vec(&body) {
            Ok(body) => body,
            Err(e) => {
                self.failed(format!("cannot encode the webhook: {e}"));
                return;
            }
        };
        let mut outcome = self.post_once(post.kind, &body).await;
        if let Err(Failure::Transient(_)) = &outcome {
            tokio::time::sleep(RETRY_AFTER).await;
            outcome = self.post_once(post.kind, &body).await;
        }
        match outcome {
            Ok(()) => {
                self.counts.sent.fetch_add(1, Ordering::Relaxed);
            }
            Err(Failure::Transient(why) | Failure::Refused(why)) => self.failed(why),
        }
    }

    /// One attempt; the URL is made anew so that `RequestTime` is current.
    async fn post_once(&self, kind: ChangeKind, body: &[u8]) -> Result<(), Failure> {
        let resp = self
            .http
            .post(self.url(kind))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| Failure::Transient(describe(&e)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(Failure::Transient(format!(
                "the receiver answered HTTP {status}"
            )));
        }
        let answer: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| Failure::Refused(format!("unreadable answer ({})", describe(&e))))?;
        match answer.get("ActionStatus").and_then(|v| v.as_str()) {
            Some("OK") => Ok(()),
            _ => Err(Failure::Refused(format!(
                "the receiver refused it: {:.200}",
                answer.to_string()
            ))),
        }
    }

    fn failed(&mut self, why: String) {
        self.counts.failed.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        if self
            .last_log
            .is_some_and(|at| now.duration_since(at) < LOG_EVERY)
        {
            self.unlogged += 1;
            tracing::debug!("webhook to {} failed: {why}", self.url);
            return;
        }
        let more = std::mem::take(&mut self.unlogged);
        if more > 0 {
            tracing::warn!(
                "webhook to {} failed: {why} ({more} more failed since the last report)",
                self.url
            );
        } else {
            tracing::warn!("webhook to {} failed: {why}", self.url);
        }
        self.last_log = Some(now);
    }
}

enum Failure {
    /// No answer, or an HTTP error status: worth one more try.
    Transient(String),
    /// An answer other than OK: another try would get the same.
    Refused(String),
}

/// A reqwest error without its URL (which holds nothing secret, but is already in the message).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender(url: &str, token: Option<&str>) -> Sender {
        crate::client::http::install_crypto_provider();
        Sender {
            http: reqwest::Client::new(),
            url: reqwest::Url::parse(url).unwrap(),
            token: token.map(str::to_owned),
            sdkappid: 1_400_000_000,
            counts: Arc::default(),
            last_log: None,
            unlogged: 0,
        }
    }

    fn params(url: &reqwest::Url) -> Vec<(String, String)> {
        url.query_pairs().into_owned().collect()
    }

    #[test]
    fn url_carries_the_callback_parameters() {
        let url = sender("http://127.0.0.1:9/hook", None).url(ChangeKind::Block);
        assert_eq!(url.path(), "/hook");
        assert_eq!(
            url.query(),
            Some(
                "SdkAppid=1400000000&CallbackCommand=Sns.CallbackBlackListAdd&contenttype=json\
                 &ClientIP=127.0.0.1&OptPlatform=RESTAPI"
            )
        );
    }

    #[test]
    fn url_is_signed_with_a_token_and_keeps_its_own_query() {
        let url = sender("http://127.0.0.1:9/hook?app=x", Some("T")).url(ChangeKind::Unblock);
        let p = params(&url);
        assert_eq!(p[0], ("app".to_owned(), "x".to_owned()));
        let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(
            get("CallbackCommand").as_deref(),
            Some("Sns.CallbackBlackListDelete")
        );
        let time = get("RequestTime").expect("RequestTime");
        let now = crate::tim::usersig::unix_now();
        assert!(time.parse::<u64>().unwrap().abs_diff(now) <= 2);
        assert_eq!(get("Sign"), Some(feed::sign("T", &time)));
    }

    #[tokio::test]
    async fn bad_urls_are_refused_at_start() {
        let (_tx, stop) = watch::channel(false);
        for url in ["", "127.0.0.1:9", "ftp://127.0.0.1/", "http://"] {
            let target = CallbackTarget {
                url: url.to_owned(),
                token: None,
            };
            assert!(
                Delivery::start(&target, 1, stop.clone()).is_err(),
                "{url:?}"
            );
        }
    }

    #[tokio::test]
    async fn full_queue_drops_and_counts_and_stop_ends_the_task() {
        let (tx, stop) = watch::channel(false);
        // A receiver that accepts connections and never answers.
        let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = CallbackTarget {
            url: format!("http://{}/", hole.local_addr().unwrap()),
            token: None,
        };
        let (delivery, task) = Delivery::start(&target, 1, stop).unwrap();
        for i in 0..QUEUE + 50 {
            delivery.changed(ChangeKind::Block, "a", vec![format!("b{i}")]);
        }
        // Nothing is queued for a call that changed nothing.
        delivery.changed(ChangeKind::Block, "a", vec![]);
        assert!(delivery.stats().dropped >= 49, "{:?}", delivery.stats());
        let _ = tx.send(true);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the delivery task ends on stop")
            .unwrap();
        let stats = delivery.stats();
        assert_eq!(stats.sent, 0);
        assert_eq!(stats.dropped + stats.failed, QUEUE as u64 + 50, "{stats:?}");
        drop(hole);
    }
}
