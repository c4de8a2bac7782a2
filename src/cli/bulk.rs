//! The headless commands that talk to the service: list, block, unblock, check, journal, resume.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::output::{self, ProgressView};
use super::{Exit, GlobalArgs, exit};
use crate::client::engine::{
    BatchEnd, Engine, EngineOptions, Event, Limits, Page, Report, RunOptions,
};
use crate::client::http::{CallError, ClientOptions, Endpoint, TimClient};
use crate::client::journal::{self, BatchId, Journal};
use crate::client::ops::{self, Batch, ListEvent};
use crate::client::{Operation, Pair};
use crate::config::Settings;
use crate::display::{self, sanitize};
use crate::export::{self, Format};
use crate::moderation::Why;
use crate::tim::ids::{self, UserId};
use crate::tim::wire::{self, BlackListChangeRequest};

/// Pairs changed without asking, on a terminal; more asks for confirmation unless `--yes`.
const CONFIRM_ABOVE: usize = 10;

#[derive(Args)]
pub struct ListArgs {
    /// The user whose blocklist to print.
    user: String,
    #[command(flatten)]
    format: ItemFormat,
    /// Entries per black_list_get call (at most 1000).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    page_size: u64,
}

#[derive(Args)]
pub struct Targets {
    /// FROM then TO... (with --file: FROM, and the file lists TO IDs; without FROM the file lists FROM,TO pairs).
    #[arg(value_name = "ID")]
    ids: Vec<String>,
    /// File of IDs (one per line) or FROM,TO pairs; `-` reads standard input. `#` starts a comment.
    #[arg(long, short = 'f', value_name = "PATH")]
    file: Option<PathBuf>,
}

/// How results are printed on stdout (a summary goes to stderr either way): the columns of
/// [`crate::export`], the same as the dashboard's exports of the same data.
#[derive(Args, Clone, Copy)]
pub struct ItemFormat {
    /// JSON Lines on stdout, one object per row (a pair, an entry, a candidate).
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// CSV on stdout with a header row, one row per pair, entry or candidate.
    #[arg(long)]
    csv: bool,
}

impl ItemFormat {
    pub(super) fn format(self) -> Option<Format> {
        if self.json {
            Some(Format::JsonLines)
        } else if self.csv {
            Some(Format::Csv)
        } else {
            None
        }
    }
}

/// A batch's rows on stdout in the chosen format, written as the items settle and flushed after
/// each answered call (so that a run that is killed leaves every row the journal has, without a
/// write per row), then the pairs it did not finish.
struct Rows {
    out: Option<export::Writer<std::io::BufWriter<std::io::Stdout>>>,
    batch: Option<String>,
}

impl Rows {
    fn new(format: ItemFormat, batch: Option<&str>) -> Rows {
        let out = format.format().and_then(|f| {
            export::Writer::new(std::io::BufWriter::new(std::io::stdout()), f, export::ITEMS).ok()
        });
        Rows {
            out,
            batch: batch.map(str::to_owned),
        }
    }

    /// Whether rows are written (JSON Lines or CSV was asked for).
    fn active(&self) -> bool {
        self.out.is_some()
    }

    fn item(&mut self, item: &crate::client::engine::ItemResult) {
        if let Some(out) = &mut self.out {
            let _ = out.row(export::item_row(item, self.batch.as_deref()));
        }
    }

    /// Puts out what has settled: called after each answered call (the engine reports its
    /// progress then).
    fn flush(&mut self) {
        if let Some(out) = &mut self.out {
            let _ = out.flush();
        }
    }

    /// The pairs that never settled (a cancelled or stopped batch).
    fn finish(&mut self, report: &Report) {
        if self.out.is_some() {
            for item in report.unfinished() {
                self.item(&item);
            }
        }
        self.flush();
    }
}

/// Why a change is made, recorded with it in the journal.
#[derive(Args)]
pub struct WhyArgs {
    /// Why this change is made, in words (at most 500 characters, one line); recorded in the
    /// journal. Required where the profile says `require_reason = true` (or give --ticket).
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// The ticket or case this change belongs to (at most 100 characters).
    #[arg(long, value_name = "ID")]
    ticket: Option<String>,
}

impl WhyArgs {
    /// The reason and ticket, checked; refused where the profile requires one and none is given.
    fn why(&self, settings: &Settings) -> Result<Why, Exit> {
        let why = Why::new(self.reason.as_deref(), self.ticket.as_deref()).map_err(Exit::usage)?;
        if settings.require_reason && !why.is_given() {
            return Err(Exit::usage(crate::moderation::reason_required(
                settings.profile_name.as_deref(),
            )));
        }
        Ok(why)
    }
}

#[derive(Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    targets: Targets,
    #[command(flatten)]
    why: WhyArgs,
    /// Let pairs touching this protected account through (repeatable); without it, pairs that
    /// touch a protected account are held out of the batch and listed.
    #[arg(long, value_name = "ID")]
    include_protected: Vec<String>,
    /// Print the calls that would be sent, and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for confirmation (asked on a terminal when more than 10 pairs change).
    #[arg(long, short = 'y')]
    yes: bool,
    #[command(flatten)]
    format: ItemFormat,
}

#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    targets: Targets,
    /// Only whether FROM blocks each TO (BlackCheckResult_Type_Single).
    #[arg(long)]
    single: bool,
    #[command(flatten)]
    format: ItemFormat,
}

#[derive(clap::Subcommand)]
pub enum JournalCommand {
    /// One batch's pairs and what became of each (`--json`/`--csv` for the rows).
    Show {
        /// Batch ID or a unique prefix.
        batch: String,
        #[command(flatten)]
        format: ItemFormat,
    },
    /// A JSON Lines journal (an earlier version's, or an export) into this one, once.
    Import {
        /// The JSON Lines file.
        file: PathBuf,
    },
    /// The whole journal, as JSON Lines records (`--jsonl`, the journal's own format, readable
    /// by `--journal`) or as CSV rows of every pair of every batch.
    Export {
        /// The journal's records, one JSON object per line.
        #[arg(long, conflicts_with = "csv")]
        jsonl: bool,
        /// One CSV row per pair of every batch.
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    command: Option<JournalCommand>,
    /// Only batches that did not finish (cancelled, interrupted, stopped, or with pending pairs).
    #[arg(long)]
    incomplete: bool,
    /// Only batches begun or resumed by this moderator (name or OS account, any case).
    #[arg(long, value_name = "MODERATOR")]
    by: Option<String>,
    /// Only batches that touch this account, as From or To.
    #[arg(long, value_name = "ID")]
    user: Option<String>,
    /// Only batches whose reason or ticket mentions this text (any case).
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// Only batches begun within this long: 90s, 30m, 24h, 7d.
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    since: Option<u64>,
    /// JSON Lines: one object per batch.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ResumeArgs {
    /// Batch ID or a unique prefix (default: the most recent incomplete batch).
    batch: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Resume against the endpoint the settings name even though the batch was made against
    /// another (a backup domain of the same app, say).
    #[arg(long)]
    endpoint: bool,
    #[command(flatten)]
    why: WhyArgs,
    #[command(flatten)]
    format: ItemFormat,
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The engine for the resolved settings, with the secret key they name.
pub(super) fn connect(settings: &Settings) -> Result<Engine, Exit> {
    let key = settings
        .load_secret()
        .map_err(|e| Exit::usage(e.to_string()))?;
    if let Some(warning) = crate::secret::format_warning(&key) {
        eprintln!("warning: {warning}");
    }
    engine_for(settings, key)
}

/// The engine for the resolved settings and a key.
pub(super) fn engine_for(
    settings: &Settings,
    key: crate::secret::SecretKey,
) -> Result<Engine, Exit> {
    let client = TimClient::new(
        Endpoint {
            base_url: settings.base_url.clone(),
            sdkappid: settings.sdkappid,
            admin: settings.admin.clone(),
        },
        key,
        ClientOptions {
            timeout: settings.timeout,
            ..ClientOptions::default()
        },
    )
    .map_err(Exit::usage)?;
    let (per_api, shared) = settings.client_limits();
    let limits = Limits::new(per_api, shared);
    Ok(Engine::new(
        Arc::new(client),
        Arc::new(limits),
        EngineOptions::default(),
    ))
}

/// Parses an argument as a UserID, naming it in the error.
pub(super) fn arg_id(text: &str, what: &str) -> Result<UserId, Exit> {
    UserId::parse(text).map_err(|e| {
        Exit::usage(format!(
            "{what} {:?}: {e}; nothing was sent",
            sanitize(text)
        ))
    })
}

pub(super) fn read_input(path: &PathBuf) -> Result<String, Exit> {
    let mut bytes = Vec::new();
    let name = if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Exit::usage(format!("cannot read standard input: {e}")))?;
        "standard input".to_owned()
    } else {
        bytes = std::fs::read(path)
            .map_err(|e| Exit::usage(format!("cannot read {}: {e}", path.display())))?;
        path.display().to_string()
    };
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid
            - bytes[..valid]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        Exit::usage(format!(
            "{name}: line {line} is not UTF-8 text (at byte {column} of the line); UserIDs are \
             printable ASCII — save the file as UTF-8. Nothing was sent"
        ))
    })
}

/// The pairs named on the command line and in the file, validated; any bad line stops everything.
///
/// Every ID is shared through one [`ids::Interner`]: a million pairs over a thousand accounts
/// hold a thousand strings, and repeated pairs are dropped by comparing addresses.
fn gather(targets: &Targets) -> Result<Vec<Pair>, Exit> {
    let mut interner = ids::Interner::new();
    let mut pairs = Vec::new();
    let from = targets
        .ids
        .first()
        .map(|f| arg_id(f, "FROM").map(|id| interner.intern(&id)))
        .transpose()?;
    for (i, to) in targets.ids.iter().enumerate().skip(1) {
        let to = interner.intern(&arg_id(to, &format!("TO #{i}"))?);
        pairs.push(Pair::new(from.clone().expect("FROM exists"), to));
    }
    if let Some(path) = &targets.file {
        let text = read_input(path)?;
        let name = if path.as_os_str() == "-" {
            "standard input".to_owned()
        } else {
            path.display().to_string()
        };
        match &from {
            Some(from) => pairs.extend(
                accepted(&name, "UserIDs", ids::parse_ids_with(&text, &mut interner))?
                    .into_iter()
                    .map(|to| Pair::new(from.clone(), to)),
            ),
            None => pairs.extend(
                accepted(
                    &name,
                    "FROM,TO pairs of UserIDs",
                    ids::parse_pairs_with(&text, &mut interner),
                )?
                .into_iter()
                .map(|(from, to)| Pair::new(from, to)),
            ),
        }
    } else if targets.ids.len() < 2 {
        return Err(Exit::usage(
            "name FROM and at least one TO, or pass --file PATH (IDs with FROM, FROM,TO pairs without)",
        ));
    }
    if let Some(p) = pairs.iter().find(|p| p.from == p.to) {
        return Err(Exit::usage(format!(
            "{} is paired with itself; a user cannot block themselves. Nothing was sent",
            sanitize(p.from.as_str())
        )));
    }
    // A file's repeats are dropped as it is parsed; pairs named on the command line may repeat
    // each other or the file's.
    if targets.ids.len() > 1 {
        let mut seen: foldhash::HashSet<(usize, usize)> = Default::default();
        pairs.retain(|p| seen.insert((p.from.key(), p.to.key())));
    }
    if pairs.is_empty() {
        return Err(Exit::usage("no pairs to act on: the input lists no IDs"));
    }
    Ok(pairs)
}

/// The values of a parsed list, or an error naming every bad line; duplicates are noted.
pub(super) fn accepted<T>(name: &str, what: &str, parsed: ids::Parsed<T>) -> Result<Vec<T>, Exit> {
    let accepted = parsed.accept(name, what).map_err(Exit::usage)?;
    if accepted.duplicates > 0 {
        eprintln!(
            "note: {name} lists {} duplicate line(s); each is used once",
            accepted.duplicates
        );
    }
    Ok(accepted.values)
}

/// Asks y/n on the terminal; anything but y/yes declines.
fn confirm(question: &str) -> bool {
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Whether a change of `pairs` may go ahead: asked on a terminal when it changes more than
/// [`CONFIRM_ABOVE`] pairs, unless `--yes`; a "no" says that nothing was sent.
fn approved(pairs: &[Pair], yes: bool, question: impl FnOnce() -> String) -> bool {
    if pairs.len() <= CONFIRM_ABOVE || yes || !interactive() {
        return true;
    }
    let ok = confirm(&question());
    if !ok {
        eprintln!("nothing was sent");
    }
    ok
}

fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// A sample of the targets for confirmations.
fn sample(pairs: &[Pair]) -> String {
    let mut text: Vec<String> = pairs.iter().take(5).map(Pair::to_string).collect();
    if pairs.len() > 5 {
        text.push(format!("and {} more", pairs.len() - 5));
    }
    text.join(", ")
}

/// Cancels the batch on Ctrl-C, SIGTERM or SIGHUP; a second Ctrl-C exits at once, after recording
/// the batch as interrupted in the journal (`blockdeck resume` finishes it).
fn cancel_on_signals(
    cancel: CancellationToken,
    say: impl Fn(&str) + Send + 'static,
    journaled: Option<(journal::Location, BatchId)>,
    hangup: Arc<std::sync::atomic::AtomicBool>,
) {
    tokio::spawn(async move {
        let hung_up = super::shutdown_signal().await;
        say("cancelling: waiting for the requests in flight (Ctrl-C again to quit now)");
        if hung_up {
            hangup.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        cancel.cancel();
        let _ = tokio::signal::ctrl_c().await;
        if let Some((path, batch)) = journaled
            && let Ok(mut journal) = Journal::open(&path)
        {
            let _ = journal.end(&batch, journal::EndOutcome::Interrupted);
        }
        std::process::exit(i32::from(exit::CANCELLED));
    });
}

/// Runs a batch with progress on stderr and signals wired to cancellation: journaled when `batch`
/// is given, else (a check) only run.
async fn run_batch(
    engine: &Engine,
    op: Operation,
    pairs: Vec<Pair>,
    precheck: bool,
    batch: Option<&mut Batch>,
    rows: &mut Rows,
) -> Report {
    let cancel = CancellationToken::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let view = ProgressView::new(pairs.len(), op.verb());
    let journaled = batch
        .as_ref()
        .map(|b| (b.journal_location().clone(), b.id().clone()));
    let hangup = Arc::new(std::sync::atomic::AtomicBool::new(false));
    cancel_on_signals(
        cancel.clone(),
        view.printer(),
        journaled.clone(),
        hangup.clone(),
    );
    let show = |event: Event| match event {
        Event::Progress(p) => {
            view.update(&p);
            rows.flush();
        }
        Event::Item(item) => rows.item(&item),
    };
    let report = match batch {
        Some(batch) => {
            let run = batch.run(engine, op, pairs, precheck, Some(tx), cancel);
            ops::drain(run, &mut rx, show).await
        }
        None => {
            let options = RunOptions {
                events: Some(tx),
                cancel,
                ..RunOptions::default()
            };
            ops::drain(engine.run(op, pairs, options), &mut rx, show).await
        }
    };
    view.finish();
    rows.finish(&report);
    // A hang-up is not a moderator's decision to stop: the batch is recorded as interrupted
    // (the last end record of a run is the one that counts).
    if hangup.load(std::sync::atomic::Ordering::Relaxed)
        && report.end == BatchEnd::Cancelled
        && let Some((path, batch)) = journaled
        && let Ok(mut journal) = Journal::open(&path)
    {
        let _ = journal.end(&batch, journal::EndOutcome::Interrupted);
    }
    report
}

/// The exit code for a call that failed: 3 for authentication and lock-out errors, 1 otherwise.
pub(super) fn call_exit(e: &CallError) -> u8 {
    if e.class().stops_batch() {
        exit::AUTH
    } else {
        exit::SOME_FAILED
    }
}

/// The exit code a report calls for.
fn report_code(report: &Report) -> u8 {
    match &report.end {
        BatchEnd::Stopped { code, .. } => {
            if crate::tim::codes::lookup(*code).class.stops_batch() {
                exit::AUTH
            } else {
                exit::SOME_FAILED
            }
        }
        BatchEnd::Cancelled => exit::CANCELLED,
        BatchEnd::Completed if report.failed().next().is_some() => exit::SOME_FAILED,
        BatchEnd::Completed => exit::OK,
    }
}

fn refuse_read_only(settings: &Settings, what: &str) -> Result<(), Exit> {
    if settings.read_only {
        return Err(Exit::usage(crate::config::read_only_refusal(
            &settings.read_only_source(),
            what,
        )));
    }
    Ok(())
}

/// The journal error of a batch that could not be recorded: nothing was sent.
fn journal_exit(settings: &Settings, e: std::io::Error) -> Exit {
    if crate::moderation::Refused::is(&e) {
        // The team's rules refused the batch (a reason required, a protected account).
        return Exit::usage(e.to_string());
    }
    Exit::usage(format!(
        "{e}; nothing was sent (pass --journal PATH|URL to use another journal than {})",
        settings.journal
    ))
}

pub fn change(global: &GlobalArgs, op: Operation, args: ChangeArgs) -> Result<u8> {
    let settings = global.settings()?;
    refuse_read_only(&settings, op.verb())?;
    let why = args.why.why(&settings)?;
    let include_protected = args
        .include_protected
        .iter()
        .map(|id| arg_id(id, "--include-protected"))
        .collect::<Result<Vec<_>, _>>()?;
    let pairs = gather(&args.targets)?;
    let (pairs, held) = settings.protected.hold_out(pairs, &include_protected);
    if !held.is_empty() {
        report_protected(&held, &settings);
    }
    if pairs.is_empty() {
        eprintln!(
            "nothing to {}: every pair touches a protected account",
            op.verb()
        );
        return Ok(exit::CANCELLED);
    }
    if args.dry_run {
        print_dry_run(op, &pairs);
        return Ok(exit::OK);
    }
    let froms = pairs
        .iter()
        .map(|p| &p.from)
        .collect::<std::collections::HashSet<_>>()
        .len();
    let question = || {
        format!(
            "{} {} pair(s) for {froms} user(s) via {}? {}",
            capitalise(op.verb()),
            pairs.len(),
            sanitize(&settings.base_url),
            sample(&pairs)
        )
    };
    if !approved(&pairs, args.yes, question) {
        return Ok(exit::CANCELLED);
    }
    let engine = connect(&settings)?;
    let approval = crate::moderation::Approval {
        why,
        include_protected,
    };
    let mut batch = settings
        .journal_plan()
        .begin(op, &pairs, &approval)
        .map_err(|e| journal_exit(&settings, e))?;
    let id = batch.id().clone();
    eprintln!("batch {id}: {} {} pair(s)", op.verb(), pairs.len());
    let rt = runtime()?;
    let mut rows = Rows::new(args.format, Some(id.as_str()));
    let report = rt.block_on(run_batch(
        &engine,
        op,
        pairs,
        false,
        Some(&mut batch),
        &mut rows,
    ));
    finish(&report, Some(id.as_str()))
}

/// Names the pairs held out because they touch protected accounts (at most 20, then a count),
/// and how to let one through.
fn report_protected(held: &[Pair], settings: &Settings) {
    let accounts: std::collections::BTreeSet<&str> = held
        .iter()
        .flat_map(|p| [p.from.as_str(), p.to.as_str()])
        .filter(|id| settings.protected.contains(id))
        .collect();
    eprintln!(
        "held out {} pair(s) that touch protected accounts ({}):",
        held.len(),
        accounts
            .iter()
            .map(|id| sanitize(id).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for pair in held.iter().take(20) {
        eprintln!(
            "  {} → {}",
            sanitize(pair.from.as_str()),
            sanitize(pair.to.as_str())
        );
    }
    if held.len() > 20 {
        eprintln!("  … and {} more", held.len() - 20);
    }
    eprintln!("  to include one, name it: --include-protected ID");
}

fn finish(report: &Report, batch: Option<&str>) -> Result<u8> {
    output::print_summary(report, batch);
    Ok(report_code(report))
}

fn capitalise(verb: &str) -> String {
    let mut chars = verb.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Prints the calls a change would send: one per From_Account and chunk of 1000.
fn print_dry_run(op: Operation, pairs: &[Pair]) {
    let mut groups: indexmap::IndexMap<&UserId, Vec<&UserId>> = indexmap::IndexMap::new();
    for p in pairs {
        groups.entry(&p.from).or_default().push(&p.to);
    }
    let mut calls = 0;
    let mut out = std::io::stdout().lock();
    for (from, tos) in groups {
        for chunk in tos.chunks(wire::MAX_BATCH) {
            let body = BlackListChangeRequest {
                from_account: from.as_str().to_owned(),
                to_account: chunk.iter().map(|t| t.as_str().to_owned()).collect(),
            };
            let body = serde_json::to_string(&body).expect("serialisable");
            let _ = writeln!(out, "POST /v4/{} {body}", op.api().path());
            calls += 1;
        }
    }
    eprintln!(
        "dry run: {calls} call(s) for {} pair(s) would be sent; nothing was sent",
        pairs.len()
    );
}

pub fn check(global: &GlobalArgs, args: CheckArgs) -> Result<u8> {
    let settings = global.settings()?;
    let pairs = gather(&args.targets)?;
    let engine = connect(&settings)?;
    let rt = runtime()?;
    let op = Operation::Check {
        single: args.single,
    };
    let mut rows = Rows::new(args.format, None);
    let report = rt.block_on(run_batch(&engine, op, pairs, false, None, &mut rows));
    if !rows.active() {
        let mut out = std::io::stdout().lock();
        for item in &report.items {
            let _ = writeln!(out, "{}", output::relation_words(&item));
        }
    }
    if report.failed().next().is_some() || report.end != BatchEnd::Completed {
        output::print_summary(&report, None);
    }
    Ok(report_code(&report))
}

pub fn list(global: &GlobalArgs, args: ListArgs) -> Result<u8> {
    let settings = global.settings()?;
    let user = arg_id(&args.user, "USER")?;
    let engine = connect(&settings)?;
    let rt = runtime()?;
    let format = args.format.format();
    let mut out = ListPrinter::new(&user, format)?;
    let result = rt.block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let listing = ops::list(
            &engine,
            &user,
            args.page_size,
            true,
            tx,
            CancellationToken::new(),
        );
        ops::drain(listing, &mut rx, |event| out.take(event)).await
    });
    let printed = out.finish();
    match result {
        Ok(outcome) => {
            if format.is_none() {
                eprintln!(
                    "{}: {printed} entr{} (sequence {})",
                    sanitize(user.as_str()),
                    if printed == 1 { "y" } else { "ies" },
                    outcome.sequence
                );
            }
            if outcome.changed_while_listing {
                eprintln!(
                    "note: the list changed while it was being read; run again for a consistent view"
                );
            }
            Ok(exit::OK)
        }
        Err(e) => Err(Exit {
            code: call_exit(&e),
            message: format!("listing {} failed: {e}", sanitize(user.as_str())),
        }
        .into()),
    }
}

/// Nicknames by account, raw.
type Nicks = Vec<(String, String)>;

/// Prints a list's pages in order, each once its nicknames are known.
struct ListPrinter<'a> {
    user: &'a UserId,
    writer: Option<export::Writer<std::io::StdoutLock<'static>>>,
    now: u64,
    /// Pages that arrived, by index, with their nicknames once read.
    waiting: std::collections::BTreeMap<usize, (Page, Option<Nicks>)>,
    next: usize,
    printed: usize,
    nick_errors: Vec<String>,
}

impl<'a> ListPrinter<'a> {
    fn new(user: &'a UserId, format: Option<Format>) -> Result<ListPrinter<'a>, Exit> {
        let writer = format
            .map(|f| export::Writer::new(std::io::stdout().lock(), f, export::LIST))
            .transpose()
            .map_err(|e| Exit::usage(format!("cannot write to standard output: {e}")))?;
        Ok(ListPrinter {
            user,
            writer,
            now: crate::clock::unix_now(),
            waiting: Default::default(),
            next: 0,
            printed: 0,
            nick_errors: Vec::new(),
        })
    }

    fn take(&mut self, event: ListEvent) {
        match event {
            ListEvent::Page { index, page, .. } => {
                self.waiting.insert(index, (page, None));
            }
            ListEvent::Nicknames {
                index,
                nicks,
                error,
            } => {
                if let Some(e) = error {
                    self.nick_errors.push(e.to_string());
                }
                if let Some(entry) = self.waiting.get_mut(&index) {
                    entry.1 = Some(nicks);
                }
            }
        }
        while let Some((_, Some(_))) = self.waiting.get(&self.next) {
            let (page, nicks) = self.waiting.remove(&self.next).expect("present");
            self.print(page, nicks.unwrap_or_default());
            self.next += 1;
        }
    }

    fn print(&mut self, page: Page, nicks: Vec<(String, String)>) {
        let nicks: std::collections::HashMap<String, String> = nicks.into_iter().collect();
        for item in page.items {
            self.printed += 1;
            let nick = nicks.get(&item.to_account).map(String::as_str);
            let t = item.add_black_time_stamp;
            match &mut self.writer {
                Some(writer) => {
                    let row = export::list_row(self.user.as_str(), &item.to_account, nick, t);
                    let _ = writer.row(row);
                }
                None => {
                    let _ = writeln!(
                        std::io::stdout().lock(),
                        "{:<34} {:>10}  {}  {}",
                        sanitize(&item.to_account),
                        display::ago(t, self.now),
                        display::utc(t),
                        sanitize(nick.unwrap_or(""))
                    );
                }
            }
        }
    }

    /// Prints what is left (pages whose nicknames never came) and says what was missing.
    fn finish(mut self) -> usize {
        let left = std::mem::take(&mut self.waiting);
        for (_, (page, nicks)) in left {
            self.print(page, nicks.unwrap_or_default());
        }
        if let Some(writer) = &mut self.writer {
            let _ = writer.flush();
        }
        if let Some(first) = self.nick_errors.first() {
            eprintln!(
                "note: the nicknames of {} page(s) could not be read ({}); their nickname column is empty",
                self.nick_errors.len(),
                sanitize(first)
            );
        }
        self.printed
    }
}

pub fn journal(global: &GlobalArgs, args: JournalArgs) -> Result<u8> {
    // Reading the journal needs no endpoint: only where it is.
    let at =
        Settings::resolve_journal(&global.overrides()).map_err(|e| Exit::usage(e.to_string()))?;
    if let Some(JournalCommand::Import { file }) = &args.command {
        return import_journal(&at, file);
    }
    if !journal::exists(&at) {
        eprintln!("no journal at {at} yet: no batch has run");
        return Ok(exit::OK);
    }
    let usage = |e: journal::JournalError| Exit::usage(e.to_string());
    match args.command {
        Some(JournalCommand::Show { batch, format }) => {
            let batch = journal::read_batch(&at, Some(&batch)).map_err(usage)?;
            return show_batch(&batch, format);
        }
        Some(JournalCommand::Export { jsonl, csv }) => {
            return export_journal(&at, jsonl, csv);
        }
        Some(JournalCommand::Import { .. }) | None => {}
    }
    let listing = journal::list(&at, args.user.as_deref()).map_err(usage)?;
    for (line, reason) in &listing.warnings {
        eprintln!("warning: {at}:{line}: {}", sanitize(reason));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let since = args
        .since
        .map(|age| crate::tim::usersig::unix_now().saturating_sub(age));
    for batch in listing.batches.iter().filter(|b| {
        (!args.incomplete || b.is_incomplete())
            && args.by.as_deref().is_none_or(|name| b.is_by(name))
            && args.reason.as_deref().is_none_or(|text| b.mentions(text))
            && since.is_none_or(|t| b.time >= t)
    }) {
        if args.json {
            let counts = batch.counts;
            let line = serde_json::json!({
                "batch": batch.id.as_str(),
                "time": batch.time,
                "operation": batch.operation,
                "moderator": batch.moderator(),
                "reason": batch.why.reason,
                "ticket": batch.why.ticket,
                "os_user": batch.os_user,
                "ssh_client": batch.ssh_client,
                "profile": batch.profile,
                "sdkappid": batch.sdkappid,
                "total": counts.total,
                "done": counts.done,
                "already": counts.already,
                "failed": counts.failed,
                "pending": counts.pending,
                "state": batch.state_label(),
                "incomplete": batch.is_incomplete(),
            });
            let _ = writeln!(out, "{line}");
        } else {
            let _ = writeln!(out, "{}", batch.summary_line());
        }
    }
    out.flush()?;
    Ok(exit::OK)
}

/// `journal import FILE`: a JSON Lines journal into this one, once.
fn import_journal(at: &journal::Location, file: &std::path::Path) -> Result<u8> {
    if !at.is_database() {
        return Err(Exit::usage(format!(
            "journal import: the journal {at} is a JSON Lines file; import into an SQLite \
             (.db) or a postgres:// journal with --journal"
        ))
        .into());
    }
    if !file.is_file() {
        return Err(Exit::usage(format!(
            "journal import: {} is not a file; name a JSON Lines journal",
            file.display()
        ))
        .into());
    }
    match journal::import_lines(at, file) {
        Ok(Some(n)) => eprintln!("imported {n} record(s) of {} into {at}", file.display()),
        Ok(None) => eprintln!(
            "{} was imported into {at} before; nothing was done",
            file.display()
        ),
        Err(e) => return Err(Exit::usage(format!("journal import: {e}")).into()),
    }
    Ok(exit::OK)
}

/// Every pair of `batch` in intent order, with its latest status (unfinished when none).
fn batch_items(batch: &journal::BatchState) -> Vec<crate::client::engine::ItemResult> {
    batch
        .intent
        .targets
        .iter()
        .map(|pair| match batch.items.get(pair) {
            Some(item) => crate::client::engine::ItemResult {
                pair: pair.clone(),
                status: item.status.clone(),
                code: item.code,
                info: item.info.clone(),
                attempts: item.attempts,
            },
            None => crate::client::engine::ItemResult {
                pair: pair.clone(),
                status: crate::client::ItemStatus::Unfinished,
                code: 0,
                info: String::new(),
                attempts: 0,
            },
        })
        .collect()
}

/// `journal show BATCH`: its summary, then one line (or row) per pair.
fn show_batch(batch: &journal::BatchState, format: ItemFormat) -> Result<u8> {
    let items = batch_items(batch);
    let id = batch.id().as_str();
    if let Some(format) = format.format() {
        let mut out = export::Writer::new(std::io::stdout().lock(), format, export::ITEMS)?;
        for item in &items {
            out.row(export::item_row(item, Some(id)))?;
        }
        out.flush()?;
        return Ok(exit::OK);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", batch.summary_line())?;
    for r in &batch.resumes {
        let by = r.moderator.as_deref().unwrap_or(&r.os_user);
        let why = if r.why.is_given() {
            format!("  {}", r.why.describe())
        } else {
            String::new()
        };
        writeln!(
            out,
            "  resumed {} by {}{}",
            display::utc(r.time),
            sanitize(by),
            sanitize(&why)
        )?;
    }
    for item in &items {
        let code = if item.code != 0 {
            format!(" {}", item.code)
        } else {
            String::new()
        };
        let info = if item.info.is_empty() {
            String::new()
        } else {
            format!(" ({})", sanitize(&item.info))
        };
        writeln!(
            out,
            "  {} → {}  {}{code}{info}",
            sanitize(item.pair.from.as_str()),
            sanitize(item.pair.to.as_str()),
            export::status_word(&item.status),
        )?;
    }
    Ok(exit::OK)
}

/// `journal export`: the journal's records as they are (`--jsonl`), or a CSV row per pair.
fn export_journal(at: &journal::Location, jsonl: bool, csv: bool) -> Result<u8> {
    if jsonl == csv {
        return Err(Exit::usage("journal export: say --jsonl or --csv").into());
    }
    if jsonl {
        // The records as written, whole lines only (a torn last line is left out).
        let bytes = journal::records_as_lines(at).with_context(|| format!("reading {at}"))?;
        let text = String::from_utf8_lossy(&bytes);
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
            if serde_json::from_str::<serde_json::Value>(line).is_ok() {
                out.write_all(line.as_bytes())?;
            }
        }
        out.flush()?;
        return Ok(exit::OK);
    }
    let read = journal::read_batches(at).map_err(|e| Exit::usage(e.to_string()))?;
    let mut out = export::Writer::new(
        std::io::BufWriter::new(std::io::stdout().lock()),
        Format::Csv,
        export::ITEMS,
    )?;
    for batch in &read.batches {
        for item in batch_items(batch) {
            out.row(export::item_row(&item, Some(batch.id().as_str())))?;
        }
    }
    out.flush()?;
    Ok(exit::OK)
}

/// An age such as `90s`, `30m`, `24h` or `7d`, in seconds.
pub(super) fn parse_age(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not an age: write a number and a unit, e.g. 24h"))?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(format!(
                "{text:?}: the unit must be s, m, h, d or w (e.g. 30m, 24h, 7d)"
            ));
        }
    };
    n.checked_mul(unit_secs)
        .ok_or_else(|| format!("{text:?} is too long an age"))
}

pub fn resume(global: &GlobalArgs, args: ResumeArgs) -> Result<u8> {
    let settings = global.settings()?;
    let why = args.why.why(&settings)?;
    let batch = journal::read_batch(&settings.journal, args.batch.as_deref())
        .map_err(|e| Exit::usage(e.to_string()))?;
    let batch = &batch;
    let op = batch.intent.operation;
    if op.mutates() {
        refuse_read_only(&settings, op.verb())?;
    }
    if batch.intent.sdkappid != settings.sdkappid {
        return Err(Exit::usage(format!(
            "batch {} was made for SDKAppID {}, but the settings point at {}; select its profile with --profile",
            batch.id(),
            batch.intent.sdkappid,
            settings.sdkappid
        ))
        .into());
    }
    if !args.endpoint && !journal::same_endpoint(&batch.intent.base_url, &settings.base_url) {
        return Err(Exit::usage(format!(
            "batch {} was made against {}, but the settings point at {}: its re-check would read \
             another service's state as this batch's. Select the batch's profile, or pass \
             --endpoint to resume against {} on purpose",
            batch.id(),
            sanitize(&batch.intent.base_url),
            sanitize(&settings.base_url),
            sanitize(&settings.base_url)
        ))
        .into());
    }
    let pairs = batch.unfinished();
    let id = batch.id().clone();
    if pairs.is_empty() {
        eprintln!("batch {id} has nothing left to do");
        return Ok(exit::OK);
    }
    let question = || {
        format!(
            "Resume batch {id}: re-check {} unfinished pair(s) and {} what is still needed? {}",
            pairs.len(),
            op.verb(),
            sample(&pairs)
        )
    };
    if !approved(&pairs, args.yes, question) {
        return Ok(exit::CANCELLED);
    }
    let engine = connect(&settings)?;
    let mut batch = settings
        .journal_plan()
        .resume(&id, &why)
        .map_err(|e| journal_exit(&settings, e))?;
    eprintln!("batch {id}: resuming {} unfinished pair(s)", pairs.len());
    let rt = runtime()?;
    let mut rows = Rows::new(args.format, Some(id.as_str()));
    let report = rt.block_on(run_batch(
        &engine,
        op,
        pairs,
        true,
        Some(&mut batch),
        &mut rows,
    ));
    finish(&report, Some(id.as_str()))
}
