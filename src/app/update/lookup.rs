//! Looking a user up: the lookup line and its history, `:user`, `r`, and the lookup's answers as
//! they stream in (the account's facts, pages of the blocklist, nicknames).

use tui_input::Input;

use super::super::command::{self, Args, Invocation};
use super::super::model::{Focus, HISTORY_KEEP, Level, LoadFailure, Model, Row, UserSummary};
use super::super::msg::{Effect, Msg};
use super::super::palette;
use crate::client::failure::Failure;
use crate::client::ops::AccountFacts;
use crate::display::sanitize;
use crate::tim::ids::UserId;

pub(super) fn on_msg(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Account { req, info } if req == model.lookup_req => on_account(model, info),
        Msg::Page {
            req,
            entries,
            last,
            sequence,
        } if req == model.lookup_req => on_page(model, entries, last, sequence),
        Msg::Nicks { req, nicks } if req == model.lookup_req => on_nicks(model, nicks),
        Msg::LookupFailed { req, error } if req == model.lookup_req => on_failed(model, &error),
        // An answer to an older lookup: dropped.
        _ => {}
    }
    Vec::new()
}

/// Starts looking `user` up: the table empties (marks and filter stay for the same user) and
/// gets the focus, so that marking can start at once.
pub(super) fn start(model: &mut Model, user: UserId) -> Vec<Effect> {
    super::rates::looked_up(model, &user);
    model.lookup_req += 1;
    model.lookup_since = Some(model.ms);
    model.user = Some(UserSummary::looking_up(user.clone()));
    model.list.reset(user.clone());
    model.focus = Focus::Blocklist;
    vec![Effect::Lookup {
        req: model.lookup_req,
        user,
    }]
}

/// `:user ID`.
pub(super) fn user(model: &mut Model, args: Args) -> Vec<Effect> {
    match args {
        Args::Users(ids) if ids.len() == 1 => {
            let user = ids.into_iter().next().expect("one ID");
            remember(model, user.as_str());
            let mut effects = super::back::new_root(model);
            effects.extend(start(model, user));
            effects
        }
        _ => Vec::new(),
    }
}

/// `user` looked up from elsewhere than the lookup line (the history's Enter), remembered as if
/// typed there.
pub(super) fn look_up(model: &mut Model, user: UserId) -> Vec<Effect> {
    remember(model, user.as_str());
    start(model, user)
}

/// `r`: the same user again (a table of blockers: the reverse lookup again).
pub(super) fn refresh(model: &mut Model) -> Vec<Effect> {
    if model.list.kind == super::super::model::ListKind::Blockers {
        return super::blockers::start(model, Args::None);
    }
    match model.list.owner.clone() {
        Some(owner) => start(model, owner),
        None => Vec::new(),
    }
}

/// Enter on the lookup line: a UserID is looked up; a line starting with `:` is a command.
pub(super) fn submit(model: &mut Model) -> Vec<Effect> {
    let text = model.lookup.value().trim().to_owned();
    if let Some(line) = text.strip_prefix(':') {
        model.lookup.reset();
        return match palette::parse_with(line, &model.keymap) {
            Ok(inv) => run_typed(model, line, inv),
            Err(error) => super::palette::reopen(model, line, error),
        };
    }
    if text.is_empty() {
        return Vec::new();
    }
    match UserId::parse(&text) {
        Ok(user) => {
            remember(model, &text);
            model.lookup.reset();
            let mut effects = super::back::new_root(model);
            effects.extend(start(model, user));
            effects
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

/// A command typed on the lookup line: run like the command line's, or back on it with why not.
fn run_typed(model: &mut Model, line: &str, inv: Invocation) -> Vec<Effect> {
    match command::availability(model, &inv) {
        Ok(()) => super::dispatch(model, inv),
        Err(why) => {
            model.log(Level::Warning, why.clone());
            super::palette::reopen(model, line, why)
        }
    }
}

/// Adds a looked-up ID to the history (once, most recent last).
fn remember(model: &mut Model, text: &str) {
    if model.history.last().is_none_or(|h| h != text) {
        model.history_rev += 1;
    }
    model.history.retain(|h| h != text);
    model.history.push(text.to_owned());
    if model.history.len() > HISTORY_KEEP {
        model.history.remove(0);
    }
    model.history_pos = None;
}

/// ↑/↓ on the lookup line.
pub(super) fn history(model: &mut Model, back: bool) -> Vec<Effect> {
    if model.history.is_empty() {
        return Vec::new();
    }
    let last = model.history.len() - 1;
    let pos = match (model.history_pos, back) {
        (None, true) => Some(last),
        // Nothing recalled: ↓ leaves the typed text alone.
        (None, false) => return Vec::new(),
        (Some(p), true) => Some(p.saturating_sub(1)),
        (Some(p), false) if p < last => Some(p + 1),
        (Some(_), false) => None,
    };
    model.history_pos = pos;
    model.lookup = Input::new(pos.map(|p| model.history[p].clone()).unwrap_or_default());
    Vec::new()
}

fn on_account(model: &mut Model, info: AccountFacts) {
    let Some(user) = model.user.as_mut() else {
        return;
    };
    user.exists = Some(info.exists);
    user.nick = info.nick.as_deref().map(|n| sanitize(n).into_owned());
    user.forbid_send = info.forbid_send;
    user.friends = info.friends;
    if !info.exists {
        let id = user.id_shown.clone();
        model.log(Level::Warning, format!("{id} does not exist in this app"));
    }
}

fn on_page(model: &mut Model, entries: Vec<(String, u64)>, last: bool, sequence: u64) {
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
    let list = &mut model.list;
    list.pages_loaded += 1;
    list.loading = !last;
    list.complete = last;
    list.sequence = sequence;
    list.rebuild_view();
    super::table::follow(model);
    if last {
        model.lookup_since = None;
        if let Some(owner) = model.list.owner.as_ref() {
            let text = format!(
                "{} blocks {} account(s)",
                sanitize(owner.as_str()),
                model.list.rows.len()
            );
            model.log(Level::Info, text);
        }
    }
}

fn on_nicks(model: &mut Model, nicks: Vec<(String, String)>) {
    let map: std::collections::HashMap<String, String> = nicks.into_iter().collect();
    for row in &mut model.list.rows {
        if let Some(nick) = map.get(row.to.as_str()) {
            row.set_nick(nick);
        }
    }
    if !model.list.filter.is_empty() {
        model.list.rebuild_view();
        super::table::follow(model);
    }
}

/// The lookup stopped: a state of its own where the list would be, never an empty list.
fn on_failed(model: &mut Model, error: &Failure) {
    model.lookup_since = None;
    let list = &mut model.list;
    list.loading = false;
    let text = sanitize(&error.text).into_owned();
    let pages = list.pages_loaded;
    list.failure = Some(LoadFailure {
        kind: error.kind,
        text: text.clone(),
        pages,
    });
    let whose = list
        .owner
        .as_ref()
        .map(|o| sanitize(o.as_str()).into_owned())
        .unwrap_or_default();
    let at = if pages == 0 {
        format!("looking {whose} up failed")
    } else {
        format!("reading {whose}'s list stopped at page {}", pages + 1)
    };
    model.log(
        Level::Error,
        format!(
            "{at}: {text} — {}; {} tries again",
            error.kind.remedy(),
            model.keymap.key(crate::app::command::Command::Refresh)
        ),
    );
}
