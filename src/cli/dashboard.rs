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
use crate::client::journal::Location;
use crate::config::Settings;
use crate::runtime::{self, Ending};
use crate::sandbox::{self, Latency, Sandbox, SandboxConfig, Seed};
use crate::secret::SecretKey;
use crate::term::TerminalGuard;
use crate::tim::usersig::unix_now;
use crate::ui::draw::Painter;
use crate::worker::Worker;

/// What the dashboard connects to.
pub struct Target {
    pub label: String,
    pub settings: Settings,
    pub key: SecretKey,
    /// Where to receive webhooks for the feed, and the token to check them with.
    pub callbacks: Option<(SocketAddr, Option<String>)>,
    /// Lines for the activity pane at the start.
    pub notes: Vec<String>,
    /// Where the lookup history is kept between runs.
    pub lookups: PathBuf,
    /// Accounts the lookup line suggests before the first lookup, with what each shows.
    pub suggestions: Vec<(String, String)>,
}

/// Refuses a webhook listener that anyone on the network could feed with made-up changes.
fn check_callbacks(addr: Option<SocketAddr>, token: &Option<String>) -> Result<(), Exit> {
    match addr {
        Some(a) if !a.ip().is_loopback() && token.is_none() => Err(Exit::usage(format!(
            "--listen-callbacks {a} is reachable from the network: set the webhook token \
             (--callback-token-file or BLOCKDECK_CALLBACK_TOKEN) so forged webhooks are refused"
        ))),
        _ => Ok(()),
    }
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
    let callback_token = global.callback_token()?;
    check_callbacks(global.listen_callbacks, &callback_token)?;
    let runtime = super::bulk::runtime()?;
    runtime.block_on(open(Target {
        label,
        settings,
        key,
        callbacks: global.listen_callbacks.map(|a| (a, callback_token.clone())),
        notes: Vec::new(),
        lookups: crate::lookups::default_path(),
        suggestions: Vec::new(),
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
    let suggestions: Vec<(String, String)> = seed
        .suggest
        .iter()
        .map(|s| (s.id.clone(), s.shows.clone()))
        .collect();
    // With BLOCKDECK_SECRET_KEY (or --key-file) set, other tools can talk to the demo's sandbox too
    // (pin its address with --listen); otherwise a random key.
    let key = match (
        &global.key_file,
        std::env::var_os(crate::secret::SECRET_ENV),
    ) {
        (None, None) => SecretKey::random(),
        _ => crate::secret::load(global.key_file.as_deref())
            .map_err(|e| Exit::usage(e.to_string()))?,
    };
    let mut config = SandboxConfig::new(key.clone());
    config.seed = seed;
    // A little latency, so the demo behaves like a real service over a network.
    config.latency = "15-60".parse::<Latency>().map_err(Exit::usage)?;
    let listen = listen.unwrap_or_else(|| "127.0.0.1:0".parse().expect("valid address"));
    // Never the profile's journal: the practice batches stay apart from the real ones, unless
    // `--journal` names another store on purpose.
    let journal = match &global.journal {
        Some(path) => {
            crate::config::journal_from_flag(path).map_err(|e| Exit::usage(e.to_string()))?
        }
        None => {
            Location::File(crate::config::default_journal_path().with_file_name("demo-journal.db"))
        }
    };
    let callback_token = global.callback_token()?;
    check_callbacks(global.listen_callbacks, &callback_token)?;
    // The demo connects to its own sandbox, but the terminal's settings (the mouse, OSC 52) are
    // the moderator's, from the config file.
    let config_path = global
        .config
        .clone()
        .unwrap_or_else(crate::config::default_path);
    let interface =
        crate::config::ConfigFile::load(&config_path).map_err(|e| Exit::usage(e.to_string()))?;
    let runtime = super::bulk::runtime()?;
    runtime.block_on(async move {
        // The demo feeds its own webhooks, signed with a random token: to a relay in-process on
        // the demo's store, which the feed, the history and the sparklines read, as a team's
        // dashboards read the store of its `blockdeck relay`. A journal that is no database
        // (JSON Lines) cannot hold changes: a plain listener feeds the pane then.
        let token = callback_token
            .clone()
            .unwrap_or_else(|| SecretKey::random().expose()[..32].to_owned());
        let callbacks = global
            .listen_callbacks
            .unwrap_or_else(|| "127.0.0.1:0".parse().expect("valid address"));
        let (feed_tx, feed_rx) = crate::feed::channel();
        let mut feed = Feed {
            tx: feed_tx.clone(),
            rx: feed_rx,
            shed: None,
        };
        let receiver = if journal.is_database() {
            let checks = crate::feed::Checks {
                token: Some(token.clone()),
                sdkappid: Some(sandbox::DEFAULT_SDKAPPID),
            };
            let relay = crate::relay::Relay::start(callbacks, &journal, checks)
                .await
                .with_context(|| format!("cannot record the demo's webhooks in {journal}"))?;
            Receiver::Relay(relay)
        } else {
            let listener = crate::feed::Listener::start(
                callbacks,
                Some(token.clone()),
                Some(sandbox::DEFAULT_SDKAPPID),
                feed_tx,
            )
            .await?;
            feed.shed = Some(listener.shed());
            Receiver::Listener(listener)
        };
        let mut config = config;
        config.callback = Some(sandbox::CallbackTarget {
            url: receiver.url(),
            token: Some(token),
        });
        let sandbox = Sandbox::start(config, listen).await?;
        let settings = Settings {
            profile_name: Some("demo".to_owned()),
            base_url: sandbox.base_url(),
            region: None,
            sdkappid: sandbox.sdkappid(),
            admin: sandbox::DEFAULT_ADMIN.to_owned(),
            rate_limit: 200,
            shared_rate_limit: None,
            limit_share: 100,
            read_only: global.read_only,
            key_file: None,
            timeout: std::time::Duration::from_secs(10),
            journal,
            config_path: PathBuf::new(),
            moderator: crate::moderation::moderator(None).map_err(Exit::usage)?,
            require_reason: false,
            protected: Default::default(),
            mouse: interface.mouse(),
            osc52: interface.osc52(),
            // The config file's keys and colours, checked when it was read.
            look: interface.look().unwrap_or_default(),
        };
        let code = open_with_feed(
            Target {
                label: "demo sandbox".to_owned(),
                notes: vec![format!(
                    "practice journal: {} (apart from the real one)",
                    settings.journal
                )],
                settings,
                key,
                callbacks: None,
                // The demo's lookups are practice: kept apart from the moderator's history.
                lookups: crate::lookups::demo_path(),
                suggestions,
            },
            feed,
        )
        .await;
        sandbox.stop().await?;
        match receiver {
            Receiver::Relay(relay) => {
                let _ = relay.stop().await;
            }
            Receiver::Listener(listener) => {
                let _ = listener.stop().await;
            }
        }
        code
    })
}

/// What takes the demo sandbox's webhooks.
enum Receiver {
    Relay(crate::relay::Relay),
    Listener(crate::feed::Listener),
}

impl Receiver {
    fn url(&self) -> String {
        match self {
            Receiver::Relay(relay) => relay.url(),
            Receiver::Listener(listener) => listener.url(),
        }
    }
}

/// Logs go to a file next to the journal, never to the screen.
fn log_to_file(settings: &Settings) {
    let path = match &settings.journal {
        Location::File(journal) => journal.with_file_name("blockdeck.log"),
        Location::Postgres(_) => {
            crate::config::default_journal_path().with_file_name("blockdeck.log")
        }
    };
    if let Some(dir) = path.parent() {
        let _ = crate::private::create_dirs(dir);
    }
    // Owner-only, like the journal beside it: the log names accounts and batches.
    if let Ok(file) = crate::private::options()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = crate::private::tighten(&file);
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .try_init();
    }
}

async fn open(target: Target) -> Result<u8> {
    let (tx, rx) = crate::feed::channel();
    let listener = match target.callbacks.clone() {
        Some((addr, token)) => Some(
            crate::feed::Listener::start(addr, token, Some(target.settings.sdkappid), tx.clone())
                .await
                .with_context(|| format!("cannot receive webhooks on {addr}"))?,
        ),
        None => None,
    };
    let shed = listener.as_ref().map(|l| l.shed());
    let code = open_with_feed(target, Feed { tx, rx, shed }).await;
    if let Some(listener) = listener {
        let _ = listener.stop().await;
    }
    code
}

/// Where the feed pane's changes come from: a webhook listener of this machine holding a sender
/// (with the count of what its full queue shed), and the change store, followed when the journal
/// is a database.
struct Feed {
    tx: mpsc::Sender<crate::feed::FeedMsg>,
    rx: mpsc::Receiver<crate::feed::FeedMsg>,
    shed: Option<Arc<std::sync::atomic::AtomicU64>>,
}

/// Changes passed on to the dashboard per second at most; beyond, a flood is counted, not queued,
/// so that the dashboard's own queue stays short and a keystroke is answered at once.
const FEED_PER_SEC: usize = 5_000;

/// Turns webhook messages into dashboard messages, flagging bursts on the way. Bursts are judged
/// on every change; at most [`FEED_PER_SEC`] changes a second reach the dashboard, and what a
/// flood sheds (here or at the listener's full queue) is said once a second.
fn relay_feed(
    mut feed: mpsc::Receiver<crate::feed::FeedMsg>,
    tx: mpsc::UnboundedSender<crate::app::Msg>,
    listener_shed: Option<Arc<std::sync::atomic::AtomicU64>>,
) {
    use crate::app::Msg;
    use crate::feed::{BurstDetector, FeedMsg};
    tokio::spawn(async move {
        let mut detector = BurstDetector::default();
        let mut second = std::time::Instant::now();
        let (mut passed, mut shed, mut reported) = (0usize, 0u64, 0u64);
        loop {
            // Until the dashboard closes, not only until the next change after it closed.
            let msg = tokio::select! {
                msg = feed.recv() => msg,
                _ = tx.closed() => None,
            };
            let Some(msg) = msg else { break };
            let mut out = Vec::new();
            let now = std::time::Instant::now();
            if now.duration_since(second) >= std::time::Duration::from_secs(1) {
                second = now;
                passed = 0;
                let total = shed
                    + listener_shed
                        .as_ref()
                        .map_or(0, |s| s.load(std::sync::atomic::Ordering::Relaxed));
                if total > reported {
                    // Not a refused webhook: changes of accepted ones that a flood left unshown.
                    out.push(Msg::Warning(format!(
                        "{} webhook change(s) shed in a flood ({total} in all): the feed \
                             shows at most {FEED_PER_SEC} a second",
                        total - reported
                    )));
                    reported = total;
                }
            }
            match msg {
                FeedMsg::Listening(addr) => {
                    out.push(Msg::FeedSource(Some(format!("webhooks on {addr}"))));
                }
                FeedMsg::Rejected { reason, .. } => out.push(Msg::FeedRejected { reason }),
                // What was stored before the dashboard opened: shown, not judged for bursts
                // (they are over), and not counted against the second's share.
                FeedMsg::Backlog(events) => out.extend(events.into_iter().map(Msg::FeedChange)),
                FeedMsg::Following { store, empty } => {
                    out.push(Msg::FeedSource(Some(format!("relay store {store}"))));
                    if empty {
                        out.push(Msg::Note(format!(
                            "no changes recorded in {store} yet: each one a relay records \
                             there (blockdeck relay --listen ADDR) shows in the feed"
                        )));
                    }
                }
                FeedMsg::StoreLost(text) => out.push(Msg::Warning(text)),
                FeedMsg::Event(event) => {
                    let bursts = detector.observe(&event, now);
                    // The alert first, so the event that tipped it is shown as part of the burst.
                    out.extend(bursts.into_iter().map(Msg::Burst));
                    if passed < FEED_PER_SEC {
                        passed += 1;
                        out.push(Msg::FeedChange(event));
                    } else {
                        shed += 1;
                    }
                }
            }
            for m in out {
                if tx.send(m).is_err() {
                    return;
                }
            }
        }
    });
}

/// Teammates' batches in the feed, as the team's PostgreSQL journal announces them, heard on a
/// thread of their own until the dashboard closes.
fn listen_to_team(
    url: crate::client::journal::PgUrl,
    tx: mpsc::UnboundedSender<crate::app::Msg>,
    webhooks: bool,
) {
    use crate::app::Msg;
    use crate::app::model::TeamMove;
    use crate::client::journal::{self, Heard};
    let spawned = std::thread::Builder::new()
        .name("team-journal".to_owned())
        .spawn(move || {
            let mut first = true;
            journal::listen(
                &url,
                || !tx.is_closed(),
                |heard| {
                    let msgs = match heard {
                        Heard::Listening => {
                            let again = if first { "" } else { " again" };
                            first = false;
                            let mut msgs = vec![Msg::Note(format!(
                                "listening{again} to the team's journal {url}: teammates' batches \
                                 show in the feed"
                            ))];
                            if !webhooks {
                                msgs.push(Msg::FeedSource(Some("team journal".to_owned())));
                            }
                            msgs
                        }
                        Heard::Lost(text) => vec![Msg::Warning(text)],
                        Heard::Batch { kind, batch } => TeamMove::of_kind(&kind)
                            .map(|moved| Msg::TeamBatch {
                                moved,
                                batch: *batch,
                            })
                            .into_iter()
                            .collect(),
                    };
                    for msg in msgs {
                        let _ = tx.send(msg);
                    }
                },
            );
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot listen to the team's journal: {e}");
    }
}

async fn open_with_feed(target: Target, feed: Feed) -> Result<u8> {
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
        notes,
        lookups,
        suggestions,
        ..
    } = target;
    log_to_file(&settings);
    let key_warning = crate::secret::format_warning(&key);
    // The lookup history of earlier runs, read while the key is at hand to keep it out.
    let kept = crate::lookups::load(&lookups, |e| key.is(e));
    let engine = Arc::new(super::bulk::engine_for(&settings, key)?);
    let (tx, mut rx) = mpsc::unbounded_channel();
    if let Some(warning) = key_warning {
        let _ = tx.send(crate::app::Msg::Warning(warning));
    }
    for note in notes {
        let _ = tx.send(crate::app::Msg::Note(note));
    }
    let history = kept.unwrap_or_else(|e| {
        let _ = tx.send(crate::app::Msg::Warning(format!(
            "the lookup history in {} cannot be read ({e}): starting without it",
            lookups.display()
        )));
        Vec::new()
    });
    // The feed names its source itself when a listener or the change store feeds it.
    let following = settings.journal.is_database();
    let webhooks = feed.shed.is_some() || following;
    if following {
        super::follow::start(settings.journal.clone(), feed.tx);
    } else {
        drop(feed.tx);
    }
    relay_feed(feed.rx, tx.clone(), feed.shed);
    if let Location::Postgres(url) = &settings.journal {
        listen_to_team(url.clone(), tx.clone(), webhooks);
    }
    let mut worker = Worker::new(engine, settings.journal_plan(), tx);
    worker.keep_lookups(lookups, 0);
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
    model.osc52 = settings.osc52;
    model.keymap = settings.look.keymap;
    model.theme = settings.look.theme;
    model.rules = crate::moderation::Rules {
        require_reason: settings.require_reason,
        protected: settings.protected.clone(),
        profile: settings.profile_name.clone(),
    };
    model.history = history;
    model.suggestions = suggestions;
    let ending = {
        let _guard = TerminalGuard::enter(settings.mouse).context("preparing the terminal")?;
        let backend = CrosstermBackend::new(BufWriter::new(std::io::stdout()));
        let mut terminal = Terminal::new(backend).context("preparing the terminal")?;
        let mut painter = Painter::from_env();
        painter
            .clear(&mut terminal)
            .context("clearing the terminal")?;
        runtime::run(
            &mut terminal,
            &mut painter,
            &mut model,
            &mut worker,
            &mut rx,
        )
        .await
    };
    match ending.context("the dashboard stopped")? {
        Ending::Quit => Ok(exit::OK),
        Ending::Signal => Ok(exit::CANCELLED),
    }
}
