//! The on-call commands: `inspect A B` (the relation between two users and what each can do) and
//! `blockers X` (who, among candidates, has X on their blocklist).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Exit, GlobalArgs, exit};
use crate::client::engine::Engine;
use crate::client::http::CallError;
use crate::client::ops::{self, BlockersEvent, BlockersReport};
use crate::display::sanitize;
use crate::export::{self, Format};
use crate::inspect::{self, Consequences, Relationship, Verdict};
use crate::tim::codes;
use crate::tim::ids::{self, UserId};

#[derive(Args)]
pub struct InspectArgs {
    /// The first user (A).
    #[arg(value_name = "A")]
    a: String,
    /// The second user (B).
    #[arg(value_name = "B")]
    b: String,
    /// One JSON object with every field, the four verdicts and the notes.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct BlockersArgs {
    /// The user to look up (X).
    #[arg(value_name = "X")]
    target: String,
    /// File of candidate UserIDs, one per line; `-` reads standard input. `#` starts a comment.
    #[arg(long, value_name = "PATH")]
    candidates: Option<PathBuf>,
    /// Check X's friends (blocking removes a friendship both ways, so current friends block X
    /// only when the data is inconsistent).
    #[arg(long)]
    friends: bool,
    /// Sweep the candidates only, without first asking the change history (see `blockdeck relay`)
    /// who blocked X.
    #[arg(long, conflicts_with = "store")]
    no_history: bool,
    /// The change store to answer from first: an SQLite file or a postgres:// URL (the journal's
    /// store by default). With neither --candidates nor --friends, the answer comes from it alone,
    /// each recorded blocker confirmed with black_list_check.
    #[arg(long, value_name = "PATH|URL")]
    store: Option<PathBuf>,
    /// With --json or --csv: one row per blocker, then one per failed candidate.
    #[command(flatten)]
    format: ItemFormat,
}

use super::bulk::{ItemFormat, arg_id, call_exit, connect};

/// The exit for a failed call: 3 for authentication and lock-out errors, 1 otherwise.
fn call_failed(what: String, e: &CallError) -> Exit {
    Exit {
        code: call_exit(e),
        message: format!("{what} failed: {}", sanitize(&e.to_string())),
    }
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

// ---------------------------------------------------------------- inspect

pub fn inspect(global: &GlobalArgs, args: InspectArgs) -> Result<u8> {
    let settings = global.settings()?;
    let a = arg_id(&args.a, "A")?;
    let b = arg_id(&args.b, "B")?;
    if a == b {
        return Err(Exit::usage(format!(
            "A and B are both {}: name two different users; nothing was sent",
            sanitize(a.as_str())
        ))
        .into());
    }
    let engine = connect(&settings)?;
    let rt = super::bulk::runtime()?;
    let rel = rt.block_on(ops::inspect(&engine, &a, &b)).map_err(|e| {
        call_failed(
            format!(
                "inspecting {} and {}",
                sanitize(a.as_str()),
                sanitize(b.as_str())
            ),
            &e,
        )
    })?;
    let verdicts = inspect::consequences(&rel);
    let mut out = std::io::stdout().lock();
    if args.json {
        let _ = writeln!(out, "{}", inspection_json(&rel, &verdicts));
    } else {
        let _ = write!(out, "{}", inspection_text(&rel, &verdicts));
    }
    Ok(exit::OK)
}

/// One object: every field of the relationship (raw values), its names in the protocol, the four
/// verdicts and the notes.
fn inspection_json(rel: &Relationship, c: &Consequences) -> serde_json::Value {
    let mut value = serde_json::to_value(rel).expect("serialisable");
    let obj = value.as_object_mut().expect("an object");
    obj.insert(
        "black_relation".into(),
        rel.black_relation().as_str().into(),
    );
    obj.insert(
        "friend_relation".into(),
        rel.friend_relation().as_str().into(),
    );
    obj.insert(
        "verdicts".into(),
        json!({
            "a_messages_b": c.a_messages_b,
            "b_messages_a": c.b_messages_a,
            "a_requests_b": c.a_requests_b,
            "b_requests_a": c.b_requests_a,
        }),
    );
    obj.insert("notes".into(), json!(c.notes));
    value
}

/// The inspection in words, every untrusted string sanitized.
fn inspection_text(rel: &Relationship, c: &Consequences) -> String {
    let (a, b) = (sanitize(rel.a.as_str()), sanitize(rel.b.as_str()));
    let mut text = String::new();
    let mut line = |s: String| {
        text.push_str(&s);
        text.push('\n');
    };
    for (label, id, exists, nick, barred) in [
        ("A", &a, rel.a_exists, &rel.a_nick, rel.a_forbid_send),
        ("B", &b, rel.b_exists, &rel.b_nick, rel.b_forbid_send),
    ] {
        let mut desc = format!("{label}: {id}");
        if !exists {
            desc.push_str(" — does not exist in this app");
        } else {
            match nick {
                Some(nick) => desc.push_str(&format!(" (nickname \"{}\")", sanitize(nick))),
                None => desc.push_str(" (no nickname)"),
            }
            if barred {
                desc.push_str(", barred by the admin from sending friend requests");
            }
        }
        line(desc);
    }
    if rel.a_exists && rel.b_exists {
        line("Blocklists:".into());
        line(format!("  {a} blocks {b}: {}", yes_no(rel.a_blocks_b)));
        line(format!("  {b} blocks {a}: {}", yes_no(rel.b_blocks_a)));
        line("Friend lists:".into());
        line(format!(
            "  {b} is on {a}'s friend list: {}",
            yes_no(rel.a_has_b)
        ));
        line(format!(
            "  {a} is on {b}'s friend list: {}",
            yes_no(rel.b_has_a)
        ));
    }
    line("What each can do:".into());
    let verdict = |what: String, v: &Verdict| {
        format!(
            "  {what}: {} — {}",
            if v.allowed { "yes" } else { "no" },
            sanitize(&v.why)
        )
    };
    line(verdict(format!("{a} messages {b}"), &c.a_messages_b));
    line(verdict(format!("{b} messages {a}"), &c.b_messages_a));
    line(verdict(
        format!("{a} sends {b} a friend request"),
        &c.a_requests_b,
    ));
    line(verdict(
        format!("{b} sends {a} a friend request"),
        &c.b_requests_a,
    ));
    if !c.notes.is_empty() {
        line("Notes:".into());
        for note in &c.notes {
            line(format!("  - {}", sanitize(note)));
        }
    }
    text
}

// ---------------------------------------------------------------- blockers

/// A progress bar on stderr, drawn only when stderr is a terminal.
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new(total: usize) -> Bar {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("checking [{bar:30}] {pos}/{len} {msg} (eta {eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(250));
        Bar(Some(bar))
    }

    fn update(&self, checked: usize, found: usize, calls_per_sec: f64) {
        if let Some(bar) = &self.0 {
            bar.set_position(checked as u64);
            bar.set_message(format!("{found} found, {calls_per_sec:.0} calls/s"));
        }
    }

    /// Runs `f` (which prints) with the bar out of the way.
    fn suspend(&self, f: impl FnOnce()) {
        match &self.0 {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    fn say(&self, text: &str) {
        match &self.0 {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// The candidates of a file (or standard input); any bad line refuses the whole list.
fn candidates_from(path: &PathBuf, target: &UserId) -> Result<Vec<UserId>, Exit> {
    let text = super::bulk::read_input(path)?;
    let name = if path.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    };
    let candidates = super::bulk::accepted(&name, "UserIDs", ids::parse_ids(&text))?;
    if candidates.iter().any(|c| c == target) {
        eprintln!(
            "note: {name} lists {} itself; it is skipped",
            sanitize(target.as_str())
        );
    }
    if candidates.iter().all(|c| c == target) {
        return Err(Exit::usage(format!(
            "{name} lists no candidates to check; nothing was sent"
        )));
    }
    Ok(candidates)
}

/// A blocker in words.
fn blocker_words(target: &UserId, blocker: &UserId, mutual: bool) -> String {
    let (blocker, target) = (sanitize(blocker.as_str()), sanitize(target.as_str()));
    if mutual {
        format!("{blocker} and {target} block each other")
    } else {
        format!("{blocker} blocks {target}")
    }
}

/// Where the lookup's results go: words, or rows of the export's columns.
enum Out {
    Words,
    Rows(export::Writer<std::io::StdoutLock<'static>>),
}

impl Out {
    fn new(format: Option<Format>) -> Result<Out, Exit> {
        match format {
            None => Ok(Out::Words),
            Some(f) => export::Writer::new(std::io::stdout().lock(), f, export::BLOCKERS)
                .map(Out::Rows)
                .map_err(|e| Exit::usage(format!("cannot write to standard output: {e}"))),
        }
    }

    fn blocker(&mut self, target: &UserId, blocker: &UserId, mutual: bool, recorded: bool) {
        match self {
            Out::Words => {
                let mut out = std::io::stdout().lock();
                let from = if recorded { " (recorded)" } else { "" };
                let _ = writeln!(out, "{}{from}", blocker_words(target, blocker, mutual));
                let _ = out.flush();
            }
            Out::Rows(w) => {
                let _ = w.row(export::blocker_row(
                    target.as_str(),
                    blocker.as_str(),
                    mutual,
                ));
                let _ = w.flush();
            }
        }
    }

    /// The failed candidates, after the blockers (words leave them to the summary).
    fn failed(&mut self, report: &BlockersReport) {
        if let Out::Rows(w) = self {
            for (candidate, code, info) in &report.failed {
                let row = export::failed_candidate_row(
                    report.target.as_str(),
                    candidate.as_str(),
                    *code,
                    info,
                );
                let _ = w.row(row);
            }
            let _ = w.flush();
        }
    }
}

pub fn blockers(global: &GlobalArgs, args: BlockersArgs) -> Result<u8> {
    let settings = global.settings()?;
    let target = arg_id(&args.target, "X")?;
    let format = args.format.format();
    let from_file = match &args.candidates {
        Some(path) => Some(candidates_from(path, &target)?),
        None => None,
    };
    let shown = sanitize(target.as_str()).into_owned();
    let sweep = from_file.is_some() || args.friends;
    // The change store to ask first, unless told to sweep only.
    let store = match args.no_history {
        true => None,
        false => Some(super::history::store_location(global, args.store.as_ref())?),
    };
    let recorded = match &store {
        None if !sweep => {
            return Err(Exit::usage(
                "--no-history leaves nothing to check: name candidates with --candidates FILE \
                 or --friends",
            )
            .into());
        }
        None => None,
        Some(at) => match ops::Recorded::read(at, &target) {
            Ok(recorded) => recorded,
            // Without candidates there is nothing else to answer from.
            Err(e) if !sweep => {
                return Err(
                    Exit::usage(format!("cannot read the change history {at}: {e}")).into(),
                );
            }
            Err(e) => {
                eprintln!(
                    "note: cannot read the change history {at} ({e}); the candidates are swept \
                     without it"
                );
                None
            }
        },
    };
    if let Some(at) = &store
        && !sweep
        && recorded.as_ref().is_none_or(|r| r.reach.is_none())
    {
        return Err(Exit::usage(format!(
            "no change history to answer from: {at} holds no recorded change (`blockdeck \
             relay --listen ADDR` records them); name candidates with --candidates FILE or \
             --friends to sweep them instead; nothing was sent"
        ))
        .into());
    }
    if let Some(r) = &recorded {
        let also = if sweep { ", then the candidates" } else { "" };
        eprintln!(
            "{shown}: {} account(s) have a block of {shown} as their last recorded change; \
             {}; checking them first{also}",
            r.suspects.len(),
            super::history::reach_words(r.reach)
        );
    }
    let engine = connect(&settings)?;
    let rt = super::bulk::runtime()?;
    let report = rt.block_on(async {
        let candidates = match (from_file, args.friends) {
            (Some(c), _) => c,
            (None, false) => Vec::new(),
            (None, true) => {
                let friends = ops::friends_of(&engine, &target)
                    .await
                    .map_err(|e| call_failed(format!("listing the friends of {shown}"), &e))?;
                eprintln!(
                    "{shown} has {} friend(s) to check (blocking removes a friendship both ways, \
                     so a current friend blocks {shown} only when the data is inconsistent)",
                    friends.len()
                );
                friends
            }
        };
        let mut out = Out::new(format)?;
        let report = run_lookup(&engine, &target, candidates, recorded, &mut out)
            .await
            .map_err(|e| call_failed(format!("looking up who blocks {shown}"), &e))?;
        out.failed(&report);
        Ok::<_, Exit>(report)
    })?;
    print_summary(&report);
    Ok(if report.cancelled {
        exit::CANCELLED
    } else if !report.failed.is_empty() {
        exit::SOME_FAILED
    } else {
        exit::OK
    })
}

/// Runs the lookup with progress on stderr, each blocker printed as it is found, and Ctrl-C,
/// SIGTERM or SIGHUP wired to cancellation.
async fn run_lookup(
    engine: &Engine,
    target: &UserId,
    candidates: Vec<UserId>,
    recorded: Option<ops::Recorded>,
    out: &mut Out,
) -> Result<BlockersReport, CallError> {
    let suspects = recorded.as_ref().map_or(0, |r| r.suspects.len());
    let bar = Bar::new(candidates.len() + suspects);
    let cancel = CancellationToken::new();
    let watcher = {
        let cancel = cancel.clone();
        let say = bar.0.clone();
        tokio::spawn(async move {
            super::shutdown_signal().await;
            let text = "cancelling: no further calls are made";
            match say {
                Some(bar) => bar.println(text),
                None => eprintln!("{text}"),
            }
            cancel.cancel();
        })
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let lookup = ops::blockers(engine, target, candidates, recorded, tx, cancel);
    let mut named = std::collections::HashSet::new();
    let show = |event: BlockersEvent| match event {
        BlockersEvent::Recorded(r) => named.extend(r.suspects),
        BlockersEvent::Progress {
            checked,
            found,
            calls_per_sec,
            ..
        } => bar.update(checked, found, calls_per_sec),
        BlockersEvent::Found { blocker, mutual } => {
            let recorded = named.contains(&blocker);
            bar.suspend(|| out.blocker(target, &blocker, mutual, recorded));
        }
    };
    let result = ops::drain(lookup, &mut rx, show).await;
    watcher.abort();
    if let Ok(report) = &result
        && report.cancelled
    {
        bar.say("cancelled");
    }
    bar.finish();
    result
}

/// The summary on stderr: counts, pace, and every failed candidate grouped by code with its meaning.
fn print_summary(report: &BlockersReport) {
    let mut err = std::io::stderr().lock();
    let target = sanitize(report.target.as_str());
    let mutual = report.blockers.iter().filter(|(_, m)| *m).count();
    let _ = writeln!(
        err,
        "{target}: checked {} of {} candidate(s): {} block {target} ({mutual} of them mutually), \
         {} failed — {} call(s) in {:.1} s, {:.0} calls/s",
        report.checked,
        report.total,
        report.blockers.len(),
        report.failed.len(),
        report.calls,
        report.elapsed.as_secs_f64(),
        report.calls_per_sec()
    );
    if let Some(h) = &report.history {
        let _ = writeln!(
            err,
            "  from the history: {} of {} recorded blocker(s) confirmed; {}",
            h.confirmed.len(),
            h.suspects,
            super::history::reach_words(h.reach)
        );
        if !h.outdated.is_empty() {
            let ids: Vec<_> = h.outdated.iter().map(|u| sanitize(u.as_str())).collect();
            let _ = writeln!(
                err,
                "  recorded as blocking {target} but no longer do (a change the history missed): {}",
                ids.join(", ")
            );
        }
    }
    let mut by_code: std::collections::BTreeMap<i64, Vec<(&UserId, &str)>> = Default::default();
    for (candidate, code, info) in &report.failed {
        by_code
            .entry(*code)
            .or_default()
            .push((candidate, info.as_str()));
    }
    for (code, items) in by_code {
        let _ = writeln!(
            err,
            "  error {code} ({}) for {} candidate(s):",
            codes::lookup(code).meaning,
            items.len()
        );
        for (candidate, info) in items {
            let _ = writeln!(
                err,
                "    {}: {}",
                sanitize(candidate.as_str()),
                sanitize(info)
            );
        }
    }
    if report.cancelled {
        let _ = writeln!(
            err,
            "cancelled: {} candidate(s) were not checked",
            report.total - report.checked
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> UserId {
        UserId::parse(s).unwrap()
    }

    #[test]
    fn nicknames_and_reasons_are_sanitized_in_text() {
        let rel = Relationship {
            a_nick: Some("\u{1b}[31mevil\u{202e}".into()),
            b_exists: true,
            b_blocks_a: true,
            ..Relationship::unrelated(id("alice"), id("bob"))
        };
        let text = inspection_text(&rel, &inspect::consequences(&rel));
        assert!(
            !text.chars().any(|c| c == '\u{1b}' || c == '\u{202e}'),
            "{text}"
        );
        assert!(text.contains("\\u{1b}[31mevil\\u{202e}"), "{text}");
        assert!(text.contains("bob blocks alice: yes"), "{text}");
        assert!(text.contains("alice messages bob: no"), "{text}");
    }

    #[test]
    fn json_carries_every_field_and_verdict() {
        let rel = Relationship {
            a_blocks_b: true,
            ..Relationship::unrelated(id("alice"), id("bob"))
        };
        let v = inspection_json(&rel, &inspect::consequences(&rel));
        for field in [
            "a",
            "b",
            "a_exists",
            "b_exists",
            "a_nick",
            "b_nick",
            "a_forbid_send",
            "b_forbid_send",
            "a_blocks_b",
            "b_blocks_a",
            "a_has_b",
            "b_has_a",
            "notes",
        ] {
            assert!(v.get(field).is_some(), "{field}: {v}");
        }
        assert_eq!(v["black_relation"], "BlackCheckResult_Type_AWithB");
        assert_eq!(v["verdicts"]["b_messages_a"]["allowed"], false);
        assert_eq!(v["verdicts"]["a_messages_b"]["allowed"], true);
    }

    #[test]
    fn blockers_in_words() {
        let (x, c) = (id("x"), id("c,1"));
        assert_eq!(blocker_words(&x, &c, false), "c,1 blocks x");
        assert_eq!(blocker_words(&x, &c, true), "c,1 and x block each other");
    }
}
