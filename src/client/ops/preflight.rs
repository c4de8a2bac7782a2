//! What a change would run into, checked before anyone is asked to confirm it: accounts that do
//! not exist (account_check, 100 per call) and pairs already in the state the change wants
//! (black_list_check in Single mode, through the engine like any check batch). Nothing is changed.

use std::collections::HashSet;

use super::account::account_check;
use crate::client::engine::{BatchEnd, Engine, RunOptions};
use crate::client::failure::{Failure, FailureKind};
use crate::client::{ItemStatus, Operation, Pair};
use crate::tim::ids::UserId;
use crate::tim::wire::{self, AccountCheckResponse, AccountStatus, Api};
use tokio_util::sync::CancellationToken;

/// What the checks found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preflight {
    /// IDs of the pairs that are not accounts in the app (account_check: NotImported).
    pub missing: Vec<UserId>,
    /// Pairs already as the change wants them (blocked already, or not on the list).
    pub in_state: Vec<Pair>,
    /// Pairs whose check failed (each after its retries): sent as they are, the service decides.
    pub unchecked: Vec<Pair>,
}

/// Checks `pairs` for `op` (a block or an unblock) before it is sent. A check that cannot run at
/// all (the service unreachable, the credentials refused) is an error: nothing is known. `cancel`
/// stops it between calls (the question was closed or replaced); what it found so far is then
/// of no use to anyone.
pub async fn preflight(
    engine: &Engine,
    op: Operation,
    pairs: &[Pair],
    cancel: CancellationToken,
) -> Result<Preflight, Failure> {
    let mut seen = HashSet::new();
    let ids: Vec<&str> = pairs
        .iter()
        .flat_map(|p| [p.from.as_str(), p.to.as_str()])
        .filter(|id| seen.insert(*id))
        .collect();
    let mut missing = Vec::new();
    for chunk in ids.chunks(wire::MAX_PROFILE_BATCH) {
        if cancel.is_cancelled() {
            return Err(Failure::local("the checks were cancelled"));
        }
        let resp: AccountCheckResponse = engine
            .call(Api::AccountCheck, &account_check(chunk))
            .await
            .map_err(Failure::from)?;
        for item in resp.result_item {
            if item.account_status == AccountStatus::NotImported
                && let Ok(id) = UserId::parse(&item.user_id)
            {
                missing.push(id);
            }
        }
    }
    let missing_set: HashSet<&UserId> = missing.iter().collect();
    let asked: Vec<Pair> = pairs
        .iter()
        .filter(|p| !missing_set.contains(&p.from) && !missing_set.contains(&p.to))
        .cloned()
        .collect();
    let report = engine
        .run(
            Operation::Check { single: true },
            asked,
            RunOptions::default(),
        )
        .await;
    if let BatchEnd::Stopped { code, reason, info } = &report.end {
        return Err(Failure {
            code: Some(*code),
            ..Failure::new(FailureKind::Auth, format!("{reason} ({info})"))
        });
    }
    let wanted = op == Operation::Block;
    let mut found = Preflight {
        missing,
        ..Preflight::default()
    };
    for item in &report.items {
        match item.status {
            ItemStatus::Relation { a_blocks_b, .. } if a_blocks_b == wanted => {
                found.in_state.push(item.pair);
            }
            ItemStatus::Relation { .. } => {}
            _ => found.unchecked.push(item.pair),
        }
    }
    Ok(found)
}
