//! Carries out the dashboard's effects with the client engine and sends the answers back as messages.
//! Every request runs in its own task, so the screen never waits for the network.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc::{self, UnboundedSender};
use tokio_util::sync::CancellationToken;

use crate::app::msg::{AccountInfo, Effect, Msg};
use crate::client::engine::{Engine, Event, JournalTarget, RunOptions};
use crate::client::journal::{BatchId, Intent, Journal};
use crate::client::{Operation, Pair};
use crate::tim::ids::UserId;
use crate::tim::wire::{
    self, AccountCheckEntry, AccountCheckRequest, AccountCheckResponse, AccountStatus, Api,
    FriendGetRequest, FriendGetResponse, PortraitGetRequest, PortraitGetResponse,
};

/// Entries per black_list_get page requested by the dashboard.
const LIST_PAGE: u64 = 100;

/// Where batches are journaled, and for which app.
#[derive(Debug, Clone)]
pub struct JournalSettings {
    pub path: PathBuf,
    pub profile: Option<String>,
    pub sdkappid: u64,
    pub base_url: String,
}

pub struct Worker {
    engine: Arc<Engine>,
    journal: JournalSettings,
    tx: UnboundedSender<Msg>,
    lookup: Option<CancellationToken>,
    batch: Option<CancellationToken>,
    blockers: Option<CancellationToken>,
    watch: Option<CancellationToken>,
}

impl Worker {
    pub fn new(engine: Arc<Engine>, journal: JournalSettings, tx: UnboundedSender<Msg>) -> Worker {
        Worker {
            engine,
            journal,
            tx,
            lookup: None,
            batch: None,
            blockers: None,
            watch: None,
        }
    }

    /// Starts what the effect asks for; answers arrive later as messages.
    pub fn handle(&mut self, effect: Effect) {
        match effect {
            Effect::Lookup { req, user } => {
                if let Some(old) = self.lookup.replace(CancellationToken::new()) {
                    old.cancel();
                }
                let cancel = self.lookup.clone().expect("just set");
                tokio::spawn(lookup(
                    self.engine.clone(),
                    req,
                    user,
                    self.tx.clone(),
                    cancel,
                ));
            }
            Effect::RunBatch { id, op, pairs } => {
                let cancel = CancellationToken::new();
                self.batch = Some(cancel.clone());
                tokio::spawn(batch(
                    self.engine.clone(),
                    self.journal.clone(),
                    id,
                    op,
                    pairs,
                    self.tx.clone(),
                    cancel,
                ));
            }
            Effect::CancelBatch => self.cancel_batch(),
            Effect::Inspect { req, a, b } => {
                let (engine, tx) = (self.engine.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let result = crate::inspect::inspect(&engine, &a, &b)
                        .await
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Inspected { req, result });
                });
            }
            Effect::FindBlockers {
                req,
                target,
                candidates,
            } => {
                let cancel = CancellationToken::new();
                if let Some(old) = self.blockers.replace(cancel.clone()) {
                    old.cancel();
                }
                tokio::spawn(find_blockers(
                    self.engine.clone(),
                    req,
                    target,
                    candidates,
                    self.tx.clone(),
                    cancel,
                ));
            }
            Effect::CancelBlockers => {
                if let Some(b) = self.blockers.take() {
                    b.cancel();
                }
            }
            Effect::Watch(user) => {
                if let Some(old) = self.watch.take() {
                    old.cancel();
                }
                match user {
                    Some(user) => {
                        let cancel = CancellationToken::new();
                        self.watch = Some(cancel.clone());
                        tokio::spawn(watch(self.engine.clone(), user, self.tx.clone(), cancel));
                    }
                    None => {
                        let _ = self.tx.send(Msg::FeedSource(None));
                    }
                }
            }
            Effect::Export { path, contents } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let rows = contents.lines().count();
                    let result = std::fs::write(&path, contents)
                        .map(|()| rows)
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Exported { path, result });
                });
            }
            Effect::Quit => {
                for token in [self.lookup.take(), self.blockers.take(), self.watch.take()]
                    .into_iter()
                    .flatten()
                {
                    token.cancel();
                }
            }
        }
    }

    pub fn cancel_batch(&mut self) {
        if let Some(b) = self.batch.take() {
            b.cancel();
        }
    }
}

async fn lookup(
    engine: Arc<Engine>,
    req: u64,
    user: UserId,
    tx: UnboundedSender<Msg>,
    cancel: CancellationToken,
) {
    let id = user.as_str().to_owned();
    let account = async {
        engine
            .call::<_, AccountCheckResponse>(
                Api::AccountCheck,
                &AccountCheckRequest {
                    check_item: vec![AccountCheckEntry {
                        user_id: id.clone(),
                    }],
                },
            )
            .await
    };
    let profile = async {
        engine
            .call::<_, PortraitGetResponse>(
                Api::PortraitGet,
                &PortraitGetRequest {
                    to_account: vec![id.clone()],
                    tag_list: vec![wire::TAG_NICK.to_owned(), wire::TAG_ADMIN_FORBID.to_owned()],
                },
            )
            .await
    };
    let friends = async {
        engine
            .call::<_, FriendGetResponse>(
                Api::FriendGet,
                &FriendGetRequest {
                    from_account: id.clone(),
                    start_index: 0,
                    standard_sequence: 0,
                    custom_sequence: 0,
                },
            )
            .await
    };
    let (account, profile, friends) = tokio::join!(account, profile, friends);
    let exists = match &account {
        Ok(resp) => resp
            .result_item
            .iter()
            .any(|i| i.user_id == id && i.account_status == AccountStatus::Imported),
        Err(e) => {
            let _ = tx.send(Msg::LookupFailed {
                req,
                error: e.to_string(),
            });
            return;
        }
    };
    let item = profile
        .ok()
        .and_then(|p| p.user_profile_item.into_iter().find(|i| i.to_account == id));
    let info = AccountInfo {
        exists,
        nick: item
            .as_ref()
            .and_then(|i| i.tag_str(wire::TAG_NICK))
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        forbid_send: item
            .as_ref()
            .and_then(|i| i.tag_str(wire::TAG_ADMIN_FORBID))
            == Some(wire::ADMIN_FORBID_SEND_OUT),
        friends: friends.ok().map(|f| f.friend_num),
    };
    let _ = tx.send(Msg::Account { req, info });
    if !exists {
        let _ = tx.send(Msg::Page {
            req,
            entries: Vec::new(),
            last: true,
            sequence: 0,
        });
        return;
    }

    let (pages_tx, mut pages) = mpsc::channel(4);
    let listing = engine.list(&user, LIST_PAGE, pages_tx, cancel.clone());
    tokio::pin!(listing);
    let mut sent_last = false;
    let mut forward = |page: crate::client::engine::Page| {
        let ids: Vec<String> = page.items.iter().map(|i| i.to_account.clone()).collect();
        let last = page.next_index == 0 || page.items.is_empty();
        sent_last |= last;
        let _ = tx.send(Msg::Page {
            req,
            entries: page
                .items
                .into_iter()
                .map(|i| (i.to_account, i.add_black_time_stamp))
                .collect(),
            last,
            sequence: page.sequence,
        });
        tokio::spawn(nicknames(engine.clone(), req, ids, tx.clone()));
    };
    let outcome = loop {
        tokio::select! {
            outcome = &mut listing => {
                while let Ok(page) = pages.try_recv() {
                    forward(page);
                }
                break outcome;
            }
            Some(page) = pages.recv() => forward(page),
        }
    };
    match outcome {
        Ok(_) if !sent_last => {
            let _ = tx.send(Msg::Page {
                req,
                entries: Vec::new(),
                last: true,
                sequence: 0,
            });
        }
        Ok(_) => {}
        Err(e) if !cancel.is_cancelled() => {
            let _ = tx.send(Msg::LookupFailed {
                req,
                error: e.to_string(),
            });
        }
        Err(_) => {}
    }
}

/// Fetches the nicknames of listed entries, 100 per call.
async fn nicknames(engine: Arc<Engine>, req: u64, ids: Vec<String>, tx: UnboundedSender<Msg>) {
    for chunk in ids.chunks(wire::MAX_PROFILE_BATCH) {
        let answer = engine
            .call::<_, PortraitGetResponse>(
                Api::PortraitGet,
                &PortraitGetRequest {
                    to_account: chunk.to_vec(),
                    tag_list: vec![wire::TAG_NICK.to_owned()],
                },
            )
            .await;
        if let Ok(resp) = answer {
            let nicks = resp
                .user_profile_item
                .into_iter()
                .filter_map(|item| {
                    let nick = item.tag_str(wire::TAG_NICK)?.to_owned();
                    (!nick.is_empty()).then_some((item.to_account, nick))
                })
                .collect();
            let _ = tx.send(Msg::Nicks { req, nicks });
        }
    }
}

async fn batch(
    engine: Arc<Engine>,
    settings: JournalSettings,
    id: u64,
    op: Operation,
    pairs: Vec<Pair>,
    tx: UnboundedSender<Msg>,
    cancel: CancellationToken,
) {
    let mut journal = match Journal::open(&settings.path) {
        Ok(j) => j,
        Err(e) => {
            let _ = tx.send(Msg::BatchFailed {
                id,
                error: format!("cannot open the journal {}: {e}", settings.path.display()),
            });
            return;
        }
    };
    let batch_id = BatchId::generate(std::time::SystemTime::now());
    let intent = Intent::new(
        batch_id.clone(),
        settings.profile.clone(),
        settings.sdkappid,
        &settings.base_url,
        op,
        pairs.clone(),
    );
    if let Err(e) = journal.intent(&intent) {
        let _ = tx.send(Msg::BatchFailed {
            id,
            error: format!("cannot write the journal {}: {e}", settings.path.display()),
        });
        return;
    }
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let forward = tx.clone();
    let relay = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let msg = match event {
                Event::Progress(progress) => Msg::BatchProgress { id, progress },
                Event::Item(item) => Msg::BatchItem { id, item },
            };
            if forward.send(msg).is_err() {
                break;
            }
        }
    });
    let report = engine
        .run(
            op,
            pairs,
            RunOptions {
                precheck: false,
                journal: Some(JournalTarget {
                    journal: &mut journal,
                    batch: batch_id.clone(),
                }),
                events: Some(events_tx),
                cancel,
            },
        )
        .await;
    let _ = relay.await;
    let _ = tx.send(Msg::BatchDone {
        id,
        report,
        journal: Some(batch_id.to_string()),
    });
}

/// Resolves the candidates, then runs the reverse lookup, relaying its progress.
async fn find_blockers(
    engine: Arc<Engine>,
    req: u64,
    target: UserId,
    candidates: crate::app::msg::Candidates,
    tx: UnboundedSender<Msg>,
    cancel: CancellationToken,
) {
    use crate::app::msg::Candidates;
    let list = match candidates {
        Candidates::Ids(ids) => Ok(ids),
        Candidates::FriendsAnd(mut ids) => match crate::inspect::friends_of(&engine, &target).await
        {
            Ok(friends) => {
                ids.extend(friends);
                Ok(ids)
            }
            Err(e) => Err(format!("reading the friends of the user failed: {e}")),
        },
        Candidates::File(path) => match std::fs::read_to_string(&path) {
            Ok(text) => {
                let parsed = crate::tim::ids::parse_ids(&text);
                if parsed.is_clean() {
                    Ok(parsed.into_values())
                } else {
                    Err(format!("{path}: {}", parsed.report()))
                }
            }
            Err(e) => Err(format!("cannot read {path}: {e}")),
        },
    };
    let candidates = match list {
        Ok(list) => list,
        Err(error) => {
            let _ = tx.send(Msg::BlockersDone {
                req,
                result: Err(error),
            });
            return;
        }
    };
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let relay_tx = tx.clone();
    let relay = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if relay_tx.send(Msg::Blockers { req, event }).is_err() {
                break;
            }
        }
    });
    let report = crate::inspect::blockers(&engine, &target, candidates, events_tx, cancel).await;
    let _ = relay.await;
    let result = report
        .map(|r| (r.checked, r.failed.len()))
        .map_err(|e| e.to_string());
    let _ = tx.send(Msg::BlockersDone { req, result });
}

/// Watch mode: polls the user's blocklist sequence and reports changes.
async fn watch(
    engine: Arc<Engine>,
    user: UserId,
    tx: UnboundedSender<Msg>,
    cancel: CancellationToken,
) {
    use crate::feed::WatchMsg;
    let _ = tx.send(Msg::FeedSource(Some(format!("watching {}", user.as_str()))));
    let (watch_tx, mut watch_rx) = mpsc::unbounded_channel();
    let poller = {
        let (engine, user, cancel) = (engine.clone(), user.clone(), cancel.clone());
        tokio::spawn(async move {
            crate::feed::watch(
                &engine,
                &user,
                std::time::Duration::from_secs(5),
                watch_tx,
                cancel,
            )
            .await;
        })
    };
    while let Some(msg) = watch_rx.recv().await {
        let forwarded = match msg {
            WatchMsg::Started { user, sequence } | WatchMsg::Changed { user, sequence } => {
                tx.send(Msg::ListChanged { user, sequence })
            }
            WatchMsg::Error { error, .. } => tx.send(Msg::WatchFailed {
                error: error.to_string(),
            }),
        };
        if forwarded.is_err() {
            cancel.cancel();
            break;
        }
    }
    let _ = poller.await;
}
