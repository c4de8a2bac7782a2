//! `update(&mut Model, Msg) -> Vec<Effect>`: every change of the dashboard's state happens here.
//!
//! Keys typed into the lookup line, the filter, the palette or the block prompt are text; single
//! letters are commands only when a table has focus. Destructive actions become a
//! [`PendingAction`] shown for `y`/`n` confirmation before any effect is produced. Every effect leaves
//! through [`gate`], the one place where read-only mode is enforced.

use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::keymap::{self, Action, Context};
use super::model::{
    BatchOutcome, Blockers, ExportWhat, FEED_KEEP, FailureGroup, FeedLine, Focus, Inspection,
    Inspector, Level, Model, Overlay, PAGE_ROWS, PendingAction, Row, Running, UserSummary,
    VerdictLine,
};
use super::msg::{Effect, Msg};
use crate::client::engine::{BatchEnd, Report};
use crate::client::ops::{AccountFacts, BlockersEvent, Candidates};
use crate::client::{ItemStatus, Operation, Pair};
use crate::display::sanitize;
use crate::tim::codes;
use crate::tim::ids::UserId;

/// Applies one message and returns what the worker must do.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let effects = match msg {
        Msg::Key(key) => on_key(model, key),
        Msg::Paste(text) => on_paste(model, &text),
        Msg::Resize(w, h) => {
            model.width = w;
            model.height = h;
            fix_scroll(model);
            Vec::new()
        }
        Msg::Tick(now) => {
            model.now = now;
            Vec::new()
        }
        Msg::Account { req, info } if req == model.lookup_req => on_account(model, info),
        Msg::Page {
            req,
            entries,
            last,
            sequence,
        } if req == model.lookup_req => on_page(model, entries, last, sequence),
        Msg::Nicks { req, nicks } if req == model.lookup_req => on_nicks(model, nicks),
        Msg::LookupFailed { req, error } if req == model.lookup_req => {
            model.list.loading = false;
            model.log(
                Level::Error,
                format!("lookup failed: {}", sanitize(&error.text)),
            );
            Vec::new()
        }
        Msg::BatchProgress { id, progress } if running_id(model) == Some(id) => {
            if let Some(r) = model.running.as_mut() {
                r.progress = progress;
            }
            Vec::new()
        }
        Msg::BatchItem { id, item } if running_id(model) == Some(id) => {
            model.apply_item(&item);
            fix_scroll(model);
            Vec::new()
        }
        Msg::BatchDone {
            id,
            report,
            journal,
        } if running_id(model) == Some(id) => on_batch_done(model, &report, journal),
        Msg::BatchFailed { id, error } if running_id(model) == Some(id) => {
            let quit = model.running.take().is_some_and(|r| r.quit_after);
            model.log(
                Level::Error,
                format!("the batch did not start: {}", sanitize(&error.text)),
            );
            if quit { quit_now(model) } else { Vec::new() }
        }
        Msg::Inspected { req, result } => {
            if let Overlay::Inspector(inspector) = &mut model.overlay
                && inspector.req == req
            {
                inspector.result = Some(
                    result
                        .map(|rel| inspection_of(&rel))
                        .map_err(|e| sanitize(&e.text).into_owned()),
                );
            }
            Vec::new()
        }
        Msg::Blockers { req, event } => {
            if let Overlay::Blockers(view) = &mut model.overlay
                && view.req == req
            {
                match event {
                    BlockersEvent::Progress {
                        checked,
                        total,
                        calls_per_sec,
                        ..
                    } => {
                        view.checked = checked;
                        view.total = total;
                        view.calls_per_sec = calls_per_sec;
                    }
                    BlockersEvent::Found { blocker, mutual } => {
                        view.found.push((blocker, mutual));
                    }
                }
            }
            Vec::new()
        }
        Msg::BlockersDone { req, result } => {
            if let Overlay::Blockers(view) = &mut model.overlay
                && view.req == req
            {
                view.done = true;
                let target = sanitize(view.target.as_str()).into_owned();
                let (level, text) = match result {
                    Ok(report) => {
                        let checked = report.checked;
                        view.checked = checked;
                        view.failed = report.failed;
                        (
                            Level::Info,
                            format!(
                                "who blocks {target}: {} found among {checked} checked",
                                view.found.len()
                            ),
                        )
                    }
                    Err(e) => {
                        let e = sanitize(&e.text).into_owned();
                        view.error = Some(e.clone());
                        (
                            Level::Error,
                            format!("who blocks {target}: the lookup failed: {e}"),
                        )
                    }
                };
                model.last_blockers = Some(view.clone());
                model.log(level, text);
            }
            Vec::new()
        }
        Msg::FeedChange(event) => {
            on_feed(model, event);
            Vec::new()
        }
        Msg::FeedRejected { reason } => {
            model.feed.rejected += 1;
            model.log(
                Level::Warning,
                format!("webhook refused: {}", sanitize(&reason)),
            );
            Vec::new()
        }
        Msg::Burst(burst) => {
            let who = sanitize(&burst.account).into_owned();
            let (verb, n, secs) = (burst.kind.past_tense(), burst.count, burst.window_secs);
            let text = match burst.role {
                crate::feed::Role::Blocking => {
                    format!("burst: {who} {verb} {n} accounts in {secs} s")
                }
                crate::feed::Role::Blocked => {
                    format!("burst: {who} was {verb} by {n} accounts in {secs} s")
                }
            };
            model.log(Level::Warning, text.clone());
            model.feed.alerts.push(text);
            if model.feed.alerts.len() > 50 {
                model.feed.alerts.remove(0);
            }
            if !model.feed.flagged.contains(&burst.account) {
                model.feed.flagged.push(burst.account);
            }
            Vec::new()
        }
        Msg::FeedSource(source) => {
            model.feed.source = source.map(|s| sanitize(&s).into_owned());
            Vec::new()
        }
        Msg::ListChanged { user, sequence } => {
            if model.watching
                && model.list.owner.as_ref() == Some(&user)
                && sequence != model.list.sequence
                && model.running.is_none()
            {
                model.log(
                    Level::Info,
                    format!("{}'s list changed: refreshing", sanitize(user.as_str())),
                );
                return start_lookup(model, user);
            }
            Vec::new()
        }
        Msg::WatchFailed { error } => {
            model.log(Level::Warning, format!("watch: {}", sanitize(&error.text)));
            Vec::new()
        }
        Msg::Exported { path, result } => {
            match result {
                Ok(n) => model.log(
                    Level::Success,
                    format!("exported {n} row(s) to {}", sanitize(&path)),
                ),
                Err(e) => model.log(
                    Level::Error,
                    format!(
                        "export to {} failed: {}",
                        sanitize(&path),
                        sanitize(&e.text)
                    ),
                ),
            }
            Vec::new()
        }
        // An answer to an older lookup or batch: dropped.
        _ => Vec::new(),
    };
    gate(model, effects)
}

/// The one place effects leave `update`: in read-only mode nothing that changes a blocklist passes.
fn gate(model: &mut Model, effects: Vec<Effect>) -> Vec<Effect> {
    if !model.read_only {
        return effects;
    }
    let (refused, allowed): (Vec<Effect>, Vec<Effect>) =
        effects.into_iter().partition(Effect::mutates);
    if !refused.is_empty() {
        model.running = None;
        model.log(
            Level::Warning,
            "read-only mode: the change was refused and nothing was sent",
        );
    }
    allowed
}

fn running_id(model: &Model) -> Option<u64> {
    model.running.as_ref().map(|r| r.id)
}

/// The key contexts in force, most specific first.
pub fn contexts(model: &Model) -> Vec<Context> {
    // Over a popup, the popup's keys come first; Ctrl-C still cancels a running batch.
    let with_running = |ctx: Context| {
        let mut v = vec![ctx];
        if model.running.is_some() {
            v.push(Context::Running);
        }
        v
    };
    match &model.overlay {
        Overlay::Confirm(_) | Overlay::QuitConfirm => with_running(Context::Confirm),
        Overlay::Result => with_running(Context::Result),
        Overlay::Help => with_running(Context::Help),
        Overlay::Palette(_)
        | Overlay::Filter(_)
        | Overlay::BlockPrompt { .. }
        | Overlay::Export { .. } => with_running(Context::Typing),
        Overlay::Inspector(_) => with_running(Context::Inspector),
        Overlay::Blockers(_) => with_running(Context::Blockers),
        Overlay::None => {
            let mut ctx = Vec::with_capacity(3);
            if model.running.is_some() {
                ctx.push(Context::Running);
            }
            ctx.push(match model.focus {
                Focus::Lookup => Context::Lookup,
                Focus::Blocklist => Context::Table,
                Focus::Activity => Context::Activity,
                Focus::Feed => Context::Feed,
            });
            ctx.push(Context::Global);
            ctx
        }
    }
}

fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    // Below the smallest usable size nothing is on screen to act on: only quitting works.
    if !model.fits() {
        let quit = matches!(key.code, crossterm::event::KeyCode::Char('q'))
            || (key.code == crossterm::event::KeyCode::Char('c')
                && key
                    .modifiers
                    .contains(crossterm::event::KeyModifiers::CONTROL));
        return if quit {
            act(model, Action::Quit)
        } else {
            Vec::new()
        };
    }
    let ctx = contexts(model);
    if let Some(action) = keymap::lookup(&ctx, &key, model.read_only) {
        return act(model, action);
    }
    // Not a command: text for whichever line is being typed.
    let event = Event::Key(key);
    match &mut model.overlay {
        Overlay::Palette(input) => {
            input.handle_event(&event);
        }
        Overlay::BlockPrompt { input, error } | Overlay::Export { input, error, .. } => {
            let changed = input.handle_event(&event).is_some();
            if changed {
                *error = None;
            }
        }
        Overlay::Filter(input) => {
            let changed = input.handle_event(&event).is_some();
            if changed {
                model.list.filter = input.value().to_owned();
                model.list.rebuild_view();
                fix_scroll(model);
            }
        }
        Overlay::None if model.focus == Focus::Lookup => {
            let changed = model.lookup.handle_event(&event).is_some();
            if changed {
                model.history_pos = None;
            }
        }
        _ => {}
    }
    Vec::new()
}

fn insert(input: &mut Input, text: &str) {
    for ch in text.chars() {
        input.handle(tui_input::InputRequest::InsertChar(ch));
    }
}

fn on_paste(model: &mut Model, text: &str) -> Vec<Effect> {
    // Lines of pasted text become spaces: every line of the prompts is one line.
    let flat: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    match &mut model.overlay {
        Overlay::Palette(input) => insert(input, &flat),
        Overlay::BlockPrompt { input, error } | Overlay::Export { input, error, .. } => {
            insert(input, &flat);
            *error = None;
        }
        Overlay::Filter(input) => {
            insert(input, &flat);
            model.list.filter = input.value().to_owned();
            model.list.rebuild_view();
            fix_scroll(model);
        }
        Overlay::None if model.focus == Focus::Lookup => {
            insert(&mut model.lookup, flat.trim());
            model.history_pos = None;
        }
        // A list of IDs pasted onto the table opens the block prompt with them.
        Overlay::None
            if model.focus == Focus::Blocklist && !model.read_only && model.user.is_some() =>
        {
            let mut input = Input::default();
            insert(&mut input, flat.trim());
            model.overlay = Overlay::BlockPrompt { input, error: None };
        }
        _ => {}
    }
    Vec::new()
}

fn act(model: &mut Model, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit | Action::Interrupt => {
            if model.running.is_some() {
                model.overlay = Overlay::QuitConfirm;
                Vec::new()
            } else {
                quit_now(model)
            }
        }
        Action::CancelBatch => cancel_batch(model),
        Action::FocusNext => {
            model.focus = model.focus.next();
            Vec::new()
        }
        Action::FocusPrev => {
            model.focus = model.focus.prev();
            Vec::new()
        }
        Action::Help => {
            model.overlay = Overlay::Help;
            Vec::new()
        }
        Action::Palette => {
            model.overlay = Overlay::Palette(Input::default());
            Vec::new()
        }
        Action::Filter => {
            model.focus = Focus::Blocklist;
            model.overlay = Overlay::Filter(Input::new(model.list.filter.clone()));
            Vec::new()
        }
        Action::Up
        | Action::Down
        | Action::Top
        | Action::Bottom
        | Action::PageUp
        | Action::PageDown => {
            move_cursor(model, action);
            Vec::new()
        }
        Action::NextPage | Action::PrevPage => {
            let list = &mut model.list;
            let page = list.page();
            let target = if action == Action::NextPage {
                (page + 1).min(list.pages() - 1)
            } else {
                page.saturating_sub(1)
            };
            list.cursor = (target * PAGE_ROWS).min(list.view.len().saturating_sub(1));
            fix_scroll(model);
            Vec::new()
        }
        Action::Mark => {
            if let Some(row) = model.list.current() {
                let id = row.to.clone();
                if !model.list.marks.remove(&id) {
                    model.list.marks.insert(id);
                }
                move_cursor(model, Action::Down);
            }
            Vec::new()
        }
        Action::MarkRange => {
            let list = &mut model.list;
            match list.anchor.take() {
                None if !list.view.is_empty() => list.anchor = Some(list.cursor),
                // The view emptied (a filter) since the range began: nothing to mark.
                _ if list.view.is_empty() => {}
                None => {}
                Some(anchor) => {
                    let last = list.view.len() - 1;
                    let (a, b) = (
                        anchor.min(list.cursor).min(last),
                        anchor.max(list.cursor).min(last),
                    );
                    let ids: Vec<UserId> = list.view[a..=b]
                        .iter()
                        .map(|&i| list.rows[i].to.clone())
                        .collect();
                    list.marks.extend(ids);
                }
            }
            Vec::new()
        }
        Action::MarkAll => {
            let list = &mut model.list;
            let ids: Vec<UserId> = list.view.iter().map(|&i| list.rows[i].to.clone()).collect();
            list.marks.extend(ids);
            Vec::new()
        }
        Action::ClearMarks => {
            model.list.marks.clear();
            model.list.anchor = None;
            Vec::new()
        }
        Action::Unblock => {
            let Some(owner) = model.list.owner.clone() else {
                return Vec::new();
            };
            let targets = model.list.targets();
            if targets.is_empty() {
                return Vec::new();
            }
            let marked = !model.list.marks.is_empty();
            let pairs: Vec<Pair> = targets
                .into_iter()
                .map(|to| Pair::new(owner.clone(), to))
                .collect();
            let title = format!(
                "Unblock {} {} of {}",
                pairs.len(),
                if marked { "marked entries" } else { "entry" },
                sanitize(owner.as_str())
            );
            ask(model, Operation::Unblock, pairs, title, None);
            Vec::new()
        }
        Action::Block => {
            if model.list.owner.is_none() {
                model.log(
                    Level::Warning,
                    "look a user up first: blocks are added to their list",
                );
                return Vec::new();
            }
            model.overlay = Overlay::BlockPrompt {
                input: Input::default(),
                error: None,
            };
            Vec::new()
        }
        Action::Refresh => match model.list.owner.clone() {
            Some(owner) => start_lookup(model, owner),
            None => Vec::new(),
        },
        Action::RetryFailed => {
            let Some(last) = &model.last else {
                model.log(Level::Info, "no batch to retry yet");
                return Vec::new();
            };
            let pairs = last.failed_pairs();
            if pairs.is_empty() {
                model.log(Level::Info, "the last batch has no failed items");
                return Vec::new();
            }
            let op = last.op;
            let title = format!("Retry the {} failed item(s) of the last {op}", pairs.len());
            ask(model, op, pairs, title, None);
            Vec::new()
        }
        Action::Undo => {
            let Some(last) = &model.last else {
                model.log(Level::Info, "no batch to undo yet");
                return Vec::new();
            };
            let Some(op) = last.op.inverse() else {
                return Vec::new();
            };
            if last.done.is_empty() {
                model.log(Level::Info, "the last batch changed nothing to undo");
                return Vec::new();
            }
            let pairs = last.done.clone();
            let (title, warning) = match op {
                Operation::Block => (
                    format!(
                        "Undo: block again the {} pair(s) the last batch unblocked",
                        pairs.len()
                    ),
                    "blocking again removes any friendship between them, both ways",
                ),
                _ => (
                    format!(
                        "Undo: unblock the {} pair(s) the last batch blocked",
                        pairs.len()
                    ),
                    "friendships removed by the block are not restored",
                ),
            };
            ask(model, op, pairs, title, Some(warning.to_owned()));
            Vec::new()
        }
        Action::Sort => {
            model.list.sort = model.list.sort.next();
            model.list.rebuild_view();
            fix_scroll(model);
            Vec::new()
        }
        Action::ShowResult => {
            if model.last.is_some() {
                model.overlay = Overlay::Result;
            }
            Vec::new()
        }
        Action::Submit => submit(model),
        Action::HistoryPrev | Action::HistoryNext => {
            browse_history(model, action == Action::HistoryPrev);
            Vec::new()
        }
        Action::Yes => match std::mem::take(&mut model.overlay) {
            Overlay::Confirm(pending) => start_batch(model, pending),
            Overlay::QuitConfirm => match model.running.as_mut() {
                Some(r) => {
                    r.quit_after = true;
                    // Quitting follows when the batch ends (at once if it is already cancelling).
                    cancel_batch(model)
                }
                // The batch ended while the question was open.
                None => quit_now(model),
            },
            other => {
                model.overlay = other;
                Vec::new()
            }
        },
        Action::No => {
            if matches!(model.overlay, Overlay::Confirm(_)) {
                model.log(Level::Info, "cancelled: nothing was sent");
            }
            model.overlay = Overlay::None;
            Vec::new()
        }
        Action::Inspect => match (model.list.owner.clone(), model.list.current()) {
            (Some(owner), Some(row)) => {
                let other = row.to.clone();
                start_inspect(model, owner, other)
            }
            _ => Vec::new(),
        },
        Action::FindBlockers => {
            let Some(target) = model.list.owner.clone() else {
                model.log(
                    Level::Warning,
                    "look a user up first: the reverse lookup asks who blocks them",
                );
                return Vec::new();
            };
            let listed: Vec<UserId> = model.list.rows.iter().map(|r| r.to.clone()).collect();
            let source = format!("{} listed users and the user's friends", listed.len());
            start_blockers(model, target, Candidates::FriendsAnd(listed), source)
        }
        Action::Export => {
            if let Overlay::Blockers(view) = &model.overlay {
                if !view.done {
                    model.log(
                        Level::Info,
                        "the reverse lookup is still running: export when it is done",
                    );
                    return Vec::new();
                }
                model.last_blockers = Some(view.clone());
            }
            let what = match (&model.overlay, model.focus) {
                (Overlay::Blockers(_), _) => ExportWhat::Blockers,
                (Overlay::Result, _) => ExportWhat::Batch,
                (_, Focus::Feed) => ExportWhat::Feed,
                (_, Focus::Activity) if model.last.is_some() => ExportWhat::Batch,
                _ => ExportWhat::List,
            };
            let default = default_export_name(model, what);
            model.overlay = Overlay::Export {
                input: Input::new(default),
                what,
                error: None,
            };
            Vec::new()
        }
        Action::UnblockAB | Action::UnblockBA => {
            let Overlay::Inspector(inspector) = &model.overlay else {
                return Vec::new();
            };
            let Some(Ok(seen)) = &inspector.result else {
                return Vec::new();
            };
            let (from, to, blocks) = if action == Action::UnblockAB {
                (inspector.a.clone(), inspector.b.clone(), seen.a_blocks_b)
            } else {
                (inspector.b.clone(), inspector.a.clone(), seen.b_blocks_a)
            };
            if !blocks {
                model.log(
                    Level::Info,
                    format!(
                        "{} does not block {}: nothing to unblock",
                        sanitize(from.as_str()),
                        sanitize(to.as_str())
                    ),
                );
                return Vec::new();
            }
            let pair = Pair::new(from, to);
            let title = format!("Unblock {pair}");
            model.overlay = Overlay::None;
            ask(model, Operation::Unblock, vec![pair], title, None);
            Vec::new()
        }
        Action::Close => {
            if matches!(
                model.overlay,
                Overlay::Blockers(Blockers { done: false, .. })
            ) {
                model.overlay = Overlay::None;
                return vec![Effect::CancelBlockers];
            }
            if let Overlay::Filter(_) = model.overlay {
                model.list.filter.clear();
                model.list.rebuild_view();
                fix_scroll(model);
            }
            model.overlay = Overlay::None;
            Vec::new()
        }
    }
}

fn quit_now(model: &mut Model) -> Vec<Effect> {
    model.should_quit = true;
    vec![Effect::Quit]
}

fn cancel_batch(model: &mut Model) -> Vec<Effect> {
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

/// Shows a destructive action for confirmation (nothing is sent before `y`).
fn ask(model: &mut Model, op: Operation, pairs: Vec<Pair>, title: String, warning: Option<String>) {
    if model.running.is_some() {
        model.log(
            Level::Warning,
            "a batch is running: wait for it to end (or cancel it)",
        );
        return;
    }
    model.overlay = Overlay::Confirm(PendingAction {
        op,
        pairs,
        title,
        warning,
    });
}

fn start_batch(model: &mut Model, pending: PendingAction) -> Vec<Effect> {
    model.batch_seq += 1;
    let id = model.batch_seq;
    model.running = Some(Running {
        id,
        op: pending.op,
        total: pending.pairs.len(),
        progress: Default::default(),
        cancelling: false,
        quit_after: false,
    });
    vec![Effect::RunBatch {
        id,
        op: pending.op,
        pairs: pending.pairs,
    }]
}

fn start_lookup(model: &mut Model, user: UserId) -> Vec<Effect> {
    model.lookup_req += 1;
    model.user = Some(UserSummary {
        id_shown: sanitize(user.as_str()).into_owned(),
        id: user.clone(),
        exists: None,
        nick: None,
        forbid_send: false,
        friends: None,
    });
    let keep_marks = model.list.owner.as_ref() == Some(&user);
    let list = &mut model.list;
    list.owner = Some(user.clone());
    list.rows.clear();
    list.view.clear();
    list.cursor = 0;
    list.scroll = 0;
    list.anchor = None;
    list.complete = false;
    list.loading = true;
    list.stale = false;
    if !keep_marks {
        list.marks.clear();
        list.filter.clear();
    }
    model.focus = Focus::Blocklist;
    vec![Effect::Lookup {
        req: model.lookup_req,
        user,
    }]
}

fn submit(model: &mut Model) -> Vec<Effect> {
    match std::mem::take(&mut model.overlay) {
        Overlay::Palette(input) => run_command(model, input.value()),
        Overlay::Filter(input) => {
            model.list.filter = input.value().to_owned();
            Vec::new()
        }
        Overlay::Export { input, what, .. } => {
            let path = input.value().trim().to_owned();
            match export_contents(model, what, &path) {
                Ok((contents, rows)) => vec![Effect::Export {
                    path,
                    contents,
                    rows,
                }],
                Err(error) => {
                    model.overlay = Overlay::Export {
                        input,
                        what,
                        error: Some(error),
                    };
                    Vec::new()
                }
            }
        }
        Overlay::BlockPrompt { input, .. } => {
            let text = input.value().to_owned();
            match parse_targets(model, &text) {
                Ok(pairs) => {
                    let owner = sanitize(pairs[0].from.as_str()).into_owned();
                    let title = format!("Block {} account(s) for {owner}", pairs.len());
                    ask(
                        model,
                        Operation::Block,
                        pairs,
                        title,
                        Some("blocking also removes any friendship between them, both ways".into()),
                    );
                }
                Err(error) => {
                    model.overlay = Overlay::BlockPrompt {
                        input,
                        error: Some(error),
                    };
                }
            }
            Vec::new()
        }
        Overlay::None if model.focus == Focus::Lookup => {
            let text = model.lookup.value().trim().to_owned();
            if text.is_empty() {
                return Vec::new();
            }
            match UserId::parse(&text) {
                Ok(user) => {
                    remember(model, &text);
                    model.lookup.reset();
                    start_lookup(model, user)
                }
                Err(e) => {
                    model.log(
                        Level::Error,
                        format!("{:?} is not a UserID: {e}", sanitize(&text)),
                    );
                    Vec::new()
                }
            }
        }
        other => {
            model.overlay = other;
            Vec::new()
        }
    }
}

/// Splits typed or pasted IDs (spaces, commas, new lines) and validates each for the looked-up user.
fn parse_targets(model: &Model, text: &str) -> Result<Vec<Pair>, String> {
    let Some(owner) = model.list.owner.clone() else {
        return Err("look a user up first".to_owned());
    };
    let mut pairs: Vec<Pair> = Vec::new();
    let mut problems = Vec::new();
    for (n, token) in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .enumerate()
    {
        match UserId::parse(token) {
            Ok(id) if id == owner => problems.push(format!(
                "#{} {}: that is the user themself",
                n + 1,
                sanitize(token)
            )),
            Ok(id) => {
                let pair = Pair::new(owner.clone(), id);
                if !pairs.contains(&pair) {
                    pairs.push(pair);
                }
            }
            Err(e) => problems.push(format!("#{} {}: {e}", n + 1, sanitize(token))),
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    if pairs.is_empty() {
        return Err("type or paste at least one UserID".to_owned());
    }
    Ok(pairs)
}

fn run_command(model: &mut Model, line: &str) -> Vec<Effect> {
    let mut words = line.split_whitespace();
    let command = words.next().unwrap_or_default();
    let rest: Vec<&str> = words.collect();
    match command {
        "" => Vec::new(),
        "q" | "quit" => act(model, Action::Quit),
        "user" | "u" => match rest.as_slice() {
            [id] => match UserId::parse(id) {
                Ok(user) => {
                    remember(model, id);
                    start_lookup(model, user)
                }
                Err(e) => {
                    model.log(Level::Error, format!(":user {}: {e}", sanitize(id)));
                    Vec::new()
                }
            },
            _ => {
                model.log(Level::Error, ":user takes one UserID, e.g. :user alice");
                Vec::new()
            }
        },
        "block" | "unblock" => {
            if model.read_only {
                model.log(
                    Level::Warning,
                    "read-only mode: blocklists cannot be changed",
                );
                return Vec::new();
            }
            let op = if command == "block" {
                Operation::Block
            } else {
                Operation::Unblock
            };
            match parse_targets(model, &rest.join(" ")) {
                Ok(pairs) => {
                    let owner = sanitize(pairs[0].from.as_str()).into_owned();
                    let title = format!("{} {} account(s) for {owner}", capital(op), pairs.len());
                    let warning = (op == Operation::Block).then(|| {
                        "blocking also removes any friendship between them, both ways".to_owned()
                    });
                    ask(model, op, pairs, title, warning);
                }
                Err(e) => model.log(Level::Error, format!(":{command}: {e}")),
            }
            Vec::new()
        }
        "inspect" | "i" => match rest.as_slice() {
            [a, b] => match (UserId::parse(a), UserId::parse(b)) {
                (Ok(a), Ok(b)) if a != b => start_inspect(model, a, b),
                (Ok(_), Ok(_)) => {
                    model.log(Level::Error, ":inspect needs two different users");
                    Vec::new()
                }
                (Err(e), _) | (_, Err(e)) => {
                    model.log(Level::Error, format!(":inspect: {e}"));
                    Vec::new()
                }
            },
            _ => {
                model.log(
                    Level::Error,
                    ":inspect takes two UserIDs, e.g. :inspect alice bob",
                );
                Vec::new()
            }
        },
        "blockers" | "who" => {
            let Some(target) = model.list.owner.clone() else {
                model.log(
                    Level::Warning,
                    "look a user up first: :blockers asks who blocks them",
                );
                return Vec::new();
            };
            let listed: Vec<UserId> = model.list.rows.iter().map(|r| r.to.clone()).collect();
            let (candidates, source) = match rest.as_slice() {
                [] => (
                    Candidates::FriendsAnd(listed.clone()),
                    format!("{} listed users and the user's friends", listed.len()),
                ),
                ["friends"] => (
                    Candidates::FriendsAnd(Vec::new()),
                    "the user's friends".to_owned(),
                ),
                ["listed"] => (
                    Candidates::Ids(listed.clone()),
                    format!("the {} listed users", listed.len()),
                ),
                ["file", path] => (
                    Candidates::File((*path).into()),
                    format!("the IDs in {}", sanitize(path)),
                ),
                ids => {
                    let mut parsed = Vec::new();
                    for id in ids {
                        match UserId::parse(id) {
                            Ok(id) => parsed.push(id),
                            Err(e) => {
                                model.log(Level::Error, format!(":blockers {}: {e}", sanitize(id)));
                                return Vec::new();
                            }
                        }
                    }
                    let n = parsed.len();
                    (Candidates::Ids(parsed), format!("{n} given IDs"))
                }
            };
            start_blockers(model, target, candidates, source)
        }
        "watch" => match rest.as_slice() {
            [] | ["on"] => match model.list.owner.clone() {
                Some(user) => {
                    model.watching = true;
                    model.log(
                        Level::Info,
                        format!(
                            "watching {}: the list refreshes when it changes",
                            sanitize(user.as_str())
                        ),
                    );
                    vec![Effect::Watch(Some(user))]
                }
                None => {
                    model.log(
                        Level::Warning,
                        "look a user up first: :watch follows their list",
                    );
                    Vec::new()
                }
            },
            ["off"] => {
                model.watching = false;
                model.log(Level::Info, "watch mode off");
                vec![Effect::Watch(None)]
            }
            _ => {
                model.log(Level::Error, ":watch takes on or off");
                Vec::new()
            }
        },
        "export" => {
            let what = if model.focus == Focus::Feed {
                ExportWhat::Feed
            } else {
                ExportWhat::List
            };
            let path = rest.join(" ");
            let path = if path.is_empty() {
                default_export_name(model, what)
            } else {
                path
            };
            match export_contents(model, what, &path) {
                Ok((contents, rows)) => vec![Effect::Export {
                    path,
                    contents,
                    rows,
                }],
                Err(e) => {
                    model.log(Level::Error, format!(":export: {e}"));
                    Vec::new()
                }
            }
        }
        other => {
            model.log(
                Level::Error,
                format!(
                    "unknown command :{}; try :user ID, :block ID…, :unblock ID…, :inspect A B, :blockers, :watch, :export or :q",
                    sanitize(other)
                ),
            );
            Vec::new()
        }
    }
}

fn capital(op: Operation) -> &'static str {
    match op {
        Operation::Block => "Block",
        Operation::Unblock => "Unblock",
        Operation::Check { .. } => "Check",
    }
}

/// Adds a looked-up ID to the history (once, most recent last).
fn remember(model: &mut Model, text: &str) {
    model.history.retain(|h| h != text);
    model.history.push(text.to_owned());
    if model.history.len() > super::model::HISTORY_KEEP {
        model.history.remove(0);
    }
    model.history_pos = None;
}

fn browse_history(model: &mut Model, back: bool) {
    if model.history.is_empty() {
        return;
    }
    let last = model.history.len() - 1;
    let pos = match (model.history_pos, back) {
        (None, true) => Some(last),
        // Nothing recalled: ↓ leaves the typed text alone.
        (None, false) => return,
        (Some(p), true) => Some(p.saturating_sub(1)),
        (Some(p), false) if p < last => Some(p + 1),
        (Some(_), false) => None,
    };
    model.history_pos = pos;
    model.lookup = Input::new(pos.map(|p| model.history[p].clone()).unwrap_or_default());
}

fn move_cursor(model: &mut Model, action: Action) {
    if model.focus == Focus::Feed {
        let rows = model.feed_rows();
        let max = model.feed.lines.len().saturating_sub(rows);
        model.feed.scroll = match action {
            Action::Up => model.feed.scroll + 1,
            Action::Down => model.feed.scroll.saturating_sub(1),
            Action::PageUp => model.feed.scroll + rows,
            Action::PageDown => model.feed.scroll.saturating_sub(rows),
            Action::Top => max,
            _ => 0,
        }
        .min(max);
        return;
    }
    if model.focus == Focus::Activity {
        let max = model
            .activity
            .len()
            .saturating_sub(model.bands().activity_rows());
        let step = model.bands().activity_rows();
        model.activity_scroll = match action {
            Action::Up => model.activity_scroll + 1,
            Action::Down => model.activity_scroll.saturating_sub(1),
            Action::PageUp => model.activity_scroll + step,
            Action::PageDown => model.activity_scroll.saturating_sub(step),
            Action::Top => max,
            _ => 0,
        }
        .min(max);
        return;
    }
    let rows = model.bands().table_rows();
    let list = &mut model.list;
    let last = list.view.len().saturating_sub(1);
    list.cursor = match action {
        Action::Up => list.cursor.saturating_sub(1),
        Action::Down => (list.cursor + 1).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageUp => list.cursor.saturating_sub(rows),
        Action::PageDown => (list.cursor + rows).min(last),
        _ => list.cursor,
    };
    fix_scroll(model);
}

/// Keeps `list.scroll` within the cursor's page and the cursor on screen.
fn fix_scroll(model: &mut Model) {
    let rows = model.bands().table_rows();
    let list = &mut model.list;
    list.cursor = list.cursor.min(list.view.len().saturating_sub(1));
    let page = list.page_range();
    let mut scroll = list.scroll.clamp(page.start, page.end.max(page.start));
    if list.cursor < scroll || list.cursor >= scroll + rows {
        // Leaving the window scrolls it by half a window, not one row: moving on rewrites the whole
        // table once per half window instead of on every key, which over a slow SSH link is most
        // of the bytes sent.
        let last_start = page.end.saturating_sub(rows).max(page.start);
        scroll = list
            .cursor
            .saturating_sub(rows / 2)
            .clamp(page.start, last_start);
        if list.cursor < scroll {
            scroll = list.cursor;
        } else if list.cursor >= scroll + rows {
            scroll = list.cursor + 1 - rows;
        }
    }
    list.scroll = scroll.max(page.start);
}

fn on_account(model: &mut Model, info: AccountFacts) -> Vec<Effect> {
    if let Some(user) = model.user.as_mut() {
        user.exists = Some(info.exists);
        user.nick = info.nick.as_deref().map(|n| sanitize(n).into_owned());
        user.forbid_send = info.forbid_send;
        user.friends = info.friends;
        if !info.exists {
            let id = user.id_shown.clone();
            model.log(Level::Warning, format!("{id} does not exist in this app"));
        }
    }
    Vec::new()
}

fn on_page(
    model: &mut Model,
    entries: Vec<(String, u64)>,
    last: bool,
    sequence: u64,
) -> Vec<Effect> {
    let mut skipped = 0;
    for (id, added) in entries {
        match UserId::parse(&id) {
            Ok(to) => model.list.rows.push(Row::new(to, added)),
            Err(_) => skipped += 1,
        }
    }
    if skipped > 0 {
        model.log(
            Level::Warning,
            format!("{skipped} entr(ies) with an ID blockdeck cannot act on were left out"),
        );
    }
    model.list.loading = !last;
    model.list.complete = last;
    model.list.sequence = sequence;
    model.list.rebuild_view();
    fix_scroll(model);
    if last && let Some(owner) = model.list.owner.as_ref() {
        let text = format!(
            "{} blocks {} account(s)",
            sanitize(owner.as_str()),
            model.list.rows.len()
        );
        model.log(Level::Info, text);
    }
    Vec::new()
}

fn on_nicks(model: &mut Model, nicks: Vec<(String, String)>) -> Vec<Effect> {
    let map: std::collections::HashMap<String, String> = nicks.into_iter().collect();
    for row in &mut model.list.rows {
        if let Some(nick) = map.get(row.to.as_str()) {
            row.nick = Some(sanitize(nick).into_owned());
            row.nick_raw = Some(nick.clone());
        }
    }
    if !model.list.filter.is_empty() {
        model.list.rebuild_view();
        fix_scroll(model);
    }
    Vec::new()
}

fn on_batch_done(model: &mut Model, report: &Report, journal: Option<String>) -> Vec<Effect> {
    let quit_after = model.running.take().is_some_and(|r| r.quit_after);
    let outcome = outcome_of(report, journal);
    let verb = outcome.op.verb();
    let level = match (&report.end, outcome.failed_count()) {
        (BatchEnd::Completed, 0) => Level::Success,
        (BatchEnd::Completed, _) => Level::Warning,
        _ => Level::Error,
    };
    model.log(
        level,
        format!(
            "{verb}: {} done, {} already so, {} failed, {} unfinished — {}{}",
            outcome.done.len(),
            outcome.already,
            outcome.failed_count(),
            outcome.unfinished.len(),
            outcome.end,
            outcome
                .journal_batch
                .as_ref()
                .map(|b| format!(" (batch {})", sanitize(b)))
                .unwrap_or_default()
        ),
    );
    for group in &outcome.failures {
        for (_, pair, info) in &group.items {
            let text = format!("{pair}: error {} — {} ({info})", group.code, group.meaning);
            model.log(Level::Error, text);
        }
    }
    model.last = Some(outcome);
    if quit_after {
        return quit_now(model);
    }
    if matches!(model.overlay, Overlay::None) {
        model.overlay = Overlay::Result;
    }
    Vec::new()
}

fn outcome_of(report: &Report, journal: Option<String>) -> BatchOutcome {
    let mut done = Vec::new();
    let mut already = 0;
    let mut unfinished = Vec::new();
    let mut groups: Vec<FailureGroup> = Vec::new();
    for item in &report.items {
        match &item.status {
            ItemStatus::Done => done.push(item.pair.clone()),
            ItemStatus::Already | ItemStatus::Relation { .. } => already += 1,
            ItemStatus::Unfinished => unfinished.push(item.pair.clone()),
            ItemStatus::Failed { code, info } => {
                let entry = (
                    item.pair.clone(),
                    item.pair.to_string(),
                    sanitize(info).into_owned(),
                );
                match groups.iter_mut().find(|g| g.code == *code) {
                    Some(g) => g.items.push(entry),
                    None => groups.push(FailureGroup {
                        code: *code,
                        meaning: codes::lookup(*code).meaning,
                        items: vec![entry],
                    }),
                }
            }
        }
    }
    groups.sort_by_key(|g| g.code);
    let end = match &report.end {
        BatchEnd::Completed => "completed".to_owned(),
        BatchEnd::Cancelled => "cancelled".to_owned(),
        BatchEnd::Stopped { reason, .. } => sanitize(reason).into_owned(),
    };
    BatchOutcome {
        op: report.operation,
        total: report.items.len(),
        done,
        already,
        failures: groups,
        unfinished,
        end,
        journal_batch: journal,
        elapsed: report.elapsed,
        calls: report.calls,
        items: report.items.clone(),
    }
}

fn start_inspect(model: &mut Model, a: UserId, b: UserId) -> Vec<Effect> {
    model.side_req += 1;
    let req = model.side_req;
    model.overlay = Overlay::Inspector(Inspector {
        req,
        a: a.clone(),
        b: b.clone(),
        result: None,
    });
    vec![Effect::Inspect { req, a, b }]
}

fn start_blockers(
    model: &mut Model,
    target: UserId,
    candidates: Candidates,
    source: String,
) -> Vec<Effect> {
    model.side_req += 1;
    let req = model.side_req;
    model.overlay = Overlay::Blockers(Blockers {
        req,
        target: target.clone(),
        source,
        checked: 0,
        total: 0,
        calls_per_sec: 0.0,
        found: Vec::new(),
        failed: Vec::new(),
        done: false,
        error: None,
    });
    vec![Effect::FindBlockers {
        req,
        target,
        candidates,
    }]
}

/// The inspector's answer in screen form: everything sanitized, the rules applied.
fn inspection_of(rel: &crate::inspect::Relationship) -> Inspection {
    let c = crate::inspect::consequences(rel);
    let verdict = |v: &crate::inspect::Verdict| VerdictLine {
        allowed: v.allowed,
        why: sanitize(&v.why).into_owned(),
    };
    let (a, b) = (
        sanitize(rel.a.as_str()).into_owned(),
        sanitize(rel.b.as_str()).into_owned(),
    );
    let friendship = match (rel.a_has_b, rel.b_has_a) {
        (true, true) => "mutual friends".to_owned(),
        (true, false) => format!("{a} has {b} as a friend (one way)"),
        (false, true) => format!("{b} has {a} as a friend (one way)"),
        (false, false) => "not friends".to_owned(),
    };
    Inspection {
        a_nick: rel.a_nick.as_deref().map(|n| sanitize(n).into_owned()),
        b_nick: rel.b_nick.as_deref().map(|n| sanitize(n).into_owned()),
        a_shown: a,
        b_shown: b,
        a_exists: rel.a_exists,
        b_exists: rel.b_exists,
        a_blocks_b: rel.a_blocks_b,
        b_blocks_a: rel.b_blocks_a,
        friendship,
        a_messages_b: verdict(&c.a_messages_b),
        b_messages_a: verdict(&c.b_messages_a),
        a_requests_b: verdict(&c.a_requests_b),
        b_requests_a: verdict(&c.b_requests_a),
        notes: c.notes.iter().map(|n| sanitize(n).into_owned()).collect(),
    }
}

fn on_feed(model: &mut Model, event: crate::feed::FeedEvent) {
    let verb = event.kind.past_tense();
    let burst = model
        .feed
        .flagged
        .iter()
        .any(|f| f == &event.from || f == &event.to);
    let line = FeedLine {
        time: crate::display::utc(event.received)[11..19].to_owned(),
        verb,
        from: sanitize(&event.from).into_owned(),
        to: sanitize(&event.to).into_owned(),
        platform: sanitize(&event.platform).into_owned(),
        burst,
        raw: (event.from.clone(), event.to.clone(), event.received),
    };
    model.feed.lines.push(line);
    if model.feed.lines.len() > FEED_KEEP {
        let extra = model.feed.lines.len() - FEED_KEEP;
        model.feed.lines.drain(..extra);
    }
    // A change to the list on screen, made elsewhere: refresh it when nothing of ours is running.
    let ours = model.list.owner.as_ref().map(UserId::as_str) == Some(event.from.as_str());
    // Changes the table already shows (our own batches, echoed by the webhooks) are not news.
    let listed = model.list.rows.iter().any(|r| r.to.as_str() == event.to);
    let news = match event.kind {
        crate::feed::ChangeKind::Block => !listed,
        crate::feed::ChangeKind::Unblock => listed,
    };
    if ours && news && model.running.is_none() && !model.list.stale {
        model.list.stale = true;
        model.log(
            Level::Info,
            format!(
                "{}'s list was changed elsewhere ({verb} {}…): r refreshes it",
                sanitize(&event.from),
                sanitize(&event.to)
            ),
        );
    }
}

/// A file name for an export: what, whose, when.
fn default_export_name(model: &Model, what: ExportWhat) -> String {
    let stamp = crate::display::utc(model.now)
        .replace([' ', ':'], "")
        .replace('-', "");
    let stamp = stamp.trim_end_matches('Z');
    let whose = model
        .list
        .owner
        .as_ref()
        .map(|o| {
            o.as_str()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .unwrap_or_else(|| "blockdeck".to_owned());
    let kind = match what {
        ExportWhat::List => "blocklist",
        ExportWhat::Batch => "batch",
        ExportWhat::Feed => "feed",
        ExportWhat::Blockers => "blockers",
    };
    format!("{whose}-{kind}-{stamp}.csv")
}

/// The export as CSV or JSON Lines, chosen by the file's extension, with its row count: the same
/// columns as the CLI's for the same data (values raw: data, not screen text).
fn export_contents(model: &Model, what: ExportWhat, path: &str) -> Result<(String, usize), String> {
    use crate::export;
    let format = export::Format::for_path(path)?;
    Ok(match what {
        ExportWhat::List => {
            let owner = model
                .list
                .owner
                .as_ref()
                .map(UserId::as_str)
                .unwrap_or_default();
            let rows = model.list.view.iter().map(|&i| {
                let r = &model.list.rows[i];
                let nick = r.nick_raw.as_deref();
                export::list_row(owner, r.to.as_str(), nick, r.added)
            });
            export::render(format, export::LIST, rows)
        }
        ExportWhat::Batch => {
            let last = model.last.as_ref().ok_or("no batch has run yet")?;
            let batch = last.journal_batch.as_deref();
            let rows = last.items.iter().map(|item| export::item_row(item, batch));
            export::render(format, export::ITEMS, rows)
        }
        ExportWhat::Feed => {
            let rows = model
                .feed
                .lines
                .iter()
                .map(|l| export::feed_row(l.raw.2, l.verb, &l.raw.0, &l.raw.1, &l.platform));
            export::render(format, export::FEED, rows)
        }
        ExportWhat::Blockers => {
            let Some(view) = &model.last_blockers else {
                return Err("no reverse lookup has finished yet".to_owned());
            };
            let target = view.target.as_str();
            let rows = view
                .found
                .iter()
                .map(|(b, m)| export::blocker_row(target, b.as_str(), *m))
                .chain(view.failed.iter().map(|(c, code, info)| {
                    export::failed_candidate_row(target, c.as_str(), *code, info)
                }));
            export::render(format, export::BLOCKERS, rows)
        }
    })
}
