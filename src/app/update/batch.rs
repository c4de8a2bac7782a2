//! Batches: unblock, block (the prompt or IDs given), retry, undo — each shown for `y`/`n`
//! first; then the running batch (progress, items applied to the table in place, cancel, quit)
//! and its outcome.

use tui_input::Input;

use super::super::command::{self, Args, Command, Invocation};
use super::super::model::{BatchOutcome, Ended, Level, Model, Overlay, PendingAction, Running};
use super::super::msg::{Effect, Msg};
use super::super::palette::{self, Cut};
use crate::client::engine::Report;
use crate::client::failure::Failure;
use crate::client::{Operation, Pair};
use crate::display::sanitize;
use crate::tim::ids::UserId;

/// What blocking does besides, said before every block.
const BLOCK_WARNING: &str = "blocking also removes any friendship between them, both ways";

pub(super) fn on_msg(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let running = model.running.as_ref().map(|r| r.id);
    match msg {
        Msg::BatchProgress { id, progress } if running == Some(id) => {
            if let Some(r) = model.running.as_mut() {
                r.progress = progress;
                r.progress_at = model.ms;
            }
            Vec::new()
        }
        Msg::BatchItem { id, item } if running == Some(id) => {
            model.apply_item(&item);
            Vec::new()
        }
        Msg::BatchDone {
            id,
            report,
            journal,
        } if running == Some(id) => done(model, &report, journal),
        Msg::BatchFailed { id, error } if running == Some(id) => not_started(model, &error),
        // An answer about an older batch: dropped.
        _ => Vec::new(),
    }
}

pub(super) fn quit_now(model: &mut Model) -> Vec<Effect> {
    model.should_quit = true;
    vec![Effect::Quit]
}

/// `q` or Ctrl-C: quits at once when idle; asks first while a batch runs.
pub(super) fn quit(model: &mut Model) -> Vec<Effect> {
    if model.running.is_some() {
        model.overlay = Overlay::QuitConfirm;
        Vec::new()
    } else {
        quit_now(model)
    }
}

/// Cancels the running batch between requests (once).
pub(super) fn cancel(model: &mut Model) -> Vec<Effect> {
    match model.running.as_mut() {
        Some(r) if !r.cancelling => {
            r.cancelling = true;
            model.log(
                Level::Warning,
                "cancelling the batch after the requests in flight",
            );
            vec![Effect::CancelBatch]
        }
        _ => Vec::new(),
    }
}

/// `y`: carries out the action shown, or cancels the batch and quits.
pub(super) fn yes(model: &mut Model) -> Vec<Effect> {
    match std::mem::take(&mut model.overlay) {
        Overlay::Confirm(pending) => start(model, pending),
        Overlay::QuitConfirm => match model.running.as_mut() {
            Some(r) => {
                r.quit_after = true;
                // Quitting follows when the batch ends (at once if it is already cancelling).
                cancel(model)
            }
            // The batch ended while the question was open.
            None => quit_now(model),
        },
        other => {
            model.overlay = other;
            Vec::new()
        }
    }
}

/// `n` or Esc on a question: nothing happens.
pub(super) fn no(model: &mut Model) -> Vec<Effect> {
    if matches!(model.overlay, Overlay::Confirm(_)) {
        model.log(Level::Info, "cancelled: nothing was sent");
    }
    model.overlay = Overlay::None;
    Vec::new()
}

/// Shows a destructive action for confirmation (nothing is sent before `y`).
fn ask(model: &mut Model, op: Operation, pairs: Vec<Pair>, title: String, warning: Option<String>) {
    model.overlay = Overlay::Confirm(PendingAction {
        op,
        pairs,
        title,
        warning,
    });
}

fn start(model: &mut Model, pending: PendingAction) -> Vec<Effect> {
    model.batch_seq += 1;
    let id = model.batch_seq;
    model.running = Some(Running::new(id, pending.op, pending.pairs.len(), model.ms));
    vec![Effect::RunBatch {
        id,
        op: pending.op,
        pairs: pending.pairs,
    }]
}

/// The pairs of the looked-up user with each of `ids` (each once, in order).
fn pairs_for(owner: &UserId, ids: Vec<UserId>) -> Vec<Pair> {
    let mut pairs: Vec<Pair> = Vec::with_capacity(ids.len());
    for to in ids {
        let pair = Pair::new(owner.clone(), to);
        if !pairs.contains(&pair) {
            pairs.push(pair);
        }
    }
    pairs
}

/// `x`: the marked rows (or the current one); `:unblock ID…`: those IDs.
pub(super) fn unblock(model: &mut Model, args: Args) -> Vec<Effect> {
    let Some(owner) = model.list.owner.clone() else {
        return Vec::new();
    };
    let owner_shown = sanitize(owner.as_str()).into_owned();
    let (ids, what) = match args {
        Args::Users(ids) => {
            let n = ids.len();
            (ids, format!("{n} account(s) for {owner_shown}"))
        }
        _ => {
            let ids = model.list.targets();
            let what = if model.list.marks.is_empty() {
                "entry"
            } else {
                "marked entries"
            };
            let n = ids.len();
            (ids, format!("{n} {what} of {owner_shown}"))
        }
    };
    let pairs = pairs_for(&owner, ids);
    ask(
        model,
        Operation::Unblock,
        pairs,
        format!("Unblock {what}"),
        None,
    );
    Vec::new()
}

/// `b`: the prompt for IDs; `:block ID…`: those IDs at once.
pub(super) fn block(model: &mut Model, args: Args) -> Vec<Effect> {
    let Some(owner) = model.list.owner.clone() else {
        return Vec::new();
    };
    match args {
        Args::Users(ids) => {
            let pairs = pairs_for(&owner, ids);
            let title = format!(
                "Block {} account(s) for {}",
                pairs.len(),
                sanitize(owner.as_str())
            );
            ask(
                model,
                Operation::Block,
                pairs,
                title,
                Some(BLOCK_WARNING.into()),
            );
        }
        _ => block_prompt(model, ""),
    }
    Vec::new()
}

/// Opens the block prompt with `text` in it.
pub(super) fn block_prompt(model: &mut Model, text: &str) {
    model.overlay = Overlay::BlockPrompt {
        input: Input::new(text.to_owned()),
        error: None,
    };
}

/// Enter on the block prompt: the IDs (split at spaces, commas and new lines; quotes keep an
/// ID with spaces whole) are checked, then confirmed like `:block`; a problem keeps the prompt
/// open with what is wrong.
pub(super) fn submit_prompt(model: &mut Model, input: Input) -> Vec<Effect> {
    let inv = prompt_ids(input.value()).map(|ids| Invocation {
        command: Command::Block,
        args: Args::Users(ids),
    });
    let checked = inv.and_then(|inv| command::availability(model, &inv).map(|()| inv));
    match checked {
        Ok(inv) => super::dispatch(model, inv),
        Err(error) => {
            model.overlay = Overlay::BlockPrompt {
                input,
                error: Some(error),
            };
            Vec::new()
        }
    }
}

/// The UserIDs typed or pasted into the block prompt, or every problem with them.
fn prompt_ids(text: &str) -> Result<Vec<UserId>, String> {
    let words = palette::split(text, Cut::Ids, false).map_err(|e| e.to_string())?;
    let mut ids = Vec::with_capacity(words.len());
    let mut problems = Vec::new();
    for (n, word) in words.iter().enumerate() {
        match UserId::parse(&word.text) {
            Ok(id) => ids.push(id),
            Err(e) => problems.push(format!("#{} {}: {e}", n + 1, sanitize(&word.text))),
        }
    }
    if problems.is_empty() {
        Ok(ids)
    } else {
        Err(problems.join("; "))
    }
}

/// `R`: the failed and unsent items that a retry can fix.
pub(super) fn retry(model: &mut Model) -> Vec<Effect> {
    let Some(last) = &model.last else {
        return Vec::new();
    };
    let pairs = last.retryable_pairs();
    let left_out = last.failed_pairs().len() - pairs.len();
    let op = last.op;
    let title = format!("Retry the {} failed item(s) of the last {op}", pairs.len());
    let warning = (left_out > 0).then(|| {
        format!(
            "{left_out} other failed item(s) are left out: their errors are permanent, and a \
             retry cannot change them"
        )
    });
    ask(model, op, pairs, title, warning);
    Vec::new()
}

/// `U`: the inverse of the last batch, for what it changed.
pub(super) fn undo(model: &mut Model) -> Vec<Effect> {
    let Some(last) = &model.last else {
        return Vec::new();
    };
    let Some(op) = last.op.inverse() else {
        return Vec::new();
    };
    let pairs = last.done.clone();
    let n = pairs.len();
    let (title, warning) = match op {
        Operation::Block => (
            format!("Undo: block again the {n} pair(s) the last batch unblocked"),
            "blocking again removes any friendship between them, both ways",
        ),
        _ => (
            format!("Undo: unblock the {n} pair(s) the last batch blocked"),
            "friendships removed by the block are not restored",
        ),
    };
    ask(model, op, pairs, title, Some(warning.to_owned()));
    Vec::new()
}

fn not_started(model: &mut Model, error: &Failure) -> Vec<Effect> {
    let quit = model.running.take().is_some_and(|r| r.quit_after);
    model.log(
        Level::Error,
        format!("the batch did not start: {}", sanitize(&error.text)),
    );
    if quit { quit_now(model) } else { Vec::new() }
}

fn done(model: &mut Model, report: &Report, journal: Option<String>) -> Vec<Effect> {
    let quit_after = model.running.take().is_some_and(|r| r.quit_after);
    let outcome = BatchOutcome::of(report, journal);
    let level = match outcome.ended {
        Ended::Completed => Level::Success,
        Ended::CompletedWithFailures => Level::Warning,
        _ => Level::Error,
    };
    // One line per batch; the summary (=) has every failure with its meaning.
    let journal = outcome
        .journal_batch
        .as_ref()
        .map(|b| format!(" (batch {})", sanitize(b)))
        .unwrap_or_default();
    let reason = outcome
        .stop_reason
        .as_ref()
        .map(|r| format!(" — {r}"))
        .unwrap_or_default();
    model.log(level, format!("{}{reason}{journal}", outcome.headline()));
    model.last = Some(outcome);
    if quit_after {
        return quit_now(model);
    }
    if matches!(model.overlay, Overlay::None) {
        model.overlay = Overlay::Result;
    }
    Vec::new()
}
