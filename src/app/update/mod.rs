//! `update(&mut Model, Msg) -> Vec<Effect>`: every change of the dashboard's state happens here,
//! one file per area.
//!
//! A key becomes a [`Command`] through the command table, and so does a `:` line; both go
//! through [`run`], which asks the table's availability rule first, so a key and its command
//! line twin behave alike and a refusal always says why. Keys typed into the lookup line, the
//! filter, the command line or a prompt are text. Destructive actions become a
//! [`PendingAction`](super::model::PendingAction) shown for `y`/`n` before any effect is
//! produced, and every effect leaves through [`gate`], the last line that read-only mode holds.

mod back;
mod batch;
mod blockers;
mod copy;
mod export;
mod feed;
mod history;
mod inspector;
mod journal;
mod lookup;
mod mouse;
mod palette;
mod rates;
mod table;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::backend::crossterm::EventHandler;

use super::command::{self, Command, Context, Invocation};
use super::model::{Focus, Level, Model, Overlay, Scroll};
use super::msg::{Effect, Msg};

/// Applies one message and returns what the worker must do.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let before = std::mem::discriminant(&model.overlay);
    let mut effects = on_msg(model, msg);
    // Whatever happened, the block rates read when they are due (the clock moved, another
    // account was looked up, the store turned up).
    effects.extend(rates::due(model));
    // A window that opened now starts its arming time.
    if std::mem::discriminant(&model.overlay) != before {
        model.overlay_since = model.ms;
    }
    gate(model, effects)
}

fn on_msg(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(model, key),
        Msg::KeyBurst(keys) => on_burst(model, keys),
        Msg::Clock(ms) => {
            model.ms = ms;
            Vec::new()
        }
        Msg::Paste(text) => on_paste(model, &text),
        Msg::Mouse(event) => mouse::on_mouse(model, event),
        Msg::Resize(w, h) => {
            model.width = w;
            model.height = h;
            table::follow(model);
            journal::follow(model);
            Vec::new()
        }
        Msg::Tick(now) => {
            model.now = now;
            Vec::new()
        }
        msg @ (Msg::Account { .. }
        | Msg::Page { .. }
        | Msg::Nicks { .. }
        | Msg::LookupFailed { .. }) => lookup::on_msg(model, msg),
        msg @ (Msg::BatchProgress { .. }
        | Msg::BatchItem { .. }
        | Msg::BatchDone { .. }
        | Msg::BatchFailed { .. }
        | Msg::Checked { .. }
        | Msg::Incomplete(_)) => batch::on_msg(model, msg),
        // The screen is up: what the journal holds unfinished is worth saying now, and the
        // block rates are read from here on.
        Msg::Started => {
            rates::start(model);
            vec![Effect::ScanJournal]
        }
        Msg::History { req, result } => history::on_msg(model, req, result),
        Msg::BlockRate { req, result } => rates::on_msg(model, req, result),
        Msg::Inspected { req, result } => inspector::on_result(model, req, result),
        msg @ (Msg::Blockers { .. } | Msg::BlockersDone { .. } | Msg::BlockerNicks { .. }) => {
            blockers::on_msg(model, msg)
        }
        msg @ (Msg::FeedChange(_)
        | Msg::FeedRejected { .. }
        | Msg::Burst(_)
        | Msg::FeedSource(_)
        | Msg::TeamBatch { .. }
        | Msg::WatchFailed { .. }
        | Msg::ListChanged { .. }) => feed::on_msg(model, msg),
        msg @ (Msg::Journal { .. } | Msg::JournalBatch { .. }) => journal::on_msg(model, msg),
        Msg::Exported { path, result } => export::on_result(model, &path, result),
        Msg::Note(text) => {
            model.log(Level::Info, crate::display::sanitize(&text).into_owned());
            vec![]
        }
        Msg::Warning(text) => {
            model.log(
                Level::Warning,
                format!("warning: {}", crate::display::sanitize(&text)),
            );
            vec![]
        }
    }
}

/// The one place effects leave `update`: in read-only mode nothing that changes a blocklist
/// passes, whatever asked for it.
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

/// The key contexts in force, most specific first.
pub fn contexts(model: &Model) -> Vec<Context> {
    // Over a popup, the popup's keys come first; Ctrl-C still cancels a running batch.
    let popup = match &model.overlay {
        Overlay::Confirm(p) if p.typing.is_some() => Some(vec![Context::Typing]),
        Overlay::Confirm(_) | Overlay::QuitConfirm => Some(vec![Context::Confirm]),
        Overlay::Result => Some(vec![Context::Summary]),
        Overlay::Help(_) => Some(vec![Context::Help]),
        Overlay::Palette(_) => Some(vec![Context::Palette]),
        Overlay::Filter(_) | Overlay::BlockPrompt { .. } | Overlay::Export { .. } => {
            Some(vec![Context::Typing])
        }
        Overlay::Inspector(_) => Some(vec![Context::Inspector]),
        Overlay::Entry(_) => Some(vec![Context::Entry]),
        Overlay::History(_) => Some(vec![Context::History]),
        Overlay::None => None,
    };
    let running = model.running.is_some();
    if let Some(mut ctx) = popup {
        if running {
            ctx.push(Context::Running);
        }
        return ctx;
    }
    // The journal view covers the panes: its keys, and Ctrl-C for a running batch.
    if let Some(view) = &model.journal {
        let mut ctx = vec![if view.items.is_some() {
            Context::JournalItems
        } else {
            Context::Journal
        }];
        if running {
            ctx.push(Context::Running);
        }
        return ctx;
    }
    let mut ctx = Vec::with_capacity(4);
    if running {
        ctx.push(Context::Running);
    }
    match model.focus {
        Focus::Lookup if model.lookup.value().is_empty() => {
            ctx.extend([Context::Lookup, Context::LookupEmpty]);
        }
        Focus::Lookup => ctx.push(Context::Lookup),
        Focus::Blocklist => ctx.push(Context::Table),
        Focus::Activity => ctx.push(Context::Activity),
        Focus::Feed => ctx.push(Context::Feed),
    }
    ctx.push(Context::Global);
    ctx
}

fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    model.notice = None;
    // Below the smallest usable size nothing is on screen to act on: only quitting works.
    if !model.fits() {
        let quit = key.code == KeyCode::Char('q')
            || (key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL));
        return if quit {
            run(model, Invocation::key(Command::Quit))
        } else {
            Vec::new()
        };
    }
    match command::resolve(&model.keymap, &contexts(model), &key) {
        Some(command) => run(model, Invocation::key(command)),
        None => {
            type_key(model, key);
            Vec::new()
        }
    }
}

/// Where keys of a burst go.
enum BurstTarget {
    /// A question (`y`/`n`): keys that came together never answer it.
    Question,
    /// A line being typed: they are text, and an Enter in them does not submit.
    Line,
    /// Anything else: they act as keys.
    Keys,
}

fn burst_target(model: &Model) -> BurstTarget {
    match &model.overlay {
        Overlay::Confirm(p) if p.typing.is_some() => BurstTarget::Line,
        Overlay::Confirm(_) | Overlay::QuitConfirm => BurstTarget::Question,
        Overlay::Palette(_)
        | Overlay::Filter(_)
        | Overlay::BlockPrompt { .. }
        | Overlay::Export { .. } => BurstTarget::Line,
        Overlay::None if model.focus == Focus::Lookup && model.journal.is_none() => {
            BurstTarget::Line
        }
        _ => BurstTarget::Keys,
    }
}

/// Keys that arrived together (a paste without bracketed paste, type-ahead): into a line they are
/// text, lines joined with spaces as a bracketed paste would be, and nothing is submitted; on a
/// question they are dropped (a person answers it, a paste does not); elsewhere they act as keys,
/// so that a burst can open a line or a question and then only type into it or be dropped.
fn on_burst(model: &mut Model, keys: Vec<KeyEvent>) -> Vec<Effect> {
    let mut effects = Vec::new();
    let mut dropped = 0;
    for key in keys {
        match burst_target(model) {
            BurstTarget::Question => dropped += 1,
            BurstTarget::Line => {
                let key = match key.code {
                    KeyCode::Enter | KeyCode::Tab => {
                        KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE)
                    }
                    _ => key,
                };
                type_key(model, key);
            }
            BurstTarget::Keys => effects.extend(on_key(model, key)),
        }
    }
    if dropped > 0 {
        model.notice = Some(format!(
            "{dropped} key(s) that came in together (a paste, or type-ahead) were not taken as an \
             answer: press y or n"
        ));
    }
    effects
}

/// A key that is no command: text for whichever line is being typed.
fn type_key(model: &mut Model, key: KeyEvent) {
    let event = Event::Key(key);
    let changed = match &mut model.overlay {
        Overlay::Palette(line) => {
            let changed = line.input.handle_event(&event).is_some();
            if changed {
                line.error = None;
                line.completion = None;
            }
            false
        }
        Overlay::BlockPrompt { input, error } | Overlay::Export { input, error, .. } => {
            if input.handle_event(&event).is_some() {
                *error = None;
            }
            false
        }
        Overlay::Filter(input) => input.handle_event(&event).is_some(),
        Overlay::Confirm(pending) => {
            batch::type_into(pending, &event);
            false
        }
        Overlay::None if model.focus == Focus::Lookup && model.journal.is_none() => {
            if model.lookup.handle_event(&event).is_some() {
                model.history_pos = None;
            }
            false
        }
        _ => false,
    };
    if changed {
        table::filter_typed(model);
    }
}

/// Types `text` into `input`, character by character.
fn insert(input: &mut tui_input::Input, text: &str) {
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
        Overlay::Palette(line) => {
            insert(&mut line.input, &flat);
            line.error = None;
            line.completion = None;
        }
        Overlay::BlockPrompt { input, error } | Overlay::Export { input, error, .. } => {
            insert(input, &flat);
            *error = None;
        }
        Overlay::Filter(input) => {
            insert(input, &flat);
            table::filter_typed(model);
        }
        // The journal view covers the panes: nothing beneath it takes a paste.
        Overlay::None if model.journal.is_some() => {}
        Overlay::None if model.focus == Focus::Lookup => {
            insert(&mut model.lookup, flat.trim());
            model.history_pos = None;
        }
        // A list of IDs pasted onto the table opens the block prompt with them (or says why not).
        Overlay::None if model.focus == Focus::Blocklist => {
            match command::availability(model, &Invocation::key(Command::Block)) {
                Ok(()) => batch::block_prompt(model, flat.trim()),
                Err(why) => refuse(model, Command::Block, &why),
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Runs a command if the table's rule allows it now; else says why, in the activity log and on
/// the bottom line.
pub(super) fn run(model: &mut Model, inv: Invocation) -> Vec<Effect> {
    match command::availability(model, &inv) {
        Ok(()) => dispatch(model, inv),
        Err(why) => {
            refuse(model, inv.command, &why);
            Vec::new()
        }
    }
}

/// Says why `command` cannot run now.
fn refuse(model: &mut Model, command: Command, why: &str) {
    let spec = command.spec();
    let asked = match (model.keymap.label(command), &spec.palette) {
        (Some(key), _) => format!("{key} {}", spec.short),
        (None, Some(p)) => format!(":{}", p.name),
        (None, None) => spec.short.to_owned(),
    };
    model.notice = Some(format!("{asked}: {why}"));
    model.log(Level::Warning, why);
}

/// Carries out a command that the rule allowed.
pub(super) fn dispatch(model: &mut Model, inv: Invocation) -> Vec<Effect> {
    use Command::*;
    let Invocation { command, args } = inv;
    // Over the journal view, these act on the journal.
    if journal::owns(model, command) {
        return match command {
            Refresh => journal::refresh(model),
            Sort => {
                journal::sort(model);
                Vec::new()
            }
            Filter => {
                let text = match args {
                    command::Args::Text(text) => Some(text),
                    _ => None,
                };
                journal::filter(model, text);
                Vec::new()
            }
            _ => journal::open_items(model),
        };
    }
    match command {
        Quit | Interrupt => batch::quit(model),
        CancelBatch => batch::cancel(model),
        Yes => batch::yes(model),
        No => batch::no(model),
        Reason => batch::edit_reason(model),
        NameProtected => batch::name_protected(model),
        Unblock => batch::unblock(model, args),
        Block => batch::block(model, args),
        RetryFailed => batch::retry(model),
        Undo => batch::undo(model),
        Resume => batch::resume(model, args),
        ShowResult => show(model, Overlay::Result),
        FocusNext | FocusPrev => table::focus(model, command),
        Up | Down | Top | Bottom | PageUp | PageDown | HalfPageUp | HalfPageDown => {
            table::motion(model, command)
        }
        NextPage | PrevPage => table::page(model, command),
        Mark | MarkRange | MarkAll | ClearMarks => table::marks(model, command),
        Sort => table::sort(model),
        Filter => table::filter(model, args),
        Help => show(model, Overlay::Help(Scroll::default())),
        Palette => palette::open(model, ""),
        Complete => palette::complete(model),
        Submit => submit(model),
        Open => table::open(model),
        LookUpLine => history::look_up(model),
        CancelLine => cancel_line(model),
        Close => close(model),
        HistoryPrev if matches!(model.overlay, Overlay::Filter(_)) => table::recall_filter(model),
        HistoryPrev | HistoryNext => lookup::history(model, command == HistoryPrev),
        Lookup => {
            // A user looked up from the journal's command line is shown: the journal closes.
            model.journal = None;
            lookup::user(model, args)
        }
        Journal => journal::open(model),
        UndoBatch => batch::undo_batch(model),
        Refresh if matches!(model.overlay, Overlay::History(_)) => history::refresh(model),
        Refresh => lookup::refresh(model),
        Inspect => inspector::open(model, args),
        UnblockAB | UnblockBA => inspector::unblock(model, command),
        FindBlockers => blockers::start(model, args),
        Watch => feed::watch(model, args),
        Export => export::open(model, args),
        ShowHistory => history::open(model, args),
        ClearFilter => feed::clear_filter(model),
        OpenRow => back::open_row(model),
        Back => back::back(model),
        Copy => copy::copy(model),
    }
}

fn show(model: &mut Model, overlay: Overlay) -> Vec<Effect> {
    model.overlay = overlay;
    Vec::new()
}

/// Enter on whichever line is being typed.
fn submit(model: &mut Model) -> Vec<Effect> {
    match std::mem::take(&mut model.overlay) {
        Overlay::Palette(line) => palette::submit(model, line),
        Overlay::Filter(input) => table::keep_filter(model, input.value()),
        Overlay::Export { input, what, .. } => export::submit(model, input, what),
        Overlay::BlockPrompt { input, .. } => batch::submit_prompt(model, input),
        Overlay::Confirm(pending) if pending.typing.is_some() => batch::submit_line(model, pending),
        Overlay::None if model.focus == Focus::Lookup => lookup::submit(model),
        other => show(model, other),
    }
}

/// Esc on a line: leave it (the filter typed so far is cleared).
fn cancel_line(model: &mut Model) -> Vec<Effect> {
    match std::mem::take(&mut model.overlay) {
        Overlay::Filter(_) => table::clear_filter(model),
        // The confirmation stays; its line is left (a reason typed so far is kept).
        Overlay::Confirm(mut pending) => {
            pending.typing = None;
            model.overlay = Overlay::Confirm(pending);
        }
        _ => {}
    }
    Vec::new()
}

/// Closes the window on top (a reverse lookup still running stops).
fn close(model: &mut Model) -> Vec<Effect> {
    match std::mem::take(&mut model.overlay) {
        Overlay::History(view) => history::close(model, view),
        Overlay::None => journal::close(model),
        _ => Vec::new(),
    }
}
