//! A change store with a history already in it, as `blockdeck relay` would have recorded it.

#![allow(dead_code)]

use std::path::Path;

use blockdeck::client::journal::{Location, changes::Changes};
use blockdeck::feed::{ChangeKind, Checks, Post, sign};

/// The change a webhook of `kind` reports for `from` and `to`, happened at `time_ms`.
pub fn post(kind: ChangeKind, from: &str, to: &str, time_ms: u64) -> Post {
    let body = serde_json::json!({
        "CallbackCommand": kind.command(),
        "PairList": [{"From_Account": from, "To_Account": to}],
        "EventTime": time_ms,
    });
    let query = format!(
        "SdkAppid=1400000000&CallbackCommand={}&RequestTime=1700000000&Sign={}",
        kind.command(),
        sign("tok", "1700000000")
    );
    Checks {
        token: Some("tok".into()),
        sdkappid: Some(1_400_000_000),
    }
    .accept(Some(&query), body.to_string().as_bytes(), 1_700_000_000)
    .expect("a well-formed webhook")
    .expect("a change")
}

/// Records `changes` (kind, from, to) in the SQLite store at `path`, one second apart.
pub fn record(path: &Path, changes: &[(ChangeKind, &str, &str)]) {
    let mut store = Changes::open(&Location::File(path.to_owned())).expect("the store opens");
    let posts: Vec<Post> = changes
        .iter()
        .enumerate()
        .map(|(i, (kind, from, to))| post(*kind, from, to, 1_700_000_000_000 + 1_000 * i as u64))
        .collect();
    store.record(&posts, 1_700_000_000_000).expect("recorded");
}
