//! What the headless commands print: a progress bar on stderr when it is a terminal, summaries in
//! words, JSON Lines and CSV. Every untrusted string goes through `display::sanitize` on its way to a
//! terminal; JSON and CSV carry the raw values (they are data, escaped by their own rules).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::client::engine::{BatchEnd, ItemResult, Progress, Report};
use crate::client::{ItemStatus, Operation};
use crate::display::{csv_field, sanitize};
use crate::tim::codes;
use crate::tim::wire::BlackRelation;

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
            bar.set_message(format!(
                "{:.0} calls/s, {} retries, {} failed",
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

/// The relation as the service names it, for JSON.
pub fn relation_name(a_blocks_b: bool, b_blocks_a: Option<bool>) -> &'static str {
    match BlackRelation::from_directions(a_blocks_b, b_blocks_a.unwrap_or(false)) {
        BlackRelation::AWithB => "BlackCheckResult_Type_AWithB",
        BlackRelation::BWithA => "BlackCheckResult_Type_BWithA",
        BlackRelation::BothWay => "BlackCheckResult_Type_BothWay",
        _ => "BlackCheckResult_Type_NO",
    }
}

/// One item as a JSON Lines record.
pub fn item_json(item: &ItemResult, batch: Option<&str>) -> serde_json::Value {
    let mut value = json!({
        "from": item.pair.from.as_str(),
        "to": item.pair.to.as_str(),
        "attempts": item.attempts,
    });
    let obj = value.as_object_mut().expect("object");
    match &item.status {
        ItemStatus::Done => {
            obj.insert("status".into(), "done".into());
        }
        ItemStatus::Already => {
            obj.insert("status".into(), "already".into());
        }
        ItemStatus::Relation {
            a_blocks_b,
            b_blocks_a,
        } => {
            obj.insert("status".into(), "ok".into());
            obj.insert(
                "relation".into(),
                relation_name(*a_blocks_b, *b_blocks_a).into(),
            );
            obj.insert("from_blocks_to".into(), (*a_blocks_b).into());
            if let Some(b) = b_blocks_a {
                obj.insert("to_blocks_from".into(), (*b).into());
            }
        }
        ItemStatus::Failed { code, info } => {
            obj.insert("status".into(), "failed".into());
            obj.insert("code".into(), (*code).into());
            obj.insert("info".into(), info.clone().into());
            obj.insert("meaning".into(), codes::lookup(*code).meaning.into());
        }
        ItemStatus::Unfinished => {
            obj.insert("status".into(), "unfinished".into());
        }
    }
    if let Some(batch) = batch {
        obj.insert("batch".into(), batch.into());
    }
    value
}

/// Prints every item as JSON Lines on stdout.
pub fn print_json_lines(report: &Report, batch: Option<&str>) {
    let mut out = std::io::stdout().lock();
    for item in &report.items {
        let _ = writeln!(out, "{}", item_json(item, batch));
    }
}

/// Prints every item as CSV on stdout (header first), the same fields as the JSON lines.
pub fn print_csv(report: &Report, batch: Option<&str>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "batch,from,to,status,relation,code,info,attempts");
    for item in &report.items {
        let v = item_json(item, batch);
        let field = |k: &str| match &v[k] {
            serde_json::Value::String(s) => csv_field(s),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            field("batch"),
            field("from"),
            field("to"),
            field("status"),
            field("relation"),
            field("code"),
            field("info"),
            field("attempts")
        );
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
    let verb = match report.operation {
        Operation::Block => "blocked",
        Operation::Unblock => "unblocked",
        Operation::Check { .. } => "checked",
    };
    let _ = writeln!(
        err,
        "{verb} {done}, already so {already}, failed {failed}, unfinished {unfinished} — {} pairs, {} calls, {} retries, {:.1} s",
        report.items.len(),
        report.calls,
        report.retries,
        report.elapsed.as_secs_f64()
    );
    for (code, items) in report.failures_by_code() {
        let _ = writeln!(
            err,
            "  error {code} ({}) for {} pair(s):",
            codes::lookup(code).meaning,
            items.len()
        );
        for item in items {
            let _ = writeln!(
                err,
                "    {} → {}: {}",
                sanitize(item.pair.from.as_str()),
                sanitize(item.pair.to.as_str()),
                sanitize(&item.info)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_names_follow_the_protocol() {
        assert_eq!(
            relation_name(true, Some(true)),
            "BlackCheckResult_Type_BothWay"
        );
        assert_eq!(relation_name(true, None), "BlackCheckResult_Type_AWithB");
        assert_eq!(
            relation_name(false, Some(true)),
            "BlackCheckResult_Type_BWithA"
        );
        assert_eq!(relation_name(false, None), "BlackCheckResult_Type_NO");
    }
}
