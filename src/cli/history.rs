//! `blockdeck relay` (the team's webhook receiver) and `blockdeck history ID` (what the change
//! store recorded about an account).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{Exit, GlobalArgs, exit};
use crate::client::journal::Location;
use crate::client::journal::changes::{Change, Changes, Reach};
use crate::display::{sanitize, utc};
use crate::feed::Checks;

#[derive(Args)]
pub struct RelayArgs {
    /// Address to receive the webhooks on (port 0 picks a free port; the address chosen is
    /// printed on stdout).
    #[arg(long, value_name = "ADDR")]
    listen: SocketAddr,
    /// Where to store the changes: an SQLite file (.db) or a postgres:// URL (default: the
    /// journal).
    #[arg(long, value_name = "PATH|URL")]
    store: Option<PathBuf>,
}

#[derive(Args)]
pub struct HistoryArgs {
    /// The account (changes with it on either side).
    #[arg(value_name = "ID")]
    account: String,
    /// Only changes this recent: 90s, 30m, 24h, 7d, 2w.
    #[arg(long, value_name = "AGE", value_parser = super::bulk::parse_age)]
    since: Option<u64>,
    /// Show at most the newest N changes.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    limit: usize,
    /// One JSON object per line instead of words.
    #[arg(long)]
    json: bool,
    /// The change store to read (default: the journal).
    #[arg(long, value_name = "PATH|URL")]
    store: Option<PathBuf>,
}

/// The store named by `--store`, else the journal.
pub(super) fn store_location(
    global: &GlobalArgs,
    store: Option<&PathBuf>,
) -> Result<Location, Exit> {
    match store {
        Some(path) => {
            crate::config::journal_from_flag(path).map_err(|e| Exit::usage(e.to_string()))
        }
        None => crate::config::Settings::resolve_journal(&global.overrides())
            .map_err(|e| Exit::usage(e.to_string())),
    }
}

pub fn relay(global: &GlobalArgs, args: RelayArgs) -> Result<u8> {
    // Logs on stderr with their times, as a service manager keeps them.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_target(false)
        .try_init();
    let store = store_location(global, args.store.as_ref())?;
    let Some(token) = global.callback_token()? else {
        return Err(Exit::usage(
            "the relay checks every webhook's Sign with the callback token: put it in \
             BLOCKDECK_CALLBACK_TOKEN or in a file only you can read (--callback-token-file), \
             the token set in the console's callback settings",
        )
        .into());
    };
    // The app's SDKAppID: the flag's, else the selected profile's, else any.
    let sdkappid = global
        .sdkappid
        .or_else(|| global.settings().ok().map(|s| s.sdkappid));
    let checks = Checks {
        token: Some(token),
        sdkappid,
    };
    let runtime = super::bulk::runtime()?;
    runtime.block_on(async move {
        let relay = crate::relay::Relay::start(args.listen, &store, checks.clone())
            .await
            .map_err(|e| Exit::usage(format!("{e:#}")))?;
        println!("listening on {}", relay.addr());
        let _ = std::io::stdout().flush();
        let apps = match checks.sdkappid {
            Some(n) => format!("SDKAppID {n}"),
            None => "any SDKAppID (--sdkappid N, or a profile, takes one only)".to_owned(),
        };
        tracing::info!(
            "relay on {} for {apps}, storing into {store}: webhooks are checked with the \
             callback token and answered OK once stored",
            relay.url()
        );
        super::shutdown_signal().await;
        tracing::info!("stopping: the webhooks in hand are stored and answered first");
        let stats = relay.stop().await?;
        tracing::info!(
            "stopped: {}",
            crate::relay::report(&Default::default(), &stats)
        );
        Ok(exit::OK)
    })
}

/// `2026-12-02 21:03:11Z  alice blocked bob  (RESTAPI, 10.0.0.1)`.
pub fn change_words(change: &Change) -> String {
    let secs = u64::try_from(change.time_ms / 1000).unwrap_or(0);
    let mut text = format!(
        "{}  {} {} {}  ({}",
        utc(secs),
        sanitize(&change.from),
        change.kind.past_tense(),
        sanitize(&change.to),
        sanitize(&change.platform)
    );
    if let Some(ip) = &change.client_ip {
        text.push_str(", ");
        text.push_str(&sanitize(ip));
    }
    text.push(')');
    text
}

/// `history reaches back to 2026-11-30 08:00:00Z (12,345 changes)`, or that it is empty.
pub fn reach_words(reach: Option<Reach>) -> String {
    match reach {
        Some(r) => format!(
            "the history reaches back to {} ({} change(s) recorded)",
            r.first_utc(),
            r.changes
        ),
        None => "the history is empty: nothing was recorded yet".to_owned(),
    }
}

pub fn history(global: &GlobalArgs, args: HistoryArgs) -> Result<u8> {
    let account = super::bulk::arg_id(&args.account, "ID")?;
    let at = store_location(global, args.store.as_ref())?;
    let Some(store) = Changes::open_existing(&at).map_err(|e| Exit::usage(e.to_string()))? else {
        return Err(Exit::usage(format!(
            "{at} holds no change history: run `blockdeck relay --listen ADDR --store {at}` \
             where the service's webhooks reach it, or name another store with --store"
        ))
        .into());
    };
    let since_ms = match args.since {
        Some(age) => (crate::clock::unix_now().saturating_sub(age) * 1000) as i64,
        None => i64::MIN,
    };
    let limit = args.limit.max(1);
    let changes = store
        .history(Some(account.as_str()), since_ms, limit + 1)
        .map_err(|e| Exit::usage(e.to_string()))?;
    let cut = changes.len() > limit;
    let changes = &changes[usize::from(cut)..];
    let reach = store.reach().map_err(|e| Exit::usage(e.to_string()))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for change in changes {
        if args.json {
            let line = serde_json::json!({
                "seq": change.seq,
                "time": utc(u64::try_from(change.time_ms / 1000).unwrap_or(0)),
                "time_ms": change.time_ms,
                "kind": change.kind.word(),
                "from": change.from,
                "to": change.to,
                "platform": change.platform,
                "client_ip": change.client_ip,
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "{}", change_words(change))?;
        }
    }
    out.flush()?;
    let shown = sanitize(account.as_str());
    let within = match args.since {
        Some(age) => format!(
            " in the last {}",
            crate::display::ago(0, age).trim_end_matches(" ago")
        ),
        None => String::new(),
    };
    let more = if cut {
        format!(" (the newest {limit}; --limit N shows more)")
    } else {
        String::new()
    };
    eprintln!(
        "{shown}: {} change(s){within}{more}; {}",
        changes.len(),
        reach_words(reach)
    );
    Ok(exit::OK)
}
