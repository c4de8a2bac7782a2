//! Drilling down and back, k9s-style: Enter on a row opens that account (its lookup and
//! blocklist), `w` lists the blockers of the account; each keeps the place it left — the account,
//! the table with its cursor, filter, sort and marks — and Esc or Backspace goes back to it.
//! Esc first undoes what is pending on the table: a range begun with `v`, then a kept filter.

use super::super::model::{BACK_KEEP, Focus, Level, ListKind, Model, Place};
use super::super::msg::Effect;

/// Keeps where the moderator is, to come back to.
pub(super) fn push(model: &mut Model) {
    let place = Place {
        user: model.user.clone(),
        list: model.list.clone(),
        reverse: model.reverse.clone(),
        focus: model.focus,
    };
    model.back.push(place);
    if model.back.len() > BACK_KEEP {
        model.back.remove(0);
    }
}

/// Enter on a row: that account looked up, the table left kept to go back to.
pub(super) fn open_row(model: &mut Model) -> Vec<Effect> {
    let Some(row) = model.list.current() else {
        return Vec::new();
    };
    let user = row.to.clone();
    open(model, user)
}

/// `user` looked up from the place the moderator is, which is kept to go back to.
pub(super) fn open(model: &mut Model, user: crate::tim::ids::UserId) -> Vec<Effect> {
    let mut effects = super::blockers::stop_running(model);
    push(model);
    model.reverse = None;
    effects.extend(super::lookup::look_up(model, user));
    effects
}

/// Esc / Backspace on the table: the pending range cancelled, else the kept filter cleared, else
/// back to the place before.
pub(super) fn back(model: &mut Model) -> Vec<Effect> {
    if model.list.anchor.take().is_some() {
        model.notice = Some("range cancelled: nothing was marked".to_owned());
        return Vec::new();
    }
    if !model.list.filter.is_empty() {
        let rows = model.bands().table_rows();
        model.list.set_filter("", rows);
        return Vec::new();
    }
    let Some(place) = model.back.pop() else {
        return Vec::new();
    };
    let effects = super::blockers::stop_running(model);
    // Answers still on their way belong to the table being left.
    model.lookup_req += 1;
    model.lookup_since = None;
    model.user = place.user;
    model.list = place.list;
    model.reverse = place.reverse;
    model.focus = place.focus;
    if model.list.loading {
        // It was left while loading, and its answers were dropped since: said, and `r` reads it.
        model.list.loading = false;
        if model.list.kind == ListKind::Blocklist {
            let refresh = model.keymap.key(super::super::command::Command::Refresh);
            model.log(
                Level::Warning,
                format!("the list was left before it had loaded: {refresh} reads it again"),
            );
        }
    }
    let rows = model.bands().table_rows();
    model.list.follow(rows);
    if model.focus == Focus::Lookup {
        model.focus = Focus::Blocklist;
    }
    if let Some(owner) = model.list.owner.clone() {
        super::rates::looked_up(model, &owner);
    }
    effects
}

/// A lookup typed on the lookup line or the command line starts a new path: nothing to go back
/// to, and a reverse lookup still running stops.
pub(super) fn new_root(model: &mut Model) -> Vec<Effect> {
    let effects = super::blockers::stop_running(model);
    model.back.clear();
    model.reverse = None;
    effects
}
