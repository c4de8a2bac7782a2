//! The block rates of the sparklines: read from the change store once the screen is up, the
//! app's always and the looked-up account's once the store is known to be there; each read again
//! when [`RATE_REFRESH_MS`](crate::app::model::RATE_REFRESH_MS) have passed since the last, on
//! whatever message comes first after that (the runtime wakes up for it when idle).

use super::super::model::{BlockRate, Level, Model, RateScope, RateState};
use super::super::msg::{Effect, Stored};
use crate::client::failure::Failure;
use crate::display::sanitize;
use crate::tim::ids::UserId;

/// The screen is up: reading can begin.
pub(super) fn start(model: &mut Model) {
    model.rates.started = true;
}

/// A lookup of `user` started: its rate is read again at once (unless a read is on its way).
pub(super) fn looked_up(model: &mut Model, user: &UserId) {
    let rates = &mut model.rates;
    if rates.account_of.as_ref() == Some(user) && !rates.account.waiting {
        rates.account.asked = None;
    }
}

fn ask(rate: &mut BlockRate, req: u64, ms: u64) {
    rate.req = req;
    rate.asked = Some(ms);
    rate.waiting = true;
}

/// The reads due now.
pub(super) fn due(model: &mut Model) -> Vec<Effect> {
    let ms = model.ms;
    let owner = model.list.owner.clone();
    let rates = &mut model.rates;
    if !rates.started {
        return Vec::new();
    }
    let mut out = Vec::new();
    if rates.app.due(ms) {
        rates.req += 1;
        ask(&mut rates.app, rates.req, ms);
        out.push(Effect::BlockRate {
            req: rates.req,
            scope: RateScope::App,
        });
    }
    // Another account looked up: what was read of the last one is not drawn for it.
    if rates.account_of != owner {
        rates.account_of = owner;
        rates.account = BlockRate::default();
    }
    if let Some(account) = rates.account_of.clone()
        && rates.store_seen()
        && rates.account.due(ms)
    {
        rates.req += 1;
        ask(&mut rates.account, rates.req, ms);
        out.push(Effect::BlockRate {
            req: rates.req,
            scope: RateScope::Account(account),
        });
    }
    out
}

/// The answer to read `req` (dropped unless it is the latest of its rate).
pub(super) fn on_msg(
    model: &mut Model,
    req: u64,
    result: Result<Stored<Vec<u64>>, Failure>,
) -> Vec<Effect> {
    let rates = &mut model.rates;
    let (rate, whose) = if rates.app.req == req && rates.app.waiting {
        (&mut rates.app, "across the app".to_owned())
    } else if rates.account.req == req && rates.account.waiting {
        let who = rates
            .account_of
            .as_ref()
            .map(|a| sanitize(a.as_str()).into_owned())
            .unwrap_or_default();
        (&mut rates.account, format!("of {who}"))
    } else {
        return Vec::new();
    };
    rate.waiting = false;
    let was_failing = matches!(rate.state, RateState::Failed(_));
    rate.state = match result {
        Ok(Stored::Found(counts)) => RateState::Counts(counts),
        Ok(Stored::Absent(_)) => RateState::NoStore,
        Err(e) => RateState::Failed(sanitize(&e.text).into_owned()),
    };
    // A failure is said once, when it begins, not at every read again.
    let said = match (&rate.state, was_failing) {
        (RateState::Failed(text), false) => Some(format!(
            "blocks per minute {whose} could not be read from the change store: {text}"
        )),
        _ => None,
    };
    if let Some(text) = said {
        model.log(Level::Warning, text);
    }
    Vec::new()
}
