//! A local server that speaks the Tencent Chat REST protocol for the blocklist and related calls.
//!
//! It authenticates every call like the real service (query parameters, UserSig against the secret key,
//! identifier, SDKAppID, admin list), enforces the per-API rate limit, applies the documented rules
//! (see [`store`]), and can add latency and faults (see [`faults`]). It binds loopback by default and is
//! what the demo, the tests and rehearsals of bulk operations run against.

pub mod callbacks;
pub mod faults;
mod routes;
pub mod store;
pub mod variants;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::routing::{any, get};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use callbacks::{CallbackStats, CallbackTarget};
pub use faults::{FaultKind, FaultSpec, Latency};
pub use routes::Counters;
pub use store::{Seed, Store};

use crate::secret::SecretKey;

/// Default SDKAppID of the sandbox.
pub const DEFAULT_SDKAPPID: u64 = 1_400_000_000;
/// Default admin identifier (the service's own default admin name).
pub const DEFAULT_ADMIN: &str = "administrator";
/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Everything that shapes a sandbox's behaviour.
#[derive(Debug)]
pub struct SandboxConfig {
    pub sdkappid: u64,
    pub admins: Vec<String>,
    pub key: SecretKey,
    pub seed: Seed,
    pub latency: Latency,
    /// Calls per second for each 200/s API (account_check gets half); 0 turns limiting off.
    pub rate_limit: u32,
    pub faults: FaultSpec,
    /// Seed of the random draws of latency and faults, for reproducible runs.
    pub fault_seed: Option<u64>,
    /// How long an injected `timeout` fault holds the request.
    pub hang: Duration,
    /// Bad signatures from one identifier within a minute that lock it out for a minute (70050); 0 = never.
    pub lockout_after: u32,
    /// Where to keep state across restarts (read at start if it exists, written atomically on change).
    pub state_file: Option<PathBuf>,
    /// Where to post a webhook after each call that changed a blocklist (see [`callbacks`]).
    pub callback: Option<CallbackTarget>,
    /// How it answers where the documents leave a choice (see [`variants`]).
    pub variants: variants::Variants,
    /// The bounds its connections are held to: header and body timeouts, connection cap.
    pub connections: crate::serve::Limits,
}

impl SandboxConfig {
    /// Defaults of the `sandbox` command, on the embedded demo seed.
    pub fn new(key: SecretKey) -> SandboxConfig {
        SandboxConfig {
            sdkappid: DEFAULT_SDKAPPID,
            admins: vec![DEFAULT_ADMIN.to_owned()],
            key,
            seed: Seed::demo(),
            latency: Latency::zero(),
            rate_limit: 200,
            faults: FaultSpec::none(),
            fault_seed: None,
            hang: Duration::from_secs(20),
            lockout_after: 20,
            state_file: None,
            callback: None,
            variants: variants::Variants::documented(),
            connections: crate::serve::Limits::default(),
        }
    }
}

/// State shared by the request handlers.
pub(crate) struct Shared {
    config: SandboxConfig,
    store: Mutex<Store>,
    limiters: routes::Limiters,
    rng: Mutex<StdRng>,
    auth: Mutex<routes::AuthState>,
    counters: Mutex<Counters>,
    dirty: AtomicBool,
    dirty_notify: tokio::sync::Notify,
    stop: watch::Receiver<bool>,
    /// The webhook queue, when a callback URL is configured.
    callbacks: Option<callbacks::Delivery>,
    /// What the server's connections came to.
    connections: Arc<crate::serve::Stats>,
}

pub(crate) type SharedState = Arc<Shared>;

impl Shared {
    fn mark_dirty(&self) {
        if self.config.state_file.is_some() {
            self.dirty.store(true, Ordering::Release);
            self.dirty_notify.notify_one();
        }
    }

    /// Sleeps for `duration`, or less if the sandbox is stopping.
    async fn sleep_unless_stopped(&self, duration: Duration) {
        let mut stop = self.stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(duration) => {}
            _ = stop.wait_for(|stopped| *stopped) => {}
        }
    }

    /// Writes the state file if something changed since the last write.
    fn flush(&self) -> Result<()> {
        let Some(path) = &self.config.state_file else {
            return Ok(());
        };
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let snapshot = self.store.lock().expect("store lock").snapshot();
        let text = serde_json::to_string(&snapshot).context("encoding the sandbox state")?;
        write_atomically(path, text.as_bytes())
    }
}

/// Writes `bytes` to `path` so that a reader sees either the old or the new file, never a torn one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = crate::private::options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing sandbox state to {}", path.display()))
}

/// A running sandbox.
pub struct Sandbox {
    addr: SocketAddr,
    shared: SharedState,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    saver: Option<JoinHandle<()>>,
    delivery: Option<JoinHandle<()>>,
}

/// The largest seed or state file read: far above a million block entries' worth.
pub const MAX_DATA_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A seed or state file's text, refused past [`MAX_DATA_FILE_BYTES`] (whatever it claims to be:
/// `/dev/zero` has no length).
pub fn read_data_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_DATA_FILE_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_DATA_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MB; a seed or state file is JSON of accounts and edges",
            MAX_DATA_FILE_BYTES / (1024 * 1024)
        )));
    }
    Ok(text)
}

impl Sandbox {
    /// Binds `listen` (port 0 picks a free port), loads the state file or the seed, and starts serving.
    pub async fn start(config: SandboxConfig, listen: SocketAddr) -> Result<Sandbox> {
        let store = match &config.state_file {
            Some(path) if path.exists() => {
                let text = read_data_file(path)
                    .with_context(|| format!("reading sandbox state {}", path.display()))?;
                let seed = Seed::from_json(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "{}: {e}; move it away to start from the seed",
                        path.display()
                    )
                })?;
                Store::from_seed(&seed).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
            }
            _ => Store::from_seed(&config.seed).map_err(|e| anyhow::anyhow!("seed: {e}"))?,
        };
        let listener =
            crate::serve::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let rng = match config.fault_seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let (callbacks, delivery) = match &config.callback {
            Some(target) => {
                let (queue, task) =
                    callbacks::Delivery::start(target, config.sdkappid, stop_rx.clone())?;
                (Some(queue), Some(task))
            }
            None => (None, None),
        };
        let shared = Arc::new(Shared {
            limiters: routes::Limiters::new(config.rate_limit),
            config,
            store: Mutex::new(store),
            rng: Mutex::new(rng),
            auth: Mutex::new(routes::AuthState::default()),
            counters: Mutex::new(Counters::default()),
            dirty: AtomicBool::new(false),
            dirty_notify: tokio::sync::Notify::new(),
            stop: stop_rx.clone(),
            callbacks,
            connections: Arc::default(),
        });
        let app = Router::new()
            .route("/v4/{service}/{command}", any(routes::call))
            .route("/sandbox/stats", get(routes::stats))
            .fallback(routes::unknown_path)
            .with_state(shared.clone());
        let server = tokio::spawn(crate::serve::serve(
            listener,
            app,
            shared.config.connections,
            shared.connections.clone(),
            stop_rx.clone(),
        ));
        let saver = shared.config.state_file.is_some().then(|| {
            let shared = shared.clone();
            let mut stop = stop_rx;
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = shared.dirty_notify.notified() => {}
                        _ = stop.wait_for(|s| *s) => break,
                    }
                    // Coalesce a burst of changes into one write.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    if let Err(e) = shared.flush() {
                        tracing::error!("{e:#}");
                    }
                }
            })
        });
        Ok(Sandbox {
            addr,
            shared,
            stop: stop_tx,
            server,
            saver,
            delivery,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the base URL a client uses.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn sdkappid(&self) -> u64 {
        self.shared.config.sdkappid
    }

    /// The current state, in seed form.
    pub fn snapshot(&self) -> Seed {
        self.shared.store.lock().expect("store lock").snapshot()
    }

    /// Reads the live store (for tests and the demo's own checks).
    pub fn with_store<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        f(&self.shared.store.lock().expect("store lock"))
    }

    /// What the sandbox has answered so far.
    pub fn counters(&self) -> Counters {
        self.shared.counters.lock().expect("counters lock").clone()
    }

    /// A handle that tells how many calls the sandbox has answered so far (every API, every
    /// code), for sampling a rate from another task.
    pub fn counters_handle(&self) -> impl Fn() -> u64 + Send + Sync + 'static {
        let shared = self.shared.clone();
        move || {
            shared
                .counters
                .lock()
                .expect("counters lock")
                .codes
                .values()
                .sum()
        }
    }

    /// What its connections came to so far (accepted, evicted at the cap, refused, open).
    pub fn connection_stats(&self) -> crate::serve::StatsView {
        self.shared.connections.view()
    }

    /// What became of the webhooks so far; `None` without a callback URL.
    pub fn callback_stats(&self) -> Option<CallbackStats> {
        self.shared
            .callbacks
            .as_ref()
            .map(callbacks::Delivery::stats)
    }

    /// Stops serving (hung requests are released) and posting webhooks (those not sent yet are
    /// dropped), then writes the state file one last time.
    pub async fn stop(self) -> Result<()> {
        let _ = self.stop.send(true);
        let served = self.server.await.context("sandbox server task")?;
        if let Some(saver) = self.saver {
            let _ = saver.await;
        }
        if let Some(delivery) = self.delivery {
            let _ = delivery.await;
        }
        self.shared.flush()?;
        served.context("sandbox server")
    }
}
