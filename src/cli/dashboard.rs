//! Opening the dashboard: for a profile, or on the embedded demo sandbox.

use std::io::{BufWriter, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use super::{Exit, GlobalArgs, exit};
use crate::app::Model;
use crate::app::model::Connection;
use crate::config::Settings;
use crate::runtime::{self, Ending};
use crate::sandbox::{self, Latency, Sandbox, SandboxConfig, Seed};
use crate::secret::SecretKey;
use crate::term::TerminalGuard;
use crate::tim::usersig::unix_now;
use crate::worker::{JournalSettings, Worker};

/// What the dashboard connects to.
pub struct Target {
    pub label: String,
    pub settings: Settings,
    pub key: SecretKey,
}

/// `blockdeck` with no command: the dashboard for the selected profile.
pub fn for_profile(global: &GlobalArgs) -> Result<u8> {
    let settings = global.settings()?;
    let key = settings
        .load_secret()
        .map_err(|e| Exit::usage(e.to_string()))?;
    let label = settings
        .profile_name
        .clone()
        .unwrap_or_else(|| "flags".to_owned());
    let runtime = super::bulk::runtime()?;
    runtime.block_on(open(Target {
        label,
        settings,
        key,
    }))
}

/// `blockdeck demo`: the sandbox in-process on a free loopback port with a random key, and the
/// dashboard on it.
pub fn demo(global: &GlobalArgs, listen: Option<SocketAddr>, seed: Option<PathBuf>) -> Result<u8> {
    let seed = match seed {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read seed file {}", path.display()))?;
            Seed::from_json(&text).map_err(|e| Exit::usage(format!("{}: {e}", path.display())))?
        }
        None => Seed::demo(),
    };
    let key = SecretKey::random();
    let mut config = SandboxConfig::new(key.clone());
    config.seed = seed;
    // A little latency, so the demo behaves like a real service over a network.
    config.latency = "15-60".parse::<Latency>().map_err(Exit::usage)?;
    let listen = listen.unwrap_or_else(|| "127.0.0.1:0".parse().expect("valid address"));
    let journal = global.journal.clone().unwrap_or_else(|| {
        crate::config::default_journal_path().with_file_name("demo-journal.jsonl")
    });
    let runtime = super::bulk::runtime()?;
    runtime.block_on(async move {
        let sandbox = Sandbox::start(config, listen).await?;
        let settings = Settings {
            profile_name: Some("demo".to_owned()),
            base_url: sandbox.base_url(),
            region: None,
            sdkappid: sandbox.sdkappid(),
            admin: sandbox::DEFAULT_ADMIN.to_owned(),
            rate_limit: 200,
            shared_rate_limit: None,
            read_only: global.read_only,
            key_file: None,
            timeout: std::time::Duration::from_secs(10),
            journal_path: journal,
            config_path: PathBuf::new(),
        };
        let code = open(Target {
            label: "demo sandbox".to_owned(),
            settings,
            key,
        })
        .await;
        sandbox.stop().await?;
        code
    })
}

/// Logs go to a file next to the journal, never to the screen.
fn log_to_file(settings: &Settings) {
    let path = settings.journal_path.with_file_name("blockdeck.log");
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .try_init();
    }
}

async fn open(target: Target) -> Result<u8> {
    if !std::io::stdout().is_terminal() {
        return Err(Exit::usage(
            "the dashboard needs a terminal; for scripts use the commands (blockdeck --help)",
        )
        .into());
    }
    let Target {
        label,
        settings,
        key,
    } = target;
    log_to_file(&settings);
    let engine = Arc::new(super::bulk::engine_for(&settings, key)?);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut worker = Worker::new(
        engine,
        JournalSettings {
            path: settings.journal_path.clone(),
            profile: settings.profile_name.clone(),
            sdkappid: settings.sdkappid,
            base_url: settings.base_url.clone(),
        },
        tx,
    );
    let monochrome = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut model = Model::new(
        Connection {
            label,
            base_url: settings.base_url.clone(),
            sdkappid: settings.sdkappid,
            admin: settings.admin.clone(),
        },
        settings.read_only,
        monochrome,
        unix_now(),
    );
    let ending = {
        let _guard = TerminalGuard::enter().context("preparing the terminal")?;
        let backend = CrosstermBackend::new(BufWriter::new(std::io::stdout()));
        let mut terminal = Terminal::new(backend).context("preparing the terminal")?;
        terminal.clear().context("clearing the terminal")?;
        runtime::run(&mut terminal, &mut model, &mut worker, &mut rx).await
    };
    match ending.context("the dashboard stopped")? {
        Ending::Quit => Ok(exit::OK),
        Ending::Signal => Ok(exit::CANCELLED),
    }
}
