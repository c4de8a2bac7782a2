//! `blockdeck relay` under a flood, against the release binary: 50,000 distinct signed blocklist
//! webhooks (one pair each) over 64 connections at once, every post the relay sheds with 503
//! (or fails with 500) sent again, signed anew, until it is answered OK. Then the store must
//! hold exactly 50,000 changes, one per webhook.
//!
//! Beside the flood, the same relay fed over one connection, one post at a time (2,000 posts),
//! where every post waits for a commit of its own: the ratio is what committing together buys.
//!
//! Printed: webhooks accepted per second, posts shed (503) and failed (500), the relay's peak
//! RSS (VmHWM of /proc/PID/status), and the goals (exactly once; peak RSS under 32 MiB), met
//! or NOT met. Into SQLite (a temporary file) and, when PostgreSQL is installed, into a
//! throwaway cluster started here (fsync off, as the tests' clusters are). The program exits
//! non-zero only if a store does not hold exactly what was accepted.
//!
//! `cargo bench --bench relay`.

#[path = "../tests/common/pg.rs"]
mod pg;
#[path = "../tests/common/webhook.rs"]
mod webhook;

use std::collections::HashMap;
use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use blockdeck::client::journal::Location;
use blockdeck::client::journal::changes::{Changes, READ_MAX};
use blockdeck::feed::ChangeKind;
use webhook::{Webhook, now, now_ms};

const BIN: &str = env!("CARGO_BIN_EXE_blockdeck");
const TOKEN: &str = "relay-bench-token";
const PASSWORD: &str = "relay-bench-password";
/// Webhooks of the flood, and the connections they come over.
const FLOOD: usize = 50_000;
const CONNECTIONS: usize = 64;
/// Webhooks of the one-at-a-time baseline.
const BASELINE: usize = 2_000;
/// Attempts per webhook at most before the run gives up on it.
const MAX_TRIES: usize = 1_000;
/// Goal: the relay's peak resident memory. Measured at 13 to 15 MiB (10 to 11 at start) on
/// either store; the bound leaves twice that, and at 64 connections the queue never holds more
/// than 64 posts.
const RSS_GOAL_MIB: f64 = 32.0;
/// Upper bound of a phase, so that a stuck run still ends.
const PHASE_TIMEOUT: Duration = Duration::from_secs(120);

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

/// A store as the relay's `--store` names it, as this program opens it, and what the relay
/// needs in its environment to reach it.
struct Store {
    arg: String,
    location: Location,
    env: Vec<(&'static str, String)>,
}

/// A running `blockdeck relay`.
struct RelayChild {
    child: Child,
    addr: SocketAddr,
    stderr: std::path::PathBuf,
}

impl RelayChild {
    fn start(store: &Store, dir: &Path, label: &str) -> Result<RelayChild, String> {
        let out = dir.join(format!("{label}.stdout"));
        let err = dir.join(format!("{label}.stderr"));
        let home = dir.join("home");
        let mut cmd = Command::new(BIN);
        cmd.args(["relay", "--listen", "127.0.0.1:0", "--store", &store.arg])
            .env("BLOCKDECK_CALLBACK_TOKEN", TOKEN)
            .env("HOME", &home)
            .env("XDG_STATE_HOME", home.join("state"))
            .env("BLOCKDECK_CONFIG", home.join("none.toml"))
            .env_remove("BLOCKDECK_PROFILE")
            .env_remove("PGPASSFILE")
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out).map_err(|e| e.to_string())?)
            .stderr(fs::File::create(&err).map_err(|e| e.to_string())?);
        for (k, v) in &store.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().map_err(|e| format!("cannot run {BIN}: {e}"))?;
        let started = Instant::now();
        loop {
            let text = fs::read_to_string(&out).unwrap_or_default();
            if let Some(addr) = text
                .lines()
                .find_map(|l| l.strip_prefix("listening on "))
                .and_then(|a| a.trim().parse().ok())
            {
                return Ok(RelayChild {
                    child,
                    addr,
                    stderr: err,
                });
            }
            let failed = |why: &str| {
                format!(
                    "the relay {why}:\n{}",
                    fs::read_to_string(&err).unwrap_or_default()
                )
            };
            if let Ok(Some(status)) = child.try_wait() {
                return Err(failed(&format!("exited ({status}) before listening")));
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed("did not say where it listens within 30 s"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// `VmHWM` of /proc/PID/status: the peak resident memory so far, in MiB.
    fn peak_rss_mib(&self) -> Option<f64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }

    /// SIGTERM, then a bounded wait: the relay's summary line.
    fn stop(mut self) -> Result<String, String> {
        // SAFETY: kill(2) on our own child, not yet reaped.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let started = Instant::now();
        let status = loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err("the relay did not stop within 30 s of SIGTERM".to_owned());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let stderr = fs::read_to_string(&self.stderr).unwrap_or_default();
        if !status.success() {
            return Err(format!("the relay ended {status}:\n{stderr}"));
        }
        Ok(stderr
            .lines()
            .find_map(|l| l.split_once("stopped: ").map(|(_, s)| s.to_owned()))
            .unwrap_or_else(|| "(no summary)".to_owned()))
    }
}

/// `count` distinct webhooks: `{prefix}######` blocks `t{prefix}######`, a millisecond apart.
fn webhooks(prefix: &str, count: usize) -> Vec<(Webhook, String)> {
    let t0 = now_ms() - 86_400_000;
    (0..count)
        .map(|i| {
            let (from, to) = (format!("{prefix}{i:06}"), format!("t{prefix}{i:06}"));
            let hook = Webhook::new(ChangeKind::Block, &[(&from, &to)], t0 + i as u64);
            let body = hook.body();
            (hook, body)
        })
        .collect()
}

#[derive(Default)]
struct Counts {
    shed: AtomicU64,
    failed: AtomicU64,
    lost: AtomicU64,
}

/// What sending came to.
struct Sent {
    elapsed: Duration,
    shed: u64,
    failed: u64,
    lost: u64,
}

/// Sends every webhook over `connections` connections at once, each post until it is
/// answered OK (at most [`MAX_TRIES`] attempts).
async fn send_all(
    base: &str,
    hooks: Arc<Vec<(Webhook, String)>>,
    connections: usize,
) -> Result<Sent, String> {
    blockdeck::client::http::install_crypto_provider();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(connections)
        .build()
        .map_err(|e| e.to_string())?;
    let counts = Arc::new(Counts::default());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (http, hooks, counts, next, base) = (
            http.clone(),
            hooks.clone(),
            counts.clone(),
            next.clone(),
            base.to_owned(),
        );
        senders.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((hook, body)) = hooks.get(i) else {
                    return Ok(());
                };
                let mut tries = 0;
                loop {
                    tries += 1;
                    if tries > MAX_TRIES {
                        return Err(format!("webhook {i} not accepted in {MAX_TRIES} attempts"));
                    }
                    let sent = http
                        .post(hook.url(&base, TOKEN, now()))
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    let resp = match sent {
                        Ok(resp) => resp,
                        Err(_) => {
                            counts.lost.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    };
                    let status = resp.status().as_u16();
                    let text = resp.text().await.unwrap_or_default();
                    match status {
                        200 if text.contains("\"ActionStatus\":\"OK\"") => break,
                        503 => counts.shed.fetch_add(1, Ordering::Relaxed),
                        500 => counts.failed.fetch_add(1, Ordering::Relaxed),
                        other => return Err(format!("webhook {i}: answered {other} {text}")),
                    };
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        });
    }
    let waited = tokio::time::timeout(PHASE_TIMEOUT, async {
        while let Some(done) = senders.join_next().await {
            done.map_err(|e| e.to_string())??;
        }
        Ok::<(), String>(())
    })
    .await;
    match waited {
        Ok(result) => result?,
        Err(_) => return Err(format!("not done within {PHASE_TIMEOUT:?}")),
    }
    Ok(Sent {
        elapsed: started.elapsed(),
        shed: counts.shed.load(Ordering::Relaxed),
        failed: counts.failed.load(Ordering::Relaxed),
        lost: counts.lost.load(Ordering::Relaxed),
    })
}

/// How many changes the store holds, and how many of `hooks`' pairs it holds exactly once.
fn check_store(store: &Store, hooks: &[(Webhook, String)]) -> Result<(usize, usize), String> {
    let changes = Changes::open(&store.location).map_err(|e| e.to_string())?;
    let mut times: HashMap<(String, String), usize> = HashMap::new();
    let mut seq = 0;
    loop {
        let read = changes.after(seq, READ_MAX).map_err(|e| e.to_string())?;
        let full = read.len() == READ_MAX;
        for change in &read {
            *times
                .entry((change.from.clone(), change.to.clone()))
                .or_default() += 1;
        }
        match read.last() {
            Some(last) if full => seq = last.seq,
            _ => break,
        }
    }
    let total = times.values().sum();
    let once = hooks
        .iter()
        .filter(|(h, _)| times.get(&h.pairs[0]) == Some(&1))
        .count();
    Ok((total, once))
}

struct Figures {
    name: &'static str,
    flood: Sent,
    flood_rate: f64,
    baseline_rate: f64,
    stored: usize,
    once: usize,
    rss_at_start: Option<f64>,
    peak_rss: Option<f64>,
    summary: String,
}

/// The baseline, then the flood, each on a relay of its own over a store of its own.
async fn measure(
    name: &'static str,
    flood_store: Store,
    baseline_store: Store,
    dir: &Path,
) -> Result<Figures, String> {
    eprintln!("{name}: {BASELINE} webhooks over one connection ...");
    let baseline_hooks = Arc::new(webhooks("b", BASELINE));
    let relay = RelayChild::start(&baseline_store, dir, &format!("{name}-baseline"))?;
    let sent = send_all(&relay.url(), baseline_hooks.clone(), 1).await?;
    let baseline_rate = BASELINE as f64 / sent.elapsed.as_secs_f64();
    relay.stop()?;
    let (stored, once) = check_store(&baseline_store, &baseline_hooks)?;
    if stored != BASELINE || once != BASELINE {
        return Err(format!(
            "{name} baseline: {stored} stored, {once} of {BASELINE} exactly once"
        ));
    }

    eprintln!("{name}: {FLOOD} webhooks over {CONNECTIONS} connections ...");
    let hooks = Arc::new(webhooks("f", FLOOD));
    let relay = RelayChild::start(&flood_store, dir, &format!("{name}-flood"))?;
    let rss_at_start = relay.peak_rss_mib();
    let flood = send_all(&relay.url(), hooks.clone(), CONNECTIONS).await?;
    let peak_rss = relay.peak_rss_mib();
    let summary = relay.stop()?;
    let (stored, once) = check_store(&flood_store, &hooks)?;
    Ok(Figures {
        name,
        flood_rate: FLOOD as f64 / flood.elapsed.as_secs_f64(),
        flood,
        baseline_rate,
        stored,
        once,
        rss_at_start,
        peak_rss,
        summary,
    })
}

fn sqlite(dir: &Path, file: &str) -> Store {
    let path = dir.join(file);
    Store {
        arg: path.display().to_string(),
        location: Location::File(path),
        env: Vec::new(),
    }
}

fn postgres(cluster: &pg::Cluster, db: &str) -> Result<Store, String> {
    cluster.database(db, "relay");
    let with_password = format!(
        "postgres://relay:{PASSWORD}@127.0.0.1:{}/{db}?sslmode=require",
        cluster.port
    );
    Ok(Store {
        arg: cluster.url("relay", db, "sslmode=require"),
        location: Location::parse(&with_password)?,
        env: vec![("PGPASSWORD", PASSWORD.to_owned())],
    })
}

fn print(f: &Figures) -> bool {
    let mib = |m: Option<f64>| m.map_or_else(|| "unknown".to_owned(), |m| format!("{m:.1} MiB"));
    let exact = f.stored == FLOOD && f.once == FLOOD;
    let rss_ok = f.peak_rss.is_some_and(|m| m < RSS_GOAL_MIB);
    println!();
    println!(
        "{}: {FLOOD} webhooks over {CONNECTIONS} connections",
        f.name
    );
    println!(
        "  accepted per second                  {:>7.0}/s  ({:.2} s in all)",
        f.flood_rate,
        f.flood.elapsed.as_secs_f64()
    );
    println!(
        "  one connection, one post at a time   {:>7.0}/s  (the flood: {:.1}x as many per second)",
        f.baseline_rate,
        f.flood_rate / f.baseline_rate
    );
    println!("  shed (503), sent again               {:>7}", f.flood.shed);
    println!(
        "  failed (500), sent again             {:>7}    connections lost: {}",
        f.flood.failed, f.flood.lost
    );
    println!(
        "  relay peak RSS (VmHWM)            {:>10}    (at start {})",
        mib(f.peak_rss),
        mib(f.rss_at_start)
    );
    println!("  relay says: {}", f.summary);
    println!(
        "  goal: {FLOOD} stored exactly once ({} changes stored, {} of the webhooks exactly once) ... {}",
        f.stored,
        f.once,
        met(exact)
    );
    println!(
        "  goal: peak RSS under {RSS_GOAL_MIB:.0} MiB ({}) ... {}",
        mib(f.peak_rss),
        met(rss_ok)
    );
    exact
}

fn main() -> ExitCode {
    let dir = match tempfile::Builder::new()
        .prefix("blockdeck-relay-")
        .tempdir()
    {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("relay bench: temp dir: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("relay bench: cannot build the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let mut all_exact = true;
    let mut report = |figures: Result<Figures, String>, name: &str| match figures {
        Ok(f) => all_exact &= print(&f),
        Err(e) => {
            println!("\n{name}: FAILED: {e}");
            all_exact = false;
        }
    };

    let figures = runtime.block_on(measure(
        "SQLite",
        sqlite(dir.path(), "flood.db"),
        sqlite(dir.path(), "baseline.db"),
        dir.path(),
    ));
    report(figures, "SQLite");

    match pg::Cluster::start() {
        Some(cluster) => {
            cluster.role("relay", PASSWORD);
            let stores = postgres(&cluster, "flood")
                .and_then(|flood| Ok((flood, postgres(&cluster, "baseline")?)));
            let figures = match stores {
                Ok((flood, baseline)) => {
                    runtime.block_on(measure("PostgreSQL", flood, baseline, dir.path()))
                }
                Err(e) => Err(e),
            };
            report(figures, "PostgreSQL");
        }
        None => println!("\nPostgreSQL is not installed: its run is left out"),
    }
    println!("\n(run took {:.0} s)", started.elapsed().as_secs_f64());
    runtime.shutdown_timeout(Duration::from_secs(5));
    if all_exact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
