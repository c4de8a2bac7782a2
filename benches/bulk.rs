//! Bulk unblock against an in-process sandbox: the engine (paced by its own per-API limiter, many
//! requests in flight) side by side with a naive client that awaits each call before the next.
//!
//! The sandbox answers after 50 ms of injected latency and enforces its default limit of 200 calls/s
//! per API. Every phase works on its own users, so no phase sees another's changes. The program exits
//! non-zero if an engine phase was answered 60007 (rate limited) or any item did not succeed; the rate
//! itself is reported against the goal of 95% of the limit but never fails the run.
//!
//! `BULK_BASELINE_CALLS` (default 2000, at most 2000) shortens the one-at-a-time phase, which takes
//! about 100 s at full length.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blockdeck::client::engine::{Engine, EngineOptions, Limits, Report, RunOptions};
use blockdeck::client::http::{ClientOptions, Endpoint, TimClient};
use blockdeck::client::{Operation, Pair};
use blockdeck::sandbox::store::{SeedAccount, SeedEdge};
use blockdeck::sandbox::{Counters, Sandbox, SandboxConfig, Seed};
use blockdeck::secret::SecretKey;
use blockdeck::tim::ids::UserId;
use blockdeck::tim::wire::{Api, BlackListChangeRequest, BlackListChangeResponse};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Key shared by the sandbox and the client.
const KEY: &str = "c0ffee5eed0fb10ckdeckbenchk3y000000000000000000000000000000000000";
/// Users `b0000..b3999`: the first half for the engine, the second for the baseline.
const USERS: usize = 4000;
/// Accounts the users block.
const POOL: usize = 500;
/// Calls per phase at full length.
const PHASE_CALLS: usize = 2000;
/// The sandbox's limit for black_list_delete, calls per second.
const LIMIT: u32 = 200;
/// Injected latency of every answer, in milliseconds.
const LATENCY_MS: &str = "50";
/// Share of the limit the engine is expected to reach.
const GOAL: f64 = 0.95;
/// Upper bound of any single phase, so that a stuck run still ends.
const PHASE_TIMEOUT: Duration = Duration::from_secs(300);
/// The sandbox's code for "rate limited".
const RATE_LIMITED: i64 = 60007;

fn user(i: usize) -> String {
    format!("b{i:04}")
}

fn target(i: usize) -> String {
    format!("t{i:03}")
}

/// The seed: every user blocks one or two distinct targets from the pool, drawn reproducibly.
/// Returns the seed and, per user, the targets it blocks in order.
fn build_seed() -> (Seed, Vec<Vec<String>>) {
    let mut rng = StdRng::seed_from_u64(0xb10c);
    let account = |id: String| SeedAccount {
        id,
        nick: None,
        admin_forbid: false,
    };
    let mut seed = Seed {
        description: "blockdeck bulk benchmark".to_owned(),
        ..Seed::default()
    };
    seed.accounts.extend((0..USERS).map(|i| account(user(i))));
    seed.accounts.extend((0..POOL).map(|i| account(target(i))));
    let mut blocked = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let count = rng.random_range(1..=2usize);
        let first = rng.random_range(0..POOL);
        let mut targets = vec![target(first)];
        if count == 2 {
            // Any other pool member, never the first one again.
            let second = (first + rng.random_range(1..POOL)) % POOL;
            targets.push(target(second));
        }
        for (n, to) in targets.iter().enumerate() {
            seed.blocks.push(SeedEdge {
                from: user(i),
                to: to.clone(),
                time: 1_700_000_000 + (i * 2 + n) as u64,
            });
        }
        blocked.push(targets);
    }
    (seed, blocked)
}

/// What one phase did, from the sandbox's counters and our own clock.
struct Phase {
    name: String,
    calls: u64,
    elapsed: Duration,
    rate_limited: u64,
    /// Items that ended in success, out of items attempted.
    succeeded: usize,
    items: usize,
    /// Answers by code (0 = OK), for the detail lines.
    codes: BTreeMap<i64, u64>,
}

impl Phase {
    fn new(name: &str, before: &Counters, after: &Counters, elapsed: Duration) -> Phase {
        let codes: BTreeMap<i64, u64> = after
            .codes
            .iter()
            .map(|(code, n)| (*code, n - before.codes.get(code).copied().unwrap_or(0)))
            .filter(|(_, n)| *n > 0)
            .collect();
        Phase {
            name: name.to_owned(),
            calls: codes.values().sum(),
            elapsed,
            rate_limited: codes.get(&RATE_LIMITED).copied().unwrap_or(0),
            succeeded: 0,
            items: 0,
            codes,
        }
    }

    fn per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.calls as f64 / secs
        } else {
            0.0
        }
    }

    fn of_limit(&self) -> f64 {
        self.per_sec() / f64::from(LIMIT)
    }
}

fn baseline_calls() -> Result<usize, String> {
    match std::env::var("BULK_BASELINE_CALLS") {
        Err(_) => Ok(PHASE_CALLS),
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(n) if n <= PHASE_CALLS => Ok(n),
            _ => Err(format!(
                "BULK_BASELINE_CALLS={text:?}: expected a number of calls from 0 to {PHASE_CALLS}"
            )),
        },
    }
}

/// Runs the engine over `pairs` with the given options and reports the phase.
async fn engine_phase(
    name: &str,
    sandbox: &Sandbox,
    client: &Arc<TimClient>,
    options: EngineOptions,
    pairs: Vec<Pair>,
) -> Result<(Phase, Report), String> {
    let engine = Engine::new(client.clone(), Arc::new(Limits::new(LIMIT, None)), options);
    let items = pairs.len();
    let before = sandbox.counters();
    let started = Instant::now();
    let report = tokio::time::timeout(
        PHASE_TIMEOUT,
        engine.run(Operation::Unblock, pairs, RunOptions::default()),
    )
    .await
    .map_err(|_| format!("{name}: did not finish within {PHASE_TIMEOUT:?}"))?;
    let elapsed = started.elapsed();
    let mut phase = Phase::new(name, &before, &sandbox.counters(), elapsed);
    phase.items = items;
    phase.succeeded = report.succeeded();
    Ok((phase, report))
}

/// Unblocks one pair per user, awaiting each answer before sending the next call.
async fn baseline_phase(
    sandbox: &Sandbox,
    client: &TimClient,
    pairs: &[(String, String)],
) -> Result<(Phase, Vec<String>), String> {
    let before = sandbox.counters();
    let started = Instant::now();
    let mut succeeded = 0;
    let mut problems = Vec::new();
    let work = async {
        for (from, to) in pairs {
            let req = BlackListChangeRequest {
                from_account: from.clone(),
                to_account: vec![to.clone()],
            };
            match client
                .call::<_, BlackListChangeResponse>(Api::BlackListDelete, &req)
                .await
            {
                Ok(resp) => match resp.result_item.iter().find(|i| &i.to_account == to) {
                    Some(item) if item.result_code == 0 => succeeded += 1,
                    Some(item) => problems.push(format!(
                        "{from} → {to}: item code {} {}",
                        item.result_code, item.result_info
                    )),
                    None => problems.push(format!("{from} → {to}: no result item")),
                },
                Err(e) => problems.push(format!("{from} → {to}: {e}")),
            }
        }
    };
    tokio::time::timeout(PHASE_TIMEOUT, work)
        .await
        .map_err(|_| format!("one at a time: did not finish within {PHASE_TIMEOUT:?}"))?;
    let elapsed = started.elapsed();
    let mut phase = Phase::new("one at a time", &before, &sandbox.counters(), elapsed);
    phase.items = pairs.len();
    phase.succeeded = succeeded;
    Ok((phase, problems))
}

/// Summarises an engine report's failures: up to five items, then a count by code.
fn engine_problems(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    if report.end != blockdeck::client::engine::BatchEnd::Completed {
        lines.push(format!("batch ended {:?}", report.end));
    }
    let bad: Vec<_> = report
        .items
        .iter()
        .filter(|i| !i.status.is_success())
        .collect();
    for item in bad.iter().take(5) {
        lines.push(format!(
            "{}: {:?} (code {}, {} attempts) {}",
            item.pair, item.status, item.code, item.attempts, item.info
        ));
    }
    if bad.len() > 5 {
        let mut by_code: BTreeMap<i64, usize> = BTreeMap::new();
        for item in &bad {
            *by_code.entry(item.code).or_default() += 1;
        }
        lines.push(format!(
            "... {} items did not succeed, by code: {by_code:?}",
            bad.len()
        ));
    }
    lines
}

fn print_table(phases: &[Phase]) {
    println!();
    println!(
        "bulk unblock against the sandbox ({LATENCY_MS} ms latency, limit {LIMIT} calls/s per API)"
    );
    println!(
        "{:<22}{:>7}{:>10}{:>10}{:>11}{:>9}{:>13}",
        "", "calls", "seconds", "calls/s", "of limit", "60007s", "items ok"
    );
    for p in phases {
        println!(
            "{:<22}{:>7}{:>10.2}{:>10.1}{:>10.1}%{:>9}{:>13}",
            p.name,
            p.calls,
            p.elapsed.as_secs_f64(),
            p.per_sec(),
            p.of_limit() * 100.0,
            p.rate_limited,
            format!("{}/{}", p.succeeded, p.items),
        );
    }
}

async fn run() -> Result<bool, String> {
    blockdeck::client::http::install_crypto_provider();
    let baseline_n = baseline_calls()?;
    let key = SecretKey::new(KEY.to_owned()).map_err(|e| format!("key: {e}"))?;
    let (seed, blocked) = build_seed();
    let edges = seed.blocks.len();

    let mut config = SandboxConfig::new(key.clone());
    config.seed = seed;
    config.latency = LATENCY_MS.parse().map_err(|e| format!("latency: {e}"))?;
    config.fault_seed = Some(42);
    let rate_limit = config.rate_limit;
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("loopback address");
    let sandbox = Sandbox::start(config, listen)
        .await
        .map_err(|e| format!("sandbox: {e:#}"))?;
    println!(
        "sandbox on {} ({USERS} users, {POOL} targets, {edges} blocks; latency {LATENCY_MS} ms, \
         limit {rate_limit} calls/s per API)",
        sandbox.base_url()
    );

    let client = Arc::new(TimClient::new(
        Endpoint {
            base_url: sandbox.base_url(),
            sdkappid: sandbox.sdkappid(),
            admin: blockdeck::sandbox::DEFAULT_ADMIN.to_owned(),
        },
        key,
        ClientOptions::default(),
    )?);
    let pair = |from: &str, to: &str| {
        Pair::new(
            UserId::parse(from).expect("valid id"),
            UserId::parse(to).expect("valid id"),
        )
    };

    // 1. The engine, default options: the first target of users b0000..b1999, one call each.
    let pairs: Vec<Pair> = (0..PHASE_CALLS)
        .map(|i| pair(&user(i), &blocked[i][0]))
        .collect();
    let (engine, engine_report) = engine_phase(
        "engine (32 in flight)",
        &sandbox,
        &client,
        EngineOptions::default(),
        pairs,
    )
    .await?;
    println!(
        "engine: {} calls in {:.2} s, {} retries",
        engine.calls,
        engine.elapsed.as_secs_f64(),
        engine_report.retries
    );

    // 2. One at a time: the first target of users b2000.., awaiting each answer.
    let baseline_pairs: Vec<(String, String)> = (PHASE_CALLS..PHASE_CALLS + baseline_n)
        .map(|i| (user(i), blocked[i][0].clone()))
        .collect();
    println!(
        "one at a time: {baseline_n} calls, about {:.0} s at {LATENCY_MS} ms each ...",
        baseline_n as f64 * 0.052
    );
    let (baseline, baseline_problems) = baseline_phase(&sandbox, &client, &baseline_pairs).await?;
    println!(
        "one at a time: {} calls in {:.2} s",
        baseline.calls,
        baseline.elapsed.as_secs_f64()
    );

    // 3. The engine with only 8 requests in flight: the second target of those of b0000..b1999 that
    //    block two (their first was unblocked in phase 1, so these pairs are untouched).
    let second: Vec<Pair> = (0..PHASE_CALLS)
        .filter_map(|i| blocked[i].get(1).map(|to| pair(&user(i), to)))
        .collect();
    let options = EngineOptions {
        max_in_flight: 8,
        ..EngineOptions::default()
    };
    let (shallow, shallow_report) =
        engine_phase("engine (8 in flight)", &sandbox, &client, options, second).await?;
    println!(
        "engine, 8 in flight: {} calls in {:.2} s, {} retries",
        shallow.calls,
        shallow.elapsed.as_secs_f64(),
        shallow_report.retries
    );

    let totals = sandbox.counters();
    sandbox
        .stop()
        .await
        .map_err(|e| format!("sandbox stop: {e:#}"))?;

    let phases = [engine, baseline, shallow];
    print_table(&phases);
    let [engine, baseline, shallow] = &phases;
    if baseline.calls > 0 && baseline.per_sec() > 0.0 {
        println!(
            "engine / one-at-a-time: {:.1}x",
            engine.per_sec() / baseline.per_sec()
        );
    }
    let met = engine.of_limit() >= GOAL;
    println!(
        "goal: engine at >= {:.0}% of the limit: {} ({:.1}%)",
        GOAL * 100.0,
        if met { "met" } else { "NOT met" },
        engine.of_limit() * 100.0
    );
    for p in &phases {
        println!("answers by code, {}: {:?}", p.name, p.codes);
    }
    println!("sandbox totals by API: {:?}", totals.calls);

    let mut ok = true;
    for (phase, report) in [(engine, &engine_report), (shallow, &shallow_report)] {
        if phase.rate_limited > 0 {
            ok = false;
            println!(
                "FAIL {}: {} answers were 60007 (rate limited)",
                phase.name, phase.rate_limited
            );
        }
        let problems = engine_problems(report);
        if !problems.is_empty() {
            ok = false;
            println!("FAIL {}: items that did not succeed:", phase.name);
            for line in problems {
                println!("  {line}");
            }
        }
    }
    if !baseline_problems.is_empty() {
        ok = false;
        println!(
            "FAIL one at a time: {} items did not succeed:",
            baseline_problems.len()
        );
        for line in baseline_problems.iter().take(5) {
            println!("  {line}");
        }
    }
    Ok(ok)
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
    // Any request still held by the sandbox is released with the runtime.
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
