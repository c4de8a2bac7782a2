//! The history view: `H` and `:history [ID]` open it (read by the worker from the change store),
//! its answer, moving in it, `r`, Enter (look the other account up), `H` again (the other
//! account's history, Esc coming back) and Esc.

use super::super::command::Args;
use super::super::model::{HistoryLine, HistoryLoad, HistoryView, Level, Model, Motion, Overlay};
use super::super::msg::{Effect, HistoryRead, Stored};
use crate::client::failure::Failure;
use crate::display::sanitize;

/// Opens the history of the ID given, or of the account at the cursor.
pub(super) fn open(model: &mut Model, args: Args) -> Vec<Effect> {
    let account = match args {
        Args::Users(ids) if ids.len() == 1 => ids.into_iter().next().expect("one ID"),
        Args::None => match model.history_subject() {
            Ok(account) => account,
            Err(_) => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    // Esc comes back to the inspector or the history it is opened from.
    let back = match std::mem::take(&mut model.overlay) {
        other @ (Overlay::Inspector(_) | Overlay::History(_)) => Some(Box::new(other)),
        _ => None,
    };
    model.history_req += 1;
    let req = model.history_req;
    model.overlay = Overlay::History(HistoryView::loading(req, account.clone(), model.ms, back));
    vec![Effect::History { req, account }]
}

/// Reads the history shown again (`r`, or coming back to one whose read was left unanswered);
/// what it shows stays until the answer.
pub(super) fn refresh(model: &mut Model) -> Vec<Effect> {
    model.history_req += 1;
    let (req, ms) = (model.history_req, model.ms);
    let Overlay::History(view) = &mut model.overlay else {
        return Vec::new();
    };
    view.req = req;
    view.since = ms;
    view.load = HistoryLoad::Loading;
    vec![Effect::History {
        req,
        account: view.account.clone(),
    }]
}

/// The worker's answer to history read `req` (dropped unless it is the latest of the history
/// shown).
pub(super) fn on_msg(
    model: &mut Model,
    req: u64,
    result: Result<Stored<HistoryRead>, Failure>,
) -> Vec<Effect> {
    let rows = model.history_rows();
    let Overlay::History(view) = &mut model.overlay else {
        return Vec::new();
    };
    if view.req != req || view.load != HistoryLoad::Loading {
        return Vec::new();
    }
    match result {
        Ok(Stored::Found(read)) => {
            let keep = view.current().cloned();
            let at_top = view.scroll.cursor == 0;
            view.lines = read
                .changes
                .iter()
                .map(|c| HistoryLine::of(c, view.account.as_str()))
                .collect();
            view.reach = read.reach;
            view.load = HistoryLoad::Loaded;
            // Read again, the cursor stays on its change (on the newest, if it was there).
            view.scroll.cursor = match keep {
                Some(line) if !at_top => view.lines.iter().position(|l| *l == line).unwrap_or(0),
                _ => 0,
            };
            let len = view.lines.len();
            view.scroll.follow(len, 0..len, rows);
        }
        Ok(Stored::Absent(why)) => {
            view.lines.clear();
            view.reach = None;
            view.scroll = Default::default();
            view.load = HistoryLoad::NoStore(sanitize(&why).into_owned());
        }
        Err(e) => {
            let text = sanitize(&e.text).into_owned();
            let who = view.account_shown.clone();
            // What was shown before is not the history any more: nothing is drawn as if it were.
            view.lines.clear();
            view.reach = None;
            view.scroll = Default::default();
            view.load = HistoryLoad::Failed(text.clone());
            model.log(
                Level::Error,
                format!("the history of {who} could not be read: {text}"),
            );
        }
    }
    Vec::new()
}

/// A moving key in the history.
pub(super) fn motion(model: &mut Model, motion: Motion) {
    let rows = model.history_rows();
    if let Overlay::History(view) = &mut model.overlay {
        view.move_cursor(motion, rows);
    }
}

/// Esc: back to what the history was opened from (reading that history again if its answer
/// never came), else out.
pub(super) fn close(model: &mut Model, view: HistoryView) -> Vec<Effect> {
    let Some(back) = view.back else {
        return Vec::new();
    };
    model.overlay = *back;
    match &model.overlay {
        Overlay::History(view) if view.load == HistoryLoad::Loading => refresh(model),
        _ => Vec::new(),
    }
}

/// Enter on a line: the other account looked up (the history closes).
pub(super) fn look_up(model: &mut Model) -> Vec<Effect> {
    let Ok(user) = model.history_subject() else {
        return Vec::new();
    };
    model.overlay = Overlay::None;
    model.journal = None;
    super::back::open(model, user)
}
