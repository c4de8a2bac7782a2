//! The command line: parsing, settings, and dispatch to the headless commands, the sandbox and the
//! dashboard.

mod bulk;
mod dashboard;
mod follow;
mod history;
mod inspect;
pub mod man;
mod output;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::config::{self, Overrides, Region, Settings};
use crate::sandbox::{self, FaultSpec, Latency, Sandbox, SandboxConfig, Seed};
use crate::secret;
use crate::tim::usersig;

/// Exit codes of the headless commands.
pub mod exit {
    /// Everything done.
    pub const OK: u8 = 0;
    /// Some items failed (they are listed).
    pub const SOME_FAILED: u8 = 1;
    /// Usage or configuration error: nothing was sent.
    pub const USAGE: u8 = 2;
    /// Authentication error (bad key, wrong app, locked out).
    pub const AUTH: u8 = 3;
    /// Cancelled or interrupted; `blockdeck resume` finishes the batch.
    pub const CANCELLED: u8 = 4;
}

/// An error that maps to a particular exit code.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl Exit {
    pub fn usage(message: impl Into<String>) -> Exit {
        Exit {
            code: exit::USAGE,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

#[derive(Parser)]
#[command(
    name = "blockdeck",
    version,
    about = "Moderate Tencent Cloud Chat blocklists from the terminal",
    long_about = "Moderate Tencent Cloud Chat (TIM) blocklists: look users up, page through their \
                  blocklists, check who blocks whom, block and unblock in bulk at the service's speed \
                  limit, with a journal of every change.\n\nThe secret key comes from \
                  BLOCKDECK_SECRET_KEY or a key file (--key-file or the profile's key_file), never \
                  from a flag value or the config file."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags that override the selected profile.
#[derive(Args, Debug, Default, Clone)]
pub struct GlobalArgs {
    /// Profile of the config file to use.
    #[arg(long, global = true, value_name = "NAME", env = "BLOCKDECK_PROFILE")]
    pub profile: Option<String>,
    /// Base URL of the REST API (a backup domain, a proxy, or a sandbox such as http://127.0.0.1:8080).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Region of the app: china, singapore, seoul, tokyo, frankfurt, mumbai, silicon-valley, jakarta.
    #[arg(long, global = true, value_name = "R")]
    pub region: Option<Region>,
    /// SDKAppID of the app.
    #[arg(long, global = true, value_name = "N")]
    pub sdkappid: Option<u64>,
    /// App admin identifier the calls are made as (the sandbox takes it repeatedly: its admins).
    #[arg(long, global = true, value_name = "ID")]
    pub admin: Vec<String>,
    /// File holding the secret key (must not be readable by group or others).
    #[arg(long, global = true, value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    /// Refuse every change: only reads are made.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Allow a plain http:// base URL to a host outside loopback (the UserSig, an admin
    /// credential, then travels in clear text).
    #[arg(long, global = true)]
    pub insecure_http: bool,
    /// Config file (default: the platform's config dir, or BLOCKDECK_CONFIG).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Journal (default: the XDG state dir, e.g. ~/.local/state/blockdeck/journal.db); a name
    /// ending in .db, .sqlite or .sqlite3 is SQLite, any other a JSON Lines file, and a
    /// postgres:// URL a team's PostgreSQL database (the password from PGPASSWORD or ~/.pgpass).
    #[arg(long, global = true, value_name = "PATH|URL")]
    pub journal: Option<PathBuf>,
    /// Calls per second per API (account_check gets half); for the sandbox, 0 turns its limit off.
    #[arg(long, global = true, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// Per-request timeout in seconds (more than the backend's own 3 s).
    #[arg(long, global = true, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Dashboard: receive Tencent's blocklist webhooks on this address for the live feed.
    #[arg(long, global = true, value_name = "ADDR")]
    pub listen_callbacks: Option<SocketAddr>,
    /// File holding the webhook token (owner-only); without it, BLOCKDECK_CALLBACK_TOKEN. Each
    /// webhook's Sign is checked with it (and, for the sandbox, made with it).
    #[arg(long, global = true, value_name = "PATH")]
    pub callback_token_file: Option<PathBuf>,
}

impl GlobalArgs {
    /// The webhook token from its file or the environment, never from a flag's value (which
    /// `ps` shows); an empty one is refused.
    pub fn callback_token(&self) -> Result<Option<String>, Exit> {
        secret::load_callback_token(self.callback_token_file.as_deref())
            .map_err(|e| Exit::usage(e.to_string()))
    }

    /// The one admin a client acts as.
    fn admin(&self) -> Result<Option<String>, Exit> {
        match self.admin.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            _ => Err(Exit::usage(
                "--admin was given more than once: a client acts as one admin identifier",
            )),
        }
    }

    pub fn overrides(&self) -> Overrides {
        Overrides {
            profile: self.profile.clone(),
            base_url: self.base_url.clone(),
            region: self.region,
            sdkappid: self.sdkappid,
            admin: self.admin.last().cloned(),
            key_file: self.key_file.clone(),
            read_only: self.read_only,
            insecure_http: self.insecure_http,
            config: self.config.clone(),
            journal: self.journal.clone(),
            rate_limit: self.rate_limit,
            timeout_secs: self.timeout,
        }
    }

    pub fn settings(&self) -> Result<Settings, Exit> {
        self.admin()?;
        Settings::resolve(&self.overrides()).map_err(|e| Exit::usage(e.to_string()))
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Open the dashboard on the embedded demo sandbox.
    Demo {
        /// Address of the demo sandbox (default: a free loopback port).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Seed data for the demo sandbox instead of the embedded assets/demo.json.
        #[arg(long, value_name = "FILE")]
        seed: Option<PathBuf>,
    },
    /// Print a user's whole blocklist, all pages, with when each entry was added.
    List(bulk::ListArgs),
    /// Put accounts on a user's blocklist (FROM TO..., or --file).
    Block(bulk::ChangeArgs),
    /// Take accounts off a user's blocklist (FROM TO..., or --file).
    Unblock(bulk::ChangeArgs),
    /// Tell whether FROM blocks each TO, and (unless --single) whether each TO blocks FROM.
    Check(bulk::CheckArgs),
    /// Show the relation between two users: blocks both ways, friendship, existence, nicknames,
    /// and what each can do to the other.
    Inspect(inspect::InspectArgs),
    /// Find who, among candidates (a file of IDs or X's friends), has X on their blocklist.
    Blockers(inspect::BlockersArgs),
    /// List the batches in the journal.
    Journal(bulk::JournalArgs),
    /// Receive the service's blocklist and friendship webhooks and store every change, for the
    /// team's feed and history (runs in the foreground; logs on stderr).
    Relay(history::RelayArgs),
    /// List the recorded changes that touched an account, both directions.
    History(history::HistoryArgs),
    /// Finish an interrupted batch: re-check its unfinished items and apply only what is still needed.
    Resume(bulk::ResumeArgs),
    /// Show or set up the config file (profiles).
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print shell completions.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of blockdeck and all its commands: blockdeck man > blockdeck.1
    Man {
        /// Write one page per command into this directory instead (blockdeck.1,
        /// blockdeck-block.1, ...).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Run a local server that speaks the Tencent Chat REST protocol (blocklist and related calls).
    ///
    /// The secret key comes from BLOCKDECK_SECRET_KEY or --key-file, never from a flag value.
    Sandbox(SandboxArgs),
    /// Print a UserSig for the admin identifier, for debugging with curl.
    Usersig {
        /// Validity of the UserSig in seconds (an hour by default; at most 7 days: it is an
        /// admin credential).
        #[arg(long, value_name = "SECS", default_value_t = 3_600,
              value_parser = clap::value_parser!(u64).range(60..=MAX_USERSIG_SECS))]
        expire: u64,
    },
}

#[derive(Subcommand)]
pub enum ConfigAction {
    /// Print where the config file is.
    Path,
    /// Print the settings that the selected profile and flags resolve to (never the key).
    Show,
    /// Write a profile from the global flags (--profile NAME --region R --sdkappid N --admin ID
    /// --key-file PATH); the file is created readable only by you and holds no secret.
    Init {
        /// Make this profile the default one.
        #[arg(long)]
        default: bool,
    },
}

#[derive(Args)]
pub struct SandboxArgs {
    /// Address to listen on; port 0 picks a free port. The address chosen is printed on stdout.
    #[arg(long, value_name = "ADDR", default_value = sandbox::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Seed data (default: the embedded assets/demo.json).
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Delay added to every call, fixed (50) or drawn from a range (20-80), in milliseconds.
    #[arg(long, value_name = "N[-M]", default_value = "0")]
    latency_ms: Latency,
    /// Faults to inject, e.g. 30006:0.05,30008:0.02,502:0.01,timeout:0.01.
    #[arg(long, value_name = "SPEC", default_value = "")]
    faults: FaultSpec,
    /// Seed of the random draws of faults and latency, for reproducible runs.
    #[arg(long, value_name = "N")]
    fault_seed: Option<u64>,
    /// How long a `timeout` fault holds the request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 20_000)]
    hang_ms: u64,
    /// Answer an undocumented case another way: already=30001|31307,
    /// delete-missing=30001|ok, sequence-field=CurruentSequence|CurrentSequence,
    /// empty-list=empty|null|absent (repeatable, or comma-separated).
    #[arg(long = "variant", value_name = "KEY=VALUE")]
    variants: Vec<String>,
    /// Bad UserSigs from one identifier within a minute that lock it out for a minute (70050); 0 = never.
    #[arg(long, value_name = "N", default_value_t = 20)]
    lockout_after: u32,
    /// Keep state in this file across restarts (written atomically after changes).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Post Tencent's after-change webhooks (Sns.CallbackBlackListAdd/Delete) to this URL.
    #[arg(long, value_name = "URL")]
    callback_url: Option<String>,
    /// Most connections held open (default: 4096, or what `ulimit -n` leaves room for). At the
    /// cap, a new connection takes the place of the one idle longest.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: Option<u32>,
    /// Seconds a connection may take to send a request's head (or sit idle between requests),
    /// and a request its body.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    read_timeout: u64,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = e.downcast_ref::<Exit>().map_or(exit::USAGE, |x| x.code);
            eprintln!("blockdeck: {e:#}");
            ExitCode::from(code)
        }
    }
}

/// The longest UserSig `blockdeck usersig` makes: a week.
const MAX_USERSIG_SECS: u64 = 7 * 24 * 3600;

fn run(cli: Cli) -> Result<u8> {
    let global = cli.global;
    // The headless commands' errors and warnings (a journal that cannot be written, say) go to
    // stderr; the dashboard and the sandbox set up their own logs.
    if !matches!(
        cli.command,
        None | Some(Command::Demo { .. } | Command::Sandbox(_) | Command::Relay(_))
    ) {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .without_time()
            .with_target(false)
            .try_init();
    }
    match cli.command {
        None => dashboard::for_profile(&global),
        Some(Command::Demo { listen, seed }) => dashboard::demo(&global, listen, seed),
        Some(Command::List(args)) => bulk::list(&global, args),
        Some(Command::Block(args)) => bulk::change(&global, crate::client::Operation::Block, args),
        Some(Command::Unblock(args)) => {
            bulk::change(&global, crate::client::Operation::Unblock, args)
        }
        Some(Command::Check(args)) => bulk::check(&global, args),
        Some(Command::Journal(args)) => bulk::journal(&global, args),
        Some(Command::Relay(args)) => history::relay(&global, args),
        Some(Command::History(args)) => history::history(&global, args),
        Some(Command::Inspect(args)) => inspect::inspect(&global, args),
        Some(Command::Blockers(args)) => inspect::blockers(&global, args),
        Some(Command::Resume(args)) => bulk::resume(&global, args),
        Some(Command::Config { action }) => config_command(&global, action),
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "blockdeck", &mut std::io::stdout());
            Ok(exit::OK)
        }
        Some(Command::Man { dir }) => man_command(dir),
        Some(Command::Usersig { expire }) => {
            let (sdkappid, admin, key) = match global.settings() {
                Ok(settings) => {
                    let key = settings
                        .load_secret()
                        .map_err(|e| Exit::usage(e.to_string()))?;
                    (settings.sdkappid, settings.admin, key)
                }
                // A UserSig needs no endpoint: without a usable profile, sign from the flags,
                // defaulting to the sandbox's SDKAppID and admin.
                Err(e) if global.profile.is_none() => {
                    let key = secret::load(global.key_file.as_deref())
                        .map_err(|e| Exit::usage(e.to_string()))?;
                    let admin = global
                        .admin()?
                        .unwrap_or_else(|| sandbox::DEFAULT_ADMIN.to_owned());
                    let sdkappid = global.sdkappid.unwrap_or_else(|| {
                        eprintln!(
                            "blockdeck: {e}; signing for the sandbox's SDKAppID {}",
                            sandbox::DEFAULT_SDKAPPID
                        );
                        sandbox::DEFAULT_SDKAPPID
                    });
                    (sdkappid, admin, key)
                }
                Err(e) => return Err(e.into()),
            };
            println!("{}", usersig::sign_now(&key, sdkappid, &admin, expire));
            Ok(exit::OK)
        }
        Some(Command::Sandbox(args)) => run_sandbox(&global, args),
    }
}

fn man_command(dir: Option<PathBuf>) -> Result<u8> {
    match dir {
        None => {
            let page = man::page(Cli::command()).context("rendering the manual page")?;
            let mut out = std::io::stdout().lock();
            out.write_all(&page)
                .and_then(|()| out.flush())
                .context("writing the manual page to stdout")?;
        }
        Some(dir) => {
            let written = man::write_dir(Cli::command(), &dir).map_err(|e| {
                Exit::usage(format!(
                    "cannot write the manual pages into {}: {e}; name a directory you can write",
                    dir.display()
                ))
            })?;
            for path in written {
                println!("{}", path.display());
            }
        }
    }
    Ok(exit::OK)
}

fn config_command(global: &GlobalArgs, action: ConfigAction) -> Result<u8> {
    let overrides = global.overrides();
    let path = overrides
        .config
        .clone()
        .unwrap_or_else(config::default_path);
    match action {
        ConfigAction::Path => {
            println!("{}", path.display());
        }
        ConfigAction::Show => {
            let settings = global.settings()?;
            println!("{}", settings.describe());
        }
        ConfigAction::Init { default } => {
            let name = global.profile.clone().ok_or_else(|| {
                Exit::usage("name the profile to write: blockdeck config init --profile NAME ...")
            })?;
            let profile = config::Profile {
                region: global.region,
                base_url: global.base_url.clone(),
                sdkappid: global.sdkappid,
                admin: global.admin()?,
                rate_limit: global.rate_limit,
                read_only: global.read_only,
                key_file: global.key_file.clone(),
                timeout_secs: global.timeout,
                ..config::Profile::default()
            };
            config::init_profile(&path, &name, profile, default)
                .map_err(|e| Exit::usage(e.to_string()))?;
            println!(
                "wrote profile {name} to {} (readable only by you)",
                path.display()
            );
        }
    }
    Ok(exit::OK)
}

fn run_sandbox(global: &GlobalArgs, args: SandboxArgs) -> Result<u8> {
    // A server's own errors (a failed state save, say) go to stderr; stdout carries the address only.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .init();
    let key = secret::load(global.key_file.as_deref()).map_err(|e| Exit::usage(e.to_string()))?;
    let seed = match &args.seed {
        Some(path) => {
            let text = sandbox::read_data_file(path)
                .with_context(|| format!("cannot read seed file {}", path.display()))?;
            Seed::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => Seed::demo(),
    };
    let admins = if global.admin.is_empty() {
        vec![sandbox::DEFAULT_ADMIN.to_owned()]
    } else {
        global.admin.clone()
    };
    let mut variants = sandbox::variants::Variants::documented();
    for spec in args
        .variants
        .iter()
        .flat_map(|v| v.split(','))
        .filter(|s| !s.trim().is_empty())
    {
        variants.set(spec).map_err(Exit::usage)?;
    }
    let config = SandboxConfig {
        sdkappid: global.sdkappid.unwrap_or(sandbox::DEFAULT_SDKAPPID),
        admins,
        key,
        seed,
        latency: args.latency_ms,
        rate_limit: global.rate_limit.unwrap_or(200),
        faults: args.faults,
        fault_seed: args.fault_seed,
        hang: Duration::from_millis(args.hang_ms),
        variants,
        lockout_after: args.lockout_after,
        connections: crate::serve::Limits {
            max_connections: args
                .max_connections
                .map_or_else(crate::serve::connection_budget, |n| n as usize),
            header_timeout: Duration::from_secs(args.read_timeout),
            body_timeout: Duration::from_secs(args.read_timeout),
        },
        state_file: args.state,
        callback: match args.callback_url {
            Some(url) => Some(sandbox::CallbackTarget {
                url,
                token: global.callback_token()?,
            }),
            None => None,
        },
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let sandbox = Sandbox::start(config, args.listen).await?;
        println!("listening on {}", sandbox.base_url());
        std::io::stdout().flush().ok();
        shutdown_signal().await;
        sandbox.stop().await?;
        Ok(exit::OK)
    })
}

/// Resolves on Ctrl-C, SIGTERM or SIGHUP.
/// Waits for Ctrl-C, SIGTERM or SIGHUP; true for a hang-up (the terminal or the SSH session
/// went away).
pub(crate) async fn shutdown_signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut hup = signal(SignalKind::hangup()).expect("SIGHUP handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => false,
            _ = term.recv() => false,
            _ = hup.recv() => true,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        false
    }
}
