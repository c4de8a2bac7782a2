//! The relationship inspector: `i` on a row, `:inspect [A] B`, its answer, and unblocking either
//! direction from it.

use super::super::command::{Args, Command};
use super::super::model::{Inspection, Inspector, ListKind, Model, Overlay, PendingAction};
use super::super::msg::Effect;
use crate::client::Pair;
use crate::client::failure::Failure;
use crate::display::sanitize;
use crate::inspect::Relationship;
use crate::tim::ids::UserId;

/// Opens the inspector for the looked-up user and the current row, or the users given.
pub(super) fn open(model: &mut Model, args: Args) -> Vec<Effect> {
    let owner = model.list.owner.clone();
    let (a, b) = match (args, owner) {
        (Args::Users(ids), _) if ids.len() == 2 => (ids[0].clone(), ids[1].clone()),
        (Args::Users(ids), Some(owner)) if ids.len() == 1 => (owner, ids[0].clone()),
        // A blocker and the account it blocks.
        (Args::None, Some(owner)) if model.list.kind == ListKind::Blockers => {
            match model.list.current() {
                Some(row) => (row.to.clone(), owner),
                None => return Vec::new(),
            }
        }
        (Args::None, Some(owner)) => match model.list.current() {
            Some(row) => (owner, row.to.clone()),
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    start(model, a, b)
}

fn start(model: &mut Model, a: UserId, b: UserId) -> Vec<Effect> {
    model.side_req += 1;
    model.side_since = model.ms;
    let req = model.side_req;
    model.overlay = Overlay::Inspector(Inspector {
        req,
        a: a.clone(),
        b: b.clone(),
        result: None,
        scroll: Default::default(),
    });
    vec![Effect::Inspect { req, a, b }]
}

/// The answer to inspector request `req` (dropped when the inspector moved on).
pub(super) fn on_result(
    model: &mut Model,
    req: u64,
    result: Result<Relationship, Failure>,
) -> Vec<Effect> {
    if let Overlay::Inspector(inspector) = &mut model.overlay
        && inspector.req == req
    {
        inspector.result = Some(
            result
                .map(|rel| Inspection::of(&rel))
                .map_err(|e| format!("{} — {}", sanitize(&e.text), e.kind.remedy())),
        );
    }
    Vec::new()
}

/// `x`/`X` in the inspector: unblock one direction (confirmed like any unblock).
pub(super) fn unblock(model: &mut Model, command: Command) -> Vec<Effect> {
    let Overlay::Inspector(inspector) = &model.overlay else {
        return Vec::new();
    };
    let (from, to) = if command == Command::UnblockAB {
        (inspector.a.clone(), inspector.b.clone())
    } else {
        (inspector.b.clone(), inspector.a.clone())
    };
    let pair = Pair::new(from, to);
    let title = format!("Unblock {pair}");
    let pending = PendingAction::new(crate::client::Operation::Unblock, vec![pair], title, None);
    super::batch::ask(model, pending)
}
