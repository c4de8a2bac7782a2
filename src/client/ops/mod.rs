//! The client's operations, shared by the dashboard's worker and the headless CLI: look an account
//! up, stream a blocklist with its nicknames, check a change before it is confirmed, run a
//! journaled batch, find who blocks a user, and inspect the relation between two users. Every call goes through the [`Engine`], so the rate
//! limit, the retry policy and cancellation are the same wherever an operation runs; neither the
//! worker nor the CLI builds a request of its own.
//!
//! [`Engine`]: crate::client::engine::Engine

mod account;
mod batch;
mod blockers;
mod inspect;
mod preflight;

use std::future::Future;

use tokio::sync::mpsc;

pub use account::{AccountFacts, ListEvent, account, friends_of, list, nicknames};
pub use batch::{Batch, IncompleteBatch, JournalPlan};
pub use blockers::{BlockersEvent, BlockersReport, Candidates, FromHistory, Recorded, blockers};
pub use inspect::inspect;
pub use preflight::{Preflight, preflight};

/// Runs `work` to its end, handing every event that arrives on `events` meanwhile to `on_event`,
/// and then the ones still queued, so that nothing the work reported is lost.
pub async fn drain<T, E>(
    work: impl Future<Output = T>,
    events: &mut mpsc::UnboundedReceiver<E>,
    mut on_event: impl FnMut(E),
) -> T {
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => {
                while let Ok(event) = events.try_recv() {
                    on_event(event);
                }
                return out;
            }
            Some(event) = events.recv() => on_event(event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drain_hands_over_every_event_in_order() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let work = async move {
            for i in 0..100 {
                tx.send(i).unwrap();
                if i % 10 == 0 {
                    tokio::task::yield_now().await;
                }
            }
            "done"
        };
        let mut seen = Vec::new();
        let out = drain(work, &mut rx, |e| seen.push(e)).await;
        assert_eq!(out, "done");
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
    }
}
