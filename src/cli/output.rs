//! What the headless commands print on a terminal: a progress bar on stderr when it is one, and
//! summaries in words. Every untrusted string goes through `display::sanitize` on its way to a
//! terminal; JSON Lines and CSV come from [`crate::export`], with the raw values.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::client::ItemStatus;
use crate::client::engine::{BatchEnd, ItemResult, Progress, Report};
use crate::display::sanitize;
use crate::tim::codes;

/// Failed pairs listed per code in a summary; the rest are counted.
const FAILURES_SHOWN: usize = 20;

/// A progress bar on stderr, drawn only when stderr is a terminal.
pub struct ProgressView {
    bar: Option<ProgressBar>,
}

impl ProgressView {
    pub fn new(total: usize, verb: &str) -> ProgressView {
        if !std::io::stderr().is_terminal() {
            return ProgressView { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} (eta {eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(verb.to_owned());
        bar.enable_steady_tick(Duration::from_millis(250));
        ProgressView { bar: Some(bar) }
    }

    pub fn update(&self, progress: &Progress) {
        if let Some(bar) = &self.bar {
            bar.set_position(progress.finished as u64);
            let pace = progress
                .pace
                .as_ref()
                .and_then(|p| p.short())
                .map_or(String::new(), |words| format!(" ({words})"));
            bar.set_message(format!(
                "{:.0} calls/s{pace}, {} retries, {} failed",
                progress.calls_per_sec, progress.retries, progress.failed
            ));
        }
    }

    /// Prints a line above the bar (or plainly on stderr when there is no bar).
    pub fn printer(&self) -> impl Fn(&str) + Send + 'static {
        let bar = self.bar.clone();
        move |text: &str| match &bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A check's answer in words.
pub fn relation_words(item: &ItemResult) -> String {
    let (from, to) = (
        sanitize(item.pair.from.as_str()),
        sanitize(item.pair.to.as_str()),
    );
    match &item.status {
        ItemStatus::Relation {
            a_blocks_b,
            b_blocks_a,
        } => {
            let forward = if *a_blocks_b {
                format!("{from} blocks {to}")
            } else {
                format!("{from} does not block {to}")
            };
            match b_blocks_a {
                Some(true) => format!("{forward}; {to} blocks {from}"),
                Some(false) => format!("{forward}; {to} does not block {from}"),
                None => forward,
            }
        }
        ItemStatus::Failed { code, info } => format!(
            "{from} → {to}: failed, error {code}: {} ({})",
            codes::lookup(*code).meaning,
            sanitize(info)
        ),
        other => format!("{from} → {to}: {other:?}"),
    }
}

/// The end-of-batch summary in words, with every failed item and its code's meaning.
pub fn print_summary(report: &Report, batch: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let done = report
        .items
        .iter()
        .filter(|i| i.status == ItemStatus::Done)
        .count();
    let already = report
        .items
        .iter()
        .filter(|i| i.status == ItemStatus::Already)
        .count();
    let failed = report.failed().count();
    let unfinished = report.unfinished().count();
    let verb = report.operation.past_tense();
    let _ = writeln!(
        err,
        "{verb} {done}, already so {already}, failed {failed}, unfinished {unfinished} — {} pairs, {} calls, {} retries, {:.1} s",
        report.items.len(),
        report.calls,
        report.retries,
        report.elapsed.as_secs_f64()
    );
    if let Some(pace) = report.pace.filter(|p| p.cuts > 0) {
        let _ = writeln!(err, "pace {}", pace.settled());
    }
    // Per code: how many, and the first few (a million failures are not kept twice).
    let mut groups: std::collections::BTreeMap<i64, (usize, Vec<ItemResult>)> = Default::default();
    for item in report.failed() {
        let (count, shown) = groups.entry(item.code).or_default();
        *count += 1;
        if shown.len() < FAILURES_SHOWN {
            shown.push(item);
        }
    }
    for (code, (count, items)) in groups {
        let _ = writeln!(
            err,
            "  error {code} ({}) for {count} pair(s):",
            codes::lookup(code).meaning,
        );
        for item in &items {
            let _ = writeln!(
                err,
                "    {} → {}: {}",
                sanitize(item.pair.from.as_str()),
                sanitize(item.pair.to.as_str()),
                sanitize(&item.info)
            );
        }
        if count > items.len() {
            let _ = writeln!(
                err,
                "    … and {} more (--json or --csv lists every pair; `blockdeck journal` keeps them)",
                count - items.len()
            );
        }
    }
    match &report.end {
        BatchEnd::Completed => {}
        BatchEnd::Cancelled => {
            let _ = writeln!(
                err,
                "cancelled: {unfinished} pair(s) not done{}",
                batch.map_or(String::new(), |b| format!(
                    "; `blockdeck resume {b}` finishes them"
                ))
            );
        }
        BatchEnd::Stopped { reason, .. } => {
            let _ = writeln!(err, "{}", sanitize(reason));
            if let Some(b) = batch {
                let _ = writeln!(
                    err,
                    "fix the cause, then `blockdeck resume {b}` finishes the {unfinished} unfinished pair(s)"
                );
            }
        }
    }
    if failed > 0
        && let Some(b) = batch
    {
        let _ = writeln!(
            err,
            "`blockdeck resume {b}` re-checks and retries the failed pairs"
        );
    }
}
