//! The live change feed: changes and refused webhooks, burst alerts, watch mode.

use super::super::command::Args;
use super::super::model::{FeedLine, Level, Model, TeamLine};
use super::super::msg::{Effect, Msg};
use crate::display::sanitize;
use crate::feed::{Burst, ChangeKind, FeedEvent, Role};

pub(super) fn on_msg(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::FeedChange(event) => change(model, event),
        Msg::FeedRejected { reason } => {
            model.feed.rejected += 1;
            model.log(
                Level::Warning,
                format!("webhook refused: {}", sanitize(&reason)),
            );
        }
        Msg::Burst(burst) => alert(model, burst),
        Msg::FeedSource(source) => model.feed.source = source.map(|s| sanitize(&s).into_owned()),
        Msg::TeamBatch { moved, batch } => {
            model.feed.push(TeamLine::of(moved, batch, model.now));
        }
        Msg::WatchFailed { error } => {
            model.log(Level::Warning, format!("watch: {}", sanitize(&error.text)));
        }
        // Watch mode saw the list on screen move: it is read again, unless a batch of ours runs.
        Msg::ListChanged { user, sequence }
            if model.watching
                && model.list.owner.as_ref() == Some(&user)
                && sequence != model.list.sequence
                && model.running.is_none() =>
        {
            model.log(
                Level::Info,
                format!("{}'s list changed: refreshing", sanitize(user.as_str())),
            );
            return super::lookup::start(model, user);
        }
        _ => {}
    }
    Vec::new()
}

fn alert(model: &mut Model, burst: Burst) {
    let who = sanitize(&burst.account).into_owned();
    let (verb, n, secs) = (burst.kind.past_tense(), burst.count, burst.window_secs);
    let text = match burst.role {
        Role::Blocking => format!("burst: {who} {verb} {n} accounts in {secs} s"),
        Role::Blocked => format!("burst: {who} was {verb} by {n} accounts in {secs} s"),
    };
    model.log(Level::Warning, text.clone());
    model.feed.alert(text, burst.account);
}

fn change(model: &mut Model, event: FeedEvent) {
    let burst = model.feed.is_flagged(&event);
    // A change to the list on screen, made elsewhere: refresh it when nothing of ours is running.
    let ours = model.list.owner.as_ref().map(|o| o.as_str()) == Some(event.from.as_str());
    // Changes the table already shows (our own batches, echoed by the webhooks) are not news.
    let listed = model.list.rows.iter().any(|r| r.to.as_str() == event.to);
    let news = match event.kind {
        ChangeKind::Block => !listed,
        ChangeKind::Unblock => listed,
        ChangeKind::FriendAdd | ChangeKind::FriendDelete => false,
    };
    if ours && news && model.running.is_none() && !model.list.stale {
        model.list.stale = true;
        model.log(
            Level::Info,
            format!(
                "{}'s list was changed elsewhere ({} {}…): {} refreshes it",
                sanitize(&event.from),
                event.kind.past_tense(),
                sanitize(&event.to),
                model.keymap.key(crate::app::command::Command::Refresh)
            ),
        );
    }
    model.feed.push(FeedLine::of(event, burst));
}

/// `:watch [on|off]`.
pub(super) fn watch(model: &mut Model, args: Args) -> Vec<Effect> {
    if args == Args::On(false) {
        model.watching = false;
        model.log(Level::Info, "watch mode off");
        return vec![Effect::Watch(None)];
    }
    let Some(user) = model.list.owner.clone() else {
        return Vec::new();
    };
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

/// Esc on the feed: every change shown again.
pub(super) fn clear_filter(model: &mut Model) -> Vec<Effect> {
    model.feed.set_filter("");
    Vec::new()
}
