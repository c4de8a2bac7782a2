//! The reverse lookup: `w` (the listed users and the user's friends) or `:blockers …`, and its
//! progress as it streams in.

use super::super::command::{Args, CandidateArgs};
use super::super::model::{Blockers, Level, Model, Overlay};
use super::super::msg::{Effect, Msg};
use crate::client::ops::{BlockersEvent, Candidates};
use crate::display::sanitize;
use crate::tim::ids::UserId;

/// Starts a reverse lookup of the looked-up user among the candidates asked for.
pub(super) fn start(model: &mut Model, args: Args) -> Vec<Effect> {
    let Some(target) = model.list.owner.clone() else {
        return Vec::new();
    };
    let listed: Vec<UserId> = model.list.rows.iter().map(|r| r.to.clone()).collect();
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
    model.side_req += 1;
    model.side_since = model.ms;
    let req = model.side_req;
    model.overlay = Overlay::Blockers(Blockers::new(req, target.clone(), source));
    vec![Effect::FindBlockers {
        req,
        target,
        candidates,
    }]
}

pub(super) fn on_msg(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let Overlay::Blockers(view) = &mut model.overlay else {
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
            BlockersEvent::Found { blocker, mutual } => view.found.push((blocker, mutual)),
            BlockersEvent::Recorded(recorded) => view.recorded = Some(recorded),
        },
        Msg::BlockersDone { req, result } if req == view.req => {
            view.done = true;
            let target = sanitize(view.target.as_str()).into_owned();
            let (level, text) = match result {
                Ok(report) => {
                    view.checked = report.checked;
                    view.failed = report.failed;
                    view.history = report.history;
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
            model.last_blockers = Some(view.clone());
            model.log(level, text);
        }
        // An answer to an older lookup: dropped.
        _ => {}
    }
    Vec::new()
}
