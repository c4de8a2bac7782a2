//! The bulk engine against an in-process sandbox that enforces the service's limit (200 calls/s per
//! API, a second's worth of burst), every figure printed beside its goal:
//!
//! 1. Pace at any latency: 2,000 unblocks (one call each) at 50 ms, 300 ms and 1 s of latency;
//!    the steady rate (between the 10th and 90th percent of the calls) against the limit.
//! 2. CPU: the same batch through the CLI (`blockdeck unblock --file`), the child's CPU time
//!    against its wall time.
//! 3. Sharing: a competing client sends 120 black_list_delete calls/s while a batch runs; its
//!    refusals (60007), and the batch's rate against the 80 calls/s it leaves.
//! 4. Scale: 100,000 and 999,000 pairs through the CLI: peak memory of the child and wall time
//!    against what the limit needs for their calls.
//! 5. One at a time: a naive client that awaits each call, for comparison.
//!
//! Goals (reported, never failing the run): CPU ≤ 5% of wall; ≥ 95% of the limit at every
//! latency; the competitor loses ≤ 1% of its calls while the batch gets ≥ 80% of what it leaves;
//! a million pairs under 150 MB and within 1.3× of the time the limit needs. The program exits
//! non-zero only if an item did not succeed.
//!
//! `BULK_BASELINE_CALLS` (default 300, at most 2000) sets the one-at-a-time phase's length;
//! `BULK_QUICK=1` skips the 1 s latency and the million pairs (about a minute less).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use blockdeck::client::engine::{BatchEnd, Engine, EngineOptions, Limits, Report, RunOptions};
use blockdeck::client::http::{ClientOptions, Endpoint, TimClient};
use blockdeck::client::{Operation, Pair};
use blockdeck::sandbox::store::{SeedAccount, SeedEdge};
use blockdeck::sandbox::{Latency, Sandbox, SandboxConfig, Seed};
use blockdeck::secret::SecretKey;
use blockdeck::tim::ids::UserId;
use blockdeck::tim::wire::{Api, BlackListChangeRequest, BlackListChangeResponse};
use tokio_util::sync::CancellationToken;

const BIN: &str = env!("CARGO_BIN_EXE_blockdeck");
/// Key shared by the sandbox and the clients.
const KEY: &str = "c0ffee5eed0fb10ckdeckbenchk3y000000000000000000000000000000000000";
/// The sandbox's limit per API, calls per second.
const LIMIT: u32 = 200;
/// Calls of a latency phase.
const PHASE_CALLS: usize = 2000;
/// The competing client's rate, and how long the shared phase's batch is.
const OTHER_RATE: f64 = 120.0;
const SHARED_CALLS: usize = 3000;
/// Upper bound of any phase, so that a stuck run still ends.
const PHASE_TIMEOUT: Duration = Duration::from_secs(300);
/// Goals.
const RATE_GOAL: f64 = 0.95;
const CPU_GOAL: f64 = 0.05;
const LOSS_GOAL: f64 = 0.01;
const SHARE_GOAL: f64 = 0.80;
const MEMORY_GOAL_MB: f64 = 150.0;
const TIME_GOAL: f64 = 1.3;

fn key() -> SecretKey {
    SecretKey::new(KEY.to_owned()).expect("valid key")
}

fn id(text: &str) -> UserId {
    UserId::parse(text).expect("valid id")
}

fn account(id: String) -> SeedAccount {
    SeedAccount {
        id,
        nick: None,
        admin_forbid: false,
    }
}

/// `n` users `{prefix}00000..`, each blocking `target`.
fn blocking_seed(prefix: &str, n: usize) -> (Seed, Vec<Pair>) {
    let mut seed = Seed {
        description: "blockdeck bulk benchmark".to_owned(),
        ..Seed::default()
    };
    seed.accounts.push(account("target".to_owned()));
    seed.accounts.push(account("other".to_owned()));
    let mut pairs = Vec::with_capacity(n);
    for i in 0..n {
        let user = format!("{prefix}{i:05}");
        seed.accounts.push(account(user.clone()));
        seed.blocks.push(SeedEdge {
            from: user.clone(),
            to: "target".to_owned(),
            time: 1_700_000_000 + i as u64,
        });
        pairs.push(Pair::new(id(&user), id("target")));
    }
    (seed, pairs)
}

async fn sandbox(seed: Seed, latency_ms: u64) -> Result<Sandbox, String> {
    let mut config = SandboxConfig::new(key());
    config.seed = seed;
    config.latency = Latency(latency_ms..=latency_ms);
    config.rate_limit = LIMIT;
    config.fault_seed = Some(42);
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("loopback address");
    Sandbox::start(config, listen)
        .await
        .map_err(|e| format!("sandbox: {e:#}"))
}

fn client(sb: &Sandbox) -> Result<Arc<TimClient>, String> {
    Ok(Arc::new(TimClient::new(
        Endpoint {
            base_url: sb.base_url(),
            sdkappid: sb.sdkappid(),
            admin: blockdeck::sandbox::DEFAULT_ADMIN.to_owned(),
        },
        key(),
        ClientOptions::default(),
    )?))
}

/// Samples the sandbox's count of answered calls every 20 ms until cancelled.
fn sample_calls(
    sb: &Sandbox,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<Vec<(Instant, u64)>> {
    let counters = sb.counters_handle();
    tokio::spawn(async move {
        let mut samples = Vec::new();
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        // Bounded by the phase timeout.
        for _ in 0..(PHASE_TIMEOUT.as_millis() / 20) {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.cancelled() => break,
            }
            samples.push((Instant::now(), counters()));
        }
        samples
    })
}

/// The steady rate: calls per second between the moments the count passed 10% and 90% of its
/// final value.
fn steady_rate(samples: &[(Instant, u64)], from: u64) -> f64 {
    let total = samples.last().map_or(0, |s| s.1) - from;
    let at = |share: f64| {
        let goal = from + (total as f64 * share) as u64;
        samples.iter().find(|s| s.1 >= goal).map(|s| (s.0, s.1))
    };
    match (at(0.1), at(0.9)) {
        (Some((t1, n1)), Some((t2, n2))) if t2 > t1 => {
            (n2 - n1) as f64 / t2.duration_since(t1).as_secs_f64()
        }
        _ => 0.0,
    }
}

fn problems(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    if report.end != BatchEnd::Completed {
        lines.push(format!("batch ended {:?}", report.end));
    }
    let bad = report.items.iter().filter(|i| !i.status.is_success());
    for item in bad.take(5) {
        lines.push(format!(
            "{}: {:?} (code {}) {}",
            item.pair, item.status, item.code, item.info
        ));
    }
    lines
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

struct LatencyFigure {
    latency_ms: u64,
    steady: f64,
    whole: f64,
    window: usize,
}

/// Phase 1: the engine in-process at one latency.
async fn latency_phase(
    latency_ms: u64,
    failures: &mut Vec<String>,
) -> Result<LatencyFigure, String> {
    let (seed, pairs) = blocking_seed("p", PHASE_CALLS);
    let sb = sandbox(seed, latency_ms).await?;
    let engine = Engine::new(
        client(&sb)?,
        Arc::new(Limits::new(LIMIT, None)),
        EngineOptions::default(),
    );
    let stop = CancellationToken::new();
    let sampler = sample_calls(&sb, stop.clone());
    let started = Instant::now();
    let report = tokio::time::timeout(
        PHASE_TIMEOUT,
        engine.run(Operation::Unblock, pairs, RunOptions::default()),
    )
    .await
    .map_err(|_| format!("{latency_ms} ms: did not finish in time"))?;
    let elapsed = started.elapsed();
    stop.cancel();
    let samples = sampler.await.map_err(|e| e.to_string())?;
    failures.extend(
        problems(&report)
            .into_iter()
            .map(|p| format!("{latency_ms} ms: {p}")),
    );
    let window = report.pace.map_or(0, |p| p.window);
    sb.stop().await.map_err(|e| format!("{e:#}"))?;
    Ok(LatencyFigure {
        latency_ms,
        steady: steady_rate(&samples, 0),
        whole: report.calls as f64 / elapsed.as_secs_f64(),
        window,
    })
}

/// What a child process used: wall time, CPU time, peak memory.
struct Usage {
    wall: Duration,
    cpu: Duration,
    max_rss_mb: f64,
    stderr: String,
}

/// Runs the CLI against `url` and measures it with wait4.
fn run_cli(url: &str, args: &[&str], dir: &Path) -> Result<Usage, String> {
    let started = Instant::now();
    let child = Command::new(BIN)
        .args(["--base-url", url, "--sdkappid", "1400000000"])
        .arg("--config")
        .arg(dir.join("none.toml"))
        .arg("--journal")
        .arg(dir.join(format!("journal-{}.db", started.elapsed().as_nanos())))
        .args(args)
        .env("BLOCKDECK_SECRET_KEY", KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {BIN}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; both pointers are valid.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if waited != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    let stderr = reader.join().unwrap_or_default();
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("{args:?} failed ({status}): {stderr}"));
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Ok(Usage {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        // Linux reports kilobytes.
        max_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        stderr,
    })
}

fn write_pairs(path: &Path, pairs: impl Iterator<Item = (String, String)>) -> Result<(), String> {
    let mut text = String::new();
    for (from, to) in pairs {
        let _ = writeln!(text, "{from},{to}");
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Phase 2: CPU of a paced batch through the CLI.
async fn cpu_phase(dir: &Path) -> Result<(Usage, f64), String> {
    let (seed, pairs) = blocking_seed("c", PHASE_CALLS);
    let sb = sandbox(seed, 50).await?;
    let file = dir.join("cpu.csv");
    write_pairs(
        &file,
        pairs.iter().map(|p| (p.from.to_string(), p.to.to_string())),
    )?;
    let url = sb.base_url();
    let file_arg = file.display().to_string();
    let dir_owned = dir.to_path_buf();
    let usage = tokio::task::spawn_blocking(move || {
        run_cli(&url, &["unblock", "--file", &file_arg, "--yes"], &dir_owned)
    })
    .await
    .map_err(|e| e.to_string())??;
    let calls: u64 = sb.counters().codes.values().sum();
    sb.stop().await.map_err(|e| format!("{e:#}"))?;
    Ok((usage, calls as f64))
}

struct Shared {
    /// The batch's steady rate.
    ours: f64,
    other_sent: u64,
    other_refused: u64,
    /// The other client alone, before the batch: calls sent and refused.
    alone: (u64, u64),
    settled: String,
}

/// Phase 3: a batch beside a client that takes 120 of the 200 calls/s.
async fn shared_phase(failures: &mut Vec<String>) -> Result<Shared, String> {
    let (seed, pairs) = blocking_seed("s", SHARED_CALLS);
    let sb = sandbox(seed, 50).await?;
    let other = client(&sb)?;
    let counts = Arc::new(std::sync::Mutex::new((0u64, 0u64)));
    let done = CancellationToken::new();
    let competitor = {
        let (counts, done) = (counts.clone(), done.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / OTHER_RATE));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut calls = tokio::task::JoinSet::new();
            let limit = (OTHER_RATE * PHASE_TIMEOUT.as_secs_f64()) as u64;
            for _ in 0..limit {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = done.cancelled() => break,
                }
                let (other, counts) = (other.clone(), counts.clone());
                // Each call on its own, as a backend's requests are: none waits for another.
                calls.spawn(async move {
                    let req = BlackListChangeRequest {
                        from_account: "other".to_owned(),
                        to_account: vec!["target".to_owned()],
                    };
                    let answer: Result<BlackListChangeResponse, _> =
                        other.call(Api::BlackListDelete, &req).await;
                    let mut c = counts.lock().expect("counts");
                    c.0 += 1;
                    if matches!(&answer, Err(e) if e.code() == 60007) {
                        c.1 += 1;
                    }
                });
                while calls.try_join_next().is_some() {}
            }
            while calls.join_next().await.is_some() {}
        })
    };
    // The other client alone for three seconds: the service refuses it nothing.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let alone = *counts.lock().expect("counts");
    let engine = Engine::new(
        client(&sb)?,
        Arc::new(Limits::new(LIMIT, None)),
        EngineOptions::default(),
    );
    let delete_calls = {
        let counters = sb.counters_handle();
        move || counters()
    };
    let before_calls = delete_calls();
    let stop = CancellationToken::new();
    let sampler = sample_calls(&sb, stop.clone());
    let report = tokio::time::timeout(
        PHASE_TIMEOUT,
        engine.run(Operation::Unblock, pairs, RunOptions::default()),
    )
    .await
    .map_err(|_| "shared: did not finish in time".to_owned())?;
    stop.cancel();
    let during = *counts.lock().expect("counts");
    done.cancel();
    let _ = competitor.await;
    let samples = sampler.await.map_err(|e| e.to_string())?;
    failures.extend(
        problems(&report)
            .into_iter()
            .map(|p| format!("shared: {p}")),
    );
    // The sampler counts everybody's calls; the other client's steady share is taken out.
    let everyone = steady_rate(&samples, before_calls);
    let ours = (everyone - OTHER_RATE).max(0.0);
    let settled = report
        .pace
        .map_or_else(|| "no pace".to_owned(), |p| p.settled());
    sb.stop().await.map_err(|e| format!("{e:#}"))?;
    Ok(Shared {
        ours,
        other_sent: during.0 - alone.0,
        other_refused: during.1 - alone.1,
        alone,
        settled,
    })
}

struct Scale {
    pairs: usize,
    calls: usize,
    usage: Usage,
}

/// Phase 4: `users` × (users − 1) pairs through the CLI (every user blocks every other of the
/// first `users`; one call per user).
async fn scale_phase(users: usize, from_users: usize, dir: &Path) -> Result<Scale, String> {
    let mut seed = Seed {
        description: "blockdeck scale benchmark".to_owned(),
        ..Seed::default()
    };
    let name = |i: usize| format!("m{i:04}");
    seed.accounts.extend((0..users).map(|i| account(name(i))));
    let sb = sandbox(seed, 50).await?;
    let file = dir.join(format!("scale-{from_users}.csv"));
    let pairs = (0..from_users).flat_map(|i| {
        (0..users)
            .filter(move |j| *j != i)
            .map(move |j| (name(i), name(j)))
    });
    write_pairs(&file, pairs)?;
    let count = from_users * (users - 1);
    let url = sb.base_url();
    let file_arg = file.display().to_string();
    let dir_owned = dir.to_path_buf();
    let usage = tokio::task::spawn_blocking(move || {
        run_cli(&url, &["block", "--file", &file_arg, "--yes"], &dir_owned)
    })
    .await
    .map_err(|e| e.to_string())??;
    sb.stop().await.map_err(|e| format!("{e:#}"))?;
    let _ = std::fs::remove_file(&file);
    Ok(Scale {
        pairs: count,
        calls: from_users,
        usage,
    })
}

/// Phase 5: one call at a time.
async fn baseline_phase(calls: usize) -> Result<f64, String> {
    if calls == 0 {
        return Ok(0.0);
    }
    let (seed, pairs) = blocking_seed("o", calls);
    let sb = sandbox(seed, 50).await?;
    let client = client(&sb)?;
    let started = Instant::now();
    for pair in &pairs {
        let req = BlackListChangeRequest {
            from_account: pair.from.to_string(),
            to_account: vec![pair.to.to_string()],
        };
        let _: BlackListChangeResponse = client
            .call(Api::BlackListDelete, &req)
            .await
            .map_err(|e| format!("one at a time: {e}"))?;
    }
    let rate = calls as f64 / started.elapsed().as_secs_f64();
    sb.stop().await.map_err(|e| format!("{e:#}"))?;
    Ok(rate)
}

fn env_calls() -> Result<usize, String> {
    match std::env::var("BULK_BASELINE_CALLS") {
        Err(_) => Ok(300),
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(n) if n <= PHASE_CALLS => Ok(n),
            _ => Err(format!(
                "BULK_BASELINE_CALLS={text:?}: expected a number of calls from 0 to {PHASE_CALLS}"
            )),
        },
    }
}

async fn run() -> Result<bool, String> {
    blockdeck::client::http::install_crypto_provider();
    let baseline_calls = env_calls()?;
    let quick = std::env::var_os("BULK_QUICK").is_some_and(|v| v == "1");
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let started = Instant::now();
    let mut failures = Vec::new();

    let latencies: &[u64] = if quick { &[50, 300] } else { &[50, 300, 1000] };
    let mut paces = Vec::new();
    for &ms in latencies {
        eprintln!("pace at {ms} ms ...");
        paces.push(latency_phase(ms, &mut failures).await?);
    }
    eprintln!("CPU of a paced batch through the CLI ...");
    let (cpu, cpu_calls) = cpu_phase(dir.path()).await?;
    eprintln!("beside a client sending {OTHER_RATE} calls/s ...");
    let shared = shared_phase(&mut failures).await?;
    eprintln!("100k pairs ...");
    let mut scales = vec![scale_phase(1000, 100, dir.path()).await?];
    if !quick {
        eprintln!("1M pairs ...");
        scales.push(scale_phase(1000, 1000, dir.path()).await?);
    }
    eprintln!("one at a time, {baseline_calls} calls ...");
    let one_at_a_time = baseline_phase(baseline_calls).await?;

    println!();
    println!("bulk engine against the sandbox (limit {LIMIT} calls/s per API, a second's burst)");
    println!();
    println!(
        "pace at any latency (2000 calls)    steady calls/s  of limit   whole batch  window  goal >= 95%"
    );
    for p in &paces {
        let share = p.steady / f64::from(LIMIT);
        println!(
            "  {:>5} ms                          {:>14.1}  {:>7.1}%  {:>9.1}/s  {:>6}  {}",
            p.latency_ms,
            p.steady,
            share * 100.0,
            p.whole,
            p.window,
            met(share >= RATE_GOAL)
        );
    }
    let cpu_share = cpu.cpu.as_secs_f64() / cpu.wall.as_secs_f64();
    println!();
    println!(
        "CPU of a paced batch (CLI, {cpu_calls:.0} calls at 50 ms)  {:.2} s CPU in {:.2} s wall = {:.1}%   goal <= {:.0}%: {}",
        cpu.cpu.as_secs_f64(),
        cpu.wall.as_secs_f64(),
        cpu_share * 100.0,
        CPU_GOAL * 100.0,
        met(cpu_share <= CPU_GOAL)
    );
    let left = f64::from(LIMIT) - OTHER_RATE;
    let loss = shared.other_refused as f64 / shared.other_sent.max(1) as f64;
    println!();
    println!(
        "beside a client at {OTHER_RATE:.0} calls/s (it leaves {left:.0}/s; alone it lost {} of {})",
        shared.alone.1, shared.alone.0
    );
    println!(
        "  the other client lost           {:>6} of {:>6} calls = {:.2}%   goal <= {:.0}%: {}",
        shared.other_refused,
        shared.other_sent,
        loss * 100.0,
        LOSS_GOAL * 100.0,
        met(loss <= LOSS_GOAL)
    );
    println!(
        "  the batch took                  {:>6.1} calls/s = {:.1}% of what is left   goal >= {:.0}%: {}",
        shared.ours,
        shared.ours / left * 100.0,
        SHARE_GOAL * 100.0,
        met(shared.ours / left >= SHARE_GOAL)
    );
    println!("  its pace {}", shared.settled);
    println!();
    println!(
        "scale (CLI, one call per user)     pairs    calls   peak MB   wall s  limit needs  ratio"
    );
    for s in &scales {
        let need = s.calls as f64 / f64::from(LIMIT);
        let ratio = s.usage.wall.as_secs_f64() / need;
        let goals = if s.pairs >= 500_000 {
            format!(
                "  memory < {MEMORY_GOAL_MB:.0} MB: {}, time <= {TIME_GOAL}x: {}",
                met(s.usage.max_rss_mb < MEMORY_GOAL_MB),
                met(ratio <= TIME_GOAL)
            )
        } else {
            String::new()
        };
        println!(
            "  {:>30}  {:>8}  {:>6.1}  {:>7.2}  {:>9.2} s  {:>5.2}x{goals}",
            s.pairs,
            s.calls,
            s.usage.max_rss_mb,
            s.usage.wall.as_secs_f64(),
            need,
            ratio
        );
        if let Some(line) = s.usage.stderr.lines().find(|l| l.contains("pairs,")) {
            println!("      {line}");
        }
    }
    if baseline_calls > 0 {
        let engine = paces.first().map_or(0.0, |p| p.steady);
        println!();
        println!(
            "one at a time at 50 ms: {one_at_a_time:.1} calls/s; the engine {engine:.1} = {:.1}x",
            engine / one_at_a_time
        );
    }
    println!("(run took {:.0} s)", started.elapsed().as_secs_f64());
    if !failures.is_empty() {
        println!("FAIL: items that did not succeed:");
        for f in &failures {
            println!("  {f}");
        }
    }
    Ok(failures.is_empty())
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bulk: cannot build the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run());
    runtime.shutdown_timeout(Duration::from_secs(5));
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("bulk: {e}");
            ExitCode::FAILURE
        }
    }
}
