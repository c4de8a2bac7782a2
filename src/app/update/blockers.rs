//! The reverse lookup: `w` (the listed users and the user's friends) or `:blockers …`. Its answer
//! is a table like the blocklist, in the blocklist's place: the blockers stream in as they are
//! found, and can be marked, filtered, sorted, inspected, opened, exported, and have the user
//! taken off their lists. Esc goes back to where `w` was pressed.

use super::super::command::{Args, CandidateArgs};
use super::super::model::{Blockers, Blocklist, Focus, Level, ListKind, Model};
use super::super::msg::{Effect, Msg};
use crate::client::ops::{BlockersEvent, Candidates};
use crate::display::sanitize;
use crate::tim::ids::UserId;

/// Starts a reverse lookup of the list's owner among the candidates asked for, in a table of its
/// own: from a blocklist, that list is kept to go back to; from a table of blockers, the lookup
/// runs again in its place.
pub(super) fn start(model: &mut Model, args: Args) -> Vec<Effect> {
    let Some(target) = model.list.owner.clone() else {
        return Vec::new();
    };
    if model.list.kind == ListKind::Blockers {
        let again = model
            .reverse
            .as_ref()
            .and_then(|r| r.candidates.clone().map(|c| (c, r.source.clone())));
        if let (Args::None, Some((candidates, source))) = (&args, again) {
            return run(model, target, candidates, source);
        }
    }
    let listed: Vec<UserId> = match model.list.kind {
        ListKind::Blocklist => model.list.rows.iter().map(|r| r.to.clone()).collect(),
        ListKind::Blockers => Vec::new(),
    };
    let n = listed.len();
    let (candidates, source) = match args {
        Args::Candidates(CandidateArgs::Friends) => (
            Candidates::FriendsAnd(Vec::new()),
            "the user's friends".to_owned(),
        ),
        Args::Candidates(CandidateArgs::Listed) => {
            (Candidates::Ids(listed), format!("the {n} listed users"))
        }
        Args::Candidates(CandidateArgs::File(path)) => {
            let source = format!("the IDs in {}", sanitize(&path));
            (Candidates::File(path.into()), source)
        }
        Args::Candidates(CandidateArgs::Ids(ids)) => {
            let source = format!("{} given IDs", ids.len());
            (Candidates::Ids(ids), source)
        }
        _ => (
            Candidates::FriendsAnd(listed),
            format!("{n} listed users and the user's friends"),
        ),
    };
    if model.list.kind == ListKind::Blocklist {
        super::back::push(model);
    }
    run(model, target, candidates, source)
}

/// The table of blockers of `target`, empty, and the lookup that fills it.
fn run(model: &mut Model, target: UserId, candidates: Candidates, source: String) -> Vec<Effect> {
    let mut effects = stop_running(model);
    model.side_req += 1;
    model.side_since = model.ms;
    // Pages of a lookup still streaming belong to the list left behind: dropped.
    model.lookup_req += 1;
    model.lookup_since = None;
    let req = model.side_req;
    let mut view = Blockers::new(req, target.clone(), source);
    view.candidates = Some(candidates.clone());
    model.reverse = Some(view);
    model.list = Blocklist::blockers(target.clone());
    model.focus = Focus::Blocklist;
    effects.push(Effect::FindBlockers {
        req,
        target,
        candidates,
    });
    effects
}

/// Stops the reverse lookup the table shows, if it still runs (the table is being left).
pub(super) fn stop_running(model: &mut Model) -> Vec<Effect> {
    match model.reverse.as_mut() {
        Some(view) if !view.done => {
            view.done = true;
            let again = model
                .keymap
                .key(super::super::command::Command::FindBlockers);
            view.error = Some(format!(
                "stopped when its table was left: {again} runs it again"
            ));
            model.list.loading = false;
            vec![Effect::CancelBlockers]
        }
        _ => Vec::new(),
    }
}

pub(super) fn on_msg(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let rows = model.bands().table_rows();
    let Some(view) = model.reverse.as_mut() else {
        return Vec::new();
    };
    match msg {
        Msg::Blockers { req, event } if req == view.req => match event {
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
                let recorded = view
                    .recorded
                    .as_ref()
                    .is_some_and(|r| r.suspects.contains(&blocker));
                view.found.push((blocker.clone(), mutual));
                model.list.add_blocker(blocker, mutual, recorded);
                model.list.follow(rows);
            }
            BlockersEvent::Recorded(recorded) => view.recorded = Some(recorded),
        },
        Msg::BlockersDone { req, result } if req == view.req => {
            view.done = true;
            model.list.loading = false;
            let target = sanitize(view.target.as_str()).into_owned();
            let (level, text) = match result {
                Ok(report) => {
                    view.checked = report.checked;
                    view.failed = report.failed;
                    view.history = report.history;
                    model.list.complete = true;
                    let found = view.found.len();
                    let checked = view.checked;
                    (
                        Level::Info,
                        format!("who blocks {target}: {found} found among {checked} checked"),
                    )
                }
                Err(e) => {
                    let e = format!("{} — {}", sanitize(&e.text), e.kind.remedy());
                    view.error = Some(e.clone());
                    (
                        Level::Error,
                        format!("who blocks {target}: the lookup failed: {e}"),
                    )
                }
            };
            let view = view.clone();
            // The store's word on each blocker, now that it is known which it confirmed.
            for row in &mut model.list.rows {
                row.recorded = view.from_history(&row.to);
            }
            let ids: Vec<String> = view
                .found
                .iter()
                .map(|(b, _)| b.as_str().to_owned())
                .collect();
            let req = view.req;
            model.last_blockers = Some(view);
            model.log(level, text);
            if !ids.is_empty() {
                return vec![Effect::BlockerNicks { req, ids }];
            }
        }
        Msg::BlockerNicks { req, nicks } if req == view.req => {
            let map: std::collections::HashMap<String, String> = nicks.into_iter().collect();
            for row in &mut model.list.rows {
                if let Some(nick) = map.get(row.to.as_str()) {
                    row.set_nick(nick);
                }
            }
            model.list.rebuild_view();
            model.list.follow(rows);
        }
        // An answer to an older lookup: dropped.
        _ => {}
    }
    Vec::new()
}
