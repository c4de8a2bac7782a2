//! The dashboard's feed from the change store that `blockdeck relay` records into: the last
//! changes first, then each new one as it is stored (PostgreSQL announces them; an SQLite file
//! is polled, one index read when nothing is new), wherever the moderator sits.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::client::journal::Location;
use crate::client::journal::changes::{self, Change, Changes};
use crate::feed::FeedMsg;

/// Changes shown from before the dashboard opened.
pub const BACKLOG: usize = 200;

/// How often an SQLite store is asked for new changes.
const POLL: Duration = Duration::from_millis(250);

/// How long to wait before reading a store again that could not be read.
const RETRY: Duration = Duration::from_secs(5);

/// How the store is named in the feed's title: a file by its name, a database by its URL (which
/// never carries a password: [`crate::client::journal::PgUrl`] shows without it).
fn label(at: &Location) -> String {
    match at {
        Location::File(path) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string()),
        Location::Postgres(url) => url.to_string(),
    }
}

/// Starts following `at` on a thread of its own, until `tx` is closed.
pub fn start(at: Location, tx: mpsc::Sender<FeedMsg>) {
    let spawned = std::thread::Builder::new()
        .name("change-store".to_owned())
        .spawn(move || follow(at, tx));
    if let Err(e) = spawned {
        tracing::warn!("cannot follow the change store: {e}");
    }
}

/// The last changes, or why they could not be read.
fn backlog(at: &Location) -> std::io::Result<Vec<Change>> {
    Changes::open(at)?.latest(None, BACKLOG)
}

fn follow(at: Location, tx: mpsc::Sender<FeedMsg>) {
    let wanted = || !tx.is_closed();
    let mut said = false;
    let seq = loop {
        if !wanted() {
            return;
        }
        match backlog(&at) {
            Ok(changes) => {
                let seq = changes.last().map_or(0, |c| c.seq);
                let empty = changes.is_empty();
                let events = changes.iter().map(Change::to_event).collect();
                if tx.blocking_send(FeedMsg::Backlog(events)).is_err()
                    || tx
                        .blocking_send(FeedMsg::Following {
                            store: label(&at),
                            empty,
                        })
                        .is_err()
                {
                    return;
                }
                break seq;
            }
            Err(e) => {
                if !said {
                    said = true;
                    let text = format!(
                        "cannot read the change store {at}: {e}; trying again every {} s",
                        RETRY.as_secs()
                    );
                    if tx.blocking_send(FeedMsg::StoreLost(text)).is_err() {
                        return;
                    }
                }
                let until = std::time::Instant::now() + RETRY;
                while wanted() && std::time::Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    };
    let on = |read: Result<Vec<Change>, String>| {
        let msgs: Vec<FeedMsg> = match read {
            Ok(changes) => changes
                .iter()
                .map(|c| FeedMsg::Event(c.to_event()))
                .collect(),
            Err(text) => vec![FeedMsg::StoreLost(format!(
                "the change store {}: {text}",
                label(&at)
            ))],
        };
        for msg in msgs {
            if tx.blocking_send(msg).is_err() {
                return;
            }
        }
    };
    match &at {
        Location::File(path) => changes::poll_sqlite(path, seq, POLL, wanted, on),
        Location::Postgres(url) => changes::listen_postgres(url, seq, wanted, on),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::ChangeKind;

    fn post(from: &str, to: &str, time: u64) -> crate::feed::Post {
        crate::client::journal::changes::tests::post(ChangeKind::Block, from, &[to], Some(time))
    }

    #[test]
    fn the_backlog_comes_first_then_what_is_stored_later() {
        let dir = tempfile::tempdir().unwrap();
        let at = Location::File(dir.path().join("journal.db"));
        let mut store = Changes::open(&at).unwrap();
        store.record(&[post("alice", "bob", 1_000)], 1).unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        start(at.clone(), tx);
        let Some(FeedMsg::Backlog(events)) = rx.blocking_recv() else {
            panic!("the backlog first")
        };
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].from.as_str(), events[0].to.as_str()),
            ("alice", "bob")
        );
        let Some(FeedMsg::Following { store: name, empty }) = rx.blocking_recv() else {
            panic!("then what is followed")
        };
        assert_eq!((name.as_str(), empty), ("journal.db", false));
        store.record(&[post("carol", "dave", 2_000)], 2).unwrap();
        let Some(FeedMsg::Event(event)) = rx.blocking_recv() else {
            panic!("then each change stored later")
        };
        assert_eq!((event.from.as_str(), event.to.as_str()), ("carol", "dave"));
        drop(rx);
    }

    #[test]
    fn an_empty_store_is_said_to_be_empty() {
        let dir = tempfile::tempdir().unwrap();
        let at = Location::File(dir.path().join("journal.db"));
        let (tx, mut rx) = mpsc::channel(16);
        start(at, tx);
        assert!(matches!(rx.blocking_recv(), Some(FeedMsg::Backlog(e)) if e.is_empty()));
        assert!(matches!(
            rx.blocking_recv(),
            Some(FeedMsg::Following { empty: true, .. })
        ));
    }
}
