//! The journal's queries on a journal of a million items: 1,000 batches of 1,000 pairs each, by
//! four moderators, one in ten interrupted part way, each pair's outcome in chunks of 100 as the
//! engine writes them. The journal is generated as JSON Lines and brought in with `blockdeck
//! journal import` (which indexes it as a batch run would), into SQLite and, when PostgreSQL is
//! installed, into a throwaway cluster started here.
//!
//! Each query is the CLI as an on-call engineer types it (`journal`, `--user`, `--by`,
//! `--incomplete`, `--reason`, `--since`, `show`), timed whole (process start to exit, output to
//! /dev/null), the median of five runs. Goal: every answer under a second. Printed, never
//! failing the run; the program exits non-zero only if a query fails.
//!
//! `cargo bench --bench journal`.

#[path = "../tests/common/pg.rs"]
mod pg;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use blockdeck::client::journal::BatchId;

const BIN: &str = env!("CARGO_BIN_EXE_blockdeck");
const BATCHES: usize = 1_000;
const PAIRS: usize = 1_000;
const CHUNK: usize = 100;
/// Distinct From accounts: each appears in about five batches.
const ACCOUNTS: usize = 200_000;
const MODERATORS: [&str; 4] = ["ana", "bo", "cy", "dee"];
const GOAL: Duration = Duration::from_secs(1);
const RUNS: usize = 5;
/// The first batch's start: 2026-11-01 00:00:00 UTC.
const START: u64 = 1_793_491_200;
const PASSWORD: &str = "bench-password";

/// The generated journal, and one batch of it to `show`.
fn generate(path: &Path) -> (String, String) {
    let mut out = String::with_capacity(100 << 20);
    let mut shown = String::new();
    for b in 0..BATCHES {
        let time = START + b as u64 * 60;
        let id = BatchId::generate(UNIX_EPOCH + Duration::from_secs(time));
        let id = id.as_str().to_owned();
        if b == BATCHES / 2 {
            shown = id.clone();
        }
        let pairs: Vec<(String, String)> = (0..PAIRS)
            .map(|j| {
                (
                    format!("u{:06}", (b * PAIRS + j * 7) % ACCOUNTS),
                    format!("spam_{b:04}"),
                )
            })
            .collect();
        let targets: Vec<String> = pairs
            .iter()
            .map(|(f, t)| format!("[\"{f}\",\"{t}\"]"))
            .collect();
        writeln!(
            out,
            "{{\"type\":\"intent\",\"v\":1,\"batch\":\"{id}\",\"time\":{time},\"moderator\":\"{}\",\
             \"os_user\":\"ops\",\"ssh_client\":\"10.0.0.{} 51000 22\",\"profile\":\"prod\",\
             \"sdkappid\":1400000000,\"base_url\":\"https://adminapisgp.im.qcloud.com\",\
             \"reason\":\"raid {b}\",\"ticket\":\"OPS-{b}\",\"operation\":\"unblock\",\
             \"targets\":[{}]}}",
            MODERATORS[b % MODERATORS.len()],
            b % 250,
            targets.join(",")
        )
        .unwrap();
        let interrupted = b % 10 == 3;
        let chunks = if interrupted {
            PAIRS / CHUNK / 2
        } else {
            PAIRS / CHUNK
        };
        for (c, chunk) in pairs.chunks(CHUNK).take(chunks).enumerate() {
            let items: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(k, (f, t))| {
                    let status = if k % 50 == 7 { "already" } else { "done" };
                    format!(
                        "{{\"from\":\"{f}\",\"to\":\"{t}\",\"code\":0,\"status\":\"{status}\"}}"
                    )
                })
                .collect();
            writeln!(
                out,
                "{{\"type\":\"chunk\",\"v\":1,\"batch\":\"{id}\",\"time\":{},\
                 \"api\":\"black_list_delete\",\"attempt\":1,\"items\":[{}]}}",
                time + c as u64,
                items.join(",")
            )
            .unwrap();
        }
        if !interrupted {
            writeln!(
                out,
                "{{\"type\":\"end\",\"v\":1,\"batch\":\"{id}\",\"time\":{},\"outcome\":\"completed\"}}",
                time + 20
            )
            .unwrap();
        }
    }
    std::fs::write(path, &out).unwrap();
    (shown, format!("{:.1} MB", out.len() as f64 / 1e6))
}

/// `blockdeck --journal J ARGS` with a private HOME, output to /dev/null.
fn blockdeck(home: &Path, journal: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("BLOCKDECK_CONFIG", home.join("none.toml"))
        .env("PGPASSWORD", PASSWORD)
        .env_remove("BLOCKDECK_PROFILE")
        .arg("--journal")
        .arg(journal)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn timed(mut cmd: Command) -> Result<Duration, String> {
    let start = Instant::now();
    let out = cmd.output().map_err(|e| e.to_string())?;
    let took = start.elapsed();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(took)
}

/// The median of [`RUNS`] runs of `args`.
fn median(home: &Path, journal: &str, args: &[&str]) -> Result<Duration, String> {
    let mut runs = (0..RUNS)
        .map(|_| timed(blockdeck(home, journal, args)))
        .collect::<Result<Vec<_>, _>>()?;
    runs.sort();
    Ok(runs[RUNS / 2])
}

fn main() -> ExitCode {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let lines = dir.path().join("generated.jsonl");
    let start = Instant::now();
    let (shown, size) = generate(&lines);
    println!(
        "generated {BATCHES} batches × {PAIRS} pairs ({} items, {size}) in {:.1} s",
        BATCHES * PAIRS,
        start.elapsed().as_secs_f64()
    );
    // The newest batch is about 16.6 hours after the first: `--since` reaches back from now,
    // so the journal's times are taken as they are and the age is large enough to cover them.
    let age = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .saturating_sub(START + (BATCHES as u64 - 100) * 60);
    let since = format!("{}m", age / 60);
    let user = format!("u{:06}", 123_456);
    let queries: Vec<(&str, Vec<String>)> = vec![
        ("journal", vec!["journal".into()]),
        ("journal --json", vec!["journal".into(), "--json".into()]),
        (
            "journal --user ID",
            vec!["journal".into(), "--user".into(), user.clone()],
        ),
        (
            "journal --by bo",
            vec!["journal".into(), "--by".into(), "bo".into()],
        ),
        (
            "journal --incomplete",
            vec!["journal".into(), "--incomplete".into()],
        ),
        (
            "journal --reason 'raid 77'",
            vec!["journal".into(), "--reason".into(), "raid 77".into()],
        ),
        (
            "journal --since (last 100)",
            vec!["journal".into(), "--since".into(), since],
        ),
        (
            "journal show BATCH",
            vec!["journal".into(), "show".into(), shown.clone()],
        ),
    ];

    let mut stores: Vec<(&str, String)> = vec![(
        "SQLite",
        dir.path().join("journal.db").display().to_string(),
    )];
    let cluster = pg::Cluster::start();
    if let Some(cluster) = &cluster {
        cluster.role("ana", PASSWORD);
        cluster.database("team", "ana");
        stores.push(("PostgreSQL", cluster.url("ana", "team", "sslmode=require")));
    } else {
        println!("PostgreSQL is not installed: its column is left out");
    }

    let mut failed = false;
    let mut columns: Vec<Vec<Option<Duration>>> = Vec::new();
    for (name, journal) in &stores {
        let start = Instant::now();
        let lines_arg = lines.display().to_string();
        match timed(blockdeck(
            &home,
            journal,
            &["journal", "import", &lines_arg],
        )) {
            Ok(_) => println!(
                "imported into {name} in {:.1} s",
                start.elapsed().as_secs_f64()
            ),
            Err(e) => {
                println!("import into {name} failed: {e}");
                failed = true;
                columns.push(vec![None; queries.len()]);
                continue;
            }
        }
        let mut column = Vec::new();
        for (label, args) in &queries {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            match median(&home, journal, &args) {
                Ok(took) => column.push(Some(took)),
                Err(e) => {
                    println!("{label} on {name} failed: {e}");
                    failed = true;
                    column.push(None);
                }
            }
        }
        columns.push(column);
    }

    println!();
    print!("{:<28}", "query (median of 5)");
    for (name, _) in &stores {
        print!("{name:>12}");
    }
    println!("   goal < 1 s");
    for (q, (label, _)) in queries.iter().enumerate() {
        print!("{label:<28}");
        let mut met = true;
        for column in &columns {
            match column[q] {
                Some(took) => {
                    met &= took < GOAL;
                    print!("{:>10.3} s", took.as_secs_f64());
                }
                None => {
                    met = false;
                    print!("{:>12}", "failed");
                }
            }
        }
        println!("   {}", if met { "met" } else { "NOT met" });
    }
    let all = columns
        .iter()
        .flatten()
        .all(|t| t.is_some_and(|t| t < GOAL));
    println!(
        "\nevery query under a second on {} items: {}",
        BATCHES * PAIRS,
        if all { "goal met" } else { "goal NOT met" }
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
