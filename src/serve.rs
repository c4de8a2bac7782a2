//! Serving an HTTP router on a socket within bounds, for the sandbox and the webhook listener alike.
//!
//! Every connection is held to three limits, so that idle, half-sent and slowly sent connections
//! cannot pile up:
//!
//! - **Header timeout**: a request's head must arrive in full within [`Limits::header_timeout`] of
//!   the connection being ready for it. That covers a new connection that sends nothing, one that
//!   sends its head a byte at a time, and a kept-alive connection that sits idle between requests.
//! - **Body timeout**: a request's body must arrive in full within [`Limits::body_timeout`] of its
//!   head; a late body fails the request (the handler answers it as an unreadable body).
//! - **Connection cap**: at most [`Limits::max_connections`] are open (by default what the
//!   process's file limit leaves room for). A connection that arrives at the cap takes the place of
//!   the one that has been idle longest (no request in progress: a kept-alive connection, or one
//!   still sending its head), so that a crowd of idle connections cannot lock callers out; when
//!   every connection is busy with a request, the new one is closed at once.
//!
//! What happened is counted in [`Stats`].

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// Time allowed for a request's head (and for an idle kept-alive connection's next one).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed for a request's body, from its head.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The most connections held open when the file limit allows more.
pub const MAX_CONNECTIONS: usize = 4096;
/// File descriptors kept back from the connection cap for everything else the process opens
/// (state and log files, outgoing webhook connections), and for connections that are closing.
const RESERVED_FDS: usize = 64;
/// Connections waiting to be accepted (the kernel caps it at `net.core.somaxconn`): room for a
/// burst of new callers while the accept loop catches up.
const BACKLOG: u32 = 4096;
/// The smallest cap, however low the file limit.
const MIN_CONNECTIONS: usize = 8;

/// The bounds one server holds its connections to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: connection_budget(),
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
        }
    }
}

/// How many connections this process can hold open: [`MAX_CONNECTIONS`], or fewer when the soft
/// file limit (`ulimit -n`) leaves less room.
pub fn connection_budget() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given and reads nothing else.
    let known = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    let soft = (known && limit.rlim_cur != libc::RLIM_INFINITY)
        .then(|| usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX));
    budget_for(soft)
}

/// The connection cap for a soft file limit (`None`: unlimited or unknown).
fn budget_for(soft: Option<usize>) -> usize {
    let Some(soft) = soft else {
        return MAX_CONNECTIONS;
    };
    // An eighth more is kept back for connections evicted but not yet closed.
    (soft - soft / 8)
        .saturating_sub(RESERVED_FDS)
        .clamp(MIN_CONNECTIONS, MAX_CONNECTIONS)
}

/// Binds `addr` for [`serve`], with a backlog deep enough for a burst of connections.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// What a server's connections came to.
#[derive(Debug, Default)]
pub struct Stats {
    accepted: AtomicU64,
    accept_errors: AtomicU64,
    evicted: AtomicU64,
    refused: AtomicU64,
    open: AtomicUsize,
}

/// A reading of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatsView {
    /// Connections accepted so far.
    pub accepted: u64,
    /// Idle connections closed to make room for a new one at the cap.
    pub evicted: u64,
    /// Connections closed on arrival because every open one was busy.
    pub refused: u64,
    /// Connections open now.
    pub open: usize,
}

impl Stats {
    pub fn view(&self) -> StatsView {
        StatsView {
            accepted: self.accepted.load(Ordering::Relaxed),
            evicted: self.evicted.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            open: self.open.load(Ordering::Relaxed),
        }
    }
}

/// One open connection, as the accept loop sees it.
struct Conn {
    /// Requests in progress on it.
    busy: AtomicUsize,
    /// When it last became idle, in milliseconds from the server's start.
    idle_since: AtomicU64,
    /// Told when the connection is chosen to make room.
    evict: Notify,
}

struct Server {
    router: Router,
    limits: Limits,
    stats: Arc<Stats>,
    start: Instant,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Server {
    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Registers a new connection, making room at the cap; `None` when every open connection is
    /// busy with a request.
    fn admit(&self, id: u64) -> Option<Arc<Conn>> {
        let mut conns = self.conns.lock().expect("connection table");
        if conns.len() >= self.limits.max_connections {
            let victim = conns
                .iter()
                .filter(|(_, c)| c.busy.load(Ordering::Acquire) == 0)
                .min_by_key(|(_, c)| c.idle_since.load(Ordering::Relaxed))
                .map(|(id, _)| *id);
            match victim.and_then(|v| conns.remove(&v)) {
                Some(victim) => {
                    victim.evict.notify_one();
                    self.stats.evicted.fetch_add(1, Ordering::Relaxed);
                }
                None => {
                    self.stats.refused.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
            }
        }
        let conn = Arc::new(Conn {
            busy: AtomicUsize::new(0),
            idle_since: AtomicU64::new(self.now_ms()),
            evict: Notify::new(),
        });
        conns.insert(id, conn.clone());
        Some(conn)
    }

    fn forget(&self, id: u64) {
        self.conns.lock().expect("connection table").remove(&id);
    }
}

/// Marks a connection busy for as long as it lives.
struct BusyGuard {
    conn: Arc<Conn>,
    server: Arc<Server>,
}

impl BusyGuard {
    fn enter(conn: &Arc<Conn>, server: &Arc<Server>) -> BusyGuard {
        conn.busy.fetch_add(1, Ordering::AcqRel);
        BusyGuard {
            conn: conn.clone(),
            server: server.clone(),
        }
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.conn
            .idle_since
            .store(self.server.now_ms(), Ordering::Relaxed);
        self.conn.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `router` on `listener` within `limits` until `stop` turns true; then lets the requests in
/// progress finish and returns. Handlers can read the peer's address as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stats: Arc<Stats>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let server = Arc::new(Server {
        router,
        limits,
        stats,
        start: Instant::now(),
        conns: Mutex::new(HashMap::new()),
    });
    let mut tasks = JoinSet::new();
    let mut next_id = 0u64;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped(&mut stop) => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors or a connection reset before it was taken: wait a moment
                // rather than spin, then carry on. Logged at the 1st, 2nd, 4th, 8th... time.
                let errors = server.stats.accept_errors.fetch_add(1, Ordering::Relaxed) + 1;
                if errors.is_power_of_two() {
                    tracing::warn!("accepting a connection ({errors} errors so far): {e}");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        server.stats.accepted.fetch_add(1, Ordering::Relaxed);
        next_id += 1;
        let id = next_id;
        let Some(conn) = server.admit(id) else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        tasks.spawn(connection(
            server.clone(),
            id,
            conn,
            stream,
            peer,
            stop.clone(),
        ));
    }
    drop(listener);
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// Resolves once `stop` turns true or its sender is gone.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn connection(
    server: Arc<Server>,
    id: u64,
    conn: Arc<Conn>,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
) {
    server.stats.open.fetch_add(1, Ordering::Relaxed);
    let service = {
        let server = server.clone();
        let conn = conn.clone();
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let busy = BusyGuard::enter(&conn, &server);
            let router = server.router.clone();
            let deadline = server.limits.body_timeout;
            let mut request = request.map(|body| Body::new(TimedBody::new(body, deadline)));
            request.extensions_mut().insert(ConnectInfo(peer));
            async move {
                let response = router.oneshot(request).await;
                drop(busy);
                response
            }
        })
    };
    let http = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(server.limits.header_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(http);
    let mut closing = false;
    loop {
        tokio::select! {
            _ = http.as_mut() => break,
            _ = conn.evict.notified(), if !closing => {
                if conn.busy.load(Ordering::Acquire) == 0 {
                    // Idle (kept alive, or still sending its head): nothing is lost by closing.
                    break;
                }
                // A request arrived since it was chosen: let it finish, then close.
                closing = true;
                http.as_mut().graceful_shutdown();
            }
            _ = stopped(&mut stop), if !closing => {
                closing = true;
                http.as_mut().graceful_shutdown();
            }
        }
    }
    server.forget(id);
    server.stats.open.fetch_sub(1, Ordering::Relaxed);
}

/// A request body that fails once its deadline has passed before it has arrived in full.
struct TimedBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
}

impl TimedBody {
    fn new(inner: Incoming, within: Duration) -> TimedBody {
        TimedBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(within)),
        }
    }
}

/// The error a late body ends with.
#[derive(Debug)]
struct BodyTimeout;

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimeout {}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimeout)))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_leaves_room_under_the_file_limit() {
        // 1,024 descriptors: 896 after the eighth for closing connections, less the 64 reserved.
        assert_eq!(budget_for(Some(1024)), 832);
        assert_eq!(budget_for(Some(20_000)), MAX_CONNECTIONS);
        assert_eq!(budget_for(None), MAX_CONNECTIONS);
        assert_eq!(budget_for(Some(10)), MIN_CONNECTIONS);
    }
}
