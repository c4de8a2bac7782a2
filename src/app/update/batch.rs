//! Batches: unblock, block (the prompt or IDs given), retry, undo — each shown for `y`/`n`
//! first; then the running batch (progress, items applied to the table in place, cancel, quit)
//! and its outcome.

use std::collections::HashSet;

use tui_input::Input;

use super::super::command::{self, Args, Command, Invocation};
use super::super::model::{
    BatchOutcome, Checks, ConfirmLine, Ended, Held, IncompleteBatch, Level, Model, Overlay,
    PendingAction, Running,
};
use super::super::msg::{Effect, Msg};
use super::super::palette::{self, Cut};
use crate::client::engine::Report;
use crate::client::failure::Failure;
use crate::client::ops::Preflight;
use crate::client::{Operation, Pair};
use crate::display::sanitize;
use crate::moderation::{MAX_REASON_CHARS, Why};
use crate::tim::ids::UserId;
use crate::tim::wire::MAX_BLOCKLIST;
use tui_input::backend::crossterm::EventHandler;

/// What blocking does besides, said before every block.
const BLOCK_WARNING: &str = "blocking also removes any friendship between them, both ways";

pub(super) fn on_msg(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let running = model.running.as_ref().map(|r| r.id);
    match msg {
        Msg::BatchProgress { id, progress } if running == Some(id) => {
            let ms = model.ms;
            if let Some(r) = model.running.as_mut() {
                r.progressed(progress, ms);
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
        Msg::Checked { req, result } => {
            on_checked(model, req, result);
            Vec::new()
        }
        Msg::Incomplete(result) => {
            on_incomplete(model, result);
            Vec::new()
        }
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

/// Shows a change for confirmation and starts the checks before it: nothing is sent before `y`,
/// and `y` waits for the checks.
///
/// Pairs that touch a protected account not named are held out first (and listed); where the
/// profile requires a reason, the reason line is open for typing.
pub(super) fn ask(model: &mut Model, mut pending: PendingAction) -> Vec<Effect> {
    if pending.resume.is_none() {
        let (send, held) = model.rules.protected.hold_out(
            std::mem::take(&mut pending.pairs),
            &pending.approval.include_protected,
        );
        pending.pairs = send;
        pending.protected = held;
    }
    pending.reason_required = model.rules.require_reason;
    if pending.reason_required && pending.reason.value().trim().is_empty() {
        pending.typing = Some(ConfirmLine::Reason);
    }
    model.check_req += 1;
    let req = model.check_req;
    pending.checks = Checks::Running { req };
    let effect = Effect::Preflight {
        req,
        op: pending.op,
        pairs: pending.pairs.clone(),
    };
    model.overlay = Overlay::Confirm(pending);
    vec![effect]
}

/// `r` on a confirmation: type (or change) why the change is made.
pub(super) fn edit_reason(model: &mut Model) -> Vec<Effect> {
    if let Overlay::Confirm(pending) = &mut model.overlay {
        pending.typing = Some(ConfirmLine::Reason);
    }
    Vec::new()
}

/// `p` on a confirmation: name a protected account to let its pairs through.
pub(super) fn name_protected(model: &mut Model) -> Vec<Effect> {
    match &mut model.overlay {
        Overlay::Confirm(pending) if !pending.protected.is_empty() => {
            pending.include = Default::default();
            pending.typing = Some(ConfirmLine::Include);
        }
        Overlay::Confirm(_) => {
            model.notice = Some("no pair of this change touches a protected account".to_owned());
        }
        _ => {}
    }
    Vec::new()
}

/// A key typed into the confirmation's line; the reason is kept to its length limit.
pub(super) fn type_into(pending: &mut PendingAction, event: &crossterm::event::Event) {
    match pending.typing {
        Some(ConfirmLine::Reason) => {
            let before = pending.reason.clone();
            pending.reason.handle_event(event);
            if pending.reason.value().chars().count() > MAX_REASON_CHARS {
                pending.reason = before;
            }
        }
        Some(ConfirmLine::Include) => {
            pending.include.handle_event(event);
        }
        None => {}
    }
}

/// Enter on the confirmation's line: the reason is kept (checked); a named protected account's
/// pairs join the change, which is checked again.
pub(super) fn submit_line(model: &mut Model, mut pending: PendingAction) -> Vec<Effect> {
    match pending.typing {
        Some(ConfirmLine::Reason) => {
            if let Err(e) = Why::new(Some(pending.reason.value()), None) {
                model.notice = Some(sanitize(&e).into_owned());
            } else {
                pending.typing = None;
            }
            model.overlay = Overlay::Confirm(pending);
            Vec::new()
        }
        Some(ConfirmLine::Include) => {
            let typed = pending.include.value().trim().to_owned();
            let touches = |p: &Pair| p.from.as_str() == typed || p.to.as_str() == typed;
            let named =
                model.rules.protected.contains(&typed) && pending.protected.iter().any(touches);
            pending.typing = None;
            if !named {
                model.notice = Some(format!(
                    "{} is not one of the protected accounts held out of this change",
                    sanitize(&typed)
                ));
                model.overlay = Overlay::Confirm(pending);
                return Vec::new();
            }
            let id = UserId::parse(&typed).expect("a protected account is a UserID");
            model.log(
                Level::Warning,
                format!(
                    "protected account {} let through by name for this change",
                    sanitize(&typed)
                ),
            );
            pending.approval.include_protected.push(id);
            let mut pairs = std::mem::take(&mut pending.pairs);
            pairs.append(&mut pending.protected);
            pending.pairs = pairs;
            ask(model, pending)
        }
        None => {
            model.overlay = Overlay::Confirm(pending);
            Vec::new()
        }
    }
}

/// The checks answered: what is held out of the change, and why.
fn on_checked(model: &mut Model, req: u64, result: Result<Preflight, Failure>) {
    // The looked-up user's list, when it is complete: how full it is.
    let list = match (&model.list.owner, model.list.complete) {
        (Some(owner), true) => Some((owner.clone(), model.list.rows.len())),
        _ => None,
    };
    let Overlay::Confirm(pending) = &mut model.overlay else {
        return;
    };
    if pending.checks != (Checks::Running { req }) {
        return;
    }
    pending.checks = match result {
        Ok(found) => Checks::Done(held(pending, &found, list)),
        Err(e) => Checks::Failed(sanitize(&e.text).into_owned()),
    };
}

/// The pairs of `pending` that the checks hold out, in one pass: accounts that do not exist,
/// pairs already so, and what would overflow the looked-up user's list.
fn held(pending: &PendingAction, found: &Preflight, list: Option<(UserId, usize)>) -> Held {
    let missing: HashSet<&UserId> = found.missing.iter().collect();
    let in_state: HashSet<&Pair> = found.in_state.iter().collect();
    // A block of the looked-up user's own list, when it is complete: the room left in it.
    let list_size = list
        .filter(|(owner, _)| {
            pending.op == Operation::Block && pending.pairs.iter().all(|p| &p.from == owner)
        })
        .map(|(_, size)| size);
    let mut room = list_size.map(|size| MAX_BLOCKLIST.saturating_sub(size));
    let mut held = Held {
        list_size,
        unchecked: found.unchecked.clone(),
        missing_ids: found.missing.clone(),
        ..Held::default()
    };
    for pair in &pending.pairs {
        if missing.contains(&pair.from) || missing.contains(&pair.to) {
            held.missing.push(pair.clone());
        } else if in_state.contains(pair) {
            held.already.push(pair.clone());
        } else if let Some(left) = room.as_mut() {
            match left.checked_sub(1) {
                Some(rest) => *left = rest,
                None => held.overflow.push(pair.clone()),
            }
        }
    }
    held
}

fn start(model: &mut Model, mut pending: PendingAction) -> Vec<Effect> {
    match Why::new(Some(pending.reason.value()), None) {
        Ok(why) => pending.approval.why = why,
        Err(e) => {
            pending.typing = Some(ConfirmLine::Reason);
            model.notice = Some(sanitize(&e).into_owned());
            model.overlay = Overlay::Confirm(pending);
            return Vec::new();
        }
    }
    if pending.approval.why.is_given() {
        model.log(
            Level::Info,
            sanitize(&pending.approval.why.describe()).into_owned(),
        );
    }
    model.batch_seq += 1;
    let id = model.batch_seq;
    let pairs = pending.to_send();
    let mut running = Running::new(id, pending.op, pairs.len(), model.ms);
    running.restore = pending.restore;
    model.running = Some(running);
    vec![Effect::RunBatch {
        id,
        op: pending.op,
        pairs,
        resume: pending.resume,
        approval: pending.approval,
    }]
}

/// The journal's unfinished batches, said when their number changes (and kept for `:resume`).
fn on_incomplete(model: &mut Model, result: Result<Vec<IncompleteBatch>, Failure>) {
    match result {
        Ok(batches) => {
            let (before, now) = (model.incomplete.len(), batches.len());
            model.incomplete = batches;
            if now > 0 && now != before {
                model.log(
                    Level::Warning,
                    format!(
                        "the journal holds {now} unfinished batch(es) of this app: :resume \
                         finishes the latest (:resume ID another)"
                    ),
                );
            }
        }
        Err(e) => model.log(
            Level::Warning,
            format!("the journal could not be read: {}", sanitize(&e.text)),
        ),
    }
}

/// `:resume [ID]`: the rest of an unfinished batch, each pair checked first.
pub(super) fn resume(model: &mut Model, args: Args) -> Vec<Effect> {
    let wanted = match &args {
        Args::Text(id) if !id.is_empty() => Some(id.as_str()),
        _ => None,
    };
    let Some(batch) = model
        .incomplete
        .iter()
        .find(|b| wanted.is_none_or(|w| b.id.starts_with(w)))
        .cloned()
    else {
        return Vec::new();
    };
    let title = format!(
        "Resume batch {} ({}, started by {} {}): re-check its {} unfinished pair(s) and {} \
         what is still needed",
        sanitize(&batch.id),
        batch.op.verb(),
        sanitize(&batch.by),
        crate::display::ago(batch.time, model.now),
        batch.unfinished.len(),
        batch.op.verb()
    );
    let mut pending = PendingAction::new(batch.op, batch.unfinished, title, None);
    pending.resume = Some(batch.id);
    ask(model, pending)
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

/// `x`: the marked rows (or the current one); `:unblock ID…`: those IDs. On a table of who
/// blocks X, the owner is taken off each blocker's list.
pub(super) fn unblock(model: &mut Model, args: Args) -> Vec<Effect> {
    let Some(owner) = model.list.owner.clone() else {
        return Vec::new();
    };
    let owner_shown = sanitize(owner.as_str()).into_owned();
    if model.list.kind == super::super::model::ListKind::Blockers {
        let (ids, what) = match args {
            Args::Users(ids) => (ids, "given user(s)"),
            _ if model.list.marks.is_empty() => (model.list.targets(), "user at the cursor"),
            _ => (model.list.targets(), "marked users"),
        };
        let mut pairs: Vec<Pair> = Vec::with_capacity(ids.len());
        for from in ids {
            let pair = Pair::new(from, owner.clone());
            if !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
        let title = format!(
            "Remove {owner_shown} from the blocklists of {} {what}",
            pairs.len()
        );
        return ask(
            model,
            PendingAction::new(Operation::Unblock, pairs, title, None),
        );
    }
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
        PendingAction::new(Operation::Unblock, pairs, format!("Unblock {what}"), None),
    )
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
            let warning = Some(BLOCK_WARNING.into());
            ask(
                model,
                PendingAction::new(Operation::Block, pairs, title, warning),
            )
        }
        _ => {
            block_prompt(model, "");
            Vec::new()
        }
    }
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
    // The retry finishes the same journal batch, so that it counts as finished there.
    let mut pending = PendingAction::new(op, pairs, title, warning);
    pending.resume = last.journal_batch.clone();
    ask(model, pending)
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
    let restore = super::super::model::original_places(&last.removed);
    let title = match op {
        Operation::Block => format!("Undo: block again the {n} pair(s) the last batch unblocked"),
        _ => format!("Undo: unblock the {n} pair(s) the last batch blocked"),
    };
    let mut pending = PendingAction::new(op, pairs, title, Some(undo_warning(op, true)));
    pending.restore = restore;
    ask(model, pending)
}

/// What an undo by `op` cannot take back; `places` when the rows it puts back on the table
/// return to where they stood.
fn undo_warning(op: Operation, places: bool) -> String {
    match op {
        Operation::Block if places => "the rows come back with their nicknames and places, but \
             the original \"blocked since\" times cannot be restored (the service stamps now); \
             blocking again removes any friendship between them, both ways"
            .to_owned(),
        Operation::Block => "the original \"blocked since\" times cannot be restored (the \
             service stamps now); blocking again removes any friendship between them, both ways"
            .to_owned(),
        _ => "friendships removed by the block are not restored".to_owned(),
    }
}

/// `U` in the journal: the inverse of the batch opened or at the cursor, over the pairs it
/// changed (done: not those already so, failed or pending), through the same confirmation and
/// checks as the undo of the last batch.
pub(super) fn undo_batch(model: &mut Model) -> Vec<Effect> {
    let Some(batch) = model.journal.as_ref().and_then(|j| j.selected()) else {
        return Vec::new();
    };
    let Some(op) = batch.op().inverse() else {
        return Vec::new();
    };
    let pairs = batch.changed.clone();
    let n = pairs.len();
    let what = match op {
        Operation::Block => format!("block again the {n} pair(s) it unblocked"),
        _ => format!("unblock the {n} pair(s) it blocked"),
    };
    let title = format!(
        "Undo batch {} ({} by {}, {}): {what}",
        batch.id_shown,
        batch.op().verb(),
        batch.who,
        batch.when
    );
    let mut warning = undo_warning(op, false);
    if !batch.state.latest_run_ended() {
        warning.push_str(
            "; the batch has not ended (it may still be running elsewhere): what it changes \
             after this is not undone",
        );
    }
    ask(model, PendingAction::new(op, pairs, title, Some(warning)))
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
    let running = model.running.take();
    let quit_after = running.as_ref().is_some_and(|r| r.quit_after);
    let mut outcome = BatchOutcome::of(report, journal);
    if let Some(r) = running {
        outcome.removed = r.removed;
        outcome.call_rate = r.call_rate;
    }
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
    // What the journal holds unfinished may have changed (a retry or a resume finished one);
    // an open journal view holds this batch now.
    let mut effects = vec![Effect::ScanJournal];
    effects.extend(super::journal::after_batch(model));
    effects
}
