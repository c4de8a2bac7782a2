//! The `blockdeck` command: sandbox, UserSig helper and (soon) the dashboard and the headless CLI.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use blockdeck::sandbox::{self, FaultSpec, Latency, Sandbox, SandboxConfig, Seed};
use blockdeck::secret;
use blockdeck::tim::usersig;

#[derive(Parser)]
#[command(
    name = "blockdeck",
    version,
    about = "Moderate Tencent Cloud Chat blocklists from the terminal"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Open the dashboard on the embedded demo sandbox.
    Demo {
        /// Address of the demo sandbox (default: a free loopback port).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Seed data for the demo sandbox instead of the embedded assets/demo.json.
        #[arg(long, value_name = "FILE")]
        seed: Option<PathBuf>,
    },
    /// Run a local server that speaks the Tencent Chat REST protocol (blocklist and related calls).
    ///
    /// The secret key comes from BLOCKDECK_SECRET_KEY or --key-file, never from a flag value.
    Sandbox(SandboxArgs),
    /// Print a UserSig for the admin identifier, for debugging with curl.
    Usersig {
        /// SDKAppID to sign for.
        #[arg(long, default_value_t = sandbox::DEFAULT_SDKAPPID)]
        sdkappid: u64,
        /// Admin identifier to sign for.
        #[arg(long, value_name = "ID", default_value = sandbox::DEFAULT_ADMIN)]
        admin: String,
        /// File holding the secret key (must not be readable by group or others).
        #[arg(long, value_name = "PATH")]
        key_file: Option<PathBuf>,
        /// Validity of the UserSig in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 86_400)]
        expire: u64,
    },
}

#[derive(clap::Args)]
struct SandboxArgs {
    /// Address to listen on; port 0 picks a free port. The address chosen is printed on stdout.
    #[arg(long, value_name = "ADDR", default_value = sandbox::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// SDKAppID the sandbox answers for.
    #[arg(long, value_name = "N", default_value_t = sandbox::DEFAULT_SDKAPPID)]
    sdkappid: u64,
    /// App admin identifier (repeatable).
    #[arg(long = "admin", value_name = "ID", default_values_t = [sandbox::DEFAULT_ADMIN.to_owned()])]
    admins: Vec<String>,
    /// Seed data (default: the embedded assets/demo.json).
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Delay added to every call, fixed (50) or drawn from a range (20-80), in milliseconds.
    #[arg(long, value_name = "N[-M]", default_value = "0")]
    latency_ms: Latency,
    /// Calls per second allowed per API (account_check gets half); 0 turns the limit off.
    #[arg(long, value_name = "N", default_value_t = 200)]
    rate_limit: u32,
    /// Faults to inject, e.g. 30006:0.05,30008:0.02,502:0.01,timeout:0.01.
    #[arg(long, value_name = "SPEC", default_value = "")]
    faults: FaultSpec,
    /// Seed of the random draws of faults and latency, for reproducible runs.
    #[arg(long, value_name = "N")]
    fault_seed: Option<u64>,
    /// How long a `timeout` fault holds the request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 20_000)]
    hang_ms: u64,
    /// Bad UserSigs from one identifier within a minute that lock it out for a minute (70050); 0 = never.
    #[arg(long, value_name = "N", default_value_t = 20)]
    lockout_after: u32,
    /// Keep state in this file across restarts (written atomically after changes).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// File holding the secret key (must not be readable by group or others).
    #[arg(long, value_name = "PATH")]
    key_file: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("blockdeck: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        None | Some(Command::Demo { .. }) => {
            println!(
                "The dashboard is coming soon. Meanwhile, `blockdeck sandbox` serves the demo data \
                 over the Tencent Chat REST protocol on 127.0.0.1:8080."
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Usersig {
            sdkappid,
            admin,
            key_file,
            expire,
        }) => {
            let key = secret::load(key_file.as_deref())?;
            println!("{}", usersig::sign_now(&key, sdkappid, &admin, expire));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Sandbox(args)) => run_sandbox(args),
    }
}

fn run_sandbox(args: SandboxArgs) -> Result<ExitCode> {
    // A server's own errors (a failed state save, say) go to stderr; stdout carries the address only.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .init();
    let key = secret::load(args.key_file.as_deref())?;
    let seed = match &args.seed {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read seed file {}", path.display()))?;
            Seed::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => Seed::demo(),
    };
    let config = SandboxConfig {
        sdkappid: args.sdkappid,
        admins: args.admins,
        key,
        seed,
        latency: args.latency_ms,
        rate_limit: args.rate_limit,
        faults: args.faults,
        fault_seed: args.fault_seed,
        hang: Duration::from_millis(args.hang_ms),
        lockout_after: args.lockout_after,
        state_file: args.state,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let sandbox = Sandbox::start(config, args.listen).await?;
        println!("listening on {}", sandbox.base_url());
        std::io::stdout().flush().ok();
        shutdown_signal().await;
        sandbox.stop().await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Resolves on Ctrl-C, SIGTERM or SIGHUP.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut hup = signal(SignalKind::hangup()).expect("SIGHUP handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
